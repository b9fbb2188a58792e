//! What the benchmarks share: their output and their settings.

#![allow(dead_code)]

/// Writes a line to standard output (an experiment's macro shadows `println!`).
pub(crate) fn out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// The number in the environment variable `name`, or `default`.
pub(crate) fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Median, min and max of `values`.
pub(crate) fn summary(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}
