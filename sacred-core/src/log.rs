//! Sacred-style log lines of the runtime: `INFO - name - message`, on standard error.

use std::time::Duration;

use crate::Env;

/// Sacred's level numbers.
pub(crate) const INFO: u8 = 20;
pub(crate) const WARNING: u8 = 30;
pub(crate) const ERROR: u8 = 40;

/// Log levels by name, as Python's `logging` knows them, with their numbers.
pub(crate) const LEVELS: &[(&str, u8)] = &[
    ("DEBUG", 10),
    ("INFO", INFO),
    ("WARNING", WARNING),
    ("WARN", WARNING),
    ("ERROR", ERROR),
    ("CRITICAL", 50),
];

/// The number of the level named `name` (any case) in [`LEVELS`].
pub(crate) fn level_named(name: &str) -> Option<u8> {
    LEVELS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, level)| *level)
}

/// Writes Sacred-style log lines (`INFO - name - message`) to the environment's standard
/// error, dropping those below the level of `-l/--loglevel`.
#[derive(Debug, Clone)]
pub(crate) struct Logger {
    pub(crate) env: Env,
    pub(crate) name: String,
    pub(crate) level: u8,
}

impl Logger {
    pub(crate) fn log(&self, level: u8, message: &str) {
        if level < self.level {
            return;
        }
        let label = crate::logging::label(level);
        self.env
            .err(&format!("{label} - {} - {message}\n", self.name));
    }

    pub(crate) fn info(&self, message: &str) {
        self.log(INFO, message);
    }
}

/// `H:MM:SS`, as Sacred writes durations.
pub(crate) fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}
