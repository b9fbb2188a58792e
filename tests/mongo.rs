//! End-to-end: the golden example runs as a process with `-m`, and the documents it leaves
//! in MongoDB are compared with the ones Python Sacred 0.8.7 wrote
//! (`tests/fixtures/sacred-0.8.7/mongo`), key by key and BSON type by type, for every
//! status. The server is the one `SACRED_TEST_MONGO_URL` names (the test command starts
//! one); without it these tests fail.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::{text, tmp};
use sacred::mongo::bson::{Bson, Document};
use sacred::mongo::parse_spec;
use sacred::mongo::read::{MongoReader, RunFilter};
use sacred::observer::RunId;
use sacred::serde_json::{Value, json};
use sacred_test_support::mongo::{MongoUrl, TestDb};
use sacred_test_support::{assert_same_shape, fixtures};

/// A reader of the test's database.
fn reader(db: &TestDb) -> MongoReader {
    let spec = parse_spec(db.url()).unwrap();
    MongoReader::connect(&spec).unwrap_or_else(|e| {
        let url = MongoUrl::parse(db.url()).masked();
        panic!("the test server at {url} does not answer: {e}")
    })
}

/// The run `id` of the test's database, read as `sacred::mongo::read` reads it.
fn stored_run(db: &TestDb, id: i64) -> Document {
    reader(db)
        .get_run(&RunId::Int(id))
        .unwrap()
        .unwrap_or_else(|| panic!("run {id} is not stored"))
}

fn golden(args: &[&str], cwd: &Path) -> Output {
    common::run("golden", args, cwd)
}

/// Python Sacred's document for run `id` (1 completed, 2 failed, 3 interrupted).
fn reference(id: i64) -> Document {
    fixtures::to_document(fixtures::reference_run(id))
}

fn json_of(doc: &Document) -> Value {
    sacred::mongo::read::to_json(&Bson::Document(doc.clone()))
}

#[test]
fn a_completed_run_matches_sacreds_document() {
    let db = TestDb::new("completed");
    let dir = tmp();
    let out = golden(
        &[
            "-m",
            db.url(),
            "with",
            "lr=0.0001",
            "optimizer.name=sgd",
            "seed=42",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = stored_run(&db, 1);
    assert_same_shape(&Bson::Document(run.clone()), &Bson::Document(reference(1)));
    assert_eq!(run.get("_id"), Some(&Bson::Int32(1)));
    let json = json_of(&run);
    assert_eq!(json["status"], "COMPLETED");
    assert_eq!(json["format"], "MongoObserver-0.7.0");
    assert_eq!(json["result"]["acc"], json!(0.7));
    assert_eq!(json["config"]["optimizer"]["name"], "sgd");
    assert_eq!(json["experiment"]["mainfile"], "examples/golden.rs");
    assert!(
        json["captured_out"]
            .as_str()
            .unwrap_or("")
            .contains("starting 32 0.0001 sgd")
    );
    let names: Vec<&str> = json["artifacts"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        names.contains(&"model.bin") && names.contains(&"summary.txt"),
        "{names:?}"
    );
    assert_eq!(json["resources"][0][1], "344fd2323dd33d5c058b7cf27de029e8");

    let reader = reader(&db);
    assert_eq!(
        reader.artifact(&RunId::Int(1), "model.bin").unwrap(),
        Some(b"\x00\x01weights".to_vec())
    );
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    let loss = metrics
        .iter()
        .find(|m| m.name == "training.loss")
        .unwrap_or_else(|| panic!("{metrics:?}"));
    assert_eq!(loss.steps, [0, 1, 2]);
    assert_eq!(loss.values, [1.0, 0.5, 1.0 / 3.0]);
    // info.metrics points at the metric documents, as Sacred's does.
    let refs = json["info"]["metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        refs.contains(&json!({"name": "training.loss", "id": loss.id})),
        "{refs:?}"
    );
    // Each source is stored once in GridFS, and its bytes are the file's.
    let sources = run
        .get_array("experiment.sources")
        .ok()
        .cloned()
        .or_else(|| {
            run.get_document("experiment")
                .ok()
                .and_then(|e| e.get_array("sources").ok().cloned())
        });
    let sources = sources.unwrap_or_default();
    let golden_entry = sources
        .iter()
        .filter_map(Bson::as_array)
        .find(|pair| pair.first().and_then(Bson::as_str) == Some("examples/golden.rs"))
        .cloned()
        .unwrap_or_else(|| panic!("{sources:?}"));
    let stored = reader.file(&golden_entry[1]).unwrap();
    let on_disk = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/golden.rs"))
        .unwrap_or_default();
    assert_eq!(stored, on_disk);
}

#[test]
fn a_collection_in_the_short_form_names_the_runs_collection_as_in_sacred() {
    // Python Sacred 0.8.7, `-m HOST:PORT:DB.myruns`: the run in `myruns`, its metrics in
    // `metrics`, the files in the bucket `fs` as `artifact://myruns/1/model.bin`. The short
    // form carries no credentials: this test needs a server that asks for none.
    let db = TestDb::new("collection");
    let host = MongoUrl::parse(db.url()).first_host();
    let arg = format!("{host}:{}.myruns", db.name());
    let dir = tmp();
    let out = golden(&["-m", &arg, "with", "seed=1"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(db.count("myruns", Document::new()), 1);
    assert_eq!(db.count("runs", Document::new()), 0);
    assert_eq!(db.count("myruns_runs", Document::new()), 0);
    assert_eq!(
        db.count("metrics", sacred::mongo::bson::doc! {"run_id": 1}),
        2
    );
    assert_eq!(db.count("myruns_metrics", Document::new()), 0);
    let files: Vec<String> = db
        .find("fs.files", Document::new())
        .iter()
        .filter_map(|f| f.get_str("filename").ok().map(str::to_owned))
        .collect();
    for artifact in ["model.bin", "summary.txt"] {
        let name = format!("artifact://myruns/1/{artifact}");
        assert!(files.contains(&name), "{name} not in {files:?}");
    }

    // The reader of the same argument finds all of it.
    let spec = parse_spec(&arg).unwrap();
    assert_eq!(spec.runs_collection(), "myruns");
    let reader = MongoReader::connect(&spec).unwrap();
    let run = reader.get_run(&RunId::Int(1)).unwrap().unwrap();
    assert_eq!(run.get_str("status").ok(), Some("COMPLETED"));
    // The packages compiled in, and beside them the direct ones.
    let json = json_of(&run);
    let listed = |key: &str| -> Vec<String> {
        json["experiment"][key]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .filter_map(|d| d.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (all, direct) = (listed("dependencies"), listed("direct_dependencies"));
    assert!(
        direct.iter().any(|d| d.starts_with("sacred-mongo==")),
        "{direct:?}"
    );
    assert!(
        direct.iter().all(|d| all.contains(d)),
        "{direct:?} not in {all:?}"
    );
    assert!(
        !all.iter().any(|d| d.starts_with("windows-sys==")),
        "{all:?}"
    );
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m.name == "training.loss" && m.steps == [0, 1, 2]),
        "{metrics:?}"
    );
    assert_eq!(
        reader.artifact(&RunId::Int(1), "model.bin").unwrap(),
        Some(b"\x00\x01weights".to_vec())
    );
    assert!(reader.captured_out(&RunId::Int(1)).unwrap().is_some());
}

#[test]
fn failed_and_panicking_runs_match_sacreds_document() {
    let db = TestDb::new("failed");
    let dir = tmp();
    let out = golden(
        &["-m", db.url(), "with", "small", "mode=fail", "seed=7"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = golden(
        &["-m", db.url(), "with", "small", "mode=panic", "seed=7"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    for (id, needle) in [(1, "planned failure"), (2, "planned panic")] {
        let run = stored_run(&db, id);
        assert_same_shape(&Bson::Document(run.clone()), &Bson::Document(reference(2)));
        let json = json_of(&run);
        assert_eq!(json["status"], "FAILED");
        let trace: String = json["fail_trace"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(trace.contains(needle), "{trace}");
        let out = reader(&db).captured_out(&RunId::Int(id)).unwrap();
        assert!(
            out.unwrap_or_default().contains(needle),
            "the output keeps the failure"
        );
    }
}

#[test]
fn an_interrupted_run_matches_sacreds_document() {
    let db = TestDb::new("interrupted");
    let dir = tmp();
    let mut command = common::example("golden", dir.path());
    command.args(["-m", db.url(), "with", "mode=wait", "seed=9"]);
    assert_eq!(common::interrupt_when_ready(&mut command, "INT"), Some(130));

    let run = stored_run(&db, 1);
    assert_same_shape(&Bson::Document(run.clone()), &Bson::Document(reference(3)));
    let json = json_of(&run);
    assert_eq!(json["status"], "INTERRUPTED");
    assert!(
        json["captured_out"]
            .as_str()
            .unwrap_or("")
            .contains("waiting for a signal")
    );
}

#[test]
fn a_queued_run_has_sacreds_queued_fields() {
    let db = TestDb::new("queued");
    let dir = tmp();
    let out = golden(
        &[
            "-m",
            db.url(),
            "-q",
            "-P",
            "2",
            "-c",
            "to do later",
            "with",
            "lr=0.2",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = stored_run(&db, 1);
    let mut keys: Vec<&str> = run.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "_id",
            "command",
            "config",
            "experiment",
            "host",
            "meta",
            "status"
        ]
    );
    assert_eq!(run.get_str("status").ok(), Some("QUEUED"));
    let meta = run.get_document("meta").unwrap();
    assert!(
        matches!(meta.get("queue_time"), Some(Bson::DateTime(_))),
        "{meta}"
    );
    assert_eq!(meta.get_str("comment").ok(), Some("to do later"));
    assert_eq!(meta.get("priority"), Some(&Bson::Double(2.0)));
}

#[test]
fn thirty_two_processes_at_once_get_distinct_ids() {
    let db = TestDb::new("ids");
    let dir = tmp();
    // A string id already in the collection never breaks allocation.
    let out = golden(
        &["-m", db.url(), "-i", "custom", "with", "steps=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let children: Vec<_> = (0..32)
        .map(|_| {
            common::example("golden", dir.path())
                .args(["-m", db.url(), "with", "steps=1"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let runs = reader(&db).list_runs(&RunFilter::default()).unwrap();
    let mut ids: Vec<Bson> = runs.iter().filter_map(|r| r.get("_id").cloned()).collect();
    assert_eq!(ids.len(), 33);
    ids.retain(|id| id != &Bson::String("custom".into()));
    let mut ints: Vec<i64> = ids
        .iter()
        .filter_map(|b| b.as_i32().map(i64::from).or(b.as_i64()))
        .collect();
    ints.sort_unstable();
    assert_eq!(ints, (1..=32).collect::<Vec<i64>>());
    assert!(
        runs.iter().all(|r| r.get("_id") != Some(&Bson::Null)),
        "no _id: null document"
    );
    assert!(
        runs.iter()
            .all(|r| r.get_str("status").ok() == Some("COMPLETED"))
    );
}

#[test]
fn a_given_id_that_exists_is_refused_and_kept() {
    let db = TestDb::new("given");
    let dir = tmp();
    let out = golden(
        &["-m", db.url(), "-i", "mine", "with", "steps=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = reader(&db).get_run(&RunId::Str("mine".into())).unwrap();
    let out = golden(
        &["-m", db.url(), "-i", "mine", "with", "steps=2"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("mine"));
    let after = reader(&db).get_run(&RunId::Str("mine".into())).unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_password_never_reaches_a_record_or_a_message() {
    let db = TestDb::new("secret");
    let dir = tmp();
    let url = MongoUrl::parse(db.url())
        .with_credentials("alice", "hunter2")
        .with_option("serverSelectionTimeoutMS", "3000")
        .to_string();
    let out = golden(&["-m", &url, "-F", "fs", "with", "steps=1"], dir.path());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("hunter2"), "{all}");
    let stored = reader(&db).get_run(&RunId::Int(1)).unwrap();
    match stored {
        // A server that accepts the credentials: the record has the URL masked.
        Some(run) => {
            assert_eq!(out.status.code(), Some(0), "{all}");
            let run = json_of(&run);
            assert!(!run.to_string().contains("hunter2"), "{run}");
            assert_eq!(
                run["meta"]["options"]["--mongo_db"],
                json!(url.replace("hunter2", "***"))
            );
        }
        // A server that refuses them: the observer's failure is reported, masked, the run
        // itself goes on (recorded by the file storage observer and the journal), and the
        // exit code says the record is incomplete.
        None => {
            assert!(
                all.contains("alice:***@") && all.contains("failed"),
                "{all}"
            );
            assert_eq!(out.status.code(), Some(3), "{all}");
            assert!(all.contains("kept in the journal"), "{all}");
        }
    }
    if dir.path().join("fs/1/run.json").exists() {
        let record = std::fs::read_to_string(dir.path().join("fs/1/run.json")).unwrap_or_default();
        assert!(!record.contains("hunter2"), "{record}");
        assert!(record.contains("alice:***@"), "{record}");
    }
    // An unreachable server: the error names it, masked.
    let out = golden(
        &[
            "-m",
            "mongodb://alice:hunter2@127.0.0.1:1/x?serverSelectionTimeoutMS=500&connectTimeoutMS=500",
            "with",
            "steps=1",
        ],
        dir.path(),
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("hunter2"), "{all}");
}

#[test]
fn big_output_keeps_the_document_small_and_the_whole_text() {
    let db = TestDb::new("big");
    let dir = tmp();
    let out = golden(
        &["-m", db.url(), "-C", "fd", "with", "mode=spam"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        text(&out.stderr).chars().take(2000).collect::<String>()
    );
    let run = stored_run(&db, 1);
    let size = sacred::mongo::bson::to_vec(&run)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    assert!(size < 4 * 1024 * 1024, "the run document is {size} bytes");
    let whole = reader(&db)
        .captured_out(&RunId::Int(1))
        .unwrap()
        .unwrap_or_default();
    let lines = whole
        .lines()
        .filter(|l| l.starts_with("spam line "))
        .count();
    assert_eq!(lines, SPAM_LINES, "every line of the output is kept");
    let tail = run.get_str("captured_out").unwrap_or_default();
    assert!(
        whole.ends_with(tail),
        "the document keeps the tail of the output"
    );
}

/// How many lines `mode=spam` prints (about 20 MB).
const SPAM_LINES: usize = 200_000;

#[test]
fn sacred_mongo_url_makes_mongodb_the_default() {
    let db = TestDb::new("default");
    let dir = tmp();
    let out = common::example("golden", dir.path())
        .env("SACRED_MONGO_URL", db.url())
        .args(["with", "steps=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Recording the run in MongoDB"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(stored_run(&db, 1).get_str("status").ok(), Some("COMPLETED"));
    assert!(
        !dir.path().join("runs").exists(),
        "no file storage unless configured"
    );
}

#[test]
fn a_metric_past_one_document_keeps_every_point() {
    let db = TestDb::new("many");
    let dir = tmp();
    let out = golden(&["-m", db.url(), "with", "mode=many"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metrics = reader(&db).metrics(&RunId::Int(1)).unwrap();
    let many = metrics
        .iter()
        .find(|m| m.name == "many.points")
        .unwrap_or_else(|| panic!("{:?}", metrics.iter().map(|m| &m.name).collect::<Vec<_>>()));
    assert_eq!(many.steps.len(), 250_000, "every point is read back");
    assert!(many.steps.iter().enumerate().all(|(i, s)| *s == i as i64));
    assert_eq!(many.values[249_999], 124_999.5);
}

/// A MongoDB server of this test alone (SecantusDB from the test environment), on a port
/// chosen before it starts, so that a run can meet it down and `sync` can meet it up.
struct OwnServer {
    child: Option<std::process::Child>,
    port: u16,
    data: tempfile::TempDir,
}

impl OwnServer {
    /// A free port and a data directory; nothing listens yet.
    fn down() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        Self {
            child: None,
            port,
            data: tmp(),
        }
    }

    fn url(&self, db: &str) -> String {
        format!(
            "mongodb://127.0.0.1:{}/{db}?serverSelectionTimeoutMS=1000",
            self.port
        )
    }

    /// Starts the server and waits until it answers.
    fn start(&mut self) {
        let ready = self.url("ping");
        self.start_with(&[], &ready);
    }

    /// Starts the server with `extra` flags and waits until `ready` answers.
    fn start_with(&mut self, extra: &[&str], ready: &str) {
        let python = common::servers::venv_python();
        let secantusd = python.with_file_name("secantusd-py");
        let child = std::process::Command::new(secantusd)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(self.data.path().join("db"))
            .args(["--cache-size", "128M", "--log-level", "WARNING"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let spec = parse_spec(ready).unwrap();
        for _ in 0..60 {
            if MongoReader::connect(&spec)
                .and_then(|r| r.list_runs(&RunFilter::default()))
                .is_ok()
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!(
            "the test's own SecantusDB on port {} never answered",
            self.port
        );
    }

    /// Stops the server as an operator would (SIGTERM), and waits for it to exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn a_run_meets_the_server_down_and_sync_stores_it_once_it_is_up() {
    let mut server = OwnServer::down();
    let url = server.url("synced");
    let dir = tmp();
    let out = golden(&["-m", &url, "with", "steps=5"], dir.path());
    let stderr = text(&out.stderr);
    // The body ran at once and completed; the record is incomplete, and the run says how
    // to send it.
    assert!(stderr.contains("Result: {\"acc\": 0.7"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("golden sync "), "{stderr}");

    // The server is back: `sync` alone sends the run where it was meant to go.
    server.start();
    let out = golden(&["sync"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Sent run 1 (10 metric points, "),
        "{stderr}"
    );
    let spec = parse_spec(&url).unwrap();
    let reader = MongoReader::connect(&spec).unwrap();
    let run = reader
        .get_run(&RunId::Int(1))
        .unwrap()
        .expect("run 1 stored");
    let run = json_of(&run);
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!(run["result"]["acc"], json!(0.7), "{run}");
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    let loss = metrics
        .iter()
        .find(|m| m.name == "training.loss")
        .expect("training.loss");
    assert_eq!(loss.steps, [0, 1, 2, 3, 4]);
    assert!(
        reader
            .captured_out(&RunId::Int(1))
            .unwrap()
            .unwrap_or_default()
            .contains("starting 32 0.001 adam")
    );
    // Twice is safe: nothing more is sent, no second run appears.
    let out = golden(&["sync"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(reader.get_run(&RunId::Int(2)).unwrap().is_none());
}

#[test]
fn a_server_lost_mid_run_gets_the_whole_run_from_sync() {
    let mut server = OwnServer::down();
    server.start();
    let url = server.url("midrun");
    let dir = tmp();
    let mut command = common::example("golden", dir.path());
    command.args(["-m", &url, "-b", "0.1", "with", "mode=wait", "steps=4"]);
    let code = common::signal_after(&mut command, "INT", |_| {
        // Part of the run is stored; then the server goes away until after the run.
        std::thread::sleep(std::time::Duration::from_millis(500));
        server.stop();
        std::thread::sleep(std::time::Duration::from_millis(300));
    });
    assert_eq!(code, Some(130));
    server.start();
    let spec = parse_spec(&url).unwrap();
    let reader = MongoReader::connect(&spec).unwrap();
    let part = json_of(
        &reader
            .get_run(&RunId::Int(1))
            .unwrap()
            .expect("part of run 1"),
    );
    assert_eq!(
        part["status"], "RUNNING",
        "the server kept the part it got: {part}"
    );
    let out = golden(&["sync"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("replacing the part of it that was stored there"),
        "{stderr}"
    );
    let run = json_of(&reader.get_run(&RunId::Int(1)).unwrap().expect("run 1"));
    assert_eq!(run["status"], "INTERRUPTED", "{run}");
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    let loss = metrics
        .iter()
        .find(|m| m.name == "training.loss")
        .expect("training.loss");
    assert_eq!(loss.steps, [0, 1, 2, 3], "each point once");
    assert_eq!(
        metrics.iter().filter(|m| m.name == "training.loss").count(),
        1
    );
    assert!(
        reader
            .captured_out(&RunId::Int(1))
            .unwrap()
            .unwrap_or_default()
            .contains("waiting for a signal")
    );
    assert!(reader.get_run(&RunId::Int(2)).unwrap().is_none());
}

#[test]
fn scram_credentials_work_a_wrong_password_is_refused_clearly_and_sync_sends_later() {
    const PASSWORD: &str = "Hunter2-s3cret";
    let mut server = OwnServer::down();
    server.start();
    // Users are made without --auth, then the server restarts with it.
    let made = std::process::Command::new(common::servers::venv_python())
        .args([
            "-c",
            "import sys, pymongo\n\
             c = pymongo.MongoClient(sys.argv[1])\n\
             c.admin.command('createUser', 'alice', pwd=sys.argv[2], roles=['root'])",
            &server.url("admin"),
            PASSWORD,
        ])
        .status()
        .unwrap();
    assert!(made.success());
    server.stop();
    let with_password = |password: &str| {
        format!(
            "mongodb://alice:{password}@127.0.0.1:{}/scram?authSource=admin&\
             serverSelectionTimeoutMS=2000",
            server.port
        )
    };
    let good = with_password(PASSWORD);
    let wrong = with_password("not-the-password");
    server.start_with(&["--auth"], &good);
    let dir = tmp();

    // The right password: stored, and the password is nowhere.
    let out = golden(&["-m", &good, "with", "steps=2"], dir.path());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains(PASSWORD), "{all}");
    let reader = MongoReader::connect(&parse_spec(&good).unwrap()).unwrap();
    let run = json_of(&reader.get_run(&RunId::Int(1)).unwrap().expect("run 1"));
    assert!(!run.to_string().contains(PASSWORD), "{run}");
    assert_eq!(
        run["meta"]["options"]["--mongo_db"],
        json!(good.replace(PASSWORD, "***"))
    );

    // A wrong password: one readable line, masked; the run completes into its journal.
    let out = golden(&["-m", &wrong, "with", "steps=2"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");
    assert!(stderr.contains("alice:***@"), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("auth"),
        "the cause is named: {stderr}"
    );
    // `sync` alone cannot know the password: it says to give -m.
    let out = golden(&["sync"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("give it with -F or -m"), "{stderr}");
    // With the right password given again, the run is stored and the journal goes.
    let out = golden(&["sync", "-m", &good], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let run = json_of(&reader.get_run(&RunId::Int(2)).unwrap().expect("run 2"));
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert!(
        std::fs::read_dir(dir.path().join(".sacred/journal"))
            .unwrap()
            .next()
            .is_none(),
        "the journal is removed"
    );
}

/// Runs `openssl` with `args` in `dir`; panics with its output when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("these tests make their certificates with openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// A certificate authority (`<name>.pem`, `<name>.key`) in `dir`.
fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

#[test]
fn tls_with_the_right_ca_works_and_a_wrong_ca_or_a_plain_server_is_refused_clearly() {
    let certs = tmp();
    let dir = certs.path();
    make_ca(dir, "ca");
    make_ca(dir, "other-ca");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
    );
    let url = |port: u16, ca: &str| {
        format!(
            "mongodb://127.0.0.1:{port}/tlsruns?tls=true&tlsCAFile={}&serverSelectionTimeoutMS=2000",
            dir.join(ca).display()
        )
    };

    // TLS to a plain server: refused, in one readable line.
    let mut plain = OwnServer::down();
    plain.start();
    let runs = tmp();
    let out = golden(
        &["-m", &url(plain.port, "ca.pem"), "with", "steps=1"],
        runs.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot connect to MongoDB"), "{stderr}");
    drop(plain);

    let mut server = OwnServer::down();
    let good = url(server.port, "ca.pem");
    let cert = dir.join("server.pem").display().to_string();
    let key = dir.join("server.key").display().to_string();
    server.start_with(&["--tls-cert-file", &cert, "--tls-key-file", &key], &good);
    // The right CA: stored.
    let out = golden(&["-m", &good, "with", "steps=1"], runs.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reader = MongoReader::connect(&parse_spec(&good).unwrap()).unwrap();
    let run = json_of(&reader.get_run(&RunId::Int(1)).unwrap().expect("run 1"));
    assert_eq!(run["status"], "COMPLETED");
    // A CA that did not sign the server's certificate: refused, and said why.
    let out = golden(
        &["-m", &url(server.port, "other-ca.pem"), "with", "steps=1"],
        runs.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "the cause is named: {stderr}"
    );
}

#[test]
fn a_server_away_for_a_while_mid_run_gets_the_whole_run_without_sync() {
    // A short outage in a ten-second run: the run has seconds to spare after the server is
    // back, however slowly it restarts.
    let (logged, stored) = outage(
        10,
        std::time::Duration::from_secs(1),
        std::time::Duration::from_millis(1500),
    );
    assert_eq!((logged, stored), (100, 100));
}

/// Runs `golden with mode=steady steps=SECONDS` against a server of its own that is
/// stopped `after` the run is under way and started again `away` later; checks that the
/// run ends complete, without `sync`: every point and every line of output once, and the
/// final status. Returns the points logged and stored.
fn outage(seconds: u32, after: std::time::Duration, away: std::time::Duration) -> (usize, usize) {
    let mut server = OwnServer::down();
    server.start();
    let url = server.url("outage");
    let dir = tmp();
    let mut command = common::example("golden", dir.path());
    command
        .args(["-m", &url, "-b", "0.5", "with", "mode=steady"])
        .arg(format!("steps={seconds}"));
    let (code, stderr) = common::when_ready(&mut command, |_| {
        std::thread::sleep(after);
        server.stop();
        std::thread::sleep(away);
        server.start();
    });
    assert_eq!(code, Some(0), "{stderr}");
    // Lost while the run went on, back while it still did: tried again until it was.
    assert!(
        stderr.contains("failed: cannot connect to MongoDB"),
        "{stderr}"
    );
    assert!(
        stderr.contains("is back: it has run 1 again, whole up to now, from the journal"),
        "{stderr}"
    );
    let back = stderr.find("is back").unwrap_or_default();
    assert!(
        stderr[back..].contains("Completed after"),
        "the store came back before the run ended: {stderr}"
    );
    let reader = MongoReader::connect(&parse_spec(&url).unwrap()).unwrap();
    let run = json_of(&reader.get_run(&RunId::Int(1)).unwrap().expect("run 1"));
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert!(reader.get_run(&RunId::Int(2)).unwrap().is_none());
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    assert_eq!(
        metrics.iter().filter(|m| m.name == "steady").count(),
        1,
        "one series"
    );
    let steady = metrics.iter().find(|m| m.name == "steady").expect("steady");
    let logged = (seconds * 10) as usize;
    assert_eq!(
        steady.steps,
        (0..logged as i64).collect::<Vec<i64>>(),
        "every point, once, in order"
    );
    let output = reader
        .captured_out(&RunId::Int(1))
        .unwrap()
        .unwrap_or_default();
    for second in 0..seconds {
        assert_eq!(
            output.matches(&format!("second {second}\n")).count(),
            1,
            "line {second} once: {output}"
        );
    }
    assert!(
        std::fs::read_dir(dir.path().join(".sacred/journal"))
            .unwrap()
            .next()
            .is_none(),
        "nothing left to sync"
    );
    (logged, steady.steps.len())
}

#[test]
fn a_server_stopped_15_s_mid_run_gets_every_point_once_without_sync() {
    let (logged, stored) = outage(
        35,
        std::time::Duration::from_secs(3),
        std::time::Duration::from_secs(15),
    );
    assert_eq!((logged, stored), (350, 350));
}

#[test]
fn a_server_stopped_60_s_mid_run_gets_every_point_once_without_sync() {
    let (logged, stored) = outage(
        80,
        std::time::Duration::from_secs(3),
        std::time::Duration::from_secs(60),
    );
    assert_eq!((logged, stored), (800, 800));
}

#[test]
fn odd_metric_names_and_output_that_is_not_utf8_are_stored() {
    let db = TestDb::new("odd");
    let dir = tmp();
    let out = golden(&["-m", db.url(), "with", "mode=odd"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reader = reader(&db);
    let metrics = reader.metrics(&RunId::Int(1)).unwrap();
    for (name, value) in [("$loss", 0.0), ("val.acc", 1.0), ("", 2.0)] {
        let series = metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name:?} stored"));
        assert_eq!(series.values, [value], "{name:?}");
    }
    let output = reader
        .captured_out(&RunId::Int(1))
        .unwrap()
        .unwrap_or_default();
    // (Standard error's lines may land between standard output's: captured apart.)
    let odd = output.find("caf\u{fffd} \u{fffd}\u{fffd} bytes\n");
    let after = output.find("after the bytes\n");
    assert!(odd.is_some() && after.is_some() && odd < after, "{output}");
}

#[test]
fn an_unknown_host_is_one_clear_line_and_the_run_goes_to_its_journal() {
    let dir = tmp();
    let url = "mongodb://no-such-host.invalid:27017/db?serverSelectionTimeoutMS=1000";
    let out = golden(&["-m", url], dir.path());
    let stderr = text(&out.stderr);
    // The body ran; the record is incomplete, and the run says how to send it.
    assert!(text(&out.stdout).contains("starting 32"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let failure = stderr
        .lines()
        .find(|l| l.starts_with("ERROR") && l.contains("failed:"))
        .unwrap_or_default();
    assert!(
        failure.contains("no-such-host.invalid") && failure.contains("lookup address"),
        "the host and the cause are named: {stderr}"
    );
    assert!(failure.len() < 600, "one readable line: {failure}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("golden sync "), "{stderr}");
}
