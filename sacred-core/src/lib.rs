//! The runtime of `sacred`: configuration, command line, seeds and runs.
//!
//! Users depend on the `sacred` facade crate; observer authors depend on this crate alone.

mod ansi;
mod atomic;
mod capture;
mod cli;
mod config;
pub mod digest;
mod entry;
mod env;
mod error;
pub mod experiment;
mod fleet;
mod host;
pub mod journal;
mod lifecycle;
mod log;
pub mod logging;
pub mod observer;
#[doc(hidden)]
pub mod outcome;
mod panic;
mod plan;
mod pump;
mod queue;
mod record;
mod run;
pub mod runs;
pub mod schema;
pub mod secret;
pub mod seed;
mod settings;
mod signals;
mod suggest;
mod sync;
pub mod time;

pub use entry::{EXIT_INCOMPLETE, Outcome, run_from};
pub use env::Env;
pub use error::{ConfigError, ConfigSource, Error};
pub use experiment::{Experiment, ExperimentInfo, Failure, FunctionOutcome};
pub use logging::{SacredLayer, tracing_layer};
pub use run::{ArtifactOptions, Metric, Progress, Run};
pub use seed::SeededRng;

/// Items used by the `sacred` facade and the code its macros generate.
///
/// Not a stable API: it changes whenever the macros change.
#[doc(hidden)]
pub mod __private {
    pub use crate::capture::{write_stderr, write_stdout};
    pub use crate::entry::main_in;
    pub use crate::experiment::{
        BuildInfo, DefaultValue, DependencyDecl, DependencyGraph, GraphPackage, NamedConfig, Param,
        target_is,
    };
    pub use crate::schema::{
        Config, ConfigType, Field, Kind, Pick, PickConfig, PickValue, Variant, VariantFields,
        default_json,
    };
}
