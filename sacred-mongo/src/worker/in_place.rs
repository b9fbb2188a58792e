//! Sacred's in-place start (`-m db.runs:ID`): a queued run, or one a worker claimed, becomes
//! this run, in its own document.

use mongodb::bson::doc;
use sacred_core::observer::{RunId, StartedEvent};

use super::Worker;
use crate::connect::timed;
use crate::encode::{int, meta_document};
use crate::error::MongoError;

/// The statuses a run may have to be started in place.
const STARTABLE: [&str; 2] = ["QUEUED", "RUNNING"];

impl Worker {
    /// Starts the stored run `id` in place: what an earlier attempt of it stored (metrics,
    /// artifacts, output) is removed, and the start fields are set over the queued ones.
    /// Its `meta` keeps what was queued (`queue_time`, `priority`, the sweep, the worker)
    /// and gains what this start adds.
    pub(super) async fn started_in_place(
        &mut self,
        event: &StartedEvent,
        id: i64,
    ) -> Result<RunId, MongoError> {
        let key = int(id);
        // The whole document: a queued one is small, and `meta` is read whole.
        let found = timed(
            self.limits.operation_timeout,
            self.runs.find_one(doc! { "_id": key.clone() }),
        )
        .await
        .map_err(|f| self.error(&format!("read the run {id} to start in place"), f))?;
        let Some(stored) = found else {
            return Err(self.in_place_refused(id, "is not stored"));
        };
        let status = stored.get_str("status").unwrap_or_default();
        if !STARTABLE.contains(&status) {
            return Err(self.in_place_refused(
                id,
                &format!(
                    "is {status}; only a QUEUED run (or one a worker claimed) starts in place"
                ),
            ));
        }
        self.remove_run_data(&stored, &key).await?;
        self.ensure_gridfs_indexes().await?;
        let mut meta = stored.get_document("meta").cloned().unwrap_or_default();
        for (name, value) in meta_document(&event.meta, None) {
            if !meta.contains_key(&name) {
                meta.insert(name, value);
            }
        }
        let body = self.start_document(event, meta).await?;
        let update = doc! {
            "$set": body.clone(),
            "$unset": { "result": "", "stop_time": "", "fail_trace": "", "captured_out_file": "" },
        };
        let filter = doc! { "_id": key, "status": { "$in": STARTABLE.to_vec() } };
        let result = timed(
            self.limits.operation_timeout,
            self.runs.update_one(filter, update),
        )
        .await
        .map_err(|f| self.error(&format!("start the run {id} in place"), f))?;
        if result.matched_count == 0 {
            return Err(self.in_place_refused(id, "ended while it was being started"));
        }
        self.open_run(RunId::Int(id), &body, &[]).await
    }

    /// The error for a run that cannot be started in place (or queued over).
    pub(super) fn in_place_refused(&self, id: i64, why: &str) -> MongoError {
        MongoError::Database {
            target: self.spec.to_string(),
            action: format!("start the run {id} in place"),
            message: format!("the run {id} in `{}` {why}", self.spec.runs_collection()),
        }
    }
}
