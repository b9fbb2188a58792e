//! `runs metrics ID [NAME…]`: a run's series, and `runs export`: one table of many runs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::Context;
use super::format::{self, cell};
use super::reader::{Listed, RunRecord, Series, Summary};
use crate::Error;

pub(super) fn metrics(context: &Context<'_>) -> Result<(), Error> {
    let args = context.ids(1, "metrics ID [NAME…]")?;
    let (id, names) = (&args[0], &args[1..]);
    let series = select(context.metrics(id)?, names, id)?;
    let out = if context.args.json {
        let map: Map<String, Value> = series
            .iter()
            .map(|s| {
                let times: Vec<Value> = s
                    .timestamps
                    .iter()
                    .map(|t| t.map_or(Value::Null, |t| Value::String(t.to_string())))
                    .collect();
                (
                    s.name.clone(),
                    json!({"steps": s.steps, "values": s.values, "timestamps": times}),
                )
            })
            .collect();
        format!(
            "{}\n",
            serde_json::to_string_pretty(&map).unwrap_or_default()
        )
    } else if context.args.csv {
        let mut out = format::csv_line(&["metric", "step", "value", "timestamp"]);
        for (s, i) in points(&series) {
            out.push_str(&format::csv_line(&point(s, i)));
        }
        out
    } else {
        let mut rows = vec![["metric", "step", "value", "timestamp"].map(cell).to_vec()];
        rows.extend(points(&series).map(|(s, i)| point(s, i).map(cell).to_vec()));
        format::columns(&rows)
    };
    context.env.out(&out);
    Ok(())
}

/// Every point of every series, in order.
fn points(series: &[Series]) -> impl Iterator<Item = (&Series, usize)> {
    series
        .iter()
        .flat_map(|s| (0..s.values.len().min(s.steps.len())).map(move |i| (s, i)))
}

/// One point as text: name, step, value (as JSON writes it), timestamp.
fn point(series: &Series, i: usize) -> [String; 4] {
    let value = series.values[i];
    [
        series.name.clone(),
        series.steps[i].to_string(),
        if value.is_nan() {
            "NaN".into()
        } else {
            value.to_string()
        },
        series
            .timestamps
            .get(i)
            .copied()
            .flatten()
            .map(|t| t.to_string())
            .unwrap_or_default(),
    ]
}

/// The series called `names` (all when none is given), in the order given.
///
/// # Errors
/// A name no series has: the message lists those the run has.
pub(super) fn select(
    series: Vec<Series>,
    names: &[String],
    id: &str,
) -> Result<Vec<Series>, Error> {
    if names.is_empty() {
        return Ok(series);
    }
    let mut by_name: BTreeMap<String, Series> =
        series.into_iter().map(|s| (s.name.clone(), s)).collect();
    names
        .iter()
        .map(|name| {
            by_name.remove(name).ok_or_else(|| {
                let known: Vec<&str> = by_name.keys().map(String::as_str).collect();
                let hint = crate::suggest::did_you_mean(name, known.iter().copied())
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                Error::Runs {
                    message: format!(
                        "run `{id}` has no metric `{name}`; expected one of {}{hint}",
                        if known.is_empty() {
                            "(none: it logged no metrics)".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                    code: 2,
                }
            })
        })
        .collect()
}

pub(super) fn export(context: &Context<'_>) -> Result<(), Error> {
    let runs: Vec<RunRecord> = if context.args.positionals.is_empty() {
        context
            .listed()?
            .into_iter()
            .filter_map(|entry| match entry {
                Listed::Run(run) => Some(run),
                Listed::Corrupt { id, reason } => {
                    context.env.err(&format!("skipping run {id}: {reason}\n"));
                    None
                }
            })
            .collect()
    } else {
        context
            .args
            .positionals
            .iter()
            .map(|id| context.run(id))
            .collect::<Result<_, _>>()?
    };
    let mut summaries: Vec<BTreeMap<String, Summary>> = Vec::with_capacity(runs.len());
    for run in &runs {
        summaries.push(
            context
                .metrics(&run.id)?
                .iter()
                .filter_map(|s| Some((s.name.clone(), s.summary()?)))
                .collect(),
        );
    }
    let table = export_table(&runs, &summaries, context);
    match &context.args.output {
        Some(path) => {
            if !path.to_ascii_lowercase().ends_with(".csv") {
                return Err(Error::usage(format!(
                    "`runs export -o {path}`: unknown format; expected a `.csv` file (Parquet is \
                     not supported: read the CSV with pandas or polars)"
                )));
            }
            let full = context.env.resolve(path);
            super::write_file(&full, table.as_bytes())?;
            context
                .env
                .out(&format!("wrote {} runs to {path}\n", runs.len()));
        }
        None => context.env.out(&table),
    }
    Ok(())
}

/// The CSV of `runs`: id, experiment, status, times, result (one column per key of a
/// result that is an object), every config key, and `METRIC.last/min/max`.
fn export_table(
    runs: &[RunRecord],
    summaries: &[BTreeMap<String, Summary>],
    context: &Context<'_>,
) -> String {
    let configs: Vec<_> = runs.iter().map(|r| format::flatten(&r.config)).collect();
    let results: Vec<BTreeMap<String, Value>> = runs
        .iter()
        .map(|r| match r.field("result") {
            Some(Value::Object(_)) => format::flatten(&r.record["result"])
                .into_iter()
                .map(|(k, v)| (format!("result.{k}"), v))
                .collect(),
            Some(other) => BTreeMap::from([("result".to_owned(), other.clone())]),
            None => BTreeMap::new(),
        })
        .collect();
    let result_keys: BTreeSet<&String> = results.iter().flat_map(BTreeMap::keys).collect();
    let config_keys: BTreeSet<&String> = configs.iter().flat_map(BTreeMap::keys).collect();
    let metric_names: BTreeSet<&String> = summaries.iter().flat_map(BTreeMap::keys).collect();
    let mut header: Vec<String> = ["id", "experiment", "status", "start_time", "duration_s"]
        .map(str::to_owned)
        .to_vec();
    header.extend(result_keys.iter().map(|k| (*k).clone()));
    header.extend(config_keys.iter().map(|k| format!("config.{k}")));
    for name in &metric_names {
        header.extend(["last", "min", "max"].map(|s| format!("{name}.{s}")));
    }
    let mut out = format::csv_line(&header);
    for (i, run) in runs.iter().enumerate() {
        let mut line = vec![
            run.id.clone(),
            run.text("experiment.name").unwrap_or_default().to_owned(),
            format::status(run, context.now),
            run.text("start_time").unwrap_or_default().to_owned(),
            format::duration(run)
                .map(|d| d.as_secs_f64().to_string())
                .unwrap_or_default(),
        ];
        line.extend(
            result_keys
                .iter()
                .map(|k| results[i].get(*k).map(format::plain).unwrap_or_default()),
        );
        line.extend(
            config_keys
                .iter()
                .map(|k| configs[i].get(*k).map(format::plain).unwrap_or_default()),
        );
        for name in &metric_names {
            match summaries[i].get(*name) {
                Some(s) => line.extend([s.last, s.min, s.max].map(|v| v.to_string())),
                None => line.extend([String::new(), String::new(), String::new()]),
            }
        }
        out.push_str(&format::csv_line(&line));
    }
    out
}
