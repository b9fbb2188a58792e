//! `#[named_config]`: the same pipeline as `#[experiment]`, small enough for one module.
//! The function is kept as written; next to it go a `NamedConfig` constant (found by
//! `#[experiment(named_configs(…))]` under the name `__sacred_named_config_<name>`) and
//! the function that serialises what the user's function returns.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType};

use crate::ctxt::Ctxt;
use crate::docs::doc_text;
use crate::expand::named_config_ident;

/// The expansion of `#[named_config]`.
pub(crate) fn named_config(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match crate::parse_item(item, "`#[named_config]` goes on a function") {
        Ok(func) => func,
        Err(kept) => return kept,
    };
    let ctxt = Ctxt::new();
    validate(&args, &func, &ctxt);
    match ctxt.check() {
        Ok(()) => expand(&func),
        Err(err) => {
            let mut tokens = fallback(&func);
            tokens.extend(err.to_compile_error());
            tokens
        }
    }
}

fn validate(args: &TokenStream, func: &ItemFn, ctxt: &Ctxt) {
    if !args.is_empty() {
        ctxt.error_spanned_by(
            args,
            "`#[named_config]` takes no arguments: the config is selected by its function's name (`with small`); expected `#[named_config]`",
        );
    }
    let sig = &func.sig;
    crate::validate::signature(sig, "#[named_config]", ctxt);
    if !sig.inputs.is_empty() {
        ctxt.error_spanned_by(
            &sig.inputs,
            "`#[named_config]` functions take no parameters: a named config is a fixed set of values; expected `fn name() -> T`",
        );
    }
    if let ReturnType::Default = sig.output {
        ctxt.syn_error(syn::Error::new(
            sig.paren_token.span.close(),
            "`#[named_config]` functions return their config values; expected a return type that implements `Serialize`, e.g. `-> sacred::serde_json::Value`",
        ));
    }
}

fn expand(func: &ItemFn) -> TokenStream {
    let ident = &func.sig.ident;
    let span = match &func.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => ident.span(),
    };
    // Spanned on the return type: a value that is not `Serialize` is an error there.
    let convert = quote_spanned!(span=> ::sacred::__private::named_config_value(__sacred_value));
    let value = quote!(let __sacred_value = #ident(); #convert);
    tables(func, &doc_text(&func.attrs), &value)
}

/// The constant and the build function; the build function's body is `value`.
fn tables(func: &ItemFn, doc: &str, value: &TokenStream) -> TokenStream {
    let vis = &func.vis;
    let ident = &func.sig.ident;
    let name = ident.unraw().to_string();
    let constant = named_config_ident(ident);
    let build = format_ident!(
        "__sacred_named_config_build_{}",
        ident.unraw(),
        span = ident.span()
    );
    quote! {
        #func

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #vis const #constant: ::sacred::__private::NamedConfig = ::sacred::__private::NamedConfig {
            name: #name,
            doc: #doc,
            build: #build,
        };

        #[doc(hidden)]
        fn #build() -> ::core::result::Result<
            ::sacred::__private::serde_json::Value,
            ::std::string::String,
        > {
            #value
        }
    }
}

/// The function, kept, and stub tables that do not call it, so that an experiment that
/// lists it sees no further error.
fn fallback(func: &ItemFn) -> TokenStream {
    let mut func = func.clone();
    func.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
    let value = quote!(::core::result::Result::Err(::std::string::String::new()));
    tables(&func, "", &value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source_text::squash;

    fn expand(args: TokenStream, item: TokenStream) -> String {
        squash(&named_config(args, item).to_string())
    }

    #[test]
    fn emits_the_constant_and_the_build_function() {
        let out = expand(
            TokenStream::new(),
            quote! {
                /// Smaller batches.
                pub fn small() -> Value { json!({"batch_size": 8}) }
            },
        );
        for expected in [
            "pub fn small() -> Value",
            "pub const __sacred_named_config_small: ::sacred::__private::NamedConfig = ::sacred::__private::NamedConfig {name: \"small\", doc: \"Smaller batches.\", build: __sacred_named_config_build_small, };",
            "fn __sacred_named_config_build_small() -> ::core::result::Result<::sacred::__private::serde_json::Value, ::std::string::String,> {let __sacred_value = small(); ::sacred::__private::named_config_value(__sacred_value)}",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
        assert!(!out.contains(&squash("compile_error")), "{out}");
    }

    #[test]
    fn reports_arguments_parameters_and_a_missing_return_type() {
        let out = expand(
            quote!(name = "x"),
            quote!(
                async fn small(a: u32) {}
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(out.contains(&squash("__sacred_named_config_build_small() -> ::core::result::Result<::sacred::__private::serde_json::Value, ::std::string::String,> {::core::result::Result::Err(::std::string::String::new())}")), "{out}");
    }
}
