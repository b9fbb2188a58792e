//! The flag table and the values flags take: which flags exist (and which of Python
//! Sacred's do not), what each one's value must look like, and how a given flag is
//! recorded in [`Flags`].

use super::{CAPTURE_EXPECTED, CaptureMode, Flags, usage_error};
use crate::Error;
use crate::suggest;

/// Which field of [`Flags`] a flag sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FlagId {
    BeatInterval,
    Capture,
    Comment,
    Debug,
    EnforceClean,
    FileStorage,
    Force,
    Help,
    Id,
    Loglevel,
    MongoDb,
    Name,
    PrintConfig,
    Priority,
    Queue,
    Unobserved,
    Sources,
    ConfigFile,
    Random,
    Jobs,
    MaxRuns,
    IdleExit,
    DeadAfter,
    Mark,
    Version,
}

/// One supported flag.
#[derive(Debug, Clone, Copy)]
pub(super) struct FlagSpec {
    /// The field it sets.
    pub(super) id: FlagId,
    /// The short spelling, without the dash.
    pub(super) short: Option<char>,
    /// The long spelling, without the dashes, as Sacred spells it.
    pub(super) long: &'static str,
    /// What the value should be, for error messages; `None` for flags without a value.
    pub(super) value: Option<&'static str>,
    /// The description shown by `--help`.
    pub(super) help: &'static str,
}

impl FlagSpec {
    /// `-n/--name` or `--sources`, for messages.
    pub(super) fn label(&self) -> String {
        match self.short {
            Some(c) => format!("-{c}/--{}", self.long),
            None => format!("--{}", self.long),
        }
    }

    /// How the flag is named in a message: `-n/--name`, plus the spelling as typed when
    /// that differs (`--na` (`-n/--name`)).
    pub(super) fn describe(&self, typed: &str) -> String {
        let label = self.label();
        let exact = typed == format!("--{}", self.long)
            || self.short.is_some_and(|c| typed == format!("-{c}"));
        if exact {
            format!("`{label}`")
        } else {
            format!("`{typed}` (`{label}`)")
        }
    }
}

/// Every supported flag, in the order of `--help` (Sacred's, then the long-only ones).
pub(super) const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        id: FlagId::BeatInterval,
        short: Some('b'),
        long: "beat-interval",
        value: Some("a number of seconds"),
        help: "Set the heart-beat interval for this run. Time between two heartbeat events \
               is measured in seconds.",
    },
    FlagSpec {
        id: FlagId::Capture,
        short: Some('C'),
        long: "capture",
        value: Some(CAPTURE_EXPECTED),
        help: "Control the way stdout and stderr are captured. The argument value must be \
               one of [no, sys, fd]",
    },
    FlagSpec {
        id: FlagId::Comment,
        short: Some('c'),
        long: "comment",
        value: Some("a comment"),
        help: "Add a comment to this run.",
    },
    FlagSpec {
        id: FlagId::Debug,
        short: Some('d'),
        long: "debug",
        value: None,
        help: "Set this run to debug mode. Suppress warnings about missing observers and \
               don't filter the stacktrace.",
    },
    FlagSpec {
        id: FlagId::EnforceClean,
        short: Some('e'),
        long: "enforce_clean",
        value: None,
        help: "Fail if any version control repository is dirty.",
    },
    FlagSpec {
        id: FlagId::FileStorage,
        short: Some('F'),
        long: "file_storage",
        value: Some("a directory"),
        help: "Add a file-storage observer to the experiment. The value of the argument \
               should be the base-directory to write the runs to",
    },
    FlagSpec {
        id: FlagId::Force,
        short: Some('f'),
        long: "force",
        value: None,
        help: "Disable warnings about suspicious changes for this run.",
    },
    FlagSpec {
        id: FlagId::Help,
        short: Some('h'),
        long: "help",
        value: None,
        help: "Print this help message and exit.",
    },
    FlagSpec {
        id: FlagId::Id,
        short: Some('i'),
        long: "id",
        value: Some("a run id"),
        help: "Set the id for this run.",
    },
    FlagSpec {
        id: FlagId::Loglevel,
        short: Some('l'),
        long: "loglevel",
        value: Some("a number from 0 to 50 or one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        help: "Set the LogLevel. Loglevel either as 0 - 50 or as string: DEBUG(10), \
               INFO(20), WARNING(30), ERROR(40), CRITICAL(50)",
    },
    FlagSpec {
        id: FlagId::MongoDb,
        short: Some('m'),
        long: "mongo_db",
        value: Some(
            "a database specification `[host:port:]db_name[.collection[:run_id]][!priority]` or a \
             `mongodb://` URI",
        ),
        help: "Add a MongoDB Observer to the experiment. The argument value is the database \
               specification. Should be in the form: \
               `[host:port:]db_name[.collection[:run_id]][!priority]`, or a `mongodb://` URI",
    },
    FlagSpec {
        id: FlagId::Name,
        short: Some('n'),
        long: "name",
        value: Some("a name"),
        help: "Set the name for this run.",
    },
    FlagSpec {
        id: FlagId::PrintConfig,
        short: Some('p'),
        long: "print-config",
        value: None,
        help: "Always print the configuration first.",
    },
    FlagSpec {
        id: FlagId::Priority,
        short: Some('P'),
        long: "priority",
        value: Some("a number"),
        help: "Sets the priority for a queued up experiment. `--priority=NUMBER` The number \
               represents the priority for this run.",
    },
    FlagSpec {
        id: FlagId::Queue,
        short: Some('q'),
        long: "queue",
        value: None,
        help: "Only queue this run, do not start it.",
    },
    FlagSpec {
        id: FlagId::Unobserved,
        short: Some('u'),
        long: "unobserved",
        value: None,
        help: "Ignore all observers for this run.",
    },
    FlagSpec {
        id: FlagId::ConfigFile,
        short: None,
        long: "config-file",
        value: Some("a file name"),
        help: "With save_config: the file to store the configuration in.",
    },
    FlagSpec {
        id: FlagId::Sources,
        short: None,
        long: "sources",
        value: None,
        help: "With print_config: show where each configuration value came from.",
    },
    FlagSpec {
        id: FlagId::Random,
        short: None,
        long: "random",
        value: Some("a number of points, 1 or more"),
        help: "With sweep: run N points drawn from the grid (the same N points for the \
               same sweep) instead of the whole grid.",
    },
    FlagSpec {
        id: FlagId::Jobs,
        short: Some('j'),
        long: "jobs",
        value: Some("a number of processes, 1 or more"),
        help: "With sweep: run N points at a time, each in a process of its own.",
    },
    FlagSpec {
        id: FlagId::MaxRuns,
        short: None,
        long: "max-runs",
        value: Some("a number of runs, 1 or more"),
        help: "With worker: exit after N runs.",
    },
    FlagSpec {
        id: FlagId::IdleExit,
        short: None,
        long: "idle-exit",
        value: Some("a number of seconds"),
        help: "With worker: exit when the queue has been empty for this long.",
    },
    FlagSpec {
        id: FlagId::DeadAfter,
        short: None,
        long: "dead-after",
        value: Some("a number of seconds"),
        help: "With worker and dead: a RUNNING run without a beat for this long is dead \
               (default: three of its beat intervals).",
    },
    FlagSpec {
        id: FlagId::Mark,
        short: None,
        long: "mark",
        value: None,
        help: "With dead: mark the dead runs FAILED.",
    },
    FlagSpec {
        id: FlagId::Version,
        short: None,
        long: "version",
        value: None,
        help: "Print the experiment's name and version and exit.",
    },
];

/// The value a flag has when it is not given (and neither `sacred.toml` nor an environment
/// variable sets it), shown by `--help`.
pub(super) fn flag_default(id: FlagId) -> Option<String> {
    match id {
        FlagId::BeatInterval => Some(crate::plan::DEFAULT_BEAT_INTERVAL.to_string()),
        FlagId::Capture => Some(CaptureMode::Fd.as_str().to_owned()),
        FlagId::FileStorage => Some(crate::settings::DEFAULT_FILE_STORAGE.to_owned()),
        FlagId::Loglevel => Some(crate::logging::label(crate::log::INFO).to_owned()),
        FlagId::ConfigFile => Some(crate::config::DEFAULT_SAVE_FILE.to_owned()),
        _ => None,
    }
}

/// A flag of Python Sacred that sacred-rs does not have.
pub(super) struct Unsupported {
    /// The short spelling, without the dash.
    pub(super) short: char,
    /// The long spelling, without the dashes.
    pub(super) long: &'static str,
    /// What it does in Python Sacred, for the error message.
    pub(super) what: &'static str,
}

/// Python Sacred's flags that sacred-rs refuses with a message of their own.
pub(super) const UNSUPPORTED: &[Unsupported] = &[
    Unsupported {
        short: 'D',
        long: "pdb",
        what: "post-mortem debugger",
    },
    Unsupported {
        short: 'S',
        long: "s3",
        what: "S3 observer",
    },
    Unsupported {
        short: 's',
        long: "sql",
        what: "SQL observer",
    },
    Unsupported {
        short: 't',
        long: "tiny_db",
        what: "TinyDB observer",
    },
];

/// A long name with `_` and `-` made the same.
pub(super) fn normalize(long: &str) -> String {
    long.replace('_', "-")
}

/// Whether a beat interval is usable: a finite number of seconds, 0 or more. `-b` and
/// `sacred.toml`'s `beat_interval` both check it.
pub(crate) fn is_valid_beat_interval(seconds: f64) -> bool {
    seconds.is_finite() && seconds >= 0.0
}

/// A log level: a number from 0 to 50 or a level name, case-insensitive.
fn loglevel(value: &str) -> Option<u8> {
    let value = value.trim();
    if let Ok(level) = value.parse::<u8>() {
        return (level <= 50).then_some(level);
    }
    crate::log::level_named(value)
}

/// The flags given so far: their values, which ones were given, and whether help was
/// asked for.
#[derive(Debug, Default)]
pub(super) struct FlagSet {
    /// The values.
    pub(super) flags: Flags,
    /// The flags given, to refuse a repetition.
    seen: Vec<FlagId>,
    /// `-h/--help` was given (any number of times).
    pub(super) help: bool,
}

impl FlagSet {
    /// Records a flag and its value, checking repetition and the value's form. `typed` is
    /// the flag as written (`--na`), for messages.
    pub(super) fn apply(
        &mut self,
        program: &str,
        spec: &FlagSpec,
        typed: &str,
        value: Option<String>,
    ) -> Result<(), Error> {
        if spec.id == FlagId::Help {
            // Asking for help twice is still asking for help.
            self.help = true;
            return Ok(());
        }
        if spec.id == FlagId::Version {
            self.flags.version = true;
            return Ok(());
        }
        if self.seen.contains(&spec.id) {
            return Err(usage_error(
                program,
                format!("`{}` given more than once", spec.label()),
                &["each flag may be given once".to_owned()],
            ));
        }
        self.seen.push(spec.id);
        let value = value.unwrap_or_default();
        let invalid = |expected: &str, hints: &[String]| {
            usage_error(
                program,
                format!(
                    "invalid value `{value}` for {}: expected {expected}",
                    spec.describe(typed)
                ),
                hints,
            )
        };
        let text = || -> Result<String, Error> {
            if value.trim().is_empty() {
                Err(invalid(spec.value.unwrap_or("a value"), &[]))
            } else {
                Ok(value.clone())
            }
        };
        // Names, ids and comments reach log lines and records: a newline or an escape
        // sequence there could forge a log line, so they are refused (and shown escaped).
        let one_line = |value: String| -> Result<String, Error> {
            if value.chars().any(char::is_control) {
                Err(usage_error(
                    program,
                    format!(
                        "invalid value \"{}\" for {}: expected text without control \
                         characters (newlines, tabs, escape sequences)",
                        value.escape_debug(),
                        spec.describe(typed)
                    ),
                    &[],
                ))
            } else {
                Ok(value)
            }
        };
        let flags = &mut self.flags;
        match spec.id {
            FlagId::BeatInterval => {
                let seconds: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid("a number of seconds", &[]))?;
                if !is_valid_beat_interval(seconds) {
                    return Err(invalid("a number of seconds, finite and 0 or more", &[]));
                }
                flags.beat_interval = Some(seconds);
            }
            FlagId::Capture => {
                let mode = value.parse::<CaptureMode>().map_err(|e| {
                    let hints: Vec<String> = e.hint().into_iter().collect();
                    invalid(e.expected(), &hints)
                })?;
                flags.capture = Some(mode);
            }
            FlagId::Comment => flags.comment = Some(one_line(value.clone())?),
            FlagId::Debug => flags.debug = true,
            FlagId::EnforceClean => flags.enforce_clean = true,
            FlagId::FileStorage => flags.file_storage = Some(text()?),
            FlagId::Force => flags.force = true,
            FlagId::Help => self.help = true,
            FlagId::Id => flags.id = Some(one_line(text()?)?),
            FlagId::Loglevel => {
                let level = loglevel(&value).ok_or_else(|| {
                    let upper = value.trim().to_ascii_uppercase();
                    let hints: Vec<String> = suggest::did_you_mean(
                        &upper,
                        crate::log::LEVELS.iter().map(|(name, _)| *name),
                    )
                    .into_iter()
                    .collect();
                    invalid(
                        "a number from 0 to 50 or one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
                        &hints,
                    )
                })?;
                flags.loglevel = Some(level);
                flags.loglevel_given = Some(value.clone());
            }
            FlagId::MongoDb => flags.mongo_db = Some(text()?),
            FlagId::Name => flags.name = Some(one_line(text()?)?),
            FlagId::PrintConfig => flags.print_config = true,
            FlagId::Priority => {
                let priority = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|p| p.is_finite())
                    .ok_or_else(|| invalid("a number", &[]))?;
                flags.priority = Some(priority);
            }
            FlagId::Queue => flags.queue = true,
            FlagId::Unobserved => flags.unobserved = true,
            FlagId::Sources => flags.sources = true,
            FlagId::ConfigFile => flags.config_file = Some(text()?),
            FlagId::Random | FlagId::Jobs | FlagId::MaxRuns => {
                let count = value
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid(spec.value.unwrap_or("a number"), &[]))?;
                match spec.id {
                    FlagId::Random => flags.random = Some(count),
                    FlagId::Jobs => flags.jobs = Some(count),
                    _ => flags.max_runs = Some(count),
                }
            }
            FlagId::IdleExit | FlagId::DeadAfter => {
                let seconds = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| invalid("a number of seconds, 0 or more", &[]))?;
                if spec.id == FlagId::IdleExit {
                    flags.idle_exit = Some(seconds);
                } else {
                    flags.dead_after = Some(seconds);
                }
            }
            FlagId::Mark => flags.mark = true,
            FlagId::Version => flags.version = true,
        }
        Ok(())
    }
}
