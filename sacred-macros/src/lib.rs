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
mod crate_files;
mod ctxt;
mod docs;
mod expand;
mod fallback;
mod linked;
mod model;
mod named_config;
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
/// - `named_configs(path, …)`: functions marked [`#[named_config]`](macro@named_config).
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
///   (plus `seed`), deriving `Serialize` and `Deserialize`;
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

/// The pipeline of `#[experiment]`.
fn experiment_tokens(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => {
            let err = syn::Error::new(
                err.span(),
                format!("`#[experiment]` goes on a free function: {err}"),
            )
            .to_compile_error();
            return quote::quote!(#item #err);
        }
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
