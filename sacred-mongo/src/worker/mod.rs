//! The worker: one thread with a current-thread tokio runtime and the `mongodb::Client`,
//! writing the queued events in order.

mod claim;
mod files;
mod in_place;
mod metrics;
mod run;
mod spill;
mod start;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;

use mongodb::bson::{Bson, Document, doc};
use mongodb::gridfs::{GridFsBucket, GridFsUploadStream};
use mongodb::{Client, Collection};
use sacred_core::observer::{
    ArtifactEvent, CompletedEvent, FailedEvent, HeartbeatEvent, InterruptedEvent, MetricsEvent,
    QueuedEvent, ResourceEvent, RunId, StartedEvent,
};
use tokio::sync::mpsc;

use crate::connect::{self, timed};
use crate::error::{MongoError, OpFailure};
use crate::limits::{Backlog, Limits};
use crate::output::OutputTail;
use crate::spec::MongoSpec;
use claim::Claim;

/// Sacred's record format.
pub(crate) const FORMAT: &str = "MongoObserver-0.7.0";

/// A reply to a job that waits.
pub(crate) type Reply<T> = SyncSender<Result<T, MongoError>>;

/// What the observer asks the worker to do.
pub(crate) enum Job {
    /// Is this id free?
    CheckId(RunId, Reply<()>),
    /// Take this id for the run about to start (a placeholder document).
    Claim(RunId, Reply<()>),
    /// Remove the placeholder of an id claimed for a run that did not start.
    Release(SyncSender<()>),
    /// Remove the partly stored run of this start, if it is there.
    Replace(Box<StartedEvent>, Reply<bool>),
    /// Insert a queued run; reply with its id.
    Queued(Box<QueuedEvent>, Reply<RunId>),
    /// Insert a started run; reply with its id.
    Started(Box<StartedEvent>, Reply<RunId>),
    /// Append metric points.
    Metrics(Box<MetricsEvent>),
    /// A beat.
    Heartbeat(Box<HeartbeatEvent>),
    /// Store an artifact.
    Artifact(Box<ArtifactEvent>),
    /// Record a resource.
    Resource(Box<ResourceEvent>),
    /// The run completed.
    Completed(Box<CompletedEvent>),
    /// The run failed.
    Failed(Box<FailedEvent>),
    /// The run was interrupted.
    Interrupted(Box<InterruptedEvent>),
    /// Reply once everything before is written, with the failures since the last flush.
    Flush(SyncSender<Option<MongoError>>),
}

impl Job {
    /// Whether this is an event that writes (counted as pending).
    pub(crate) fn is_event(&self) -> bool {
        !matches!(
            self,
            Job::CheckId(..) | Job::Claim(..) | Job::Release(_) | Job::Replace(..) | Job::Flush(_)
        )
    }
}

/// Starts the worker thread; returns once the client is built (no server contacted yet).
pub(crate) fn spawn(
    spec: Arc<MongoSpec>,
    limits: Limits,
    backlog: Arc<Backlog>,
) -> Result<(mpsc::Sender<Job>, JoinHandle<()>), MongoError> {
    let (sender, mut receiver) = mpsc::channel::<Job>(limits.queue_capacity);
    let (ready, is_ready) = std::sync::mpsc::sync_channel::<Result<(), MongoError>>(1);
    let target = spec.to_string();
    let thread = std::thread::Builder::new()
        .name("sacred-mongo".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready.send(Err(MongoError::Worker {
                        target: spec.to_string(),
                        message: format!("cannot start its runtime: {e}"),
                    }));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut worker = match Worker::new(spec, limits, backlog).await {
                    Ok(worker) => {
                        let _ = ready.send(Ok(()));
                        worker
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let mut next = None;
                while let Some(job) = match next.take() {
                    Some(job) => Some(job),
                    None => receiver.recv().await,
                } {
                    let job = match job {
                        Job::Metrics(event) => {
                            let (event, merged, after) = coalesce(event, &mut receiver);
                            next = after;
                            // The merged events are written by this one.
                            worker.backlog.pending.fetch_sub(merged, Ordering::SeqCst);
                            Job::Metrics(event)
                        }
                        job => job,
                    };
                    worker.handle(job).await;
                }
            });
        })
        .map_err(|e| MongoError::Worker {
            target: target.clone(),
            message: format!("cannot start its thread: {e}"),
        })?;
    match is_ready.recv() {
        Ok(Ok(())) => Ok((sender, thread)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(MongoError::Worker {
            target,
            message: "stopped while starting".to_owned(),
        }),
    }
}

/// The most points one write of merged metrics events carries.
const MERGED_POINTS: usize = 200_000;

/// Merges the metrics events already queued behind `event` into it (a server that is
/// behind then gets fewer, larger `$push`es, not one per beat), up to [`MERGED_POINTS`].
/// Returns the merged event, how many events it took in, and the first queued job that
/// is not metrics (or would pass the bound), to be handled next.
fn coalesce(
    mut event: Box<MetricsEvent>,
    receiver: &mut mpsc::Receiver<Job>,
) -> (Box<MetricsEvent>, usize, Option<Job>) {
    let mut points: usize = event.series.iter().map(|s| s.steps.len()).sum();
    let mut merged = 0;
    while points < MERGED_POINTS {
        match receiver.try_recv() {
            Ok(Job::Metrics(more)) => {
                points += more.series.iter().map(|s| s.steps.len()).sum::<usize>();
                merged += 1;
                for series in more.series {
                    match event.series.iter_mut().find(|s| s.name == series.name) {
                        Some(into) => {
                            into.steps.extend(series.steps);
                            into.values.extend(series.values);
                            into.timestamps.extend(series.timestamps);
                        }
                        None => event.series.push(series),
                    }
                }
            }
            Ok(other) => return (event, merged, Some(other)),
            Err(_) => break,
        }
    }
    (event, merged, None)
}

/// Failures of events nobody waits for, reported at the next flush.
#[derive(Debug, Default)]
struct Failures {
    count: usize,
    first: Option<String>,
}

/// One metric of the run, as written so far.
#[derive(Debug, Clone, Default)]
struct MetricProgress {
    /// The `_id` of its `metrics` document, once known.
    id: Option<Bson>,
    /// Points in the `metrics` document.
    in_document: usize,
    /// Points in all.
    total: u64,
    /// Overflow documents written.
    chunks: u64,
}

/// The run being recorded.
struct RunState {
    /// Its id.
    id: RunId,
    /// Its `_id`.
    key: Bson,
    /// The info of the last beat, without `metrics`.
    user_info: Document,
    /// The `info` last written.
    sent_info: Option<Document>,
    /// The `result` last written (`None`: never).
    sent_result: Option<Bson>,
    /// `info.metrics`: `{name, id}` of each metric document created.
    info_metrics: Vec<Bson>,
    /// The metrics by name.
    metrics: HashMap<String, MetricProgress>,
    /// What `captured_out` holds.
    output: OutputTail,
    /// The whole output, streamed to GridFS.
    output_file: Option<GridFsUploadStream>,
    /// The size in BSON of each top-level field of the document as last written
    /// (`captured_out` aside: its room is kept apart), to keep the document under 16 MB.
    sizes: HashMap<String, usize>,
    /// The GridFS file of each field moved out of the document (see `crate::spill`).
    spilled: HashMap<String, Bson>,
}

impl RunState {
    /// `info` as Sacred writes it: the run's info plus `metrics: [{name, id}]`.
    fn info_document(&self) -> Document {
        let mut info = self.user_info.clone();
        if !self.info_metrics.is_empty() {
            match info.get_mut("metrics") {
                Some(Bson::Array(list)) => list.extend(self.info_metrics.iter().cloned()),
                _ => {
                    info.insert("metrics", Bson::Array(self.info_metrics.clone()));
                }
            }
        }
        info
    }
}

/// The worker's state: the collections, and the run being recorded.
pub(crate) struct Worker {
    spec: Arc<MongoSpec>,
    limits: Limits,
    backlog: Arc<Backlog>,
    runs: Collection<Document>,
    metrics: Collection<Document>,
    overflow: Collection<Document>,
    files: Collection<Document>,
    bucket: GridFsBucket,
    run: Option<RunState>,
    failures: Failures,
    /// Whether the index `{run_id: 1, name: 1}` of `metrics` was created.
    metrics_index: bool,
    /// Whether the unique index `{run_id: 1, name: 1, chunk: 1}` of the overflow was created.
    overflow_index: bool,
    /// Whether the indexes of GridFS were created.
    gridfs_indexes: bool,
    /// Whether the server takes pipeline updates (MongoDB ≥ 4.2).
    pipeline_updates: bool,
    /// Sources stored by this observer: (absolute path, md5) → file id.
    sources: HashMap<(String, String), Bson>,
    /// The id this observer claimed (its placeholder document), until the run's start
    /// takes it over or it is released.
    claim: Option<Claim>,
}

impl Worker {
    async fn new(
        spec: Arc<MongoSpec>,
        limits: Limits,
        backlog: Arc<Backlog>,
    ) -> Result<Self, MongoError> {
        let client: Client = connect::client(&spec, &limits).await?;
        let db = client.database(spec.database());
        Ok(Self {
            runs: db.collection(&spec.runs_collection()),
            metrics: db.collection(&spec.metrics_collection()),
            overflow: db.collection(&spec.overflow_collection()),
            files: db.collection("fs.files"),
            bucket: db.gridfs_bucket(None),
            spec,
            limits,
            backlog,
            run: None,
            failures: Failures::default(),
            metrics_index: false,
            overflow_index: false,
            gridfs_indexes: false,
            pipeline_updates: true,
            sources: HashMap::new(),
            claim: None,
        })
    }

    async fn handle(&mut self, job: Job) {
        let counted = job.is_event();
        if self.backlog.abandoned.load(Ordering::SeqCst) {
            // `join` gave up: drop the rest (replies are dropped, so askers see an error).
            if let Job::Flush(reply) = job {
                let _ = reply.send(None);
            }
        } else if counted && let Some(first) = self.backlog.failure() {
            // A write before this one failed: what follows would leave a record with a
            // hole. It is dropped; the runtime replaces the run from its journal.
            self.failures.count += 1;
            self.failures.first.get_or_insert(first);
        } else {
            if let Job::Replace(..) = &job {
                // The run is stored again from the start: what failed before is behind.
                self.backlog.clear_failure();
                self.failures = Failures::default();
                self.run = None;
            }
            self.dispatch(job).await;
        }
        if counted {
            self.backlog.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    async fn dispatch(&mut self, job: Job) {
        match job {
            Job::CheckId(id, reply) => {
                let _ = reply.send(self.check_id(&id).await);
            }
            Job::Claim(id, reply) => {
                let _ = reply.send(self.claim_id(&id).await);
            }
            Job::Release(reply) => {
                self.release_claim().await;
                let _ = reply.send(());
            }
            Job::Replace(event, reply) => {
                let _ = reply.send(self.replace_run(&event).await);
            }
            Job::Queued(event, reply) => {
                let _ = reply.send(self.queued(&event).await);
            }
            Job::Started(event, reply) => {
                let _ = reply.send(self.started(&event).await);
            }
            Job::Metrics(event) => {
                let result = self.metrics(&event).await;
                self.note(result);
            }
            Job::Heartbeat(event) => {
                let result = self.heartbeat(&event).await;
                self.note(result);
            }
            Job::Artifact(event) => {
                let result = self.artifact(&event).await;
                self.note(result);
            }
            Job::Resource(event) => {
                let result = self.resource(&event).await;
                self.note(result);
            }
            Job::Completed(event) => {
                let result = self.completed(&event).await;
                self.note(result);
            }
            Job::Failed(event) => {
                let result = self.failed(&event).await;
                self.note(result);
            }
            Job::Interrupted(event) => {
                let result = self.interrupted(&event).await;
                self.note(result);
            }
            Job::Flush(reply) => {
                let failures = std::mem::take(&mut self.failures);
                let error = failures.first.map(|first| MongoError::Writes {
                    target: self.spec.to_string(),
                    failed: failures.count,
                    first,
                });
                let _ = reply.send(error);
            }
        }
    }

    /// Records the failure of an event nobody waits for: the record now has a hole, so the
    /// writes after it are refused until the run is replaced.
    fn note(&mut self, result: Result<(), MongoError>) {
        if let Err(e) = result {
            let message = e.to_string();
            self.backlog.set_failure(&message);
            self.failures.count += 1;
            self.failures.first.get_or_insert(message);
        }
    }

    /// Records a failure that leaves no hole in the record (an index not created): reported
    /// at the next flush, while the writes go on.
    fn report(&mut self, e: &MongoError) {
        self.failures.count += 1;
        self.failures.first.get_or_insert_with(|| e.to_string());
    }

    /// The error for an event that needs a run when none was started.
    fn no_run(&self, event: &str) -> MongoError {
        MongoError::Worker {
            target: self.spec.to_string(),
            message: format!("cannot record the {event}: the run was not started in MongoDB"),
        }
    }

    /// `action` failed: the error to report.
    fn error(&self, action: &str, failure: OpFailure) -> MongoError {
        failure.into_error(&*self.spec, action)
    }

    /// Creates the index `{run_id: 1, name: 1}` of the metrics collection, once.
    async fn ensure_metrics_index(&mut self) -> Result<(), MongoError> {
        if self.metrics_index {
            return Ok(());
        }
        // Tried once per observer: a failure is reported, not repeated at every beat.
        self.metrics_index = true;
        let index = mongodb::IndexModel::builder()
            .keys(doc! { "run_id": 1, "name": 1 })
            .build();
        timed(
            self.limits.operation_timeout,
            self.metrics.create_index(index),
        )
        .await
        .map_err(|f| self.error("create the index {run_id: 1, name: 1} of the metrics", f))?;
        Ok(())
    }

    /// Creates GridFS's indexes (`fs.files {filename: 1, uploadDate: 1}`, unique
    /// `fs.chunks {files_id: 1, n: 1}`, as pymongo does), once: the driver creates them only
    /// when a file fills a whole chunk, and sources and artifacts are usually smaller. A
    /// refusal (no right to create indexes, say) is reported at the next flush and uploads
    /// and the run's writes go on (a missing index leaves no hole in the record); a server
    /// that cannot be reached fails the caller at once, rather than after one timeout per
    /// index.
    pub(super) async fn ensure_gridfs_indexes(&mut self) -> Result<(), MongoError> {
        if self.gridfs_indexes {
            return Ok(());
        }
        let db = self.runs.client().database(self.spec.database());
        let indexes = [
            ("fs.files", doc! { "filename": 1, "uploadDate": 1 }, false),
            ("fs.chunks", doc! { "files_id": 1, "n": 1 }, true),
        ];
        for (collection, keys, unique) in indexes {
            let options = mongodb::options::IndexOptions::builder()
                .unique(unique.then_some(true))
                .build();
            let index = mongodb::IndexModel::builder()
                .keys(keys)
                .options(options)
                .build();
            let created = timed(
                self.limits.operation_timeout,
                db.collection::<Document>(collection).create_index(index),
            )
            .await;
            if let Err(f) = created {
                let e = self.error(&format!("create the index of `{collection}`"), f);
                if matches!(e, MongoError::Connect { .. }) {
                    return Err(e);
                }
                // Tried once per observer: a refusal is not repeated at every start.
                self.gridfs_indexes = true;
                self.report(&e);
                return Ok(());
            }
        }
        self.gridfs_indexes = true;
        Ok(())
    }

    /// Creates the unique index `{run_id: 1, name: 1, chunk: 1}` of the overflow, once.
    async fn ensure_overflow_index(&mut self) -> Result<(), MongoError> {
        if self.overflow_index {
            return Ok(());
        }
        self.overflow_index = true;
        let index = mongodb::IndexModel::builder()
            .keys(doc! { "run_id": 1, "name": 1, "chunk": 1 })
            .options(
                mongodb::options::IndexOptions::builder()
                    .unique(true)
                    .build(),
            )
            .build();
        timed(
            self.limits.operation_timeout,
            self.overflow.create_index(index),
        )
        .await
        .map_err(|f| self.error("create the index of the metrics overflow", f))?;
        Ok(())
    }
}

/// An `_id` as the hex string Sacred writes into `info.metrics`.
fn id_text(id: &Bson) -> String {
    match id {
        Bson::ObjectId(oid) => oid.to_hex(),
        other => other.to_string(),
    }
}
