//! [`MongoStore`]: the runs collection as a queue that many hosts share.
//!
//! - **Claim.** One `findOneAndUpdate` on `{status: "QUEUED", "experiment.name": NAME}`,
//!   sorted by `meta.priority` (highest first) then `meta.queue_time`, sets `status:
//!   "RUNNING"`, `start_time`, `heartbeat` and `meta.worker: {host, pid, beat_interval,
//!   claimed}`. The server applies it to one document at a time, so of workers claiming at
//!   once each gets a different run and no run is claimed twice. The index
//!   `{status, experiment.name, meta.priority: -1, meta.queue_time, _id}` serves it: the
//!   equality on its first two keys, then its order is the claim's sort, so the server
//!   takes the first entry without sorting.
//! - **Dead runs.** A RUNNING run whose last beat (`heartbeat`, else `start_time`) is older
//!   than its limit is dead. It is put back (`QUEUED`, `meta.requeued` + 1) or marked
//!   FAILED by an update conditional on the `status`, `heartbeat` and `start_time` that
//!   were read, so two processes noticing it at once act once, and a run that beats again
//!   in between is left alone.
//! - Placeholders of ids claimed with `-i` (they have a `claim` field) are never claimed.

use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Client, Collection, IndexModel};
use sacred_core::observer::{
    DeadAction, DeadRun, ObserverError, RunId, RunStore, StoredRun, WorkerTag, silence_limit,
    silent_too_long,
};
use sacred_core::time::Timestamp;

use crate::connect::{self, timed};
use crate::encode::{date, id_bson, run_id, timestamp};
use crate::error::{MongoError, OpFailure};
use crate::limits::Limits;
use crate::read::to_json;
use crate::spec::MongoSpec;

/// A blocking handle on the queue of runs at a [`MongoSpec`].
pub struct MongoStore {
    runtime: tokio::runtime::Runtime,
    spec: MongoSpec,
    runs: Collection<Document>,
    timeout: Duration,
    /// Kept so the connection pool lives as long as the store.
    _client: Client,
}

impl std::fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoStore")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl MongoStore {
    /// Connects to the server of `spec` and makes sure the claim's index exists.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the index.
    pub fn connect(spec: &MongoSpec) -> Result<Self, MongoError> {
        let limits = Limits::default();
        let (runtime, client) = connect::blocking_client(spec, &limits, "store")?;
        let runs = client
            .database(spec.database())
            .collection(&spec.runs_collection());
        let store = Self {
            runtime,
            spec: spec.clone(),
            runs,
            timeout: limits.operation_timeout,
            _client: client,
        };
        let index = IndexModel::builder()
            .keys(doc! {
                "status": 1, "experiment.name": 1, "meta.priority": -1, "meta.queue_time": 1,
                "_id": 1,
            })
            .options(
                IndexOptions::builder()
                    .name("sacred_queue".to_owned())
                    .build(),
            )
            .build();
        store
            .runtime
            .block_on(timed(store.timeout, store.runs.create_index(index)))
            .map_err(|f| f.into_error(&store.spec, "create the queue's index"))?;
        Ok(store)
    }

    /// Claims the next queued run of `experiment` (see the module docs).
    ///
    /// # Errors
    /// The server cannot be reached or refuses the update.
    pub fn claim_next(
        &self,
        experiment: &str,
        worker: &WorkerTag,
    ) -> Result<Option<StoredRun>, MongoError> {
        let now = date(Timestamp::now());
        let update = doc! { "$set": {
            "status": "RUNNING",
            "start_time": now.clone(),
            "heartbeat": now.clone(),
            "meta.worker": {
                "host": worker.host.as_str(),
                "pid": i64::from(worker.pid),
                "beat_interval": worker.beat_interval,
                "claimed": now,
            },
        }};
        let claim = self
            .runs
            .find_one_and_update(
                doc! {
                    "status": "QUEUED",
                    "experiment.name": experiment,
                    "claim": { "$exists": false },
                },
                update,
            )
            .sort(doc! { "meta.priority": -1, "meta.queue_time": 1, "_id": 1 })
            .projection(
                doc! { "_id": 1, "status": 1, "experiment.name": 1, "command": 1,
                "config": 1, "meta": 1 },
            )
            .return_document(ReturnDocument::After);
        let found = self
            .runtime
            .block_on(timed(self.timeout, claim))
            .map_err(|f| f.into_error(&self.spec, "claim a queued run"))?;
        Ok(found.map(|run| stored_run(&run)))
    }

    /// The run `id`, as stored (fields moved to GridFS are markers).
    ///
    /// # Errors
    /// The server cannot be reached.
    pub fn get(&self, id: &RunId) -> Result<Option<StoredRun>, MongoError> {
        let find = self.runs.find_one(doc! { "_id": id_bson(id) });
        let found = self
            .runtime
            .block_on(timed(self.timeout, find))
            .map_err(|f| f.into_error(&self.spec, &format!("read the run {id}")))?;
        Ok(found.map(|run| stored_run(&run)))
    }

    /// See [`RunStore::dead`].
    ///
    /// # Errors
    /// The server cannot be reached.
    pub fn find_dead(
        &self,
        experiment: Option<&str>,
        dead_after: Option<Duration>,
    ) -> Result<Vec<DeadRun>, MongoError> {
        let mut query = doc! { "status": "RUNNING" };
        if let Some(name) = experiment {
            query.insert("experiment.name", name);
        }
        let find = self.runs.find(query).projection(doc! {
            "_id": 1, "experiment.name": 1, "heartbeat": 1, "start_time": 1,
            "host.hostname": 1, "meta.worker": 1, "meta.requeued": 1,
            // The run's own `-b`, for its silence limit.
            "meta.options.--beat-interval": 1,
        });
        let runs: Vec<Document> = self
            .runtime
            .block_on(async {
                let cursor = timed(self.timeout, find).await?;
                futures_util::TryStreamExt::try_collect(cursor)
                    .await
                    .map_err(OpFailure::Driver)
            })
            .map_err(|f: OpFailure| f.into_error(&self.spec, "list the running runs"))?;
        let now = Timestamp::now();
        Ok(runs
            .iter()
            .filter_map(|run| dead_run(run, now, dead_after))
            .collect())
    }

    /// See [`RunStore::settle_dead`].
    ///
    /// # Errors
    /// The server cannot be reached.
    pub fn settle(&self, run: &DeadRun, action: DeadAction) -> Result<bool, MongoError> {
        let last = |t: Option<Timestamp>| t.map_or(Bson::Null, date);
        let filter = doc! {
            "_id": id_bson(&run.id),
            "status": "RUNNING",
            "meta.requeued": requeued_filter(run.requeued),
        };
        // The beat read is part of the condition: a run that beat since is alive.
        let mut filter = filter;
        filter.insert(
            "$or",
            vec![
                Bson::Document(doc! { "heartbeat": last(run.last_beat) }),
                Bson::Document(doc! { "heartbeat": Bson::Null, "start_time": last(run.last_beat) }),
            ],
        );
        let update = match action {
            DeadAction::Requeue => doc! {
                "$set": { "status": "QUEUED", "meta.requeued": i64::from(run.requeued) + 1 },
                "$unset": { "start_time": "", "heartbeat": "", "meta.worker": "" },
            },
            DeadAction::MarkFailed => doc! { "$set": {
                "status": "FAILED",
                "stop_time": date(Timestamp::now()),
                "fail_trace": [format!(
                    "The run's process died: no beat for {:.0} s (last beat {}).\n",
                    run.silent_for.as_secs_f64(),
                    run.last_beat.map_or_else(|| "never".to_owned(), |t| t.to_string()),
                )],
            }},
        };
        let result = self
            .runtime
            .block_on(timed(self.timeout, self.runs.update_one(filter, update)))
            .map_err(|f| f.into_error(&self.spec, &format!("settle the dead run {}", run.id)))?;
        Ok(result.modified_count == 1)
    }

    /// See [`RunStore::fail_claimed`].
    ///
    /// # Errors
    /// The server cannot be reached.
    pub fn fail_running(&self, id: &RunId, reason: &str) -> Result<bool, MongoError> {
        let update = doc! { "$set": {
            "status": "FAILED",
            "stop_time": date(Timestamp::now()),
            "fail_trace": [format!("{reason}\n")],
        }};
        let result = self
            .runtime
            .block_on(timed(
                self.timeout,
                self.runs
                    .update_one(doc! { "_id": id_bson(id), "status": "RUNNING" }, update),
            ))
            .map_err(|f| f.into_error(&self.spec, &format!("mark the run {id} failed")))?;
        Ok(result.modified_count == 1)
    }
}

/// The filter on `meta.requeued` for a run requeued `count` times (absent when never).
fn requeued_filter(count: u32) -> Bson {
    if count == 0 {
        Bson::Document(doc! { "$in": [Bson::Null, 0] })
    } else {
        Bson::Int64(i64::from(count))
    }
}

/// A run document as a [`StoredRun`].
fn stored_run(run: &Document) -> StoredRun {
    let text = |value: Option<&Bson>| value.and_then(Bson::as_str).unwrap_or_default().to_owned();
    StoredRun {
        id: id_of(run),
        status: text(run.get("status")),
        experiment: text(
            run.get_document("experiment")
                .ok()
                .and_then(|e| e.get("name")),
        ),
        command: text(run.get("command")),
        config: run.get("config").map(to_json).unwrap_or_default(),
        meta: run.get("meta").map(to_json).unwrap_or_default(),
    }
}

/// A run's `_id` as a [`RunId`]; an empty text when it has none.
fn id_of(run: &Document) -> RunId {
    run.get("_id")
        .map_or_else(|| RunId::Str(String::new()), run_id)
}

/// `run` as a [`DeadRun`] when it has been silent for longer than its limit at `now`.
fn dead_run(run: &Document, now: Timestamp, dead_after: Option<Duration>) -> Option<DeadRun> {
    let time = |key: &str| run.get_datetime(key).ok().map(timestamp);
    let last_beat = time("heartbeat").or_else(|| time("start_time"));
    let meta = run.get_document("meta").ok();
    let worker = meta.and_then(|m| m.get_document("worker").ok());
    let limit = dead_after.unwrap_or_else(|| {
        silence_limit(
            worker.and_then(|w| w.get("beat_interval")).and_then(number),
            meta.and_then(|m| m.get_document("options").ok())
                .and_then(|o| o.get("--beat-interval"))
                .and_then(number),
        )
    });
    if !silent_too_long(last_beat, limit, now) {
        return None;
    }
    let requeued = meta
        .and_then(|m| m.get("requeued"))
        .and_then(number)
        .map_or(0, |n| n as u32);
    let host = worker
        .and_then(|w| w.get_str("host").ok())
        .or_else(|| {
            run.get_document("host")
                .ok()
                .and_then(|h| h.get_str("hostname").ok())
        })
        .map(str::to_owned);
    Some(DeadRun {
        id: id_of(run),
        experiment: run
            .get_document("experiment")
            .ok()
            .and_then(|e| e.get_str("name").ok())
            .unwrap_or_default()
            .to_owned(),
        last_beat,
        silent_for: last_beat.map_or(Duration::MAX, |t| now.since(t)),
        host,
        requeued,
    })
}

/// A BSON number as `f64`.
fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Double(d) => Some(*d),
        Bson::Int32(n) => Some(f64::from(*n)),
        #[allow(clippy::cast_precision_loss)]
        Bson::Int64(n) => Some(*n as f64),
        // Python Sacred keeps its options as typed: `"--beat-interval": "60"`.
        Bson::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A [`MongoError`] as the runtime's error type.
fn store_error(e: MongoError) -> ObserverError {
    ObserverError::new(e.to_string())
}

impl RunStore for MongoStore {
    fn name(&self) -> String {
        format!("MongoDB {}", self.spec)
    }

    fn claim(
        &mut self,
        experiment: &str,
        worker: &WorkerTag,
    ) -> Result<Option<StoredRun>, ObserverError> {
        self.claim_next(experiment, worker).map_err(store_error)
    }

    fn load(&mut self, id: &RunId) -> Result<Option<StoredRun>, ObserverError> {
        self.get(id).map_err(store_error)
    }

    fn dead(
        &mut self,
        experiment: Option<&str>,
        dead_after: Option<Duration>,
    ) -> Result<Vec<DeadRun>, ObserverError> {
        self.find_dead(experiment, dead_after).map_err(store_error)
    }

    fn settle_dead(&mut self, run: &DeadRun, action: DeadAction) -> Result<bool, ObserverError> {
        self.settle(run, action).map_err(store_error)
    }

    fn fail_claimed(&mut self, id: &RunId, reason: &str) -> Result<bool, ObserverError> {
        self.fail_running(id, reason).map_err(store_error)
    }

    fn in_place_argument(&self, id: &RunId) -> Option<String> {
        match id {
            RunId::Int(n) => Some(self.spec.in_place_argument(*n)),
            RunId::Str(_) => None,
        }
    }
}
