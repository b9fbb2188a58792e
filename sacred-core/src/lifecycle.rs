//! The life of an observed run, as one straight line: the plan resolved, output captured,
//! the pump started (it announces the start off this thread), the experiment function
//! called, and the end (completed, failed, interrupted) recorded.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::capture::Capture;
use crate::cli::{CaptureMode, Flags, Update};
use crate::config::Resolved;
use crate::experiment::{Experiment, Failure, FunctionOutcome};
use crate::journal::Journal;
use crate::log::{ERROR, Logger, WARNING, format_elapsed};
use crate::plan::RunPlan;
use crate::pump::{Pump, StartInfo};
use crate::run::{EndReport, RunEnd, Shared};
use crate::sync::lock;
use crate::time::Timestamp;
use crate::{Env, Error, Outcome, Run};

/// How long the function waits for the observers to have seen the start of the run.
const START_WAIT: Duration = Duration::from_secs(10);

/// The parts of the command line a run records.
pub(crate) struct Request<'a> {
    pub(crate) program: &'a str,
    pub(crate) flags: &'a Flags,
    pub(crate) updates: &'a [Update],
    pub(crate) command: &'a str,
    /// Entries added to the run's `meta` (a sweep's id and point, `rerun_of`).
    pub(crate) meta: serde_json::Map<String, serde_json::Value>,
}

/// Runs the experiment function with observers, capture, beats and signal handling.
pub(crate) fn run_observed<E: Experiment>(
    config: E,
    resolved: Resolved,
    request: &Request<'_>,
    logger: &Logger,
    env: &Env,
) -> Result<Outcome, Error> {
    let flags = request.flags;
    let experiment = crate::record::experiment_record(&E::INFO, &logger.name);
    let plan = RunPlan::resolve(
        flags,
        env,
        logger,
        std::path::Path::new(&experiment.base_dir),
    )?;
    let mut meta = crate::record::meta(flags, request.updates, request.command, &resolved);
    if let Some(map) = meta.as_object_mut() {
        map.extend(request.meta.clone());
    }
    if flags.queue {
        return crate::queue::queue(
            plan,
            experiment,
            request.command,
            resolved.record,
            meta,
            logger,
        );
    }

    // The journal comes first: a run whose record cannot be kept anywhere does not start.
    let journal = if plan.observers.is_empty() {
        None
    } else {
        Some(
            Journal::create(&plan.journal_dir).map_err(|source| Error::Journal {
                dir: plan.journal_dir.clone(),
                source,
            })?,
        )
    };
    let capture = Arc::new(start_capture(plan.capture, logger)?);
    if E::INFO.own_logging.is_some()
        && plan.capture == CaptureMode::Sys
        && !crate::logging::sacred_layer_in_place()
    {
        logger.log(
            WARNING,
            "the experiment sets up its own logging, whose lines `-C sys` does not capture: \
             add `sacred::tracing_layer().capture_only()` to its subscriber, or use `-C fd`",
        );
    }
    if env.is_process() {
        crate::logging::install_for_run(
            flags.loglevel,
            env.var("RUST_LOG"),
            E::INFO.own_logging.is_some(),
            logger,
        );
    }
    logger.info(&format!("Running command '{}'", request.command));
    let start_time = Timestamp::now();
    let started = Instant::now();
    let shared = Arc::new(Shared::new(
        logger.name.clone(),
        resolved.seed,
        resolved.record.clone(),
        env.cwd().to_path_buf(),
    ));
    let announcer = logger.clone();
    let start = StartInfo {
        id: plan.given_id,
        experiment,
        repositories: plan.repositories,
        command: request.command.to_owned(),
        start_time,
        meta,
        captured_env: plan.captured_env,
        announce: Box::new(move |id| match id {
            Some(id) => announcer.info(&format!("Started run with ID \"{id}\"")),
            None => announcer.info("Started"),
        }),
        journal,
        logger: logger.clone(),
    };
    let pump = Pump::spawn(
        plan.observers,
        start,
        Arc::clone(&shared),
        Arc::clone(&capture),
        plan.beat_interval,
    )
    .map_err(|e| Error::Io {
        action: "start the observers' thread".to_owned(),
        source: e,
    })?;
    let lifecycle = Arc::new(Lifecycle {
        pump: Mutex::new(Some(pump)),
        capture,
        finished: AtomicBool::new(false),
        logger: logger.clone(),
        started,
        program: request.program.to_owned(),
    });
    let signals = if env.is_process() {
        watch_signals(
            &lifecycle,
            env.var(crate::signals::STOP_REQUEST_VAR).is_some(),
        )
    } else {
        None
    };

    crate::panic::install_hook();
    // The observers learn of the start on the pump thread, which probes host and git
    // meanwhile; the function starts once they have it, as in Sacred: the record and the
    // output have `Started run with ID` before anything the function prints.
    shared.id.wait(START_WAIT);
    let run = Run::from_shared(Arc::clone(&shared));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| config.call(&run)));
    if let Some(why) = E::INFO.own_logging
        && env.is_process()
    {
        crate::logging::check_own_setup(why, logger);
    }
    let elapsed = format_elapsed(started.elapsed());
    let mut resume = None;
    let (end, outcome) = match outcome {
        Ok(FunctionOutcome::Returned(result)) => {
            if let Some(result) = &result {
                logger.info(&format!(
                    "Result: {}",
                    crate::config::render::compact(result)
                ));
            }
            logger.info(&format!("Completed after {elapsed}"));
            let config = resolved.record;
            (
                RunEnd::Completed(result.clone()),
                Outcome::Completed { config, result },
            )
        }
        Ok(FunctionOutcome::Failed(failure)) => {
            logger.log(ERROR, &format!("Failed after {elapsed}!"));
            let trace = error_trace(&failure);
            env.err(&trace.concat());
            let config = resolved.record;
            (RunEnd::Failed(trace), Outcome::Failed { config, failure })
        }
        Err(payload) => {
            let failure = crate::panic::panic_failure(payload.as_ref());
            logger.log(ERROR, &format!("Failed after {elapsed}!"));
            let trace = crate::panic::take_trace(&failure);
            if flags.debug {
                resume = Some(payload);
            }
            let config = resolved.record;
            (RunEnd::Failed(trace), Outcome::Failed { config, failure })
        }
    };
    if let Outcome::Failed { failure, .. } = &outcome {
        crate::logging::hint_after_failure(&failure.message, logger);
    }
    let Some(report) = lifecycle.finish(end) else {
        // A signal ended the run while the function was returning; that thread exits.
        loop {
            std::thread::park();
        }
    };
    if let Some(handle) = signals {
        handle.close();
    }
    if let Some(payload) = resume {
        // -d/--debug: the panic is recorded, then goes on as Rust's own, for a debugger.
        std::panic::resume_unwind(payload);
    }
    if report.failures.is_empty() {
        return Ok(outcome);
    }
    Ok(Outcome::Incomplete {
        outcome: Box::new(outcome),
        missing: report.failures.iter().map(ToString::to_string).collect(),
        journal: report.journal,
    })
}

/// Starts capturing output in `mode`; when that fails, warns and captures nothing.
fn start_capture(mode: CaptureMode, logger: &Logger) -> Result<Capture, Error> {
    match Capture::start(mode) {
        Ok(capture) => Ok(capture),
        Err(e) => {
            logger.log(
                WARNING,
                &format!("output capture `-C {mode:?}` failed ({e}); capturing nothing"),
            );
            Capture::start(CaptureMode::No).map_err(|source| Error::Io {
                action: "set up output capture".to_owned(),
                source,
            })
        }
    }
}

/// The end of a run, done once: by the experiment's thread or by a signal.
struct Lifecycle {
    pump: Mutex<Option<Pump>>,
    capture: Arc<Capture>,
    finished: AtomicBool,
    logger: Logger,
    started: Instant,
    /// The program's name, for the `sync` command the last line shows.
    program: String,
}

impl Lifecycle {
    /// Records the end and says what is missing where; `None` when another thread did
    /// already.
    fn finish(&self, end: RunEnd) -> Option<EndReport> {
        if self.finished.swap(true, Ordering::SeqCst) {
            return None;
        }
        let output = self.capture.stop();
        let pump = lock(&self.pump).take();
        let report = pump.map(|p| p.finish(end, output)).unwrap_or_default();
        self.report(&report);
        Some(report)
    }

    /// Says what the observers could not store, ending with the line that tells the user
    /// where the whole run is kept.
    fn report(&self, report: &EndReport) {
        if report.failures.is_empty() {
            if let Some(failure) = &report.journal_failure {
                // Every observer stored the whole run: nothing is lost.
                self.logger.log(
                    WARNING,
                    &format!("{failure}; every observer stored the whole run"),
                );
            }
            return;
        }
        for failure in &report.failures {
            self.logger.log(ERROR, &format!("The observer {failure}"));
        }
        let kept = match (&report.journal, &report.journal_failure) {
            (Some(path), None) => format!(
                "everything the run recorded is kept in the journal {}; send it with `{} sync \
                 {}`",
                path.display(),
                self.program,
                path.display()
            ),
            (Some(path), Some(failure)) => format!(
                "the journal {} holds the run up to where it failed ({failure})",
                path.display()
            ),
            (None, _) => "no journal could be kept".to_owned(),
        };
        self.logger.log(
            ERROR,
            &format!(
                "The run's record is incomplete in {} observer(s); {kept} (exit code {})",
                report.failures.len(),
                crate::EXIT_INCOMPLETE
            ),
        );
    }

    /// A signal ended the run: it is recorded as INTERRUPTED and the process exits with
    /// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), Sacred's codes. This is
    /// the one place the runtime exits the process itself.
    fn interrupt(&self, signal: i32) {
        if self.finished.load(Ordering::SeqCst) {
            return;
        }
        // Sacred logs an interruption as a warning, not an error.
        self.logger.log(
            WARNING,
            &format!("Aborted after {}!", format_elapsed(self.started.elapsed())),
        );
        if self
            .finish(RunEnd::Interrupted("INTERRUPTED".to_owned()))
            .is_some()
        {
            std::process::exit(128 + signal);
        }
    }
}

/// Ends the run on SIGINT or SIGTERM (see [`Lifecycle::interrupt`]), and on a worker's
/// request to stop in a run a worker started (`stop_requests`); `None`, with a warning,
/// when the handlers cannot be set up.
fn watch_signals(lifecycle: &Arc<Lifecycle>, stop_requests: bool) -> Option<crate::signals::Watch> {
    let target = Arc::clone(lifecycle);
    match crate::signals::watch(stop_requests, move |signal| target.interrupt(signal)) {
        Ok(handle) => Some(handle),
        Err(e) => {
            lifecycle.logger.log(
                WARNING,
                &format!("cannot handle SIGINT/SIGTERM ({e}): an interrupted run stays RUNNING"),
            );
            None
        }
    }
}

/// Sacred's `fail_trace` for an error: its message and causes, one string per line.
fn error_trace(failure: &Failure) -> Vec<String> {
    std::iter::once(format!("Error: {}\n", failure.message))
        .chain(failure.causes.iter().map(|c| format!("Caused by: {c}\n")))
        .collect()
}
