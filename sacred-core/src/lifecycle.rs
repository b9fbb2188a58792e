//! The life of an observed run: observers chosen, output captured, the start announced, the
//! experiment function called, and the end (completed, failed, interrupted) recorded.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use crate::capture::Capture;
use crate::cli::{CaptureMode, Flags, Update};
use crate::config::Resolved;
use crate::experiment::{Experiment, Failure, FunctionOutcome};
use crate::log::{ERROR, Logger, WARNING, format_elapsed};
use crate::observer::file::FileStorageObserver;
use crate::observer::{Observer, RunId};
use crate::pump::{Pump, RunEnd, StartInfo};
use crate::run::{Shared, lock};
use crate::settings::{DEFAULT_FILE_STORAGE, Settings};
use crate::time::Timestamp;
use crate::{Env, Error, Outcome, Run};

/// How long the end of a run waits for the observers to have seen its start.
const START_WAIT: Duration = Duration::from_secs(10);

/// Sacred's default beat interval, in seconds.
const DEFAULT_BEAT_INTERVAL: f64 = 10.0;

/// The parts of the command line a run records.
pub(crate) struct Request<'a> {
    pub(crate) flags: &'a Flags,
    pub(crate) updates: &'a [Update],
    pub(crate) command: &'a str,
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
    let settings = Settings::load(env)?;
    let observers = observers(flags, &settings, env, logger)?;
    let given_id = flags.id.as_ref().map(|id| RunId::Str(id.clone()));
    if let Some(id) = &given_id {
        for observer in &observers {
            observer.check_id(id).map_err(|e| Error::Observer {
                observer: observer.name(),
                reason: e.message,
            })?;
        }
    }
    let mut experiment = crate::record::experiment_record(&E::INFO, &logger.name);
    let find_repositories = !flags.enforce_clean;
    if flags.enforce_clean {
        experiment.repositories =
            crate::record::repositories(std::path::Path::new(&experiment.base_dir));
        crate::record::enforce_clean(&experiment.repositories).map_err(Error::Refused)?;
    }

    if flags.queue {
        return queue(
            observers, experiment, given_id, request, resolved, &settings, logger,
        );
    }

    let mode = flags.capture.or(settings.capture).unwrap_or(
        if observers.is_empty() || !env.is_process() {
            CaptureMode::No
        } else {
            CaptureMode::Fd
        },
    );
    let capture = match Capture::start(mode) {
        Ok(capture) => capture,
        Err(e) => {
            logger.log(
                WARNING,
                &format!("output capture `-C {mode:?}` failed ({e}); capturing nothing"),
            );
            Capture::start(CaptureMode::No)
                .map_err(|e| Error::Refused(format!("cannot set up output capture: {e}")))?
        }
    };
    let capture = Arc::new(capture);
    if env.is_process() {
        crate::capture::install_tracing(logger.level);
    }
    let beat = flags
        .beat_interval
        .or(settings.beat_interval)
        .unwrap_or(DEFAULT_BEAT_INTERVAL);
    let beat_interval = (beat > 0.0).then(|| Duration::from_secs_f64(beat));

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
        id: given_id,
        experiment,
        find_repositories,
        command: request.command.to_owned(),
        start_time,
        meta: meta(request, &resolved),
        captured_env: settings.captured_env.clone(),
        announce: Box::new(move |id| match id {
            Some(id) => announcer.info(&format!("Started run with ID \"{id}\"")),
            None => announcer.info("Started"),
        }),
    };
    let pump = Pump::spawn(
        observers,
        start,
        Arc::clone(&shared),
        Arc::clone(&capture),
        beat_interval,
    )
    .map_err(|e| Error::Refused(format!("cannot start the observers' thread: {e}")))?;
    let lifecycle = Arc::new(Lifecycle {
        pump: Mutex::new(Some(pump)),
        capture,
        finished: AtomicBool::new(false),
        logger: logger.clone(),
        started,
    });
    let signals = if env.is_process() {
        watch_signals(&lifecycle)
    } else {
        None
    };

    install_panic_hook();
    let run = Run::from_shared(Arc::clone(&shared));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| config.call(&run)));
    let elapsed = format_elapsed(started.elapsed());
    // The observers learn of the start off this thread (host and git probing must not delay
    // the experiment); a run shorter than that waits here, so its record and output have the
    // start before the end.
    shared.id.wait(START_WAIT);
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
            (
                RunEnd::Completed(result.clone()),
                Outcome::Completed {
                    config: resolved.record,
                    result,
                },
            )
        }
        Ok(FunctionOutcome::Failed(failure)) => {
            logger.log(ERROR, &format!("Failed after {elapsed}!"));
            let trace = error_trace(&failure);
            env.err(&trace.concat());
            (
                RunEnd::Failed(trace),
                Outcome::Failed {
                    config: resolved.record,
                    failure,
                },
            )
        }
        Err(payload) => {
            let failure = panic_failure(payload.as_ref());
            logger.log(ERROR, &format!("Failed after {elapsed}!"));
            let trace = PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| vec![format!("panicked: {}\n", failure.message)]);
            if flags.debug {
                resume = Some(payload);
            }
            (
                RunEnd::Failed(trace),
                Outcome::Failed {
                    config: resolved.record,
                    failure,
                },
            )
        }
    };
    if !lifecycle.finish(end) {
        // A signal ended the run while the function was returning; that thread exits.
        loop {
            std::thread::park();
        }
    }
    if let Some(handle) = signals {
        handle.close();
    }
    if let Some(payload) = resume {
        // -d/--debug: the panic is recorded, then goes on as Rust's own, for a debugger.
        std::panic::resume_unwind(payload);
    }
    Ok(outcome)
}

/// `-q/--queue`: the observers record the run as QUEUED; nothing runs.
fn queue(
    mut observers: Vec<Box<dyn Observer>>,
    mut experiment: crate::observer::ExperimentRecord,
    id: Option<RunId>,
    request: &Request<'_>,
    resolved: Resolved,
    settings: &Settings,
    logger: &Logger,
) -> Result<Outcome, Error> {
    logger.info(&format!("Queuing-up command '{}'", request.command));
    if experiment.repositories.is_empty() {
        experiment.repositories =
            crate::record::repositories(std::path::Path::new(&experiment.base_dir));
    }
    observers.sort_by_key(|o| std::cmp::Reverse(o.priority()));
    let mut event = crate::observer::QueuedEvent {
        id,
        experiment: Arc::new(experiment),
        command: request.command.to_owned(),
        host: crate::host::host_info(&settings.captured_env),
        queue_time: Timestamp::now(),
        config: resolved.record.clone(),
        meta: meta(request, &resolved),
    };
    for observer in &mut observers {
        match observer.queued(&event) {
            Ok(allocated) => {
                if event.id.is_none() {
                    event.id = allocated;
                }
            }
            Err(e) => logger.log(
                WARNING,
                &format!("The observer {} failed: {e}", observer.name()),
            ),
        }
    }
    match &event.id {
        Some(id) => logger.info(&format!("Queued-up run with ID \"{id}\"")),
        None => logger.info("Queued-up run"),
    }
    Ok(Outcome::Queued {
        config: resolved.record,
        id: event.id,
    })
}

/// The observers of this run: none with `-u`; those of `-F DIR` and `-m SPEC`; without
/// either, the project defaults (`SACRED_MONGO_URL` or `sacred.toml`'s `mongo_url`,
/// `SACRED_FILE_STORAGE` or `sacred.toml`'s `file_storage`), and file storage under `./runs`
/// when nothing is configured. Plus the observers added to the environment.
fn observers(
    flags: &Flags,
    settings: &Settings,
    env: &Env,
    logger: &Logger,
) -> Result<Vec<Box<dyn Observer>>, Error> {
    let mut observers: Vec<Box<dyn Observer>> = env.take_observers();
    if flags.unobserved {
        return Ok(Vec::new());
    }
    let explicit = flags.file_storage.is_some() || flags.mongo_db.is_some();
    if let Some(dir) = &flags.file_storage {
        observers.push(Box::new(FileStorageObserver::new(dir)));
    }
    if let Some(spec) = &flags.mongo_db {
        observers.push(mongo(env, spec, "-m/--mongo_db")?);
    }
    if explicit || !observers.is_empty() {
        return Ok(observers);
    }
    let mut shown = Vec::new();
    if let Some(url) = &settings.mongo_url {
        observers.push(mongo(env, url, "the configured mongo_url")?);
        shown.push(format!("MongoDB {}", mask_password(url)));
    }
    if let Some(dir) = &settings.file_storage {
        observers.push(Box::new(FileStorageObserver::new(dir)));
        shown.push(dir.display().to_string());
    }
    if observers.is_empty() {
        observers.push(Box::new(FileStorageObserver::new(
            env.resolve(DEFAULT_FILE_STORAGE),
        )));
        shown.push(format!("./{DEFAULT_FILE_STORAGE}"));
    }
    if !flags.debug {
        logger.info(&format!(
            "Recording the run in {} (-F DIR or -m DB elsewhere, -u for none)",
            shown.join(" and ")
        ));
    }
    Ok(observers)
}

/// The MongoDB observer, built by the factory the `sacred` facade registers with its
/// `mongo` feature.
fn mongo(env: &Env, spec: &str, origin: &str) -> Result<Box<dyn Observer>, Error> {
    let Some(factory) = env.factory() else {
        return Err(Error::usage(format!(
            "{origin} `{}`: this binary was built without MongoDB support; expected the \
             `mongo` feature of sacred: sacred = {{ version = \"…\", features = [\"mongo\"] }}",
            mask_password(spec)
        )));
    };
    factory
        .mongo(spec)
        .map_err(|e| Error::usage(format!("{origin} `{}`: {}", mask_password(spec), e.message)))
}

/// Sacred's `meta`: the command, its options as Sacred names them, the `with` updates.
fn meta(request: &Request<'_>, resolved: &Resolved) -> serde_json::Value {
    use serde_json::{Value, json};
    let flags = request.flags;
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let number = |v: Option<f64>| v.map_or(Value::Null, |n| Value::String(n.to_string()));
    let capture = flags.capture.map(|c| match c {
        CaptureMode::Fd => "fd",
        CaptureMode::Sys => "sys",
        CaptureMode::No => "no",
    });
    let tokens: Vec<&str> = request
        .updates
        .iter()
        .map(|u| match u {
            Update::Set { token, .. } => token.as_str(),
            Update::Named(name) => name.as_str(),
        })
        .collect();
    let mut config_updates = Value::Object(serde_json::Map::new());
    for update in request.updates {
        if let Update::Set { key, .. } = update
            && let Some(value) = crate::config::render::lookup(&resolved.record, key)
        {
            crate::config::merge_update(&mut config_updates, key, value.clone());
        }
    }
    let named: Vec<&str> = request
        .updates
        .iter()
        .filter_map(|u| match u {
            Update::Named(name) => Some(name.as_str()),
            Update::Set { .. } => None,
        })
        .collect();
    let mut meta = json!({
        "command": request.command,
        "config_updates": config_updates,
        "named_configs": named,
        "options": {
            "--beat-interval": number(flags.beat_interval),
            "--capture": capture,
            "--comment": text(&flags.comment),
            "--debug": flags.debug,
            "--enforce_clean": flags.enforce_clean,
            "--file_storage": text(&flags.file_storage),
            "--force": flags.force,
            "--help": false,
            "--id": text(&flags.id),
            "--loglevel": flags.loglevel.map(|l| l.to_string()),
            "--mongo_db": flags.mongo_db.as_deref().map(mask_password),
            "--name": text(&flags.name),
            "--pdb": false,
            "--print-config": flags.print_config,
            "--priority": number(flags.priority),
            "--queue": flags.queue,
            "--s3": null,
            "--sql": null,
            "--tiny_db": null,
            "--unobserved": flags.unobserved,
            "COMMAND": (request.command != "main").then_some(request.command),
            "UPDATE": tokens,
            "help": false,
            "with": !request.updates.is_empty(),
        },
    });
    if let Some(map) = meta.as_object_mut() {
        if let Some(comment) = &flags.comment {
            map.insert("comment".into(), Value::String(comment.clone()));
        }
        if let Some(priority) = flags.priority {
            map.insert("priority".into(), json!(priority));
        }
    }
    meta
}

/// `mongodb://user:secret@host/db` → `mongodb://user:***@host/db`: a password never reaches
/// a record.
pub(crate) fn mask_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

/// The end of a run, done once: by the experiment's thread or by a signal.
struct Lifecycle {
    pump: Mutex<Option<Pump>>,
    capture: Arc<Capture>,
    finished: AtomicBool,
    logger: Logger,
    started: Instant,
}

impl Lifecycle {
    /// Records the end; false when another thread did already.
    fn finish(&self, end: RunEnd) -> bool {
        if self.finished.swap(true, Ordering::SeqCst) {
            return false;
        }
        let output = self.capture.stop();
        let pump = lock(&self.pump).take();
        if let Some(pump) = pump {
            for failure in pump.finish(end, output) {
                self.logger.log(
                    WARNING,
                    &format!("The observer {failure}; the run itself was not affected"),
                );
            }
        }
        true
    }

    fn interrupt(&self, signal: i32) {
        if self.finished.load(Ordering::SeqCst) {
            return;
        }
        self.logger.log(
            ERROR,
            &format!("Aborted after {}!", format_elapsed(self.started.elapsed())),
        );
        if self.finish(RunEnd::Interrupted("INTERRUPTED".to_owned())) {
            std::process::exit(128 + signal);
        }
    }
}

/// Handles SIGINT and SIGTERM for the run: a final flush, the INTERRUPTED status, exit
/// code 130 or 143. The handlers are process-wide and removed when the run ends.
fn watch_signals(lifecycle: &Arc<Lifecycle>) -> Option<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(s) => s,
        Err(e) => {
            lifecycle.logger.log(
                WARNING,
                &format!("cannot handle SIGINT/SIGTERM ({e}): an interrupted run stays RUNNING"),
            );
            return None;
        }
    };
    let handle = signals.handle();
    let lifecycle = Arc::clone(lifecycle);
    let spawned = std::thread::Builder::new()
        .name("sacred-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                lifecycle.interrupt(signal);
            }
        });
    match spawned {
        Ok(_) => Some(handle),
        Err(_) => {
            handle.close();
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

fn panic_failure(payload: &(dyn std::any::Any + Send)) -> Failure {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
    Failure {
        message: format!("panicked: {message}"),
        causes: Vec::new(),
    }
}

thread_local! {
    /// The last panic on this thread: message, location and backtrace as `fail_trace` lines.
    static PANIC: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that keeps the panic's message, location and
/// backtrace for the run's `fail_trace`, then calls the hook that was there before (which
/// prints the panic, so the output keeps it). A global is unavoidable: panic hooks are.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "Box<dyn Any>".to_owned());
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_else(|| "an unknown location".to_owned());
            let thread = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned();
            let backtrace = std::backtrace::Backtrace::force_capture();
            let trace = vec![
                format!("thread '{thread}' panicked at {location}:\n"),
                format!("{message}\n"),
                format!("stack backtrace:\n{backtrace}\n"),
            ];
            PANIC.with(|p| *p.borrow_mut() = Some(trace));
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("mongodb://alice:s3cret@db.example:27017/runs?authSource=admin"),
            "mongodb://alice:***@db.example:27017/runs?authSource=admin"
        );
        assert_eq!(
            mask_password("mongodb://db:27017/x"),
            "mongodb://db:27017/x"
        );
        assert_eq!(
            mask_password("localhost:27017:runs"),
            "localhost:27017:runs"
        );
        assert_eq!(
            mask_password("mongodb+srv://bob@h/x"),
            "mongodb+srv://bob@h/x"
        );
    }
}
