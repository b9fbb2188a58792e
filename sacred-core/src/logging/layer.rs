//! [`SacredLayer`]: `tracing` events as Sacred's log lines, in sacred's own subscriber or in
//! a subscriber of the user's.

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, LevelFilter, Metadata, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::line::{Line, LineFields, rank};
use crate::capture::{capture_stderr, write_stderr};

/// A [`tracing_subscriber::Layer`] that writes every event as Sacred's log line to standard
/// error, where the run's output capture sees it, in every capture mode:
///
/// ```text
/// INFO - my_crate::train - epoch{n=3}:batch{i=7}: loss computed loss=0.25
/// ```
///
/// `LEVEL - target - ` (`WARN` is written `WARNING`), then the spans that hold the event,
/// outermost first, as `name{field=value …}:`, then the message and the event's other
/// fields as ` key=value`. Records of the `log` crate that reach `tracing` (through
/// `tracing-log`, which `tracing_subscriber`'s `init` and `try_init` install) carry their
/// own target.
///
/// Events below the run's level are left out: `-l/--loglevel` and the `RUST_LOG`
/// directives of the run (see [`logging`](crate::logging)); before a run starts, INFO. The
/// layer filters only what it writes itself: other layers of the same subscriber see
/// every event their own filters let through.
///
/// Add it to a subscriber you set up yourself, before the run, in your own `main` (the
/// facade re-exports it as `sacred::tracing_layer`):
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// tracing_subscriber::registry()
///     .with(sacred_core::tracing_layer())
///     .init();
/// tracing::info!(answer = 42, "ready");
/// ```
///
/// Beside a layer that prints the events to the terminal itself (a `fmt` layer on standard
/// output or error), use [`capture_only`](SacredLayer::capture_only), so that each event
/// shows once on the terminal and reaches the captured output once.
#[derive(Debug, Clone, Default)]
pub struct SacredLayer {
    /// Sacred's own subscriber: the layer also decides which callsites are enabled at all.
    /// A user's subscriber keeps that decision to the user's filters.
    gate: bool,
    /// Only into a `sys` capture, never to the terminal ([`SacredLayer::capture_only`]).
    capture_only: bool,
    sink: Sink,
}

/// Which filter the layer follows and where its lines go.
#[derive(Debug, Clone, Default)]
enum Sink {
    /// The run's filter; standard error, through the capture's output function.
    #[default]
    Run,
    /// A test's filter and lines, for tests that run side by side.
    #[cfg(test)]
    Test(std::sync::Arc<TestOutput>),
}

/// A test's filter, and the lines its layer wrote.
#[cfg(test)]
#[derive(Debug, Default)]
pub(super) struct TestOutput {
    pub(super) filter: super::Filter,
    pub(super) lines: std::sync::Mutex<String>,
}

/// A [`SacredLayer`] for a subscriber of your own.
pub fn tracing_layer() -> SacredLayer {
    SacredLayer::default()
}

impl SacredLayer {
    /// The layer of the subscriber sacred installs when the program set none.
    pub(super) fn gate() -> SacredLayer {
        SacredLayer {
            gate: true,
            capture_only: false,
            sink: Sink::Run,
        }
    }

    /// This layer, writing nothing to the terminal: for a subscriber whose other layers
    /// print the events to standard output or error already. Under `-C fd` it adds
    /// nothing (the capture has what those layers printed); under `-C sys` it adds Sacred's
    /// line to the captured output only. Each event then shows once on the terminal and
    /// reaches the captured output once, in every mode.
    ///
    /// ```
    /// use tracing_subscriber::prelude::*;
    ///
    /// tracing_subscriber::registry()
    ///     .with(tracing_subscriber::fmt::layer())
    ///     .with(sacred_core::tracing_layer().capture_only())
    ///     .init();
    /// ```
    #[must_use]
    pub fn capture_only(self) -> SacredLayer {
        SacredLayer {
            capture_only: true,
            ..self
        }
    }

    /// A layer that filters with `output`'s filter and writes into its lines.
    #[cfg(test)]
    pub(super) fn for_test(gate: bool, output: &std::sync::Arc<TestOutput>) -> SacredLayer {
        SacredLayer {
            gate,
            capture_only: false,
            sink: Sink::Test(std::sync::Arc::clone(output)),
        }
    }

    fn allows(&self, rank: u8, target: &str) -> bool {
        match &self.sink {
            Sink::Run => super::filter_allows(rank, target),
            #[cfg(test)]
            Sink::Test(test) => test.filter.enabled(rank, target),
        }
    }

    fn level_hint(&self) -> LevelFilter {
        match &self.sink {
            Sink::Run => super::level_hint(),
            #[cfg(test)]
            Sink::Test(test) => super::level_filter(test.filter.lowest()),
        }
    }

    fn write(&self, line: &str) {
        match &self.sink {
            Sink::Run if self.capture_only => capture_stderr(line),
            Sink::Run => write_stderr(line),
            #[cfg(test)]
            Sink::Test(test) => test
                .lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push_str(line),
        }
    }
}

/// A span's fields, formatted once when it is created (and extended when it records more).
#[derive(Debug)]
struct SpanFields(String);

impl<S> Layer<S> for SacredLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        if self.gate {
            // The filter can change after a callsite registered: ask `enabled` every time.
            Interest::sometimes()
        } else {
            Interest::always()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        !self.gate || self.allows(rank(metadata.level()), metadata.target())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.gate.then(|| self.level_hint())
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = LineFields::default();
        attrs.record(&mut fields);
        span.extensions_mut()
            .insert(SpanFields(fields.joined().to_owned()));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = LineFields::default();
        values.record(&mut fields);
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(SpanFields(text)) if !text.is_empty() => text.push_str(&fields.rest),
            Some(SpanFields(text)) => text.push_str(fields.joined()),
            None => extensions.insert(SpanFields(fields.joined().to_owned())),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let rank = rank(metadata.level());
        // Sacred's own subscriber decided in `enabled` already (a `log` record with its
        // own target, through the bridge); in a subscriber of the user's the layer
        // filters only what it writes, here.
        if !self.gate && !self.allows(rank, metadata.target()) {
            return;
        }
        let mut fields = LineFields::default();
        event.record(&mut fields);
        let mut line = Line::new(rank, metadata.target());
        for span in ctx
            .event_scope(event)
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            let extensions = span.extensions();
            let span_fields = extensions.get::<SpanFields>().map_or("", |f| f.0.as_str());
            line.span(span.name(), span_fields);
        }
        let line = line.end(&fields);
        self.write(&line);
    }
}
