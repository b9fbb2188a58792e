//! Argv to tokens: each argument becomes a flag of the table with its value, or a
//! positional argument.
//!
//! Long flags (`--name`, `--name=VALUE`, `--name VALUE`) accept `_` and `-` interchangeably
//! and any unique prefix, as docopt does. Short flags combine (`-uq`, `-uqnNAME`, `-n NAME`,
//! `-n=NAME`). `--` ends the flags: every argument after it is positional, and a lone `-`
//! is positional too. Tokens come one at a time, so that the caller meets the errors in
//! command-line order.

use super::flags::{FLAGS, FlagSpec, UNSUPPORTED, Unsupported, normalize};
use super::usage_error;
use crate::Error;
use crate::suggest;

/// One lexed argument, or one letter of a group of short flags.
#[derive(Debug, Clone)]
pub(super) enum Token {
    /// A flag of the table.
    Flag {
        /// The flag.
        spec: &'static FlagSpec,
        /// The flag as typed, without its value (`--na`, `-n`), for messages.
        typed: String,
        /// Its value, when the flag takes one; not yet checked.
        value: Option<String>,
    },
    /// Anything else, and everything after `--`.
    Positional(String),
}

/// The tokens of the arguments after the program name.
pub(super) struct Lexer<'a> {
    /// The program name, for error messages.
    program: &'a str,
    /// The arguments not read yet.
    args: std::slice::Iter<'a, String>,
    /// `--` was read: every argument left is positional.
    only_positionals: bool,
    /// A group of short flags being read: the whole argument, and its letters not read yet.
    group: Option<(&'a str, &'a str)>,
}

impl<'a> Lexer<'a> {
    /// A lexer over `args`, the arguments after the program name.
    pub(super) fn new(program: &'a str, args: &'a [String]) -> Self {
        Lexer {
            program,
            args: args.iter(),
            only_positionals: false,
            group: None,
        }
    }

    /// A usage error: the first line, indented hint lines, and the pointer to `--help`.
    fn error(&self, first: impl Into<String>, hints: &[String]) -> Error {
        usage_error(self.program, first, hints)
    }

    /// `--name`, `--name=VALUE` or `--name VALUE`, with prefixes and either separator.
    fn long(&mut self, token: &str, body: &str) -> Result<Token, Error> {
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
                        spec.describe(&typed)
                    ),
                    &[format!("write `--{}` alone", spec.long)],
                ));
            }
            (Some(_), Some(value)) => Some(value.to_owned()),
            (Some(_), None) => Some(self.next_value(spec, &typed)?),
        };
        Ok(Token::Flag { spec, typed, value })
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

    /// Refuses a long name written with one dash (`-unobserved`), before its letters are
    /// read as short flags.
    fn single_dash_long(&self, token: &str, body: &str) -> Result<(), Error> {
        if body.chars().count() <= 2 {
            return Ok(());
        }
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
        Ok(())
    }

    /// The first letter of `rest`, the unread part of the group `token` (`-x`, `-xVALUE`,
    /// `-x VALUE`, `-xyz`). A letter that takes a value ends the group.
    fn short(&mut self, token: &'a str, rest: &'a str, c: char) -> Result<Token, Error> {
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
        let attached = &rest[c.len_utf8()..];
        if spec.value.is_none() {
            self.group = Some((token, attached));
            return Ok(Token::Flag {
                spec,
                typed,
                value: None,
            });
        }
        let value = if attached.is_empty() {
            self.next_value(spec, &typed)?
        } else {
            // `-F=runs` means `runs`, not `=runs`.
            attached.strip_prefix('=').unwrap_or(attached).to_owned()
        };
        Ok(Token::Flag {
            spec,
            typed,
            value: Some(value),
        })
    }

    /// The argument after a value-taking flag.
    fn next_value(&mut self, spec: &FlagSpec, typed: &str) -> Result<String, Error> {
        match self.args.next() {
            Some(value) => Ok(value.clone()),
            None => Err(self.error(
                format!(
                    "missing value for {}: expected {}",
                    spec.describe(typed),
                    spec.value.unwrap_or("a value")
                ),
                &[],
            )),
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<Token, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((token, rest)) = self.group.take()
                && let Some(c) = rest.chars().next()
            {
                return Some(self.short(token, rest, c));
            }
            let arg = self.args.next()?;
            if self.only_positionals {
                return Some(Ok(Token::Positional(arg.clone())));
            }
            if arg == "--" {
                self.only_positionals = true;
            } else if let Some(body) = arg.strip_prefix("--") {
                return Some(self.long(arg, body));
            } else if arg.len() > 1 && arg.starts_with('-') {
                let body = &arg[1..];
                if let Err(error) = self.single_dash_long(arg, body) {
                    return Some(Err(error));
                }
                self.group = Some((arg.as_str(), body));
            } else {
                return Some(Ok(Token::Positional(arg.clone())));
            }
        }
    }
}
