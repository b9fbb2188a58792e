//! The one error type of the runtime.

use std::fmt;
use std::path::PathBuf;

/// Where a config value came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigSource {
    /// The parameter's `#[default(…)]`.
    Default,
    /// A named config selected with `with NAME`.
    NamedConfig(String),
    /// A config file given with `with PATH`.
    File(PathBuf),
    /// A `with KEY=VALUE` update; holds the token as given.
    CommandLine(String),
    /// The seed, drawn from the operating system's entropy because none was given.
    DrawnSeed,
    /// An ingredient's `seed`, derived from the root seed and the ingredient's key
    /// (`seed_for("data")`) because none was given.
    DerivedSeed(String),
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Default => f.write_str("default"),
            ConfigSource::NamedConfig(name) => write!(f, "named config `{name}`"),
            ConfigSource::File(path) => write!(f, "config file `{}`", path.display()),
            ConfigSource::CommandLine(token) => write!(f, "command line `with {token}`"),
            ConfigSource::DrawnSeed => f.write_str("drawn from OS entropy"),
            ConfigSource::DerivedSeed(name) => {
                write!(f, "derived from the root seed as `seed_for(\"{name}\")`")
            }
        }
    }
}

/// A config value that is missing, unknown or of the wrong type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted key (`optimizer.lr`).
    pub key: String,
    /// The offending value as the user wrote it, or a rendering of it; `None` when missing.
    pub value: Option<String>,
    /// What was expected (`f64`, `a known config key`, `a value`).
    pub expected: String,
    /// Where the value came from; `None` when the key is missing altogether.
    pub source: Option<ConfigSource>,
    /// A closing hint: `did you mean …?`, or how to set a missing value.
    pub hint: Option<String>,
    /// What went wrong, in a few words (`invalid value`, `unknown config key`).
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} for `{}`", self.problem, self.key)?;
        if let Some(value) = &self.value {
            write!(f, ": found {value}")?;
        }
        if let Some(source) = &self.source {
            write!(f, " (from {source})")?;
        }
        write!(f, ", expected {}", self.expected)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  {hint}")?;
        }
        Ok(())
    }
}

/// Everything that can stop a command before or around the experiment function.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line does not follow the grammar: unknown flag or command, a repeated
    /// flag, a flag value of the wrong form.
    #[error("{message}")]
    Usage {
        /// The full message, hints included.
        message: String,
    },
    /// A config value is missing, unknown or of the wrong type.
    #[error("{0}")]
    Config(Box<ConfigError>),
    /// A config file could not be read or parsed.
    #[error("cannot load config file `{}`: {reason}", path.display())]
    ConfigFile {
        /// The file as given.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// A file could not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The operating system could not provide entropy for a seed.
    #[error("cannot draw a random seed: {0}")]
    Entropy(String),
    /// An artifact could not be added: a bad name, or a file that cannot be read.
    #[error("cannot add artifact `{name}`: {reason}")]
    Artifact {
        /// The artifact's name (or the path, when no name could be derived).
        name: String,
        /// Why, in words.
        reason: String,
    },
    /// A resource could not be opened or read.
    #[error("cannot open resource `{}`: {source}", path.display())]
    Resource {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A value for the run's info could not be serialised.
    #[error("cannot record info `{key}`: {reason}")]
    Info {
        /// The info key.
        key: String,
        /// Why, in words.
        reason: String,
    },
    /// An observer refused the run before it started (`-i` with an existing id).
    #[error("{observer}: {reason}")]
    Observer {
        /// The observer's name.
        observer: String,
        /// Why, in words.
        reason: String,
    },
    /// The run was refused: `-e/--enforce_clean` with a dirty or missing repository.
    #[error("{0}")]
    Refused(String),
    /// The run's journal cannot be written, so the run does not start: nothing it did
    /// could be kept.
    #[error(
        "cannot write the run's journal in `{}`: {source}; the run did not start. Give a \
         writable directory with SACRED_JOURNAL_DIR or sacred.toml's journal_dir, or run \
         with -u to record nothing",
        dir.display()
    )]
    Journal {
        /// The journal directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `runs` command could not read or change the stored runs: an unknown id, a run
    /// that cannot be read, a store that cannot be reached.
    #[error("{message}")]
    Runs {
        /// The full message: what was wanted, where, and what was wrong.
        message: String,
        /// The exit code: 2 for an id no run has, 1 otherwise.
        code: i32,
    },
    /// The system could not do what the run needs (a thread, output capture).
    #[error("cannot {action}: {source}")]
    Io {
        /// What the runtime was doing, in words (`start the observers' thread`).
        action: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for this error: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Runs { code, .. } => *code,
            Error::Usage { .. }
            | Error::Config(_)
            | Error::ConfigFile { .. }
            | Error::Observer { .. } => 2,
            Error::Write { .. }
            | Error::Entropy(_)
            | Error::Artifact { .. }
            | Error::Resource { .. }
            | Error::Info { .. }
            | Error::Refused(_)
            | Error::Journal { .. }
            | Error::Io { .. } => 1,
        }
    }

    /// A usage error with the given message.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(Box::new(e))
    }
}
