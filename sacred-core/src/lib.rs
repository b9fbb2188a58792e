//! The runtime of `sacred`: configuration, command line, seeds and runs.
//!
//! Users depend on the `sacred` facade crate; observer authors depend on this crate alone.

pub mod capture;
pub mod cli;
pub mod config;
mod entry;
mod env;
mod error;
pub mod experiment;
pub mod host;
mod lifecycle;
mod log;
pub mod observer;
mod pump;
pub mod record;
mod run;
pub mod seed;
pub mod settings;
pub mod suggest;
pub mod time;

pub use entry::{Outcome, main, main_in, run_from};
pub use env::{Env, args_to_strings};
pub use error::{ConfigError, Error, Source};
pub use experiment::{
    BuildInfo, DefaultValue, Experiment, ExperimentInfo, Failure, FunctionOutcome,
    IntoFunctionOutcome, NamedConfig, Param, returned,
};
pub use run::{ArtifactOptions, Metric, Run};
pub use seed::SeededRng;
