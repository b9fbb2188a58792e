//! [`MongoObserver`]: the [`Observer`] half that runs on the runtime's pump thread. It only
//! puts events into a bounded queue; one dedicated thread (the worker, with its own tokio
//! runtime and the `mongodb::Client`) writes them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sacred_core::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, FailedEvent, HeartbeatEvent, InterruptedEvent,
    MetricsEvent, Observer, ObserverError, QueuedEvent, ResourceEvent, RunId, StartedEvent,
};
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::error::MongoError;
use crate::limits::{Backlog, Limits};
use crate::spec::MongoSpec;
use crate::worker::{self, Job};

/// Artifact files up to this size are read when the event arrives (so the experiment may
/// delete them right after); larger ones are streamed by the worker.
const READ_ARTIFACT_NOW: u64 = 16 << 20;

/// Sacred's `MongoObserver`: runs in MongoDB in the layout Python Sacred 0.8.7 writes
/// (`format: "MongoObserver-0.7.0"`), so the tools that read Sacred's schema (Omniboard,
/// incense) read them.
///
/// The observer's methods return at once, except [`Observer::check_id`],
/// [`Observer::claim_id`], [`Observer::queued`] and [`Observer::started`], which wait for
/// the worker (they return the run's id), and [`Observer::join`], which waits until the
/// queue is written or the deadline passes. Writes that fail during the run are reported
/// by `join`. Dropping the observer removes the placeholder of an id it claimed for a run
/// that did not start (waiting at most the connection timeout and a second).
///
/// Beyond Sacred, and never instead of its fields:
/// - ids are allocated from the largest *number* `_id` (a string id from `-i` does not
///   break allocation), and a taken id is refused before anything is written;
/// - an id given with `-i` is claimed before the run starts with a placeholder document
///   (`status: "QUEUED"`, a `claim` field), so of runs started at once with that id exactly
///   one gets it; the run's start replaces the placeholder with Sacred's document;
/// - a field that would make the run document pass MongoDB's 16 MB (`config`, `info`,
///   `result`, `fail_trace`, …) is stored in GridFS as `<field>://<runs collection>/<id>`,
///   and the document holds `{"_gridfs": {file_id, filename, bytes, format}}` in its
///   place; [`MongoReader`](crate::read::MongoReader) loads it back;
/// - `captured_out` keeps the last [`Limits::captured_out_bytes`] bytes (appended on the
///   server, not resent each beat); the whole output goes to GridFS at the end as
///   `captured_out://<runs collection>/<id>`, referenced by `captured_out_file`;
/// - a metric document keeps at most [`Limits::metric_points`] points; later points go to
///   `<metrics collection>_overflow` documents `{run_id, name, chunk, steps, values,
///   timestamps}`, and the metric document gets `overflow: true` and `count`;
/// - sources are stored once per (absolute path, md5), the md5 in `metadata.md5`;
/// - runs are updated field by field with `$set`/`$push`, never replaced (only a
///   placeholder of a claimed id is replaced, by the run's first document).
pub struct MongoObserver {
    spec: Arc<MongoSpec>,
    sender: mpsc::Sender<Job>,
    backlog: Arc<Backlog>,
    /// How long dropping the observer waits for the removal of an id it claimed for a run
    /// that did not start.
    release_wait: Duration,
    /// The worker thread; detached when the observer is dropped (it ends once the queue is
    /// written).
    _worker: JoinHandle<()>,
}

// The runtime moves observers to its pump thread.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<MongoObserver>();
};

impl std::fmt::Debug for MongoObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoObserver")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl MongoObserver {
    /// An observer writing to `spec`, with the default [`Limits`]. It starts its worker
    /// thread and parses the connection options, but does not wait for the server: an
    /// unreachable server is reported by the first event that needs an answer.
    ///
    /// # Errors
    /// The URL's options are invalid (or its SRV record cannot be resolved), or the worker
    /// thread cannot start.
    pub fn new(spec: MongoSpec) -> Result<Self, MongoError> {
        Self::with_limits(spec, Limits::default())
    }

    /// An observer with other bounds and timeouts (see [`Limits`]).
    ///
    /// # Errors
    /// As [`MongoObserver::new`].
    pub fn with_limits(spec: MongoSpec, limits: Limits) -> Result<Self, MongoError> {
        let spec = Arc::new(spec);
        let backlog = Arc::new(Backlog::default());
        let limits = limits.clamped();
        let release_wait = limits.connect_timeout + Duration::from_secs(1);
        let (sender, worker) = worker::spawn(Arc::clone(&spec), limits, Arc::clone(&backlog))?;
        Ok(Self {
            spec,
            sender,
            backlog,
            release_wait,
            _worker: worker,
        })
    }

    /// Where the runs go.
    pub fn spec(&self) -> &MongoSpec {
        &self.spec
    }

    fn stopped(&self) -> MongoError {
        MongoError::Worker {
            target: self.spec.to_string(),
            message: "stopped: its thread ended unexpectedly".to_owned(),
        }
    }

    /// Queues `job`, waiting while the queue is full.
    fn send(&self, job: Job) -> Result<(), MongoError> {
        let counted = job.is_event();
        if counted && let Some(first) = self.backlog.failure() {
            // A write failed: this one would leave a hole, so it is refused at once, and
            // the runtime stores the run again from its journal (`replace_run`).
            return Err(MongoError::Broken { first });
        }
        if counted {
            self.backlog.pending.fetch_add(1, Ordering::SeqCst);
        }
        let sent = match self.sender.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(()),
            Err(TrySendError::Full(job)) => {
                let sender = self.sender.clone();
                if tokio::runtime::Handle::try_current().is_ok() {
                    // `blocking_send` may not run inside a runtime: wait on a plain thread.
                    std::thread::scope(|scope| {
                        scope
                            .spawn(move || sender.blocking_send(job).map_err(|_| ()))
                            .join()
                            .unwrap_or(Err(()))
                    })
                } else {
                    sender.blocking_send(job).map_err(|_| ())
                }
            }
        };
        sent.map_err(|()| {
            if counted {
                self.backlog.pending.fetch_sub(1, Ordering::SeqCst);
            }
            self.stopped()
        })
    }

    /// Sends a job that carries a reply channel and waits for the answer.
    fn ask<T>(
        &self,
        make: impl FnOnce(SyncSender<Result<T, MongoError>>) -> Job,
    ) -> Result<T, MongoError> {
        let (reply, answer) = sync_channel(1);
        self.send(make(reply))?;
        answer.recv().unwrap_or_else(|_| Err(self.stopped()))
    }
}

/// A [`MongoError`] as the runtime's error type.
fn observer_error(e: MongoError) -> ObserverError {
    ObserverError::new(e.to_string())
}

impl Observer for MongoObserver {
    fn name(&self) -> String {
        format!("MongoDB {}", self.spec)
    }

    fn priority(&self) -> i32 {
        self.spec.priority()
    }

    fn sync_args(&self) -> Option<Vec<String>> {
        Some(vec!["-m".to_owned(), self.spec.argument()])
    }

    fn check_id(&self, id: &RunId) -> Result<(), ObserverError> {
        self.ask(|reply| Job::CheckId(id.clone(), reply))
            .map_err(observer_error)
    }

    /// Takes `id` on the server with a placeholder document (see the crate docs), so that
    /// of runs started at once with the same id exactly one gets it. Refused when the id
    /// exists; a server that cannot be reached refuses nothing (the run starts into its
    /// journal, and is stored later).
    fn claim_id(&mut self, id: &RunId) -> Result<(), ObserverError> {
        self.ask(|reply| Job::Claim(id.clone(), reply))
            .map_err(observer_error)
    }

    fn replace_run(&mut self, event: &StartedEvent) -> Result<bool, ObserverError> {
        self.ask(|reply| Job::Replace(Box::new(event.clone()), reply))
            .map_err(observer_error)
    }

    fn queued(&mut self, event: &QueuedEvent) -> Result<Option<RunId>, ObserverError> {
        self.ask(|reply| Job::Queued(Box::new(event.clone()), reply))
            .map(Some)
            .map_err(observer_error)
    }

    fn started(&mut self, event: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        self.ask(|reply| Job::Started(Box::new(event.clone()), reply))
            .map(Some)
            .map_err(observer_error)
    }

    fn metrics(&mut self, event: &MetricsEvent) -> Result<(), ObserverError> {
        self.take_metrics(event.clone())
    }

    fn take_metrics(&mut self, event: MetricsEvent) -> Result<(), ObserverError> {
        self.send(Job::Metrics(Box::new(event)))
            .map_err(observer_error)
    }

    fn heartbeat(&mut self, event: &HeartbeatEvent) -> Result<(), ObserverError> {
        self.send(Job::Heartbeat(Box::new(event.clone())))
            .map_err(observer_error)
    }

    fn artifact(&mut self, event: &ArtifactEvent) -> Result<(), ObserverError> {
        let mut event = event.clone();
        if let ArtifactSource::File(path) = &event.source
            && let Some(bytes) = read_small_file(path)
        {
            event.source = ArtifactSource::Bytes(bytes);
        }
        self.send(Job::Artifact(Box::new(event)))
            .map_err(observer_error)
    }

    fn resource(&mut self, event: &ResourceEvent) -> Result<(), ObserverError> {
        self.send(Job::Resource(Box::new(event.clone())))
            .map_err(observer_error)
    }

    fn completed(&mut self, event: &CompletedEvent) -> Result<(), ObserverError> {
        self.send(Job::Completed(Box::new(event.clone())))
            .map_err(observer_error)
    }

    fn interrupted(&mut self, event: &InterruptedEvent) -> Result<(), ObserverError> {
        self.send(Job::Interrupted(Box::new(event.clone())))
            .map_err(observer_error)
    }

    fn failed(&mut self, event: &FailedEvent) -> Result<(), ObserverError> {
        self.send(Job::Failed(Box::new(event.clone())))
            .map_err(observer_error)
    }

    fn join(&mut self, deadline: Instant) -> Result<(), ObserverError> {
        // The deadline holds while the worker makes no progress: each write it finishes
        // gives it the same time again, so a slow server is waited for, a stuck one is not.
        let window = deadline.saturating_duration_since(Instant::now());
        let mut deadline = deadline;
        let mut pending = self.backlog.pending.load(Ordering::SeqCst);
        let mut progressed = |deadline: &mut Instant| {
            let now = self.backlog.pending.load(Ordering::SeqCst);
            if now < pending {
                pending = now;
                *deadline = Instant::now() + window;
            }
            Instant::now() < *deadline
        };
        let (reply, answer) = sync_channel(1);
        let mut job = Job::Flush(reply);
        loop {
            match self.sender.try_send(job) {
                Ok(()) => break,
                Err(TrySendError::Closed(_)) => return Err(observer_error(self.stopped())),
                Err(TrySendError::Full(again)) => {
                    if !progressed(&mut deadline) {
                        return Err(observer_error(self.abandon()));
                    }
                    job = again;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        loop {
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(500));
            match answer.recv_timeout(wait) {
                Ok(None) => return Ok(()),
                Ok(Some(e)) => return Err(observer_error(e)),
                Err(RecvTimeoutError::Disconnected) => return Err(observer_error(self.stopped())),
                Err(RecvTimeoutError::Timeout) => {
                    if !progressed(&mut deadline) {
                        return Err(observer_error(self.abandon()));
                    }
                }
            }
        }
    }
}

impl MongoObserver {
    /// Tells the worker to drop what is still queued; the error saying how much.
    fn abandon(&self) -> MongoError {
        self.backlog.abandoned.store(true, Ordering::SeqCst);
        MongoError::Deadline {
            target: self.spec.to_string(),
            pending: self.backlog.pending.load(Ordering::SeqCst),
        }
    }
}

impl Drop for MongoObserver {
    /// An id claimed for a run that never started here (another observer refused the id,
    /// or the run stopped before its start) is released: its placeholder is removed, within
    /// the connection timeout and a second.
    fn drop(&mut self) {
        if !self.backlog.claim_held.load(Ordering::SeqCst) {
            return;
        }
        let (reply, answer) = sync_channel(1);
        if self.sender.try_send(Job::Release(reply)).is_ok() {
            let _ = answer.recv_timeout(self.release_wait);
        }
    }
}

/// The bytes of a file no larger than [`READ_ARTIFACT_NOW`]; `None` for larger or unreadable
/// files (the worker streams them, and reports what it cannot read).
fn read_small_file(path: &Path) -> Option<Arc<[u8]>> {
    let size = std::fs::metadata(path).ok()?.len();
    if size > READ_ARTIFACT_NOW {
        return None;
    }
    std::fs::read(path).ok().map(Arc::from)
}
