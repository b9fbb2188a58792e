//! Helpers of the MongoDB tests: the server (`SACRED_TEST_MONGO_URL`), one fresh database
//! per test (dropped at the end), events like those of the golden experiment, and raw
//! access to the documents.
//!
//! A test that finds no server fails with a message saying how to get one: it is never
//! skipped.

#![allow(dead_code)]
// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, Database};
use sacred_core::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, HeartbeatEvent, MetricSeries,
    MetricsEvent, Observer, ResourceEvent, RunId, SourceFile, StartedEvent,
};
use sacred_core::time::Timestamp;
use sacred_mongo::read::MongoReader;
use sacred_mongo::{Limits, MongoObserver, MongoSpec, parse_spec};
use serde_json::{Value, json};

const HOW_TO: &str = "the MongoDB tests need a server: run them through ./scripts/test.sh \
     (it starts SecantusDB), or start one with `secantusd-py --host 127.0.0.1 --port 27999 \
     --storage-path DIR` and set SACRED_TEST_MONGO_URL=mongodb://127.0.0.1:27999 (a real \
     mongod's URL works too)";

/// The test server's URL.
pub(crate) fn server_url() -> String {
    match std::env::var("SACRED_TEST_MONGO_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!("SACRED_TEST_MONGO_URL is not set; {HOW_TO}"),
    }
}

/// A database of its own for one test, dropped when the test ends.
pub(crate) struct TestDb {
    pub(crate) spec: MongoSpec,
    runtime: tokio::runtime::Runtime,
    db: Database,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    /// A fresh database named after `test` (and the process, and a counter).
    pub(crate) fn new(test: &str) -> Self {
        let url = server_url();
        let base = parse_spec(&url)
            .unwrap_or_else(|e| panic!("SACRED_TEST_MONGO_URL is not usable: {e}; {HOW_TO}"));
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let short: String = test.chars().take(24).collect();
        let name = format!(
            "smt_{short}_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos % 100_000
        );
        let spec = base
            .clone()
            .with_database(&name)
            .unwrap_or_else(|e| panic!("database name {name}: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let db = runtime.block_on(async {
            let mut options = mongodb::options::ClientOptions::parse(&url)
                .await
                .unwrap_or_else(|e| panic!("SACRED_TEST_MONGO_URL: {e}; {HOW_TO}"));
            options.server_selection_timeout = Some(Duration::from_secs(5));
            let client = Client::with_options(options).unwrap();
            let db = client.database(&name);
            if let Err(e) = db.run_command(doc! { "ping": 1 }).await {
                panic!(
                    "SACRED_TEST_MONGO_URL={}: the server does not answer ({}); {HOW_TO}",
                    base.masked_url(),
                    base.scrub(&e.to_string())
                );
            }
            db
        });
        Self { spec, runtime, db }
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

    /// The documents of `collection` matching `filter`, by `_id`.
    pub(crate) fn find(&self, collection: &str, filter: Document) -> Vec<Document> {
        self.runtime.block_on(async {
            self.db
                .collection::<Document>(collection)
                .find(filter)
                .sort(doc! { "_id": 1 })
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap()
        })
    }

    /// The one document of `collection` matching `filter`.
    pub(crate) fn one(&self, collection: &str, filter: Document) -> Document {
        let mut found = self.find(collection, filter.clone());
        assert_eq!(found.len(), 1, "{collection} {filter}: {found:?}");
        found.remove(0)
    }

    /// The run document `id`.
    pub(crate) fn run(&self, id: i64) -> Document {
        self.one("runs", doc! { "_id": id })
    }

    pub(crate) fn count(&self, collection: &str, filter: Document) -> u64 {
        self.runtime.block_on(async {
            self.db
                .collection::<Document>(collection)
                .count_documents(filter)
                .await
                .unwrap()
        })
    }

    pub(crate) fn update(&self, collection: &str, filter: Document, update: Document) {
        self.runtime.block_on(async {
            self.db
                .collection::<Document>(collection)
                .update_one(filter, update)
                .await
                .unwrap();
        });
    }

    pub(crate) fn insert(&self, collection: &str, document: Document) {
        self.runtime.block_on(async {
            self.db
                .collection::<Document>(collection)
                .insert_one(document)
                .await
                .unwrap();
        });
    }

    /// The names and keys of the indexes of `collection`.
    pub(crate) fn indexes(&self, collection: &str) -> Vec<(String, Document)> {
        self.runtime.block_on(async {
            let models: Vec<mongodb::IndexModel> = self
                .db
                .collection::<Document>(collection)
                .list_indexes()
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            models
                .into_iter()
                .map(|m| {
                    let name = m.options.and_then(|o| o.name).unwrap_or_default();
                    (name, m.keys)
                })
                .collect()
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = self.runtime.block_on(self.db.drop().into_future());
    }
}

/// The directory of the records Python Sacred wrote.
pub(crate) fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sacred-0.8.7")
}

/// A reference file (`mongo/runs.json`, …) as JSON.
pub(crate) fn reference_json(name: &str) -> Value {
    let path = fixtures().join("mongo").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A reference file as BSON documents (relaxed Extended JSON parsed).
pub(crate) fn reference_documents(name: &str) -> Vec<Document> {
    match Bson::try_from(reference_json(name)).unwrap() {
        Bson::Array(items) => items
            .into_iter()
            .map(|b| match b {
                Bson::Document(d) => d,
                other => panic!("not a document: {other}"),
            })
            .collect(),
        other => panic!("not an array: {other}"),
    }
}

/// The golden experiment's source, as the golden example embeds it.
pub(crate) const GOLDEN_SOURCE: &[u8] =
    include_bytes!("../../../tests/fixtures/sacred-0.8.7/golden_exp.py");

/// The experiment of the reference runs.
pub(crate) fn golden_experiment() -> Arc<ExperimentRecord> {
    Arc::new(ExperimentRecord {
        name: "golden".into(),
        base_dir: "/home/user/golden".into(),
        mainfile: "golden_exp.py".into(),
        sources: vec![SourceFile {
            path: "golden_exp.py",
            content: GOLDEN_SOURCE,
        }],
        dependencies: vec!["numpy==2.4.6".into(), "sacred==0.8.7".into()],
        repositories: Vec::new(),
    })
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
    StartedEvent {
        id,
        experiment: golden_experiment(),
        command: "main".into(),
        host: host(),
        start_time: Timestamp::now(),
        config,
        meta,
    }
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
    MetricSeries {
        name: name.into(),
        steps: (first..first + n).collect(),
        #[allow(clippy::cast_precision_loss)]
        values: (first..first + n).map(|i| i as f64 / 10.0).collect(),
        timestamps: (0..n).map(|_| now).collect(),
    }
}

pub(crate) fn metrics(series: Vec<MetricSeries>) -> MetricsEvent {
    MetricsEvent { series }
}

pub(crate) fn beat(info: Value, output: &str, result: Option<Value>) -> HeartbeatEvent {
    HeartbeatEvent {
        beat_time: Timestamp::now(),
        info,
        output: output.into(),
        output_offset: 0,
        result,
    }
}

pub(crate) fn completed(result: Option<Value>) -> CompletedEvent {
    CompletedEvent {
        stop_time: Timestamp::now(),
        result,
    }
}

pub(crate) fn bytes_artifact(
    name: &str,
    bytes: &[u8],
    content_type: &str,
    metadata: Value,
) -> ArtifactEvent {
    ArtifactEvent {
        name: name.into(),
        source: ArtifactSource::Bytes(Arc::from(bytes)),
        content_type: Some(content_type.into()),
        metadata: Some(metadata),
    }
}

pub(crate) fn resource() -> ResourceEvent {
    ResourceEvent {
        path: "/home/user/golden/data.csv".into(),
        md5: "344fd2323dd33d5c058b7cf27de029e8".into(),
    }
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

/// The BSON type of a value, for messages.
pub(crate) fn type_name(value: &Bson) -> String {
    format!("{:?}", value.element_type())
}
