//! `worker`: claims the queued runs of this experiment one at a time and runs each in a
//! process of its own, started in place (`-m DB.runs:ID`), so that a run that aborts does
//! not take the worker down and each run has its own capture and journal.

use std::time::{Duration, Instant};

use super::stop::{POLL as CHILD_POLL, RunProcess, Stop, signal_name};
use super::{args::run_flags, spawn_self, store, store_failed};
use crate::cli::{Flags, Update};
use crate::experiment::Experiment;
use crate::log::{ERROR, Logger, WARNING};
use crate::observer::{DeadAction, ObserverError, RunId, RunStore, StoredRun, WorkerTag};
use crate::{Env, Error, Outcome};

/// How often a dead run is put back in the queue before it is marked FAILED instead.
pub(crate) const MAX_REQUEUES: u32 = 3;
/// How long an idle worker waits before it asks again.
const POLL: Duration = Duration::from_millis(500);
/// How often a worker looks for dead runs, between its runs and while idle.
const DEAD_CHECK: Duration = Duration::from_secs(10);
/// Runs queued runs until `--max-runs` are done or the queue stayed empty for
/// `--idle-exit` seconds.
///
/// # Errors
/// No `-m`, or the store cannot be reached.
pub(crate) fn worker<E: Experiment>(
    flags: &Flags,
    env: &Env,
    logger: &Logger,
) -> Result<Outcome, Error> {
    let mut store = store(flags, env, "worker")?;
    let experiment = logger.name.clone();
    let host = crate::host::fast_host_info(&[])
        .get("hostname")
        .and_then(|h| h.as_str())
        .unwrap_or("unknown")
        .to_owned();
    let tag = WorkerTag {
        host,
        pid: std::process::id(),
        // As its runs will beat: `-b`, else `sacred.toml`, else Sacred's 10 s.
        beat_interval: flags
            .beat_interval
            .or(crate::settings::Settings::load(env)?.beat_interval)
            .unwrap_or(crate::plan::DEFAULT_BEAT_INTERVAL),
    };
    let dead_after = flags.dead_after.map(Duration::from_secs_f64);
    let idle_exit = flags.idle_exit.map(Duration::from_secs_f64);
    logger.info(&format!(
        "Worker {}:{} takes the queued runs of `{experiment}` from {}",
        tag.host,
        tag.pid,
        store.name()
    ));
    let stop = Stop::catch(logger);
    let mut done: u64 = 0;
    let mut idle_since: Option<Instant> = None;
    let mut dead_checked: Option<Instant> = None;
    while flags.max_runs.is_none_or(|max| done < max) {
        stop.leave_if_caught(logger, |signal| {
            format!("Worker stopped by {signal} after {done} run(s)")
        });
        if dead_checked.is_none_or(|t| t.elapsed() >= DEAD_CHECK) {
            requeue_dead(store.as_mut(), &experiment, dead_after, logger)?;
            dead_checked = Some(Instant::now());
        }
        let claimed = store
            .claim(&experiment, &tag)
            .map_err(store_failed("claim a queued run"))?;
        match claimed {
            Some(run) => {
                idle_since = None;
                execute::<E>(store.as_mut(), &run, flags, env, logger, &stop)?;
                done += 1;
            }
            None => {
                let since = *idle_since.get_or_insert_with(Instant::now);
                if idle_exit.is_some_and(|limit| since.elapsed() >= limit) {
                    // A last look before leaving: a run whose worker died meanwhile is
                    // not left RUNNING because every worker left between two looks.
                    dead_checked = Some(Instant::now());
                    if requeue_dead(store.as_mut(), &experiment, dead_after, logger)? == 0 {
                        break;
                    }
                    idle_since = None;
                    continue;
                }
                std::thread::sleep(POLL);
            }
        }
    }
    // A signal during the last run allowed still ends the worker as a signal does.
    stop.leave_if_caught(logger, |signal| {
        format!("Worker stopped by {signal} after {done} run(s)")
    });
    stop.release();
    logger.info(&format!("Worker done after {done} run(s)"));
    Ok(Outcome::Done)
}

/// Puts the dead runs of `experiment` back in the queue, or marks them FAILED once they
/// were put back [`MAX_REQUEUES`] times; how many went back in the queue.
fn requeue_dead(
    store: &mut dyn RunStore,
    experiment: &str,
    dead_after: Option<Duration>,
    logger: &Logger,
) -> Result<usize, Error> {
    let mut requeued = 0;
    let failed = store_failed("look for dead runs");
    for run in store.dead(Some(experiment), dead_after).map_err(failed)? {
        let action = if run.requeued < MAX_REQUEUES {
            DeadAction::Requeue
        } else {
            DeadAction::MarkFailed
        };
        if store.settle_dead(&run, action).map_err(failed)? {
            let what = match action {
                DeadAction::Requeue => {
                    requeued += 1;
                    "put back in the queue"
                }
                DeadAction::MarkFailed => "marked FAILED (put back too often)",
            };
            logger.log(
                WARNING,
                &format!(
                    "The run {} (host {}) had no beat for {:.0} s: {what}",
                    run.id,
                    run.host.as_deref().unwrap_or("unknown"),
                    run.silent_for.as_secs_f64()
                ),
            );
        }
    }
    Ok(requeued)
}

/// Why a claimed run did not run to an end it recorded itself.
#[derive(Debug)]
enum NotRun {
    /// Something of the run (its id, its stored config) or of its process: the run is
    /// marked FAILED and the worker goes on with the next one.
    Run(String),
    /// A fault of the worker itself (its temporary directory, its own binary): the run is
    /// marked FAILED and the worker stops with this error, rather than fail every queued
    /// run in turn.
    Worker(Error),
}

/// Runs the claimed `run` (see [`run_claimed`]); when it cannot be run, or its process
/// ended without recording its end, logs why at ERROR level and marks it FAILED with that
/// reason.
///
/// # Errors
/// The worker cannot start runs (the run is marked FAILED first), or the run cannot be
/// marked FAILED.
fn execute<E: Experiment>(
    store: &mut dyn RunStore,
    run: &StoredRun,
    flags: &Flags,
    env: &Env,
    logger: &Logger,
    stop: &Stop,
) -> Result<(), Error> {
    logger.info(&format!("Claimed the run {}", run.id));
    let not_run = match run_claimed::<E>(store, run, flags, env, logger, stop) {
        Ok(()) => return Ok(()),
        Err(not_run) => not_run,
    };
    let reason = match &not_run {
        NotRun::Run(reason) => reason.clone(),
        NotRun::Worker(error) => format!("the worker cannot start it: {error}"),
    };
    give_up(store, &run.id, &reason, logger)?;
    match not_run {
        NotRun::Run(_) => Ok(()),
        NotRun::Worker(error) => Err(error),
    }
}

/// Logs at ERROR level that the claimed run `id` did not run to its end, and why, then
/// marks it FAILED with `reason` as its `fail_trace`.
///
/// # Errors
/// The run cannot be marked FAILED: it stays RUNNING until a dead-run check finds it.
fn give_up(
    store: &mut dyn RunStore,
    id: &RunId,
    reason: &str,
    logger: &Logger,
) -> Result<(), Error> {
    logger.log(ERROR, &format!("The run {id} failed: {reason}"));
    match store.fail_claimed(id, reason) {
        Ok(true) => Ok(()),
        Ok(false) => {
            logger.log(
                WARNING,
                &format!("The run {id} is not marked FAILED: it is no longer RUNNING"),
            );
            Ok(())
        }
        Err(e) => {
            let cause = ObserverError::new(format!(
                "{}; it stays RUNNING until a dead-run check finds it",
                e.message
            ));
            Err(store_failed(&format!("mark the run {id} FAILED"))(cause))
        }
    }
}

/// Runs the claimed `run` in a child process, started in place with its stored config
/// (a JSON config file, checked here first) and seed. `Ok` when the run recorded its end
/// (or is no longer stored).
///
/// # Errors
/// Why the run did not run to an end it recorded.
fn run_claimed<E: Experiment>(
    store: &mut dyn RunStore,
    run: &StoredRun,
    flags: &Flags,
    env: &Env,
    logger: &Logger,
    stop: &Stop,
) -> Result<(), NotRun> {
    let Some(target) = store.in_place_argument(&run.id) else {
        return Err(NotRun::Run(format!(
            "the run id `{}` cannot be started in place; expected an integer id",
            run.id
        )));
    };
    let values = super::stored_config::<E>(&run.config).map_err(NotRun::Run)?;
    let config =
        std::env::temp_dir().join(format!("sacred-run-{}-{}.json", std::process::id(), run.id));
    std::fs::write(&config, serde_json::Value::Object(values).to_string()).map_err(|source| {
        NotRun::Worker(Error::Io {
            action: format!("write the run's config to {}", config.display()),
            source,
        })
    })?;
    let status = check_and_start::<E>(&config, &target, run, flags, env, logger, stop);
    if let Err(e) = std::fs::remove_file(&config) {
        logger.log(
            WARNING,
            &format!(
                "Cannot remove the config file {} of the run {}: {e}",
                config.display(),
                run.id
            ),
        );
    }
    let status = status?;
    match store.load(&run.id) {
        Ok(Some(stored)) if stored.status == "RUNNING" => Err(NotRun::Run(format!(
            "the run's process ended ({status}) without recording the end of the run"
        ))),
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            logger.log(
                WARNING,
                &format!(
                    "The run {} is no longer stored after its process ended ({status})",
                    run.id
                ),
            );
            Ok(())
        }
        Err(e) => Err(NotRun::Run(format!(
            "the run's process ended ({status}), and the run cannot be read back to check \
             that it recorded its end: {}",
            e.message
        ))),
    }
}

/// Checks that the experiment accepts the run's `config` file, as the child will read it,
/// then runs the child (`-m target`) and waits for it; once the worker got a signal
/// (`stop`), asks the child to stop (see [`crate::signals`]) until it ends.
///
/// # Errors
/// The config is refused (a fault of the run), or the child cannot be started or waited
/// for (a fault of the worker).
fn check_and_start<E: Experiment>(
    config: &std::path::Path,
    target: &str,
    run: &StoredRun,
    flags: &Flags,
    env: &Env,
    logger: &Logger,
    stop: &Stop,
) -> Result<std::process::ExitStatus, NotRun> {
    let file = Update::Named(config.display().to_string());
    crate::config::resolve::<E>(std::slice::from_ref(&file), flags.force, env)
        .map_err(|e| NotRun::Run(format!("the stored config is refused: {e}")))?;
    let mut args = Vec::new();
    if !run.command.is_empty() && run.command != "main" {
        args.push(run.command.clone());
    }
    args.push("with".to_owned());
    args.push(config.display().to_string());
    let child_flags = Flags {
        mongo_db: Some(target.to_owned()),
        ..flags.clone()
    };
    args.extend(run_flags(&child_flags));
    let child = spawn_self(env, &args, None).map_err(NotRun::Worker)?;
    let mut child = RunProcess::new(child);
    let mut told = false;
    loop {
        if let Some(status) = child.poll(stop).map_err(NotRun::Worker)? {
            return Ok(status);
        }
        if let Some(signal) = stop.signal()
            && child.asked()
            && !std::mem::replace(&mut told, true)
        {
            logger.log(
                WARNING,
                &format!(
                    "The worker got {}: asking the run {} to stop",
                    signal_name(signal),
                    run.id
                ),
            );
        }
        std::thread::sleep(CHILD_POLL);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::config::tests::Cfg;
    use crate::observer::DeadRun;

    /// A store holding nothing but what the worker tells it: the runs it marks FAILED,
    /// or an error for each when `refuse_fail` is set.
    #[derive(Default)]
    struct Marks {
        failed: Vec<(RunId, String)>,
        refuse_fail: bool,
    }

    impl RunStore for Marks {
        fn name(&self) -> String {
            "marks".to_owned()
        }
        fn claim(&mut self, _: &str, _: &WorkerTag) -> Result<Option<StoredRun>, ObserverError> {
            Ok(None)
        }
        fn load(&mut self, _: &RunId) -> Result<Option<StoredRun>, ObserverError> {
            Ok(None)
        }
        fn dead(
            &mut self,
            _: Option<&str>,
            _: Option<Duration>,
        ) -> Result<Vec<DeadRun>, ObserverError> {
            Ok(Vec::new())
        }
        fn settle_dead(&mut self, _: &DeadRun, _: DeadAction) -> Result<bool, ObserverError> {
            Ok(false)
        }
        fn fail_claimed(&mut self, id: &RunId, reason: &str) -> Result<bool, ObserverError> {
            if self.refuse_fail {
                return Err(ObserverError::new("the server is gone"));
            }
            self.failed.push((id.clone(), reason.to_owned()));
            Ok(true)
        }
        fn in_place_argument(&self, id: &RunId) -> Option<String> {
            match id {
                RunId::Int(n) => Some(format!("db.runs:{n}")),
                RunId::Str(_) => None,
            }
        }
    }

    fn claimed(id: RunId, config: Value) -> StoredRun {
        StoredRun {
            id,
            status: "RUNNING".to_owned(),
            experiment: "golden".to_owned(),
            command: "main".to_owned(),
            config,
            meta: json!({}),
        }
    }

    fn execute_in(store: &mut Marks, run: &StoredRun) -> (Result<(), Error>, String) {
        let env = Env::captured(std::env::temp_dir());
        let logger = Logger {
            env: env.clone(),
            name: "golden".to_owned(),
            level: 0,
        };
        let result = execute::<Cfg>(store, run, &Flags::default(), &env, &logger, &Stop::never());
        (result, env.stderr_text())
    }

    #[test]
    fn a_run_that_cannot_be_started_in_place_is_marked_failed_and_logged() {
        let mut store = Marks::default();
        let run = claimed(RunId::Str("abc".to_owned()), json!({ "seed": 1 }));
        let (result, log) = execute_in(&mut store, &run);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(store.failed.len(), 1);
        assert_eq!(store.failed[0].0, RunId::Str("abc".to_owned()));
        assert!(store.failed[0].1.contains("in place"), "{:?}", store.failed);
        assert!(
            log.contains("ERROR - golden - The run abc failed: "),
            "{log}"
        );
    }

    #[test]
    fn a_corrupted_or_refused_config_fails_the_run_before_any_process_starts() {
        let mut store = Marks::default();
        let corrupted = claimed(RunId::Int(4), json!([1, 2]));
        let refused = claimed(RunId::Int(5), json!({ "batch_size": "many", "seed": 1 }));
        for run in [&corrupted, &refused] {
            let (result, log) = execute_in(&mut store, run);
            assert!(result.is_ok(), "{result:?}");
            assert!(
                log.contains(&format!("The run {} failed: ", run.id)),
                "{log}"
            );
        }
        let reasons: Vec<&str> = store.failed.iter().map(|(_, r)| r.as_str()).collect();
        assert!(reasons[0].contains("`config` is `[1,2]`"), "{reasons:?}");
        assert!(reasons[1].contains("refused"), "{reasons:?}");
        assert!(reasons[1].contains("batch_size"), "{reasons:?}");
    }

    #[test]
    fn a_run_that_cannot_be_marked_failed_stops_the_worker_with_both_causes() {
        let mut store = Marks {
            refuse_fail: true,
            ..Marks::default()
        };
        let run = claimed(RunId::Int(7), json!("oops"));
        let (result, log) = execute_in(&mut store, &run);
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("mark the run 7 FAILED"), "{message}");
        assert!(message.contains("the server is gone"), "{message}");
        assert!(message.contains("stays RUNNING"), "{message}");
        // The reason the run did not run is logged before.
        assert!(log.contains("ERROR - golden - The run 7 failed: "), "{log}");
        assert!(log.contains("`config`"), "{log}");
    }
}
