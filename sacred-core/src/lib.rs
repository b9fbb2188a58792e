//! The runtime of `sacred`: configuration, command line, seeds and runs.
//!
//! Users depend on the `sacred` facade crate; observer authors depend on this crate alone.

pub mod capture;
pub mod cli;
pub mod config;
pub mod digest;
mod entry;
mod env;
mod error;
pub mod experiment;
mod host;
mod lifecycle;
mod log;
pub mod observer;
#[doc(hidden)]
pub mod outcome;
mod panic;
mod plan;
mod pump;
mod queue;
mod record;
mod run;
pub mod secret;
pub mod seed;
pub mod settings;
mod signals;
pub mod suggest;
mod sync;
pub mod time;

pub use entry::{Outcome, main, main_in, run_from};
pub use env::{Env, args_to_strings};
pub use error::{ConfigError, Error, Source};
pub use experiment::{
    BuildInfo, DefaultValue, Experiment, ExperimentInfo, Failure, FunctionOutcome, NamedConfig,
    Param,
};
pub use run::{ArtifactOptions, Metric, Run};
pub use seed::SeededRng;
