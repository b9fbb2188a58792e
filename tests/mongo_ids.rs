//! End-to-end, the golden example as processes against the test's MongoDB server
//! (`SACRED_TEST_MONGO_URL`; without it these tests fail): of runs started at once with the
//! same `-i`, exactly one gets the id before any body runs; and a config past MongoDB's
//! 16 MB (in BSON) is stored, moved to GridFS, and read back whole.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;

use common::{text, tmp};
use sacred::mongo::bson::{Bson, Document, doc};
use sacred::mongo::parse_spec;
use sacred::mongo::read::MongoReader;
use sacred::observer::RunId;
use sacred_test_support::assert_same_shape;
use sacred_test_support::fixtures;
use sacred_test_support::mongo::{MongoUrl, TestDb};

/// The config updates of Python Sacred's reference runs.
const REFERENCE_UPDATES: [&str; 3] = ["lr=0.0001", "optimizer.name=sgd", "seed=42"];

/// MongoDB's largest document.
const SIXTEEN_MIB: usize = 16 * 1024 * 1024;

/// A reader of the test's database.
fn reader(db: &TestDb) -> MongoReader {
    let spec = parse_spec(db.url()).unwrap();
    MongoReader::connect(&spec).unwrap_or_else(|e| {
        let url = MongoUrl::parse(db.url()).masked();
        panic!("the test server at {url} does not answer: {e}")
    })
}

/// The size of `document` in BSON.
fn bson_size(document: &Document) -> usize {
    sacred::mongo::bson::to_vec(document).unwrap().len()
}

#[test]
fn of_sixteen_runs_given_the_same_id_exactly_one_runs() {
    let db = TestDb::new("same_id");
    let dir = tmp();
    let children: Vec<_> = (0..16)
        .map(|_| {
            common::example("golden", dir.path())
                .args(["-m", db.url(), "-i", "same", "with"])
                .args(REFERENCE_UPDATES)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut codes = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        match out.status.code() {
            Some(0) => {
                assert!(stdout.contains("starting"), "{stdout}");
                assert!(stderr.contains("Started run with ID \"same\""), "{stderr}");
            }
            Some(2) => {
                // Refused before the body started: it printed nothing of its own, and no
                // run was announced.
                assert!(!stdout.contains("starting"), "{stdout}");
                assert!(!stderr.contains("Started run with ID"), "{stderr}");
                assert!(
                    stderr.contains("the run id same exists already"),
                    "{stderr}"
                );
            }
            other => panic!("exit {other:?}: {stderr}"),
        }
        codes.push(out.status.code());
    }
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(2)).count(),
        15,
        "{codes:?}"
    );

    // One document, the run's, in Sacred's layout with nothing of the claim left.
    let runs = db.find("runs", doc! {});
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run.get_str("_id"), Ok("same"));
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    assert!(!run.contains_key("claim"), "{run}");
    // Sacred's reference run has an allocated (number) id; the rest must match.
    let mut shape = run.clone();
    shape.insert("_id", 1);
    let reference = fixtures::to_document(fixtures::reference_run(1));
    assert_same_shape(&Bson::Document(shape), &Bson::Document(reference));
    // The same keys in the same order as a run whose id was allocated.
    let out = common::example("golden", dir.path())
        .args(["-m", db.url(), "with"])
        .args(REFERENCE_UPDATES)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let allocated = db.one("runs", doc! { "_id": 1 });
    let keys = |d: &Document| d.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(run), keys(&allocated));
    let metrics = reader(&db).metrics(&RunId::Str("same".into())).unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m.name == "training.loss" && m.steps == [0, 1, 2]),
        "{metrics:?}"
    );
}

#[test]
fn an_id_claimed_for_a_run_another_observer_refuses_is_released() {
    let db = TestDb::new("released");
    let dir = tmp();
    // File storage has a run `same` already: it refuses the id after MongoDB claimed it.
    std::fs::create_dir_all(dir.path().join("fs/same")).unwrap();
    let out = common::run(
        "golden",
        &["-m", db.url(), "-F", "fs", "-i", "same", "with", "steps=1"],
        dir.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!text(&out.stdout).contains("starting"));
    assert!(stderr.contains("file storage"), "{stderr}");
    // MongoDB's placeholder went with the run: the id is free there.
    assert_eq!(
        db.count("runs", doc! {}),
        0,
        "{:?}",
        db.find("runs", doc! {})
    );
    let out = common::run(
        "golden",
        &["-m", db.url(), "-i", "same", "with", "steps=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        db.one("runs", doc! { "_id": "same" }).get_str("status"),
        Ok("COMPLETED")
    );
}

#[test]
fn a_given_id_with_the_server_down_runs_at_once_into_its_journal() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("mongodb://127.0.0.1:{port}/down?serverSelectionTimeoutMS=500");
    let dir = tmp();
    let out = common::run(
        "golden",
        &["-m", &url, "-i", "mine", "with", "steps=1"],
        dir.path(),
    );
    let stderr = text(&out.stderr);
    // Not refused: the body ran, and the run says how to send it later.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(text(&out.stdout).contains("starting"), "{stderr}");
    assert!(stderr.contains("Started run with ID \"mine\""), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("golden sync "), "{stderr}");
}

#[test]
fn a_config_past_sixteen_megabytes_is_stored_and_read_back_whole() {
    let db = TestDb::new("big_config");
    let dir = tmp();
    // A long list: 4.4 MB of JSON (config files may have up to 16 MiB), 17.6 MB in BSON,
    // where each item takes its index as a key and eight bytes.
    let betas = vec![0.5_f64; 1_100_000];
    let file = dir.path().join("big.json");
    let config = sacred::serde_json::json!({"optimizer": {"name": "adam", "betas": betas}});
    std::fs::write(&file, config.to_string()).unwrap();
    let out = common::run("golden", &["-m", db.url(), "with", "big.json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let stored = db.one("runs", doc! { "_id": 1 });
    assert!(bson_size(&stored) < SIXTEEN_MIB, "{}", bson_size(&stored));
    let marker = stored
        .get_document("config")
        .and_then(|c| c.get_document("_gridfs"))
        .unwrap_or_else(|_| panic!("no marker in {:?}", stored.get("config")));
    assert_eq!(marker.get_str("filename"), Ok("config://runs/1"));
    assert!(marker.get_object_id("file_id").is_ok());
    assert_eq!(stored.get_str("status"), Ok("COMPLETED"));

    let reader = reader(&db);
    let run = reader.get_run(&RunId::Int(1)).unwrap().unwrap();
    let config = run.get_document("config").unwrap();
    let optimizer = config.get_document("optimizer").unwrap();
    assert_eq!(optimizer.get_str("name"), Ok("adam"));
    let stored_betas = optimizer.get_array("betas").unwrap();
    assert_eq!(stored_betas.len(), betas.len());
    assert!(stored_betas.iter().all(|b| b == &Bson::Double(0.5)));
    assert_eq!(config.get_i32("steps"), Ok(3));
    assert_eq!(run.get_str("status"), Ok("COMPLETED"));
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    let loss = metrics.iter().find(|m| m.name == "training.loss").unwrap();
    assert_eq!(loss.steps, [0, 1, 2]);
    assert_eq!(
        reader.artifact(&RunId::Int(1), "model.bin").unwrap(),
        Some(b"\x00\x01weights".to_vec())
    );
}
