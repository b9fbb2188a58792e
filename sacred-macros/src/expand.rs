//! Phase 4: the expansion of a valid experiment: the user's function, the config struct,
//! its `Experiment` impl made of constant tables, and, for `main`, a one-line `main`.

use proc_macro2::TokenStream;
use quote::{ToTokens as _, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, Path};

use crate::crate_files::CrateFiles;
use crate::linked::Graph;
use crate::model::{Experiment, Input, Output, Param};
use crate::source_text::compact;

/// The whole expansion of a model that passed validation.
pub(crate) fn experiment(model: &Experiment) -> TokenStream {
    let func = &model.func;
    let config = model.config_ident();
    let config_struct = config_struct(model, &config);
    let info = info(model);
    let defaults = defaults(model);
    let call = call(model);
    let main = main(model, &config);
    let print_macros = print_macros();
    // An experiment takes its whole config as parameters: many arguments is the design.
    quote! {
        #print_macros

        #[allow(clippy::too_many_arguments)]
        #func

        #config_struct

        #[automatically_derived]
        impl ::sacred::__private::Experiment for #config {
            #info
            #defaults
            #call
        }

        #main
    }
}

/// The doc comment of the config struct.
pub(crate) fn struct_doc(description: &str) -> String {
    if description.is_empty() {
        "Configuration of the experiment.".to_owned()
    } else {
        format!("Configuration of the experiment: {description}")
    }
}

/// The derives every config struct carries.
pub(crate) fn serde_derives() -> TokenStream {
    quote! {
        #[derive(::sacred::__private::serde::Serialize, ::sacred::__private::serde::Deserialize)]
        #[serde(crate = "::sacred::__private::serde")]
    }
}

/// `fn main() { ::sacred::__private::main::<Config>() }`, when the function is `main`.
pub(crate) fn main(model: &Experiment, config: &Ident) -> TokenStream {
    if !model.is_main() {
        return TokenStream::new();
    }
    quote! {
        fn main() {
            ::sacred::__private::main::<#config>()
        }
    }
}

fn config_struct(model: &Experiment, config: &Ident) -> TokenStream {
    let vis = &model.func.vis;
    let doc = struct_doc(&model.description);
    let derives = serde_derives();
    let fields = model.params().map(|param| {
        let Param {
            ident,
            ty,
            doc_attrs,
            ..
        } = param;
        quote!(#(#doc_attrs)* #ident: #ty,)
    });
    let seed = if model.user_seed().is_none() {
        quote! {
            #[doc = " The run's root seed: every random number of the run derives from it."]
            seed: ::core::primitive::u64,
        }
    } else {
        TokenStream::new()
    };
    let partial_fields: Vec<syn::Field> = model
        .params()
        .map(|param| {
            let Param {
                ident,
                ty,
                doc_attrs,
                ..
            } = param;
            // Private, as the config struct's fields: the named configs that fill them live
            // beside the experiment.
            syn::parse_quote!(#(#doc_attrs)* #ident: #ty)
        })
        .collect();
    let partial = crate::config_type::partial(vis, config, None, partial_fields.iter());
    quote! {
        #[doc = #doc]
        #derives
        #vis struct #config {
            #(#fields)*
            #seed
        }

        #partial
    }
}

fn info(model: &Experiment) -> TokenStream {
    let name = match &model.args.name {
        Some(name) => quote!(::core::option::Option::Some(#name)),
        None => quote!(::core::option::Option::None),
    };
    let description = &model.description;
    let params = model.params().map(|param| {
        let name = param.key();
        let ty = compact(&param.ty);
        let doc = &param.doc;
        let has_default = param.default.is_some();
        let nested = crate::config_type::pick(&param.ty);
        quote! {
            ::sacred::__private::Param {
                name: #name,
                ty: #ty,
                doc: #doc,
                has_default: #has_default,
                nested: #nested,
            }
        }
    });
    let named_configs = model.args.named_configs.iter().map(named_config_const);
    let seed_max = seed_max(model);
    let build = build_info();
    let why = match model.args.own_logging {
        Some(true) => Some("`#[experiment(logging = \"own\")]`".to_owned()),
        Some(false) => None,
        None => crate::own_logging::detect(&model.func.to_token_stream()),
    };
    let own_logging = match why {
        Some(why) => quote!(::core::option::Option::Some(#why)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        const INFO: ::sacred::__private::ExperimentInfo = ::sacred::__private::ExperimentInfo {
            name: #name,
            description: #description,
            params: &[#(#params),*],
            named_configs: &[#(#named_configs),*],
            seed_max: #seed_max,
            own_logging: #own_logging,
            build: #build,
        };
    }
}

/// `print!`, `println!`, `eprint!` and `eprintln!` for the code that follows in this file
/// (the experiment function first of all): they write where the standard macros write, and
/// also into the run's captured output under `-C sys`, which cannot see the process's file
/// descriptors. Under `-C fd` (the default) everything written to them is captured anyway.
fn print_macros() -> TokenStream {
    quote! {
        #[allow(unused_macros)]
        macro_rules! print {
            ($($arg:tt)*) => { ::sacred::__private::print(::core::format_args!($($arg)*)) };
        }
        #[allow(unused_macros)]
        macro_rules! println {
            () => { ::sacred::__private::print(::core::format_args!("\n")) };
            ($($arg:tt)*) => { ::sacred::__private::println(::core::format_args!($($arg)*)) };
        }
        #[allow(unused_macros)]
        macro_rules! eprint {
            ($($arg:tt)*) => { ::sacred::__private::eprint(::core::format_args!($($arg)*)) };
        }
        #[allow(unused_macros)]
        macro_rules! eprintln {
            () => { ::sacred::__private::eprint(::core::format_args!("\n")) };
            ($($arg:tt)*) => { ::sacred::__private::eprintln(::core::format_args!($($arg)*)) };
        }
    }
}

/// What the binary is built from: the crate's identity and directory, the main file, the
/// crate's sources and its `Cargo.lock`, embedded (see [`crate::crate_files`]).
pub(crate) fn build_info() -> TokenStream {
    build_info_of(&CrateFiles::of_current_crate())
}

/// [`build_info`] for the given files.
fn build_info_of(files: &CrateFiles) -> TokenStream {
    let sources = files.sources.iter().map(|source| {
        let path = &source.relative;
        let absolute = &source.absolute;
        quote! {
            ::sacred::__private::SourceFile {
                path: #path,
                content: ::core::include_bytes!(#absolute),
            }
        }
    });
    let dependencies = dependency_graph(files.graph.as_ref(), files.lockfile.as_deref());
    quote! {
        ::sacred::__private::BuildInfo {
            package: ::core::env!("CARGO_PKG_NAME"),
            version: ::core::env!("CARGO_PKG_VERSION"),
            manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
            main_file: ::core::file!(),
            sources: &[#(#sources),*],
            dependencies: #dependencies,
        }
    }
}

/// The dependency graph as a constant: `cfg!(…)` decides each declaration for some
/// targets, and each of the experiment's features, for the build being compiled. The lockfile and the path packages' manifests it was read from
/// are included (and dropped) so that cargo rebuilds the crate when one changes.
fn dependency_graph(graph: Option<&Graph>, lockfile: Option<&str>) -> TokenStream {
    let Some(graph) = graph else {
        let tracked = lockfile.map(|path| {
            quote!(
                const _: &str = ::core::include_str!(#path);
            )
        });
        return quote!({
            #tracked
            ::sacred::__private::DependencyGraph::EMPTY
        });
    };
    let packages = graph.packages.iter().map(|package| {
        let (name, version) = (&package.name, &package.version);
        let features = package
            .features
            .iter()
            .map(|(feature, items)| quote!((#feature, &[#(#items),*])));
        let deps = package.deps.iter().map(|dep| {
            let key = &dep.key;
            let to = u32::try_from(dep.to).unwrap_or(u32::MAX);
            let on = dep.cond.tokens();
            let (optional, default_features) = (dep.optional, dep.default_features);
            let features = &dep.features;
            quote! {
                ::sacred::__private::DependencyDecl {
                    key: #key,
                    to: #to,
                    on: #on,
                    optional: #optional,
                    default_features: #default_features,
                    features: &[#(#features),*],
                }
            }
        });
        quote! {
            ::sacred::__private::GraphPackage {
                name: #name,
                version: #version,
                features: &[#(#features),*],
                deps: &[#(#deps),*],
            }
        }
    });
    let root_features = graph
        .root_features
        .iter()
        .map(|feature| quote!((#feature, ::core::cfg!(feature = #feature))));
    let tracked = lockfile
        .into_iter()
        .chain(graph.tracked.iter().map(String::as_str));
    quote!({
        #(const _: &[u8] = ::core::include_bytes!(#tracked);)*
        // A manifest's `cfg(…)` may name configurations this crate does not declare.
        #[allow(unexpected_cfgs)]
        const GRAPH: ::sacred::__private::DependencyGraph =
            ::sacred::__private::DependencyGraph {
                packages: &[#(#packages),*],
                root_features: &[#(#root_features),*],
            };
        GRAPH
    })
}

/// The path of the constant that `#[named_config]` emitted for the function at `path`:
/// the last segment becomes `__sacred_named_config_<last>`, spanned on the user's name.
pub(crate) fn named_config_const(path: &Path) -> Path {
    let mut path = path.clone();
    if let Some(last) = path.segments.last_mut() {
        last.ident = named_config_ident(&last.ident);
    }
    path
}

/// `__sacred_named_config_<name>`, spanned on `name`.
pub(crate) fn named_config_ident(name: &Ident) -> Ident {
    format_ident!("__sacred_named_config_{}", name.unraw(), span = name.span())
}

/// The largest seed the `seed` field holds, as a `u64`.
fn seed_max(model: &Experiment) -> TokenStream {
    let integer = model.user_seed().and_then(Param::integer_type);
    match integer {
        None | Some("u64" | "u128" | "i128") => quote!(::core::primitive::u64::MAX),
        Some(name @ ("usize" | "isize")) => {
            let ty = Ident::new(name, proc_macro2::Span::call_site());
            quote! {
                if ::core::primitive::#ty::BITS > 64 {
                    ::core::primitive::u64::MAX
                } else {
                    ::core::primitive::#ty::MAX as ::core::primitive::u64
                }
            }
        }
        Some(name) => {
            let ty = Ident::new(name, proc_macro2::Span::call_site());
            quote!(::core::primitive::#ty::MAX as ::core::primitive::u64)
        }
    }
}

fn defaults(model: &Experiment) -> TokenStream {
    let defaults = model.params().filter_map(|param| {
        let default = param.default.as_ref()?;
        let name = param.key();
        let ty = &param.ty;
        let expr = &default.expr;
        // Spanned on the user's expression: a default of the wrong type is a type error
        // there.
        Some(quote_spanned! {expr.span()=>
            ::sacred::__private::DefaultValue::new::<#ty>(#name, #expr)
        })
    });
    quote! {
        fn defaults() -> ::std::vec::Vec<::sacred::__private::DefaultValue> {
            ::std::vec![#(#defaults),*]
        }
    }
}

fn call(model: &Experiment) -> TokenStream {
    let fields = model.params().enumerate().map(|(i, param)| {
        let ident = &param.ident;
        let binding = format_ident!("__sacred_arg_{}", i);
        quote!(#ident: #binding)
    });
    let mut config_index = 0_usize;
    let args = model.inputs.iter().filter_map(|input| match input {
        Input::Run(_) => Some(quote!(__sacred_run)),
        Input::Config(_) => {
            let binding = format_ident!("__sacred_arg_{}", config_index);
            config_index += 1;
            Some(quote!(#binding))
        }
        // Never in a model that passed validation.
        Input::Invalid => None,
    });
    let func = &model.func.sig.ident;
    let call = quote!(#func(#(#args),*));
    let outcome = match &model.output {
        Output::Unit => quote! {
            #call;
            ::sacred::__private::FunctionOutcome::Returned(::core::option::Option::None)
        },
        // The runtime tells a `Result` (whatever its name) from a plain value by its type
        // (`sacred_core::outcome`). The conversion is spanned on the return type: a result
        // that does not serialise, or an error that does not display, is an error there.
        Output::Value(ty) => {
            let convert = quote_spanned! {ty.span()=>
                #[allow(unused_imports)]
                use ::sacred::__private::outcome::{
                    DisplayPick as _, DynErrorPick as _, ResultKindPick as _, StdErrorPick as _,
                    SyncDynErrorPick as _, ValueKindPick as _,
                };
                match (&&::sacred::__private::outcome::Returned(&__sacred_ret))
                    .sacred_return_kind()
                    .split(__sacred_ret)
                {
                    ::core::result::Result::Ok(__sacred_outcome) => __sacred_outcome,
                    ::core::result::Result::Err(__sacred_err) => {
                        ::sacred::__private::FunctionOutcome::Failed(
                            (&&&&::sacred::__private::outcome::ErrorRef(&__sacred_err))
                                .sacred_error_kind()
                                .failure(&__sacred_err),
                        )
                    }
                }
            };
            quote!(let __sacred_ret = #call; #convert)
        }
    };
    quote! {
        fn call(
            self,
            __sacred_run: &::sacred::__private::Run,
        ) -> ::sacred::__private::FunctionOutcome {
            let Self { #(#fields,)* .. } = self;
            #outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::attr::ExperimentArgs;
    use crate::ctxt::Ctxt;
    use crate::source_text::squash;

    fn expand(args: TokenStream, func: syn::ItemFn) -> String {
        let ctxt = Ctxt::new();
        let args = ExperimentArgs::parse(args, &ctxt);
        let model = Experiment::from_ast(args, func, &ctxt);
        assert!(ctxt.check().is_ok(), "a valid experiment");
        squash(&experiment(&model).to_string())
    }

    #[test]
    fn own_logging_is_found_in_the_function_or_given() {
        let setup: syn::ItemFn = parse_quote! {
            fn main() { tracing_subscriber::fmt::init(); }
        };
        let plain: syn::ItemFn = parse_quote! {
            fn main() { tracing::info!("x"); }
        };
        for (args, func, own) in [
            (
                quote!(),
                setup.clone(),
                "Some(\"`tracing_subscriber` in the experiment function\")",
            ),
            (quote!(), plain.clone(), "None"),
            (quote!(logging = "sacred"), setup, "None"),
            (
                quote!(logging = "own"),
                plain,
                "Some(\"`#[experiment(logging = \\\"own\\\")]`\")",
            ),
        ] {
            let out = expand(args.clone(), func);
            let needle = squash(&format!("own_logging: ::core::option::Option::{own},"));
            assert!(out.contains(&needle), "{args}: {needle}");
        }
    }

    #[test]
    fn tables_follow_the_parameters() {
        let out = expand(
            quote!(name = "quick", named_configs(small, presets::fast)),
            parse_quote! {
                /// A run.
                fn main(/// samples
                    #[default(32)] batch_size: u32, run: &Run, w: Vec<f64>) -> Result<f64, String> { Ok(1.0) }
            },
        );
        for expected in [
            "fn __sacred_main(batch_size: u32, run: &Run, w: Vec<f64>) -> Result<f64, String>",
            "#[doc = \"Configuration of the experiment: A run.\"]",
            "struct Config {#[doc = r\" samples\"] batch_size: u32, w: Vec<f64>, #[doc = \" The run's root seed: every random number of the run derives from it.\"] seed: ::core::primitive::u64, }",
            "name: ::core::option::Option::Some(\"quick\")",
            "name: \"batch_size\", ty: \"u32\", doc: \"samples\", has_default: true",
            "name: \"w\", ty: \"Vec<f64>\", doc: \"\", has_default: false",
            "named_configs: &[__sacred_named_config_small, presets::__sacred_named_config_fast]",
            "seed_max: ::core::primitive::u64::MAX",
            "::std::vec![::sacred::__private::DefaultValue::new::<u32>(\"batch_size\", 32)]",
            "let Self {batch_size: __sacred_arg_0, w: __sacred_arg_1, ..} = self;",
            "let __sacred_ret = __sacred_main(__sacred_arg_0, __sacred_run, __sacred_arg_1);",
            "match (&&::sacred::__private::outcome::Returned(&__sacred_ret)).sacred_return_kind().split(__sacred_ret)",
            "fn main() {::sacred::__private::main::<Config>()}",
            "struct ConfigPartial {#[doc = r\" samples\"] #[serde(rename = \"batch_size\", skip_serializing_if = \"::core::option::Option::is_none\")] batch_size: ::core::option::Option<u32>,",
            "nested: || {#[allow(unused_imports)] use ::sacred::__private::{PickConfig as _, PickValue as _}; (&::sacred::__private::Pick::<u32>::NEW).sacred_config_type()}",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
    }

    #[test]
    fn a_user_seed_is_an_ordinary_field() {
        let out = expand(
            quote!(config = Cfg),
            parse_quote!(
                pub fn train(#[default(7)] seed: u32) -> u64 {
                    1
                }
            ),
        );
        assert!(
            out.contains(&squash("pub struct Cfg {seed: u32, }")),
            "{out}"
        );
        assert!(
            out.contains(&squash("name: \"seed\", ty: \"u32\"")),
            "{out}"
        );
        assert!(
            out.contains(&squash(
                "seed_max: ::core::primitive::u32::MAX as ::core::primitive::u64"
            )),
            "{out}"
        );
        assert!(
            out.contains(&squash("let __sacred_ret = train(__sacred_arg_0);")),
            "{out}"
        );
        assert!(!out.contains(&squash("fn main")), "{out}");
    }

    #[test]
    fn build_info_embeds_the_sources_and_the_lockfile() {
        use crate::crate_files::SourcePath;

        let files = CrateFiles {
            sources: vec![
                SourcePath {
                    relative: "examples/demo.rs".into(),
                    absolute: "/ws/examples/demo.rs".into(),
                },
                SourcePath {
                    relative: "src/lib.rs".into(),
                    absolute: "/ws/src/lib.rs".into(),
                },
            ],
            lockfile: Some("/ws/Cargo.lock".into()),
            graph: None,
        };
        let out = squash(&build_info_of(&files).to_string());
        for expected in [
            "sources: &[::sacred::__private::SourceFile {path: \"examples/demo.rs\", content: ::core::include_bytes!(\"/ws/examples/demo.rs\"), }, ::sacred::__private::SourceFile {path: \"src/lib.rs\", content: ::core::include_bytes!(\"/ws/src/lib.rs\"), }]",
            "dependencies: {const _: &str = ::core::include_str!(\"/ws/Cargo.lock\"); ::sacred::__private::DependencyGraph::EMPTY}",
            "main_file: ::core::file!()",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
        let out = squash(&build_info_of(&CrateFiles::default()).to_string());
        assert!(
            out.contains(&squash(
                "sources: &[], dependencies: {::sacred::__private::DependencyGraph::EMPTY}"
            )),
            "{out}"
        );
    }

    #[test]
    fn a_unit_function_returns_nothing() {
        let out = expand(
            TokenStream::new(),
            parse_quote!(
                fn main() {}
            ),
        );
        assert!(out.contains(&squash("__sacred_main(); ::sacred::__private::FunctionOutcome::Returned(::core::option::Option::None)")), "{out}");
        assert!(out.contains(&squash("description: \"\"")), "{out}");
        assert!(
            out.contains(&squash("#[doc = \"Configuration of the experiment.\"]")),
            "{out}"
        );
    }
}
