//! `runs ls`: one line per run, newest first; `--json` and `--csv` for programs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::Context;
use super::format::{self, cell};
use super::reader::{Listed, RunRecord};
use crate::Error;

/// How wide the result and comment columns may be, and a differing config value.
const RESULT_WIDTH: usize = 24;
const COMMENT_WIDTH: usize = 32;
const VALUE_WIDTH: usize = 16;

pub(super) fn ls(context: &Context<'_>) -> Result<(), Error> {
    let listed = context.listed()?;
    let env = context.env;
    if context.args.json {
        let rows: Vec<Value> = listed
            .iter()
            .map(|entry| json_row(entry, context))
            .collect();
        let text = serde_json::to_string_pretty(&rows).unwrap_or_default();
        env.out(&format!("{text}\n"));
        return Ok(());
    }
    if listed.is_empty() {
        env.out(&format!("no runs in {}\n", context.reader.location()));
        return Ok(());
    }
    let configs: Vec<BTreeMap<String, Value>> = listed
        .iter()
        .filter_map(|entry| match entry {
            Listed::Run(run) => Some(format::flatten(&run.config)),
            Listed::Corrupt { .. } => None,
        })
        .collect();
    if context.args.csv {
        env.out(&csv(&listed, &configs, context));
        return Ok(());
    }
    let keys = format::differing_keys(&configs, true);
    env.out(&table(&listed, &keys, context));
    Ok(())
}

fn table(listed: &[Listed], keys: &[String], context: &Context<'_>) -> String {
    let color = context.color();
    let mut header = vec![
        cell("ID"),
        cell("EXPERIMENT"),
        cell("STATUS"),
        cell("STARTED"),
        cell("DURATION"),
        cell("RESULT"),
        cell("COMMENT"),
    ];
    header.extend(keys.iter().map(|k| cell(format::truncate(k, VALUE_WIDTH))));
    let header = header
        .into_iter()
        .map(|(shown, _)| (shown.clone(), format::dim(&shown, color)))
        .collect();
    let mut rows = vec![header];
    for entry in listed {
        let row = match entry {
            Listed::Run(run) => {
                let status = format::status(run, context.now);
                let config = format::flatten(&run.config);
                let mut row = vec![
                    cell(run.id.clone()),
                    cell(run.text("experiment.name").unwrap_or_default()),
                    (status.clone(), format::paint_status(&status, color)),
                    cell(format::when(run.time("start_time"))),
                    cell(format::elapsed(format::duration(run))),
                    cell(format::truncate(&result_text(run), RESULT_WIDTH)),
                    cell(format::truncate(
                        run.text("meta.comment").unwrap_or_default(),
                        COMMENT_WIDTH,
                    )),
                ];
                row.extend(keys.iter().map(|k| {
                    cell(format::truncate(
                        &config
                            .get(k)
                            .map(format::plain)
                            .unwrap_or_else(|| "-".into()),
                        VALUE_WIDTH,
                    ))
                }));
                row
            }
            Listed::Corrupt { id, reason } => vec![
                cell(id.clone()),
                cell(""),
                ("CORRUPT".to_owned(), format::paint_status("CORRUPT", color)),
                cell(""),
                cell(""),
                cell(""),
                cell(format::truncate(reason, 60)),
            ],
        };
        rows.push(row);
    }
    format::columns(&rows)
}

/// The result on one line: a number in a few digits, the failure's last line for a failed
/// run.
pub(super) fn result_text(run: &RunRecord) -> String {
    match run.field("result") {
        Some(Value::Number(n)) => n.as_f64().map(format::number).unwrap_or_default(),
        Some(other) => format::plain(other),
        None => fail_line(run).unwrap_or_default(),
    }
}

/// The last line of a failure's trace (the error itself in Python's tracebacks).
fn fail_line(run: &RunRecord) -> Option<String> {
    let trace = run.field("fail_trace")?;
    let text = match trace {
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect::<String>(),
        other => format::plain(other),
    };
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
}

fn json_row(entry: &Listed, context: &Context<'_>) -> Value {
    match entry {
        Listed::Run(run) => json!({
            "id": run.id,
            "experiment": run.text("experiment.name"),
            "status": format::status(run, context.now),
            "start_time": run.text("start_time"),
            "stop_time": run.text("stop_time"),
            "heartbeat": run.text("heartbeat"),
            "duration_s": format::duration(run).map(|d| d.as_secs_f64()),
            "result": run.field("result"),
            "comment": run.text("meta.comment"),
            "config": run.config,
        }),
        Listed::Corrupt { id, reason } => json!({
            "id": id, "status": "CORRUPT", "reason": reason,
        }),
    }
}

fn csv(listed: &[Listed], configs: &[BTreeMap<String, Value>], context: &Context<'_>) -> String {
    let keys: BTreeSet<&String> = configs.iter().flat_map(BTreeMap::keys).collect();
    let mut header: Vec<String> = [
        "id",
        "experiment",
        "status",
        "start_time",
        "stop_time",
        "duration_s",
        "result",
        "comment",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(keys.iter().map(|k| format!("config.{k}")));
    let mut out = format::csv_line(&header);
    for entry in listed {
        let mut line = match entry {
            Listed::Run(run) => {
                let config = format::flatten(&run.config);
                let mut line = vec![
                    run.id.clone(),
                    run.text("experiment.name").unwrap_or_default().to_owned(),
                    format::status(run, context.now),
                    run.text("start_time").unwrap_or_default().to_owned(),
                    run.text("stop_time").unwrap_or_default().to_owned(),
                    format::duration(run)
                        .map(|d| d.as_secs_f64().to_string())
                        .unwrap_or_default(),
                    run.field("result").map(format::plain).unwrap_or_default(),
                    run.text("meta.comment").unwrap_or_default().to_owned(),
                ];
                line.extend(
                    keys.iter()
                        .map(|k| config.get(*k).map(format::plain).unwrap_or_default()),
                );
                line
            }
            Listed::Corrupt { id, reason } => {
                vec![
                    id.clone(),
                    String::new(),
                    "CORRUPT".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    reason.clone(),
                ]
            }
        };
        line.resize(header.len(), String::new());
        out.push_str(&format::csv_line(&line));
    }
    out
}
