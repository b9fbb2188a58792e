//! Which runs a listing keeps: `--status`, `--experiment`, `--since`, `--where`, `-n`.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::Value;

use super::args::RunsArgs;
use super::format;
use super::reader::{Listed, Query, RunRecord};
use crate::Error;
use crate::time::Timestamp;

/// The statuses `--status` takes (lower case), Sacred's and `dead`, `corrupt`.
const STATUSES: [&str; 8] = [
    "completed",
    "failed",
    "running",
    "dead",
    "interrupted",
    "queued",
    "timed_out",
    "corrupt",
];

/// The filters of one listing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    /// The status shown (`DEAD`, `CORRUPT` included), upper case.
    status: Option<String>,
    /// The experiment's name.
    experiment: Option<String>,
    /// Runs started at or after this.
    since: Option<Timestamp>,
    /// `--where` conditions.
    conditions: Vec<Condition>,
    /// At most this many runs.
    limit: Option<usize>,
    /// When the listing is made, for dead runs.
    now: Option<Timestamp>,
}

/// One `--where KEY OP VALUE`.
#[derive(Debug, Clone)]
struct Condition {
    text: String,
    key: String,
    op: Op,
    value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Filter {
    /// The filters `args` give; `own` is the experiment a binary lists by default (its own
    /// runs), dropped by `--all`.
    ///
    /// # Errors
    /// A usage error for an unknown status, an unreadable time or a malformed condition.
    pub(crate) fn new(args: &RunsArgs, own: Option<&str>, now: Timestamp) -> Result<Self, Error> {
        let status = match &args.status {
            Some(text) => {
                let lower = text.trim().to_ascii_lowercase();
                if !STATUSES.contains(&lower.as_str()) {
                    let hint = crate::suggest::did_you_mean(&lower, STATUSES)
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    return Err(Error::usage(format!(
                        "`--status {text}`: unknown status; expected one of {}{hint}",
                        STATUSES.join(", ")
                    )));
                }
                Some(lower.to_ascii_uppercase())
            }
            None => None,
        };
        let since = args
            .since
            .as_deref()
            .map(|text| parse_since(text, now))
            .transpose()?;
        let conditions = args
            .wheres
            .iter()
            .map(|w| parse_condition(w))
            .collect::<Result<_, _>>()?;
        let experiment = match (&args.experiment, args.all) {
            (Some(name), _) => Some(name.clone()),
            (None, true) => None,
            (None, false) => own.map(str::to_owned),
        };
        Ok(Self {
            status,
            experiment,
            since,
            conditions,
            limit: args.limit,
            now: Some(now),
        })
    }

    /// What the store may filter itself.
    pub(crate) fn query(&self) -> Query {
        let stored = self
            .status
            .clone()
            .filter(|s| s != "DEAD" && s != "CORRUPT");
        let exact = self.since.is_none()
            && self.conditions.is_empty()
            && stored.as_deref() != Some("RUNNING")
            && self.status.as_ref().is_none_or(|_| stored.is_some());
        Query {
            status: if self.status.as_deref() == Some("DEAD") {
                Some("RUNNING".to_owned())
            } else {
                stored
            },
            experiment: self.experiment.clone(),
            limit: self.limit.filter(|_| exact),
        }
    }

    /// The entries of `listed` that pass, at most `-n` of them.
    ///
    /// # Errors
    /// A `--where` key that no listed run has (a typo, most likely): the message names it
    /// and the closest key there is.
    pub(crate) fn apply(&self, listed: Vec<Listed>) -> Result<Vec<Listed>, Error> {
        self.check_keys(&listed)?;
        let now = self.now.unwrap_or_else(Timestamp::now);
        let mut kept: Vec<Listed> = listed
            .into_iter()
            .filter(|entry| match entry {
                Listed::Corrupt { .. } => {
                    self.status.as_deref().is_none_or(|s| s == "CORRUPT")
                        && self.conditions.is_empty()
                        && self.since.is_none()
                }
                Listed::Run(run) => self.keeps(run, now),
            })
            .collect();
        if let Some(limit) = self.limit {
            kept.truncate(limit);
        }
        Ok(kept)
    }

    fn keeps(&self, run: &RunRecord, now: Timestamp) -> bool {
        if let Some(status) = &self.status
            && format::status(run, now) != *status
        {
            return false;
        }
        if let Some(name) = &self.experiment
            && run.text("experiment.name") != Some(name.as_str())
        {
            return false;
        }
        if let Some(since) = self.since
            && run.time("start_time").is_none_or(|t| t < since)
        {
            return false;
        }
        self.conditions.iter().all(|c| c.holds(run))
    }

    fn check_keys(&self, listed: &[Listed]) -> Result<(), Error> {
        let runs: Vec<&RunRecord> = listed
            .iter()
            .filter_map(|l| match l {
                Listed::Run(run) => Some(run),
                Listed::Corrupt { .. } => None,
            })
            .collect();
        if runs.is_empty() {
            return Ok(());
        }
        for condition in &self.conditions {
            if runs.iter().any(|run| condition.lookup(run).is_some()) {
                continue;
            }
            let keys: BTreeSet<String> = runs
                .iter()
                .flat_map(|run| format::flatten(&run.config).into_keys())
                .collect();
            let hint =
                crate::suggest::did_you_mean(&condition.key, keys.iter().map(String::as_str))
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
            return Err(Error::usage(format!(
                "`--where {}`: no listed run has the key `{}`; expected a config key (dotted \
                 for nested values), `result` or `result.KEY`{hint}",
                condition.text, condition.key
            )));
        }
        Ok(())
    }
}

impl Condition {
    /// The value the condition tests in `run`: `result…` in the record, else the config.
    fn lookup<'a>(&self, run: &'a RunRecord) -> Option<&'a Value> {
        let (root, path) = if self.key == "result" {
            (&run.record, "result")
        } else if let Some(rest) = self.key.strip_prefix("result.") {
            (run.record.get("result")?, rest)
        } else {
            (
                &run.config,
                self.key.strip_prefix("config.").unwrap_or(&self.key),
            )
        };
        path.split('.')
            .try_fold(root, |node, key| node.get(key))
            .filter(|v| !v.is_null())
    }

    fn holds(&self, run: &RunRecord) -> bool {
        let Some(found) = self.lookup(run) else {
            return false;
        };
        let order = match (found, &self.value) {
            (Value::Number(a), Value::Number(b)) => a
                .as_f64()
                .zip(b.as_f64())
                .and_then(|(a, b)| a.partial_cmp(&b)),
            (Value::String(a), b) => Some(a.as_str().cmp(format::plain(b).as_str())),
            (a, b) if a == b => Some(Ordering::Equal),
            _ => None,
        };
        match (self.op, order) {
            (Op::Eq, Some(o)) => o == Ordering::Equal,
            (Op::Ne, o) => o != Some(Ordering::Equal),
            (Op::Lt, Some(o)) => o == Ordering::Less,
            (Op::Le, Some(o)) => o != Ordering::Greater,
            (Op::Gt, Some(o)) => o == Ordering::Greater,
            (Op::Ge, Some(o)) => o != Ordering::Less,
            (_, None) => false,
        }
    }
}

/// `KEY OP VALUE`, OP one of `<= >= != == < > =`; VALUE as `with` reads values.
fn parse_condition(text: &str) -> Result<Condition, Error> {
    const OPS: [(&str, Op); 7] = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("!=", Op::Ne),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
    ];
    let found = OPS
        .iter()
        .filter_map(|(symbol, op)| text.find(symbol).map(|at| (at, *symbol, *op)))
        .min_by_key(|(at, symbol, _)| (*at, std::cmp::Reverse(symbol.len())));
    let Some((at, symbol, op)) = found else {
        return Err(Error::usage(format!(
            "`--where {text}`: no comparison found; expected KEY OP VALUE with OP one of \
             = != < <= > >= (`lr<0.01`, `optimizer.name=sgd`, `result>0.9`)"
        )));
    };
    let key = text[..at].trim();
    let value = text[at + symbol.len()..].trim();
    if key.is_empty() || value.is_empty() {
        return Err(Error::usage(format!(
            "`--where {text}`: expected KEY OP VALUE, found {} empty",
            if key.is_empty() {
                "the key"
            } else {
                "the value"
            }
        )));
    }
    Ok(Condition {
        text: text.to_owned(),
        key: key.to_owned(),
        op,
        value: crate::cli::parse_value(value),
    })
}

/// `--since`: a date or time (`2026-11-27`, `2026-11-27T10:00`), or an age (`30m`, `2h`,
/// `3d`, `1w`) counted back from now.
fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp, Error> {
    if let Some(time) = Timestamp::parse(text) {
        return Ok(time);
    }
    let trimmed = text.trim();
    let unit = trimmed.chars().last().unwrap_or(' ');
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => 0,
    };
    let count: Option<i64> = trimmed[..trimmed.len() - unit.len_utf8().min(trimmed.len())]
        .parse()
        .ok()
        .filter(|n| *n >= 0 && seconds > 0);
    match count {
        Some(n) => Ok(Timestamp::from_micros(
            now.as_micros() - n.saturating_mul(seconds * 1_000_000),
        )),
        None => Err(Error::usage(format!(
            "`--since {text}`: expected a date or time (`2026-11-27`, `2026-11-27T10:00`) or \
             an age (`30m`, `2h`, `3d`, `1w`)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(id: &str, config: Value, result: Value) -> Listed {
        Listed::Run(RunRecord {
            id: id.into(),
            record: json!({"status": "COMPLETED", "result": result,
                "start_time": "2026-11-27T10:00:00", "experiment": {"name": "e"}}),
            config,
            info: Value::Null,
        })
    }

    fn filter(wheres: &[&str]) -> Filter {
        let args = RunsArgs {
            wheres: wheres.iter().map(|w| (*w).to_owned()).collect(),
            ..RunsArgs::default()
        };
        Filter::new(&args, None, Timestamp::now()).unwrap()
    }

    fn ids(kept: &[Listed]) -> Vec<&str> {
        kept.iter().map(Listed::id).collect()
    }

    #[test]
    fn where_compares_config_and_result() {
        let runs = || {
            vec![
                run("1", json!({"lr": 0.1, "opt": {"name": "sgd"}}), json!(0.5)),
                run(
                    "2",
                    json!({"lr": 0.001, "opt": {"name": "adam"}}),
                    json!({"acc": 0.9}),
                ),
            ]
        };
        assert_eq!(ids(&filter(&["lr<0.01"]).apply(runs()).unwrap()), ["2"]);
        assert_eq!(ids(&filter(&["lr >= 0.01"]).apply(runs()).unwrap()), ["1"]);
        assert_eq!(
            ids(&filter(&["opt.name=sgd"]).apply(runs()).unwrap()),
            ["1"]
        );
        assert_eq!(
            ids(&filter(&["opt.name!=sgd"]).apply(runs()).unwrap()),
            ["2"]
        );
        assert_eq!(ids(&filter(&["result<1"]).apply(runs()).unwrap()), ["1"]);
        assert_eq!(
            ids(&filter(&["result.acc>0.8"]).apply(runs()).unwrap()),
            ["2"]
        );
        let e = filter(&["lrr<1"]).apply(runs()).unwrap_err().to_string();
        assert!(
            e.contains("no listed run has the key `lrr`") && e.contains("did you mean `lr`?"),
            "{e}"
        );
    }

    #[test]
    fn bad_filters_are_named() {
        let e = parse_condition("lr").unwrap_err().to_string();
        assert!(e.contains("`--where lr`: no comparison found"), "{e}");
        let now = Timestamp::parse("2026-11-27T12:00:00").unwrap();
        assert_eq!(
            parse_since("2h", now).unwrap(),
            Timestamp::parse("2026-11-27T10:00:00").unwrap()
        );
        assert!(
            parse_since("soon", now)
                .unwrap_err()
                .to_string()
                .contains("`--since soon`")
        );
        let args = RunsArgs {
            status: Some("complted".into()),
            ..RunsArgs::default()
        };
        let e = Filter::new(&args, None, now).unwrap_err().to_string();
        assert!(e.contains("did you mean `completed`?"), "{e}");
    }
}
