//! Entry points: `run_from` (testable) and `main` (the real process).

use std::ffi::OsString;

use std::time::{Duration, Instant};

use crate::cli::{self, Command, Flags, Invocation};
use crate::config::{self, PrintOptions};
use crate::experiment::{Experiment, Failure, FunctionOutcome};
use crate::{Env, Error, Run, suggest};

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

/// Log levels of the lines the runtime writes, as numbers (`-l/--loglevel`).
const INFO: u8 = 20;
const WARNING: u8 = 30;
const ERROR: u8 = 40;

/// Writes Sacred-style log lines (`INFO - name - message`) to standard error.
struct Logger<'a> {
    env: &'a Env,
    name: String,
    level: u8,
}

impl Logger<'_> {
    fn log(&self, level: u8, message: &str) {
        if level < self.level {
            return;
        }
        let label = match level {
            ..=10 => "DEBUG",
            11..=20 => "INFO",
            21..=30 => "WARNING",
            31..=40 => "ERROR",
            _ => "CRITICAL",
        };
        self.env
            .err(&format!("{label} - {} - {message}\n", self.name));
    }
}

/// Runs the command that `args` describe (`args[0]` is the program name) in `env`.
///
/// Nothing is run or written when the input is bad: the command line is parsed and the
/// config resolved and type-checked before any command starts.
///
/// # Errors
/// Bad input (usage, config, config file: [`Error::exit_code`] 2) and failures to write
/// what a command writes.
pub fn run_from<E, I, S>(args: I, env: &Env) -> Result<Outcome, Error>
where
    E: Experiment,
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args = crate::env::args_to_strings(args.into_iter().map(Into::into))?;
    let invocation = cli::parse(&args)?;
    let Invocation {
        program,
        command,
        updates,
        flags,
    } = invocation;
    let defaults = E::defaults();
    match &command {
        Command::Help(None) => {
            env.out(&cli::render_help(&program, &E::INFO, &defaults));
            return Ok(Outcome::Done);
        }
        Command::Help(Some(name)) => {
            let text = cli::render_command_help(&program, name).ok_or_else(|| {
                let names = Command::BUILT_IN.iter().map(|(n, _)| *n).chain(["main"]);
                let hint = suggest::did_you_mean(name, names)
                    .map(|h| format!("\n  {h}"))
                    .unwrap_or_default();
                Error::usage(format!(
                    "`help {name}`: unknown command `{name}`; expected one of main, {}{hint}",
                    Command::BUILT_IN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            env.out(&text);
            return Ok(Outcome::Done);
        }
        _ => {}
    }

    let logger = Logger {
        env,
        name: flags
            .name
            .clone()
            .or_else(|| E::INFO.name.map(str::to_owned))
            .unwrap_or_else(|| program.clone()),
        level: flags.loglevel.unwrap_or(INFO),
    };
    let (config, resolved) = config::resolve::<E>(&updates, flags.force, env)?;
    for key in &resolved.added {
        logger.log(WARNING, &format!("Added new config entry: \"{key}\""));
    }
    let print_options = PrintOptions {
        color: env.color(),
        sources: flags.sources,
    };

    match command {
        Command::PrintConfig => {
            run_command(&logger, "print_config", || {
                env.out(&config::render_config(&resolved, &E::INFO, print_options));
                Ok(())
            })?;
            Ok(Outcome::Done)
        }
        Command::PrintNamedConfigs => {
            run_command(&logger, "print_named_configs", || {
                env.out(&config::render_named_configs(&E::INFO, env.color()));
                Ok(())
            })?;
            Ok(Outcome::Done)
        }
        Command::SaveConfig => {
            let given = flags
                .config_file
                .clone()
                .map_or_else(config::default_save_path, Into::into);
            let path = env.resolve(&given);
            run_command(&logger, "save_config", || {
                config::save_config(&resolved.record, &path)?;
                logger.log(INFO, &format!("Saved config to {}", given.display()));
                Ok(())
            })?;
            Ok(Outcome::Done)
        }
        Command::Main => {
            announce_pending_flags(&flags, env);
            if flags.print_config {
                env.out(&config::render_config(&resolved, &E::INFO, print_options));
                env.out(&format!("{}\n", "-".repeat(79)));
            }
            let run = Run::new(logger.name.clone(), resolved.seed, resolved.record.clone());
            logger.log(INFO, "Running command 'main'");
            logger.log(INFO, "Started");
            let started = Instant::now();
            let outcome = config.call(&run);
            let elapsed = format_elapsed(started.elapsed());
            Ok(match outcome {
                FunctionOutcome::Returned(result) => {
                    if let Some(result) = &result {
                        logger.log(
                            INFO,
                            &format!("Result: {}", config::render::compact(result)),
                        );
                    }
                    logger.log(INFO, &format!("Completed after {elapsed}"));
                    Outcome::Completed {
                        config: resolved.record,
                        result,
                    }
                }
                FunctionOutcome::Failed(failure) => {
                    logger.log(ERROR, &format!("Failed after {elapsed}!"));
                    env.err(&format!("Error: {}\n", failure.message));
                    for cause in &failure.causes {
                        env.err(&format!("  caused by: {cause}\n"));
                    }
                    Outcome::Failed {
                        config: resolved.record,
                        failure,
                    }
                }
            })
        }
        Command::Help(_) => Ok(Outcome::Done),
    }
}

/// Runs a built-in command between Sacred's `Running command`/`Started`/`Completed` lines.
fn run_command(
    logger: &Logger<'_>,
    name: &str,
    body: impl FnOnce() -> Result<(), Error>,
) -> Result<(), Error> {
    logger.log(INFO, &format!("Running command '{name}'"));
    logger.log(INFO, "Started");
    let started = Instant::now();
    body()?;
    logger.log(
        INFO,
        &format!("Completed after {}", format_elapsed(started.elapsed())),
    );
    Ok(())
}

/// `H:MM:SS`, as Sacred writes durations.
fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// One line for each flag that is parsed and validated but whose behaviour this version
/// does not have yet: runs are not recorded by any observer so far.
fn announce_pending_flags(flags: &Flags, env: &Env) {
    let pending: [(&str, bool); 11] = [
        ("-b/--beat-interval", flags.beat_interval.is_some()),
        ("-C/--capture", flags.capture.is_some()),
        ("-c/--comment", flags.comment.is_some()),
        ("-d/--debug", flags.debug),
        ("-e/--enforce_clean", flags.enforce_clean),
        ("-F/--file_storage", flags.file_storage.is_some()),
        ("-i/--id", flags.id.is_some()),
        ("-m/--mongo_db", flags.mongo_db.is_some()),
        ("-P/--priority", flags.priority.is_some()),
        ("-q/--queue", flags.queue),
        ("-u/--unobserved", flags.unobserved),
    ];
    for (flag, given) in pending {
        if given {
            env.err(&format!(
                "note: {flag} is accepted but has no effect yet: this version does not record \
                 runs (no observers, no capture, no queue)\n"
            ));
        }
    }
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
