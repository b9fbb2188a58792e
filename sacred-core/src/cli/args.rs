//! Tokenising and parsing argv.
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
//! Flags may appear anywhere; `--` ends them. Long flags accept `_` and `-` interchangeably
//! and any unique prefix, as docopt does.

use super::{CaptureMode, Command, Flags, Invocation, Update, parse_value};
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
        value: Some("one of `fd`, `sys`, `no`"),
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
        value: Some("a database specification `[host:port:]db_name[.collection[:id]][!priority]`"),
        help: "Add a MongoDB Observer to the experiment. The argument value is the database \
               specification. Should be in the form: \
               `[host:port:]db_name[.collection[:id]][!priority]`",
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
        help: "With save_config: the file to store the configuration in (default: \
               config.json).",
    },
    FlagSpec {
        id: FlagId::Sources,
        short: None,
        long: "sources",
        value: None,
        help: "With print_config: show where each configuration value came from.",
    },
];

/// A flag of Python Sacred that sacred-rs does not have.
struct Unsupported {
    short: char,
    long: &'static str,
    what: &'static str,
}

const UNSUPPORTED: &[Unsupported] = &[
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

/// The commands accepted before `with`, `main` included (Sacred accepts it too).
const COMMANDS: &[(&str, Command)] = &[
    ("main", Command::Main),
    ("print_config", Command::PrintConfig),
    ("print_named_configs", Command::PrintNamedConfigs),
    ("save_config", Command::SaveConfig),
    ("print_dependencies", Command::PrintDependencies),
];

/// Log levels by name, as Python's `logging` knows them.
const LOG_LEVELS: &[(&str, u8)] = &[
    ("DEBUG", 10),
    ("INFO", 20),
    ("WARNING", 30),
    ("WARN", 30),
    ("ERROR", 40),
    ("CRITICAL", 50),
];

/// A long name with `_` and `-` made the same.
fn normalize(long: &str) -> String {
    long.replace('_', "-")
}

/// Parses a command line; `args[0]` is the program name.
///
/// # Errors
/// A usage error naming the offending token, with hints, ending with a pointer to
/// `--help`.
pub fn parse(args: &[String]) -> Result<Invocation, Error> {
    let program = args
        .first()
        .and_then(|a| a.rsplit(['/', '\\']).next())
        .filter(|name| !name.is_empty())
        .unwrap_or("experiment")
        .to_owned();
    let mut parser = Parser {
        program,
        flags: Flags::default(),
        seen: Vec::new(),
        help: false,
        positionals: Vec::new(),
    };
    parser.tokens(args.get(1..).unwrap_or_default())?;
    let positionals = std::mem::take(&mut parser.positionals);
    let (command, updates) = match parser.positionals(&positionals) {
        // `-h` wins over any command, and over mistakes in the positional arguments.
        Ok((_, updates)) if parser.help => (Command::Help(None), updates),
        Err(_) if parser.help => (Command::Help(None), Vec::new()),
        result => result?,
    };
    Ok(Invocation {
        program: parser.program,
        command,
        updates,
        flags: parser.flags,
    })
}

struct Parser {
    program: String,
    flags: Flags,
    seen: Vec<FlagId>,
    help: bool,
    positionals: Vec<String>,
}

impl Parser {
    /// A usage error: the first line, indented hint lines, and the pointer to `--help`.
    fn error(&self, first: impl Into<String>, hints: &[String]) -> Error {
        usage_error(&self.program, first, hints)
    }

    /// Walks the arguments after the program name: flags are applied, the rest collected.
    fn tokens(&mut self, args: &[String]) -> Result<(), Error> {
        let mut rest = args.iter();
        while let Some(token) = rest.next() {
            if token == "--" {
                self.positionals.extend(rest.by_ref().cloned());
            } else if let Some(body) = token.strip_prefix("--") {
                self.long(token, body, &mut rest)?;
            } else if token.len() > 1 && token.starts_with('-') {
                self.short(token, &token[1..], &mut rest)?;
            } else {
                self.positionals.push(token.clone());
            }
        }
        Ok(())
    }

    /// `--name`, `--name=VALUE` or `--name VALUE`, with prefixes and either separator.
    fn long<'a>(
        &mut self,
        token: &str,
        body: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<(), Error> {
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        let spec = self.resolve_long(token, name)?;
        let typed = format!("--{name}");
        let value = match (spec.value, inline) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(self.error(
                    format!(
                        "flag {} takes no value, found `{token}`",
                        describe(spec, &typed)
                    ),
                    &[format!("write `--{}` alone", spec.long)],
                ));
            }
            (Some(_), Some(value)) => Some(value.to_owned()),
            (Some(_), None) => Some(self.next_value(spec, &typed, rest)?),
        };
        self.apply(spec, &typed, value)
    }

    /// The flag a long name (without dashes) stands for.
    fn resolve_long(&self, token: &str, name: &str) -> Result<&'static FlagSpec, Error> {
        let wanted = normalize(name);
        if !wanted.is_empty() {
            if let Some(spec) = FLAGS.iter().find(|f| normalize(f.long) == wanted) {
                return Ok(spec);
            }
            let matches: Vec<&FlagSpec> = FLAGS
                .iter()
                .filter(|f| normalize(f.long).starts_with(&wanted))
                .collect();
            match matches.as_slice() {
                [spec] => return Ok(spec),
                [] => {}
                several => {
                    let names: Vec<String> =
                        several.iter().map(|f| format!("`--{}`", f.long)).collect();
                    return Err(self.error(
                        format!("ambiguous flag `--{name}`"),
                        &[format!("it could be {}", names.join(", "))],
                    ));
                }
            }
            if let Some(unsupported) = UNSUPPORTED
                .iter()
                .find(|u| normalize(u.long).starts_with(&wanted))
            {
                return Err(self.unsupported(&format!("--{name}"), unsupported));
            }
        }
        let longs: Vec<String> = FLAGS.iter().map(|f| format!("--{}", f.long)).collect();
        let typed = format!("--{name}");
        let hints: Vec<String> = suggest::did_you_mean(&typed, longs.iter().map(String::as_str))
            .into_iter()
            .collect();
        let shown = if name.is_empty() { token } else { &typed };
        Err(self.error(format!("unknown flag `{shown}`"), &hints))
    }

    /// The error for one of Python Sacred's flags that sacred-rs does not have.
    fn unsupported(&self, typed: &str, flag: &Unsupported) -> Error {
        let long = format!("--{}", flag.long);
        let name = if typed == long {
            format!("`{typed}`")
        } else {
            format!("`{typed}` (`-{}/{long}`)", flag.short)
        };
        let mut hints = Vec::new();
        if flag.long != "pdb" {
            hints.push(
                "observers sacred-rs has: `-F/--file_storage DIR`, `-m/--mongo_db SPEC`".to_owned(),
            );
        }
        self.error(
            format!(
                "{name} is Python Sacred's {}, which sacred-rs does not have",
                flag.what
            ),
            &hints,
        )
    }

    /// `-x`, `-xVALUE`, `-x VALUE`, `-xyz`.
    fn short<'a>(
        &mut self,
        token: &str,
        body: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<(), Error> {
        if body.chars().count() > 2 {
            let wanted = normalize(body);
            if let Some(spec) = FLAGS.iter().find(|f| normalize(f.long) == wanted) {
                return Err(self.error(
                    format!("unknown flag `{token}`: long flags take two dashes"),
                    &[format!("did you mean `--{}`?", spec.long)],
                ));
            }
            if let Some(unsupported) = UNSUPPORTED.iter().find(|u| normalize(u.long) == wanted) {
                return Err(self.unsupported(token, unsupported));
            }
        }
        for (at, c) in body.char_indices() {
            let typed = format!("-{c}");
            let Some(spec) = FLAGS.iter().find(|f| f.short == Some(c)) else {
                if let Some(unsupported) = UNSUPPORTED.iter().find(|u| u.short == c) {
                    return Err(self.unsupported(&typed, unsupported));
                }
                let shown = if typed == token {
                    format!("unknown flag `{typed}`")
                } else {
                    format!("unknown flag `{typed}` in `{token}`")
                };
                let other_case: Vec<String> = FLAGS
                    .iter()
                    .filter_map(|f| f.short)
                    .filter(|s| *s != c && s.eq_ignore_ascii_case(&c))
                    .map(|s| format!("did you mean `-{s}`?"))
                    .collect();
                return Err(self.error(shown, &other_case));
            };
            if spec.value.is_none() {
                self.apply(spec, &typed, None)?;
                continue;
            }
            let attached = &body[at + c.len_utf8()..];
            let value = if attached.is_empty() {
                self.next_value(spec, &typed, rest)?
            } else {
                // `-F=runs` means `runs`, not `=runs`.
                attached.strip_prefix('=').unwrap_or(attached).to_owned()
            };
            return self.apply(spec, &typed, Some(value));
        }
        Ok(())
    }

    /// The argument after a value-taking flag.
    fn next_value<'a>(
        &self,
        spec: &FlagSpec,
        typed: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<String, Error> {
        match rest.next() {
            Some(value) => Ok(value.clone()),
            None => Err(self.error(
                format!(
                    "missing value for {}: expected {}",
                    describe(spec, typed),
                    spec.value.unwrap_or("a value")
                ),
                &[],
            )),
        }
    }

    /// Records a flag and its value, checking repetition and the value's form.
    fn apply(&mut self, spec: &FlagSpec, typed: &str, value: Option<String>) -> Result<(), Error> {
        if spec.id == FlagId::Help {
            // Asking for help twice is still asking for help.
            self.help = true;
            return Ok(());
        }
        if self.seen.contains(&spec.id) {
            return Err(self.error(
                format!("`{}` given more than once", spec.label()),
                &["each flag may be given once".to_owned()],
            ));
        }
        self.seen.push(spec.id);
        let value = value.unwrap_or_default();
        let invalid = |expected: &str, hints: &[String]| {
            usage_error(
                &self.program,
                format!(
                    "invalid value `{value}` for {}: expected {expected}",
                    describe(spec, typed)
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
        let flags = &mut self.flags;
        match spec.id {
            FlagId::BeatInterval => {
                let seconds: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid("a number of seconds", &[]))?;
                if !seconds.is_finite() || seconds < 0.0 {
                    return Err(invalid("a number of seconds, finite and 0 or more", &[]));
                }
                flags.beat_interval = Some(seconds);
            }
            FlagId::Capture => {
                let mode = match value.trim().to_ascii_lowercase().as_str() {
                    "fd" => CaptureMode::Fd,
                    "sys" => CaptureMode::Sys,
                    "no" => CaptureMode::No,
                    _ => {
                        let hints: Vec<String> = suggest::did_you_mean(
                            &value.trim().to_ascii_lowercase(),
                            ["fd", "sys", "no"],
                        )
                        .into_iter()
                        .collect();
                        return Err(invalid("one of `fd`, `sys`, `no`", &hints));
                    }
                };
                flags.capture = Some(mode);
            }
            FlagId::Comment => flags.comment = Some(value.clone()),
            FlagId::Debug => flags.debug = true,
            FlagId::EnforceClean => flags.enforce_clean = true,
            FlagId::FileStorage => flags.file_storage = Some(text()?),
            FlagId::Force => flags.force = true,
            FlagId::Help => self.help = true,
            FlagId::Id => flags.id = Some(text()?),
            FlagId::Loglevel => {
                let level = loglevel(&value).ok_or_else(|| {
                    let upper = value.trim().to_ascii_uppercase();
                    let hints: Vec<String> =
                        suggest::did_you_mean(&upper, LOG_LEVELS.iter().map(|(name, _)| *name))
                            .into_iter()
                            .collect();
                    invalid(
                        "a number from 0 to 50 or one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
                        &hints,
                    )
                })?;
                flags.loglevel = Some(level);
            }
            FlagId::MongoDb => flags.mongo_db = Some(text()?),
            FlagId::Name => flags.name = Some(text()?),
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
        }
        Ok(())
    }

    /// Splits the positional tokens into the command and the updates.
    fn positionals(&self, tokens: &[String]) -> Result<(Command, Vec<Update>), Error> {
        let (before, after) = match tokens.iter().position(|t| t == "with") {
            Some(at) => (&tokens[..at], Some(&tokens[at + 1..])),
            None => (tokens, None),
        };
        let before: Vec<&String> = before.iter().filter(|t| !t.trim().is_empty()).collect();
        let early_updates: Vec<&str> = before
            .iter()
            .filter(|t| t.contains('='))
            .map(|t| t.as_str())
            .collect();
        let command = match before.first() {
            None => Command::Main,
            Some(first) if first.as_str() == "help" => {
                if let Some(extra) = before.get(2) {
                    return Err(self.error(
                        format!("unexpected argument `{extra}` after `help {}`", before[1]),
                        &["`help` takes at most one command name".to_owned()],
                    ));
                }
                if after.is_some() {
                    return Err(self.error(
                        "`help` takes no `with` updates",
                        &[format!("write `{} help [COMMAND]`", self.program)],
                    ));
                }
                Command::Help(before.get(1).map(|c| (*c).clone()))
            }
            Some(first) => match COMMANDS.iter().find(|(name, _)| *name == first.as_str()) {
                Some((_, command)) => command.clone(),
                None if first.contains('=') => {
                    return Err(self.early_update(first, &early_updates));
                }
                None => return Err(self.unknown_command(first)),
            },
        };
        if let Some(extra) = before.get(1)
            && !matches!(command, Command::Help(_))
        {
            if extra.contains('=') {
                return Err(self.early_update(extra, &early_updates));
            }
            return Err(self.error(
                format!(
                    "unexpected argument `{extra}` after command `{}`",
                    before[0]
                ),
                &[
                    "a command takes one name; named configs and config files come after \
                     `with`"
                        .to_owned(),
                    format!("write `{} {} with {extra}`", self.program, before[0]),
                ],
            ));
        }
        let mut updates = Vec::new();
        let Some(after) = after else {
            return Ok((command, updates));
        };
        for token in after {
            if token == "with" {
                return Err(self.error(
                    "`with` given twice",
                    &["put all config updates after one `with`: `with a=1 b=2`".to_owned()],
                ));
            }
            if let Some(update) = self.update(token)? {
                updates.push(update);
            }
        }
        Ok((command, updates))
    }

    /// The error for a `key=value` token before `with`.
    fn early_update(&self, token: &str, all: &[&str]) -> Error {
        self.error(
            format!("unexpected config update `{token}` before `with`"),
            &[format!(
                "config updates come after `with`: `with {}`",
                all.join(" ")
            )],
        )
    }

    /// The error for a first positional that is no command.
    fn unknown_command(&self, name: &str) -> Error {
        let names: Vec<&str> = Command::BUILT_IN
            .iter()
            .map(|(name, _)| *name)
            .chain(["main"])
            .collect();
        let mut hints = Vec::new();
        match suggest::did_you_mean(name, names.iter().copied()) {
            Some(hint) => hints.push(hint),
            None => hints.push(format!(
                "named configs and config files come after `with`: `with {name}`"
            )),
        }
        let available: Vec<String> = Command::BUILT_IN
            .iter()
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        hints.push(format!("available commands: {}", available.join(", ")));
        self.error(format!("unknown command `{name}`"), &hints)
    }

    /// One token after `with`; `None` for an empty one.
    fn update(&self, token: &str) -> Result<Option<Update>, Error> {
        if token.trim().is_empty() {
            return Ok(None);
        }
        let Some((key, value)) = token.split_once('=') else {
            return Ok(Some(Update::Named(token.trim().to_owned())));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(self.error(
                format!("missing config key in `{token}`: expected KEY=VALUE"),
                &["for example `with lr=0.1` or `with optimizer.lr=0.1`".to_owned()],
            ));
        }
        let valid_segment = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        };
        if !key.split('.').all(valid_segment) {
            return Err(self.error(
                format!("invalid config key `{key}` in `{token}`: expected a dotted name"),
                &["for example `with lr=0.1` or `with optimizer.lr=0.1`".to_owned()],
            ));
        }
        Ok(Some(Update::Set {
            key: key.to_owned(),
            value: parse_value(value),
            token: token.to_owned(),
        }))
    }
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

/// How a flag is named in a message: `-n/--name`, plus the spelling as typed when that
/// differs (`--na` (`-n/--name`)).
fn describe(spec: &FlagSpec, typed: &str) -> String {
    let label = spec.label();
    let exact =
        typed == format!("--{}", spec.long) || spec.short.is_some_and(|c| typed == format!("-{c}"));
    if exact {
        format!("`{label}`")
    } else {
        format!("`{typed}` (`{label}`)")
    }
}

/// A log level: a number from 0 to 50 or a level name, case-insensitive.
fn loglevel(value: &str) -> Option<u8> {
    let value = value.trim();
    if let Ok(level) = value.parse::<u8>() {
        return (level <= 50).then_some(level);
    }
    let upper = value.to_ascii_uppercase();
    LOG_LEVELS
        .iter()
        .find(|(name, _)| *name == upper)
        .map(|(_, level)| *level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(line: &str) -> Vec<String> {
        std::iter::once("./exp".to_owned())
            .chain(line.split_whitespace().map(str::to_owned))
            .collect()
    }

    fn ok(line: &str) -> Invocation {
        match parse(&args(line)) {
            Ok(invocation) => invocation,
            Err(e) => panic!("`{line}` failed: {e}"),
        }
    }

    fn ok_args(list: &[&str]) -> Invocation {
        let all: Vec<String> = std::iter::once("exp")
            .chain(list.iter().copied())
            .map(str::to_owned)
            .collect();
        match parse(&all) {
            Ok(invocation) => invocation,
            Err(e) => panic!("{list:?} failed: {e}"),
        }
    }

    fn err(line: &str) -> String {
        err_args(&args(line))
    }

    fn err_args(all: &[String]) -> String {
        match parse(all) {
            Ok(invocation) => panic!("{all:?} parsed: {invocation:?}"),
            Err(e) => {
                assert!(matches!(e, Error::Usage { .. }), "{e:?}");
                assert_eq!(e.exit_code(), 2);
                let message = e.to_string();
                assert!(
                    message.ends_with("\nRun `exp --help` for the usage."),
                    "{message}"
                );
                message
            }
        }
    }

    fn first_line(message: &str) -> &str {
        message.lines().next().unwrap_or_default()
    }

    fn set(key: &str, value: serde_json::Value, token: &str) -> Update {
        Update::Set {
            key: key.to_owned(),
            value,
            token: token.to_owned(),
        }
    }

    // ---- program name and commands ----

    #[test]
    fn program_name_is_the_file_name() {
        assert_eq!(ok("").program, "exp");
        let inv = parse(&["/usr/local/bin/train".to_owned()]);
        assert_eq!(inv.map(|i| i.program).ok().as_deref(), Some("train"));
        let inv = parse(&[r"C:\bin\train.exe".to_owned()]);
        assert_eq!(inv.map(|i| i.program).ok().as_deref(), Some("train.exe"));
        let inv = parse(&["train".to_owned()]);
        assert_eq!(inv.map(|i| i.program).ok().as_deref(), Some("train"));
    }

    #[test]
    fn empty_args_use_a_default_program_name() {
        let inv = parse(&[]);
        assert!(inv.as_ref().is_ok_and(|i| i.program == "experiment"));
        assert!(inv.is_ok_and(|i| i.command == Command::Main));
        let inv = parse(&[String::new()]);
        assert!(inv.is_ok_and(|i| i.program == "experiment"));
    }

    #[test]
    fn no_command_is_main() {
        let inv = ok("");
        assert_eq!(inv.command, Command::Main);
        assert!(inv.updates.is_empty());
        assert_eq!(inv.flags, Flags::default());
    }

    #[test]
    fn built_in_commands() {
        assert_eq!(ok("print_config").command, Command::PrintConfig);
        assert_eq!(
            ok("print_named_configs").command,
            Command::PrintNamedConfigs
        );
        assert_eq!(ok("save_config").command, Command::SaveConfig);
        assert_eq!(ok("main").command, Command::Main);
        assert_eq!(ok("help").command, Command::Help(None));
        assert_eq!(
            ok("help print_config").command,
            Command::Help(Some("print_config".to_owned()))
        );
        assert_eq!(
            ok("help nonsense").command,
            Command::Help(Some("nonsense".to_owned()))
        );
    }

    #[test]
    fn every_built_in_command_parses() {
        for (name, _) in Command::BUILT_IN {
            let inv = ok(name);
            assert_eq!(inv.command.name(), *name);
        }
    }

    #[test]
    fn help_flag_anywhere_wins() {
        for line in [
            "-h",
            "--help",
            "--he",
            "print_config -h",
            "-h save_config with a=1",
            "help save_config --help",
            "with a=1 -uh",
            "-h -h",
            "-h --help",
        ] {
            let inv = ok(line);
            assert_eq!(inv.command, Command::Help(None), "{line}");
        }
    }

    #[test]
    fn help_after_double_dash_is_positional() {
        let inv = ok("with -- -h");
        assert_eq!(inv.command, Command::Main);
        assert_eq!(inv.updates, vec![Update::Named("-h".to_owned())]);
    }

    #[test]
    fn help_flag_wins_over_positional_errors() {
        assert_eq!(ok("bogus -h").command, Command::Help(None));
        assert_eq!(ok("print_config foo --help").command, Command::Help(None));
        assert_eq!(ok("with a=1 with b=2 -h").command, Command::Help(None));
        let inv = ok("-h with a=1 b");
        assert_eq!(
            inv.updates,
            vec![set("a", json!(1), "a=1"), Update::Named("b".to_owned())]
        );
    }

    #[test]
    fn help_flag_does_not_hide_flag_errors() {
        let message = err("-h --bogus");
        assert!(message.starts_with("unknown flag `--bogus`"), "{message}");
        let message = err("-h -n");
        assert!(message.starts_with("missing value"), "{message}");
    }

    #[test]
    fn unknown_command_suggests_and_lists() {
        let message = err("print_confg");
        assert_eq!(first_line(&message), "unknown command `print_confg`");
        assert!(
            message.contains("did you mean `print_config`?"),
            "{message}"
        );
        assert!(
            message.contains(
                "available commands: `print_config`, `print_named_configs`, `save_config`, `print_dependencies`, `help`"
            ),
            "{message}"
        );
    }

    #[test]
    fn unknown_command_far_from_any_hints_with() {
        let message = err("small_model");
        assert_eq!(first_line(&message), "unknown command `small_model`");
        assert!(!message.contains("did you mean"), "{message}");
        assert!(
            message.contains("come after `with`: `with small_model`"),
            "{message}"
        );
        assert!(message.contains("available commands:"), "{message}");
    }

    #[test]
    fn second_positional_is_an_error() {
        let message = err("print_config foo");
        assert_eq!(
            first_line(&message),
            "unexpected argument `foo` after command `print_config`"
        );
        assert!(message.contains("`exp print_config with foo`"), "{message}");
        let message = err("help a b");
        assert_eq!(
            first_line(&message),
            "unexpected argument `b` after `help a`"
        );
        let message = err("help print_config with a=1");
        assert_eq!(first_line(&message), "`help` takes no `with` updates");
    }

    #[test]
    fn update_before_with_hints() {
        let message = err("lr=3");
        assert_eq!(
            first_line(&message),
            "unexpected config update `lr=3` before `with`"
        );
        assert!(
            message.contains("config updates come after `with`: `with lr=3`"),
            "{message}"
        );
        let message = err("print_config lr=3 bs=2");
        assert_eq!(
            first_line(&message),
            "unexpected config update `lr=3` before `with`"
        );
        assert!(message.contains("`with lr=3 bs=2`"), "{message}");
        let message = err("lr=3 with bs=2");
        assert!(message.contains("`with lr=3`"), "{message}");
    }

    // ---- updates ----

    #[test]
    fn updates_after_with() {
        let inv = ok("with lr=0.1 steps=10 name=adam small flags=[1,2]");
        assert_eq!(inv.command, Command::Main);
        assert_eq!(
            inv.updates,
            vec![
                set("lr", json!(0.1), "lr=0.1"),
                set("steps", json!(10), "steps=10"),
                set("name", json!("adam"), "name=adam"),
                Update::Named("small".to_owned()),
                set("flags", json!([1, 2]), "flags=[1,2]"),
            ]
        );
    }

    #[test]
    fn updates_with_a_command() {
        let inv = ok("print_config with optimizer.lr=1e-3 config.json");
        assert_eq!(inv.command, Command::PrintConfig);
        assert_eq!(
            inv.updates,
            vec![
                set("optimizer.lr", json!(0.001), "optimizer.lr=1e-3"),
                Update::Named("config.json".to_owned()),
            ]
        );
    }

    #[test]
    fn update_splits_at_the_first_equals_and_trims() {
        let inv = ok("with a=b=c");
        assert_eq!(inv.updates, vec![set("a", json!("b=c"), "a=b=c")]);
        let inv = ok_args(&["with", " lr = 0.5 ", "x=", "y= 'a b' "]);
        assert_eq!(
            inv.updates,
            vec![
                set("lr", json!(0.5), " lr = 0.5 "),
                set("x", json!(""), "x="),
                set("y", json!("a b"), "y= 'a b' "),
            ]
        );
    }

    #[test]
    fn update_values_are_parsed() {
        let inv = ok_args(&[
            "with",
            "a=1",
            "b=true",
            "c=None",
            "d={x: 1}",
            "e='quoted'",
            "f=hello world",
        ]);
        let values: Vec<serde_json::Value> = inv
            .updates
            .into_iter()
            .filter_map(|u| match u {
                Update::Set { value, .. } => Some(value),
                Update::Named(_) => None,
            })
            .collect();
        assert_eq!(
            values,
            vec![
                json!(1),
                json!(true),
                json!(null),
                json!({"x": 1}),
                json!("quoted"),
                json!("hello world"),
            ]
        );
    }

    #[test]
    fn empty_tokens_are_ignored() {
        let inv = ok_args(&["", "with", "", "a=1", "  "]);
        assert_eq!(inv.command, Command::Main);
        assert_eq!(inv.updates, vec![set("a", json!(1), "a=1")]);
        let inv = ok_args(&["print_config", "", "with"]);
        assert_eq!(inv.command, Command::PrintConfig);
        assert!(inv.updates.is_empty());
    }

    #[test]
    fn with_without_updates_is_fine() {
        let inv = ok("with");
        assert_eq!(inv.command, Command::Main);
        assert!(inv.updates.is_empty());
        let inv = ok("save_config with -u");
        assert_eq!(inv.command, Command::SaveConfig);
        assert!(inv.flags.unobserved);
    }

    #[test]
    fn named_updates_are_trimmed() {
        let inv = ok_args(&["with", " small "]);
        assert_eq!(inv.updates, vec![Update::Named("small".to_owned())]);
    }

    #[test]
    fn with_given_twice() {
        let message = err("with a=1 with b=2");
        assert_eq!(first_line(&message), "`with` given twice");
    }

    #[test]
    fn bad_update_keys() {
        let message = err("with =3");
        assert_eq!(
            first_line(&message),
            "missing config key in `=3`: expected KEY=VALUE"
        );
        let message = err_args(&args_list(&["with", " =3"]));
        assert!(message.starts_with("missing config key"), "{message}");
        for key in ["a..b", ".a", "a.", "a[0]", "a b", "a'"] {
            let token = format!("{key}=3");
            let message = err_args(&args_list(&["with", &token]));
            assert_eq!(
                first_line(&message),
                format!("invalid config key `{key}` in `{token}`: expected a dotted name"),
            );
        }
    }

    #[test]
    fn good_update_keys() {
        for key in ["a", "a.b.c", "batch_size", "layer-2", "x1.y_2", "é"] {
            let token = format!("{key}=1");
            let inv = ok_args(&["with", &token]);
            assert_eq!(inv.updates, vec![set(key, json!(1), &token)]);
        }
    }

    fn args_list(list: &[&str]) -> Vec<String> {
        std::iter::once("exp")
            .chain(list.iter().copied())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn double_dash_ends_flags() {
        let inv = ok("with -- a=-1 -u");
        assert!(!inv.flags.unobserved);
        assert_eq!(
            inv.updates,
            vec![set("a", json!(-1), "a=-1"), Update::Named("-u".to_owned())]
        );
        let inv = ok("-u -- print_config with --");
        assert!(inv.flags.unobserved);
        assert_eq!(inv.command, Command::PrintConfig);
        assert_eq!(inv.updates, vec![Update::Named("--".to_owned())]);
    }

    #[test]
    fn lone_dash_is_positional() {
        let inv = ok("with -");
        assert_eq!(inv.updates, vec![Update::Named("-".to_owned())]);
    }

    // ---- flags ----

    #[test]
    fn flags_anywhere() {
        let inv = ok("-u print_config -d with a=1 -f b=2 --sources");
        assert_eq!(inv.command, Command::PrintConfig);
        assert!(inv.flags.unobserved && inv.flags.debug && inv.flags.force && inv.flags.sources);
        assert_eq!(
            inv.updates,
            vec![set("a", json!(1), "a=1"), set("b", json!(2), "b=2")]
        );
    }

    #[test]
    fn every_boolean_flag() {
        let inv = ok("-d -e -f -p -q -u --sources");
        let expected = Flags {
            debug: true,
            enforce_clean: true,
            force: true,
            print_config: true,
            queue: true,
            unobserved: true,
            sources: true,
            ..Flags::default()
        };
        assert_eq!(inv.flags, expected);
        let inv = ok("--debug --enforce_clean --force --print-config --queue --unobserved");
        assert_eq!(
            inv.flags,
            Flags {
                sources: false,
                ..expected
            }
        );
    }

    #[test]
    fn every_value_flag() {
        let inv = ok(
            "-b 2.5 -C sys -c note -F runs -i 7 -l INFO -m host:27017:db -n trial -P 3 \
             --config-file out.json",
        );
        assert_eq!(
            inv.flags,
            Flags {
                beat_interval: Some(2.5),
                capture: Some(CaptureMode::Sys),
                comment: Some("note".to_owned()),
                file_storage: Some("runs".to_owned()),
                id: Some("7".to_owned()),
                loglevel: Some(20),
                mongo_db: Some("host:27017:db".to_owned()),
                name: Some("trial".to_owned()),
                priority: Some(3.0),
                config_file: Some("out.json".to_owned()),
                ..Flags::default()
            }
        );
    }

    #[test]
    fn value_forms() {
        for line in [
            "--name=x", "--name x", "-nx", "-n x", "--na=x", "--na x", "-n=x",
        ] {
            assert_eq!(ok(line).flags.name.as_deref(), Some("x"), "{line}");
        }
        let inv = ok_args(&["--comment=a b=c"]);
        assert_eq!(inv.flags.comment.as_deref(), Some("a b=c"));
        let inv = ok_args(&["--comment", "with"]);
        assert_eq!(inv.flags.comment.as_deref(), Some("with"));
        assert!(inv.updates.is_empty());
    }

    #[test]
    fn value_may_start_with_a_dash() {
        let inv = ok_args(&["-c", "-u"]);
        assert_eq!(inv.flags.comment.as_deref(), Some("-u"));
        assert!(!inv.flags.unobserved);
        let message = err("-b -1");
        assert_eq!(
            first_line(&message),
            "invalid value `-1` for `-b/--beat-interval`: expected a number of seconds, \
             finite and 0 or more"
        );
    }

    #[test]
    fn empty_comment_is_allowed() {
        let inv = ok_args(&["--comment="]);
        assert_eq!(inv.flags.comment.as_deref(), Some(""));
    }

    #[test]
    fn empty_values_are_rejected_where_meaningless() {
        let message = err_args(&args_list(&["--name="]));
        assert_eq!(
            first_line(&message),
            "invalid value `` for `-n/--name`: expected a name"
        );
        let message = err_args(&args_list(&["-F", " "]));
        assert!(
            message.starts_with("invalid value ` ` for `-F/--file_storage`: expected a directory"),
            "{message}"
        );
    }

    #[test]
    fn combined_short_flags() {
        let inv = ok("-ub 0");
        assert!(inv.flags.unobserved);
        assert_eq!(inv.flags.beat_interval, Some(0.0));
        let inv = ok("-dfu");
        assert!(inv.flags.debug && inv.flags.force && inv.flags.unobserved);
        let inv = ok("-l10");
        assert_eq!(inv.flags.loglevel, Some(10));
        let inv = ok("-uqnfoo");
        assert!(inv.flags.unobserved && inv.flags.queue);
        assert_eq!(inv.flags.name.as_deref(), Some("foo"));
        assert!(!inv.flags.force);
    }

    #[test]
    fn long_names_accept_either_separator() {
        assert_eq!(
            ok("--file-storage runs").flags.file_storage.as_deref(),
            Some("runs")
        );
        assert_eq!(
            ok("--file_storage=runs").flags.file_storage.as_deref(),
            Some("runs")
        );
        assert!(ok("--print_config").flags.print_config);
        assert!(ok("--print-config").flags.print_config);
        assert!(ok("--enforce-clean").flags.enforce_clean);
        assert_eq!(ok("--beat_interval 3").flags.beat_interval, Some(3.0));
        assert_eq!(ok("--mongo-db x").flags.mongo_db.as_deref(), Some("x"));
        assert_eq!(
            ok("--config_file c.json").flags.config_file.as_deref(),
            Some("c.json")
        );
    }

    #[test]
    fn unique_prefixes() {
        assert!(ok("--unob").flags.unobserved);
        assert_eq!(ok("--mongo=x").flags.mongo_db.as_deref(), Some("x"));
        assert_eq!(ok("--mongo_=x").flags.mongo_db.as_deref(), Some("x"));
        assert!(ok("--print_c").flags.print_config);
        assert_eq!(ok("--prio 2").flags.priority, Some(2.0));
        assert!(ok("--so").flags.sources);
        assert_eq!(ok("--conf c").flags.config_file.as_deref(), Some("c"));
        assert_eq!(ok("--com hi").flags.comment.as_deref(), Some("hi"));
        assert!(ok("--d").flags.debug);
        assert!(ok("--q").flags.queue);
    }

    #[test]
    fn ambiguous_prefixes() {
        let message = err("--pri 1");
        assert_eq!(first_line(&message), "ambiguous flag `--pri`");
        assert!(
            message.contains("it could be `--print-config`, `--priority`"),
            "{message}"
        );
        let message = err("--co x");
        assert!(
            message.contains("it could be `--comment`, `--config-file`"),
            "{message}"
        );
        let message = err("--c x");
        assert!(
            message.contains("`--capture`, `--comment`, `--config-file`"),
            "{message}"
        );
        let message = err("--f");
        assert!(message.contains("`--file_storage`, `--force`"), "{message}");
    }

    #[test]
    fn exact_name_beats_prefix() {
        // `--id` is also a prefix of nothing else, but `--name` must not be ambiguous
        // with anything either; make sure exact names always win.
        for spec in FLAGS {
            let line = match spec.value {
                Some(_) if spec.id == FlagId::BeatInterval || spec.id == FlagId::Priority => {
                    format!("--{} 1", spec.long)
                }
                Some(_) if spec.id == FlagId::Capture => format!("--{} fd", spec.long),
                Some(_) if spec.id == FlagId::Loglevel => format!("--{} 10", spec.long),
                Some(_) => format!("--{} x", spec.long),
                None => format!("--{}", spec.long),
            };
            assert!(parse(&args(&line)).is_ok(), "{line}");
        }
    }

    #[test]
    fn unknown_long_flag() {
        let message = err("--bogus");
        assert_eq!(
            message,
            "unknown flag `--bogus`\nRun `exp --help` for the usage."
        );
        let message = err("--unobservedd");
        assert_eq!(first_line(&message), "unknown flag `--unobservedd`");
        assert!(
            message.contains("did you mean `--unobserved`?"),
            "{message}"
        );
        let message = err("--nmae=x");
        assert_eq!(first_line(&message), "unknown flag `--nmae`");
        assert!(message.contains("did you mean `--name`?"), "{message}");
        let message = err("--=x");
        assert_eq!(first_line(&message), "unknown flag `--=x`");
    }

    #[test]
    fn unknown_short_flag() {
        let message = err("-x");
        assert_eq!(
            message,
            "unknown flag `-x`\nRun `exp --help` for the usage."
        );
        let message = err("-ux");
        assert_eq!(first_line(&message), "unknown flag `-x` in `-ux`");
        let message = err("-U");
        assert!(message.contains("did you mean `-u`?"), "{message}");
        let message = err("-Q");
        assert!(message.contains("did you mean `-q`?"), "{message}");
    }

    #[test]
    fn single_dash_long_name() {
        let message = err("-unobserved");
        assert_eq!(
            first_line(&message),
            "unknown flag `-unobserved`: long flags take two dashes"
        );
        assert!(
            message.contains("did you mean `--unobserved`?"),
            "{message}"
        );
        let message = err("-print_config");
        assert!(message.contains("`--print-config`"), "{message}");
        // Two letters are short flags, as docopt reads them.
        let inv = ok("-id");
        assert_eq!(inv.flags.id.as_deref(), Some("d"));
    }

    #[test]
    fn python_only_flags() {
        let message = err("--sql sqlite://");
        assert_eq!(
            first_line(&message),
            "`--sql` is Python Sacred's SQL observer, which sacred-rs does not have"
        );
        assert!(message.contains("-F/--file_storage"), "{message}");
        let message = err("-s x");
        assert_eq!(
            first_line(&message),
            "`-s` (`-s/--sql`) is Python Sacred's SQL observer, which sacred-rs does not have"
        );
        let message = err("--s3 s3://b/p");
        assert!(
            message.starts_with("`--s3` is Python Sacred's S3 observer"),
            "{message}"
        );
        let message = err("-S x");
        assert!(message.contains("S3 observer"), "{message}");
        let message = err("--tiny_db x");
        assert!(message.starts_with("`--tiny_db` is Python Sacred's TinyDB observer"));
        let message = err("--tiny-db x");
        assert!(message.contains("TinyDB observer"), "{message}");
        let message = err("-t x");
        assert!(message.contains("TinyDB observer"), "{message}");
        let message = err("--pdb");
        assert_eq!(
            first_line(&message),
            "`--pdb` is Python Sacred's post-mortem debugger, which sacred-rs does not have"
        );
        assert!(!message.contains("observers sacred-rs has"), "{message}");
        let message = err("-uD");
        assert!(message.contains("post-mortem debugger"), "{message}");
        let message = err("-sql");
        assert!(message.contains("SQL observer"), "{message}");
        let message = err("--tiny");
        assert!(message.contains("TinyDB observer"), "{message}");
    }

    #[test]
    fn missing_values() {
        let message = err("-n");
        assert_eq!(
            first_line(&message),
            "missing value for `-n/--name`: expected a name"
        );
        let message = err("with a=1 --file_storage");
        assert_eq!(
            first_line(&message),
            "missing value for `-F/--file_storage`: expected a directory"
        );
        let message = err("-ub");
        assert!(message.starts_with("missing value for `-b/--beat-interval`"));
        let message = err("--mongo");
        assert_eq!(
            first_line(&message),
            "missing value for `--mongo` (`-m/--mongo_db`): expected a database \
             specification `[host:port:]db_name[.collection[:id]][!priority]`"
        );
        let message = err("--config-file");
        assert!(message.starts_with("missing value for `--config-file`"));
    }

    #[test]
    fn boolean_flag_with_a_value() {
        let message = err("--debug=yes");
        assert_eq!(
            first_line(&message),
            "flag `-d/--debug` takes no value, found `--debug=yes`"
        );
        let message = err("--unob=1");
        assert!(
            message.starts_with("flag `--unob` (`-u/--unobserved`) takes no value"),
            "{message}"
        );
    }

    #[test]
    fn repeated_flags() {
        for line in [
            "-u -u",
            "-uu",
            "-u --unobserved",
            "--unob --unobserved",
            "-n a --name b",
            "--file_storage a --file-storage b",
            "-p --print_config",
        ] {
            let message = err(line);
            assert!(
                first_line(&message).ends_with("` given more than once"),
                "{line}: {message}"
            );
        }
        assert_eq!(
            first_line(&err("-n a -n b")),
            "`-n/--name` given more than once"
        );
        assert_eq!(
            first_line(&err("--sources --sources")),
            "`--sources` given more than once"
        );
    }

    #[test]
    fn beat_interval_values() {
        assert_eq!(ok("-b 0").flags.beat_interval, Some(0.0));
        assert_eq!(ok("-b 10").flags.beat_interval, Some(10.0));
        assert_eq!(ok("-b 0.25").flags.beat_interval, Some(0.25));
        assert_eq!(ok("--beat-interval=1e1").flags.beat_interval, Some(10.0));
        let message = err("-b soon");
        assert_eq!(
            first_line(&message),
            "invalid value `soon` for `-b/--beat-interval`: expected a number of seconds"
        );
        for bad in ["inf", "NaN", "-0.5", "1e400"] {
            let message = err(&format!("-b {bad}"));
            assert!(
                first_line(&message).starts_with(&format!(
                    "invalid value `{bad}` for `-b/--beat-interval`: expected a number of seconds"
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn capture_values() {
        assert_eq!(ok("-C fd").flags.capture, Some(CaptureMode::Fd));
        assert_eq!(ok("-C sys").flags.capture, Some(CaptureMode::Sys));
        assert_eq!(ok("--capture=no").flags.capture, Some(CaptureMode::No));
        assert_eq!(ok("-CSYS").flags.capture, Some(CaptureMode::Sys));
        let message = err("-C sy");
        assert_eq!(
            first_line(&message),
            "invalid value `sy` for `-C/--capture`: expected one of `fd`, `sys`, `no`"
        );
        assert!(message.contains("did you mean `sys`?"), "{message}");
    }

    #[test]
    fn loglevel_values() {
        for (text, level) in [
            ("0", 0),
            ("10", 10),
            ("50", 50),
            ("DEBUG", 10),
            ("debug", 10),
            ("Info", 20),
            ("WARNING", 30),
            ("warn", 30),
            ("ERROR", 40),
            ("critical", 50),
        ] {
            assert_eq!(
                ok(&format!("-l {text}")).flags.loglevel,
                Some(level),
                "{text}"
            );
        }
        for bad in ["51", "-1", "256", "verbose", "10.0", "INFOO"] {
            let message = err(&format!("--loglevel {bad}"));
            assert_eq!(
                first_line(&message),
                format!(
                    "invalid value `{bad}` for `-l/--loglevel`: expected a number from 0 \
                     to 50 or one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
                )
            );
        }
        assert!(err("-l INFOO").contains("did you mean `INFO`?"));
        assert!(err("-l warnig").contains("did you mean `WARNING`?"));
    }

    #[test]
    fn priority_values() {
        assert_eq!(ok("-P 1.5").flags.priority, Some(1.5));
        assert_eq!(ok("-P -2").flags.priority, Some(-2.0));
        let message = err("--priority high");
        assert_eq!(
            first_line(&message),
            "invalid value `high` for `-P/--priority`: expected a number"
        );
        assert!(err("-P nan").starts_with("invalid value `nan`"));
    }

    #[test]
    fn string_values_are_kept_verbatim() {
        let inv = ok_args(&[
            "-m",
            "user:pw@host:27017:db.runs!2",
            "-i",
            " 42 ",
            "-c",
            " x ",
        ]);
        assert_eq!(
            inv.flags.mongo_db.as_deref(),
            Some("user:pw@host:27017:db.runs!2")
        );
        assert_eq!(inv.flags.id.as_deref(), Some(" 42 "));
        assert_eq!(inv.flags.comment.as_deref(), Some(" x "));
    }

    #[test]
    fn every_error_names_the_help_flag() {
        // `err` asserts the last line; here just a spread of different errors.
        for line in [
            "nope",
            "print_config x",
            "a=1",
            "with =1",
            "with a=1 with",
            "--nope",
            "-x",
            "-n",
            "-l x",
            "--sql x",
            "--p",
            "-uu",
        ] {
            let message = err(line);
            assert!(!first_line(&message).is_empty(), "{line}");
        }
    }

    #[test]
    fn flag_table_is_consistent() {
        let mut shorts: Vec<char> = FLAGS.iter().filter_map(|f| f.short).collect();
        let count = shorts.len();
        shorts.sort_unstable();
        shorts.dedup();
        assert_eq!(shorts.len(), count);
        for unsupported in UNSUPPORTED {
            assert!(!shorts.contains(&unsupported.short));
        }
        let mut longs: Vec<String> = FLAGS.iter().map(|f| normalize(f.long)).collect();
        longs.sort();
        longs.dedup();
        assert_eq!(longs.len(), FLAGS.len());
    }
}
