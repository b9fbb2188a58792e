//! How a run is updated while it goes: field by field (a dashboard's own fields stay),
//! metrics appended per beat and overflowing past their bound, `captured_out` bounded with
//! the whole text in GridFS, sources stored once, artifacts with their content type and
//! metadata.

// Helpers of tests may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use common::*;
use mongodb::bson::{Bson, doc};
use sacred_core::observer::{ArtifactEvent, ArtifactSource, Observer, RunId};
use sacred_mongo::Limits;
use serde_json::json;

#[test]
fn field_by_field_updates_keep_foreign_fields() {
    let db = TestDb::new("foreign");
    let mut observer = db.observer();
    let id = int_id(observer.started(&simple_started()).unwrap());
    observer
        .heartbeat(&beat(json!({"epoch": 1}), "one\n", None))
        .unwrap();
    join(&mut observer);
    // A dashboard writes its own fields, and changes one of ours behind our back.
    db.update(
        "runs",
        doc! { "_id": id },
        doc! { "$set": { "omniboard": { "tags": ["baseline"], "notes": "keep me" },
        "info.foreign": true } },
    );
    // Info unchanged: `info` is not rewritten, so the foreign key in it stays.
    observer
        .heartbeat(&beat(json!({"epoch": 1}), "two\n", None))
        .unwrap();
    join(&mut observer);
    let run = db.run(id);
    assert_eq!(
        run.get_document("info").unwrap().get_bool("foreign"),
        Ok(true)
    );
    assert_eq!(run.get_str("captured_out"), Ok("one\ntwo\n"));
    // Info changed: rewritten whole, as Sacred does.
    observer
        .heartbeat(&beat(json!({"epoch": 2}), "", Some(json!(0.5))))
        .unwrap();
    observer.completed(&completed(Some(json!(0.5)))).unwrap();
    join(&mut observer);
    let run = db.run(id);
    assert_eq!(
        run.get_document("omniboard").unwrap(),
        &doc! { "tags": ["baseline"], "notes": "keep me" }
    );
    assert_eq!(run.get_document("info").unwrap(), &doc! { "epoch": 2 });
    assert_eq!(run.get("result"), Some(&Bson::Double(0.5)));
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    assert!(run.get_datetime("stop_time").is_ok());
    assert!(run.get_datetime("heartbeat").is_ok());
}

#[test]
fn metrics_are_appended_per_beat() {
    let db = TestDb::new("metrics");
    let mut observer = db.observer();
    let id = int_id(observer.started(&simple_started()).unwrap());
    let started = Instant::now();
    for beat_number in 0..3u64 {
        observer
            .metrics(&metrics(vec![
                series("loss", beat_number * 4, 4),
                series("acc", beat_number * 2, 2),
            ]))
            .unwrap();
        observer.heartbeat(&beat(json!({}), "", None)).unwrap();
    }
    // A step beyond 32 bits is stored as Int64.
    observer
        .metrics(&metrics(vec![series("loss", 1 << 40, 1)]))
        .unwrap();
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
    eprintln!(
        "3 beats of 2 metrics and the end, written in {:?}",
        started.elapsed()
    );
    let docs = db.find("metrics", doc! { "run_id": id });
    assert_eq!(docs.len(), 2);
    let loss = &docs[0];
    assert_eq!(loss.get_str("name"), Ok("loss"));
    assert_eq!(loss.get("run_id"), Some(&Bson::Int32(1)));
    let steps = loss.get_array("steps").unwrap();
    assert_eq!(steps.len(), 13);
    assert_eq!(
        steps[..12],
        (0..12).map(Bson::Int32).collect::<Vec<_>>()[..]
    );
    assert_eq!(steps[12], Bson::Int64(1 << 40));
    let values = loss.get_array("values").unwrap();
    assert_eq!(values[3], Bson::Double(0.3));
    assert!(values.iter().all(|v| matches!(v, Bson::Double(_))));
    let timestamps = loss.get_array("timestamps").unwrap();
    assert!(timestamps.iter().all(|t| matches!(t, Bson::DateTime(_))));
    assert_eq!(docs[1].get_array("steps").unwrap().len(), 6);
    assert!(
        loss.get("overflow").is_none(),
        "no overflow below the bound"
    );
    // `info.metrics` names each document once.
    let run = db.run(id);
    let info_metrics = run
        .get_document("info")
        .unwrap()
        .get_array("metrics")
        .unwrap();
    assert_eq!(
        info_metrics,
        &vec![
            Bson::Document(
                doc! { "name": "loss", "id": loss.get_object_id("_id").unwrap().to_hex() }
            ),
            Bson::Document(
                doc! { "name": "acc", "id": docs[1].get_object_id("_id").unwrap().to_hex() }
            ),
        ]
    );
    // The reader gives the same points.
    let read = db.reader().metrics(&RunId::Int(id)).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].steps.len(), 13);
    assert_eq!(read[0].values[5], 0.5);
}

#[test]
fn metric_overflow_keeps_every_point() {
    let db = TestDb::new("overflow");
    let bound = 1000;
    let mut observer = db.observer_with(Limits::default().with_metric_points(bound));
    let id = int_id(observer.started(&simple_started()).unwrap());
    let started = Instant::now();
    let mut first = 0;
    for n in [2500, 5000, 10, 2490] {
        observer
            .metrics(&metrics(vec![
                series("long", first, n),
                series("short", first, 1),
            ]))
            .unwrap();
        observer.heartbeat(&beat(json!({}), "", None)).unwrap();
        first += n;
    }
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
    eprintln!(
        "10,000 points in 4 beats (bound {bound}) written in {:?}",
        started.elapsed()
    );
    assert_eq!(first, 10_000);
    let long = db.one("metrics", doc! { "run_id": id, "name": "long" });
    assert_eq!(long.get_array("steps").unwrap().len(), bound);
    assert_eq!(long.get_array("values").unwrap().len(), bound);
    assert_eq!(long.get_array("timestamps").unwrap().len(), bound);
    assert_eq!(long.get_bool("overflow"), Ok(true));
    assert_eq!(long.get("count"), Some(&Bson::Int32(10_000)));
    let chunks = db.find("metrics_overflow", doc! { "run_id": id, "name": "long" });
    let mut total = bound;
    for (k, chunk) in chunks.iter().enumerate() {
        let n = chunk.get_array("steps").unwrap().len();
        assert!(n <= bound, "an overflow document holds {n} points");
        assert_eq!(chunk.get_array("values").unwrap().len(), n);
        assert_eq!(
            chunk.get("chunk"),
            Some(&Bson::Int32(i32::try_from(k).unwrap()))
        );
        total += n;
    }
    assert_eq!(total, 10_000);
    let short = db.one("metrics", doc! { "run_id": id, "name": "short" });
    assert!(short.get("overflow").is_none());
    let read = db.reader().metrics(&RunId::Int(id)).unwrap();
    let long = read.iter().find(|m| m.name == "long").unwrap();
    assert_eq!(long.steps, (0..10_000).collect::<Vec<i64>>());
    #[allow(clippy::cast_precision_loss)]
    let expected: Vec<f64> = (0..10_000).map(|i| i as f64 / 10.0).collect();
    assert_eq!(long.values, expected);
    assert_eq!(long.timestamps.len(), 10_000);
    let indexes = db.indexes("metrics_overflow");
    assert!(
        indexes
            .iter()
            .any(|(_, keys)| *keys == doc! { "run_id": 1, "name": 1, "chunk": 1 }),
        "{indexes:?}"
    );
}

#[test]
fn captured_out_is_bounded_and_whole_in_gridfs() {
    let db = TestDb::new("output");
    let limit = 1000;
    let mut observer = db.observer_with(Limits::default().with_captured_out_bytes(limit));
    let id = int_id(observer.started(&simple_started()).unwrap());
    let reader = db.reader();
    let mut whole = String::new();
    let started = Instant::now();
    for i in 0..60 {
        let mut chunk = format!("step {i}: loss €{i} $HOME ünïcödé {}\n", "x".repeat(i % 7));
        if i == 40 {
            // Longer than the bound and than a GridFS chunk.
            chunk.push_str(&"é progress\n".repeat(30_000));
        }
        whole.push_str(&chunk);
        observer.heartbeat(&beat(json!({}), &chunk, None)).unwrap();
        if i == 30 {
            join(&mut observer);
            let stored = reader.captured_out(&RunId::Int(id)).unwrap().unwrap();
            assert!(stored.len() <= limit);
            assert!(whole.ends_with(&stored), "running: the tail of the output");
        }
    }
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
    eprintln!(
        "60 beats of output (bound {limit} bytes) written in {:?}",
        started.elapsed()
    );
    assert!(whole.len() > 300_000);
    let run = db.run(id);
    let tail = run.get_str("captured_out").unwrap();
    assert!(
        tail.len() <= limit,
        "captured_out holds {} bytes",
        tail.len()
    );
    assert!(
        tail.len() + 4 > limit,
        "captured_out keeps as much as it may"
    );
    assert!(whole.ends_with(tail));
    let file_id = run.get("captured_out_file").unwrap();
    let file = db.one("fs.files", doc! { "_id": file_id.clone() });
    assert_eq!(file.get_str("filename"), Ok("captured_out://runs/1"));
    assert_eq!(reader.file(file_id).unwrap(), whole.as_bytes());
    assert_eq!(reader.captured_out(&RunId::Int(id)).unwrap(), Some(whole));
}

#[test]
fn sources_are_stored_once() {
    let db = TestDb::new("sources");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut observer = db.observer();
        let id = int_id(observer.started(&simple_started()).unwrap());
        observer.completed(&completed(None)).unwrap();
        join(&mut observer);
        ids.push(id);
    }
    assert_eq!(ids, [1, 2]);
    let files = db.find(
        "fs.files",
        doc! { "filename": "/home/user/golden/golden_exp.py" },
    );
    assert_eq!(
        files.len(),
        1,
        "one GridFS file for the source of both runs"
    );
    let source_id = |id: i64| {
        db.run(id)
            .get_document("experiment")
            .unwrap()
            .get_array("sources")
            .unwrap()[0]
            .as_array()
            .unwrap()[1]
            .clone()
    };
    assert_eq!(source_id(1), source_id(2));
    assert_eq!(Some(&source_id(1)), files[0].get("_id"));
    assert_eq!(
        db.reader().file(&source_id(1)).unwrap(),
        GOLDEN_SOURCE.to_vec()
    );
}

#[test]
fn artifacts_have_content_type_and_metadata() {
    let db = TestDb::new("artifacts");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    // Larger than a GridFS chunk, read from a file.
    let big: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &big).unwrap();
    let mut observer = db.observer();
    let id = int_id(observer.started(&simple_started()).unwrap());
    observer
        .artifact(&bytes_artifact(
            "model.txt",
            b"weights",
            "text/plain",
            json!({"epoch": 3, "a.b": 1}),
        ))
        .unwrap();
    observer
        .artifact(&ArtifactEvent::new(
            "big.bin",
            ArtifactSource::File(path),
            None,
            None,
        ))
        .unwrap();
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
    let run = db.run(id);
    let artifacts = run.get_array("artifacts").unwrap();
    assert_eq!(artifacts.len(), 2);
    let first = artifacts[0].as_document().unwrap();
    assert_eq!(first.get_str("name"), Ok("model.txt"));
    let file = db.one(
        "fs.files",
        doc! { "_id": first.get("file_id").unwrap().clone() },
    );
    assert_eq!(file.get_str("filename"), Ok("artifact://runs/1/model.txt"));
    assert_eq!(file.get_str("contentType"), Ok("text/plain"));
    // Keys MongoDB cannot update are rewritten as Sacred does (`.` → `,`).
    assert_eq!(
        file.get_document("metadata"),
        Ok(&doc! { "epoch": 3, "a,b": 1 })
    );
    let big_file = db.one("fs.files", doc! { "filename": "artifact://runs/1/big.bin" });
    assert_eq!(big_file.get("metadata"), Some(&Bson::Null));
    assert!(big_file.get("contentType").is_none());
    let reader = db.reader();
    assert_eq!(
        reader.artifact(&RunId::Int(id), "model.txt").unwrap(),
        Some(b"weights".to_vec())
    );
    assert_eq!(
        reader.artifact(&RunId::Int(id), "big.bin").unwrap(),
        Some(big)
    );
    assert_eq!(reader.artifact(&RunId::Int(id), "nothing").unwrap(), None);
}

#[test]
fn reader_lists_and_filters_runs() {
    let db = TestDb::new("list");
    for fail in [false, true, false] {
        let mut observer = db.observer();
        observer.started(&simple_started()).unwrap();
        if fail {
            observer
                .failed(&sacred_core::observer::FailedEvent::new(
                    sacred_core::time::Timestamp::now(),
                    vec!["boom\n".into()],
                ))
                .unwrap();
        } else {
            observer.completed(&completed(None)).unwrap();
        }
        join(&mut observer);
    }
    let reader = db.reader();
    let all = reader
        .list_runs(&sacred_mongo::read::RunFilter::default())
        .unwrap();
    let ids: Vec<&Bson> = all.iter().map(|r| r.get("_id").unwrap()).collect();
    assert_eq!(ids, [&Bson::Int32(3), &Bson::Int32(2), &Bson::Int32(1)]);
    let completed = reader
        .list_runs(&sacred_mongo::read::RunFilter {
            status: Some("COMPLETED".into()),
            experiment_name: Some("golden".into()),
            limit: Some(1),
        })
        .unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].get("_id"), Some(&Bson::Int32(3)));
    assert!(reader.get_run(&RunId::Int(9)).unwrap().is_none());
    let json = sacred_mongo::read::to_json(&Bson::Document(
        reader.get_run(&RunId::Int(2)).unwrap().unwrap(),
    ));
    assert_eq!(json["status"], "FAILED");
    assert!(json["start_time"].as_str().unwrap().ends_with('Z'));
    reader.drop_database().unwrap();
    assert!(
        reader
            .list_runs(&sacred_mongo::read::RunFilter::default())
            .unwrap()
            .is_empty()
    );
}
