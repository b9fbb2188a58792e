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

/// One line: `LEVEL - target - ` then, outermost first, each span that holds the record as
/// `name{fields}:` (`name:` without fields) and a space, then the message and the record's
/// other fields as ` key=value`; with its line end.
pub(crate) fn format_line<'a>(
    rank: u8,
    target: &str,
    spans: impl IntoIterator<Item = (&'a str, &'a str)>,
    fields: &LineFields,
) -> String {
    let mut line = format!("{} - {target} - ", label(rank));
    let mut any_span = false;
    for (name, span_fields) in spans {
        any_span = true;
        line.push_str(name);
        if !span_fields.is_empty() {
            let _ = write!(line, "{{{span_fields}}}");
        }
        line.push(':');
    }
    if any_span {
        line.push(' ');
    }
    line.push_str(&fields.message);
    if fields.message.is_empty() {
        line.push_str(fields.rest.trim_start());
    } else {
        line.push_str(&fields.rest);
    }
    line.push('\n');
    line
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
