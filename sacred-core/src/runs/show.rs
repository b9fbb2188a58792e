//! `runs show ID`: the whole record of one run, for people.

use serde_json::Value;

use super::Context;
use super::format;
use super::reader::RunRecord;
use crate::Error;

/// How many characters a sparkline of a metric takes.
const SPARK_WIDTH: usize = 24;

pub(super) fn show(context: &Context<'_>) -> Result<(), Error> {
    let ids = context.ids(1, "show ID…")?;
    let mut out = String::new();
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render(context, id)?);
    }
    context.env.out(&out);
    Ok(())
}

fn render(context: &Context<'_>, id: &str) -> Result<String, Error> {
    let color = context.color();
    let run = context.run(id)?;
    let status = format::status(&run, context.now);
    let mut out = format!(
        "Run {} · {} · {}\n",
        run.id,
        run.text("experiment.name").unwrap_or("?"),
        format::paint_status(&status, color)
    );
    let mut facts: Vec<(String, String)> = vec![
        ("started".into(), format::when(run.time("start_time"))),
        ("stopped".into(), format::when(run.time("stop_time"))),
        ("heartbeat".into(), format::when(run.time("heartbeat"))),
        ("duration".into(), format::elapsed(format::duration(&run))),
        (
            "command".into(),
            run.text("command").unwrap_or_default().into(),
        ),
        (
            "comment".into(),
            run.text("meta.comment").unwrap_or_default().into(),
        ),
        ("host".into(), host(&run)),
    ];
    facts.extend(repositories(&run));
    for (name, value) in facts.into_iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(&format!("  {}\n", format::dim_label(&name, &value, color)));
    }
    out.push_str("Configuration:\n");
    nested(&run.config, 1, &mut out);
    match (run.field("result"), run.field("fail_trace")) {
        (Some(result), _) => {
            let text = serde_json::to_string_pretty(result).unwrap_or_default();
            out.push_str(&format!(
                "Result: {}\n",
                if text.contains('\n') {
                    format!("\n{}", indent(&text))
                } else {
                    format::plain(result)
                }
            ));
        }
        (None, Some(trace)) => {
            let text = match trace {
                Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
                other => format::plain(other),
            };
            out.push_str("Failure:\n");
            out.push_str(&indent(text.trim_end()));
            out.push('\n');
        }
        (None, None) => {}
    }
    let metrics = context.metrics(id)?;
    if !metrics.is_empty() {
        out.push_str("Metrics:\n");
        let mut rows = vec![
            ["", "points", "last", "min", "max", ""]
                .map(format::cell)
                .to_vec(),
        ];
        for series in &metrics {
            let Some(summary) = series.summary() else {
                rows.push(vec![
                    format::cell(format!("  {}", series.name)),
                    format::cell(series.values.len().to_string()),
                ]);
                continue;
            };
            rows.push(vec![
                format::cell(format!("  {}", series.name)),
                format::cell(summary.points.to_string()),
                format::cell(format::number(summary.last)),
                format::cell(format::number(summary.min)),
                format::cell(format::number(summary.max)),
                format::cell(format::sparkline(&series.values, SPARK_WIDTH)),
            ]);
        }
        out.push_str(&format::columns(&rows));
    }
    let artifacts = context.reader.artifacts(&run).map_err(super::read_error)?;
    if !artifacts.is_empty() {
        out.push_str("Artifacts:\n");
        let rows: Vec<_> = artifacts
            .iter()
            .map(|a| {
                vec![
                    format::cell(format!("  {}", a.name)),
                    format::cell(a.size.map_or_else(|| "missing".to_owned(), bytes)),
                ]
            })
            .collect();
        out.push_str(&format::columns(&rows));
    }
    if run.info.as_object().is_some_and(|m| !m.is_empty()) {
        out.push_str("Info:\n");
        nested(&run.info, 1, &mut out);
    }
    Ok(out)
}

/// `vm (Linux 6.18, AMD EPYC, Rust 1.95.0)`: the host's name and what it ran on, the
/// language version Sacred (`python_version`) or this crate (`rust_version`) recorded.
fn host(run: &RunRecord) -> String {
    let Some(host) = run.field("host") else {
        return String::new();
    };
    let text = |key: &str| host.get(key).and_then(Value::as_str);
    let os = match host.get("os") {
        Some(Value::Array(parts)) => parts.last().and_then(Value::as_str),
        Some(Value::String(os)) => Some(os.as_str()),
        _ => None,
    };
    let mut details: Vec<String> = [os, text("cpu")]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    if let Some(v) = text("python_version") {
        details.push(format!("Python {v}"));
    }
    if let Some(v) = text("rust_version") {
        // This crate records `rustc 1.95.0 (…)`.
        let v = v.strip_prefix("rustc ").unwrap_or(v);
        details.push(format!("Rust {}", v.split(' ').next().unwrap_or(v)));
    }
    if let Some(gpus) = host
        .get("gpus")
        .and_then(|g| g.get("gpus"))
        .and_then(Value::as_array)
        && !gpus.is_empty()
    {
        details.push(format!(
            "{} GPU{}",
            gpus.len(),
            if gpus.len() == 1 { "" } else { "s" }
        ));
    }
    format!(
        "{} ({})",
        text("hostname").unwrap_or("?"),
        details.join(", ")
    )
}

/// `git  URL COMMIT (dirty)` lines for the repositories the run recorded.
fn repositories(run: &RunRecord) -> Vec<(String, String)> {
    let repos = run
        .field("experiment.repositories")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    repos
        .iter()
        .map(|repo| {
            let text = |key: &str| repo.get(key).and_then(Value::as_str).unwrap_or("?");
            let dirty = repo.get("dirty").and_then(Value::as_bool) == Some(true);
            (
                "git".to_owned(),
                format!(
                    "{} {}{}",
                    text("url"),
                    text("commit"),
                    if dirty { " (dirty)" } else { "" }
                ),
            )
        })
        .collect()
}

/// A nested value as `print_config` lays out a config: leaves sorted, then sub-tables.
fn nested(value: &Value, depth: usize, out: &mut String) {
    let Value::Object(map) = value else {
        out.push_str(&format!("{}{}\n", "  ".repeat(depth), format::plain(value)));
        return;
    };
    let is_table = |v: &Value| matches!(v, Value::Object(m) if !m.is_empty());
    let pad = "  ".repeat(depth);
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| (is_table(&map[*k]), *k));
    for key in keys {
        let item = &map[key];
        if is_table(item) {
            out.push_str(&format!("{pad}{key}:\n"));
            nested(item, depth + 1, out);
        } else {
            out.push_str(&format!(
                "{pad}{key} = {}\n",
                crate::config::render::compact(item)
            ));
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A size for people: `9 B`, `1.5 KiB`, `3.2 MiB`.
fn bytes(size: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if size < 1024 {
        return format!("{size} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = size as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_and_nesting() {
        assert_eq!(bytes(9), "9 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
        let mut out = String::new();
        nested(&json!({"b": {"x": 1}, "a": "s", "c": [1, 2]}), 1, &mut out);
        assert_eq!(out, "  a = \"s\"\n  c = [1, 2]\n  b:\n    x = 1\n");
    }
}
