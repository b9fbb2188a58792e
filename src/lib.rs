//! # sacred
//!
//! Experiments that are reproducible and inspectable: put `#[experiment]` on a function and
//! get a typed config, Sacred's command line, seeds that make reruns bit-identical, and a
//! run record.
//!
//! ```no_run
//! use sacred::prelude::*;
//!
//! /// A small training run.
//! #[experiment]
//! fn main(
//!     /// samples per step
//!     #[default(32)]
//!     batch_size: u32,
//!     /// learning rate
//!     #[default(0.001)]
//!     lr: f64,
//!     run: &Run,
//! ) -> f64 {
//!     run.log_scalar("training.loss", 0.5);
//!     lr * f64::from(batch_size)
//! }
//! ```
//!
//! The crate re-exports the runtime of `sacred-core` and the macros of `sacred-macros`;
//! `serde` and `rand` are re-exported so an experiment needs no dependency of its own.

pub use rand;
pub use sacred_core::{
    ArtifactOptions, ConfigError, ConfigSource, Env, Error, Experiment, ExperimentInfo, Failure,
    Metric, Outcome, Progress, Run, SacredLayer, SeededRng, logging, observer, runs, seed, time,
    tracing_layer,
};
#[cfg(feature = "mongo")]
pub use sacred_mongo as mongo;

/// Runs the command that `args` describe (`args[0]` is the program name) in `env`, as the
/// generated `main` does but returning instead of exiting: for tests and for programs that
/// drive experiments themselves.
///
/// ```
/// use sacred::prelude::*;
/// use sacred::{Env, Outcome};
///
/// /// Doubles the learning rate.
/// #[experiment(config = Train)]
/// fn train(#[default(0.1)] lr: f64, run: &Run) -> f64 {
///     run.log_scalar("lr", lr);
///     lr * 2.0
/// }
///
/// let dir = std::env::temp_dir();
/// let env = Env::captured(&dir);
/// let outcome = sacred::run_from::<Train, _, _>(["train", "-u", "with", "lr=0.5"], &env);
/// match outcome {
///     Ok(Outcome::Completed { result: Some(result), config }) => {
///         assert_eq!(result, 1.0);
///         assert_eq!(config["lr"], 0.5);
///     }
///     other => panic!("{other:?}"),
/// }
/// // Bad input is an error with exit code 2, and nothing runs.
/// let error = sacred::run_from::<Train, _, _>(["train", "with", "lr=fast"], &env).unwrap_err();
/// assert_eq!(error.exit_code(), 2);
/// ```
///
/// # Errors
/// Bad input (usage, config, config file: [`Error::exit_code`] 2) and failures to write
/// what a command writes.
pub fn run_from<E, I, S>(args: I, env: &Env) -> Result<Outcome, Error>
where
    E: Experiment,
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    sacred_core::run_from::<E, I, S>(args, &with_features(env.clone()))
}

/// Runs the experiment `E` with the process's arguments and environment, as the `main` that
/// `#[experiment]` generates for a function named `main` does: prints an error, if any, and
/// exits with the command's exit code.
///
/// Call it from a `main` of your own when something must happen before the run, such as
/// setting up your own logging: a `tracing` subscriber or `log` logger installed there is
/// kept, and sacred installs its own only where you installed none (see [`logging`]).
///
/// ```no_run
/// use sacred::prelude::*;
///
/// /// Trains.
/// #[experiment(config = Train)]
/// fn train(#[default(0.1)] lr: f64) -> f64 {
///     tracing::info!(lr, "training");
///     lr
/// }
///
/// fn main() {
///     tracing_subscriber::fmt::init();
///     sacred::main::<Train>();
/// }
/// ```
pub fn main<E: Experiment>() -> ! {
    sacred_core::__private::main_in::<E>(with_features(sacred_core::Env::from_process()))
}

/// Runs `runs ARGS…` (the words after `runs`) as the `sacred` tool does: for runs of every
/// experiment, from file storage (`-F DIR`) or, with the `mongo` feature, MongoDB
/// (`-m URL`); `plot` needs the `plot` feature.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("runs"))?;
/// let env = sacred::Env::captured(dir.path());
/// sacred::runs_from(&["ls".to_owned(), "-F".to_owned(), "runs".to_owned()], &env)?;
/// assert_eq!(env.stdout_text(), "no runs in file storage `runs`\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Bad input (exit code 2) and stores that cannot be read (1); see
/// [`runs::run_from`].
pub fn runs_from(args: &[String], env: &Env) -> Result<(), Error> {
    sacred_core::runs::run_from("sacred", args, &with_features(env.clone()), None)
}

/// Registers what the enabled features add to an environment: the MongoDB observer.
fn with_features(env: Env) -> Env {
    #[cfg(feature = "mongo")]
    let env = env.with_factory(std::sync::Arc::new(mongo_factory::MongoFactory));
    env
}

#[cfg(feature = "mongo")]
mod mongo_factory {
    use sacred_core::observer::{Observer, ObserverError, ObserverFactory, RunStore};

    /// Builds `sacred-mongo`'s observer for `-m/--mongo_db` and `SACRED_MONGO_URL`.
    pub(crate) struct MongoFactory;

    impl ObserverFactory for MongoFactory {
        fn mongo(&self, spec: &str) -> Result<Box<dyn Observer>, ObserverError> {
            let spec =
                sacred_mongo::parse_spec(spec).map_err(|e| ObserverError::new(e.to_string()))?;
            let observer = sacred_mongo::MongoObserver::new(spec)
                .map_err(|e| ObserverError::new(e.to_string()))?;
            Ok(Box::new(observer))
        }

        fn store(&self, spec: &str) -> Result<Box<dyn RunStore>, ObserverError> {
            let spec =
                sacred_mongo::parse_spec(spec).map_err(|e| ObserverError::new(e.to_string()))?;
            let store = sacred_mongo::MongoStore::connect(&spec)
                .map_err(|e| ObserverError::new(e.to_string()))?;
            Ok(Box::new(store))
        }

        fn mongo_reader(
            &self,
            spec: &str,
        ) -> Result<Box<dyn sacred_core::runs::RunReader>, ObserverError> {
            let spec =
                sacred_mongo::parse_spec(spec).map_err(|e| ObserverError::new(e.to_string()))?;
            let runs = sacred_mongo::MongoRuns::connect(&spec)
                .map_err(|e| ObserverError::new(e.to_string()))?;
            Ok(Box::new(runs))
        }
    }
}

pub use sacred_macros::{config, experiment, ingredient, named_config};
pub use serde;
pub use serde_json;

/// Everything an experiment usually needs: `use sacred::prelude::*;`.
pub mod prelude {
    pub use crate::{Run, config, experiment, ingredient, named_config};
    pub use rand::{Rng, RngExt, SeedableRng};
}

/// Items used by the code that `#[experiment]` and `#[named_config]` generate.
///
/// Not a stable API: it changes whenever the macros change.
#[doc(hidden)]
pub mod __private {
    pub use sacred_core::__private::{
        BuildInfo, Config, ConfigType, DefaultValue, DependencyDecl, DependencyGraph, Field,
        GraphPackage, Kind, NamedConfig, Param, Pick, PickConfig, PickValue, Variant,
        VariantFields, default_json, target_is,
    };
    pub use sacred_core::observer::SourceFile;
    pub use sacred_core::{Experiment, ExperimentInfo, FunctionOutcome, Run, outcome};

    /// The generated `main` (see [`crate::main`]).
    pub fn main<E: Experiment>() -> ! {
        crate::main::<E>()
    }
    pub use serde;
    pub use serde_json;

    /// `print!` in experiment code: the process's standard output, and the run's captured
    /// output under `-C sys`.
    pub fn print(args: ::core::fmt::Arguments<'_>) {
        sacred_core::__private::write_stdout(&::std::fmt::format(args));
    }

    /// `println!` in experiment code (see [`print`]).
    pub fn println(args: ::core::fmt::Arguments<'_>) {
        let mut text = ::std::fmt::format(args);
        text.push('\n');
        sacred_core::__private::write_stdout(&text);
    }

    /// `eprint!` in experiment code: standard error, and the capture under `-C sys`.
    pub fn eprint(args: ::core::fmt::Arguments<'_>) {
        sacred_core::__private::write_stderr(&::std::fmt::format(args));
    }

    /// `eprintln!` in experiment code (see [`eprint`]).
    pub fn eprintln(args: ::core::fmt::Arguments<'_>) {
        let mut text = ::std::fmt::format(args);
        text.push('\n');
        sacred_core::__private::write_stderr(&text);
    }

    /// Serialises what a named config's function returned.
    pub fn named_config_value<T: serde::Serialize>(
        value: T,
    ) -> ::core::result::Result<serde_json::Value, String> {
        serde_json::to_value(&value).map_err(|e| e.to_string())
    }
}

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The Rust examples of the guide for Sacred's users, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/COMING_FROM_SACRED.md")]
pub struct ComingFromSacredDoctests;
