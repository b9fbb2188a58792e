//! Phase 3: the checks that need the whole model: what the signature may be, the run
//! handle, the parameter types, the `seed` parameter, the named config list.

use std::collections::HashSet;

use syn::{GenericArgument, PathArguments, ReturnType, Signature, Type, TypeImplTrait};

use crate::ctxt::Ctxt;
use crate::model::{Experiment, Input, Param, RunParam};
use crate::source_text::compact;

/// Reports everything wrong with `model` to `ctxt`.
pub(crate) fn check(model: &Experiment, ctxt: &Ctxt) {
    signature(&model.func.sig, "#[experiment]", ctxt);
    let mut first_run: Option<&RunParam> = None;
    for input in &model.inputs {
        match input {
            Input::Config(param) => config_param(param, ctxt),
            Input::Run(run) => {
                run_param(run, first_run.is_some(), ctxt);
                first_run = first_run.or(Some(run));
            }
            Input::Invalid => {}
        }
    }
    named_configs(model, ctxt);
}

/// What `#[experiment]` and `#[named_config]` functions may not be: `async`, `unsafe`,
/// generic or variadic. `attribute` is the attribute's name, for the messages.
pub(crate) fn signature(sig: &Signature, attribute: &str, ctxt: &Ctxt) {
    if let Some(asyncness) = &sig.asyncness {
        ctxt.error_spanned_by(
            asyncness,
            format!("`{attribute}` functions cannot be `async`: the runtime calls them synchronously; start an async runtime inside the function instead"),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        ctxt.error_spanned_by(
            unsafety,
            format!("`{attribute}` functions cannot be `unsafe`: the generated code calls them outside an `unsafe` block; put the unsafe code inside the function instead"),
        );
    }
    if !sig.generics.params.is_empty() {
        ctxt.error_spanned_by(
            &sig.generics,
            format!("`{attribute}` functions cannot be generic: the runtime calls them with concrete types; expected a plain `fn`"),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        ctxt.error_spanned_by(
            where_clause,
            format!("`{attribute}` functions cannot have a `where` clause; expected a plain `fn`"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        ctxt.error_spanned_by(
            variadic,
            format!("`{attribute}` functions cannot be variadic; expected named parameters"),
        );
    }
}

fn run_param(run: &RunParam, repeated: bool, ctxt: &Ctxt) {
    if let Some(mutability) = &run.mutability {
        ctxt.error_spanned_by(
            mutability,
            "`#[experiment]` passes the run handle as `&Run`, not `&mut Run`: every `Run` method takes `&self`; remove this `mut`",
        );
    }
    if let Some(default) = &run.default {
        ctxt.error_spanned_by(
            &default.path,
            "`#[default]` on the `&Run` parameter: the run handle is not a config value; remove the attribute",
        );
    }
    if repeated {
        ctxt.error_spanned_by(
            &run.ty,
            "`#[experiment]` takes at most one `&Run` parameter; remove this one and use the first",
        );
    }
}

fn config_param(param: &Param, ctxt: &Ctxt) {
    let name = param.key();
    if let Some(impl_trait) = find_impl_trait(&param.ty) {
        ctxt.error_spanned_by(
            impl_trait,
            format!("`#[experiment]` parameter `{name}` cannot have an `impl Trait` type: its value is deserialised from the config; expected a concrete type such as `u32`, `String` or a struct that derives `Deserialize`"),
        );
    } else if let Type::Reference(reference) = crate::model::strip_parens(&param.ty) {
        ctxt.error_spanned_by(
            reference,
            format!("`#[experiment]` parameter `{name}` cannot be a reference: its value is deserialised from the config, so it must be owned (e.g. `String` instead of `&str`); only the run handle is passed by reference, as `&Run`"),
        );
    } else if name == "seed" && param.integer_type().is_none() {
        ctxt.error_spanned_by(
            &param.ty,
            format!("`#[experiment]` parameter `seed` must have a primitive integer type: `u8`, `u16`, `u32`, `u64`, `u128`, `usize`, `i8`, `i16`, `i32`, `i64`, `i128` or `isize`; found `{}`", compact(&param.ty)),
        );
    }
}

fn named_configs(model: &Experiment, ctxt: &Ctxt) {
    let mut seen = HashSet::new();
    for path in &model.args.named_configs {
        if let Some(last) = path.segments.last()
            && !seen.insert(last.ident.to_string())
        {
            ctxt.error_spanned_by(
                path,
                format!("named config `{}` is listed twice in `#[experiment(named_configs(…))]`; each name is selected with `with {0}` and must be unique", last.ident),
            );
        }
    }
}

/// The first `impl Trait` anywhere inside `ty`.
fn find_impl_trait(ty: &Type) -> Option<&TypeImplTrait> {
    match ty {
        Type::ImplTrait(impl_trait) => Some(impl_trait),
        Type::Array(array) => find_impl_trait(&array.elem),
        Type::Slice(slice) => find_impl_trait(&slice.elem),
        Type::Ptr(ptr) => find_impl_trait(&ptr.elem),
        Type::Reference(reference) => find_impl_trait(&reference.elem),
        Type::Paren(paren) => find_impl_trait(&paren.elem),
        Type::Group(group) => find_impl_trait(&group.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(find_impl_trait),
        Type::BareFn(bare_fn) => bare_fn
            .inputs
            .iter()
            .map(|arg| &arg.ty)
            .find_map(find_impl_trait)
            .or_else(|| return_impl_trait(&bare_fn.output)),
        Type::Path(path) => path
            .qself
            .as_ref()
            .and_then(|qself| find_impl_trait(&qself.ty))
            .or_else(|| {
                path.path
                    .segments
                    .iter()
                    .find_map(|segment| match &segment.arguments {
                        PathArguments::None => None,
                        PathArguments::AngleBracketed(args) => {
                            args.args.iter().find_map(|arg| match arg {
                                GenericArgument::Type(ty) => find_impl_trait(ty),
                                GenericArgument::AssocType(assoc) => find_impl_trait(&assoc.ty),
                                _ => None,
                            })
                        }
                        PathArguments::Parenthesized(args) => args
                            .inputs
                            .iter()
                            .find_map(find_impl_trait)
                            .or_else(|| return_impl_trait(&args.output)),
                    })
            }),
        _ => None,
    }
}

fn return_impl_trait(output: &ReturnType) -> Option<&TypeImplTrait> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => find_impl_trait(ty),
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::attr::ExperimentArgs;

    fn errors(args: ExperimentArgs, func: syn::ItemFn) -> Vec<String> {
        let ctxt = Ctxt::new();
        let model = Experiment::from_ast(args, func, &ctxt);
        check(&model, &ctxt);
        match ctxt.check() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn a_plain_experiment_passes() {
        let errors = errors(
            ExperimentArgs::default(),
            parse_quote!(
                fn main(
                    #[default(1)] seed: u32,
                    a: Vec<Option<u8>>,
                    run: &Run,
                ) -> Result<(), String> {
                    Ok(())
                }
            ),
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn reports_signature_and_parameter_errors_together() {
        let errors = errors(
            ExperimentArgs::default(),
            parse_quote! {
                async unsafe fn main<T>(
                    run: &Run,
                    #[default(1)] again: &mut Run,
                    seed: String,
                    s: &str,
                    v: Vec<impl Clone>,
                ) {}
            },
        );
        let expected = [
            "cannot be `async`",
            "cannot be `unsafe`",
            "cannot be generic",
            "not `&mut Run`",
            "`#[default]` on the `&Run` parameter",
            "at most one `&Run` parameter",
            "`seed` must have a primitive integer type",
            "parameter `s` cannot be a reference",
            "parameter `v` cannot have an `impl Trait` type",
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:?}");
        for (error, expected) in errors.iter().zip(expected) {
            assert!(
                error.contains(expected),
                "{error:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn reports_a_named_config_listed_twice() {
        let ctxt = Ctxt::new();
        let args =
            ExperimentArgs::parse(quote::quote!(named_configs(small, presets::small)), &ctxt);
        assert!(ctxt.check().is_ok(), "the attribute itself parses");
        let errors = errors(
            args,
            parse_quote!(
                fn main() {}
            ),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("named config `small` is listed twice"));
    }
}
