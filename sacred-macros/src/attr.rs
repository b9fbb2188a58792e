//! Phase 1: the attributes. The arguments of `#[experiment(…)]` and the attributes on
//! each parameter are read into typed values. A key given twice is caught by its [`Attr`]
//! slot; every mistake goes to the [`Ctxt`] and parsing carries on.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Meta, Path, Token};

use crate::ctxt::Ctxt;
use crate::source_text::compact;

/// A slot for one attribute key: the first value set is kept, a second one is an error
/// spanned on the repeated key.
pub(crate) struct Attr<'c, T> {
    ctxt: &'c Ctxt,
    duplicate: &'static str,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    /// An empty slot; `duplicate` is the message for a key given twice.
    pub(crate) fn none(ctxt: &'c Ctxt, duplicate: &'static str) -> Self {
        Self {
            ctxt,
            duplicate,
            value: None,
        }
    }

    /// Sets the value; `key` is the key's tokens, where a duplicate is reported.
    pub(crate) fn set<K: ToTokens>(&mut self, key: K, value: T) {
        if self.value.is_some() {
            self.ctxt.error_spanned_by(key, self.duplicate);
        } else {
            self.value = Some(value);
        }
    }

    /// The value, if one was set.
    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// The arguments of `#[experiment(…)]`.
#[derive(Debug, Default)]
pub(crate) struct ExperimentArgs {
    /// `name = "…"`: the experiment's name; `None` means the binary's name.
    pub(crate) name: Option<LitStr>,
    /// `config = Ident`: the name of the generated config struct.
    pub(crate) config: Option<Ident>,
    /// `named_configs(path, …)`: the functions marked `#[named_config]`.
    pub(crate) named_configs: Vec<Path>,
    /// `logging = "own"` (`true`) or `"sacred"` (`false`): whether the experiment sets up
    /// its own `tracing` subscriber or `log` logger; `None` means found by reading the code
    /// (see [`crate::own_logging`]).
    pub(crate) own_logging: Option<bool>,
}

/// The valid `#[experiment]` arguments, for diagnostics.
const EXPERIMENT_ARGS: &str =
    "expected `name = \"…\"`, `config = Ident`, `named_configs(path, …)` or `logging = \"own\"`";

impl ExperimentArgs {
    /// Reads the tokens inside `#[experiment(…)]`.
    pub(crate) fn parse(tokens: TokenStream, ctxt: &Ctxt) -> Self {
        let mut name = Attr::none(
            ctxt,
            "duplicate `#[experiment]` argument `name`; give the name once",
        );
        let mut config = Attr::none(
            ctxt,
            "duplicate `#[experiment]` argument `config`; give the struct's name once",
        );
        let mut named_configs = Attr::none(
            ctxt,
            "duplicate `#[experiment]` argument `named_configs`; list every named config in one `named_configs(…)`",
        );
        let mut own_logging = Attr::none(
            ctxt,
            "duplicate `#[experiment]` argument `logging`; give it once",
        );
        let parser = syn::meta::parser(|meta| {
            let key = meta.path.get_ident().map(Ident::to_string);
            match key.as_deref() {
                Some("name") => {
                    if let Some(lit) = parse_name(&meta, ctxt)? {
                        name.set(&meta.path, lit);
                    }
                }
                Some("config") => {
                    if let Some(ident) = parse_config(&meta, ctxt)? {
                        config.set(&meta.path, ident);
                    }
                }
                Some("named_configs") => {
                    if let Some(paths) = parse_named_configs(&meta, ctxt)? {
                        named_configs.set(&meta.path, paths);
                    }
                }
                Some("logging") => {
                    if let Some(own) = parse_logging(&meta, ctxt)? {
                        own_logging.set(&meta.path, own);
                    }
                }
                _ => {
                    ctxt.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown `#[experiment]` argument `{}`; {EXPERIMENT_ARGS}",
                            compact(&meta.path)
                        ),
                    );
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(err) = parser.parse2(tokens) {
            ctxt.syn_error(err);
        }
        Self {
            name: name.get(),
            config: config.get(),
            named_configs: named_configs.get().unwrap_or_default(),
            own_logging: own_logging.get(),
        }
    }
}

/// `name = "…"`.
fn parse_name(meta: &ParseNestedMeta<'_>, ctxt: &Ctxt) -> syn::Result<Option<LitStr>> {
    parse_string(
        meta,
        ctxt,
        "`#[experiment]` argument `name` takes a string, e.g. `name = \"my_experiment\"`",
    )
}

/// `logging = "own"` or `logging = "sacred"`: whether the experiment's own code sets up
/// logging.
fn parse_logging(meta: &ParseNestedMeta<'_>, ctxt: &Ctxt) -> syn::Result<Option<bool>> {
    const MSG: &str = "`#[experiment]` argument `logging` takes `\"own\"` (the experiment sets up its own `tracing` subscriber or `log` logger, e.g. `tracing_subscriber::fmt::init()`) or `\"sacred\"` (sacred installs its own)";
    let Some(lit) = parse_string(meta, ctxt, MSG)? else {
        return Ok(None);
    };
    match lit.value().as_str() {
        "own" => Ok(Some(true)),
        "sacred" => Ok(Some(false)),
        _ => {
            ctxt.error_spanned_by(lit, MSG);
            Ok(None)
        }
    }
}

/// `key = "…"`: the string; anything else is reported with `msg`.
fn parse_string(meta: &ParseNestedMeta<'_>, ctxt: &Ctxt, msg: &str) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(Token![=]) {
        ctxt.error_spanned_by(&meta.path, msg);
        skip_value(meta)?;
        return Ok(None);
    }
    match meta.value()?.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            ctxt.error_spanned_by(other, msg);
            Ok(None)
        }
    }
}

/// `config = Ident`.
fn parse_config(meta: &ParseNestedMeta<'_>, ctxt: &Ctxt) -> syn::Result<Option<Ident>> {
    const MSG: &str = "`#[experiment]` argument `config` takes the name of the struct to generate, e.g. `config = TrainConfig`";
    if !meta.input.peek(Token![=]) {
        ctxt.error_spanned_by(&meta.path, MSG);
        skip_value(meta)?;
        return Ok(None);
    }
    let value = meta.value()?.parse::<Expr>()?;
    if let Expr::Path(path) = &value
        && path.attrs.is_empty()
        && path.qself.is_none()
        && let Some(ident) = path.path.get_ident()
    {
        return Ok(Some(ident.clone()));
    }
    ctxt.error_spanned_by(value, MSG);
    Ok(None)
}

/// `named_configs(path, …)`.
pub(crate) fn parse_named_configs(
    meta: &ParseNestedMeta<'_>,
    ctxt: &Ctxt,
) -> syn::Result<Option<Vec<Path>>> {
    if !meta.input.peek(syn::token::Paren) {
        ctxt.error_spanned_by(
            &meta.path,
            "`#[experiment]` argument `named_configs` takes a list of `#[named_config]` functions, e.g. `named_configs(small, presets::fast)`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let paths =
        Punctuated::<Path, Token![,]>::parse_terminated_with(&content, Path::parse_mod_style)?;
    Ok(Some(paths.into_iter().collect()))
}

/// Consumes the value of an argument that was reported, so that parsing can go on.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// A parameter's `#[default(…)]`.
#[derive(Debug, Clone)]
pub(crate) struct DefaultAttr {
    /// The attribute's `default` path, where diagnostics about the attribute point.
    pub(crate) path: Path,
    /// The default value's expression.
    pub(crate) expr: Expr,
}

/// The attributes on one parameter.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParamAttrs {
    /// `#[default(…)]`.
    pub(crate) default: Option<DefaultAttr>,
    /// The `///` doc comments, as `#[doc = "…"]` attributes.
    pub(crate) docs: Vec<Attribute>,
}

/// The valid parameter attributes, for diagnostics.
const PARAM_ATTRS: &str = "expected `default` or a `///` doc comment";

impl ParamAttrs {
    /// Reads the attributes of one parameter.
    pub(crate) fn parse(attrs: &[Attribute], ctxt: &Ctxt) -> Self {
        let mut default = Attr::none(
            ctxt,
            "duplicate `#[default]` on this parameter; a parameter takes one default",
        );
        let mut docs = Vec::new();
        for attr in attrs {
            let path = attr.path();
            if path.is_ident("default") {
                if let Some(expr) = default_expr(attr, ctxt) {
                    let path = path.clone();
                    default.set(
                        &path,
                        DefaultAttr {
                            path: path.clone(),
                            expr,
                        },
                    );
                }
            } else if path.is_ident("doc") {
                if let Meta::NameValue(_) = &attr.meta {
                    docs.push(attr.clone());
                } else {
                    ctxt.error_spanned_by(
                        attr,
                        format!(
                            "unsupported `#[doc(…)]` on an experiment parameter; {PARAM_ATTRS}"
                        ),
                    );
                }
            } else {
                ctxt.error_spanned_by(
                    path,
                    format!(
                        "unknown attribute `{}` on an experiment parameter; {PARAM_ATTRS}",
                        compact(path)
                    ),
                );
            }
        }
        Self {
            default: default.get(),
            docs,
        }
    }
}

/// The expression of `#[default(expr)]`, or `None` after reporting a malformed one.
pub(crate) fn default_expr(attr: &Attribute, ctxt: &Ctxt) -> Option<Expr> {
    const MSG: &str = "`#[default]` takes its value in parentheses, e.g. `#[default(32)]`";
    match &attr.meta {
        Meta::List(list) if list.tokens.is_empty() => {
            ctxt.error_spanned_by(attr, MSG);
            None
        }
        Meta::List(_) => match attr.parse_args::<Expr>() {
            Ok(expr) => Some(expr),
            Err(err) => {
                ctxt.syn_error(err);
                None
            }
        },
        Meta::Path(_) | Meta::NameValue(_) => {
            ctxt.error_spanned_by(attr, MSG);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn messages(ctxt: Ctxt) -> Vec<String> {
        match ctxt.check() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn reads_every_experiment_argument() {
        let ctxt = Ctxt::new();
        let args = ExperimentArgs::parse(
            quote!(
                name = "quick",
                config = TrainConfig,
                named_configs(small, presets::fast)
            ),
            &ctxt,
        );
        assert!(messages(ctxt).is_empty());
        assert_eq!(args.name.map(|n| n.value()).as_deref(), Some("quick"));
        assert_eq!(
            args.config.map(|c| c.to_string()).as_deref(),
            Some("TrainConfig")
        );
        let paths: Vec<String> = args.named_configs.iter().map(compact).collect();
        assert_eq!(paths, ["small", "presets::fast"]);
    }

    #[test]
    fn no_arguments_is_fine() {
        let ctxt = Ctxt::new();
        let args = ExperimentArgs::parse(TokenStream::new(), &ctxt);
        assert!(messages(ctxt).is_empty());
        assert!(args.name.is_none() && args.config.is_none() && args.named_configs.is_empty());
    }

    #[test]
    fn collects_duplicates_and_unknown_arguments_together() {
        let ctxt = Ctxt::new();
        let args = ExperimentArgs::parse(
            quote!(
                name = "a",
                nmae = "b",
                name = "c",
                config = 3,
                named_configs = x
            ),
            &ctxt,
        );
        assert_eq!(args.name.map(|n| n.value()).as_deref(), Some("a"));
        let messages = messages(ctxt);
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("unknown `#[experiment]` argument `nmae`"));
        assert!(messages[1].starts_with("duplicate `#[experiment]` argument `name`"));
        assert!(messages[2].contains("`config` takes the name"));
        assert!(messages[3].contains("`named_configs` takes a list"));
    }

    #[test]
    fn reads_parameter_attributes() {
        let param: syn::FnArg = syn::parse_quote! {
            /// samples
            /// per step
            #[default(32)]
            batch_size: u32
        };
        let syn::FnArg::Typed(param) = param else {
            unreachable!("a typed parameter")
        };
        let ctxt = Ctxt::new();
        let attrs = ParamAttrs::parse(&param.attrs, &ctxt);
        assert!(messages(ctxt).is_empty());
        assert_eq!(attrs.docs.len(), 2);
        let expr = attrs.default.map(|d| compact(&d.expr));
        assert_eq!(expr.as_deref(), Some("32"));
    }

    #[test]
    fn reports_bad_parameter_attributes() {
        let param: syn::FnArg = syn::parse_quote! {
            #[default(1)] #[default(2)] #[defualt(3)] #[default] #[doc(hidden)] x: u32
        };
        let syn::FnArg::Typed(param) = param else {
            unreachable!("a typed parameter")
        };
        let ctxt = Ctxt::new();
        let attrs = ParamAttrs::parse(&param.attrs, &ctxt);
        let expr = attrs.default.map(|d| compact(&d.expr));
        assert_eq!(expr.as_deref(), Some("1"));
        let messages = messages(ctxt);
        assert_eq!(
            messages,
            [
                "duplicate `#[default]` on this parameter; a parameter takes one default",
                "unknown attribute `defualt` on an experiment parameter; expected `default` or a `///` doc comment",
                "`#[default]` takes its value in parentheses, e.g. `#[default(32)]`",
                "unsupported `#[doc(…)]` on an experiment parameter; expected `default` or a `///` doc comment",
            ]
        );
    }
}
