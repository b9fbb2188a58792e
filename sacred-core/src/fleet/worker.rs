//! `worker`: claims the queued runs of this experiment one at a time and runs each in a
//! process of its own, started in place (`-m DB.runs:ID`), so that a run that aborts does
//! not take the worker down and each run has its own capture and journal.

use std::time::{Duration, Instant};

use super::{args::run_flags, spawn_self, store, store_failed};
use crate::cli::Flags;
use crate::experiment::Experiment;
use crate::log::{ERROR, Logger, WARNING};
use crate::observer::{DeadAction, RunStore, StoredRun, WorkerTag};
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
    let mut done: u64 = 0;
    let mut idle_since: Option<Instant> = None;
    let mut dead_checked: Option<Instant> = None;
    while flags.max_runs.is_none_or(|max| done < max) {
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
                execute::<E>(store.as_mut(), &run, flags, env, logger)?;
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

/// Runs the claimed `run` in a child process, started in place with its stored config
/// (a JSON config file) and seed; marks it FAILED when the child ended without
/// recording its end.
fn execute<E: Experiment>(
    store: &mut dyn RunStore,
    run: &StoredRun,
    flags: &Flags,
    env: &Env,
    logger: &Logger,
) -> Result<(), Error> {
    logger.info(&format!("Claimed the run {}", run.id));
    let Some(target) = store.in_place_argument(&run.id) else {
        let reason = format!("the run id {} cannot be started in place", run.id);
        let _ = store.fail_claimed(&run.id, &reason);
        logger.log(ERROR, &reason);
        return Ok(());
    };
    let config =
        std::env::temp_dir().join(format!("sacred-run-{}-{}.json", std::process::id(), run.id));
    let values = serde_json::Value::Object(super::stored_config::<E>(&run.config));
    std::fs::write(&config, values.to_string()).map_err(|source| Error::Io {
        action: format!("write the run's config to {}", config.display()),
        source,
    })?;
    let mut args = Vec::new();
    if !run.command.is_empty() && run.command != "main" {
        args.push(run.command.clone());
    }
    args.push("with".to_owned());
    args.push(config.display().to_string());
    let child_flags = Flags {
        mongo_db: Some(target),
        ..flags.clone()
    };
    args.extend(run_flags(&child_flags));
    let status = spawn_self(env, &args, None).and_then(|mut child| {
        child.wait().map_err(|source| Error::Io {
            action: "wait for the run's process".to_owned(),
            source,
        })
    });
    let _ = std::fs::remove_file(&config);
    let status = status?;
    let stored = store.load(&run.id).ok().flatten();
    if stored.as_ref().is_some_and(|s| s.status == "RUNNING") {
        let reason = format!(
            "The run's process ended ({status}) without recording the end of the run {}",
            run.id
        );
        if store.fail_claimed(&run.id, &reason).unwrap_or(false) {
            logger.log(ERROR, &reason);
        }
    }
    Ok(())
}
