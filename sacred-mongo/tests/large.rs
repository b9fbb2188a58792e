//! Run documents past MongoDB's 16 MB: the fields that would make the document too large
//! (a config at the start, an info at a beat, a result at the end, a fail trace) move to
//! GridFS with a marker in their place, the reader gives back the whole value, replacing
//! the run removes their files, and a run of normal size is stored exactly as before.

// Helpers of tests may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::{FailedEvent, Observer, RunId};
use sacred_core::time::Timestamp;
use sacred_mongo::read::to_json;
use serde_json::{Value, json};

/// MongoDB's largest document.
const SIXTEEN_MIB: usize = 16 * 1024 * 1024;
/// More than a document holds.
const SEVENTEEN_MB: usize = 17_000_000;

/// The size of `document` in BSON.
fn bson_size(document: &Document) -> usize {
    mongodb::bson::to_vec(document).unwrap().len()
}

/// The marker of the moved field `field` of `run`; panics when the field is in place.
fn marker<'a>(run: &'a Document, field: &str) -> &'a Document {
    run.get_document(field)
        .and_then(|f| f.get_document("_gridfs"))
        .unwrap_or_else(|_| panic!("`{field}` was not moved to GridFS"))
}

/// The names of the GridFS files holding moved fields.
fn moved_files(db: &TestDb) -> Vec<String> {
    db.find("fs.files", doc! {})
        .iter()
        .filter_map(|f| f.get_str("filename").ok())
        .filter(|name| {
            ["config://", "info://", "result://", "fail_trace://"]
                .iter()
                .any(|p| name.starts_with(p))
        })
        .map(str::to_owned)
        .collect()
}

/// A config of about 17.4 MB: a long list of strings.
fn big_config() -> Value {
    let items: Vec<String> = (0..17_000)
        .map(|i| format!("{i:06}{}", "x".repeat(1018)))
        .collect();
    json!({"lr": 0.01, "seed": 1, "items": items})
}

#[test]
fn a_config_past_16_mb_moves_to_gridfs_and_reads_back_whole() {
    let db = TestDb::new("big_config");
    let mut observer = db.observer();
    let config = big_config();
    let meta = json!({"command": "main", "options": {}});
    let id = int_id(
        observer
            .started(&started(None, config.clone(), meta))
            .unwrap(),
    );
    observer
        .metrics(&metrics(vec![series("loss", 0, 10)]))
        .unwrap();
    observer
        .heartbeat(&beat(json!({"epoch": 1}), "out\n", Some(json!(0.5))))
        .unwrap();
    observer.completed(&completed(Some(json!(0.5)))).unwrap();
    join(&mut observer);

    let stored = db.run(id);
    assert!(bson_size(&stored) < SIXTEEN_MIB, "{}", bson_size(&stored));
    let moved = marker(&stored, "config");
    assert_eq!(moved.get_str("filename"), Ok("config://runs/1"));
    assert_eq!(moved.get_str("format"), Ok("bson"));
    let file_id = moved.get_object_id("file_id").unwrap();
    let bytes = moved.get_i64("bytes").unwrap();
    assert!(bytes > 17_000_000, "{bytes}");
    // The file has the run's name (given once the id was allocated) and that size.
    let file = db.one("fs.files", doc! { "_id": file_id });
    assert_eq!(file.get_str("filename"), Ok("config://runs/1"));
    assert_eq!(
        file.get_i64("length")
            .or(file.get_i32("length").map(i64::from)),
        Ok(bytes)
    );
    // The rest of the run is as always.
    assert_eq!(stored.get_str("status"), Ok("COMPLETED"));
    assert_eq!(stored.get("result"), Some(&Bson::Double(0.5)));
    assert_eq!(stored.get_document("info").unwrap().get_i32("epoch"), Ok(1));
    assert_eq!(stored.get_str("captured_out"), Ok("out\n"));

    // The reader gives the whole config back, in every way it reads runs.
    let reader = db.reader();
    let run = reader.get_run(&RunId::Int(id)).unwrap().unwrap();
    assert_eq!(to_json(run.get("config").unwrap()), config);
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    let listed = reader.list_runs(&Default::default()).unwrap();
    assert_eq!(to_json(listed[0].get("config").unwrap()), config);
    let loss = reader.metrics(&RunId::Int(id)).unwrap();
    assert_eq!(loss[0].steps, (0..10).collect::<Vec<i64>>());
    assert_eq!(
        reader.captured_out(&RunId::Int(id)).unwrap().as_deref(),
        Some("out\n")
    );

    // The document has the layout of a run of normal size.
    let mut small = db.observer();
    let small_id = int_id(small.started(&simple_started()).unwrap());
    small
        .heartbeat(&beat(json!({"epoch": 1}), "out\n", Some(json!(0.5))))
        .unwrap();
    small.completed(&completed(Some(json!(0.5)))).unwrap();
    join(&mut small);
    let keys = |d: &Document| d.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&stored), keys(&db.run(small_id)));
}

#[test]
fn a_run_of_normal_size_is_stored_in_place_as_before() {
    let db = TestDb::new("normal");
    let mut observer = db.observer();
    let id = int_id(observer.started(&simple_started()).unwrap());
    observer
        .heartbeat(&beat(json!({"epoch": 1}), "", Some(json!({"acc": 0.7}))))
        .unwrap();
    observer
        .completed(&completed(Some(json!({"acc": 0.7}))))
        .unwrap();
    join(&mut observer);
    let run = db.run(id);
    assert_eq!(
        run.get_document("config"),
        Ok(&doc! { "lr": 0.01, "seed": 1 })
    );
    assert_eq!(run.get_document("result"), Ok(&doc! { "acc": 0.7 }));
    assert_eq!(run.get_document("info"), Ok(&doc! { "epoch": 1 }));
    assert!(moved_files(&db).is_empty(), "{:?}", moved_files(&db));
}

#[test]
fn a_large_info_result_or_fail_trace_moves_and_comes_back() {
    let db = TestDb::new("big_fields");
    let mut observer = db.observer();
    let id = RunId::Str("beats".into());
    let given = started(Some(id.clone()), json!({"lr": 0.01}), json!({}));
    observer.started(&given).unwrap();

    // A beat with an info past 16 MB: `info` moves.
    let info = json!({"big": "i".repeat(SEVENTEEN_MB)});
    observer
        .heartbeat(&beat(info.clone(), "one\n", None))
        .unwrap();
    join(&mut observer);
    let stored = db.one("runs", doc! { "_id": "beats" });
    assert!(bson_size(&stored) < SIXTEEN_MIB);
    assert_eq!(
        marker(&stored, "info").get_str("filename"),
        Ok("info://runs/beats")
    );
    let reader = db.reader();
    let run = reader.get_run(&id).unwrap().unwrap();
    assert_eq!(to_json(run.get("info").unwrap()), info);
    assert_eq!(moved_files(&db), ["info://runs/beats"]);

    // Small again: in place, and its file removed.
    observer
        .heartbeat(&beat(json!({"epoch": 2}), "two\n", None))
        .unwrap();
    join(&mut observer);
    let stored = db.one("runs", doc! { "_id": "beats" });
    assert_eq!(stored.get_document("info"), Ok(&doc! { "epoch": 2 }));
    assert!(moved_files(&db).is_empty(), "{:?}", moved_files(&db));

    // A result past 16 MB at the end: `result` moves.
    let result = json!("r".repeat(SEVENTEEN_MB));
    observer
        .completed(&completed(Some(result.clone())))
        .unwrap();
    join(&mut observer);
    let stored = db.one("runs", doc! { "_id": "beats" });
    assert!(bson_size(&stored) < SIXTEEN_MIB);
    marker(&stored, "result");
    assert_eq!(stored.get_str("status"), Ok("COMPLETED"));
    let run = reader.get_run(&id).unwrap().unwrap();
    assert_eq!(to_json(run.get("result").unwrap()), result);
    assert_eq!(run.get_document("info"), Ok(&doc! { "epoch": 2 }));
    assert_eq!(
        reader.captured_out(&id).unwrap().as_deref(),
        Some("one\ntwo\n")
    );

    // A failure with a trace past 16 MB: `fail_trace` moves.
    let mut failing = db.observer();
    let fails = RunId::Str("fails".into());
    failing
        .started(&started(Some(fails.clone()), json!({}), json!({})))
        .unwrap();
    let trace = vec!["Traceback:\n".to_owned(), "t".repeat(SEVENTEEN_MB)];
    failing
        .failed(&FailedEvent::new(Timestamp::now(), trace.clone()))
        .unwrap();
    join(&mut failing);
    let stored = db.one("runs", doc! { "_id": "fails" });
    assert!(bson_size(&stored) < SIXTEEN_MIB);
    marker(&stored, "fail_trace");
    assert_eq!(stored.get_str("status"), Ok("FAILED"));
    let run = reader.get_run(&fails).unwrap().unwrap();
    assert_eq!(to_json(run.get("fail_trace").unwrap()), json!(trace));
}

#[test]
fn replacing_a_run_removes_the_files_of_its_moved_fields() {
    let db = TestDb::new("replace_big");
    let id = RunId::Str("big".into());
    let event = started(Some(id.clone()), big_config(), json!({}));
    let mut observer = db.observer();
    observer.started(&event).unwrap();
    observer
        .heartbeat(&beat(json!({"big": "i".repeat(SEVENTEEN_MB)}), "", None))
        .unwrap();
    join(&mut observer);
    assert_eq!(
        moved_files(&db),
        ["config://runs/big", "info://runs/big"],
        "one file per moved field"
    );
    // `sync` stores the run again whole: nothing of the first copy stays.
    let mut sync = db.observer();
    assert!(sync.replace_run(&event).unwrap());
    assert_eq!(db.count("runs", doc! {}), 0);
    assert!(moved_files(&db).is_empty(), "{:?}", moved_files(&db));
    assert_eq!(sync.started(&event).unwrap(), Some(id.clone()));
    sync.completed(&completed(None)).unwrap();
    join(&mut sync);
    assert_eq!(moved_files(&db), ["config://runs/big"]);
    let run = db.reader().get_run(&id).unwrap().unwrap();
    assert_eq!(to_json(run.get("config").unwrap()), big_config());
}
