//! Updates of the run document: beats, artifacts, resources, and the end of the run.
//! Always field by field (`$set`, `$push`), never a replacement.

use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, FailedEvent, HeartbeatEvent, InterruptedEvent,
    ResourceEvent,
};

use super::files::{self, Content};
use super::{Worker, spill};
use crate::connect::timed;
use crate::encode::{date, to_bson, to_document};
use crate::error::MongoError;
use crate::output::{OutputUpdate, literal_set};

/// The server's code for `$substrBytes` cutting inside a UTF-8 character: the document
/// held something else than the observer thought (the pipeline itself works).
const SUBSTR_INVALID_RANGE: i32 = 28656;
/// How often the final update is tried when the server cannot be reached.
const FINAL_ATTEMPTS: usize = 3;
/// The pause between two final attempts.
const FINAL_RETRY_PAUSE: Duration = Duration::from_secs(1);

impl Worker {
    /// A beat: `heartbeat` always; `info` and `result` when they changed; the new output
    /// appended to `captured_out` (and to the output file in GridFS).
    pub(super) async fn heartbeat(&mut self, event: &HeartbeatEvent) -> Result<(), MongoError> {
        let limit = self.limits.operation_timeout;
        let Some(run) = self.run.as_mut() else {
            return Err(self.no_run("heartbeat"));
        };
        let mut file_failure = None;
        if !event.output.is_empty()
            && let Some(stream) = run.output_file.as_mut()
            && let Err(f) = files::write(stream, event.output.as_bytes(), limit).await
        {
            // The stream is closed after a failure: the whole output is lost to GridFS,
            // the tail in the document stays.
            run.output_file = None;
            file_failure = Some(f);
        }
        run.user_info = to_document(&event.info);
        let info = run.info_document();
        let result = event.result.as_ref().map_or(Bson::Null, to_bson);
        let mut set = doc! { "heartbeat": date(event.beat_time) };
        let send_info = run.sent_info.as_ref() != Some(&info);
        if send_info {
            set.insert("info", info.clone());
        }
        let send_result = run.sent_result.as_ref() != Some(&result);
        if send_result {
            set.insert("result", result.clone());
        }
        let spilled = self.spill_update(&mut set).await?;
        let sizes = spill::sizes(&set);
        let output = match self.run.as_mut() {
            Some(run) if !event.output.is_empty() => Some(run.output.push(&event.output)),
            _ => None,
        };
        if let Err(e) = self.update_run(set, output).await {
            self.spill_failed(spilled).await;
            return Err(e);
        }
        self.spill_written(&sizes, &spilled).await;
        if let Some(run) = self.run.as_mut() {
            if send_info {
                run.sent_info = Some(info);
            }
            if send_result {
                run.sent_result = Some(result);
            }
        }
        match file_failure {
            Some(f) => Err(self.error("write the output to GridFS", f)),
            None => Ok(()),
        }
    }

    /// Sets the fields of `set` on the run document, and brings `captured_out` up to date:
    /// appended on the server when it takes pipeline updates, else `$set` whole.
    async fn update_run(
        &mut self,
        mut set: Document,
        output: Option<OutputUpdate>,
    ) -> Result<(), MongoError> {
        let limit = self.limits.operation_timeout;
        let Some(run) = self.run.as_mut() else {
            return Err(self.no_run("update"));
        };
        let filter = doc! { "_id": run.key.clone() };
        let mut rejected = None;
        match output {
            Some(update) if update.needs_pipeline() && self.pipeline_updates => {
                let mut stage = literal_set(&set);
                stage.insert("captured_out", update.expression());
                let pipeline = vec![doc! { "$set": stage }];
                match timed(limit, self.runs.update_one(filter.clone(), pipeline)).await {
                    Ok(_) => return Ok(()),
                    Err(f) if f.is_rejection() => {
                        // An old server (no pipeline updates), or a document that differs
                        // from the kept tail: `$set` the tail instead.
                        if f.code() != Some(SUBSTR_INVALID_RANGE) {
                            self.pipeline_updates = false;
                        }
                        rejected = Some(f);
                        set.insert("captured_out", run.output.text());
                    }
                    Err(f) => {
                        run.output.write_failed();
                        return Err(self.error("update the run", f));
                    }
                }
            }
            Some(_) => {
                set.insert("captured_out", run.output.text());
            }
            None => {}
        }
        let has_output = set.contains_key("captured_out");
        match timed(limit, self.runs.update_one(filter, doc! { "$set": set })).await {
            Ok(_) => {
                if has_output {
                    run.output.synced();
                }
                Ok(())
            }
            Err(f) => {
                if has_output {
                    run.output.write_failed();
                }
                let f = rejected.unwrap_or(f);
                Err(self.error("update the run", f))
            }
        }
    }

    /// Stores an artifact in GridFS (`artifact://<runs>/<id>/<name>`, with `contentType`
    /// and `metadata`) and appends `{name, file_id}` to the run's `artifacts`.
    pub(super) async fn artifact(&mut self, event: &ArtifactEvent) -> Result<(), MongoError> {
        let limit = self.limits.operation_timeout;
        let Some(run) = self.run.as_ref() else {
            return Err(self.no_run("artifact"));
        };
        let key = run.key.clone();
        let filename = format!(
            "artifact://{}/{}/{}",
            self.spec.runs_collection(),
            run.id,
            event.name
        );
        let content = match &event.source {
            ArtifactSource::File(path) => Content::File(path),
            ArtifactSource::Bytes(bytes) => Content::Bytes(bytes),
        };
        let file_id = self.upload(&filename, None, content).await?;
        let mut set = Document::new();
        set.insert(
            "metadata",
            event
                .metadata
                .as_ref()
                .map_or(Bson::Null, |m| Bson::Document(to_document(m))),
        );
        if let Some(content_type) = &event.content_type {
            set.insert("contentType", content_type.as_str());
        }
        timed(
            limit,
            self.files
                .update_one(doc! { "_id": file_id.clone() }, doc! { "$set": set }),
        )
        .await
        .map_err(|f| self.error(&format!("describe `{filename}` in GridFS"), f))?;
        let entry = doc! { "name": &event.name, "file_id": file_id };
        timed(
            limit,
            self.runs.update_one(
                doc! { "_id": key },
                doc! { "$push": { "artifacts": entry.clone() } },
            ),
        )
        .await
        .map_err(|f| self.error("add the artifact to the run", f))?;
        if let Some(run) = self.run.as_mut() {
            run.appended("artifacts", &Bson::Document(entry));
        }
        Ok(())
    }

    /// Appends `[path, md5]` to the run's `resources` (the file is not stored, as in Sacred).
    pub(super) async fn resource(&mut self, event: &ResourceEvent) -> Result<(), MongoError> {
        let Some(run) = self.run.as_ref() else {
            return Err(self.no_run("resource"));
        };
        let entry = vec![
            Bson::String(event.path.to_string_lossy().into_owned()),
            Bson::String(event.md5.clone()),
        ];
        timed(
            self.limits.operation_timeout,
            self.runs.update_one(
                doc! { "_id": run.key.clone() },
                doc! { "$push": { "resources": entry.clone() } },
            ),
        )
        .await
        .map_err(|f| self.error("add the resource to the run", f))?;
        if let Some(run) = self.run.as_mut() {
            run.appended("resources", &Bson::Array(entry));
        }
        Ok(())
    }

    /// `status: COMPLETED`, `stop_time`, and `result` if it changed since the last beat.
    pub(super) async fn completed(&mut self, event: &CompletedEvent) -> Result<(), MongoError> {
        let result = Some(event.result.as_ref().map_or(Bson::Null, to_bson));
        let end = doc! { "stop_time": date(event.stop_time), "status": "COMPLETED" };
        self.finish(result, end).await
    }

    /// `status: FAILED`, `stop_time`, `fail_trace`.
    pub(super) async fn failed(&mut self, event: &FailedEvent) -> Result<(), MongoError> {
        let end = doc! {
            "stop_time": date(event.fail_time),
            "fail_trace": event.fail_trace.clone(),
            "status": "FAILED",
        };
        self.finish(None, end).await
    }

    /// `status: INTERRUPTED` (or the event's status), `stop_time`.
    pub(super) async fn interrupted(&mut self, event: &InterruptedEvent) -> Result<(), MongoError> {
        let end = doc! {
            "stop_time": date(event.interrupt_time),
            "status": event.status.as_str(),
        };
        self.finish(None, end).await
    }

    /// Closes the output file and writes the end of the run: what changed since the last
    /// beat, `captured_out_file`, then `end` (status last), with what would make the
    /// document too large moved to GridFS. Retried when the server cannot be reached.
    /// Without a started run (its start failed) there is nothing to update.
    async fn finish(&mut self, result: Option<Bson>, end: Document) -> Result<(), MongoError> {
        let limit = self.limits.operation_timeout;
        let Some(run) = self.run.as_mut() else {
            return Ok(());
        };
        let mut set = Document::new();
        let info = run.info_document();
        if run.sent_info.as_ref() != Some(&info) {
            set.insert("info", info);
        }
        if let Some(result) = result
            && run.sent_result.as_ref() != Some(&result)
        {
            set.insert("result", result);
        }
        if run.output.needs_resync() {
            set.insert("captured_out", run.output.text());
        }
        let output_file = run.output_file.take();
        let filter = doc! { "_id": run.key.clone() };
        let mut file_failure = None;
        if let Some(stream) = output_file {
            match files::close(stream, limit).await {
                Ok(id) => {
                    set.insert("captured_out_file", id);
                }
                Err(f) => file_failure = Some(self.error("store the output in GridFS", f)),
            }
        }
        set.extend(end);
        let spilled = match self.spill_update(&mut set).await {
            Ok(spilled) => spilled,
            Err(e) => {
                self.run = None;
                return Err(e);
            }
        };
        let sizes = spill::sizes(&set);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match timed(
                limit,
                self.runs
                    .update_one(filter.clone(), doc! { "$set": set.clone() }),
            )
            .await
            {
                Ok(_) => break,
                Err(f) if f.is_rejection() || attempt >= FINAL_ATTEMPTS => {
                    self.spill_failed(spilled).await;
                    self.run = None;
                    return Err(self.error("record the end of the run", f));
                }
                Err(_) => tokio::time::sleep(FINAL_RETRY_PAUSE).await,
            }
        }
        self.spill_written(&sizes, &spilled).await;
        self.run = None;
        file_failure.map_or(Ok(()), Err)
    }
}
