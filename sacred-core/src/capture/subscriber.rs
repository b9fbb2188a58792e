//! A small `tracing` subscriber that writes events as Sacred's log lines
//! (`LEVEL - target - message`) to standard error, where a capture sees them.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Dispatch, Event, Level, LevelFilter, Metadata, Subscriber};

use super::sys::write_stderr;

/// The level of the subscriber installed by [`install_tracing`]; unset until the first call,
/// `None` if another global subscriber was there first.
///
/// Process-wide like the global `tracing` dispatcher it belongs to, which can be set only
/// once.
static INSTALLED: OnceLock<Option<Arc<AtomicU8>>> = OnceLock::new();

/// Installs a global `tracing` subscriber that writes each event as Sacred's log line
/// `LEVEL - target - message` (followed by ` key=value` for the event's other fields) to
/// standard error through [`write_stderr`], so that every capture mode sees it.
///
/// Events below `loglevel` are dropped. `loglevel` is Sacred's number: 10 DEBUG, 20 INFO,
/// 30 WARNING, 40 ERROR, 50 CRITICAL; `tracing`'s levels rank as TRACE 5, DEBUG 10, INFO 20,
/// WARN 30 (written `WARNING`) and ERROR 40, so `0` shows everything and `50` no `tracing`
/// event at all (`tracing` has no CRITICAL). Spans are not recorded.
///
/// The subscriber is installed once per process; later calls only change its level. If the
/// application had already installed a global subscriber, it is left alone and this returns
/// `false` (now and on later calls); it returns `true` when ours is in place.
pub(crate) fn install_tracing(loglevel: u8) -> bool {
    let mut first = false;
    let installed = INSTALLED.get_or_init(|| {
        first = true;
        let level = Arc::new(AtomicU8::new(loglevel));
        let subscriber = LogSubscriber {
            level: Arc::clone(&level),
        };
        tracing_core::dispatcher::set_global_default(Dispatch::new(subscriber))
            .ok()
            .map(|()| level)
    });
    match installed {
        Some(level) => {
            if !first && level.swap(loglevel, Ordering::Relaxed) != loglevel {
                // Recomputes the maximum level that `tracing`'s macros check first.
                tracing_core::callsite::rebuild_interest_cache();
            }
            true
        }
        None => false,
    }
}

/// Writes events at or above a Sacred log level as Sacred's log lines.
#[derive(Debug)]
pub(super) struct LogSubscriber {
    level: Arc<AtomicU8>,
}

impl LogSubscriber {
    /// A subscriber with its own level, for tests that install it for one thread only.
    #[cfg(test)]
    pub(super) fn new(loglevel: u8) -> LogSubscriber {
        LogSubscriber {
            level: Arc::new(AtomicU8::new(loglevel)),
        }
    }
}

/// Sacred's number for a `tracing` level.
fn rank(level: &Level) -> u8 {
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

/// The name Sacred's log lines give a `tracing` level.
fn label(level: &Level) -> &'static str {
    if *level == Level::WARN {
        "WARNING"
    } else {
        level.as_str()
    }
}

impl Subscriber for LogSubscriber {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The level can change after a callsite registered: ask `enabled` every time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && rank(metadata.level()) >= self.level.load(Ordering::Relaxed)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match self.level.load(Ordering::Relaxed) {
            ..=5 => LevelFilter::TRACE,
            6..=10 => LevelFilter::DEBUG,
            11..=20 => LevelFilter::INFO,
            21..=30 => LevelFilter::WARN,
            31..=40 => LevelFilter::ERROR,
            _ => LevelFilter::OFF,
        })
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        // Never called: `enabled` turns spans down. Any non-zero id does.
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        write_stderr(&log_line(event));
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// `LEVEL - target - message key=value…`, with its line end.
fn log_line(event: &Event<'_>) -> String {
    let metadata = event.metadata();
    let mut fields = LineFields::default();
    event.record(&mut fields);
    let mut line = format!(
        "{} - {} - {}",
        label(metadata.level()),
        metadata.target(),
        fields.message
    );
    let rest = if fields.message.is_empty() {
        fields.rest.trim_start()
    } else {
        &fields.rest
    };
    line.push_str(rest);
    line.push('\n');
    line
}

/// Collects an event's fields: the message apart, the others as ` key=value`.
#[derive(Debug, Default)]
struct LineFields {
    message: String,
    rest: String,
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
            // Metadata that the `log` bridge adds.
            name if name.starts_with("log.") => {}
            name => {
                let _ = write!(self.rest, " {name}={value:?}");
            }
        }
    }
}
