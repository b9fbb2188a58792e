//! Claiming a given id (`-i`) before the run starts: of observers claiming one id at once,
//! exactly one gets it; the run's start takes the placeholder over and leaves Sacred's
//! document with nothing of the claim; a claim of a run that never starts is released; a
//! server that cannot be reached refuses nothing.

// Helpers of tests may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::{Observer, RunId};
use sacred_mongo::{Limits, MongoObserver, parse_spec};
use serde_json::json;

/// The keys of `document` and of its sub-documents, in order, with their BSON types.
fn layout(document: &Document) -> Vec<String> {
    let mut keys = Vec::new();
    for (key, value) in document {
        keys.push(format!("{key}: {:?}", value.element_type()));
        if let Bson::Document(inner) = value {
            keys.extend(layout(inner).into_iter().map(|k| format!("{key}.{k}")));
        }
    }
    keys
}

/// Runs a whole run (start, a beat, the end) with `observer` under the id `id`.
fn whole_run(observer: &mut MongoObserver, id: &str) {
    let given = RunId::Str(id.into());
    let started = started(
        Some(given.clone()),
        json!({"lr": 0.01}),
        json!({"command": "main"}),
    );
    assert_eq!(observer.started(&started).unwrap(), Some(given));
    observer
        .heartbeat(&beat(json!({"epoch": 1}), "out\n", Some(json!(0.5))))
        .unwrap();
    observer.completed(&completed(Some(json!(0.5)))).unwrap();
    join(observer);
}

#[test]
fn of_observers_claiming_one_id_at_once_exactly_one_gets_it() {
    let db = TestDb::new("claims");
    let claimants = 16;
    let barrier = Arc::new(Barrier::new(claimants));
    let threads: Vec<_> = (0..claimants)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let mut observer = db.observer();
            std::thread::spawn(move || {
                barrier.wait();
                let claimed = observer.claim_id(&RunId::Str("same".into()));
                if claimed.is_ok() {
                    whole_run(&mut observer, "same");
                }
                claimed.map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<Result<(), String>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            refused.contains("run id same exists already in the collection `runs`"),
            "{refused}"
        );
    }
    let run = db.one("runs", doc! {});
    assert_eq!(run.get_str("_id"), Ok("same"));
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    assert!(!run.contains_key("claim"), "{run}");
}

#[test]
fn the_start_takes_the_placeholder_over_and_leaves_sacreds_document() {
    let db = TestDb::new("takeover");
    let mut observer = db.observer();
    let id = RunId::Str("mine".into());
    observer.claim_id(&id).unwrap();

    // Between the claim and the start: a run that has not started, saying what it is.
    let placeholder = db.one("runs", doc! { "_id": "mine" });
    assert_eq!(placeholder.get_str("status"), Ok("QUEUED"));
    let claim = placeholder.get_document("claim").unwrap();
    assert!(claim.get_object_id("token").is_ok());
    assert_eq!(
        claim.get_i32("pid").map(i64::from).or(claim.get_i64("pid")),
        Ok(i64::from(std::process::id()))
    );
    assert!(claim.get_datetime("time").is_ok());
    assert!(
        placeholder
            .get_document("meta")
            .and_then(|m| m.get_str("comment"))
            .unwrap()
            .contains("claimed")
    );
    for absent in ["start_time", "heartbeat", "stop_time", "result", "config"] {
        assert!(!placeholder.contains_key(absent), "{placeholder}");
    }
    // Readers that index these in every run find them.
    assert_eq!(placeholder.get_document("info"), Ok(&doc! {}));
    assert_eq!(placeholder.get_array("artifacts").map(Vec::len), Ok(0));

    // Checking the id from elsewhere finds it taken.
    let e = db.observer().check_id(&id).unwrap_err().to_string();
    assert!(e.contains("exists already"), "{e}");

    whole_run(&mut observer, "mine");
    // The same run, never claimed, for comparison: the claimed one has the very same
    // layout, nothing of the claim left.
    whole_run(&mut db.observer(), "plain");
    let claimed = db.one("runs", doc! { "_id": "mine" });
    let plain = db.one("runs", doc! { "_id": "plain" });
    assert_eq!(layout(&claimed), layout(&plain));
    assert_eq!(claimed.get_str("status"), Ok("COMPLETED"));
    assert_eq!(claimed.get_document("config"), Ok(&doc! { "lr": 0.01 }));
    assert_eq!(db.count("runs", doc! { "claim": { "$exists": true } }), 0);
}

#[test]
fn a_claim_of_a_run_that_never_starts_is_released() {
    let db = TestDb::new("release");
    let id = RunId::Str("gone".into());
    let mut observer = db.observer();
    observer.claim_id(&id).unwrap();
    assert_eq!(db.count("runs", doc! { "_id": "gone" }), 1);
    // Another observer refused the id, say: the run ends before it starts.
    drop(observer);
    assert_eq!(db.count("runs", doc! {}), 0);
    // The id is free again.
    let mut observer = db.observer();
    observer.claim_id(&id).unwrap();
    whole_run(&mut observer, "gone");
    drop(observer);
    assert_eq!(
        db.one("runs", doc! { "_id": "gone" }).get_str("status"),
        Ok("COMPLETED")
    );

    // A second claim of the same observer gives the first one up.
    let mut observer = db.observer();
    observer.claim_id(&RunId::Str("first".into())).unwrap();
    observer.claim_id(&RunId::Str("second".into())).unwrap();
    assert_eq!(db.count("runs", doc! { "_id": "first" }), 0);
    assert_eq!(db.count("runs", doc! { "_id": "second" }), 1);
    // A start under another id than the claimed one gives the claim up too.
    whole_run(&mut observer, "third");
    assert_eq!(db.count("runs", doc! { "_id": "second" }), 0);
    assert_eq!(db.count("runs", doc! { "claim": { "$exists": true } }), 0);
}

#[test]
fn a_retried_start_still_takes_its_own_placeholder_over() {
    let db = TestDb::new("retried");
    let mut observer = db.observer();
    let id = RunId::Str("again".into());
    observer.claim_id(&id).unwrap();
    let event = started(Some(id.clone()), json!({"a": 1}), json!({}));
    // The runtime tries a failed observer again: `replace_run`, then `started`. Its own
    // placeholder is no run to replace: it stays for the start.
    assert!(!observer.replace_run(&event).unwrap());
    assert_eq!(db.count("runs", doc! { "_id": "again" }), 1);
    assert_eq!(observer.started(&event).unwrap(), Some(id.clone()));
    observer.completed(&completed(None)).unwrap();
    join(&mut observer);
    let run = db.one("runs", doc! { "_id": "again" });
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    assert!(!run.contains_key("claim"));
    // Replacing the real run works as before.
    let mut other = db.observer();
    assert!(other.replace_run(&event).unwrap());
    assert_eq!(db.count("runs", doc! {}), 0);
}

#[test]
fn a_placeholder_left_by_a_dead_process_is_replaced_by_its_runs_sync_only() {
    let db = TestDb::new("leftover");
    let id = RunId::Str("left".into());
    // A process claimed the id and was killed before its start reached the server.
    let mut claimant = db.observer();
    claimant.claim_id(&id).unwrap();
    std::mem::forget(claimant);
    // Its run (which started after the claim) is sent by `sync`: the placeholder goes.
    std::thread::sleep(Duration::from_millis(5));
    let event = started(Some(id.clone()), json!({"a": 1}), json!({}));
    let mut sync = db.observer();
    assert!(!sync.replace_run(&event).unwrap());
    sync.check_id(&id).unwrap();
    assert_eq!(sync.started(&event).unwrap(), Some(id.clone()));
    sync.completed(&completed(None)).unwrap();
    join(&mut sync);
    assert_eq!(
        db.one("runs", doc! { "_id": "left" }).get_str("status"),
        Ok("COMPLETED")
    );

    // A claim made after a run started is another run's: its sync leaves it alone.
    let id = RunId::Str("later".into());
    let event = started(Some(id.clone()), json!({"a": 1}), json!({}));
    std::thread::sleep(Duration::from_millis(5));
    let mut claimant = db.observer();
    claimant.claim_id(&id).unwrap();
    let e = db.observer().replace_run(&event).unwrap_err().to_string();
    assert!(e.contains("claimed by another run"), "{e}");
    assert_eq!(db.count("runs", doc! { "_id": "later" }), 1);
    drop(claimant);
    assert_eq!(db.count("runs", doc! { "_id": "later" }), 0);
}

#[test]
fn a_server_that_cannot_be_reached_refuses_no_claim() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let spec = parse_spec(&format!("mongodb://127.0.0.1:{port}/down")).unwrap();
    let limits = Limits::default().with_connect_timeout(Duration::from_millis(300));
    let mut observer = MongoObserver::with_limits(spec, limits).unwrap();
    let begun = Instant::now();
    observer.claim_id(&RunId::Str("any".into())).unwrap();
    // The start, on the observer's own thread, fails and is retried later.
    let e = observer
        .started(&started(
            Some(RunId::Str("any".into())),
            json!({}),
            json!({}),
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot connect"), "{e}");
    // Dropping it waits for the release at most the connection timeout and a second.
    drop(observer);
    assert!(
        begun.elapsed() < Duration::from_secs(10),
        "{:?}",
        begun.elapsed()
    );
}
