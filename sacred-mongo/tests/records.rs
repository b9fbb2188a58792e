//! The documents a run driven through the `Observer` trait leaves, compared key by key and
//! BSON type by type with those Python Sacred 0.8.7 wrote
//! (`tests/fixtures/sacred-0.8.7/mongo/`), for a COMPLETED, a FAILED, an INTERRUPTED and a
//! QUEUED run.

// Helpers of tests may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::{FailedEvent, InterruptedEvent, Observer, QueuedEvent};
use sacred_core::time::Timestamp;
use sacred_test_support::shape::{PYTHON_ONLY, Tree};
use serde_json::{Value, json};

/// Keys the Rust record adds next to Sacred's.
const RUST_ADDED: &[&str] = &["host.rust_version", "captured_out_file"];
/// Keys whose values must be equal too, not only their types.
const SAME_VALUES: &[&str] = &[
    "format",
    "command",
    "status",
    "experiment.name",
    "experiment.base_dir",
    "experiment.dependencies",
    "experiment.repositories",
    "experiment.mainfile",
    "config",
    "meta",
    "resources",
    "info.notes",
    "result",
    "fail_trace",
];

/// Compares `actual` with `expected` at `path`: the same keys (but for [`PYTHON_ONLY`] and
/// the lists above), the same BSON types, the same array lengths, and equal values where
/// [`SAME_VALUES`] says so. Differences go to `errors`. Stricter than
/// `sacred_test_support::assert_same_shape`, which the end-to-end tests use on the records
/// of a real process.
fn compare(path: &str, expected: &Bson, actual: &Bson, errors: &mut Vec<String>) {
    if SAME_VALUES.contains(&path) && expected != actual {
        errors.push(format!("{path}: expected {expected}, got {actual}"));
        return;
    }
    if expected.element_type() != actual.element_type() {
        errors.push(format!(
            "{path}: expected a {} ({expected}), got a {} ({actual})",
            expected.type_name(),
            actual.type_name()
        ));
        return;
    }
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (expected, actual) {
        (Bson::Document(e), Bson::Document(a)) => {
            for (key, value) in e {
                let sub = join(key);
                match a.get(key) {
                    Some(actual) => compare(&sub, value, actual, errors),
                    None if PYTHON_ONLY.contains(&sub.as_str()) => {}
                    None => errors.push(format!("{sub}: missing")),
                }
            }
            for key in a.keys() {
                let sub = join(key);
                if !e.contains_key(key) && !RUST_ADDED.contains(&sub.as_str()) {
                    errors.push(format!("{sub}: not in Sacred's record"));
                }
            }
        }
        (Bson::Array(e), Bson::Array(a)) => {
            if e.len() != a.len() {
                errors.push(format!("{path}: {} items, expected {}", a.len(), e.len()));
            }
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), e, a, errors);
            }
        }
        _ => {}
    }
}

fn assert_like(expected: &Document, actual: &Document, what: &str) {
    let mut errors = Vec::new();
    compare(
        "",
        &Bson::Document(expected.clone()),
        &Bson::Document(actual.clone()),
        &mut errors,
    );
    assert!(
        errors.is_empty(),
        "{what} differs from Sacred's:\n  {}\nours: {actual}",
        errors.join("\n  ")
    );
}

/// The reference run with this status, and its config and meta as JSON.
fn reference_run(status: &str) -> (Document, Value, Value) {
    let runs = reference_json("runs.json");
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == status)
        .unwrap()
        .clone();
    let document = reference_documents("runs.json")
        .into_iter()
        .find(|r| r.get_str("status") == Ok(status))
        .unwrap();
    (document, run["config"].clone(), run["meta"].clone())
}

/// How a run ends.
enum End {
    Completed,
    Failed,
    Interrupted,
}

/// Drives a run like the reference runs: metrics, a resource, an artifact, info, output,
/// then the end. Returns its id.
fn drive(db: &TestDb, end: &End, config: Value, meta: Value) -> i64 {
    let mut observer = db.observer();
    let id = int_id(observer.started(&started(None, config, meta)).unwrap());
    observer
        .metrics(&metrics(vec![
            series_of("training.loss", &[1.0, 0.5, 0.333_333_333_333_333_3]),
            series_of("training.acc", &[0.5, 0.6, 0.7]),
        ]))
        .unwrap();
    observer.resource(&resource()).unwrap();
    observer
        .artifact(&bytes_artifact(
            "model.bin",
            b"weights\x00\x01",
            "application/octet-stream",
            json!({"epoch": 3}),
        ))
        .unwrap();
    let info = json!({"notes": {"best_step": 2}});
    observer
        .heartbeat(&beat(info.clone(), "starting 32 0.0001\n", None))
        .unwrap();
    match end {
        End::Completed => {
            let result = json!({"acc": 0.7, "rnd": 593});
            observer
                .heartbeat(&beat(
                    info,
                    "INFO - golden - Result\n",
                    Some(result.clone()),
                ))
                .unwrap();
            observer.completed(&completed(Some(result))).unwrap();
        }
        End::Failed => {
            observer.heartbeat(&beat(info, "", None)).unwrap();
            observer
                .failed(&FailedEvent::new(Timestamp::now(), golden_fail_trace()))
                .unwrap();
        }
        End::Interrupted => {
            observer.heartbeat(&beat(info, "", None)).unwrap();
            observer
                .interrupted(&InterruptedEvent::new(Timestamp::now(), "INTERRUPTED"))
                .unwrap();
        }
    }
    join(&mut observer);
    id
}

fn golden_fail_trace() -> Vec<String> {
    let runs = reference_json("runs.json");
    let failed = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "FAILED")
        .unwrap();
    serde_json::from_value(failed["fail_trace"].clone()).unwrap()
}

fn series_of(name: &str, values: &[f64]) -> sacred_core::observer::MetricSeries {
    let mut s = series(name, 0, values.len() as u64);
    s.values = values.to_vec();
    s
}

fn check_run(test: &str, status: &str, end: &End) {
    let db = TestDb::new(test);
    let (reference, config, meta) = reference_run(status);
    let id = drive(&db, end, config, meta);
    assert_eq!(id, 1);
    let run = db.run(id);
    assert_like(&reference, &run, &format!("the {status} run"));
    // Sacred's key order at the start, then result and stop_time (and fail_trace).
    let keys: Vec<&str> = run.keys().map(String::as_str).collect();
    let mut expected = vec![
        "_id",
        "experiment",
        "format",
        "command",
        "host",
        "start_time",
        "config",
        "meta",
        "status",
        "resources",
        "artifacts",
        "captured_out",
        "info",
        "heartbeat",
        "result",
        "stop_time",
    ];
    if status == "FAILED" {
        expected.push("fail_trace");
    }
    expected.insert(
        expected.iter().position(|k| *k == "stop_time").unwrap(),
        "captured_out_file",
    );
    let mut sorted_actual = keys.clone();
    sorted_actual.sort_unstable();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort_unstable();
    assert_eq!(sorted_actual, sorted_expected);
    assert_eq!(
        &keys[..14],
        &expected[..14],
        "the start fields in Sacred's order"
    );
    // info.metrics holds the ids of the metric documents, as hex strings.
    let metric_docs = db.find("metrics", doc! { "run_id": id });
    let info_metrics = run
        .get_document("info")
        .unwrap()
        .get_array("metrics")
        .unwrap();
    let names_ids: Vec<(String, String)> = info_metrics
        .iter()
        .map(|m| {
            let m = m.as_document().unwrap();
            (
                m.get_str("name").unwrap().to_owned(),
                m.get_str("id").unwrap().to_owned(),
            )
        })
        .collect();
    let doc_ids: Vec<(String, String)> = metric_docs
        .iter()
        .map(|m| {
            (
                m.get_str("name").unwrap().to_owned(),
                m.get_object_id("_id").unwrap().to_hex(),
            )
        })
        .collect();
    assert_eq!(names_ids, doc_ids);
}

#[test]
fn completed_run_matches_sacreds_record() {
    check_run("completed", "COMPLETED", &End::Completed);
}

#[test]
fn failed_run_matches_sacreds_record() {
    check_run("failed", "FAILED", &End::Failed);
}

#[test]
fn interrupted_run_matches_sacreds_record() {
    check_run("interrupted", "INTERRUPTED", &End::Interrupted);
}

#[test]
fn metric_documents_match_sacreds() {
    let db = TestDb::new("metricdocs");
    let (_, config, meta) = reference_run("COMPLETED");
    let id = drive(&db, &End::Completed, config, meta);
    let reference: Vec<Document> = reference_documents("metrics.json")
        .into_iter()
        .filter(|m| m.get_i32("run_id") == Ok(1))
        .collect();
    let ours = db.find("metrics", doc! { "run_id": id });
    assert_eq!(ours.len(), reference.len());
    for (expected, actual) in reference.iter().zip(&ours) {
        let mut errors = Vec::new();
        compare(
            "",
            &Bson::Document(expected.clone()),
            &Bson::Document(actual.clone()),
            &mut errors,
        );
        assert!(errors.is_empty(), "{}\nours: {actual}", errors.join("\n"));
        for key in ["name", "run_id", "steps", "values"] {
            assert_eq!(expected.get(key), actual.get(key), "{key}");
        }
    }
}

#[test]
fn gridfs_files_match_sacreds() {
    let db = TestDb::new("gridfs");
    let (_, config, meta) = reference_run("COMPLETED");
    drive(&db, &End::Completed, config, meta);
    let reference = reference_documents("fs.files.json");
    let source = db.one(
        "fs.files",
        doc! { "filename": "/home/user/golden/golden_exp.py" },
    );
    let artifact = db.one(
        "fs.files",
        doc! { "filename": "artifact://runs/1/model.bin" },
    );
    for (expected, actual, what) in [
        (&reference[0], &source, "the source"),
        (&reference[1], &artifact, "the artifact"),
    ] {
        for (key, value) in expected {
            let ours = actual
                .get(key)
                .unwrap_or_else(|| panic!("{what}: no `{key}` in {actual}"));
            let numeric = |b: &Bson| matches!(b, Bson::Int32(_) | Bson::Int64(_));
            assert!(
                value.element_type() == ours.element_type() || numeric(value) && numeric(ours),
                "{what}.{key}: {value} vs {ours}"
            );
        }
    }
    assert_eq!(
        source
            .get_i64("length")
            .ok()
            .or_else(|| source.get_i32("length").ok().map(i64::from)),
        Some(GOLDEN_SOURCE.len() as i64)
    );
    assert_eq!(
        source
            .get_document("metadata")
            .unwrap()
            .get_str("md5")
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        artifact.get_str("contentType"),
        Ok("application/octet-stream")
    );
    assert_eq!(artifact.get_document("metadata"), Ok(&doc! { "epoch": 3 }));
    assert_eq!(artifact.get_i32("chunkSize"), Ok(261_120));
    // The indexes of Sacred's collections, plus the metrics index this observer adds.
    let has =
        |collection: &str, keys: Document| db.indexes(collection).iter().any(|(_, k)| *k == keys);
    assert!(has("runs", doc! { "_id": 1 }));
    assert!(has("metrics", doc! { "run_id": 1, "name": 1 }));
    assert!(has("fs.files", doc! { "filename": 1, "uploadDate": 1 }));
    assert!(has("fs.chunks", doc! { "files_id": 1, "n": 1 }));
    // The whole output is a GridFS file too.
    let output = db.one("fs.files", doc! { "filename": "captured_out://runs/1" });
    let run = db.run(1);
    assert_eq!(run.get("captured_out_file"), output.get("_id"));
}

#[test]
fn queued_run_has_sacreds_queued_fields() {
    let db = TestDb::new("queued");
    let mut observer = db.observer();
    let meta = json!({
        "command": "main",
        "options": {"--queue": true, "--priority": "2", "--comment": "to do later"},
        "named_configs": [],
        "config_updates": {"lr": 0.2},
        "comment": "to do later",
        "priority": 2
    });
    let queue_time = Timestamp::now();
    let id = observer
        .queued(&QueuedEvent::new(
            None,
            Arc::clone(&golden_experiment()),
            "main",
            host(),
            queue_time,
            json!({"lr": 0.2, "steps": 3, "seed": 256_612_426}),
            meta,
        ))
        .unwrap();
    assert_eq!(int_id(id), 1);
    join(&mut observer);
    let run = db.run(1);
    let keys: Vec<&str> = run.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "_id",
            "experiment",
            "command",
            "host",
            "config",
            "meta",
            "status"
        ]
    );
    assert_eq!(run.get("_id"), Some(&Bson::Int32(1)));
    assert_eq!(run.get_str("status"), Ok("QUEUED"));
    let meta = run.get_document("meta").unwrap();
    assert_eq!(meta.get("priority"), Some(&Bson::Double(2.0)));
    assert_eq!(
        meta.get_datetime("queue_time").unwrap().timestamp_millis(),
        queue_time.as_millis()
    );
    assert_eq!(meta.get_str("comment"), Ok("to do later"));
    let config = run.get_document("config").unwrap();
    assert_eq!(config.get("lr"), Some(&Bson::Double(0.2)));
    assert_eq!(config.get("steps"), Some(&Bson::Int32(3)));
    let sources = run
        .get_document("experiment")
        .unwrap()
        .get_array("sources")
        .unwrap();
    let source = sources[0].as_array().unwrap();
    assert_eq!(source[0], Bson::String("golden_exp.py".into()));
    assert!(matches!(source[1], Bson::ObjectId(_)));
}
