//! Helpers of the MongoDB tests: one fresh database per test (dropped at the end) with the
//! observer's spec of it, events like those of the golden experiment, and Python Sacred's
//! reference documents. The server, raw access to the documents and the reference files
//! are `sacred_test_support`'s.
//!
//! A test that finds no server fails with a message saying how to get one: it is never
//! skipped.

#![allow(dead_code)]
// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{Document, doc};
use sacred_core::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, HeartbeatEvent, MetricSeries,
    MetricsEvent, Observer, ResourceEvent, RunId, SourceFile, StartedEvent,
};
use sacred_core::time::Timestamp;
use sacred_mongo::read::MongoReader;
use sacred_mongo::{Limits, MongoObserver, MongoSpec, parse_spec};
pub(crate) use sacred_test_support::fixtures::GOLDEN_SOURCE;
use serde_json::{Value, json};

/// A database of its own for one test (`sacred_test_support`'s, dropped when the test
/// ends), with the observer's spec of it.
pub(crate) struct TestDb {
    pub(crate) spec: MongoSpec,
    db: sacred_test_support::mongo::TestDb,
}

impl Deref for TestDb {
    type Target = sacred_test_support::mongo::TestDb;

    fn deref(&self) -> &Self::Target {
        &self.db
    }
}

impl TestDb {
    /// A fresh database named after `test`.
    pub(crate) fn new(test: &str) -> Self {
        let db = sacred_test_support::mongo::TestDb::new(test);
        let spec = parse_spec(db.url())
            .unwrap_or_else(|e| panic!("the URL of the test's database is not usable: {e}"));
        Self { spec, db }
    }

    /// An observer of this database.
    pub(crate) fn observer(&self) -> MongoObserver {
        MongoObserver::new(self.spec.clone()).unwrap()
    }

    /// An observer of this database with other limits.
    pub(crate) fn observer_with(&self, limits: Limits) -> MongoObserver {
        MongoObserver::with_limits(self.spec.clone(), limits).unwrap()
    }

    /// A reader of this database.
    pub(crate) fn reader(&self) -> MongoReader {
        MongoReader::connect(&self.spec).unwrap()
    }

    /// The run document `id`.
    pub(crate) fn run(&self, id: i64) -> Document {
        self.one("runs", doc! { "_id": id })
    }
}

/// A reference file of Python Sacred's MongoDB observer (`runs.json`, …) as JSON.
pub(crate) fn reference_json(name: &str) -> Value {
    sacred_test_support::fixtures::reference(&format!("mongo/{name}"))
}

/// A reference file as BSON documents (relaxed Extended JSON parsed).
pub(crate) fn reference_documents(name: &str) -> Vec<Document> {
    sacred_test_support::fixtures::reference_documents(&format!("mongo/{name}"))
}

/// The experiment of the reference runs.
pub(crate) fn golden_experiment() -> Arc<ExperimentRecord> {
    Arc::new(ExperimentRecord::new(
        "golden",
        "/home/user/golden",
        "golden_exp.py",
        vec![SourceFile {
            path: "golden_exp.py",
            content: GOLDEN_SOURCE,
        }],
        vec!["numpy==2.4.6".into(), "sacred==0.8.7".into()],
        Vec::new(),
    ))
}

/// Host information as the Rust runtime gives it (`rust_version` where Sacred has
/// `python_version`).
pub(crate) fn host() -> Value {
    json!({
        "hostname": "vm",
        "os": ["Linux", "Linux-6.18.44-fc-v782-x86_64-with-glibc2.36"],
        "rust_version": "1.95.0",
        "cpu": "AMD EPYC",
        "ENV": {}
    })
}

/// A started event of the golden experiment with `config` and `meta`.
pub(crate) fn started(id: Option<RunId>, config: Value, meta: Value) -> StartedEvent {
    StartedEvent::new(
        id,
        golden_experiment(),
        "main",
        host(),
        Timestamp::now(),
        config,
        meta,
    )
}

/// A simple started event.
pub(crate) fn simple_started() -> StartedEvent {
    started(
        None,
        json!({"lr": 0.01, "seed": 1}),
        json!({"command": "main", "options": {}, "named_configs": [], "config_updates": {}}),
    )
}

/// A series of points `first..first + n` of `name`, value `i / 10`.
pub(crate) fn series(name: &str, first: u64, n: u64) -> MetricSeries {
    let now = Timestamp::now();
    #[allow(clippy::cast_precision_loss)]
    let values = (first..first + n).map(|i| i as f64 / 10.0).collect();
    MetricSeries::new(
        name,
        (first..first + n).collect(),
        values,
        (0..n).map(|_| now).collect(),
    )
}

pub(crate) fn metrics(series: Vec<MetricSeries>) -> MetricsEvent {
    MetricsEvent::new(series)
}

pub(crate) fn beat(info: Value, output: &str, result: Option<Value>) -> HeartbeatEvent {
    HeartbeatEvent::new(Timestamp::now(), info, output, 0, result)
}

pub(crate) fn completed(result: Option<Value>) -> CompletedEvent {
    CompletedEvent::new(Timestamp::now(), result)
}

pub(crate) fn bytes_artifact(
    name: &str,
    bytes: &[u8],
    content_type: &str,
    metadata: Value,
) -> ArtifactEvent {
    ArtifactEvent::new(
        name,
        ArtifactSource::Bytes(Arc::from(bytes)),
        Some(content_type.into()),
        Some(metadata),
    )
}

pub(crate) fn resource() -> ResourceEvent {
    ResourceEvent::new(
        "/home/user/golden/data.csv",
        "344fd2323dd33d5c058b7cf27de029e8",
    )
}

/// Joins `observer`, failing the test on an error.
pub(crate) fn join(observer: &mut MongoObserver) {
    if let Err(e) = observer.join(Instant::now() + Duration::from_secs(60)) {
        panic!("join: {e}");
    }
}

/// The run id an observer allocated.
pub(crate) fn int_id(id: Option<RunId>) -> i64 {
    match id {
        Some(RunId::Int(n)) => n,
        other => panic!("expected an allocated integer id, got {other:?}"),
    }
}
