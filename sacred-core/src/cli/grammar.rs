//! Positional arguments to a command and its config updates: `[COMMAND] [with UPDATE...]`
//! and `help [COMMAND]`, with the hints for updates before `with` and unknown commands.

use super::command::CommandSpec;
use super::{Command, Update, parse_value, usage_error};
use crate::Error;

/// Splits the positional arguments into the command and the updates.
pub(super) fn positionals(
    program: &str,
    tokens: &[String],
) -> Result<(Command, Vec<Update>), Error> {
    let error = |first: String, hints: &[String]| usage_error(program, first, hints);
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
        Some(first) => match CommandSpec::find(first) {
            Some(CommandSpec {
                command: Command::Help(_),
                ..
            }) => {
                if let Some(extra) = before.get(2) {
                    return Err(error(
                        format!("unexpected argument `{extra}` after `help {}`", before[1]),
                        &["`help` takes at most one command name".to_owned()],
                    ));
                }
                if after.is_some() {
                    return Err(error(
                        "`help` takes no `with` updates".to_owned(),
                        &[format!("write `{program} help [COMMAND]`")],
                    ));
                }
                Command::Help(before.get(1).map(|c| (*c).clone()))
            }
            Some(CommandSpec {
                command: Command::Sync(_),
                ..
            }) => {
                if after.is_some() {
                    return Err(error(
                        "`sync` takes no `with` updates".to_owned(),
                        &[format!("write `{program} sync [JOURNAL...]`")],
                    ));
                }
                Command::Sync(before[1..].iter().map(|j| (*j).clone()).collect())
            }
            Some(CommandSpec {
                command: Command::Rerun(_),
                ..
            }) => {
                let (Some(id), None, None) = (before.get(1), before.get(2), after) else {
                    return Err(error(
                        "`rerun` takes one run id and no `with` updates".to_owned(),
                        &[format!(
                            "write `{program} rerun ID -m DB` or `{program} rerun ID -F DIR`"
                        )],
                    ));
                };
                Command::Rerun((*id).clone())
            }
            Some(spec) => spec.command.clone(),
            None if first.contains('=') => {
                return Err(early_update(program, first, &early_updates));
            }
            None => return Err(unknown_command(program, first)),
        },
    };
    if let Some(extra) = before.get(1)
        && !matches!(
            command,
            Command::Help(_) | Command::Sync(_) | Command::Rerun(_)
        )
    {
        if extra.contains('=') {
            return Err(early_update(program, extra, &early_updates));
        }
        return Err(error(
            format!(
                "unexpected argument `{extra}` after command `{}`",
                before[0]
            ),
            &[
                "a command takes one name; named configs and config files come after \
                 `with`"
                    .to_owned(),
                format!("write `{program} {} with {extra}`", before[0]),
            ],
        ));
    }
    let mut updates = Vec::new();
    let Some(after) = after else {
        return Ok((command, updates));
    };
    for token in after {
        if token == "with" {
            return Err(error(
                "`with` given twice".to_owned(),
                &["put all config updates after one `with`: `with a=1 b=2`".to_owned()],
            ));
        }
        if let Some(update) = update(program, token)? {
            updates.push(update);
        }
    }
    Ok((command, updates))
}

/// The error for a `key=value` token before `with`.
fn early_update(program: &str, token: &str, all: &[&str]) -> Error {
    usage_error(
        program,
        format!("unexpected config update `{token}` before `with`"),
        &[format!(
            "config updates come after `with`: `with {}`",
            all.join(" ")
        )],
    )
}

/// The error for a first positional that is no command.
fn unknown_command(program: &str, name: &str) -> Error {
    let mut hints = Vec::new();
    match CommandSpec::did_you_mean(name) {
        Some(hint) => hints.push(hint),
        None => hints.push(format!(
            "named configs and config files come after `with`: `with {name}`"
        )),
    }
    let available: Vec<String> = CommandSpec::listed()
        .map(|spec| format!("`{}`", spec.name))
        .collect();
    hints.push(format!("available commands: {}", available.join(", ")));
    usage_error(program, format!("unknown command `{name}`"), &hints)
}

/// One token after `with`; `None` for an empty one.
fn update(program: &str, token: &str) -> Result<Option<Update>, Error> {
    if token.trim().is_empty() {
        return Ok(None);
    }
    let Some((key, value)) = token.split_once('=') else {
        return Ok(Some(Update::Named(token.trim().to_owned())));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(usage_error(
            program,
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
        return Err(usage_error(
            program,
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
