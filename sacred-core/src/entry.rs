//! Entry points: `run_from` (testable) and `main` (the real process).

use std::ffi::OsString;
use std::time::Instant;

use crate::cli::{self, Command, Invocation};
use crate::config::{self, PrintOptions};
use crate::experiment::{Experiment, Failure};
use crate::lifecycle::{Request, run_observed};
use crate::log::{INFO, Logger, WARNING, format_elapsed};
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
    /// The run was queued (`-q/--queue`), not run.
    Queued {
        /// The resolved config, as recorded.
        config: serde_json::Value,
        /// The id the observers gave the queued run.
        id: Option<crate::observer::RunId>,
    },
    /// A command other than the main one ran (`print_config`, `help`, …).
    Done,
    /// The run ended (as `outcome` says), but at least one observer could not store all of
    /// it. Everything the run recorded is kept in its journal.
    Incomplete {
        /// How the run itself ended: [`Outcome::Completed`] or [`Outcome::Failed`].
        outcome: Box<Outcome>,
        /// The observers that could not store the whole run, one line each.
        missing: Vec<String>,
        /// The journal holding the whole run, when it could be written.
        journal: Option<std::path::PathBuf>,
    },
}

/// The exit code of a run whose record is incomplete in at least one observer, whatever
/// the run's own outcome.
pub const EXIT_INCOMPLETE: i32 = 3;

impl Outcome {
    /// The process exit code: 0; 1 for a failed run; [`EXIT_INCOMPLETE`] (3) when an
    /// observer could not store the whole run. (An interrupted run exits from its signal
    /// handler with 130 or 143.)
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Failed { .. } => 1,
            Outcome::Incomplete { .. } => EXIT_INCOMPLETE,
            Outcome::Completed { .. } | Outcome::Queued { .. } | Outcome::Done => 0,
        }
    }
}

/// Runs the command that `args` describe (`args[0]` is the program name) in `env`.
///
/// Nothing is run or written when the input is bad: the command line is parsed and the
/// config resolved and type-checked before any command starts.
///
/// This is the runtime alone: only the observers in `env` and file storage are known here.
/// Experiments call `sacred::run_from`, which also registers what the facade's features
/// add (the MongoDB observer for `-m`); see its docs for an example.
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
    if args.get(1).map(String::as_str) == Some("runs") {
        // `runs` reads its own words: its flags are not Sacred's (`-n` is a limit there).
        let program = crate::cli::program_name(&args);
        let own = E::INFO.name.map_or_else(|| program.clone(), str::to_owned);
        crate::runs::run_from(&program, &args[2..], env, Some(&own))?;
        return Ok(Outcome::Done);
    }
    let invocation = cli::parse(&args)?;
    let Invocation {
        program,
        command,
        updates,
        flags,
    } = invocation;
    if flags.version && command != Command::Help(None) {
        let name = E::INFO.name.unwrap_or(&program);
        env.out(&format!("{name} {}\n", E::INFO.build.version));
        return Ok(Outcome::Done);
    }
    match &command {
        Command::Help(None) => {
            env.out(&cli::render_help(&program, &E::INFO, &E::defaults()));
            return Ok(Outcome::Done);
        }
        Command::Help(Some(name)) => {
            let text = cli::render_command_help(&program, name)
                .ok_or_else(|| cli::unknown_help_topic(name))?;
            env.out(&text);
            return Ok(Outcome::Done);
        }
        _ => {}
    }

    let logger = Logger {
        env: env.clone(),
        name: flags
            .name
            .clone()
            .or_else(|| E::INFO.name.map(str::to_owned))
            .unwrap_or_else(|| program.clone()),
        level: flags.loglevel.unwrap_or(INFO),
    };
    if let Command::Sync(journals) = &command {
        // Needs no config: a run's journal holds its own.
        return crate::journal::sync::sync(&program, journals, &flags, env, &logger);
    }
    match &command {
        // These need no config of the command line: a stored run holds its own.
        Command::Worker => return crate::fleet::worker::<E>(&flags, env, &logger),
        Command::Dead => return crate::fleet::dead(&flags, env, &logger),
        Command::Rerun(id) => return crate::fleet::rerun::<E>(&program, id, &flags, env, &logger),
        Command::Sweep => {
            return crate::fleet::sweep::<E>(&program, &updates, &flags, env, &logger);
        }
        _ => {}
    }
    // `save_config`'s own parameter, as in Sacred: `with config_filename=FILE`.
    let (updates, config_filename) = if command == Command::SaveConfig {
        config::take_config_filename(updates, &flags)?
    } else {
        (updates, None)
    };
    let (config, resolved) = config::resolve::<E>(&updates, flags.force, env)?;
    // Sacred warns about keys that are no config entry (here only `config_filename`; other
    // unknown keys are errors, or kept with `-f`), unless `-f` silences it, on the logger
    // of the experiment's scaffold, `root`.
    if config_filename.is_some() && !flags.force {
        let scaffold = Logger {
            name: "root".to_owned(),
            ..logger.clone()
        };
        scaffold.log(
            WARNING,
            &format!(
                "Added new config entry: \"{}\"",
                config::CONFIG_FILENAME_KEY
            ),
        );
    }
    let command_name = command.name();
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
            let given = config_filename
                .or_else(|| flags.config_file.clone())
                .map_or_else(config::default_save_path, Into::into);
            let path = env.resolve(&given);
            run_command(&logger, "save_config", || {
                // Sacred logs this on the command's own logger, before writing.
                let command_logger = Logger {
                    name: "save_config".to_owned(),
                    ..logger.clone()
                };
                command_logger.info(&format!("Saving config to \"{}\"", given.display()));
                config::save_config(&resolved.record, &path)
            })?;
            Ok(Outcome::Done)
        }
        Command::PrintDependencies => {
            run_command(&logger, "print_dependencies", || {
                let mut record = crate::record::experiment_record(&E::INFO, &logger.name);
                record.repositories =
                    crate::record::repositories(std::path::Path::new(&record.base_dir));
                env.out(&crate::record::render_dependencies(&record, env.color()));
                Ok(())
            })?;
            Ok(Outcome::Done)
        }
        Command::Main => {
            if flags.print_config {
                env.out(&config::render_config(&resolved, &E::INFO, print_options));
                env.out(&format!("{}\n", "-".repeat(79)));
            }
            let request = Request {
                program: &program,
                flags: &flags,
                updates: &updates,
                command: command_name,
                meta: crate::fleet::parent_meta(env)?,
            };
            run_observed(config, resolved, &request, &logger, env)
        }
        Command::Help(_)
        | Command::Sync(_)
        | Command::Runs
        | Command::Worker
        | Command::Dead
        | Command::Rerun(_)
        | Command::Sweep => Ok(Outcome::Done),
    }
}

/// Runs a built-in command between Sacred's `Running command`/`Started`/`Completed` lines.
fn run_command(
    logger: &Logger,
    name: &str,
    body: impl FnOnce() -> Result<(), Error>,
) -> Result<(), Error> {
    logger.info(&format!("Running command '{name}'"));
    logger.info("Started");
    let started = Instant::now();
    body()?;
    logger.info(&format!(
        "Completed after {}",
        format_elapsed(started.elapsed())
    ));
    Ok(())
}

/// The generated `main`, in a prepared environment (the facade registers its observer
/// factory there): runs with the process's arguments, prints an error and exits with its
/// code.
pub fn main_in<E: Experiment>(env: Env) -> ! {
    crate::signals::take_stop_requests_early(env.var(crate::signals::STOP_REQUEST_VAR).is_some());
    let code = match run_from::<E, _, _>(std::env::args_os(), &env) {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            env.err(&format!("error: {error}\n"));
            error.exit_code()
        }
    };
    std::process::exit(code)
}
