//! The `runs` commands on MongoDB (the test server, `SACRED_TEST_MONGO_URL`): the runs
//! Python Sacred 0.8.7's MongoObserver wrote (`tests/fixtures/sacred-0.8.7/mongo`), runs
//! this crate's golden example wrote, and a server that is down. Without a server these
//! tests fail, never skip.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::runs::{golden, ids, ok, runs, words_of};
use common::{text, tmp};
use sacred::mongo::bson::oid::ObjectId;
use sacred::mongo::bson::{DateTime, doc};
use sacred::serde_json::{self, Value};
use sacred_test_support::fixtures;
use sacred_test_support::mongo::TestDb;

/// A database holding Python Sacred's runs 1 (completed), 2 (failed), 3 (interrupted),
/// their metrics and their GridFS file entries.
fn python_db(test: &str) -> TestDb {
    let db = TestDb::new(test);
    for (collection, file) in [
        ("runs", "runs"),
        ("metrics", "metrics"),
        ("fs.files", "fs.files"),
    ] {
        for document in fixtures::reference_documents(&format!("mongo/{file}.json")) {
            db.insert(collection, document);
        }
    }
    db
}

#[test]
fn every_command_reads_python_sacreds_mongo_runs() {
    let db = python_db("runs_python");
    let dir = tmp();
    let cwd = dir.path();
    let url = db.url();
    let list = ok(cwd, &["ls", "-m", url]);
    assert_eq!(ids(&list), ["3", "2", "1"], "{list}");
    assert!(
        list.lines().next().unwrap().contains("optimizer.name"),
        "{list}"
    );
    assert!(
        list.contains("INTERRUPTED") && list.contains("FAILED"),
        "{list}"
    );
    assert_eq!(
        ids(&ok(cwd, &["ls", "-m", url, "--status", "failed"])),
        ["2"]
    );
    assert_eq!(
        ids(&ok(cwd, &["ls", "-m", url, "--where", "lr<0.001"])),
        ["1"]
    );
    assert_eq!(ids(&ok(cwd, &["ls", "-m", url, "-n", "2"])), ["3", "2"]);
    let json: Value = serde_json::from_str(&ok(cwd, &["ls", "-m", url, "--json"])).unwrap();
    assert_eq!(json[2]["config"]["optimizer"]["name"], "sgd");
    // Times as ISO 8601, BSON dates read back.
    assert_eq!(
        json[2]["start_time"],
        fixtures::reference_run(1)["start_time"]["$date"]
    );

    let show = ok(cwd, &["show", "2", "-m", url]);
    assert!(show.starts_with("Run 2 · golden · FAILED\n"), "{show}");
    assert!(show.contains("  ValueError: planned failure\n"), "{show}");
    assert!(show.contains("Python 3.11.7"), "{show}");
    assert_eq!(
        words_of(&show, "training.loss")[..5],
        ["training.loss", "3", "0.3333", "0.3333", "1"],
        "{show}"
    );
    assert!(show.contains("Artifacts:\n  model.bin  9 B\n"), "{show}");

    let diff = ok(cwd, &["diff", "1", "3", "-m", url]);
    assert!(
        diff.contains("optimizer.name") && diff.contains("sgd") && diff.contains("adam"),
        "{diff}"
    );
    let csv = ok(cwd, &["metrics", "1", "training.acc", "--csv", "-m", url]);
    assert_eq!(
        csv,
        "metric,step,value,timestamp\n\
         training.acc,0,0.5,2026-11-27T22:03:04.694000\n\
         training.acc,1,0.6,2026-11-27T22:03:04.694000\n\
         training.acc,2,0.7,2026-11-27T22:03:04.694000\n"
    );
    let export = ok(cwd, &["export", "-m", url]);
    assert_eq!(export.lines().count(), 4, "{export}");
    assert!(
        export
            .lines()
            .next()
            .unwrap()
            .contains("training.loss.last"),
        "{export}"
    );
    ok(cwd, &["plot", "training.loss", "-m", url, "-o", "loss.png"]);
    assert!(cwd.join("loss.png").metadata().unwrap().len() > 5_000);

    let missing = runs(cwd, &["show", "9", "-m", url]).unwrap_err();
    assert_eq!(missing.exit_code(), 2);
    assert!(
        missing
            .to_string()
            .starts_with("no run `9` in MongoDB mongodb://"),
        "{missing}"
    );

    // rm: the run, its metrics and its artifact's file go; the other runs and the shared
    // source files stay.
    let sources_before = db.count(
        "fs.files",
        doc! { "filename": "/home/user/golden/golden_exp.py" },
    );
    let out = ok(cwd, &["rm", "2", "--yes", "-m", url]);
    assert!(out.starts_with("removed run 2 from MongoDB"), "{out}");
    assert_eq!(db.count("runs", doc! {}), 2);
    assert_eq!(db.count("runs", doc! { "_id": 2 }), 0);
    assert_eq!(db.count("metrics", doc! { "run_id": 2 }), 0);
    assert_eq!(db.count("metrics", doc! { "run_id": 1 }), 2);
    assert_eq!(
        db.count(
            "fs.files",
            doc! { "filename": "artifact://runs/2/model.bin" }
        ),
        0
    );
    assert_eq!(
        db.count(
            "fs.files",
            doc! { "filename": "artifact://runs/1/model.bin" }
        ),
        1
    );
    assert_eq!(
        db.count(
            "fs.files",
            doc! { "filename": "/home/user/golden/golden_exp.py" }
        ),
        sources_before
    );
    assert_eq!(ids(&ok(cwd, &["ls", "-m", url])), ["3", "1"]);
}

#[test]
fn a_document_that_is_no_run_is_listed_as_corrupt() {
    let db = python_db("runs_corrupt");
    db.insert(
        "runs",
        doc! { "_id": 4, "status": "COMPLETED", "config": "not a document" },
    );
    let dir = tmp();
    let list = ok(dir.path(), &["ls", "-m", db.url()]);
    let row = list
        .lines()
        .find(|l| l.starts_with('4'))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        row.contains("CORRUPT") && row.contains("`config` holds"),
        "{list}"
    );
    assert_eq!(ids(&list).len(), 4, "{list}");
}

#[test]
fn show_sizes_every_artifact_and_names_the_missing_ones() {
    let db = python_db("runs_artifacts");
    let stored = ObjectId::parse_str("6b09fe1a528f2849a4e4bb70").unwrap();
    db.insert(
        "fs.files",
        doc! {
            "_id": "by-name", "filename": "notes.txt", "chunkSize": 261_120,
            "length": 2048_i64, "uploadDate": DateTime::now(),
        },
    );
    db.update(
        "runs",
        doc! { "_id": 2 },
        doc! { "$set": { "artifacts": [
            { "name": "model.bin", "file_id": stored },
            { "name": "gone.bin", "file_id": ObjectId::new() },
            { "name": "notes.txt", "file_id": "by-name" },
            { "name": "unsaved.txt" },
            "no artifact",
        ] } },
    );
    let dir = tmp();
    let show = ok(dir.path(), &["show", "2", "-m", db.url()]);
    let artifacts = &show[show
        .find("Artifacts:\n")
        .unwrap_or_else(|| panic!("{show}"))..];
    assert_eq!(
        artifacts.lines().take(5).collect::<Vec<_>>(),
        [
            "Artifacts:",
            "  model.bin    9 B",
            "  gone.bin     missing",
            "  notes.txt    2.0 KiB",
            "  unsaved.txt  missing",
        ],
        "{show}"
    );
}

#[test]
fn an_experiment_binary_reads_and_removes_its_runs_in_mongo() {
    let db = TestDb::new("runs_rust");
    let dir = tmp();
    let cwd = dir.path();
    let url = db.url();
    golden(cwd, &["-m", url, "with", "lr=0.01"], 0);
    golden(cwd, &["-m", url, "with", "lr=0.1", "steps=4"], 0);
    let list = text(&golden(cwd, &["runs", "ls", "-m", url], 0).stdout);
    assert_eq!(ids(&list), ["2", "1"], "{list}");
    assert!(list.lines().next().unwrap().contains("steps"), "{list}");
    let show = text(&golden(cwd, &["runs", "show", "2", "-m", url], 0).stdout);
    assert!(show.starts_with("Run 2 · golden · COMPLETED\n"), "{show}");
    assert_eq!(
        words_of(&show, "training.loss")[..5],
        ["training.loss", "4", "0.25", "0.25", "1"],
        "{show}"
    );
    assert_eq!(
        words_of(&show, "model.bin"),
        ["model.bin", "9", "B"],
        "{show}"
    );
    let diff = text(&golden(cwd, &["runs", "diff", "1", "2", "-m", url], 0).stdout);
    assert!(diff.contains("0.01") && diff.contains("0.1"), "{diff}");
    golden(cwd, &["runs", "rm", "1", "--yes", "-m", url], 0);
    assert_eq!(db.count("runs", doc! {}), 1);
    assert_eq!(db.count("metrics", doc! { "run_id": 1 }), 0);
    assert_eq!(
        db.count(
            "fs.files",
            doc! { "filename": { "$regex": "^(artifact|captured_out)://runs/1(/|$)" } }
        ),
        0
    );
    assert!(
        db.count(
            "fs.files",
            doc! { "filename": { "$regex": "^artifact://runs/2/" } }
        ) > 0
    );
}

#[test]
fn a_server_that_is_down_is_named_with_a_non_zero_exit() {
    let dir = tmp();
    let url = "mongodb://user:secret@127.0.0.1:9/research?serverSelectionTimeoutMS=300";
    let error = runs(dir.path(), &["ls", "-m", url]).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("`-m mongodb://user:***@127.0.0.1:9/research"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
    assert_eq!(error.exit_code(), 1);
}
