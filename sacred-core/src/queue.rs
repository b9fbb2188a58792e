//! `-q/--queue`: the observers record the run as QUEUED; nothing runs.

use std::sync::Arc;

use crate::log::{ERROR, Logger};
use crate::observer::{ExperimentRecord, QueuedEvent};
use crate::plan::RunPlan;
use crate::time::Timestamp;
use crate::{Error, Outcome};

/// Records a queued run in every observer of `plan`; the first to allocate an id gives it.
///
/// # Errors
/// An observer could not record it: a queued run that is not stored would never run, so
/// that is an error (exit code 1), naming the observers that failed and where the run was
/// queued all the same.
pub(crate) fn queue(
    plan: RunPlan,
    mut experiment: ExperimentRecord,
    command: &str,
    config: serde_json::Value,
    meta: serde_json::Value,
    logger: &Logger,
) -> Result<Outcome, Error> {
    logger.info(&format!("Queuing-up command '{command}'"));
    experiment.repositories = plan
        .repositories
        .unwrap_or_else(|| crate::record::repositories(std::path::Path::new(&experiment.base_dir)));
    let mut event = QueuedEvent {
        id: plan.given_id,
        experiment: Arc::new(experiment),
        command: command.to_owned(),
        host: crate::host::host_info(&plan.captured_env),
        queue_time: Timestamp::now(),
        config: config.clone(),
        meta,
    };
    let mut failed = Vec::new();
    let mut stored = Vec::new();
    for mut observer in plan.observers {
        match observer.queued(&event) {
            Ok(allocated) => {
                if event.id.is_none() {
                    event.id = allocated;
                }
                stored.push(observer.name());
            }
            Err(e) => {
                logger.log(
                    ERROR,
                    &format!("The observer {} failed: {e}", observer.name()),
                );
                failed.push(format!("{}: {e}", observer.name()));
            }
        }
    }
    if !failed.is_empty() {
        let kept = match (&event.id, stored.is_empty()) {
            (_, true) => "it is queued nowhere".to_owned(),
            (Some(id), false) => format!("it is queued as {id} in {}", stored.join(", ")),
            (None, false) => format!("it is queued in {}", stored.join(", ")),
        };
        return Err(Error::Io {
            action: "queue the run".to_owned(),
            source: std::io::Error::other(format!("{}; {kept}", failed.join("; "))),
        });
    }
    match &event.id {
        Some(id) => logger.info(&format!("Queued-up run with ID \"{id}\"")),
        None => logger.info("Queued-up run"),
    }
    Ok(Outcome::Queued {
        config,
        id: event.id,
    })
}
