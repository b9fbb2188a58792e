//! Phase 2: the model. The experiment function is read into what the expansion needs:
//! one entry per parameter (a config parameter, the run handle, or one that has no place
//! in the config), the docs, the kind of return, and the function as it is re-emitted.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Attribute, FnArg, Ident, ItemFn, Pat, PatIdent, ReturnType, Token, Type, TypePath};

use crate::attr::{DefaultAttr, ExperimentArgs, ParamAttrs};
use crate::ctxt::Ctxt;
use crate::docs::doc_text;

/// What `#[experiment]` read from its arguments and its function.
#[derive(Debug)]
pub(crate) struct Experiment {
    /// The arguments of `#[experiment(…)]`.
    pub(crate) args: ExperimentArgs,
    /// The function's name as written.
    pub(crate) ident: Ident,
    /// The function's doc comment: the experiment's description.
    pub(crate) description: String,
    /// The parameters, in order.
    pub(crate) inputs: Vec<Input>,
    /// What the function returns.
    pub(crate) output: Output,
    /// The function as it is re-emitted: parameter attributes stripped, and renamed to
    /// `__sacred_main` when it is `main`.
    pub(crate) func: ItemFn,
}

/// One parameter of the experiment function.
#[derive(Debug)]
pub(crate) enum Input {
    /// A config parameter: a field of the config struct.
    Config(Param),
    /// The run handle, `&Run` (or, wrongly, `&mut Run`).
    Run(RunParam),
    /// A `self` receiver or a pattern: already reported, no place in the config.
    Invalid,
}

/// A config parameter.
#[derive(Debug)]
pub(crate) struct Param {
    /// The parameter's name: the field's name and the config key.
    pub(crate) ident: Ident,
    /// The parameter's type.
    pub(crate) ty: Type,
    /// The text of its doc comment.
    pub(crate) doc: String,
    /// Its doc comment as attributes, carried to the field.
    pub(crate) doc_attrs: Vec<Attribute>,
    /// Its `#[default(…)]`.
    pub(crate) default: Option<DefaultAttr>,
}

/// The run handle parameter.
#[derive(Debug)]
pub(crate) struct RunParam {
    /// Its type: `&Run`.
    pub(crate) ty: Type,
    /// The `mut` of `&mut Run`, an error.
    pub(crate) mutability: Option<Token![mut]>,
    /// A `#[default(…)]` on it, an error.
    pub(crate) default: Option<DefaultAttr>,
}

/// What the experiment function returns.
#[derive(Debug)]
pub(crate) enum Output {
    /// Nothing, or `()`.
    Unit,
    /// Any other type: the runtime decides by its type whether it is a `Result` whose
    /// `Err` fails the run, or the run's result (never by how the type is spelled).
    Value(Box<Type>),
}

/// The primitive integer types a `seed` parameter may have.
const INTEGER_TYPES: [&str; 12] = [
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

impl Experiment {
    /// Reads the function; what cannot be read is reported to `ctxt`.
    pub(crate) fn from_ast(args: ExperimentArgs, mut func: ItemFn, ctxt: &Ctxt) -> Self {
        let ident = func.sig.ident.clone();
        let description = doc_text(&func.attrs);
        let inputs = func
            .sig
            .inputs
            .iter_mut()
            .map(|input| Input::from_ast(input, ctxt))
            .collect();
        let output = Output::from_ast(&func.sig.output);
        if ident == "main" {
            func.sig.ident = Ident::new("__sacred_main", ident.span());
        }
        Self {
            args,
            ident,
            description,
            inputs,
            output,
            func,
        }
    }

    /// Whether the function is the program's `main`.
    pub(crate) fn is_main(&self) -> bool {
        self.ident == "main"
    }

    /// The name of the config struct.
    pub(crate) fn config_ident(&self) -> Ident {
        match &self.args.config {
            Some(ident) => ident.clone(),
            None => Ident::new("Config", Span::call_site()),
        }
    }

    /// The config parameters, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = &Param> {
        self.inputs.iter().filter_map(|input| match input {
            Input::Config(param) => Some(param),
            Input::Run(_) | Input::Invalid => None,
        })
    }

    /// The user's own `seed` parameter, if there is one.
    pub(crate) fn user_seed(&self) -> Option<&Param> {
        self.params().find(|param| param.ident == "seed")
    }
}

impl Input {
    /// Reads one parameter and strips its attributes (rustc rejects them on parameters).
    fn from_ast(input: &mut FnArg, ctxt: &Ctxt) -> Self {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                ctxt.error_spanned_by(
                    &*receiver,
                    "`#[experiment]` goes on a free function, so a `self` receiver is not allowed; expected `name: Type` parameters and at most one `run: &Run`",
                );
                return Self::Invalid;
            }
            FnArg::Typed(typed) => typed,
        };
        let attrs = ParamAttrs::parse(&typed.attrs, ctxt);
        typed.attrs.clear();
        if let Some(mutability) = run_reference(&typed.ty) {
            return Self::Run(RunParam {
                ty: (*typed.ty).clone(),
                mutability,
                default: attrs.default,
            });
        }
        match &*typed.pat {
            Pat::Ident(PatIdent {
                ident,
                subpat: None,
                ..
            }) => Self::Config(Param {
                ident: ident.clone(),
                ty: (*typed.ty).clone(),
                doc: doc_text(&attrs.docs),
                doc_attrs: attrs.docs,
                default: attrs.default,
            }),
            pat => {
                ctxt.error_spanned_by(
                    pat,
                    "`#[experiment]` parameters are config keys, so each needs a plain name, not a pattern; expected e.g. `pair: (u32, u32)` and destructuring in the body",
                );
                Self::Invalid
            }
        }
    }
}

impl Output {
    fn from_ast(output: &ReturnType) -> Self {
        let ReturnType::Type(_, ty) = output else {
            return Self::Unit;
        };
        match strip_parens(ty) {
            Type::Tuple(tuple) if tuple.elems.is_empty() => Self::Unit,
            _ => Self::Value(ty.clone()),
        }
    }
}

impl Param {
    /// The primitive integer type of this parameter, by name (`u32`), if it has one.
    pub(crate) fn integer_type(&self) -> Option<&'static str> {
        let Type::Path(TypePath { qself: None, path }) = strip_parens(&self.ty) else {
            return None;
        };
        let ident = path.get_ident()?;
        INTEGER_TYPES.into_iter().find(|name| ident == name)
    }

    /// The config key: the name without `r#`.
    pub(crate) fn key(&self) -> String {
        self.ident.unraw().to_string()
    }
}

/// `Some(mutability)` when `ty` is `&Run` or `&mut Run` (any path ending in `Run`).
fn run_reference(ty: &Type) -> Option<Option<Token![mut]>> {
    let Type::Reference(reference) = strip_parens(ty) else {
        return None;
    };
    let Type::Path(TypePath { qself: None, path }) = strip_parens(&reference.elem) else {
        return None;
    };
    let last = path.segments.last()?;
    (last.ident == "Run" && last.arguments.is_none()).then_some(reference.mutability)
}

/// `ty` without surrounding parentheses or invisible groups.
pub(crate) fn strip_parens(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Paren(paren) => ty = &paren.elem,
            Type::Group(group) => ty = &group.elem,
            _ => return ty,
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::source_text::compact;

    fn model(args: ExperimentArgs, func: ItemFn) -> (Experiment, Vec<String>) {
        let ctxt = Ctxt::new();
        let model = Experiment::from_ast(args, func, &ctxt);
        let errors = match ctxt.check() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        };
        (model, errors)
    }

    #[test]
    fn reads_params_docs_defaults_and_the_run_position() {
        let (model, errors) = model(
            ExperimentArgs::default(),
            parse_quote! {
                /// A small training run.
                ///
                /// Second paragraph.
                fn main(
                    /// samples per step
                    #[default(32)]
                    batch_size: u32,
                    run: &Run,
                    /// learning rate
                    #[default(0.001)]
                    lr: f64,
                    weights: Vec<f64>,
                ) -> Result<f64, String> {
                    Ok(lr)
                }
            },
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert!(model.is_main());
        assert_eq!(
            model.description,
            "A small training run.\n\nSecond paragraph."
        );
        assert_eq!(model.func.sig.ident, "__sacred_main");
        assert_eq!(model.config_ident(), "Config");
        let kinds: Vec<&str> = model
            .inputs
            .iter()
            .map(|input| match input {
                Input::Config(_) => "config",
                Input::Run(_) => "run",
                Input::Invalid => "invalid",
            })
            .collect();
        assert_eq!(kinds, ["config", "run", "config", "config"]);
        let params: Vec<(String, String, String, Option<String>)> = model
            .params()
            .map(|p| {
                (
                    p.key(),
                    compact(&p.ty),
                    p.doc.clone(),
                    p.default.as_ref().map(|d| compact(&d.expr)),
                )
            })
            .collect();
        assert_eq!(
            params,
            [
                (
                    "batch_size".into(),
                    "u32".into(),
                    "samples per step".into(),
                    Some("32".into())
                ),
                (
                    "lr".into(),
                    "f64".into(),
                    "learning rate".into(),
                    Some("0.001".into())
                ),
                ("weights".into(), "Vec<f64>".into(), String::new(), None),
            ]
        );
        assert!(matches!(model.output, Output::Value(_)));
        assert!(model.user_seed().is_none());
    }

    #[test]
    fn strips_parameter_attributes_from_the_emitted_function() {
        let (model, _) = model(
            ExperimentArgs::default(),
            parse_quote! {
                #[inline]
                fn train(/// doc
                    #[default(1)] a: u32, #[defualt(2)] b: u32) {}
            },
        );
        assert!(!model.is_main());
        assert_eq!(model.func.sig.ident, "train");
        assert_eq!(model.func.attrs.len(), 1);
        for input in &model.func.sig.inputs {
            let FnArg::Typed(typed) = input else {
                unreachable!("typed parameters")
            };
            assert!(typed.attrs.is_empty());
        }
    }

    #[test]
    fn collects_every_error() {
        let (model, errors) = model(
            ExperimentArgs::default(),
            parse_quote! {
                fn main(&self, (a, b): (u32, u32), #[defualt(3)] c: u32, #[default(1)] #[default(2)] d: u32) {}
            },
        );
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("`self` receiver"));
        assert!(errors[1].contains("not a pattern"));
        assert!(errors[2].starts_with("unknown attribute `defualt`"));
        assert!(errors[3].starts_with("duplicate `#[default]`"));
        let configs = model.params().count();
        assert_eq!(configs, 2);
        assert!(matches!(model.output, Output::Unit));
    }

    #[test]
    fn recognises_the_run_handle_and_a_user_seed() {
        let (model, errors) = model(
            ExperimentArgs::default(),
            parse_quote! {
                fn f(r: &sacred::Run, r2: &mut Run, seed: u32, other: &Runner) -> u64 { 0 }
            },
        );
        assert!(errors.is_empty());
        assert!(matches!(&model.inputs[0], Input::Run(run) if run.mutability.is_none()));
        assert!(matches!(&model.inputs[1], Input::Run(run) if run.mutability.is_some()));
        assert!(matches!(&model.inputs[3], Input::Config(_)));
        assert_eq!(model.user_seed().and_then(Param::integer_type), Some("u32"));
        assert!(matches!(model.output, Output::Value(_)));
    }

    #[test]
    fn keys_drop_the_raw_prefix() {
        let (model, _) = model(
            ExperimentArgs::default(),
            parse_quote!(
                fn f(r#type: String) {}
            ),
        );
        let keys: Vec<String> = model.params().map(Param::key).collect();
        assert_eq!(keys, ["type"]);
    }
}
