//! Run ids: allocated under concurrency without duplicates (string ids in the collection
//! do not break allocation), and a given id that is taken refused before anything is
//! written.

// Helpers of tests may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Instant;

use common::*;
use mongodb::bson::{Bson, doc};
use sacred_core::observer::{Observer, RunId};
use serde_json::json;

#[test]
fn concurrent_observers_get_distinct_ids() {
    let db = TestDb::new("concurrent");
    // A run with a string id (`-i custom`): Sacred's `max + 1` would crash on it.
    db.insert("runs", doc! { "_id": "custom", "status": "COMPLETED" });
    let runs = 32;
    let barrier = Arc::new(Barrier::new(runs));
    let started = Instant::now();
    let threads: Vec<_> = (0..runs)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let mut observer = db.observer();
            std::thread::spawn(move || {
                barrier.wait();
                let id = observer.started(&simple_started());
                if id.is_ok() {
                    observer.completed(&completed(None)).unwrap();
                    join(&mut observer);
                }
                id
            })
        })
        .collect();
    let mut ids: Vec<i64> = threads
        .into_iter()
        .map(|t| int_id(t.join().unwrap().unwrap()))
        .collect();
    eprintln!(
        "{runs} runs started at once, all done in {:?}",
        started.elapsed()
    );
    ids.sort_unstable();
    assert_eq!(ids, (1..=32).collect::<Vec<i64>>());
    assert_eq!(db.count("runs", doc! {}), 33);
    assert_eq!(db.count("runs", doc! { "_id": Bson::Null }), 0);
    assert_eq!(db.count("runs", doc! { "status": "COMPLETED" }), 33);
    // The next run continues after the largest number.
    let mut observer = db.observer();
    assert_eq!(int_id(observer.started(&simple_started()).unwrap()), 33);
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
}

#[test]
fn taken_ids_are_refused_without_writing() {
    let db = TestDb::new("given");
    let mut observer = db.observer();
    let given = RunId::Str("my_run".into());
    observer.check_id(&given).unwrap();
    let id = observer
        .started(&started(Some(given.clone()), json!({"a": 1}), json!({})))
        .unwrap();
    assert_eq!(id, Some(given.clone()));
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
    let run = db.one("runs", doc! { "_id": "my_run" });
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    let files_before = db.count("fs.files", doc! {});
    let runs_before = db.count("runs", doc! {});

    let mut second = db.observer();
    let e = second.check_id(&given).unwrap_err().to_string();
    assert!(e.contains("run id my_run exists already"), "{e}");
    assert!(e.contains("`runs`"), "{e}");
    let e = second
        .started(&started(Some(given.clone()), json!({"a": 2}), json!({})))
        .unwrap_err()
        .to_string();
    assert!(e.contains("exists already"), "{e}");
    // Nothing more happens for a run that did not start: no `_id: null` document.
    second
        .failed(&sacred_core::observer::FailedEvent::new(
            sacred_core::time::Timestamp::now(),
            vec!["the id is taken\n".into()],
        ))
        .unwrap();
    join(&mut second);

    // An integer id too.
    let mut third = db.observer();
    let taken = RunId::Int(1);
    let mut first = db.observer();
    assert_eq!(int_id(first.started(&simple_started()).unwrap()), 1);
    first.completed(&completed(None)).unwrap();
    join(&mut first);
    assert!(third.check_id(&taken).is_err());
    assert!(
        third
            .started(&started(Some(taken), json!({}), json!({})))
            .is_err()
    );
    join(&mut third);

    assert_eq!(db.count("runs", doc! {}), runs_before + 1);
    assert_eq!(db.count("runs", doc! { "_id": Bson::Null }), 0);
    assert_eq!(
        db.one("runs", doc! { "_id": "my_run" })
            .get_document("config")
            .unwrap(),
        &doc! { "a": 1 }
    );
    assert_eq!(
        db.count("fs.files", doc! {}),
        files_before + 1,
        "only the output file of the run that started"
    );
}
