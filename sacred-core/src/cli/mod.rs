//! Sacred's command-line grammar: `BIN [COMMAND] [with UPDATE…] [FLAGS]`, flags anywhere.

mod args;
mod help;
mod value;

pub use args::parse;
pub use help::{render_command_help, render_help};
pub use value::parse_value;

/// The command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
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
}

impl Command {
    /// The built-in commands as typed on the command line, with their one-line help.
    pub const BUILT_IN: &'static [(&'static str, &'static str)] = &[
        ("print_config", "Print the updated configuration and exit."),
        (
            "print_named_configs",
            "Print the available named configs and exit.",
        ),
        ("save_config", "Store the updated configuration in a file."),
        (
            "print_dependencies",
            "Print the detected source-files and dependencies.",
        ),
        (
            "help",
            "Print the help of the experiment or of one command.",
        ),
    ];

    /// The name used in log lines (`Running command 'main'`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Main => "main",
            Command::PrintConfig => "print_config",
            Command::PrintNamedConfigs => "print_named_configs",
            Command::SaveConfig => "save_config",
            Command::PrintDependencies => "print_dependencies",
            Command::Help(_) => "help",
        }
    }
}

/// One token after `with`.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
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

/// `-C/--capture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    /// Tee file descriptors 1 and 2.
    Fd,
    /// Capture what Rust's print macros and `tracing` write.
    Sys,
    /// Capture nothing.
    No,
}

/// Sacred's flags, parsed and validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
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
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The program name (the first argument), used in usage lines.
    pub program: String,
    /// The command.
    pub command: Command,
    /// The `with` tokens, in command-line order.
    pub updates: Vec<Update>,
    /// The flags.
    pub flags: Flags,
}
