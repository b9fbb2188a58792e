//! Log records of the experiment (`tracing` events and `log` records) as Sacred's log lines,
//! `LEVEL - target - message`, on standard error where the run's output capture sees them.
//!
//! # What a run installs
//!
//! When a run starts in a process (the `main` that `#[experiment]` generates, or
//! `sacred::main` called from a `main` of your own), sacred installs, each only if the program has not installed its own yet:
//!
//! - a global `tracing` subscriber: a `tracing_subscriber` registry with a [`SacredLayer`],
//!   so events, with the fields of the spans that hold them, become Sacred's lines;
//! - a `log` logger (`tracing-log`'s `LogTracer`) that turns `log` records into `tracing`
//!   events, so `log::info!` gives the same lines (and reaches a subscriber of the user's,
//!   when that is the global one).
//!
//! Whoever is first wins, as always with these process-wide slots: a subscriber or logger
//! set up before the run (in a `main` of your own that then calls `sacred::main`) is kept,
//! and sacred adds nothing to it; add [`tracing_layer`] to your subscriber for Sacred's
//! lines.
//!
//! # An experiment that sets up its own
//!
//! The usual setup of a Rust program, `tracing_subscriber::fmt::init()` or
//! `env_logger::init()` at the start of the experiment function, works as it does without
//! sacred: the `#[experiment]` macro finds it in the file holding the experiment (or in a
//! module file that file declares; items marked `#[cfg(test)]` or `#[test]` do not count)
//! and the run installs neither of sacred's, leaving both slots free. Should the function
//! set up neither after all, the run says so when it returns. `#[experiment(logging = "own")]` says so when the setup is elsewhere, and
//! `logging = "sacred"` overrules what the macro found. Then:
//!
//! - what that logger prints to standard output or error is in the run's captured output
//!   under `-C fd` (the default); under `-C sys`, which sees only sacred's own writes, add
//!   [`tracing_layer`]`().capture_only()` to the subscriber;
//! - its own filter decides what it prints (`fmt::init()` reads `RUST_LOG` itself), and `-l`
//!   filters only a [`SacredLayer`] added to it and the runtime's own lines;
//! - a record logged before the setup reaches no logger, as in any Rust program.
//!
//! With sacred's in place, a setup in the function cannot take the slots: `try_init()` and
//! `set_global_default` return an error (the run goes on with sacred's lines) and `init()`,
//! which panics on that error, fails the run, whose last lines say to mark the experiment
//! `logging = "own"`.
//!
//! # Which records
//!
//! `-l/--loglevel` sets the default level (INFO when not given). The `RUST_LOG` variable
//! refines it per target with comma-separated directives, `RUST_LOG=my_crate::data=debug,
//! hyper=warn`:
//!
//! - `target=level` sets the level of a target and the modules inside it (`my_crate::data`
//!   covers `my_crate::data::csv`, not `my_crate::database`); the longest matching target
//!   wins, and a later directive for the same target replaces an earlier one;
//! - a bare `level` is the default when `-l` is not given (`-l` wins);
//! - a bare `target` shows every level of that target.
//!
//! Levels: `trace`, `debug`, `info`, `warn` (or `warning`), `error`, `off`, in any case, or
//! Sacred's numbers (10 DEBUG … 50 CRITICAL). A directive whose level cannot be read is
//! ignored with a warning. The filter applies to sacred's subscriber and to every
//! [`SacredLayer`], never to the other layers of a user's subscriber; the runtime's own
//! lines (`Running command`, `Completed after`) follow `-l` alone.

mod filter;
mod layer;
mod line;
#[cfg(test)]
mod tests;

use std::sync::{OnceLock, PoisonError, RwLock};

use tracing_core::{Dispatch, LevelFilter};
use tracing_subscriber::layer::SubscriberExt as _;

pub(crate) use filter::Filter;
pub use layer::{SacredLayer, tracing_layer};
pub(crate) use line::label;

/// The filter of the running process's run; INFO for everything before one starts.
///
/// Process-wide like the `tracing` dispatcher and the `log` logger it serves.
static FILTER: RwLock<Filter> = RwLock::new(Filter::new(crate::log::INFO));

/// What the first [`install`] put in place, for the later calls.
static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Which of the process-wide slots hold sacred's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Installed {
    /// The global `tracing` subscriber is sacred's.
    pub(crate) tracing: bool,
    /// The `log` logger is sacred's bridge to `tracing`.
    pub(crate) log: bool,
}

/// Installs the logging of a run in this process: the filter of `-l` (`loglevel`) and
/// `RUST_LOG` (`rust_log`), and sacred's subscriber and logger where the program has none,
/// unless the experiment sets up its own (`own`): then both slots are left to it, and only
/// the filter is set, for a [`SacredLayer`] it may add. Warns through `logger` about each
/// directive it ignored.
pub(crate) fn install_for_run(
    loglevel: Option<u8>,
    rust_log: Option<&str>,
    own: bool,
    logger: &crate::log::Logger,
) {
    let (filter, ignored) = Filter::from_settings(loglevel, rust_log);
    for message in ignored {
        logger.log(crate::log::WARNING, &message);
    }
    if own {
        set_filter(filter);
    } else {
        install(filter);
    }
}

/// Whether the subscriber in place holds a [`SacredLayer`]: then the records reach the run's
/// captured output in every capture mode.
pub(crate) fn sacred_layer_in_place() -> bool {
    tracing_core::dispatcher::get_default(|dispatch| {
        dispatch.downcast_ref::<SacredLayer>().is_some()
    })
}

/// After the function of an experiment taken to set up its own logging (`why` says what
/// made it so): when it set up neither a global `tracing` subscriber nor a `log` logger,
/// says through `logger` that its records reached no logger, and how to have sacred's.
pub(crate) fn check_own_setup(why: &str, logger: &crate::log::Logger) {
    let tracing_set = !tracing_core::dispatcher::get_default(|dispatch| {
        dispatch.is::<tracing_core::subscriber::NoSubscriber>()
    });
    let log_set = ::log::max_level() != ::log::LevelFilter::Off;
    if !tracing_set && !log_set {
        logger.log(
            crate::log::WARNING,
            &format!(
                "the experiment was taken to set up its own logging ({why}) but set up \
                 none: its `tracing` events and `log` records reached no logger; mark it \
                 `#[experiment(logging = \"sacred\")]` for sacred's"
            ),
        );
    }
}

/// After a run failed with `message`: when that says a global `tracing` subscriber or `log`
/// logger was in place already (`init()` inside the experiment function), tells through
/// `logger` where a program's own logging is set up instead.
pub(crate) fn hint_after_failure(message: &str, logger: &crate::log::Logger) {
    if let Some(hint) = setup_hint(message) {
        logger.log(crate::log::ERROR, hint);
    }
}

/// The hint for a failure `message` that says a logging slot was taken.
fn setup_hint(message: &str) -> Option<&'static str> {
    const TAKEN: [&str; 3] = [
        // `tracing`'s `SetGlobalDefaultError`, in `tracing_subscriber`'s `init()` too.
        "a global default trace dispatcher has already been set",
        // `log`'s `SetLoggerError`, as `env_logger::init()` and others panic with it.
        "SetLoggerError",
        "attempted to set a logger after the logging system was already initialized",
    ];
    TAKEN.iter().any(|taken| message.contains(taken)).then_some(
        "the experiment set up logging of its own while sacred's was in place: mark it \
         `#[experiment(logging = \"own\")]`, and sacred leaves the logging to it (see \
         sacred's `logging` docs)",
    )
}

/// Makes `filter` the run's filter, and the first time installs sacred's `tracing`
/// subscriber and `log` logger where the program has none (see the [module](self) docs).
pub(crate) fn install(filter: Filter) -> Installed {
    set_filter(filter);
    let installed = *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(SacredLayer::gate());
        Installed {
            tracing: tracing_core::dispatcher::set_global_default(Dispatch::new(subscriber))
                .is_ok(),
            log: tracing_log::LogTracer::init().is_ok(),
        }
    });
    // Recomputes the maximum level `tracing`'s macros check first (and so `LogTracer`).
    tracing_core::callsite::rebuild_interest_cache();
    if installed.log {
        ::log::set_max_level(tracing_log::AsLog::as_log(&LevelFilter::current()));
    }
    installed
}

/// Makes `filter` the run's filter.
fn set_filter(filter: Filter) {
    *FILTER.write().unwrap_or_else(PoisonError::into_inner) = filter;
}

/// Whether the run's filter lets a record of Sacred level `rank` from `target` through.
fn filter_allows(rank: u8, target: &str) -> bool {
    FILTER
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .enabled(rank, target)
}

/// The most verbose `tracing` level the run's filter lets through.
fn level_hint() -> LevelFilter {
    level_filter(
        FILTER
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .lowest(),
    )
}

/// The most verbose `tracing` level at or above Sacred level `lowest`.
fn level_filter(lowest: u8) -> LevelFilter {
    match lowest {
        ..=5 => LevelFilter::TRACE,
        6..=10 => LevelFilter::DEBUG,
        11..=20 => LevelFilter::INFO,
        21..=30 => LevelFilter::WARN,
        31..=40 => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}
