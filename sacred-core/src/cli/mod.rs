//! Sacred's command-line grammar: `BIN [COMMAND] [with UPDATE…] [FLAGS]`, flags anywhere.
//!
//! The grammar is Sacred's docopt usage:
//!
//! ```text
//! BIN [(with UPDATE...)] [options]
//! BIN help [COMMAND]
//! BIN (-h | --help)
//! BIN COMMAND [(with UPDATE...)] [options]
//! ```
//!
//! This module holds what parsing produces ([`Invocation`], [`Command`], [`Flags`],
//! [`Update`]) and [`parse`], which runs the pieces in order: `lex` turns argv into flags
//! and positional arguments, `flags` checks each flag's value, `grammar` reads the command
//! and the updates from the positional arguments. The commands are listed once, in
//! `command`; `help` renders `--help` and `help COMMAND`, `value` parses update values.

mod command;
mod flags;
mod grammar;
mod help;
mod lex;
#[cfg(test)]
mod tests;
mod value;

use std::fmt;
use std::str::FromStr;

use crate::Error;
use crate::suggest;

pub(crate) use command::unknown_help_topic;
pub(crate) use flags::is_valid_beat_interval;
pub(crate) use help::{render_command_help, render_help};
pub(crate) use value::parse_value;

/// Parses a command line; `args[0]` is the program name.
///
/// # Errors
/// A usage error naming the offending token, with hints, ending with a pointer to
/// `--help`.
pub(crate) fn parse(args: &[String]) -> Result<Invocation, Error> {
    let program = program_name(args);
    let mut given = flags::FlagSet::default();
    let mut positionals = Vec::new();
    for token in lex::Lexer::new(&program, args.get(1..).unwrap_or_default()) {
        match token? {
            lex::Token::Flag { spec, typed, value } => {
                given.apply(&program, spec, &typed, value)?
            }
            lex::Token::Positional(token) => positionals.push(token),
        }
    }
    let (command, updates) = match grammar::positionals(&program, &positionals) {
        // `-h` wins over any command, and over mistakes in the positional arguments.
        Ok((_, updates)) if given.help => (Command::Help(None), updates),
        Err(_) if given.help => (Command::Help(None), Vec::new()),
        // `--version` too: it prints the version, whatever else is on the line.
        Err(_) if given.flags.version => (Command::Main, Vec::new()),
        result => result?,
    };
    Ok(Invocation {
        program,
        command,
        updates,
        flags: given.flags,
    })
}

/// The program's name: the last part of `args[0]`, `experiment` when there is none.
pub(crate) fn program_name(args: &[String]) -> String {
    args.first()
        .and_then(|a| a.rsplit(['/', '\\']).next())
        .filter(|name| !name.is_empty())
        .unwrap_or("experiment")
        .to_owned()
}

/// A usage error: the first line, indented hint lines, and the pointer to `--help`.
fn usage_error(program: &str, first: impl Into<String>, hints: &[String]) -> Error {
    let mut message = first.into();
    for hint in hints {
        message.push_str("\n  ");
        message.push_str(hint);
    }
    message.push_str(&format!("\nRun `{program} --help` for the usage."));
    Error::usage(message)
}

/// The command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// No command: run the experiment function.
    Main,
    /// `print_config`: print the resolved config and exit.
    PrintConfig,
    /// `print_named_configs`: list the named configs and exit.
    PrintNamedConfigs,
    /// `print_dependencies`: list the dependencies, sources and repositories and exit.
    PrintDependencies,
    /// `save_config`: write the resolved config to a file (`--config-file`, default
    /// `config.json`).
    SaveConfig,
    /// `help [COMMAND]`, `-h`, `--help`.
    Help(Option<String>),
    /// `sync [JOURNAL...]`: send what run journals hold to the observers that lack it.
    Sync(Vec<String>),
    /// `sweep`: run (or queue) the points of a grid of updates.
    Sweep,
    /// `worker`: run queued runs of this experiment, one at a time.
    Worker,
    /// `rerun ID`: run a stored run again with its config and seed.
    Rerun(String),
    /// `dead`: list (and mark) RUNNING runs whose process died.
    Dead,
    /// `runs SUBCOMMAND …`: list, show, compare, plot and remove recorded runs. Its words
    /// are read by `runs` itself, before this parser (its flags are not Sacred's).
    Runs,
}

impl Command {
    /// The name as typed on the command line, and used in log lines (`Running command
    /// 'main'`).
    pub(crate) fn name(&self) -> &'static str {
        command::CommandSpec::of(self).name
    }
}

/// One token after `with`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Update {
    /// `key=value`: a dotted key and its parsed value.
    Set {
        /// The dotted key, whitespace trimmed.
        key: String,
        /// The parsed value (see [`parse_value`]).
        value: serde_json::Value,
        /// The token as given, for error messages.
        token: String,
    },
    /// A token without `=`: a config file when such a file exists, else a named config.
    Named(String),
}

impl Update {
    /// The token as given on the command line.
    pub(crate) fn token(&self) -> &str {
        match self {
            Update::Set { token, .. } => token,
            Update::Named(name) => name,
        }
    }
}

/// `-C/--capture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaptureMode {
    /// Tee file descriptors 1 and 2.
    Fd,
    /// Capture what Rust's print macros and `tracing` write.
    Sys,
    /// Capture nothing.
    No,
}

impl CaptureMode {
    /// Every mode, in the order messages list them.
    const ALL: [CaptureMode; 3] = [CaptureMode::Fd, CaptureMode::Sys, CaptureMode::No];

    /// The mode as `-C` and `sacred.toml` spell it: `fd`, `sys` or `no`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CaptureMode::Fd => "fd",
            CaptureMode::Sys => "sys",
            CaptureMode::No => "no",
        }
    }
}

/// What a capture mode must be, for messages.
const CAPTURE_EXPECTED: &str = "one of `fd`, `sys`, `no`";

impl FromStr for CaptureMode {
    type Err = UnknownCaptureMode;

    /// `fd`, `sys` or `no`, in any case, surrounding whitespace ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        CaptureMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == wanted)
            .ok_or_else(|| UnknownCaptureMode {
                found: text.to_owned(),
            })
    }
}

/// A capture mode that is not `fd`, `sys` or `no`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownCaptureMode {
    /// The text as given.
    found: String,
}

impl UnknownCaptureMode {
    /// What a capture mode must be: "one of `fd`, `sys`, `no`".
    pub(crate) fn expected(&self) -> &'static str {
        CAPTURE_EXPECTED
    }

    /// A "did you mean" hint, when the text is close to a mode.
    pub(crate) fn hint(&self) -> Option<String> {
        let wanted = self.found.trim().to_ascii_lowercase();
        suggest::did_you_mean(&wanted, CaptureMode::ALL.map(CaptureMode::as_str))
    }
}

impl fmt::Display for UnknownCaptureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid capture mode `{}`: expected {CAPTURE_EXPECTED}",
            self.found
        )
    }
}

impl std::error::Error for UnknownCaptureMode {}

/// Sacred's flags, parsed and validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Flags {
    /// `-b/--beat-interval SECONDS`.
    pub beat_interval: Option<f64>,
    /// `-C/--capture fd|sys|no`.
    pub capture: Option<CaptureMode>,
    /// `-c/--comment TEXT`.
    pub comment: Option<String>,
    /// `-d/--debug`.
    pub debug: bool,
    /// `-e/--enforce_clean`.
    pub enforce_clean: bool,
    /// `-F/--file_storage DIR`.
    pub file_storage: Option<String>,
    /// `-f/--force`.
    pub force: bool,
    /// `-i/--id ID`.
    pub id: Option<String>,
    /// `-l/--loglevel LEVEL`, as a number (10 DEBUG … 50 CRITICAL).
    pub loglevel: Option<u8>,
    /// `-l/--loglevel LEVEL` as it was typed (`WARNING`, `30`), which Sacred records in
    /// `meta.options`.
    pub loglevel_given: Option<String>,
    /// `-m/--mongo_db SPEC`.
    pub mongo_db: Option<String>,
    /// `-n/--name NAME`.
    pub name: Option<String>,
    /// `-p/--print-config`.
    pub print_config: bool,
    /// `-P/--priority NUMBER`.
    pub priority: Option<f64>,
    /// `-q/--queue`.
    pub queue: bool,
    /// `-u/--unobserved`.
    pub unobserved: bool,
    /// `--sources` (with `print_config`): show where each value came from.
    pub sources: bool,
    /// `--config-file FILE` (with `save_config`).
    pub config_file: Option<String>,
    /// `--random N` (with `sweep`): N points drawn from the grid.
    pub random: Option<u64>,
    /// `-j/--jobs N` (with `sweep`): points run at a time.
    pub jobs: Option<u64>,
    /// `--max-runs N` (with `worker`).
    pub max_runs: Option<u64>,
    /// `--idle-exit SECONDS` (with `worker`).
    pub idle_exit: Option<f64>,
    /// `--dead-after SECONDS` (with `worker` and `dead`).
    pub dead_after: Option<f64>,
    /// `--mark` (with `dead`): mark the dead runs FAILED.
    pub mark: bool,
    /// `--version`: print the experiment's name and version instead of any command.
    pub version: bool,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invocation {
    /// The program name (the first argument), used in usage lines.
    pub program: String,
    /// The command.
    pub command: Command,
    /// The `with` tokens, in command-line order.
    pub updates: Vec<Update>,
    /// The flags.
    pub flags: Flags,
}
