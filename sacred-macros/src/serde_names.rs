//! What serde's own attributes change about the names a config type has on the command
//! line: `rename`, `rename_all` (on the container, and on a variant for its fields),
//! `skip`, `default`, and the enum representations other than the externally tagged one.

use syn::{Attribute, LitStr};

/// The serde attributes of one item that matter to the tables.
#[derive(Debug, Default)]
pub(crate) struct SerdeAttrs {
    /// `rename = "…"`, or the `deserialize` name of `rename(…)`.
    pub(crate) rename: Option<String>,
    /// `rename_all = "…"`, or its `deserialize` rule.
    pub(crate) rename_all: Option<LitStr>,
    /// `skip` or `skip_deserializing`: not read from the config.
    pub(crate) skip: bool,
    /// `default` (`Some(None)`) or `default = "path"` (`Some(Some(path))`): a missing
    /// value is filled in by serde.
    pub(crate) default: Option<Option<syn::ExprPath>>,
    /// `tag`, `content` or `untagged`: not the externally tagged form.
    pub(crate) other_representation: Option<syn::Path>,
}

impl SerdeAttrs {
    /// Reads the `#[serde(…)]` attributes; anything it does not know is skipped (serde
    /// itself checks them).
    pub(crate) fn read(attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            // Malformed serde attributes are serde's to report.
            let _ = attr.parse_nested_meta(|meta| {
                let path = &meta.path;
                if path.is_ident("rename") {
                    out.rename = read_name(&meta)?.map(|lit| lit.value());
                } else if path.is_ident("rename_all") {
                    out.rename_all = read_name(&meta)?;
                } else if path.is_ident("skip") || path.is_ident("skip_deserializing") {
                    out.skip = true;
                } else if path.is_ident("default") {
                    out.default = Some(if meta.input.peek(syn::Token![=]) {
                        let lit: LitStr = meta.value()?.parse()?;
                        Some(lit.parse()?)
                    } else {
                        None
                    });
                } else if path.is_ident("tag")
                    || path.is_ident("content")
                    || path.is_ident("untagged")
                {
                    out.other_representation = Some(path.clone());
                    skip_rest(&meta)?;
                } else {
                    skip_rest(&meta)?;
                }
                Ok(())
            });
        }
        out
    }
}

/// `= "name"`, or the `deserialize = "name"` of `(serialize = …, deserialize = …)`.
fn read_name(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Option<LitStr>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse()?));
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        let value: LitStr = inner.value()?.parse()?;
        if inner.path.is_ident("deserialize") {
            found = Some(value);
        }
        Ok(())
    })?;
    Ok(found)
}

/// Consumes the value of an attribute the tables do not need.
fn skip_rest(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// The rules `rename_all` accepts.
pub(crate) const RULES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];

/// The words of a Rust name: `PascalCase` splits before capitals, `snake_case` at `_`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if c == '_' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_uppercase() && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// `name` under the rule `rule` (one of [`RULES`]); `None` for an unknown rule.
pub(crate) fn apply_rule(rule: &str, name: &str) -> Option<String> {
    let lower: Vec<String> = words(name).iter().map(|w| w.to_lowercase()).collect();
    Some(match rule {
        "lowercase" => name.to_lowercase(),
        "UPPERCASE" => name.to_uppercase(),
        "PascalCase" => lower.iter().map(|w| capitalized(w)).collect(),
        "camelCase" => {
            let pascal: String = lower.iter().map(|w| capitalized(w)).collect();
            let mut chars = pascal.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => pascal,
            }
        }
        "snake_case" => lower.join("_"),
        "SCREAMING_SNAKE_CASE" => lower.join("_").to_uppercase(),
        "kebab-case" => lower.join("-"),
        "SCREAMING-KEBAB-CASE" => lower.join("-").to_uppercase(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_serde() {
        let cases = [
            ("snake_case", "CosineDecay", "cosine_decay"),
            ("kebab-case", "CosineDecay", "cosine-decay"),
            ("lowercase", "CosineDecay", "cosinedecay"),
            ("SCREAMING_SNAKE_CASE", "CosineDecay", "COSINE_DECAY"),
            ("camelCase", "CosineDecay", "cosineDecay"),
            ("PascalCase", "warm_up", "WarmUp"),
            ("camelCase", "warm_up", "warmUp"),
            ("SCREAMING-KEBAB-CASE", "warm_up", "WARM-UP"),
            ("UPPERCASE", "warm_up", "WARM_UP"),
        ];
        for (rule, name, expected) in cases {
            assert_eq!(
                apply_rule(rule, name).as_deref(),
                Some(expected),
                "{rule} {name}"
            );
        }
        assert_eq!(apply_rule("Title Case", "a"), None);
    }

    #[test]
    fn reads_the_attributes_that_change_names() {
        let item: syn::DeriveInput = syn::parse_quote! {
            #[serde(rename_all(serialize = "UPPERCASE", deserialize = "snake_case"), deny_unknown_fields)]
            #[serde(tag = "kind")]
            enum E { A }
        };
        let attrs = SerdeAttrs::read(&item.attrs);
        assert_eq!(
            attrs.rename_all.map(|l| l.value()).as_deref(),
            Some("snake_case")
        );
        assert!(
            attrs
                .other_representation
                .is_some_and(|p| p.is_ident("tag"))
        );
        let field: syn::Field = syn::parse_quote!(#[serde(rename = "lr", default, skip)] x: f64);
        let attrs = SerdeAttrs::read(&field.attrs);
        assert_eq!(attrs.rename.as_deref(), Some("lr"));
        assert!(matches!(attrs.default, Some(None)) && attrs.skip);
        let field: syn::Field = syn::parse_quote!(#[serde(default = "seven")] x: f64);
        let default = SerdeAttrs::read(&field.attrs).default;
        assert!(matches!(default, Some(Some(p)) if p.path.is_ident("seven")));
    }
}
