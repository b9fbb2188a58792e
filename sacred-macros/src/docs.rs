//! Turns `///` doc comments into the help text of the tables.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The text of the `#[doc = "…"]` attributes in `attrs`: each line loses one leading
/// space (the one after `///`), lines are joined with `\n`, and the whole is trimmed.
///
/// A doc attribute whose value is not a string literal (`#[doc = include_str!(…)]`) has
/// no text the macro can read; it is left out.
pub(crate) fn doc_text(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if let Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            let value = s.value();
            for line in value.split('\n') {
                lines.push(line.strip_prefix(' ').unwrap_or(line).to_owned());
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_one_leading_space_and_the_whole_is_trimmed() {
        let item: syn::ItemFn = syn::parse_quote! {
            /// A small training run.
            ///
            ///   indented
            ///
            #[inline]
            fn f() {}
        };
        assert_eq!(doc_text(&item.attrs), "A small training run.\n\n  indented");
    }

    #[test]
    fn no_docs_is_empty() {
        let item: syn::ItemFn = syn::parse_quote!(
            fn f() {}
        );
        assert_eq!(doc_text(&item.attrs), "");
    }
}
