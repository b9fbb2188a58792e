//! End-to-end: the golden example runs as a process with `-m`, and the documents it leaves
//! in MongoDB are compared with the ones Python Sacred 0.8.7 wrote
//! (`tests/fixtures/sacred-0.8.7/mongo`), key by key and BSON type by type, for every
//! status. The server is the one `SACRED_TEST_MONGO_URL` names (the test command starts
//! one); without it these tests fail.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::{text, tmp};
use sacred::mongo::bson::{Bson, Document};
use sacred::mongo::read::{MongoReader, RunFilter};
use sacred::mongo::{MongoSpec, parse_spec};
use sacred::observer::RunId;
use sacred::serde_json::{self, Value, json};

/// The test server's URL; a test fails when there is none.
fn server() -> String {
    match std::env::var("SACRED_TEST_MONGO_URL") {
        Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
        _ => panic!(
            "SACRED_TEST_MONGO_URL is not set: run the tests with ./scripts/test.sh, which \
             starts a MongoDB-compatible server, or point it at a mongod"
        ),
    }
}

/// A database of its own for one test: `mongodb://…/<name>`.
struct Db {
    url: String,
    spec: MongoSpec,
}

impl Db {
    fn new(test: &str) -> Self {
        let name = format!("e2e_{test}_{}", std::process::id());
        let url = format!("{}/{name}", server());
        let spec = parse_spec(&url).unwrap_or_else(|e| panic!("{e}"));
        Self { url, spec }
    }

    fn reader(&self) -> MongoReader {
        MongoReader::connect(&self.spec)
            .unwrap_or_else(|e| panic!("the test server at {} does not answer: {e}", server()))
    }

    fn run(&self, id: i64) -> Document {
        self.reader()
            .get_run(&RunId::Int(id))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("run {id} is not stored"))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(reader) = MongoReader::connect(&self.spec) {
            let _ = reader.drop_database();
        }
    }
}

fn golden(args: &[&str], cwd: &Path) -> Output {
    common::run("golden", args, cwd)
}

/// Python Sacred's document for run `id` (1 completed, 2 failed, 3 interrupted).
fn reference(id: i64) -> Document {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sacred-0.8.7/mongo/runs.json");
    let runs: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let run = runs
        .as_array()
        .and_then(|a| a.iter().find(|r| r["_id"] == json!(id)))
        .cloned()
        .unwrap_or_else(|| panic!("no reference run {id}"));
    match Bson::try_from(run) {
        Ok(Bson::Document(d)) => d,
        other => panic!("reference run {id} is not a document: {other:?}"),
    }
}

/// BSON type names, with the integer widths kept apart (pymongo sends small ints as int32).
fn type_name(b: &Bson) -> String {
    format!("{:?}", b.element_type())
}

/// Every key of `reference` is in `ours` with the same BSON type, recursively (arrays by
/// their first elements). Python-only keys are skipped; flags given on only one of the two
/// command lines are null on the other side.
fn assert_same_shape(ours: &Bson, reference: &Bson, path: &str) {
    if path == "host.python_version" {
        return;
    }
    if path.starts_with("meta.options.") && (ours == &Bson::Null || reference == &Bson::Null) {
        return;
    }
    assert_eq!(
        type_name(ours),
        type_name(reference),
        "BSON type of `{path}`: ours {ours}, Sacred's {reference}"
    );
    match (ours, reference) {
        (Bson::Document(o), Bson::Document(r)) => {
            for (key, value) in r {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if child == "host.python_version" {
                    continue;
                }
                let Some(mine) = o.get(key) else {
                    panic!("`{child}` is missing; ours: {o}");
                };
                assert_same_shape(mine, value, &child);
            }
        }
        (Bson::Array(o), Bson::Array(r)) => {
            if let (Some(a), Some(b)) = (o.first(), r.first()) {
                assert_same_shape(a, b, &format!("{path}[0]"));
            }
        }
        _ => {}
    }
}

fn json_of(doc: &Document) -> Value {
    sacred::mongo::read::to_json(&Bson::Document(doc.clone()))
}

#[test]
fn a_completed_run_matches_sacreds_document() {
    let db = Db::new("completed");
    let dir = tmp();
    let out = golden(
        &[
            "-m",
            &db.url,
            "with",
            "lr=0.0001",
            "optimizer.name=sgd",
            "seed=42",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = db.run(1);
    assert_same_shape(
        &Bson::Document(run.clone()),
        &Bson::Document(reference(1)),
        "",
    );
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

    let reader = db.reader();
    assert_eq!(
        reader
            .artifact(&RunId::Int(1), "model.bin")
            .unwrap_or_else(|e| panic!("{e}")),
        Some(b"\x00\x01weights".to_vec())
    );
    let metrics = reader
        .metrics(&RunId::Int(1))
        .unwrap_or_else(|e| panic!("{e}"));
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
    let stored = reader
        .file(&golden_entry[1])
        .unwrap_or_else(|e| panic!("{e}"));
    let on_disk = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/golden.rs"))
        .unwrap_or_default();
    assert_eq!(stored, on_disk);
}

#[test]
fn failed_and_panicking_runs_match_sacreds_document() {
    let db = Db::new("failed");
    let dir = tmp();
    let out = golden(
        &["-m", &db.url, "with", "small", "mode=fail", "seed=7"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = golden(
        &["-m", &db.url, "with", "small", "mode=panic", "seed=7"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    for (id, needle) in [(1, "planned failure"), (2, "planned panic")] {
        let run = db.run(id);
        assert_same_shape(
            &Bson::Document(run.clone()),
            &Bson::Document(reference(2)),
            "",
        );
        let json = json_of(&run);
        assert_eq!(json["status"], "FAILED");
        let trace: String = json["fail_trace"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(trace.contains(needle), "{trace}");
        let out = db
            .reader()
            .captured_out(&RunId::Int(id))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.unwrap_or_default().contains(needle),
            "the output keeps the failure"
        );
    }
}

#[test]
fn an_interrupted_run_matches_sacreds_document() {
    let db = Db::new("interrupted");
    let dir = tmp();
    let mut command = common::example("golden", dir.path());
    command.args(["-m", &db.url, "with", "mode=wait", "seed=9"]);
    assert_eq!(common::interrupt_when_ready(&mut command, "INT"), Some(130));

    let run = db.run(1);
    assert_same_shape(
        &Bson::Document(run.clone()),
        &Bson::Document(reference(3)),
        "",
    );
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
    let db = Db::new("queued");
    let dir = tmp();
    let out = golden(
        &[
            "-m",
            &db.url,
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
    let run = db.run(1);
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
    let meta = run.get_document("meta").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(meta.get("queue_time"), Some(Bson::DateTime(_))),
        "{meta}"
    );
    assert_eq!(meta.get_str("comment").ok(), Some("to do later"));
    assert_eq!(meta.get("priority"), Some(&Bson::Double(2.0)));
}

#[test]
fn thirty_two_processes_at_once_get_distinct_ids() {
    let db = Db::new("ids");
    let dir = tmp();
    // A string id already in the collection never breaks allocation.
    let out = golden(
        &["-m", &db.url, "-i", "custom", "with", "steps=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let children: Vec<_> = (0..32)
        .map(|_| {
            common::example("golden", dir.path())
                .args(["-m", &db.url, "with", "steps=1"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let runs = db
        .reader()
        .list_runs(&RunFilter::default())
        .unwrap_or_else(|e| panic!("{e}"));
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
    let db = Db::new("given");
    let dir = tmp();
    let out = golden(
        &["-m", &db.url, "-i", "mine", "with", "steps=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = db
        .reader()
        .get_run(&RunId::Str("mine".into()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = golden(
        &["-m", &db.url, "-i", "mine", "with", "steps=2"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("mine"));
    let after = db
        .reader()
        .get_run(&RunId::Str("mine".into()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(before, after);
}

#[test]
fn a_password_never_reaches_a_record_or_a_message() {
    let db = Db::new("secret");
    let dir = tmp();
    let server = server();
    let with_password = server.replacen("mongodb://", "mongodb://alice:hunter2@", 1);
    let url = format!(
        "{with_password}/{}?serverSelectionTimeoutMS=3000",
        db.spec.database()
    );
    let out = golden(&["-m", &url, "-F", "fs", "with", "steps=1"], dir.path());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("hunter2"), "{all}");
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stored = db
        .reader()
        .get_run(&RunId::Int(1))
        .unwrap_or_else(|e| panic!("{e}"));
    match stored {
        // A server that accepts the credentials: the record has the URL masked.
        Some(run) => {
            let run = json_of(&run);
            assert!(!run.to_string().contains("hunter2"), "{run}");
            assert_eq!(
                run["meta"]["options"]["--mongo_db"],
                json!(url.replace("hunter2", "***"))
            );
        }
        // A server that refuses them: the observer's failure is reported, masked, and the
        // run itself goes on (recorded by the file storage observer).
        None => {
            assert!(
                all.contains("alice:***@") && all.contains("failed"),
                "{all}"
            );
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
    let db = Db::new("big");
    let dir = tmp();
    let out = golden(
        &["-m", &db.url, "-C", "fd", "with", "mode=spam"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        text(&out.stderr).chars().take(2000).collect::<String>()
    );
    let run = db.run(1);
    let size = sacred::mongo::bson::to_vec(&run)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    assert!(size < 4 * 1024 * 1024, "the run document is {size} bytes");
    let whole = db
        .reader()
        .captured_out(&RunId::Int(1))
        .unwrap_or_else(|e| panic!("{e}"))
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
    let db = Db::new("default");
    let dir = tmp();
    let out = common::example("golden", dir.path())
        .env("SACRED_MONGO_URL", &db.url)
        .args(["with", "steps=1"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Recording the run in MongoDB"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(db.run(1).get_str("status").ok(), Some("COMPLETED"));
    assert!(
        !dir.path().join("runs").exists(),
        "no file storage unless configured"
    );
}

#[test]
fn a_metric_past_one_document_keeps_every_point() {
    let db = Db::new("many");
    let dir = tmp();
    let out = golden(&["-m", &db.url, "with", "mode=many"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metrics = db
        .reader()
        .metrics(&RunId::Int(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let many = metrics
        .iter()
        .find(|m| m.name == "many.points")
        .unwrap_or_else(|| panic!("{:?}", metrics.iter().map(|m| &m.name).collect::<Vec<_>>()));
    assert_eq!(many.steps.len(), 250_000, "every point is read back");
    assert!(many.steps.iter().enumerate().all(|(i, s)| *s == i as i64));
    assert_eq!(many.values[249_999], 124_999.5);
}
