//! `runs diff A B [C…]`: configs that differ, results and metric summaries, side by side.

use std::collections::{BTreeMap, BTreeSet};

use super::Context;
use super::format::{self, cell};
use super::ls::result_text;
use super::reader::{RunRecord, Summary};
use crate::Error;

/// How wide one run's column may be.
const WIDTH: usize = 28;

pub(super) fn diff(context: &Context<'_>) -> Result<(), Error> {
    let ids = context.ids(2, "diff A B [C…]")?;
    let color = context.color();
    let mut runs: Vec<RunRecord> = Vec::with_capacity(ids.len());
    let mut metrics: Vec<BTreeMap<String, Summary>> = Vec::with_capacity(ids.len());
    for id in ids {
        runs.push(context.run(id)?);
        metrics.push(
            context
                .metrics(id)?
                .iter()
                .filter_map(|s| Some((s.name.clone(), s.summary()?)))
                .collect(),
        );
    }
    let configs: Vec<_> = runs.iter().map(|r| format::flatten(&r.config)).collect();
    let differing = format::differing_keys(&configs, false);
    let all: BTreeSet<&String> = configs.iter().flat_map(BTreeMap::keys).collect();

    let mut rows = vec![
        std::iter::once(cell(""))
            .chain(runs.iter().map(|r| cell(format!("run {}", r.id))))
            .collect::<Vec<_>>(),
    ];
    let row = |label: &str, values: Vec<String>| {
        std::iter::once(cell(label))
            .chain(
                values
                    .into_iter()
                    .map(|v| cell(format::truncate(&v, WIDTH))),
            )
            .collect::<Vec<_>>()
    };
    rows.push(row(
        "experiment",
        runs.iter()
            .map(|r| r.text("experiment.name").unwrap_or_default().to_owned())
            .collect(),
    ));
    let mut status_row = vec![cell("status")];
    for run in &runs {
        let status = format::status(run, context.now);
        status_row.push((status.clone(), format::paint_status(&status, color)));
    }
    rows.push(status_row);
    rows.push(row(
        "started",
        runs.iter()
            .map(|r| format::when(r.time("start_time")))
            .collect(),
    ));
    rows.push(row(
        "duration",
        runs.iter()
            .map(|r| format::elapsed(format::duration(r)))
            .collect(),
    ));
    rows.push(row("result", runs.iter().map(result_text).collect()));
    rows.push(vec![cell(format!(
        "config ({} differ, {} same)",
        differing.len(),
        all.len() - differing.len()
    ))]);
    for key in &differing {
        rows.push(row(
            &format!("  {key}"),
            configs
                .iter()
                .map(|c| c.get(key).map_or_else(|| "-".to_owned(), format::plain))
                .collect(),
        ));
    }
    let names: BTreeSet<&String> = metrics.iter().flat_map(BTreeMap::keys).collect();
    if !names.is_empty() {
        rows.push(vec![cell("metrics (last, min..max)")]);
        for name in names {
            rows.push(row(
                &format!("  {name}"),
                metrics
                    .iter()
                    .map(|m| {
                        m.get(name).map_or_else(
                            || "-".to_owned(),
                            |s| {
                                format!(
                                    "{} ({}..{})",
                                    format::number(s.last),
                                    format::number(s.min),
                                    format::number(s.max)
                                )
                            },
                        )
                    })
                    .collect(),
            ));
        }
    }
    context.env.out(&format::columns(&rows));
    Ok(())
}
