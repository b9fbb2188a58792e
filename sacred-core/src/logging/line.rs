//! Sacred's log line: `LEVEL - target - span{k=v}:inner: message key=value`.

use std::fmt::{self, Write as _};

use tracing_core::Level;
use tracing_core::field::{Field, Visit};

/// Sacred's number for a `tracing` (or `log`) level: TRACE 5, DEBUG 10, INFO 20, WARN 30,
/// ERROR 40.
pub(crate) fn rank(level: &Level) -> u8 {
    if *level == Level::ERROR {
        40
    } else if *level == Level::WARN {
        30
    } else if *level == Level::INFO {
        20
    } else if *level == Level::DEBUG {
        10
    } else {
        5
    }
}

/// The name Sacred's lines give the level of number `rank` (`WARNING`, not `WARN`).
pub(crate) fn label(rank: u8) -> &'static str {
    match rank {
        ..=5 => "TRACE",
        6..=10 => "DEBUG",
        11..=20 => "INFO",
        21..=30 => "WARNING",
        31..=40 => "ERROR",
        _ => "CRITICAL",
    }
}

/// A line, built in three steps: [`Line::new`] writes `LEVEL - target - `, then
/// [`Line::span`] each span that holds the record, outermost first, as `name{fields}:`
/// (`name:` without fields), then [`Line::end`] a space after the spans, the message and
/// the record's other fields as ` key=value`, and the line end.
pub(crate) struct Line {
    text: String,
    any_span: bool,
}

impl Line {
    /// `LEVEL - target - `.
    pub(crate) fn new(rank: u8, target: &str) -> Line {
        Line {
            text: format!("{} - {target} - ", label(rank)),
            any_span: false,
        }
    }

    /// A span that holds the record, with its formatted fields.
    pub(crate) fn span(&mut self, name: &str, fields: &str) {
        self.any_span = true;
        self.text.push_str(name);
        if !fields.is_empty() {
            let _ = write!(self.text, "{{{fields}}}");
        }
        self.text.push(':');
    }

    /// The message and the other fields; the whole line.
    pub(crate) fn end(mut self, fields: &LineFields) -> String {
        if self.any_span {
            self.text.push(' ');
        }
        self.text.push_str(&fields.message);
        if fields.message.is_empty() {
            self.text.push_str(fields.rest.trim_start());
        } else {
            self.text.push_str(&fields.rest);
        }
        self.text.push('\n');
        self.text
    }
}

/// Collects a record's fields: the message apart, the others as ` key=value`. The fields the
/// `log` bridge adds (`log.target`, `log.file`, …) are left out: they are the record's
/// metadata, which the line shows already.
#[derive(Debug, Default)]
pub(crate) struct LineFields {
    pub(crate) message: String,
    pub(crate) rest: String,
}

impl LineFields {
    /// The other fields as `k=v k2=v2`, for a span's braces.
    pub(crate) fn joined(&self) -> &str {
        self.rest.trim_start()
    }
}

impl Visit for LineFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            name if name.starts_with("log.") => {}
            name => {
                let _ = write!(self.rest, " {name}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            name if name.starts_with("log.") => {}
            name => {
                let _ = write!(self.rest, " {name}={value:?}");
            }
        }
    }
}
