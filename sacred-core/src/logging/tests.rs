//! The lines of [`SacredLayer`], its filters, spans and `log` records. Each test gives its
//! layer a filter and an output of its own ([`TestOutput`]) and installs its subscriber for
//! its own thread, so tests run side by side.

use std::sync::{Arc, Mutex};

use tracing_core::Dispatch;
use tracing_core::dispatcher::with_default;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

use super::layer::TestOutput;
use super::*;

/// Runs `body` under a registry with a layer of its own (sacred's gate when `gate`), and
/// returns the lines the layer wrote.
fn lines_of(gate: bool, filter: Filter, body: impl FnOnce()) -> Vec<String> {
    let output = Arc::new(TestOutput {
        filter,
        ..TestOutput::default()
    });
    let subscriber = tracing_subscriber::registry().with(SacredLayer::for_test(gate, &output));
    with_default(&Dispatch::new(subscriber), body);
    let text = output.lines.lock().unwrap().clone();
    text.lines().map(str::to_owned).collect()
}

fn directives(loglevel: Option<u8>, rust_log: &str) -> Filter {
    Filter::from_settings(loglevel, Some(rust_log)).0
}

/// Emits one event at each level, with the target `syslog`.
fn emit_all_levels() {
    tracing::trace!(target: "syslog", "fine detail");
    tracing::debug!(target: "syslog", "detail");
    tracing::info!(target: "syslog", answer = 42, name = "deep", "hello {}", "world");
    tracing::warn!(target: "syslog", "careful");
    tracing::error!(target: "syslog", reason = ?Some(3), "broken");
    tracing::info!(target: "syslog", only = true);
}

#[test]
fn tracing_events_become_sacred_log_lines() {
    assert_eq!(
        lines_of(true, Filter::new(20), emit_all_levels),
        [
            "INFO - syslog - hello world answer=42 name=deep",
            "WARNING - syslog - careful",
            "ERROR - syslog - broken reason=Some(3)",
            "INFO - syslog - only=true",
        ]
    );
    assert_eq!(
        lines_of(true, Filter::new(30), emit_all_levels),
        [
            "WARNING - syslog - careful",
            "ERROR - syslog - broken reason=Some(3)"
        ]
    );
    let everything = lines_of(true, Filter::new(0), emit_all_levels);
    assert_eq!(everything.len(), 6);
    assert_eq!(
        everything[..2],
        ["TRACE - syslog - fine detail", "DEBUG - syslog - detail"]
    );
    assert_eq!(
        lines_of(true, Filter::new(50), emit_all_levels),
        Vec::<String>::new()
    );
}

#[test]
fn rust_log_directives_choose_levels_per_target() {
    let emit = || {
        tracing::debug!(target: "exp::data", "data detail");
        tracing::debug!(target: "exp::data::csv", "csv detail");
        tracing::debug!(target: "exp::model", "model detail");
        tracing::info!(target: "exp::model", "model info");
        tracing::warn!(target: "noisy", "noisy warning");
        tracing::error!(target: "noisy::inner", "noisy error");
    };
    assert_eq!(
        lines_of(true, directives(None, "exp::data=debug,noisy=error"), emit),
        [
            "DEBUG - exp::data - data detail",
            "DEBUG - exp::data::csv - csv detail",
            "INFO - exp::model - model info",
            "ERROR - noisy::inner - noisy error",
        ]
    );
    // `-l WARNING` is the default; the directive still lets `exp::data`'s details through.
    assert_eq!(
        lines_of(true, directives(Some(30), "info,exp::data=debug"), emit),
        [
            "DEBUG - exp::data - data detail",
            "DEBUG - exp::data::csv - csv detail",
            "WARNING - noisy - noisy warning",
            "ERROR - noisy::inner - noisy error",
        ]
    );
}

#[test]
fn spans_and_their_fields_lead_the_message() {
    let lines = lines_of(true, Filter::new(20), || {
        let epoch = tracing::info_span!("epoch", n = 3);
        let _epoch = epoch.enter();
        tracing::info!("starting");
        let batch = tracing::info_span!(
            "batch",
            i = 7,
            phase = "train",
            loss = tracing::field::Empty
        );
        let _batch = batch.enter();
        tracing::info!(loss = 0.25, "loss computed");
        batch.record("loss", 0.5);
        tracing::warn!("late");
        let plain = tracing::info_span!("plain");
        plain.in_scope(|| tracing::info!(k = 1));
        // A span below the level is left out, its children's events are not.
        tracing::debug_span!("hidden", secret = 1).in_scope(|| tracing::info!("shown"));
    });
    assert_eq!(
        lines,
        [
            "INFO - sacred_core::logging::tests - epoch{n=3}: starting",
            "INFO - sacred_core::logging::tests - epoch{n=3}:batch{i=7 phase=train}: \
             loss computed loss=0.25",
            "WARNING - sacred_core::logging::tests - epoch{n=3}:batch{i=7 phase=train \
             loss=0.5}: late",
            "INFO - sacred_core::logging::tests - epoch{n=3}:batch{i=7 phase=train \
             loss=0.5}:plain: k=1",
            "INFO - sacred_core::logging::tests - epoch{n=3}:batch{i=7 phase=train \
             loss=0.5}: shown",
        ]
    );
}

#[test]
fn log_records_carry_their_own_target_and_only_their_message() {
    let lines = lines_of(true, directives(None, "warn,exp::loader=debug"), || {
        let tracer = tracing_log::LogTracer::new();
        let log = |level, target: &str, text: &str| {
            ::log::Log::log(
                &tracer,
                &::log::Record::builder()
                    .level(level)
                    .target(target)
                    .module_path(Some("exp::loader"))
                    .file(Some("src/loader.rs"))
                    .line(Some(12))
                    .args(format_args!("{text}"))
                    .build(),
            );
        };
        log(::log::Level::Debug, "exp::loader", "read 3 rows");
        log(::log::Level::Info, "exp::other", "left out");
        log(::log::Level::Warn, "exp::other", "slow disk");
        let _span = tracing::warn_span!("epoch", n = 1).entered();
        log(::log::Level::Warn, "exp::other", "inside a span");
    });
    assert_eq!(
        lines,
        [
            "DEBUG - exp::loader - read 3 rows",
            "WARNING - exp::other - slow disk",
            "WARNING - exp::other - epoch{n=1}: inside a span",
        ]
    );
}

/// Counts the events it sees: another layer of a user's subscriber.
struct Counter(Arc<Mutex<usize>>);

impl<S: tracing_core::Subscriber> Layer<S> for Counter {
    fn on_event(&self, _event: &tracing_core::Event<'_>, _ctx: Context<'_, S>) {
        *self.0.lock().unwrap() += 1;
    }
}

#[test]
fn in_a_users_subscriber_the_layer_filters_only_its_own_lines() {
    let output = Arc::new(TestOutput {
        filter: Filter::new(30),
        ..TestOutput::default()
    });
    let seen = Arc::new(Mutex::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(SacredLayer::for_test(false, &output))
        .with(Counter(Arc::clone(&seen)));
    with_default(&Dispatch::new(subscriber), emit_all_levels);
    assert_eq!(*seen.lock().unwrap(), 6, "the other layer sees every event");
    assert_eq!(
        output.lines.lock().unwrap().as_str(),
        "WARNING - syslog - careful\nERROR - syslog - broken reason=Some(3)\n"
    );
}

#[test]
fn each_install_sets_the_filter() {
    // Other tests of the crate may install it too; the first call decides for all, and
    // each call sets the filter.
    install(Filter::new(20));
    install(Filter::new(40));
    assert!(!filter_allows(30, "any"));
    assert!(filter_allows(40, "any"));
    install(directives(Some(20), "deep=debug"));
    assert!(filter_allows(10, "deep::er"));
    assert!(!filter_allows(10, "shallow"));
    assert_eq!(level_hint(), LevelFilter::DEBUG);
}

#[test]
fn a_failure_from_setting_up_logging_twice_gets_a_hint() {
    for message in [
        "Unable to install global subscriber: SetGlobalDefaultError(\"a global default trace \
         dispatcher has already been set\")",
        "env_logger::init should not be called after logger initialized: SetLoggerError(())",
        "attempted to set a logger after the logging system was already initialized",
    ] {
        assert!(
            setup_hint(message).is_some_and(|hint| hint.contains("logging = \"own\"")),
            "{message}"
        );
    }
    assert_eq!(setup_hint("planned failure"), None);
}
