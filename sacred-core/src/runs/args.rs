//! The command line of `runs`: `runs SUBCOMMAND [ARG…] [FLAG…]`, flags anywhere.

use crate::Error;
use crate::suggest;

/// A `runs` subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sub {
    /// `ls`: one line per run.
    Ls,
    /// `show ID`.
    Show,
    /// `diff A B [C…]`.
    Diff,
    /// `metrics ID [NAME…]`.
    Metrics,
    /// `export [ID…]`.
    Export,
    /// `plot NAME [ID…]`.
    Plot,
    /// `rm ID…`.
    Rm,
    /// `help`, `-h`, `--help`.
    Help,
}

/// Every subcommand: its name, whether it takes the filters of `ls` ([`FILTERS`]), the
/// other flags it takes beside `-F` and `-m`, and its usage.
const SUBS: [(&str, Sub, bool, &[&str], &str); 7] = [
    (
        "ls",
        Sub::Ls,
        true,
        &["json", "csv"],
        "ls [--status S] [--experiment NAME | --all] [--since TIME] [--where EXPR]… [-n N] [--json | --csv]",
    ),
    ("show", Sub::Show, false, &[], "show ID…"),
    ("diff", Sub::Diff, false, &[], "diff A B [C…]"),
    (
        "metrics",
        Sub::Metrics,
        false,
        &["csv", "json"],
        "metrics ID [NAME…] [--csv | --json]",
    ),
    (
        "export",
        Sub::Export,
        true,
        &["output"],
        "export [ID…] [filters as ls] [-o FILE.csv]",
    ),
    (
        "plot",
        Sub::Plot,
        true,
        &["output", "x", "smooth", "log-y", "title"],
        "plot NAME [ID…] -o FILE.png|FILE.svg [--x step|time] [--smooth A] [--log-y] [--title TEXT] [filters as ls]",
    ),
    ("rm", Sub::Rm, false, &["yes"], "rm ID… [--yes]"),
];

/// The flags that select runs, as `ls` takes them.
const FILTERS: [&str; 6] = ["status", "experiment", "all", "since", "where", "limit"];

/// Every flag: long name, short name, whether it takes a value.
const FLAGS: [(&str, Option<char>, bool); 18] = [
    ("file_storage", Some('F'), true),
    ("mongo_db", Some('m'), true),
    ("help", Some('h'), false),
    ("status", None, true),
    ("experiment", None, true),
    ("all", Some('a'), false),
    ("since", None, true),
    ("where", Some('w'), true),
    ("limit", Some('n'), true),
    ("json", None, false),
    ("csv", None, false),
    ("output", Some('o'), true),
    ("x", None, true),
    ("smooth", None, true),
    ("log-y", None, false),
    ("title", None, true),
    ("yes", Some('y'), false),
    ("file-storage", None, true),
];

/// A parsed `runs` command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RunsArgs {
    /// The subcommand (`None`: `help`).
    pub sub: Option<Sub>,
    /// The positional arguments after the subcommand.
    pub positionals: Vec<String>,
    /// `-F/--file_storage DIR`.
    pub file_storage: Option<String>,
    /// `-m/--mongo_db URL`.
    pub mongo_db: Option<String>,
    /// `--status S`.
    pub status: Option<String>,
    /// `--experiment NAME`.
    pub experiment: Option<String>,
    /// `-a/--all`: runs of every experiment.
    pub all: bool,
    /// `--since TIME`.
    pub since: Option<String>,
    /// `-w/--where EXPR`, each.
    pub wheres: Vec<String>,
    /// `-n/--limit N`.
    pub limit: Option<usize>,
    /// `--json`.
    pub json: bool,
    /// `--csv`.
    pub csv: bool,
    /// `-o/--output FILE`.
    pub output: Option<String>,
    /// `--x step|time`.
    pub x_time: bool,
    /// `--smooth A`.
    pub smooth: Option<f64>,
    /// `--log-y`.
    pub log_y: bool,
    /// `--title TEXT`.
    pub title: Option<String>,
    /// `-y/--yes`.
    pub yes: bool,
}

/// The usage of every subcommand, for `runs --help` and usage errors.
pub(crate) fn usage(program: &str) -> String {
    let mut out = format!(
        "Usage: {program} runs SUBCOMMAND [ARG…] [-F DIR | -m URL]\n\n\
         Reads the runs of file storage (-F DIR; default: the configured directory, else \
         ./runs) or MongoDB (-m URL).\n\nSubcommands:\n"
    );
    for (_, _, _, _, text) in SUBS {
        out.push_str(&format!("  {program} runs {text}\n"));
    }
    out.push_str(
        "\nFilters: --status completed|failed|running|dead|interrupted|queued; --since \
         2026-11-27 or 2h, 3d; --where 'lr<0.01' (config keys, `result`, `result.KEY`; \
         = != < <= > >=); -n N.\nA RUNNING run whose heartbeat is older than three of its beat \
         intervals (30 s by default) is shown as DEAD.\n",
    );
    out
}

/// Parses `args`, the words after `runs`.
///
/// # Errors
/// A usage error naming the unknown subcommand or flag, a missing or malformed value.
pub(crate) fn parse(program: &str, args: &[String]) -> Result<RunsArgs, Error> {
    let fail = |message: String| {
        Error::usage(format!(
            "{message}\nRun `{program} runs --help` for the usage."
        ))
    };
    let mut parsed = RunsArgs::default();
    let mut words = args.iter();
    let mut seen_sub = false;
    let mut pending = Vec::new();
    while let Some(word) = words.next() {
        let flag = if let Some(long) = word.strip_prefix("--").filter(|l| !l.is_empty()) {
            let (name, value) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let spec = FLAGS
                .iter()
                .find(|(n, _, _)| *n == name.replace('_', "-") || *n == name.replace('-', "_"));
            let Some(spec) = spec else {
                let hint = suggest::closest(name, FLAGS.iter().map(|(n, _, _)| *n))
                    .map(|c| format!("; did you mean `--{c}`?"))
                    .unwrap_or_default();
                return Err(fail(format!("`runs`: unknown flag `--{name}`{hint}")));
            };
            (spec, value)
        } else if let Some(short) = word
            .strip_prefix('-')
            .filter(|s| s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        {
            let mut chars = short.chars();
            let letter = chars.next().unwrap_or('?');
            let rest: String = chars.collect();
            let Some(spec) = FLAGS.iter().find(|(_, s, _)| *s == Some(letter)) else {
                return Err(fail(format!("`runs`: unknown flag `-{letter}`")));
            };
            (spec, (!rest.is_empty()).then_some(rest))
        } else {
            if seen_sub {
                parsed.positionals.push(word.clone());
            } else {
                seen_sub = true;
                parsed.sub = Some(find_sub(word).ok_or_else(|| {
                    let hint = suggest::did_you_mean(word, SUBS.iter().map(|s| s.0))
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    fail(format!(
                        "`runs {word}`: unknown subcommand `{word}`; expected one of ls, show, \
                         diff, metrics, export, plot, rm{hint}"
                    ))
                })?);
            }
            continue;
        };
        let ((name, _, takes_value), value) = flag;
        let value = match (takes_value, value) {
            (true, Some(value)) => Some(value),
            (true, None) => Some(
                words
                    .next()
                    .cloned()
                    .ok_or_else(|| fail(format!("`runs`: the flag `--{name}` needs a value")))?,
            ),
            (false, Some(value)) => {
                return Err(fail(format!(
                    "`runs`: the flag `--{name}` takes no value, found `{value}`"
                )));
            }
            (false, None) => None,
        };
        pending.push((*name, value));
    }
    let sub = parsed.sub.unwrap_or(Sub::Help);
    for (name, value) in pending {
        apply(&mut parsed, sub, name, value).map_err(fail)?;
    }
    if parsed.json && parsed.csv {
        return Err(fail(
            "`runs`: give one of --json and --csv, not both".to_owned(),
        ));
    }
    Ok(parsed)
}

fn find_sub(word: &str) -> Option<Sub> {
    match word {
        "help" => Some(Sub::Help),
        _ => SUBS.iter().find(|s| s.0 == word).map(|s| s.1),
    }
}

/// Sets the flag `name` (its long name) on `parsed`, when `sub` takes it.
fn apply(parsed: &mut RunsArgs, sub: Sub, name: &str, value: Option<String>) -> Result<(), String> {
    let name = if name == "file-storage" {
        "file_storage"
    } else {
        name
    };
    if name == "help" {
        parsed.sub = Some(Sub::Help);
        return Ok(());
    }
    let common = matches!(name, "file_storage" | "mongo_db");
    if !common && sub != Sub::Help {
        let Some((sub_name, _, filters, extra, _)) = SUBS.iter().find(|s| s.1 == sub) else {
            return Ok(());
        };
        let mut allowed: Vec<&str> = if *filters {
            FILTERS.to_vec()
        } else {
            Vec::new()
        };
        allowed.extend_from_slice(extra);
        if !allowed.contains(&name) {
            return Err(format!(
                "`runs {sub_name}`: the flag `--{name}` does not apply here; it takes {}",
                if allowed.is_empty() {
                    "only -F and -m".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|f| format!("--{f}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
    }
    let text = value.unwrap_or_default();
    let once = |slot: &mut Option<String>, text: String| -> Result<(), String> {
        if slot.is_some() {
            return Err(format!("`runs`: the flag `--{name}` is given twice"));
        }
        *slot = Some(text);
        Ok(())
    };
    match name {
        "file_storage" => once(&mut parsed.file_storage, text)?,
        "mongo_db" => once(&mut parsed.mongo_db, text)?,
        "status" => once(&mut parsed.status, text)?,
        "experiment" => once(&mut parsed.experiment, text)?,
        "since" => once(&mut parsed.since, text)?,
        "output" => once(&mut parsed.output, text)?,
        "title" => once(&mut parsed.title, text)?,
        "where" => parsed.wheres.push(text),
        "all" => parsed.all = true,
        "json" => parsed.json = true,
        "csv" => parsed.csv = true,
        "log-y" => parsed.log_y = true,
        "yes" => parsed.yes = true,
        "limit" => {
            parsed.limit = Some(text.parse().map_err(|_| {
                format!("`runs`: invalid value `{text}` for `--limit`: expected a whole number")
            })?)
        }
        "x" => {
            parsed.x_time = match text.as_str() {
                "step" => false,
                "time" => true,
                _ => {
                    return Err(format!(
                        "`runs`: invalid value `{text}` for `--x`: expected `step` or `time`"
                    ));
                }
            }
        }
        "smooth" => {
            let alpha: f64 = text.parse().map_err(|_| {
                format!(
                    "`runs`: invalid value `{text}` for `--smooth`: expected a number in [0, 1)"
                )
            })?;
            if !(0.0..1.0).contains(&alpha) {
                return Err(format!(
                    "`runs`: invalid value `{text}` for `--smooth`: expected a number in [0, 1)"
                ));
            }
            parsed.smooth = Some(alpha);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Result<RunsArgs, Error> {
        let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        parse("exp", &words)
    }

    #[test]
    fn flags_anywhere_with_values_attached_or_not() {
        let parsed = args(&[
            "ls",
            "-F",
            "dir",
            "--status=failed",
            "-n5",
            "--where",
            "lr<1",
        ])
        .unwrap();
        assert_eq!(parsed.sub, Some(Sub::Ls));
        assert_eq!(parsed.file_storage.as_deref(), Some("dir"));
        assert_eq!(parsed.status.as_deref(), Some("failed"));
        assert_eq!(parsed.limit, Some(5));
        assert_eq!(parsed.wheres, ["lr<1"]);
        let parsed = args(&["plot", "loss", "1", "2", "-o", "p.png", "--x", "time"]).unwrap();
        assert_eq!(parsed.positionals, ["loss", "1", "2"]);
        assert!(parsed.x_time);
    }

    #[test]
    fn mistakes_are_named() {
        let e = args(&["lss"]).unwrap_err().to_string();
        assert!(
            e.contains("unknown subcommand `lss`") && e.contains("did you mean `ls`?"),
            "{e}"
        );
        let e = args(&["ls", "--stauts", "x"]).unwrap_err().to_string();
        assert!(
            e.contains("`--stauts`") && e.contains("did you mean `--status`?"),
            "{e}"
        );
        let e = args(&["show", "1", "--json"]).unwrap_err().to_string();
        assert!(
            e.contains("`runs show`: the flag `--json` does not apply"),
            "{e}"
        );
        let e = args(&["ls", "-n", "many"]).unwrap_err().to_string();
        assert!(e.contains("invalid value `many` for `--limit`"), "{e}");
        let e = args(&["plot", "m", "--smooth", "1.5"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a number in [0, 1)"), "{e}");
        let e = args(&["ls", "--json", "--csv"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(args(&[]).unwrap().sub, None);
        assert_eq!(args(&["ls", "-h"]).unwrap().sub, Some(Sub::Help));
    }
}
