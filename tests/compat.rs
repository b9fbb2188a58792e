//! Compatibility: the runs the MongoDB observer writes are read by the tools Sacred's users
//! read runs with, run for real against a MongoDB server: Omniboard 2.16.1 (through the REST
//! API its web UI calls, with the requests the UI makes) and incense 0.0.15 (through its
//! Python API, `scripts/incense_check.py`).
//!
//! The same checks run on the runs Python Sacred 0.8.7 wrote (its documents, from
//! `tests/fixtures/sacred-0.8.7/mongo`, inserted as they are), which shows that the checks
//! and the tools' setup hold, and on the runs of the golden example (`-m`).
//!
//! Needs `SACRED_TEST_MONGO_URL`, `SACRED_TEST_OMNIBOARD` and `SACRED_TEST_VENV`, which
//! `scripts/test-env.sh` (run by `./scripts/test.sh`) installs, starts and exports.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::servers::{API, Omniboard, incense, insert_reference_runs};
use common::{text, tmp};
use sacred::serde_json::{Value, json};
use sacred_test_support::fixtures;
use sacred_test_support::mongo::TestDb;
use sacred_test_support::percent_encode;

/// The columns Omniboard's run list asks for (its `_buildRunsQuery` with no saved column
/// settings), as its web UI sends them: `GET /api/v1/Runs?select=…&sort_by=_id&order_by=-1
/// &query={}&limit=200`. From `duration` and `status` the server computes the duration
/// (`heartbeat - start_time`) and the status (`PROBABLY_DEAD` for a stale `RUNNING` run).
const LIST_SELECT: &str = "_id,heartbeat,experiment,command,host,stop_time,config,duration,\
                           result,start_time,resources,format,status,omniboard,metrics,meta";

/// The columns of Omniboard's run detail view (`GET /api/v1/Runs/ID?select=…`).
const DETAIL_SELECT: &str =
    "captured_out,info,meta,host,experiment,artifacts,config,fail_trace,status";

/// What a database holds and the checks expect.
struct Expected {
    /// How many runs the database holds.
    runs: u64,
    /// The id of the COMPLETED run and of the FAILED one.
    completed: i64,
    failed: i64,
    /// Config entries of each (the config may have more).
    completed_config: Value,
    failed_config: Value,
    /// The source whose name ends so, and its bytes.
    source_suffix: &'static str,
    source: Vec<u8>,
    /// The artifacts of the completed run and their bytes.
    artifacts: Vec<(&'static str, Vec<u8>)>,
}

fn golden_source() -> Vec<u8> {
    read_bytes(&common::servers::root().join("examples/golden.rs"))
}

fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `value` has every entry of `subset` (objects recursively, numbers within 1e-12).
fn assert_contains(value: &Value, subset: &Value, what: &str) {
    match (value, subset) {
        (Value::Object(v), Value::Object(s)) => {
            for (key, expected) in s {
                let Some(actual) = v.get(key) else {
                    panic!("{what}: `{key}` is missing in {value}");
                };
                assert_contains(actual, expected, &format!("{what}.{key}"));
            }
        }
        (Value::Array(v), Value::Array(s)) => {
            assert_eq!(v.len(), s.len(), "{what}: {value} vs {subset}");
            for (i, (a, e)) in v.iter().zip(s).enumerate() {
                assert_contains(a, e, &format!("{what}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64(), e.as_f64());
            assert!(
                matches!((a, e), (Some(a), Some(e)) if (a - e).abs() <= 1e-12),
                "{what}: {a:?}, expected {e:?}"
            );
        }
        _ => assert_eq!(value, subset, "{what}"),
    }
}

fn as_array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not an array: {value}"))
}

/// A date as Omniboard's API serves a BSON date: ISO 8601 in UTC with milliseconds.
fn assert_date(value: &Value, what: &str) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a date: {value}"));
    let b = s.as_bytes();
    let ok = s.len() == 24
        && s.ends_with('Z')
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.';
    assert!(
        ok,
        "{what}: {s:?} is not a BSON date as Omniboard serves it"
    );
}

/// The (steps, values) of a metric document, which must have a timestamp per step.
fn steps_values(metric: &Value) -> (Vec<i64>, Vec<f64>) {
    let name = &metric["name"];
    let steps: Vec<i64> = as_array(&metric["steps"], "steps")
        .iter()
        .map(|s| {
            s.as_i64()
                .unwrap_or_else(|| panic!("metric {name}: step {s} is not an integer"))
        })
        .collect();
    let values: Vec<f64> = as_array(&metric["values"], "values")
        .iter()
        .map(|v| {
            v.as_f64()
                .unwrap_or_else(|| panic!("metric {name}: value {v} is not a number"))
        })
        .collect();
    let stamps = as_array(&metric["timestamps"], "timestamps");
    assert_eq!(stamps.len(), steps.len(), "metric {name}: timestamps");
    for t in stamps {
        assert_date(t, &format!("metric {name}: timestamp"));
    }
    (steps, values)
}

fn assert_close(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() < 1e-12,
            "{what}: {actual:?}, expected {expected:?}"
        );
    }
}

const LOSS: [f64; 3] = [1.0, 0.5, 1.0 / 3.0];
const ACC: [f64; 3] = [0.5, 0.6, 0.7];

/// Everything Omniboard shows of the runs: the run list with its status and duration
/// columns, the status filter, a run's detail view, its metrics, sources and artifacts.
fn check_omniboard(ob: &Omniboard, db: &str, e: &Expected) {
    // The database Omniboard serves.
    let databases = ob.get_json("/api/v1/databases");
    assert_eq!(
        databases,
        json!([{ "key": "default", "path": "/sacred", "name": db }])
    );

    // The run count above the list.
    let count = ob.get_json(&format!("{API}/Runs/count"));
    assert_eq!(count, json!({ "count": e.runs }), "Runs/count");

    // The run list, as the UI asks for it.
    let list_path = format!(
        "{API}/Runs?select={}&sort_by=_id&order_by=-1&query={}&limit=200",
        percent_encode(LIST_SELECT),
        percent_encode("{}")
    );
    let list = ob.get_json(&list_path);
    let rows = as_array(&list, "the run list");
    assert_eq!(rows.len() as u64, e.runs, "the run list: {list}");
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| {
            r["_id"]
                .as_i64()
                .unwrap_or_else(|| panic!("the run list: _id {} is not an integer", r["_id"]))
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "the run list is sorted by _id, newest first");
    for (id, status, config) in [
        (e.completed, "COMPLETED", &e.completed_config),
        (e.failed, "FAILED", &e.failed_config),
    ] {
        let what = format!("the run list, run {id}");
        let row = rows
            .iter()
            .find(|r| r["_id"] == json!(id))
            .unwrap_or_else(|| panic!("{what} is missing: {list}"));
        assert_eq!(row["status"], status, "{what}: status");
        assert_eq!(
            row["experiment"]["name"], "golden",
            "{what}: experiment name"
        );
        assert_eq!(row["command"], "main", "{what}: command");
        assert!(
            row["format"]
                .as_str()
                .is_some_and(|f| f.starts_with("MongoObserver-")),
            "{what}: format {}",
            row["format"]
        );
        assert!(
            row["host"]["hostname"]
                .as_str()
                .is_some_and(|h| !h.is_empty()),
            "{what}: host.hostname {}",
            row["host"]
        );
        assert_contains(&row["config"], config, &format!("{what}: config"));
        assert!(row["meta"].is_object(), "{what}: meta {}", row["meta"]);
        for column in ["start_time", "heartbeat", "stop_time"] {
            assert_date(&row[column], &format!("{what}: {column}"));
        }
        // The duration column: heartbeat - start_time, in milliseconds.
        let duration = row["duration"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: duration {} is not a number", row["duration"]));
        assert!(
            (0.0..600_000.0).contains(&duration),
            "{what}: duration {duration}"
        );
        if status == "COMPLETED" {
            assert_contains(&row["result"], &json!({ "acc": 0.7 }), &what);
        } else {
            assert!(row["result"].is_null(), "{what}: result {}", row["result"]);
        }
    }

    // The status filter of the list.
    let completed_only = ob.get_json(&format!(
        "{API}/Runs?select={}&sort_by=_id&order_by=-1&query={}&limit=200",
        percent_encode(LIST_SELECT),
        percent_encode(r#"{"$and":[{"$or":[{"status":{"$eq":"COMPLETED"}}]}]}"#)
    ));
    let completed_ids: Vec<&Value> = as_array(&completed_only, "COMPLETED runs")
        .iter()
        .map(|r| &r["_id"])
        .collect();
    assert_eq!(completed_ids, [&json!(e.completed)], "the COMPLETED filter");
    let count = ob.get_json(&format!(
        "{API}/Runs/count?query={}",
        percent_encode(r#"{"status":{"$eq":"FAILED"}}"#)
    ));
    assert_eq!(count, json!({ "count": 1 }), "Runs/count of FAILED runs");

    for id in [e.completed, e.failed] {
        check_run_detail(ob, id, e);
    }
}

/// A run's detail view: the run, its metrics (the graphs), its sources and its artifacts.
fn check_run_detail(ob: &Omniboard, id: i64, e: &Expected) {
    let completed = id == e.completed;
    let what = format!("run {id}");
    let run = ob.get_json(&format!(
        "{API}/Runs/{id}?select={}",
        percent_encode(DETAIL_SELECT)
    ));
    assert_eq!(run["_id"], json!(id), "{what}: {run}");
    let config = if completed {
        &e.completed_config
    } else {
        &e.failed_config
    };
    assert_contains(&run["config"], config, &format!("{what}: config"));
    assert_eq!(
        run["status"],
        if completed { "COMPLETED" } else { "FAILED" },
        "{what}: status"
    );
    assert_eq!(run["meta"]["command"], "main", "{what}: meta.command");
    // (Python Sacred loses a failed run's output: only the completed run's is checked.)
    assert!(
        run["captured_out"]
            .as_str()
            .is_some_and(|c| !completed || c.contains("starting")),
        "{what}: captured_out {}",
        run["captured_out"]
    );
    if completed {
        assert!(run["fail_trace"].is_null(), "{what}: fail_trace");
    } else {
        let trace: String = as_array(&run["fail_trace"], "fail_trace")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(trace.contains("planned failure"), "{what}: {trace}");
    }

    // The metrics, as the detail view asks for them (the run id as a string).
    let metrics = ob.get_json(&format!(
        "{API}/Metrics?query={}",
        percent_encode(&format!(r#"{{"run_id":"{id}"}}"#))
    ));
    let metrics = as_array(&metrics, "metrics");
    let info_metrics = as_array(&run["info"]["metrics"], "info.metrics");
    for (name, values) in [("training.loss", &LOSS), ("training.acc", &ACC)] {
        let metric = metrics
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{what}: no metric {name}: {metrics:?}"));
        assert_eq!(metric["run_id"], json!(id), "{what}: {name}.run_id");
        let (steps, vals) = steps_values(metric);
        assert_eq!(steps, [0, 1, 2], "{what}: {name} steps");
        assert_close(&vals, values, &format!("{what}: {name} values"));
        // Omniboard's metric columns join info.metrics[].id to the metric's _id.
        assert!(
            info_metrics
                .iter()
                .any(|m| m["name"] == name && m["id"] == metric["_id"]),
            "{what}: info.metrics {info_metrics:?} lacks {{name: {name}, id: {}}}",
            metric["_id"]
        );
    }

    // Sources: listed with their files, and downloadable.
    let sources = as_array(&run["experiment"]["sources"], "experiment.sources");
    let (name, file_id) = sources
        .iter()
        .filter_map(|s| Some((s.get(0)?.as_str()?, s.get(1)?.as_str()?)))
        .find(|(name, _)| name.ends_with(e.source_suffix))
        .unwrap_or_else(|| panic!("{what}: no source *{}: {sources:?}", e.source_suffix));
    let files = ob.get_json(&format!("{API}/files/source/{id}"));
    let file = as_array(&files, "source files")
        .iter()
        .find(|f| f["_id"] == file_id)
        .unwrap_or_else(|| panic!("{what}: files/source lacks {file_id}: {files}"));
    assert_eq!(
        file["length"],
        json!(e.source.len()),
        "{what}: source length"
    );
    let source_files = ob.get_json(&format!(
        "{API}/SourceFiles?query={}",
        percent_encode(&format!(r#"{{"_id":{id}}}"#))
    ));
    assert!(
        as_array(&source_files, "SourceFiles")
            .iter()
            .any(|r| r["_id"] == json!(id)
                && r["files"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|f| f["_id"] == file_id))),
        "{what}: SourceFiles {source_files}"
    );
    let base = name.rsplit('/').next().unwrap_or(name);
    let bytes = ob.get_bytes(&format!("{API}/files/download/{file_id}/{base}"));
    assert!(bytes == e.source, "{what}: the downloaded source differs");

    // Artifacts: listed with their files, downloadable, and previewed.
    let links = as_array(&run["artifacts"], "artifacts");
    let files = ob.get_json(&format!("{API}/files/artifacts/{id}"));
    let files = as_array(&files, "artifact files");
    let mut names: Vec<&str> = links
        .iter()
        .filter_map(|a| a["name"].as_str())
        .filter(|n| *n != "uncommitted.diff")
        .collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = e.artifacts.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(names, expected, "{what}: artifacts {links:?}");
    for link in links {
        assert!(
            files.iter().any(|f| f["_id"] == link["file_id"]),
            "{what}: files/artifacts lacks {link}: {files:?}"
        );
    }
    if completed {
        for (name, content) in &e.artifacts {
            let link = links
                .iter()
                .find(|a| a["name"] == *name)
                .unwrap_or_else(|| panic!("{what}: no artifact {name}"));
            let file_id = link["file_id"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: artifact {link}"));
            let bytes = ob.get_bytes(&format!("{API}/files/download/{file_id}/{name}"));
            assert_eq!(&bytes, content, "{what}: artifact {name} downloaded");
            let bytes = ob.get_bytes(&format!("{API}/files/preview/{file_id}/{name}"));
            assert_eq!(&bytes, content, "{what}: artifact {name} previewed");
        }
    }
}

/// What incense loads of the completed run: config, status, metrics as pandas Series
/// indexed by step, artifacts and the bytes of `model.bin`.
fn check_incense(db: &TestDb, e: &Expected) {
    let id = e.completed.to_string();
    let seen = incense(
        db.url(),
        db.name(),
        &["--id", &id, "--artifact", "model.bin"],
    );
    assert_eq!(seen["id"], json!(e.completed), "{seen}");
    assert_eq!(seen["experiment_name"], "golden");
    assert_eq!(seen["status"], "COMPLETED");
    assert_contains(&seen["config"], &e.completed_config, "incense: config");
    assert_contains(&seen["result"], &json!({ "acc": 0.7 }), "incense: result");
    assert_contains(
        &seen["info"]["notes"],
        &json!({ "best_step": 2 }),
        "incense: info.notes",
    );
    for (name, values) in [("training.loss", &LOSS), ("training.acc", &ACC)] {
        let metric = &seen["metrics"][name];
        assert_eq!(metric["series_name"], name, "incense: {name}: {seen}");
        assert_eq!(metric["index_name"], "step", "incense: {name}");
        let points = as_array(&metric["points"], "points");
        let steps: Vec<Option<i64>> = points.iter().map(|p| p[0].as_i64()).collect();
        let vals: Vec<f64> = points.iter().filter_map(|p| p[1].as_f64()).collect();
        assert_eq!(steps, [Some(0), Some(1), Some(2)], "incense: {name} steps");
        assert_close(&vals, values, &format!("incense: {name} values"));
    }
    let mut names: Vec<&str> = seen["artifacts"]
        .as_object()
        .map(|a| a.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.retain(|n| *n != "uncommitted.diff");
    let mut expected: Vec<&str> = e.artifacts.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    names.sort_unstable();
    assert_eq!(names, expected, "incense: artifacts");
    assert_eq!(seen["artifact"]["name"], "model.bin");
    // b"\x00\x01weights"
    assert_eq!(
        seen["artifact"]["base64"], "AAF3ZWlnaHRz",
        "incense: model.bin"
    );
}

/// The runs Python Sacred wrote: the harness and the tools read them as they should.
#[test]
fn omniboard_and_incense_read_python_sacreds_runs() {
    let db = TestDb::new("python_reference");
    let inserted = insert_reference_runs(db.url(), db.name());
    assert_eq!(inserted["runs"], json!([1, 2, 3]), "{inserted}");
    let expected = Expected {
        runs: 3,
        completed: 1,
        failed: 2,
        completed_config: json!({
            "batch_size": 32, "lr": 0.0001, "steps": 3, "mode": "ok", "seed": 42,
            "optimizer": { "name": "sgd", "betas": [0.9, 0.999] },
        }),
        failed_config: json!({ "batch_size": 8, "mode": "fail", "seed": 7 }),
        source_suffix: "golden_exp.py",
        source: fixtures::GOLDEN_SOURCE.to_vec(),
        artifacts: vec![("model.bin", b"\x00\x01weights".to_vec())],
    };

    let ob = Omniboard::start(db.url());
    check_omniboard(&ob, db.name(), &expected);
    // Python Sacred's INTERRUPTED run is listed with its status too.
    let run = ob.get_json(&format!("{API}/Runs/3?select=status,duration"));
    assert_eq!(run["status"], "INTERRUPTED");
    drop(ob);

    check_incense(&db, &expected);
}

/// Runs the golden example with `-m URL/db`; it must exit with `code`.
fn golden_to_mongo(db_url: &str, args: &[&str], cwd: &Path, code: i32) -> Output {
    let out = common::example("golden", cwd)
        .env_remove("SACRED_MONGO_URL")
        .args(["-m", db_url])
        .args(args)
        .output()
        .expect("running golden");
    assert_eq!(
        out.status.code(),
        Some(code),
        "golden -m {db_url} {args:?}:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Writes a COMPLETED run (`with seed=42`) and a FAILED one (`with mode=fail`) of the
/// golden example to a fresh database; returns it and what the checks expect.
fn rust_runs(test: &str) -> (TestDb, Expected) {
    let db = TestDb::new(test);
    let dir = tmp();
    golden_to_mongo(db.url(), &["with", "seed=42"], dir.path(), 0);
    golden_to_mongo(db.url(), &["with", "mode=fail"], dir.path(), 1);
    let expected = Expected {
        runs: 2,
        // Sacred's MongoObserver numbers runs 1, 2, … in a database.
        completed: 1,
        failed: 2,
        completed_config: json!({
            "batch_size": 32, "lr": 0.001, "steps": 3, "mode": "ok", "seed": 42,
            "optimizer": { "name": "adam", "betas": [0.9, 0.999] },
        }),
        failed_config: json!({ "batch_size": 32, "mode": "fail" }),
        source_suffix: "golden.rs",
        source: golden_source(),
        artifacts: vec![
            ("model.bin", b"\x00\x01weights".to_vec()),
            ("summary.txt", b"steps=3\n".to_vec()),
        ],
    };
    (db, expected)
}

/// Omniboard lists and shows the golden example's runs as it does Python Sacred's.
#[test]
fn omniboard_reads_the_runs_of_the_mongo_observer() {
    let (db, expected) = rust_runs("omniboard_rust");
    let ob = Omniboard::start(db.url());
    check_omniboard(&ob, db.name(), &expected);
}

/// Omniboard lists runs that print 20 MB or log more points than a metric document holds,
/// and shows their output and metrics: no document comes near MongoDB's 16 MB.
#[test]
fn omniboard_lists_and_plots_big_runs() {
    let db = TestDb::new("omniboard_big");
    let dir = tmp();
    golden_to_mongo(db.url(), &["with", "mode=spam", "seed=1"], dir.path(), 0);
    golden_to_mongo(db.url(), &["with", "mode=many", "seed=2"], dir.path(), 0);
    let ob = Omniboard::start(db.url());
    assert_eq!(
        ob.get_json(&format!("{API}/Runs/count")),
        json!({ "count": 2 })
    );
    let list_path = format!(
        "{API}/Runs?select={}&sort_by=_id&order_by=-1&query={}&limit=200",
        percent_encode(LIST_SELECT),
        percent_encode("{}")
    );
    let list = ob.get_json(&list_path);
    let rows = as_array(&list, "the run list");
    assert_eq!(rows.len(), 2, "{list}");
    for row in rows {
        assert_eq!(row["status"], "COMPLETED", "{row}");
        assert!(row["duration"].is_number(), "duration column: {row}");
    }
    let detail = ob.get_json(&format!("{API}/Runs/1?select=captured_out,status"));
    let output = detail["captured_out"].as_str().unwrap_or_default();
    assert!(
        output.contains("spam line 199999"),
        "the tail of the output is shown"
    );
    assert!(
        output.len() <= 2 * 1024 * 1024,
        "{} bytes in the run document",
        output.len()
    );
    let metrics = ob.get_json(&format!(
        "{API}/Metrics?query={}",
        percent_encode(r#"{"run_id":"2"}"#)
    ));
    let many = as_array(&metrics, "the metrics of run 2")
        .iter()
        .find(|m| m["name"] == "many.points")
        .unwrap_or_else(|| panic!("no many.points metric: {metrics}"));
    let (steps, values) = steps_values(many);
    assert!(
        steps.len() >= 100_000,
        "Omniboard plots the metric's points: {}",
        steps.len()
    );
    assert_eq!(steps[..3], [0, 1, 2]);
    assert_close(&values[..3], &[0.0, 0.5, 1.0], "many.points");
}

/// incense loads the golden example's completed run as it does Python Sacred's.
#[test]
fn incense_reads_the_runs_of_the_mongo_observer() {
    let (db, expected) = rust_runs("incense_rust");
    check_incense(&db, &expected);
}
