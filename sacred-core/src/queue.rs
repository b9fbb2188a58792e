//! `-q/--queue`: the observers record the run as QUEUED; nothing runs.

use std::sync::Arc;

use crate::log::{Logger, WARNING};
use crate::observer::{ExperimentRecord, QueuedEvent};
use crate::plan::RunPlan;
use crate::time::Timestamp;
use crate::{Error, Outcome};

/// Records a queued run in every observer of `plan`; the first to allocate an id gives it.
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
    for mut observer in plan.observers {
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
        config,
        id: event.id,
    })
}
