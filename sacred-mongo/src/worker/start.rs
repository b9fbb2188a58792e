//! The start of a run (or its queuing): sources, the first document, the id.

use std::collections::HashMap;
use std::path::Path;

use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::{ExperimentRecord, QueuedEvent, RunId, SourceFile, StartedEvent};

use super::files::Content;
use super::{FORMAT, RunState, Worker};
use crate::connect::timed;
use crate::encode::{date, id_bson, md5_hex, meta_document, to_bson};
use crate::error::MongoError;
use crate::output::OutputTail;
use crate::spill::{self, MARKER, SPILLABLE};

/// How often allocation retries after losing a race for an id.
const ALLOCATION_ATTEMPTS: usize = 1000;

impl Worker {
    /// Whether `id` is free in the runs collection.
    pub(super) async fn check_id(&self, id: &RunId) -> Result<(), MongoError> {
        let found = timed(
            self.limits.operation_timeout,
            self.runs
                .find_one(doc! { "_id": id_bson(id) })
                .projection(doc! { "_id": 1 }),
        )
        .await
        .map_err(|f| self.error("look up the run id", f))?;
        match found {
            Some(_) => Err(self.id_exists(id)),
            None => Ok(()),
        }
    }

    /// Removes the run stored under `event`'s id when it is that run (the same start time,
    /// to the millisecond MongoDB keeps): its document, metrics, overflow and GridFS files
    /// (artifacts, the output, the fields moved out of the document), so that `sync` can
    /// store it whole. Sources, shared by runs, stay. `false` when no run has that id.
    ///
    /// The placeholder of a claimed id is no run: this observer's own stays, for the start
    /// to take over; one made before the run started is removed (see `claim`).
    pub(super) async fn replace_run(&mut self, event: &StartedEvent) -> Result<bool, MongoError> {
        let Some(id) = &event.id else {
            return Ok(false);
        };
        let key = id_bson(id);
        let mut projection = Self::run_data_projection();
        projection.insert("start_time", 1);
        projection.insert("claim", 1);
        let found = timed(
            self.limits.operation_timeout,
            self.runs
                .find_one(doc! { "_id": key.clone() })
                .projection(projection),
        )
        .await
        .map_err(|f| self.error("look up the run to replace", f))?;
        let Some(run) = found else {
            return Ok(false);
        };
        if self
            .spec
            .run()
            .is_some_and(|run| key == crate::encode::int(run))
        {
            // A run started in place replaces its own data when it starts again.
            return Ok(false);
        }
        if let Ok(claim) = run.get_document("claim") {
            self.replace_placeholder(id, claim, event.start_time.as_millis())
                .await?;
            return Ok(false);
        }
        let stored = run
            .get_datetime("start_time")
            .ok()
            .map(|d| d.timestamp_millis());
        if stored != Some(event.start_time.as_millis()) {
            return Err(MongoError::Database {
                target: self.spec.to_string(),
                action: format!("replace run {id}"),
                message: format!(
                    "the run {id} there is another run (it started at {}, this one at {})",
                    run.get_datetime("start_time")
                        .map(ToString::to_string)
                        .unwrap_or_else(|_| "an unknown time".to_owned()),
                    event.start_time
                ),
            });
        }
        self.remove_run_data(&run, &key).await?;
        let limit = self.limits.operation_timeout;
        timed(limit, self.runs.delete_one(doc! { "_id": key }))
            .await
            .map_err(|f| self.error("remove the run to replace", f))?;
        Ok(true)
    }

    /// The fields of a run document that [`Worker::remove_run_data`] reads.
    pub(super) fn run_data_projection() -> Document {
        let mut projection = doc! { "artifacts": 1, "captured_out_file": 1 };
        for field in SPILLABLE {
            projection.insert(format!("{field}.{MARKER}"), 1);
        }
        projection
    }

    /// Removes what the run `run` (read with at least [`Worker::run_data_projection`])
    /// stored beside its document: its GridFS files (artifacts, the output, moved fields), metrics and
    /// overflow. Sources, shared by runs, stay.
    pub(super) async fn remove_run_data(
        &self,
        run: &Document,
        key: &Bson,
    ) -> Result<(), MongoError> {
        let mut files: Vec<Bson> = run
            .get_array("artifacts")
            .map(|artifacts| {
                artifacts
                    .iter()
                    .filter_map(|a| a.as_document()?.get("file_id").cloned())
                    .collect()
            })
            .unwrap_or_default();
        files.extend(run.get("captured_out_file").cloned());
        files.extend(
            SPILLABLE
                .iter()
                .filter_map(|field| spill::marked_file(run.get(field)?).cloned()),
        );
        for file in files {
            // A file already gone is what we want.
            let _ = timed(self.limits.operation_timeout, self.bucket.delete(file)).await;
        }
        let limit = self.limits.operation_timeout;
        timed(
            limit,
            self.metrics.delete_many(doc! { "run_id": key.clone() }),
        )
        .await
        .map_err(|f| self.error("remove the metrics of the run to replace", f))?;
        timed(
            limit,
            self.overflow.delete_many(doc! { "run_id": key.clone() }),
        )
        .await
        .map_err(|f| self.error("remove the metrics of the run to replace", f))?;
        Ok(())
    }

    pub(super) fn id_exists(&self, id: &RunId) -> MongoError {
        MongoError::IdExists {
            id: id.to_string(),
            collection: self.spec.runs_collection(),
            target: self.spec.to_string(),
        }
    }

    /// Inserts the RUNNING document with all of Sacred's start fields (over the placeholder
    /// of its id when this observer claimed it); opens the output file.
    pub(super) async fn started(&mut self, event: &StartedEvent) -> Result<RunId, MongoError> {
        self.run = None;
        if let Some(id) = self.spec.run() {
            return self.started_in_place(event, id).await;
        }
        self.check_unclaimed(event.id.as_ref()).await?;
        self.ensure_gridfs_indexes().await?;
        let meta = meta_document(&event.meta, None);
        let body = self.start_document(event, meta).await?;
        let (id, body, spilled) = self.store_run(event.id.as_ref(), body).await?;
        self.open_run(id, &body, &spilled).await
    }

    /// The RUNNING document of the run `event` starts, with all of Sacred's start fields,
    /// in Sacred's key order, and `meta`.
    pub(super) async fn start_document(
        &mut self,
        event: &StartedEvent,
        meta: Document,
    ) -> Result<Document, MongoError> {
        let experiment = self.experiment_document(&event.experiment).await?;
        let mut body = Document::new();
        body.insert("experiment", experiment);
        body.insert("format", FORMAT);
        body.insert("command", event.command.as_str());
        body.insert("host", to_bson(&event.host));
        body.insert("start_time", date(event.start_time));
        body.insert("config", to_bson(&event.config));
        body.insert("meta", meta);
        body.insert("status", "RUNNING");
        body.insert("resources", Bson::Array(Vec::new()));
        body.insert("artifacts", Bson::Array(Vec::new()));
        body.insert("captured_out", "");
        body.insert("info", Document::new());
        body.insert("heartbeat", Bson::Null);
        Ok(body)
    }

    /// Starts recording the run `id`, whose document is now `body`: opens the GridFS file
    /// of its output.
    pub(super) async fn open_run(
        &mut self,
        id: RunId,
        body: &Document,
        spilled: &[(String, Bson)],
    ) -> Result<RunId, MongoError> {
        let filename = format!("captured_out://{}/{id}", self.spec.runs_collection());
        let output_file = match self.bucket.open_upload_stream(filename).await {
            Ok(stream) => Some(stream),
            Err(e) => {
                self.note(Err(
                    self.error("open the GridFS file of the output", e.into())
                ));
                None
            }
        };
        self.run = Some(RunState {
            key: id_bson(&id),
            id: id.clone(),
            user_info: Document::new(),
            sent_info: Some(Document::new()),
            sent_result: None,
            info_metrics: Vec::new(),
            metrics: HashMap::new(),
            output: OutputTail::new(self.limits.captured_out_bytes),
            output_file,
            sizes: HashMap::new(),
            spilled: HashMap::new(),
        });
        if let Some(run) = self.run.as_mut() {
            run.written(&super::spill::sizes(body), spilled);
        }
        Ok(id)
    }

    /// Inserts the QUEUED document (Sacred's queued fields, `meta.queue_time` a date).
    pub(super) async fn queued(&mut self, event: &QueuedEvent) -> Result<RunId, MongoError> {
        self.run = None;
        if let Some(id) = self.spec.run() {
            return Err(self.in_place_refused(id, "cannot be queued again"));
        }
        self.check_unclaimed(event.id.as_ref()).await?;
        self.ensure_gridfs_indexes().await?;
        let experiment = self.experiment_document(&event.experiment).await?;
        let mut body = Document::new();
        body.insert("experiment", experiment);
        body.insert("command", event.command.as_str());
        body.insert("host", to_bson(&event.host));
        body.insert("config", to_bson(&event.config));
        body.insert(
            "meta",
            meta_document(&event.meta, Some(("queue_time", date(event.queue_time)))),
        );
        body.insert("status", "QUEUED");
        self.store_run(event.id.as_ref(), body)
            .await
            .map(|(id, ..)| id)
    }

    /// Fails when `given` is taken, unless this observer claimed it (its placeholder is
    /// there); releases a claim of another id.
    async fn check_unclaimed(&mut self, given: Option<&RunId>) -> Result<(), MongoError> {
        match given {
            Some(id) if self.claim_of(id).is_some() => Ok(()),
            Some(id) => {
                self.release_claim().await;
                self.check_id(id).await
            }
            None => {
                self.release_claim().await;
                Ok(())
            }
        }
    }

    /// Stores the first document of a run: the fields that would make it too large are
    /// moved to GridFS first (see `crate::spill`), then it is stored under its id (see
    /// [`Worker::insert_run`]). The id, the document as stored, and the moved fields with
    /// their files. A document that cannot be stored leaves no files.
    async fn store_run(
        &mut self,
        given: Option<&RunId>,
        mut body: Document,
    ) -> Result<(RunId, Document, Vec<(String, Bson)>), MongoError> {
        let spilled = self.spill(&mut body, 0, given).await?;
        let fields: Vec<&str> = spilled.iter().map(|(field, _)| field.as_str()).collect();
        match self.insert_run(given, &mut body, &fields).await {
            Ok(id) => Ok((id, body, spilled)),
            Err(e) => {
                self.delete_files(spilled.into_iter().map(|(_, file)| file))
                    .await;
                Err(e)
            }
        }
    }

    /// Inserts `body` under the given id (over this observer's placeholder when it claimed
    /// it), or under the largest number `_id` plus one, retrying when another run took that
    /// id first. The markers of the `spilled` fields and their GridFS files get the name of
    /// the allocated id.
    async fn insert_run(
        &mut self,
        given: Option<&RunId>,
        body: &mut Document,
        spilled: &[&str],
    ) -> Result<RunId, MongoError> {
        if let Some(id) = given {
            if self.claim_of(id).is_some()
                && let Some(id) = self.take_over_claim(id, with_id(id_bson(id), body)).await?
            {
                return Ok(id);
            }
            return match timed(
                self.limits.operation_timeout,
                self.runs.insert_one(with_id(id_bson(id), body)),
            )
            .await
            {
                Ok(_) => Ok(id.clone()),
                Err(f) if f.is_duplicate_key() => Err(self.id_exists(id)),
                Err(f) => Err(self.error("insert the run", f)),
            };
        }
        let runs = self.spec.runs_collection();
        for _ in 0..ALLOCATION_ATTEMPTS {
            let id = RunId::Int(self.next_id().await?);
            for field in spilled {
                if let Some(value) = body.get_mut(*field) {
                    spill::rename_marker(value, field, &runs, &id);
                }
            }
            match timed(
                self.limits.operation_timeout,
                self.runs.insert_one(with_id(id_bson(&id), body)),
            )
            .await
            {
                Ok(_) => {
                    self.name_spilled_files(body, spilled).await;
                    return Ok(id);
                }
                Err(f) if f.is_duplicate_key() => {}
                Err(f) => return Err(self.error("insert the run", f)),
            }
        }
        Err(MongoError::Database {
            target: self.spec.to_string(),
            action: "allocate a run id".to_owned(),
            message: format!("{ALLOCATION_ATTEMPTS} attempts all lost the race against other runs"),
        })
    }

    /// The largest number `_id` plus one (1 for an empty collection). String ids are
    /// ignored: they sort above numbers and would break Sacred's `max + 1`.
    async fn next_id(&self) -> Result<i64, MongoError> {
        let largest = timed(
            self.limits.operation_timeout,
            self.runs
                .find_one(doc! { "_id": { "$type": "number" } })
                .sort(doc! { "_id": -1 })
                .projection(doc! { "_id": 1 }),
        )
        .await
        .map_err(|f| self.error("find the largest run id", f))?;
        let largest = match largest.as_ref().and_then(|d| d.get("_id")) {
            Some(Bson::Int32(n)) => i64::from(*n),
            Some(Bson::Int64(n)) => *n,
            #[allow(clippy::cast_possible_truncation)]
            Some(Bson::Double(f)) if f.is_finite() => f.floor() as i64,
            _ => 0,
        };
        largest
            .max(0)
            .checked_add(1)
            .ok_or_else(|| MongoError::Database {
                target: self.spec.to_string(),
                action: "allocate a run id".to_owned(),
                message: "the largest id is the largest integer".to_owned(),
            })
    }

    /// `experiment` as Sacred records it, storing the sources in GridFS.
    pub(super) async fn experiment_document(
        &mut self,
        experiment: &ExperimentRecord,
    ) -> Result<Document, MongoError> {
        let mut sources = Vec::with_capacity(experiment.sources.len());
        for source in &experiment.sources {
            let id = self.store_source(&experiment.base_dir, source).await?;
            sources.push(Bson::Array(vec![Bson::String(source.path.to_owned()), id]));
        }
        let repositories: Vec<Bson> = experiment
            .repositories
            .iter()
            .map(|r| Bson::Document(doc! { "url": &r.url, "commit": &r.commit, "dirty": r.dirty }))
            .collect();
        let mut experiment_doc = doc! {
            "name": &experiment.name,
            "base_dir": &experiment.base_dir,
            "sources": sources,
            "dependencies": experiment.dependencies.clone(),
            "repositories": repositories,
            "mainfile": &experiment.mainfile,
        };
        // A Rust addition beside Sacred's keys, written only when known.
        if !experiment.direct_dependencies.is_empty() {
            experiment_doc.insert(
                "direct_dependencies",
                experiment.direct_dependencies.clone(),
            );
        }
        Ok(experiment_doc)
    }

    /// The GridFS id of a source: the file stored before with the same absolute path and
    /// md5 (`metadata.md5`, or the `md5` older drivers wrote), or a new upload.
    async fn store_source(
        &mut self,
        base_dir: &str,
        source: &SourceFile,
    ) -> Result<Bson, MongoError> {
        let filename = Path::new(base_dir)
            .join(source.path)
            .to_string_lossy()
            .into_owned();
        let md5 = md5_hex(source.content);
        let cache_key = (filename.clone(), md5.clone());
        if let Some(id) = self.sources.get(&cache_key) {
            return Ok(id.clone());
        }
        let found = timed(
            self.limits.operation_timeout,
            self.files
                .find_one(doc! {
                    "filename": &filename,
                    "$or": [{ "metadata.md5": &md5 }, { "md5": &md5 }],
                })
                .projection(doc! { "_id": 1 }),
        )
        .await
        .map_err(|f| self.error(&format!("look up the source `{filename}`"), f))?;
        let id = match found.and_then(|mut d| d.remove("_id")) {
            Some(id) => id,
            None => {
                self.upload(
                    &filename,
                    Some(doc! { "md5": &md5 }),
                    Content::Bytes(source.content),
                )
                .await?
            }
        };
        self.sources.insert(cache_key, id.clone());
        Ok(id)
    }
}

/// `body` with `_id` first.
fn with_id(id: Bson, body: &Document) -> Document {
    let mut document = Document::new();
    document.insert("_id", id);
    for (key, value) in body {
        document.insert(key.clone(), value.clone());
    }
    document
}
