//! The expansion used when something failed: the user's function (parameter attributes
//! stripped, `self` receivers dropped) plus a config struct and `Experiment` impl that
//! are empty stubs, so that the user sees only the real errors and the IDE still knows
//! every name.

use proc_macro2::TokenStream;
use quote::quote;
use syn::FnArg;

use crate::expand::{main, serde_derives, struct_doc};
use crate::model::Experiment;

/// The stub expansion of a model that failed.
pub(crate) fn experiment(model: &Experiment) -> TokenStream {
    let mut func = model.func.clone();
    // The receiver was reported; rustc would report it again on a free function.
    func.sig.inputs = std::mem::take(&mut func.sig.inputs)
        .into_iter()
        .filter(|input| !matches!(input, FnArg::Receiver(_)))
        .collect();
    // The stub never calls the function.
    func.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
    let vis = &func.vis;
    let config = model.config_ident();
    let doc = struct_doc(&model.description);
    // No sources or dependencies: the stub is never run, so the crate is not walked for it.
    let build = quote! {
        ::sacred::__private::BuildInfo {
            package: ::core::env!("CARGO_PKG_NAME"),
            version: ::core::env!("CARGO_PKG_VERSION"),
            manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
            main_file: ::core::file!(),
            sources: &[],
            dependencies: ::sacred::__private::DependencyGraph::EMPTY,
        }
    };
    let derives = serde_derives();
    let main = main(model, &config);
    quote! {
        #func

        #[doc = #doc]
        #derives
        #vis struct #config {}

        #[automatically_derived]
        impl ::sacred::__private::Experiment for #config {
            const INFO: ::sacred::__private::ExperimentInfo = ::sacred::__private::ExperimentInfo {
                name: ::core::option::Option::None,
                description: "",
                params: &[],
                named_configs: &[],
                seed_max: ::core::primitive::u64::MAX,
                own_logging: ::core::option::Option::None,
                build: #build,
            };

            fn defaults() -> ::std::vec::Vec<::sacred::__private::DefaultValue> {
                ::std::vec::Vec::new()
            }

            fn call(self, _: &::sacred::__private::Run) -> ::sacred::__private::FunctionOutcome {
                ::sacred::__private::FunctionOutcome::Returned(::core::option::Option::None)
            }
        }

        #main
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::attr::ExperimentArgs;
    use crate::ctxt::Ctxt;
    use crate::source_text::squash;

    #[test]
    fn keeps_the_function_without_receiver_or_parameter_attributes() {
        let ctxt = Ctxt::new();
        let model = Experiment::from_ast(
            ExperimentArgs::default(),
            parse_quote!(
                fn main(&self, #[defualt(3)] a: u32) {
                    let _ = a;
                }
            ),
            &ctxt,
        );
        assert!(ctxt.check().is_err());
        let out = squash(&experiment(&model).to_string());
        assert!(
            out.starts_with(&squash(
                "#[allow(dead_code)] fn __sacred_main(a: u32) {let _ = a; }"
            )),
            "{out}"
        );
        assert!(out.contains(&squash("struct Config {}")), "{out}");
        assert!(
            out.contains(&squash("fn main() {::sacred::__private::main::<Config>()}")),
            "{out}"
        );
    }
}
