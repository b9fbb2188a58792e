//! The `#[experiment]` and `#[named_config]` attribute macros of `sacred`.
//!
//! Users reach them through the `sacred` facade (`use sacred::prelude::*;`). The
//! expansion names only `::sacred::__private::…`, `::core::…` and `::std::…`.
//!
//! Inside, each macro is a pipeline, one module per phase:
//! `attr` (read the attributes) → `model` (read the function) → `validate` → `expand`,
//! with `fallback` used instead of `expand` when something failed. Every phase reports to
//! one `ctxt::Ctxt`, so that all errors are shown together.

mod attr;
mod config_type;
mod crate_files;
mod ctxt;
mod docs;
mod expand;
mod fallback;
mod linked;
mod model;
mod named_config;
mod own_logging;
mod serde_names;
mod source_text;
#[cfg(test)]
mod test_dir;
mod validate;

use proc_macro::TokenStream;

/// Turns a function into an experiment.
///
/// ```no_run
/// use sacred::prelude::*;
/// use sacred::serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// #[serde(crate = "sacred::serde")]
/// struct Optimizer {
///     name: String,
///     lr: f64,
/// }
///
/// /// Smaller batches for a quick check.
/// #[named_config]
/// fn small() -> sacred::serde_json::Value {
///     sacred::serde_json::json!({"batch_size": 8})
/// }
///
/// /// A small training run.
/// #[experiment(name = "quick", config = TrainConfig, named_configs(small))]
/// fn main(
///     /// samples per step
///     #[default(32)]
///     batch_size: u32,
///     optimizer: Optimizer, // no default: a run must set it
///     run: &Run,            // optional, in any position
/// ) -> Result<f64, String> {
///     run.log_scalar("training.loss", 0.5);
///     Ok(optimizer.lr * f64::from(batch_size))
/// }
/// ```
///
/// `cargo run -- with optimizer.name=sgd optimizer.lr=0.1` runs it; `cargo run -- --help`
/// lists its commands, flags and config.
///
/// # Arguments
///
/// All optional:
/// - `name = "…"`: the experiment's name (default: the binary's name);
/// - `config = Ident`: the name of the generated config struct (default: `Config`);
/// - `named_configs(path, …)`: functions marked [`#[named_config]`](macro@named_config);
/// - `logging = "own"` or `logging = "sacred"`: whether the experiment sets up its own
///   `tracing` subscriber or `log` logger (`tracing_subscriber::fmt::init()`,
///   `env_logger::init()`, …). Each can be set once per process, so sacred installs its own
///   only when the experiment does not; with `"own"` the run records what the experiment's
///   logger prints. Without the argument, the macro looks for such a setup in the file
///   holding the experiment and the module files it declares (`mod x;`): the name of a
///   logging crate (`tracing_subscriber`, `env_logger`, `fern`, …) or of `tracing`'s
///   `set_global_default` or `log`'s `set_logger`, outside items marked `#[cfg(test)]` or
///   `#[test]`. Give the argument when the setup is elsewhere (a function of your library).
///
/// # Parameters
///
/// Every parameter is a config value, except one optional `&Run`, which receives the run
/// handle. A config parameter may carry `///` docs (its help text) and `#[default(expr)]`;
/// one without a default must be set by each run. A parameter named `seed` must have a
/// primitive integer type; without one, the config gets a `seed: u64`.
///
/// # Expansion
///
/// - a config struct, with the function's visibility, one field per config parameter
///   (plus `seed`), deriving `Serialize` and `Deserialize`, and its `…Partial` twin (every
///   field an `Option`) that a typed named config may return;
/// - `impl sacred::Experiment` for it: constant tables of names, types, docs, defaults
///   and named configs, and a `call` that runs the function;
/// - the function itself, with its parameter attributes removed; a function named `main`
///   is renamed, and a `fn main` that hands the struct to the runtime takes its place.
///   Any other function keeps its name, and the program calls `sacred::run_from` itself;
/// - `print!`, `println!`, `eprint!` and `eprintln!` macros that shadow std's for the rest
///   of the file (after the `#[experiment]` function): they print exactly as std's do, and
///   also feed the run's captured output under `-C sys`. Under the default `-C fd` they make
///   no difference.
///
/// A function that returns a `core::result::Result` (under any name: an alias,
/// `anyhow::Result`) fails the run with its `Err`, recording the error's chain of causes;
/// any other return value is recorded as the run's result. The runtime decides this by the
/// return type, not by its spelling.
#[proc_macro_attribute]
pub fn experiment(attr: TokenStream, item: TokenStream) -> TokenStream {
    experiment_tokens(attr.into(), item.into()).into()
}

/// Declares a named config: a set of config values that a run selects with `with NAME`.
///
/// ```
/// use sacred::prelude::*;
///
/// /// Smaller batches for a quick check.
/// #[named_config]
/// fn small() -> sacred::serde_json::Value {
///     sacred::serde_json::json!({"batch_size": 8})
/// }
///
/// #[experiment(config = Train, named_configs(small))]
/// fn train(#[default(32)] batch_size: u32) -> u32 {
///     batch_size
/// }
///
/// let env = sacred::Env::captured(std::env::temp_dir());
/// let outcome = sacred::run_from::<Train, _, _>(["train", "-u", "with", "small"], &env);
/// assert!(matches!(
///     outcome,
///     Ok(sacred::Outcome::Completed { result: Some(r), .. }) if r == 8
/// ));
/// ```
///
/// The function takes no parameters and returns any `Serialize` value; dotted keys reach
/// into nested values. List it in `#[experiment(named_configs(small))]`. The function is
/// kept as written; next to it the macro emits a hidden constant that the experiment's
/// tables refer to.
#[proc_macro_attribute]
pub fn named_config(attr: TokenStream, item: TokenStream) -> TokenStream {
    named_config::named_config(attr.into(), item.into()).into()
}

/// Makes a struct or an enum a config type: `--help` and `print_config` show each of its
/// fields with its type, doc and default, and the command line knows its enum variants.
///
/// ```
/// use sacred::prelude::*;
///
/// /// How the learning rate changes.
/// #[config]
/// #[derive(Debug, PartialEq)]
/// enum Schedule {
///     /// the same rate throughout
///     Constant,
///     /// a cosine decay after a warm-up
///     Cosine {
///         /// warm-up steps
///         #[default(5)]
///         warmup: u32,
///     },
/// }
///
/// #[experiment(config = Train)]
/// fn train(#[default(Schedule::Constant)] schedule: Schedule) -> String {
///     format!("{schedule:?}")
/// }
///
/// let env = sacred::Env::captured(std::env::temp_dir());
/// let outcome = sacred::run_from::<Train, _, _>(["train", "-u", "with", "schedule=Cosine"], &env);
/// assert!(matches!(
///     outcome,
///     Ok(sacred::Outcome::Completed { result: Some(r), .. }) if r == "Cosine { warmup: 5 }"
/// ));
/// ```
///
/// On a struct with named fields or an enum (no generic parameters). Fields may carry `///`
/// docs and `#[default(expr)]`; a variant written by its name alone (`schedule=Cosine`)
/// takes its fields' defaults. The type gets serde's `Serialize` and `Deserialize` through
/// the facade, unless it derives them itself. A struct also gets a `NamePartial` struct
/// (every field an `Option`, unset ones left out) for typed named configs.
#[proc_macro_attribute]
pub fn config(attr: TokenStream, item: TokenStream) -> TokenStream {
    config_type::config_type(config_type::Flavor::Config, attr.into(), item.into()).into()
}

/// Makes a struct an ingredient: a reusable section of config, used as a parameter of any
/// experiment (`data: Dataset`), with its own named configs (`with data.small`) and seed.
///
/// Everything [`#[config]`](macro@config) does, plus:
/// - `#[ingredient(named_configs(small, …))]` lists `#[named_config]` functions, selected
///   under the parameter's name (`with data.small`) and applied below it; they may return
///   the ingredient's `NamePartial`;
/// - a parameter of the type needs no `#[default]` when every field has one;
/// - a field `seed` that no layer sets is derived from the run's root seed as
///   `run.seed_for("data")` does, for the parameter `data`.
///
/// ```
/// use sacred::prelude::*;
///
/// /// Ten samples.
/// #[named_config]
/// fn small() -> DatasetPartial {
///     DatasetPartial { samples: Some(10), ..Default::default() }
/// }
///
/// /// Where the samples come from.
/// #[ingredient(named_configs(small))]
/// struct Dataset {
///     /// how many samples
///     #[default(1000)]
///     samples: u32,
///     /// derived from the root seed when not set
///     seed: u64,
/// }
///
/// #[experiment(config = Train)]
/// fn train(data: Dataset, run: &Run) -> bool {
///     data.samples == 10 && data.seed == run.seed_for("data")
/// }
///
/// let env = sacred::Env::captured(std::env::temp_dir());
/// let outcome = sacred::run_from::<Train, _, _>(["train", "-u", "with", "data.small"], &env);
/// assert!(matches!(
///     outcome,
///     Ok(sacred::Outcome::Completed { result: Some(r), .. }) if r == true
/// ));
/// ```
#[proc_macro_attribute]
pub fn ingredient(attr: TokenStream, item: TokenStream) -> TokenStream {
    config_type::config_type(config_type::Flavor::Ingredient, attr.into(), item.into()).into()
}

/// Parses the item an attribute goes on; when it is not what the attribute takes, the item
/// is kept as written, followed by an error that starts with `wanted`.
fn parse_item<T: syn::parse::Parse>(
    item: proc_macro2::TokenStream,
    wanted: &str,
) -> Result<T, proc_macro2::TokenStream> {
    syn::parse2(item.clone()).map_err(|err| {
        let err = syn::Error::new(err.span(), format!("{wanted}: {err}")).to_compile_error();
        quote::quote!(#item #err)
    })
}

/// The pipeline of `#[experiment]`.
fn experiment_tokens(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let func: syn::ItemFn = match parse_item(item, "`#[experiment]` goes on a free function") {
        Ok(func) => func,
        Err(kept) => return kept,
    };
    let ctxt = ctxt::Ctxt::new();
    let args = attr::ExperimentArgs::parse(args, &ctxt);
    let model = model::Experiment::from_ast(args, func, &ctxt);
    validate::check(&model, &ctxt);
    match ctxt.check() {
        Ok(()) => expand::experiment(&model),
        Err(err) => {
            let mut tokens = fallback::experiment(&model);
            tokens.extend(err.to_compile_error());
            tokens
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::experiment_tokens;

    #[test]
    fn a_valid_experiment_has_no_errors() {
        let out = experiment_tokens(
            quote!(),
            quote!(
                fn main(#[default(1)] a: u32) {}
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("__sacred_main"), "{out}");
    }

    #[test]
    fn errors_from_every_phase_are_reported_together() {
        let out = experiment_tokens(
            quote!(nmae = "x"),
            quote!(
                async fn main(#[defualt(1)] a: u32, seed: String) {}
            ),
        )
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(out.contains("struct Config { }"), "{out}");
    }

    #[test]
    fn an_item_that_is_not_a_function_is_kept_with_the_error() {
        let out = experiment_tokens(
            quote!(),
            quote!(
                struct S;
            ),
        )
        .to_string();
        assert!(out.starts_with("struct S ;"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
    }
}
