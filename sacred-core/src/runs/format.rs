//! What the `runs` commands share when they print: statuses (with the rule for dead runs),
//! durations, values, flattened configs, aligned columns and CSV fields.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use super::reader::RunRecord;
use crate::ansi::{BLUE, DIM, GREEN, MAGENTA, RED, YELLOW, paint};
use crate::time::Timestamp;

/// The status to show: the stored one, or `DEAD` for a `RUNNING` run whose last heartbeat
/// (or start, when it has none) is older than its
/// [`silence_limit`](crate::observer::silence_limit): its process stopped without
/// recording an end.
pub(crate) fn status(run: &RunRecord, now: Timestamp) -> String {
    let stored = run.text("status").unwrap_or("UNKNOWN");
    if stored == "RUNNING" {
        let last = run.time("heartbeat").or_else(|| run.time("start_time"));
        // Python Sacred keeps its options as typed: `"--beat-interval": "60"`.
        let number = |value: &Value| {
            value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
        };
        let limit = crate::observer::silence_limit(
            run.field("meta.worker.beat_interval").and_then(number),
            run.field("meta.options.--beat-interval").and_then(number),
        );
        if crate::observer::silent_too_long(last, limit, now) {
            return "DEAD".to_owned();
        }
    }
    stored.to_owned()
}

/// `text` coloured as its status is, when `color`.
pub(crate) fn paint_status(text: &str, color: bool) -> String {
    let code = match text {
        "COMPLETED" => GREEN,
        "FAILED" | "CORRUPT" => RED,
        "DEAD" => MAGENTA,
        "RUNNING" => BLUE,
        "INTERRUPTED" | "TIMED_OUT" => YELLOW,
        _ => DIM,
    };
    paint(text, code, color)
}

/// `text` dimmed, when `color`.
pub(crate) fn dim(text: &str, color: bool) -> String {
    paint(text, DIM, color)
}

/// `name   value` with the name dimmed when `color`, names padded to one width.
pub(crate) fn dim_label(name: &str, value: &str, color: bool) -> String {
    format!(
        "{}{} {value}",
        dim(name, color),
        " ".repeat(9_usize.saturating_sub(name.len()))
    )
}

/// How long the run ran: to its stop, or to its last heartbeat while it has none.
pub(crate) fn duration(run: &RunRecord) -> Option<Duration> {
    let start = run.time("start_time")?;
    let end = run.time("stop_time").or_else(|| run.time("heartbeat"))?;
    Some(end.since(start))
}

/// `H:MM:SS`, as Sacred writes durations.
pub(crate) fn elapsed(duration: Option<Duration>) -> String {
    duration.map_or_else(String::new, crate::log::format_elapsed)
}

/// A time for people: `2026-11-27 22:03:04`.
pub(crate) fn when(time: Option<Timestamp>) -> String {
    time.map(|t| {
        let text = t.to_string();
        text.get(..19).unwrap_or(&text).replacen('T', " ", 1)
    })
    .unwrap_or_default()
}

/// A value on one line: strings bare, numbers as JSON writes them, the rest compact.
pub(crate) fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => crate::config::render::compact(other),
    }
}

/// A number in a few significant digits: `0.3333`, `1e-05`, `12345`.
pub(crate) fn number(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{value}");
    }
    let magnitude = value.abs();
    if (1e-4..1e6).contains(&magnitude) {
        let text = format!("{value:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_owned()
    } else {
        format!("{value:.3e}")
    }
}

/// `text` cut to `width` characters, ending in `…` when cut; the first line only.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    let cut = line != text;
    if line.chars().count() <= width && !cut {
        return line.to_owned();
    }
    let kept: String = line.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// The leaves of a config as dotted keys: `{"optimizer": {"lr": 1}}` gives `optimizer.lr`.
pub(crate) fn flatten(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    flatten_into(value, "", &mut out);
    out
}

fn flatten_into(value: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() || prefix.is_empty() => {
            for (key, item) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_into(item, &path, out);
            }
        }
        leaf => {
            out.insert(prefix.to_owned(), leaf.clone());
        }
    }
}

/// The dotted config keys whose values are not the same in every one of `configs` (a key
/// missing from some counts as different), `seed` left out when `skip_seed` (each run
/// draws its own, so it would always differ).
pub(crate) fn differing_keys(configs: &[BTreeMap<String, Value>], skip_seed: bool) -> Vec<String> {
    let keys: BTreeSet<&String> = configs.iter().flat_map(BTreeMap::keys).collect();
    keys.into_iter()
        .filter(|key| !(skip_seed && key.as_str() == "seed"))
        .filter(|key| {
            let first = configs.first().and_then(|c| c.get(*key));
            configs.iter().any(|c| c.get(*key) != first)
        })
        .cloned()
        .collect()
}

/// Rows of cells as aligned columns, two spaces apart; `widths` counts the characters
/// people see, so cells may hold colour escapes (`shown` is each cell's visible text).
pub(crate) fn columns(rows: &[Vec<(String, String)>]) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|i| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|(shown, _)| shown.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (shown, painted)) in row.iter().enumerate() {
            line.push_str(painted);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(shown.chars().count()) + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A cell whose visible text is `text`, shown as is.
pub(crate) fn cell(text: impl Into<String>) -> (String, String) {
    let text = text.into();
    (text.clone(), text)
}

/// One field of a CSV line (RFC 4180): quoted when it holds a comma, quote or line break.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A CSV line of `fields`.
pub(crate) fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Eight heights of a sparkline.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The values as a sparkline of at most `width` characters (each the mean of its share of
/// the points), `NaN`s skipped.
pub(crate) fn sparkline(values: &[f64], width: usize) -> String {
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let buckets = values.len().min(width);
    let means: Vec<f64> = (0..buckets)
        .map(|b| {
            let from = b * values.len() / buckets;
            let to = ((b + 1) * values.len() / buckets).max(from + 1);
            let share = &values[from..to];
            share.iter().sum::<f64>() / share.len() as f64
        })
        .collect();
    let (min, max) = means
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    means
        .iter()
        .map(|v| {
            if max > min {
                let level = ((v - min) / (max - min) * 7.0).round();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                BARS[(level as usize).min(7)]
            } else {
                BARS[3]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_and_finds_differences() {
        let a = flatten(&json!({"lr": 0.1, "opt": {"name": "sgd", "m": 0.9}, "seed": 1, "e": {}}));
        let b = flatten(&json!({"lr": 0.2, "opt": {"name": "sgd", "m": 0.9}, "seed": 2}));
        assert_eq!(a["opt.name"], json!("sgd"));
        assert_eq!(differing_keys(&[a.clone(), b.clone()], true), ["e", "lr"]);
        assert_eq!(differing_keys(&[a, b], false), ["e", "lr", "seed"]);
    }

    #[test]
    fn numbers_texts_and_lines() {
        assert_eq!(number(1.0 / 3.0), "0.3333");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(1e-7), "1.000e-7");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ab\ncd", 10), "ab…");
        assert_eq!(csv_line(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
        assert_eq!(sparkline(&[1.0, 2.0, 3.0], 10), "▁▅█");
        assert_eq!(sparkline(&[1.0; 100], 10).chars().count(), 10);
        let table = columns(&[vec![cell("a"), cell("bb")], vec![cell("ccc"), cell("d")]]);
        assert_eq!(table, "a    bb\nccc  d\n");
    }

    #[test]
    fn running_runs_without_a_recent_beat_are_dead() {
        let run = |status: &str, beat: &str| RunRecord {
            id: "1".into(),
            record: json!({"status": status, "heartbeat": beat, "start_time": beat}),
            config: json!({}),
            info: json!(null),
        };
        let now = Timestamp::parse("2026-11-27T12:00:00").unwrap();
        assert_eq!(
            status(&run("RUNNING", "2026-11-27T11:59:30"), now),
            "RUNNING"
        );
        assert_eq!(status(&run("RUNNING", "2026-11-27T11:50:00"), now), "DEAD");
        // Three beats of 10 s by default; a run started with `-b 60` may be silent longer.
        assert_eq!(status(&run("RUNNING", "2026-11-27T11:59:25"), now), "DEAD");
        let slow = RunRecord {
            id: "2".into(),
            record: json!({"status": "RUNNING", "heartbeat": "2026-11-27T11:58:00",
                           "meta": {"options": {"--beat-interval": "60"}}}),
            config: json!({}),
            info: json!(null),
        };
        assert_eq!(status(&slow, now), "RUNNING");
        assert_eq!(
            status(&run("COMPLETED", "2026-11-27T11:00:00"), now),
            "COMPLETED"
        );
    }
}
