//! The file storage observer, driven through the `Observer` trait as the runtime drives it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use serde_json::{Value, json};

use super::names::display_basedir;
use super::reference::*;
use super::write::{python_float_repr, to_sacred_json, write_atomically, write_bytes};
use super::*;
use crate::observer::{MetricSeries, Repository, SourceFile};
use crate::time::Timestamp;

/// `run.json`'s keys in Sacred's records of a completed run (reference run 1).
const COMPLETED_KEYS: [&str; 11] = [
    "artifacts",
    "command",
    "experiment",
    "heartbeat",
    "host",
    "meta",
    "resources",
    "result",
    "start_time",
    "status",
    "stop_time",
];
/// `run.json`'s keys in Sacred's records of a failed run (reference run 2).
const FAILED_KEYS: [&str; 12] = [
    "artifacts",
    "command",
    "experiment",
    "fail_trace",
    "heartbeat",
    "host",
    "meta",
    "resources",
    "result",
    "start_time",
    "status",
    "stop_time",
];
/// `run.json`'s keys at the start, before the first beat (Sacred's `started_event`).
const STARTED_KEYS: [&str; 9] = [
    "artifacts",
    "command",
    "experiment",
    "heartbeat",
    "host",
    "meta",
    "resources",
    "start_time",
    "status",
];
/// `run.json`'s keys for a queued run.
const QUEUED_KEYS: [&str; 5] = ["command", "experiment", "host", "meta", "status"];
/// `experiment`'s keys in the reference runs.
const EXPERIMENT_KEYS: [&str; 6] = [
    "base_dir",
    "dependencies",
    "mainfile",
    "name",
    "repositories",
    "sources",
];
/// A repository's keys in Sacred's records.
const REPOSITORY_KEYS: [&str; 3] = ["commit", "dirty", "url"];
/// A metric's keys in `metrics.json`.
const METRIC_KEYS: [&str; 3] = ["steps", "timestamps", "values"];

const MAIN_RS: &[u8] = b"fn main() {\n    println!(\"hello\");\n}\n";
const MODEL_RS: &[u8] = b"pub struct Model;\n";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_json(path: impl AsRef<Path>) -> Value {
    serde_json::from_str(&read(path)).unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A naive UTC ISO time (`2026-11-27T22:03:04.694434`) as a timestamp.
fn iso(text: &str) -> Timestamp {
    let num = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (h, min, s, us) = (num(11..13), num(14..16), num(17..19), num(20..26));
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Timestamp::from_micros(((days * 86_400 + h * 3600 + min * 60 + s) * 1_000_000) + us)
}

fn experiment() -> Arc<ExperimentRecord> {
    Arc::new(ExperimentRecord {
        name: "demo".into(),
        base_dir: "/home/user/demo".into(),
        mainfile: "src/main.rs".into(),
        sources: vec![
            SourceFile {
                path: "src/main.rs",
                content: MAIN_RS,
            },
            SourceFile {
                path: "src/model.rs",
                content: MODEL_RS,
            },
        ],
        dependencies: vec!["rand==0.10.0".into(), "sacred==0.1.0".into()],
        direct_dependencies: Vec::new(),
        repositories: vec![Repository {
            url: "https://example.com/demo.git".into(),
            commit: "5ea1a93705a14eaffaa5d94efe89da107fb2788c".into(),
            dirty: true,
            diff: "diff --git a/src/main.rs b/src/main.rs\n".into(),
        }],
    })
}

fn started_event(id: Option<RunId>) -> StartedEvent {
    StartedEvent {
        id,
        experiment: experiment(),
        command: "main".into(),
        host: json!({
            "ENV": {},
            "cpu": "AMD EPYC",
            "hostname": "vm",
            "os": ["Linux", "Linux-6.18"],
            "rust_version": "1.95.0",
        }),
        start_time: iso("2026-11-27T22:05:29.077128"),
        config: json!({"seed": 42, "lr": 1e-5, "optimizer": {"name": "sgd", "betas": [0.9, 0.999]}}),
        meta: json!({
            "command": "main",
            "comment": "first run",
            "config_updates": {"seed": 42},
            "named_configs": [],
            "options": {"--id": null, "UPDATE": ["seed=42"], "with": true},
        }),
    }
}

fn beat(
    time: &str,
    output: &str,
    offset: u64,
    info: Value,
    result: Option<Value>,
) -> HeartbeatEvent {
    HeartbeatEvent {
        beat_time: iso(time),
        info,
        output: output.into(),
        output_offset: offset,
        result,
    }
}

fn series(name: &str, steps: &[u64], values: &[f64], times: &[&str]) -> MetricSeries {
    MetricSeries {
        name: name.into(),
        steps: steps.to_vec(),
        values: values.to_vec(),
        timestamps: times.iter().map(|t| iso(t)).collect(),
    }
}

fn resource_event(path: &Path) -> ResourceEvent {
    ResourceEvent {
        path: path.to_path_buf(),
        md5: md5_hex(&std::fs::read(path).unwrap()),
    }
}

fn started(observer: &mut FileStorageObserver, id: Option<RunId>) -> RunId {
    observer.started(&started_event(id)).unwrap().unwrap()
}

#[test]
fn completed_run_records_every_event() {
    let tmp = tmp();
    let basedir = tmp.path().join("runs");
    let mut observer = FileStorageObserver::new(&basedir);
    assert!(
        !basedir.exists(),
        "the basedir is created on the first event"
    );

    assert_eq!(started(&mut observer, None), RunId::Int(1));
    let dir = basedir.join("1");
    assert_eq!(observer.run_dir(), Some(dir.as_path()));

    // At the start: the record, the config, an empty output and no metrics.
    let run = read_json(dir.join("run.json"));
    assert_eq!(keys(&run), STARTED_KEYS);
    assert_eq!(run["status"], "RUNNING");
    assert_eq!(run["heartbeat"], Value::Null);
    assert_eq!(run["artifacts"], json!([]));
    assert_eq!(run["resources"], json!([]));
    assert_eq!(run["start_time"], "2026-11-27T22:05:29.077128");
    assert_eq!(read(dir.join("cout.txt")), "");
    assert_eq!(read(dir.join("metrics.json")), "{}");
    assert_eq!(
        read(dir.join("config.json")),
        "{\n  \"lr\": 1e-05,\n  \"optimizer\": {\n    \"betas\": [\n      0.9,\n      0.999\n    \
         ],\n    \"name\": \"sgd\"\n  },\n  \"seed\": 42\n}"
    );
    assert!(!dir.join("info.json").exists());

    // Metrics, twice: the second extends one series and adds another.
    observer
        .metrics(&MetricsEvent {
            series: vec![series(
                "training.loss",
                &[0, 1],
                &[1.0, 0.5],
                &["2026-11-27T22:05:29.142806", "2026-11-27T22:05:29.242806"],
            )],
        })
        .unwrap();
    observer
        .heartbeat(&beat(
            "2026-11-27T22:05:29.300000",
            "hello\n",
            0,
            json!({}),
            None,
        ))
        .unwrap();
    let run = read_json(dir.join("run.json"));
    assert_eq!(run["heartbeat"], "2026-11-27T22:05:29.300000");
    assert_eq!(run["result"], Value::Null);
    assert!(
        !dir.join("info.json").exists(),
        "an empty info is not written"
    );

    observer
        .metrics(&MetricsEvent {
            series: vec![
                series(
                    "training.loss",
                    &[2],
                    &[0.25],
                    &["2026-11-27T22:05:29.342806"],
                ),
                series("acc", &[10], &[0.5], &["2026-11-27T22:05:29.344778"]),
            ],
        })
        .unwrap();

    // Artifacts: from a file, from bytes, and the same name again.
    let model = tmp.path().join("model.txt");
    std::fs::write(&model, "weights v1").unwrap();
    observer
        .artifact(&ArtifactEvent {
            name: "model.txt".into(),
            source: ArtifactSource::File(model.clone()),
            content_type: Some("text/plain".into()),
            metadata: Some(json!({"epoch": 3})),
        })
        .unwrap();
    observer
        .artifact(&ArtifactEvent {
            name: "model_meta.bin".into(),
            source: ArtifactSource::Bytes(Arc::from(&b"\x00\x01meta"[..])),
            content_type: None,
            metadata: None,
        })
        .unwrap();
    observer
        .artifact(&ArtifactEvent {
            name: "model.txt".into(),
            source: ArtifactSource::Bytes(Arc::from(&b"weights v2"[..])),
            content_type: None,
            metadata: None,
        })
        .unwrap();

    // A resource, twice: stored once, recorded twice.
    let data = tmp.path().join("data.csv");
    std::fs::write(&data, "x,y\n1,2\n").unwrap();
    observer.resource(&resource_event(&data)).unwrap();
    observer.resource(&resource_event(&data)).unwrap();

    observer
        .heartbeat(&beat(
            "2026-11-27T22:05:30.823130",
            "progress 100%\ndone\n",
            6,
            json!({"custom": {"a": 1, "nested": [1, 2]}}),
            Some(json!(0.04)),
        ))
        .unwrap();
    observer
        .completed(&CompletedEvent {
            stop_time: iso("2026-11-27T22:05:30.818417"),
            result: Some(json!(0.04)),
        })
        .unwrap();

    // run.json, key for key.
    let run = read_json(dir.join("run.json"));
    assert_eq!(keys(&run), COMPLETED_KEYS);
    assert_eq!(keys(&run["experiment"]), EXPERIMENT_KEYS);
    assert_eq!(keys(&run["experiment"]["repositories"][0]), REPOSITORY_KEYS);
    let main_stored = format!("main_{}.rs", md5_hex(MAIN_RS));
    let model_stored = format!("model_{}.rs", md5_hex(MODEL_RS));
    let data_stored = "data_344fd2323dd33d5c058b7cf27de029e8.csv";
    assert_eq!(
        run["experiment"],
        json!({
            "base_dir": "/home/user/demo",
            "dependencies": ["rand==0.10.0", "sacred==0.1.0"],
            "mainfile": "src/main.rs",
            "name": "demo",
            "repositories": [{
                "commit": "5ea1a93705a14eaffaa5d94efe89da107fb2788c",
                "dirty": true,
                "url": "https://example.com/demo.git",
            }],
            "sources": [
                ["src/main.rs", format!("_sources/{main_stored}")],
                ["src/model.rs", format!("_sources/{model_stored}")],
            ],
        })
    );
    assert_eq!(run["command"], "main");
    assert_eq!(run["host"], started_event(None).host);
    assert_eq!(run["meta"], started_event(None).meta);
    assert_eq!(run["artifacts"], json!(["model.txt", "model_meta.bin"]));
    let stored_resource = basedir.join("_resources").join(data_stored);
    let resource_pair = json!([data.to_string_lossy(), stored_resource.to_string_lossy()]);
    assert_eq!(run["resources"], json!([resource_pair, resource_pair]));
    assert_eq!(run["heartbeat"], "2026-11-27T22:05:30.823130");
    assert_eq!(run["result"], json!(0.04));
    assert_eq!(run["start_time"], "2026-11-27T22:05:29.077128");
    assert_eq!(run["status"], "COMPLETED");
    assert_eq!(run["stop_time"], "2026-11-27T22:05:30.818417");

    // The other files.
    assert_eq!(read(dir.join("cout.txt")), "hello\nprogress 100%\ndone\n");
    let metrics = read_json(dir.join("metrics.json"));
    assert_eq!(keys(&metrics), ["acc", "training.loss"]);
    assert_eq!(keys(&metrics["acc"]), METRIC_KEYS);
    assert_eq!(
        metrics["training.loss"],
        json!({
            "steps": [0, 1, 2],
            "timestamps": [
                "2026-11-27T22:05:29.142806",
                "2026-11-27T22:05:29.242806",
                "2026-11-27T22:05:29.342806",
            ],
            "values": [1.0, 0.5, 0.25],
        })
    );
    assert_eq!(
        metrics["acc"],
        json!({"steps": [10], "timestamps": ["2026-11-27T22:05:29.344778"], "values": [0.5]})
    );
    assert_eq!(
        read(dir.join("info.json")),
        "{\n  \"custom\": {\n    \"a\": 1,\n    \"nested\": [\n      1,\n      2\n    ]\n  }\n}"
    );
    assert_eq!(read(dir.join("model.txt")), "weights v2");
    assert_eq!(
        std::fs::read(dir.join("model_meta.bin")).unwrap(),
        b"\x00\x01meta"
    );
    assert_eq!(
        listing(&dir),
        [
            "config.json",
            "cout.txt",
            "info.json",
            "metrics.json",
            "model.txt",
            "model_meta.bin",
            "run.json"
        ]
    );
    // Sacred's layout, plus `_tmp` (files being written; empty once they are in place).
    assert_eq!(listing(&basedir), ["1", "_resources", "_sources", "_tmp"]);
    assert!(listing(&basedir.join("_tmp")).is_empty());
    assert_eq!(
        listing(&basedir.join("_sources")),
        [main_stored.clone(), model_stored]
    );
    assert_eq!(
        std::fs::read(basedir.join("_sources").join(&main_stored)).unwrap(),
        MAIN_RS
    );
    assert_eq!(listing(&basedir.join("_resources")), [data_stored]);
    assert_eq!(read(&stored_resource), "x,y\n1,2\n");
}

/// Replays Sacred's three reference runs and compares the files byte for byte (only the
/// basedir and the resource's absolute path differ, as the test writes elsewhere).
#[test]
fn reproduces_sacred_reference_runs_byte_for_byte() {
    let tmp = tmp();
    let basedir = tmp.path().join("fs");
    let data = tmp.path().join("data.csv");
    std::fs::write(&data, DATA_CSV).unwrap();
    let localize = |text: &str| {
        text.replace(
            "\"fs/_resources/",
            &format!("\"{}/_resources/", basedir.display()),
        )
        .replace("/home/user/golden/data.csv", &data.to_string_lossy())
    };
    let golden = Arc::new(ExperimentRecord {
        name: "golden".into(),
        base_dir: "/home/user/golden".into(),
        mainfile: "golden_exp.py".into(),
        sources: vec![SourceFile {
            path: "golden_exp.py",
            content: GOLDEN_EXP_PY.as_bytes(),
        }],
        dependencies: vec!["numpy==2.4.6".into(), "sacred==0.8.7".into()],
        direct_dependencies: Vec::new(),
        repositories: vec![],
    });
    let metrics = serde_json::from_str::<Value>(RUN1_METRICS_JSON).unwrap();
    let series_of = |name: &str| {
        let m = &metrics[name];
        MetricSeries {
            name: name.into(),
            steps: m["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect(),
            values: m["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect(),
            timestamps: m["timestamps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| iso(v.as_str().unwrap()))
                .collect(),
        }
    };
    let info = serde_json::from_str::<Value>(RUN1_INFO_JSON).unwrap();

    for (number, reference, config) in [
        (1, RUN1_RUN_JSON, RUN1_CONFIG_JSON),
        (2, RUN2_RUN_JSON, RUN2_CONFIG_JSON),
        (3, RUN3_RUN_JSON, RUN3_CONFIG_JSON),
    ] {
        let expected = serde_json::from_str::<Value>(reference).unwrap();
        let text = |key: &str| expected[key].as_str().unwrap();
        let mut observer = FileStorageObserver::new(&basedir);
        let id = observer
            .started(&StartedEvent {
                id: None,
                experiment: Arc::clone(&golden),
                command: "main".into(),
                host: expected["host"].clone(),
                start_time: iso(text("start_time")),
                config: serde_json::from_str(config).unwrap(),
                meta: expected["meta"].clone(),
            })
            .unwrap();
        assert_eq!(id, Some(RunId::Int(number)));
        observer
            .metrics(&MetricsEvent {
                series: vec![series_of("training.loss"), series_of("training.acc")],
            })
            .unwrap();
        observer
            .artifact(&ArtifactEvent {
                name: "model.bin".into(),
                source: ArtifactSource::Bytes(Arc::from(MODEL_BIN)),
                content_type: Some("application/octet-stream".into()),
                metadata: Some(json!({"epoch": 3})),
            })
            .unwrap();
        observer.resource(&resource_event(&data)).unwrap();
        let output = if number == 1 { RUN1_COUT_TXT } else { "" };
        observer
            .heartbeat(&beat(
                text("heartbeat"),
                output,
                0,
                info.clone(),
                Some(expected["result"].clone()),
            ))
            .unwrap();
        let stop_time = iso(text("stop_time"));
        match text("status") {
            "COMPLETED" => observer.completed(&CompletedEvent {
                stop_time,
                result: Some(expected["result"].clone()),
            }),
            "FAILED" => observer.failed(&FailedEvent {
                fail_time: stop_time,
                fail_trace: serde_json::from_value(expected["fail_trace"].clone()).unwrap(),
            }),
            status => observer.interrupted(&InterruptedEvent {
                interrupt_time: stop_time,
                status: status.into(),
            }),
        }
        .unwrap();

        let dir = basedir.join(number.to_string());
        assert_eq!(
            read(dir.join("run.json")),
            localize(reference),
            "run {number}"
        );
        assert_eq!(read(dir.join("config.json")), config, "run {number}");
        assert_eq!(read(dir.join("info.json")), RUN1_INFO_JSON, "run {number}");
        assert_eq!(read(dir.join("cout.txt")), output, "run {number}");
        assert_eq!(std::fs::read(dir.join("model.bin")).unwrap(), MODEL_BIN);
        if number == 1 {
            assert_eq!(read(dir.join("metrics.json")), RUN1_METRICS_JSON);
        }
    }
    assert_eq!(
        listing(&basedir),
        ["1", "2", "3", "_resources", "_sources", "_tmp"]
    );
    assert!(listing(&basedir.join("_tmp")).is_empty());
    assert_eq!(
        read(basedir.join("_sources/golden_exp_4a37ecadbc18b2f4ffe17a047e1b9af5.py")),
        GOLDEN_EXP_PY
    );
    assert_eq!(
        std::fs::read(basedir.join("_resources/data_344fd2323dd33d5c058b7cf27de029e8.csv"))
            .unwrap(),
        DATA_CSV
    );
}

#[test]
fn failed_run_records_the_trace() {
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    started(&mut observer, None);
    observer
        .heartbeat(&beat("2026-11-27T22:03:06.317532", "", 0, json!({}), None))
        .unwrap();
    let trace = vec![
        "Error: planned failure\n".to_owned(),
        "  at src/main.rs:33:9\n".to_owned(),
    ];
    observer
        .failed(&FailedEvent {
            fail_time: iso("2026-11-27T22:03:06.331913"),
            fail_trace: trace.clone(),
        })
        .unwrap();
    let run = read_json(tmp.path().join("1/run.json"));
    assert_eq!(keys(&run), FAILED_KEYS);
    assert_eq!(run["status"], "FAILED");
    assert_eq!(run["result"], Value::Null);
    assert_eq!(run["fail_trace"], json!(trace));
    assert_eq!(run["stop_time"], "2026-11-27T22:03:06.331913");
    assert_eq!(read(tmp.path().join("1/cout.txt")), "");
}

#[test]
fn interrupted_run_records_the_status() {
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    started(&mut observer, None);
    observer
        .heartbeat(&beat(
            "2026-11-27T22:03:07.970001",
            "step 1\n",
            0,
            json!({}),
            None,
        ))
        .unwrap();
    observer
        .interrupted(&InterruptedEvent {
            interrupt_time: iso("2026-11-27T22:03:07.983962"),
            status: "INTERRUPTED".into(),
        })
        .unwrap();
    let run = read_json(tmp.path().join("1/run.json"));
    assert_eq!(keys(&run), COMPLETED_KEYS);
    assert_eq!(run["status"], "INTERRUPTED");
    assert_eq!(run["result"], Value::Null);
    assert_eq!(run["stop_time"], "2026-11-27T22:03:07.983962");
    assert_eq!(read(tmp.path().join("1/cout.txt")), "step 1\n");
}

#[test]
fn queued_run_writes_record_and_config() {
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    let event = started_event(None);
    let id = observer
        .queued(&QueuedEvent {
            id: None,
            experiment: event.experiment,
            command: event.command,
            host: event.host.clone(),
            queue_time: iso("2026-11-27T22:00:00.000001"),
            config: event.config.clone(),
            meta: event.meta.clone(),
        })
        .unwrap();
    assert_eq!(id, Some(RunId::Int(1)));
    let dir = tmp.path().join("1");
    assert_eq!(listing(&dir), ["config.json", "run.json"]);
    let run = read_json(dir.join("run.json"));
    assert_eq!(keys(&run), QUEUED_KEYS);
    assert_eq!(run["status"], "QUEUED");
    assert_eq!(run["host"], event.host);
    assert_eq!(run["meta"]["queue_time"], "2026-11-27T22:00:00.000001");
    assert_eq!(run["meta"]["comment"], "first run");
    assert_eq!(
        run["experiment"]["sources"][0],
        json!([
            "src/main.rs",
            format!("_sources/main_{}.rs", md5_hex(MAIN_RS))
        ])
    );
    assert!(
        tmp.path()
            .join("_sources")
            .join(format!("main_{}.rs", md5_hex(MAIN_RS)))
            .is_file()
    );
    assert_eq!(read_json(dir.join("config.json")), event.config);
}

#[test]
fn allocates_ids_after_the_largest_numbered_directory() {
    let tmp = tmp();
    let basedir = tmp.path().join("runs");
    for expected in 1..=3 {
        let mut observer = FileStorageObserver::new(&basedir);
        assert_eq!(started(&mut observer, None), RunId::Int(expected));
    }
    std::fs::create_dir(basedir.join("7")).unwrap();
    // Neither a file with a number for a name nor a directory with another name counts.
    std::fs::write(basedir.join("12"), "not a run").unwrap();
    std::fs::create_dir(basedir.join("9a")).unwrap();
    let mut observer = FileStorageObserver::new(&basedir);
    assert_eq!(started(&mut observer, None), RunId::Int(8));
    assert!(basedir.join("8/run.json").is_file());
    assert_eq!(read(basedir.join("12")), "not a run");
}

#[test]
fn concurrent_observers_get_distinct_ids() {
    const RUNS: usize = 16;
    let tmp = tmp();
    let basedir = tmp.path().to_path_buf();
    let barrier = Arc::new(Barrier::new(RUNS));
    let threads: Vec<_> = (0..RUNS)
        .map(|_| {
            let basedir = basedir.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut observer = FileStorageObserver::new(basedir);
                barrier.wait();
                started(&mut observer, None)
            })
        })
        .collect();
    let ids: BTreeSet<RunId> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let expected: BTreeSet<RunId> = (1..=16).map(RunId::Int).collect();
    assert_eq!(ids, expected);
    for n in 1..=16 {
        let run = read_json(basedir.join(n.to_string()).join("run.json"));
        assert_eq!(run["status"], "RUNNING");
    }
    // All sixteen stored the same sources once, and left no temporary file behind.
    assert_eq!(listing(&basedir.join("_sources")).len(), 2);
    assert!(
        all_files(&basedir)
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".tmp"))
    );
}

#[test]
fn given_id_is_used_as_the_directory() {
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    let id = RunId::Str("custom_dir".into());
    observer.check_id(&id).unwrap();
    assert_eq!(started(&mut observer, Some(id.clone())), id);
    assert!(tmp.path().join("custom_dir/run.json").is_file());

    // An id allocated by a higher-priority observer.
    let mut observer = FileStorageObserver::new(tmp.path());
    assert_eq!(started(&mut observer, Some(RunId::Int(41))), RunId::Int(41));
    assert!(tmp.path().join("41/run.json").is_file());
    // Allocation goes on after it.
    let mut observer = FileStorageObserver::new(tmp.path());
    assert_eq!(started(&mut observer, None), RunId::Int(42));
}

#[test]
fn given_id_that_exists_is_refused_and_left_untouched() {
    let tmp = tmp();
    let existing = tmp.path().join("custom_dir");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("run.json"), "earlier run").unwrap();
    let id = RunId::Str("custom_dir".into());

    let observer = FileStorageObserver::new(tmp.path());
    let error = observer.check_id(&id).unwrap_err().to_string();
    assert!(error.contains(&existing.display().to_string()), "{error}");
    assert!(error.contains("exists already"), "{error}");

    let mut observer = FileStorageObserver::new(tmp.path());
    let error = observer
        .started(&started_event(Some(id)))
        .unwrap_err()
        .to_string();
    assert!(error.contains(&existing.display().to_string()), "{error}");
    assert_eq!(observer.run_dir(), None);
    // The final event after a failed start writes nothing either.
    observer
        .completed(&CompletedEvent {
            stop_time: Timestamp::from_micros(0),
            result: None,
        })
        .unwrap();
    assert_eq!(listing(&existing), ["run.json"]);
    assert_eq!(read(existing.join("run.json")), "earlier run");
    assert_eq!(listing(tmp.path()), ["_tmp", "custom_dir"]);

    // The same for a number.
    std::fs::create_dir(tmp.path().join("5")).unwrap();
    let observer = FileStorageObserver::new(tmp.path());
    assert!(observer.check_id(&RunId::Int(5)).is_err());
}

#[test]
fn ids_that_are_not_plain_names_are_refused() {
    let tmp = tmp();
    let basedir = tmp.path().join("runs");
    for bad in [
        "",
        ".",
        "..",
        "../escape",
        "a/b",
        "a\\b",
        "nul\0",
        "_sources",
        "_resources",
    ] {
        let id = RunId::Str(bad.into());
        let mut observer = FileStorageObserver::new(&basedir);
        assert!(observer.check_id(&id).is_err(), "{bad:?}");
        let error = observer
            .started(&started_event(Some(id)))
            .unwrap_err()
            .to_string();
        assert!(error.contains("run id"), "{error}");
    }
    assert!(!tmp.path().join("escape").exists());
    assert!(!basedir.exists(), "nothing is created for a bad id");
}

#[test]
fn artifact_names_must_be_plain_and_not_reserved() {
    for good in [
        "model.bin",
        "model",
        ".hidden",
        "a b.txt",
        "résumé.pdf",
        "run.json.bak",
    ] {
        assert_eq!(validate_artifact_name(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        ".",
        "..",
        "../escape.txt",
        "sub/model.bin",
        "/abs",
        "a\\b",
        "nul\0",
        "run.json",
        "config.json",
        "cout.txt",
        "metrics.json",
        "info.json",
    ] {
        let error = validate_artifact_name(bad).unwrap_err();
        assert!(error.contains("artifact name"), "{error}");
        assert!(error.contains("plain file name"), "{error}");
    }
    let error = validate_artifact_name("a/b").unwrap_err();
    assert!(error.contains("contains `/`"), "{error}");
    // Too long for a file system: refused when added, not when the observer writes it.
    let long = "a".repeat(300);
    let error = validate_artifact_name(&long).unwrap_err();
    assert!(
        error.contains("is 300 bytes long, more than the 255"),
        "{error}"
    );
    assert_eq!(validate_artifact_name(&"b".repeat(255)), Ok(()));
    let error = validate_artifact_name("run.json").unwrap_err();
    assert!(error.contains("reserved"), "{error}");

    // The observer checks again, and writes nothing.
    let tmp = tmp();
    let basedir = tmp.path().join("runs");
    let mut observer = FileStorageObserver::new(&basedir);
    started(&mut observer, None);
    let before = read(basedir.join("1/run.json"));
    for name in ["../escape.txt", "run.json", "config.json"] {
        let error = observer
            .artifact(&ArtifactEvent {
                name: name.into(),
                source: ArtifactSource::Bytes(Arc::from(&b"evil"[..])),
                content_type: None,
                metadata: None,
            })
            .unwrap_err();
        assert!(error.to_string().contains("artifact name"), "{error}");
    }
    assert!(!basedir.join("escape.txt").exists());
    assert_eq!(read(basedir.join("1/run.json")), before);
    assert_ne!(read(basedir.join("1/config.json")), "evil");
}

#[test]
fn io_errors_name_the_path() {
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    let missing = tmp.path().join("missing.bin");
    let error = observer.heartbeat(&beat("2026-11-27T22:03:07.970001", "", 0, json!({}), None));
    assert!(error.unwrap_err().to_string().contains("did not start"));
    started(&mut observer, None);
    let error = observer
        .artifact(&ArtifactEvent {
            name: "model.bin".into(),
            source: ArtifactSource::File(missing.clone()),
            content_type: None,
            metadata: None,
        })
        .unwrap_err()
        .to_string();
    assert!(error.contains(&missing.display().to_string()), "{error}");
    let error = observer
        .resource(&ResourceEvent {
            path: missing.clone(),
            md5: "not an md5".into(),
        })
        .unwrap_err()
        .to_string();
    assert!(error.contains(&missing.display().to_string()), "{error}");

    // A basedir that is a file.
    let file = tmp.path().join("file");
    std::fs::write(&file, "").unwrap();
    let mut observer = FileStorageObserver::new(&file);
    let error = observer
        .started(&started_event(None))
        .unwrap_err()
        .to_string();
    assert!(error.contains(&file.display().to_string()), "{error}");
}

#[test]
fn json_is_replaced_atomically() {
    let tmp = tmp();
    let path = tmp.path().join("run.json");
    let temps = tmp.path().join("_tmp");
    std::fs::create_dir(&temps).unwrap();
    write_bytes(&temps, &path, b"{\"old\": 1}").unwrap();
    // A failing writer leaves the old file and no temporary file.
    let error = write_atomically(&temps, &path, |file| {
        use std::io::Write;
        file.write_all(b"{\"half").unwrap();
        Err(ObserverError::new("disk full"))
    });
    assert!(error.is_err());
    assert_eq!(read(&path), "{\"old\": 1}");
    assert_eq!(listing(tmp.path()), ["_tmp", "run.json"]);
    assert!(listing(&temps).is_empty());

    // A taken temporary name is skipped, not overwritten.
    let taken = temps.join(format!(".run.json.{}.0.tmp", std::process::id()));
    std::fs::write(&taken, "someone else's").unwrap();
    write_bytes(&temps, &path, b"{}").unwrap();
    assert_eq!(read(&path), "{}");
    assert_eq!(read(&taken), "someone else's");
    std::fs::remove_file(&taken).unwrap();

    // A whole run leaves no temporary file anywhere.
    let basedir = tmp.path().join("runs");
    let mut observer = FileStorageObserver::new(&basedir);
    started(&mut observer, None);
    for n in 0..20 {
        observer
            .metrics(&MetricsEvent {
                series: vec![series(
                    "loss",
                    &[n],
                    &[0.5],
                    &["2026-11-27T22:05:29.142806"],
                )],
            })
            .unwrap();
        observer
            .heartbeat(&beat(
                "2026-11-27T22:05:29.300000",
                "x",
                n,
                json!({"n": n}),
                None,
            ))
            .unwrap();
    }
    observer
        .completed(&CompletedEvent {
            stop_time: iso("2026-11-27T22:05:30.818417"),
            result: None,
        })
        .unwrap();
    let files = all_files(&basedir);
    assert!(
        files.iter().all(|p| !p.to_string_lossy().ends_with(".tmp")),
        "{files:?}"
    );
    assert_eq!(read(basedir.join("1/cout.txt")), "x".repeat(20));
    assert_eq!(
        read_json(basedir.join("1/metrics.json"))["loss"]["steps"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
}

#[test]
fn json_is_written_as_python_writes_it() {
    let value = json!({"b": [], "a": {}, "c": ["é\u{7f}😀\n\"\\\u{1}"], "d": null, "é": true});
    assert_eq!(
        String::from_utf8(to_sacred_json(&Sorted(&value)).unwrap()).unwrap(),
        "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    \
         \"\\u00e9\\u007f\\ud83d\\ude00\\n\\\"\\\\\\u0001\"\n  ],\n  \"d\": null,\n  \
         \"\\u00e9\": true\n}"
    );
    // Python's repr of each (checked with CPython 3.11).
    for (value, python) in [
        (1.0, "1.0"),
        (0.5, "0.5"),
        (0.0001, "0.0001"),
        (1e-5, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (0.3333333333333333, "0.3333333333333333"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (-2.5, "-2.5"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (100.0, "100.0"),
        (123.456, "123.456"),
    ] {
        assert_eq!(python_float_repr(value), python, "{value:e}");
    }
    // Non-finite floats become null, which stays valid JSON.
    assert_eq!(
        String::from_utf8(to_sacred_json(&json!({"x": f64::NAN})).unwrap()).unwrap(),
        "{\n  \"x\": null\n}"
    );
    // Metric values are written as Python's json writes them, so they read back as logged.
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    started(&mut observer, None);
    observer
        .metrics(&MetricsEvent {
            series: vec![MetricSeries::new(
                "\u{0}NaN",
                vec![0, 1, 2, 3],
                vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.5],
                vec![Timestamp::from_micros(0); 4],
            )],
        })
        .unwrap();
    let text = read(tmp.path().join("1/metrics.json"));
    assert!(
        text.contains(
            "\"values\": [\n      NaN,\n      Infinity,\n      -Infinity,\n      0.5\n    ]"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"\\u0000NaN\": {"),
        "a key stays a key: {text}"
    );
}

#[test]
fn resource_paths_keep_the_basedir_as_given() {
    assert_eq!(display_basedir(Path::new("fs")), Path::new("fs"));
    assert_eq!(display_basedir(Path::new("./fs/")), Path::new("fs"));
    assert_eq!(display_basedir(Path::new("./a/./b")), Path::new("a/b"));
    assert_eq!(display_basedir(Path::new(".")), Path::new("."));
    assert_eq!(
        display_basedir(Path::new("/abs/runs")),
        Path::new("/abs/runs")
    );
    assert_eq!(display_basedir(Path::new("../runs")), Path::new("../runs"));
}

#[test]
fn stored_names_split_like_python() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    assert_eq!(
        stored_name(Path::new("src/main.rs"), md5),
        format!("main_{md5}.rs")
    );
    assert_eq!(
        stored_name(Path::new("a.tar.gz"), md5),
        format!("a.tar_{md5}.gz")
    );
    assert_eq!(
        stored_name(Path::new(".bashrc"), md5),
        format!(".bashrc_{md5}")
    );
    assert_eq!(
        stored_name(Path::new("Makefile"), md5),
        format!("Makefile_{md5}")
    );
    assert_eq!(md5_hex(b""), md5);
}

#[test]
fn name_and_priority() {
    let observer = FileStorageObserver::new("./runs");
    assert_eq!(observer.name(), "file storage ./runs");
    assert_eq!(observer.priority(), 20);
    assert_eq!(observer.basedir(), Path::new("./runs"));
    assert_eq!(observer.run_dir(), None);
}

#[test]
fn replace_run_writes_over_only_the_same_run() {
    let tmp = tmp();
    let mut observer = FileStorageObserver::new(tmp.path());
    let event = started_event(Some(RunId::Int(1)));
    observer.started(&event).unwrap();
    let dir = tmp.path().join("1");
    assert!(dir.join(RUN_JSON).is_file());
    // No run under that id: nothing to replace.
    let mut elsewhere = event.clone();
    elsewhere.id = Some(RunId::Int(9));
    assert!(!observer.replace_run(&elsewhere).unwrap());
    // Another run under that id (another start time): refused, left as it is.
    let mut other = event.clone();
    other.start_time = crate::time::Timestamp::from_micros(event.start_time.as_micros() + 1);
    let error = observer.replace_run(&other).unwrap_err().to_string();
    assert!(error.contains("holds another run"), "{error}");
    assert!(dir.join(RUN_JSON).is_file());
    observer
        .heartbeat(&beat(
            "2026-11-27T22:05:29.300000",
            "abc",
            0,
            json!({}),
            None,
        ))
        .unwrap();
    // The same run: kept, and written over file by file (each file replaced whole), so
    // that a store failing again keeps a whole copy of every file it had.
    assert!(observer.replace_run(&event).unwrap());
    assert!(dir.join(RUN_JSON).is_file());
    assert!(tmp.path().join(SOURCES_DIR).is_dir(), "shared sources stay");
    observer.check_id(&RunId::Int(1)).unwrap();
    observer.started(&event).unwrap();
    assert!(dir.join(RUN_JSON).is_file());
    // The output is replayed from the start: what the file has is not written twice.
    for (chunk, offset) in [("abc", 0), ("def", 3)] {
        observer
            .heartbeat(&beat(
                "2026-11-27T22:05:30.300000",
                chunk,
                offset,
                json!({}),
                None,
            ))
            .unwrap();
    }
    assert_eq!(read(dir.join(COUT_TXT)), "abcdef");
    // Another observer of the store sees the id taken, as ever.
    assert!(
        FileStorageObserver::new(tmp.path())
            .check_id(&RunId::Int(1))
            .is_err()
    );
}
