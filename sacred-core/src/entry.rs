//! Entry points: `run_from` (testable) and `main` (the real process).

use std::ffi::OsString;

use crate::experiment::{Experiment, Failure};
use crate::{Env, Error};

/// How a command ended, when its input was good.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The experiment function ran and returned normally.
    Completed {
        /// The resolved config, as recorded.
        config: serde_json::Value,
        /// The function's result; `None` for `()`.
        result: Option<serde_json::Value>,
    },
    /// The experiment function returned an error.
    Failed {
        /// The resolved config, as recorded.
        config: serde_json::Value,
        /// The error.
        failure: Failure,
    },
    /// A command other than the main one ran (`print_config`, `help`, …).
    Done,
}

impl Outcome {
    /// The process exit code: 0, or 1 for a failed run.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Failed { .. } => 1,
            Outcome::Completed { .. } | Outcome::Done => 0,
        }
    }
}

/// Runs the command that `args` describe (`args[0]` is the program name) in `env`.
///
/// # Errors
/// Bad input (usage, config, config file) and failures to write what a command writes.
pub fn run_from<E, I, S>(args: I, env: &Env) -> Result<Outcome, Error>
where
    E: Experiment,
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args = crate::env::args_to_strings(args.into_iter().map(Into::into))?;
    let _ = (args, env);
    Ok(Outcome::Done)
}

/// The generated `main`: runs with the process's arguments and environment, prints an error
/// and exits with its code.
pub fn main<E: Experiment>() -> ! {
    let env = Env::from_process();
    let code = match run_from::<E, _, _>(std::env::args_os(), &env) {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            env.err(&format!("error: {error}\n"));
            error.exit_code()
        }
    };
    std::process::exit(code)
}
