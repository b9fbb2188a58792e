//! The `runs` commands on file storage: the Python Sacred 0.8.7 reference runs of
//! `tests/fixtures`, runs this crate's experiments wrote, and broken stores (a half-written
//! run, a dead run, an unknown id). In process through `sacred::runs_from` (what the
//! `sacred` tool runs), and as processes: `golden runs …` and the `sacred` binary.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::runs::{golden, ok, runs, words_of};
use common::{text, tmp};
use sacred::serde_json::{self, Value};
use sacred_test_support::fixtures;

/// [`runs`] that must fail: the message, and the exit code it gives.
fn fails(cwd: &Path, args: &[&str]) -> (String, i32) {
    match runs(cwd, args) {
        Ok(out) => panic!("runs {args:?} succeeded:\n{out}"),
        Err(e) => (e.to_string(), e.exit_code()),
    }
}

/// A copy of Python Sacred's file storage (runs 1 completed, 2 failed, 3 interrupted) in a
/// fresh directory, as `DIR/py`.
fn python_store() -> tempfile::TempDir {
    let dir = tmp();
    copy_dir(&fixtures::path("file_storage"), &dir.path().join("py"));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::write(&target, std::fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

/// The lines of a table after its header, each split at runs of spaces.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip(1)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn ls_lists_python_sacreds_runs_newest_first_with_the_differing_config() {
    let dir = python_store();
    let out = ok(dir.path(), &["ls", "-F", "py"]);
    let header = out.lines().next().unwrap();
    for column in [
        "ID",
        "EXPERIMENT",
        "STATUS",
        "STARTED",
        "DURATION",
        "RESULT",
        "COMMENT",
    ] {
        assert!(header.contains(column), "{out}");
    }
    // The config values that differ, not those all runs share (steps), nor the seed.
    for key in ["batch_size", "lr", "mode", "optimizer.name"] {
        assert!(header.contains(key), "{out}");
    }
    assert!(
        !header.contains("steps") && !header.contains("seed"),
        "{out}"
    );
    let rows = rows(&out);
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["3", "2", "1"], "{out}");
    assert_eq!(rows[0][2], "INTERRUPTED");
    assert_eq!(rows[1][2], "FAILED");
    assert!(out.contains("ValueError: planned fai"), "{out}");
    assert_eq!(rows[2][2], "COMPLETED");
    assert!(rows[2].contains(&"2026-11-27 22:03:04".to_owned()), "{out}");
    assert!(rows[2].iter().any(|c| c.contains("\"acc\": 0.7")), "{out}");
    // Not a terminal: no colours.
    assert!(!out.contains('\x1b'), "{out}");
}

#[test]
fn ls_filters_by_status_experiment_time_and_values() {
    let dir = python_store();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["ls", "-F", "py"];
        all.extend_from_slice(args);
        rows(&ok(dir.path(), &all))
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    };
    assert_eq!(ids(&["--status", "failed"]), ["2"]);
    assert_eq!(ids(&["--status", "COMPLETED"]), ["1"]);
    assert_eq!(ids(&["--where", "lr<0.001"]), ["1"]);
    assert_eq!(ids(&["--where", "optimizer.name=adam", "-n", "1"]), ["3"]);
    assert_eq!(ids(&["-w", "batch_size>=32", "-w", "mode!=ok"]), ["3"]);
    assert_eq!(ids(&["--where", "result.acc>0.5"]), ["1"]);
    assert_eq!(ids(&["--since", "2026-11-27T22:03:05"]), ["3", "2"]);
    assert_eq!(ids(&["--experiment", "golden", "-n2"]), ["3", "2"]);
    let out = ok(dir.path(), &["ls", "-F", "py", "--experiment", "other"]);
    assert_eq!(out, "no runs in file storage `py`\n");
    let (message, code) = fails(dir.path(), &["ls", "-F", "py", "--where", "lrr<1"]);
    assert!(
        message.contains("no listed run has the key `lrr`"),
        "{message}"
    );
    assert!(message.contains("did you mean `lr`?"), "{message}");
    assert_eq!(code, 2);
    let (message, _) = fails(dir.path(), &["ls", "-F", "py", "--status", "sucess"]);
    assert!(
        message.contains("`--status sucess`: unknown status"),
        "{message}"
    );
}

#[test]
fn ls_writes_json_and_csv() {
    let dir = python_store();
    let json: Value = serde_json::from_str(&ok(dir.path(), &["ls", "-F", "py", "--json"])).unwrap();
    let runs = json.as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[2]["id"], "1");
    assert_eq!(runs[2]["status"], "COMPLETED");
    assert_eq!(runs[2]["config"]["optimizer"]["name"], "sgd");
    assert_eq!(runs[2]["result"]["acc"], 0.7);
    assert_eq!(runs[1]["experiment"], "golden");
    let csv = ok(dir.path(), &["ls", "-F", "py", "--csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,experiment,status,start_time,stop_time,duration_s,result,comment,\
         config.batch_size,config.lr,config.mode,config.optimizer.betas,config.optimizer.name,\
         config.seed,config.steps"
    );
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("3,golden,INTERRUPTED,2026-11-27T22:03:07"),
        "{csv}"
    );
    assert!(
        first.ends_with(",32,0.001,interrupt,\"[0.9, 0.999]\",adam,9,3"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4);
}

#[test]
fn show_prints_a_python_run_whole() {
    let dir = python_store();
    let out = ok(dir.path(), &["show", "2", "-F", "py"]);
    assert!(out.starts_with("Run 2 · golden · FAILED\n"), "{out}");
    // Python Sacred's host fields, which this crate does not write, are shown.
    assert!(out.contains("host      vm (Linux-6.18.44"), "{out}");
    assert!(out.contains("Python 3.11.7"), "{out}");
    // The config, nested as print_config nests it.
    assert!(
        out.contains("Configuration:\n  batch_size = 8\n  lr = 0.001\n"),
        "{out}"
    );
    assert!(
        out.contains("  optimizer:\n    betas = [0.9, 0.999]\n    name = \"adam\"\n"),
        "{out}"
    );
    assert!(
        out.contains("Failure:\n  Traceback (most recent call last):"),
        "{out}"
    );
    assert!(out.contains("  ValueError: planned failure\n"), "{out}");
    // Metrics: points, last, min, max and a sparkline.
    assert_eq!(
        words_of(&out, "training.loss"),
        ["training.loss", "3", "0.3333", "0.3333", "1", "█▃▁"],
        "{out}"
    );
    assert!(out.contains("Artifacts:\n  model.bin  9 B\n"), "{out}");
    assert!(out.contains("Info:\n"), "{out}");
    assert!(out.contains("    best_step = 2\n"), "{out}");

    let completed = ok(dir.path(), &["show", "1", "-F", "py"]);
    assert!(
        completed.contains("Result: \n  {\n    \"acc\": 0.7,"),
        "{completed}"
    );
}

#[test]
fn diff_puts_configs_results_and_metrics_side_by_side() {
    let dir = python_store();
    let out = ok(dir.path(), &["diff", "1", "2", "3", "-F", "py"]);
    let line = |label: &str| -> Vec<String> {
        out.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` in\n{out}"))
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(line("run 1"), ["run 1", "run 2", "run 3"]);
    assert_eq!(
        line("status"),
        ["status", "COMPLETED", "FAILED", "INTERRUPTED"]
    );
    assert_eq!(line("lr"), ["lr", "0.0001", "0.001", "0.001"]);
    assert_eq!(
        line("optimizer.name"),
        ["optimizer.name", "sgd", "adam", "adam"]
    );
    assert!(out.contains("config (5 differ, 2 same)"), "{out}");
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("steps")),
        "{out}"
    );
    assert_eq!(
        line("training.loss"),
        [
            "training.loss",
            "0.3333 (0.3333..1)",
            "0.3333 (0.3333..1)",
            "0.3333 (0.3333..1)"
        ]
    );
    let (message, code) = fails(dir.path(), &["diff", "1", "-F", "py"]);
    assert!(
        message.contains("`runs diff A B [C…]`: expected 2 or more arguments, found 1"),
        "{message}"
    );
    assert_eq!(code, 2);
}

#[test]
fn metrics_prints_the_series_as_csv_and_json() {
    let dir = python_store();
    let csv = ok(
        dir.path(),
        &["metrics", "1", "training.loss", "--csv", "-F", "py"],
    );
    assert_eq!(
        csv,
        "metric,step,value,timestamp\n\
         training.loss,0,1,2026-11-27T22:03:04.694401\n\
         training.loss,1,0.5,2026-11-27T22:03:04.694442\n\
         training.loss,2,0.3333333333333333,2026-11-27T22:03:04.694453\n"
    );
    let json: Value =
        serde_json::from_str(&ok(dir.path(), &["metrics", "1", "--json", "-F", "py"])).unwrap();
    // Sacred's metrics.json, read back the same.
    assert_eq!(json, fixtures::reference("file_storage/1/metrics.json"));
    let table = ok(dir.path(), &["metrics", "1", "-F", "py"]);
    assert_eq!(table.lines().count(), 7, "{table}");
    let (message, code) = fails(dir.path(), &["metrics", "1", "training.los", "-F", "py"]);
    assert!(
        message.contains("run `1` has no metric `training.los`"),
        "{message}"
    );
    assert!(
        message.contains("did you mean `training.loss`?"),
        "{message}"
    );
    assert_eq!(code, 2);
}

#[test]
fn export_writes_one_table_of_config_results_and_metric_summaries() {
    let dir = python_store();
    let out = ok(dir.path(), &["export", "-F", "py", "-o", "table.csv"]);
    assert_eq!(out, "wrote 3 runs to table.csv\n");
    let csv = std::fs::read_to_string(dir.path().join("table.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..5],
        ["id", "experiment", "status", "start_time", "duration_s"]
    );
    for column in [
        "result.acc",
        "result.rnd",
        "config.lr",
        "config.optimizer.name",
        "training.loss.last",
        "training.loss.min",
        "training.acc.max",
    ] {
        assert!(header.contains(&column), "{column} missing from {header:?}");
    }
    let row1 = csv.lines().find(|l| l.starts_with("1,")).unwrap();
    let cells = csv_cells(row1);
    assert_eq!(cells.len(), header.len(), "{csv}");
    let at = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()].as_str();
    assert_eq!(at("config.optimizer.betas"), "[0.9, 0.999]");
    assert_eq!(at("result.acc"), "0.7");
    assert_eq!(at("config.lr"), "0.0001");
    assert_eq!(at("training.loss.min"), "0.3333333333333333");
    assert_eq!(at("training.loss.max"), "1");
    // Two runs by id, to standard output.
    let picked = ok(dir.path(), &["export", "3", "1", "-F", "py"]);
    assert_eq!(picked.lines().count(), 3);
    let (message, _) = fails(dir.path(), &["export", "-F", "py", "-o", "t.parquet"]);
    assert!(message.contains("expected a `.csv` file"), "{message}");
}

/// The fields of one CSV line (RFC 4180 quoting).
fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// The pixels of a PNG: width, height, and the RGB(A) bytes.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels, info.color_type.samples())
}

#[test]
fn plot_renders_a_png_of_many_runs_that_is_not_blank() {
    let dir = python_store();
    let out = ok(
        dir.path(),
        &[
            "plot",
            "training.loss",
            "-F",
            "py",
            "-o",
            "loss.png",
            "--smooth",
            "0.3",
        ],
    );
    assert_eq!(out, "plotted `training.loss` of 3 runs to loss.png\n");
    let bytes = std::fs::read(dir.path().join("loss.png")).unwrap();
    assert!(bytes.len() > 5_000, "{} bytes", bytes.len());
    let (width, height, pixels, samples) = decode_png(&bytes);
    assert_eq!((width, height), (1000, 600));
    let pixels: Vec<&[u8]> = pixels.chunks(samples).collect();
    let white = pixels.iter().filter(|p| p[..3] == [255, 255, 255]).count();
    let coloured = pixels
        .iter()
        .filter(|p| {
            let (lo, hi) = (p[..3].iter().min().unwrap(), p[..3].iter().max().unwrap());
            hi - lo > 80
        })
        .count();
    // Mostly background, but with axes, text and coloured lines drawn on it.
    assert!(
        white > pixels.len() / 2,
        "{white} white of {}",
        pixels.len()
    );
    assert!(
        white < pixels.len() * 99 / 100,
        "nearly blank: {white} white of {}",
        pixels.len()
    );
    assert!(
        coloured > 1_000,
        "only {coloured} coloured pixels: no lines?"
    );

    // Chosen runs, time on x, log y, as SVG with a legend of the differing config.
    ok(
        dir.path(),
        &[
            "plot",
            "training.acc",
            "1",
            "2",
            "-F",
            "py",
            "-o",
            "acc.svg",
            "--x",
            "time",
            "--log-y",
        ],
    );
    let svg = std::fs::read_to_string(dir.path().join("acc.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("run 1: batch_size=32, lr=0.0001, mode=ok, optimizer.name=sgd"),
        "{svg}"
    );
    assert!(svg.contains("seconds since the first point"), "{svg}");

    let (message, _) = fails(dir.path(), &["plot", "training.loss", "-F", "py"]);
    assert!(
        message.contains("expected -o FILE.png or -o FILE.svg"),
        "{message}"
    );
    let (message, _) = fails(dir.path(), &["plot", "nope", "-F", "py", "-o", "x.png"]);
    assert!(
        message.contains("no listed run has the metric `nope`"),
        "{message}"
    );
    let (message, _) = fails(
        dir.path(),
        &["plot", "training.loss", "-F", "py", "-o", "x.jpg"],
    );
    assert!(
        message.contains("expected a file ending in .png or .svg"),
        "{message}"
    );
}

#[test]
fn a_corrupt_run_is_listed_as_such_and_named_when_shown() {
    let dir = python_store();
    let py = dir.path().join("py");
    // A run that crashed while writing its run.json, one with no run.json, one of the
    // wrong shape.
    std::fs::create_dir(py.join("4")).unwrap();
    std::fs::write(py.join("4/run.json"), "{\"status\": \"RUNN").unwrap();
    std::fs::create_dir(py.join("5")).unwrap();
    std::fs::write(py.join("5/config.json"), "{}").unwrap();
    std::fs::create_dir(py.join("6")).unwrap();
    std::fs::write(py.join("6/run.json"), "[1, 2]").unwrap();
    let out = ok(dir.path(), &["ls", "-F", "py"]);
    let rows = rows(&out);
    assert_eq!(rows.len(), 6, "{out}");
    let corrupt: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "CORRUPT").collect();
    assert_eq!(corrupt.len(), 3, "{out}");
    assert!(out.contains("run.json is not valid JSON"), "{out}");
    assert!(out.contains("no run.json"), "{out}");
    assert!(
        out.contains("run.json holds an array, expected a JSON object"),
        "{out}"
    );
    // The whole runs are still listed.
    assert!(
        rows.iter().any(|r| r[0] == "1" && r[2] == "COMPLETED"),
        "{out}"
    );
    let only: Vec<String> = super_rows(&ok(dir.path(), &["ls", "-F", "py", "--status", "corrupt"]));
    assert_eq!(only, ["6", "5", "4"]);
    let (message, code) = fails(dir.path(), &["show", "4", "-F", "py"]);
    assert!(
        message
            .starts_with("run `4` in file storage `py` cannot be read: run.json is not valid JSON"),
        "{message}"
    );
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&ok(dir.path(), &["ls", "-F", "py", "--json"])).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "4" && r["status"] == "CORRUPT")
    );
}

fn super_rows(table: &str) -> Vec<String> {
    rows(table).into_iter().map(|r| r[0].clone()).collect()
}

#[test]
fn a_running_run_without_recent_heartbeats_is_dead() {
    let dir = python_store();
    let py = dir.path().join("py");
    let mut run = fixtures::reference("file_storage/1/run.json");
    run["status"] = "RUNNING".into();
    run.as_object_mut().unwrap().remove("stop_time");
    run.as_object_mut().unwrap().remove("result");
    // Fields Python Sacred or a dashboard may add that this crate never writes.
    run["omniboard"] = serde_json::json!({"tags": ["keep"]});
    std::fs::create_dir(py.join("7")).unwrap();
    std::fs::write(py.join("7/run.json"), run.to_string()).unwrap();
    let now = sacred::time::Timestamp::now().to_string();
    run["heartbeat"] = now.clone().into();
    run["start_time"] = now.into();
    std::fs::create_dir(py.join("8")).unwrap();
    std::fs::write(py.join("8/run.json"), run.to_string()).unwrap();
    // Silent for 40 s, past the default limit (30 s), within three beats of its own 60 s:
    // its `-b` (as Python Sacred stores it) or its worker's interval.
    let forty_ago = sacred::time::Timestamp::from_micros(
        sacred::time::Timestamp::now().as_micros() - 40_000_000,
    )
    .to_string();
    run["heartbeat"] = forty_ago.clone().into();
    run["start_time"] = forty_ago.into();
    run["meta"]["options"]["--beat-interval"] = "60".into();
    std::fs::create_dir(py.join("9")).unwrap();
    std::fs::write(py.join("9/run.json"), run.to_string()).unwrap();
    run["meta"]["options"]["--beat-interval"] = serde_json::Value::Null;
    run["meta"]["worker"] = serde_json::json!({ "beat_interval": 60.0 });
    std::fs::create_dir(py.join("10")).unwrap();
    std::fs::write(py.join("10/run.json"), run.to_string()).unwrap();
    let out = ok(dir.path(), &["ls", "-F", "py"]);
    let status = |id: &str| rows(&out).into_iter().find(|r| r[0] == id).unwrap()[2].clone();
    assert_eq!(status("7"), "DEAD", "{out}");
    assert_eq!(status("8"), "RUNNING", "{out}");
    assert_eq!(status("9"), "RUNNING", "{out}");
    assert_eq!(status("10"), "RUNNING", "{out}");
    assert_eq!(
        super_rows(&ok(dir.path(), &["ls", "-F", "py", "--status", "dead"])),
        ["7"]
    );
    let mut running = super_rows(&ok(dir.path(), &["ls", "-F", "py", "--status", "running"]));
    running.sort();
    assert_eq!(running, ["10", "8", "9"]);
    let shown = ok(dir.path(), &["show", "7", "-F", "py"]);
    assert!(shown.starts_with("Run 7 · golden · DEAD\n"), "{shown}");
}

#[test]
fn bad_input_gets_one_clear_message() {
    let dir = python_store();
    let (message, code) = fails(dir.path(), &["show", "99", "-F", "py"]);
    assert_eq!(message, "no run `99` in file storage `py`");
    assert_eq!(code, 2);
    // The store's own directories are no runs.
    let (message, _) = fails(dir.path(), &["show", "_sources", "-F", "py"]);
    assert_eq!(message, "no run `_sources` in file storage `py`");
    let (message, _) = fails(dir.path(), &["show", "../py/1", "-F", "py"]);
    assert!(message.starts_with("no run `../py/1`"), "{message}");
    let (message, code) = fails(dir.path(), &["ls", "-F", "missing"]);
    assert!(
        message.starts_with("cannot read the runs in file storage `missing`"),
        "{message}"
    );
    assert!(
        message.contains("expected a directory of runs (-F DIR)"),
        "{message}"
    );
    assert_eq!(code, 1);
    let (message, code) = fails(dir.path(), &["lss"]);
    assert!(
        message.contains("unknown subcommand `lss`") && message.contains("did you mean `ls`?"),
        "{message}"
    );
    assert_eq!(code, 2);
    let (message, _) = fails(dir.path(), &["show", "1", "--json"]);
    assert!(
        message.contains("`runs show`: the flag `--json` does not apply here"),
        "{message}"
    );
    let (message, _) = fails(dir.path(), &["ls", "--lmit", "3"]);
    assert!(
        message.contains("unknown flag `--lmit`; did you mean `--limit`?"),
        "{message}"
    );
    // A metrics.json of the wrong shape names the field.
    std::fs::write(
        dir.path().join("py/3/metrics.json"),
        r#"{"loss": {"steps": 1, "values": []}}"#,
    )
    .unwrap();
    let (message, _) = fails(dir.path(), &["metrics", "3", "-F", "py"]);
    assert!(
        message.contains("metrics.json: `loss.steps` is missing or not an array"),
        "{message}"
    );
    // Without the mongo feature, -m says which feature is missing; with it, a server
    // that is down is named.
    let (message, code) = fails(
        dir.path(),
        &[
            "ls",
            "-m",
            "mongodb://127.0.0.1:9/db?serverSelectionTimeoutMS=300",
        ],
    );
    assert!(
        message.starts_with("`-m mongodb://127.0.0.1:9/db"),
        "{message}"
    );
    assert_ne!(code, 0);
}

#[test]
fn rm_removes_the_runs_and_nothing_else() {
    let dir = python_store();
    let py = dir.path().join("py");
    let (message, _) = fails(dir.path(), &["rm", "2", "-F", "py"]);
    assert!(message.contains("expected --yes"), "{message}");
    assert!(py.join("2/run.json").exists());
    // An unknown id removes nothing, not even the known ones before it.
    let (message, _) = fails(dir.path(), &["rm", "2", "9", "--yes", "-F", "py"]);
    assert_eq!(message, "no run `9` in file storage `py`");
    assert!(py.join("2").exists());
    let out = ok(dir.path(), &["rm", "2", "3", "-y", "-F", "py"]);
    assert_eq!(
        out,
        "removed run 2 from file storage `py`\nremoved run 3 from file storage `py`\n"
    );
    let mut left: Vec<String> = std::fs::read_dir(&py)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["1", "_resources", "_sources"]);
    assert_eq!(std::fs::read_dir(py.join("1")).unwrap().count(), 6);
    let (message, _) = fails(dir.path(), &["rm", "_sources", "--yes", "-F", "py"]);
    assert_eq!(message, "no run `_sources` in file storage `py`");
}

/// The `sacred` binary, in `cwd`.
fn sacred_tool(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sacred"));
    cmd.current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("SACRED_FILE_STORAGE")
        .env_remove("SACRED_MONGO_URL");
    cmd
}

fn output_of(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_sacred_tool_reads_any_store_and_asks_before_removing() {
    let dir = python_store();
    let mut ls = sacred_tool(dir.path());
    ls.args(["ls", "-F", "py"]);
    let out = output_of(ls, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rows(&text(&out.stdout)).len(), 3);
    let mut runs_ls = sacred_tool(dir.path());
    runs_ls.args(["runs", "ls", "-F", "py", "--status", "failed"]);
    assert_eq!(super_rows(&text(&output_of(runs_ls, "").stdout)), ["2"]);

    let mut rm = sacred_tool(dir.path());
    rm.args(["runs", "rm", "2", "-F", "py"]);
    let out = output_of(rm, "n\n");
    assert!(out.status.success());
    assert!(
        text(&out.stderr)
            .contains("Remove 1 run from file storage `py`: 2 (golden, FAILED)? [y/N]"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "nothing removed\n");
    assert!(dir.path().join("py/2").exists());
    let mut rm = sacred_tool(dir.path());
    rm.args(["rm", "2", "-F", "py"]);
    let out = output_of(rm, "y\n");
    assert!(out.status.success());
    assert!(!dir.path().join("py/2").exists());

    let mut bad = sacred_tool(dir.path());
    bad.args(["show", "2", "-F", "py"]);
    let out = output_of(bad, "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: no run `2` in file storage `py`\n"
    );
    let mut nothing = sacred_tool(dir.path());
    nothing.arg("frobnicate");
    assert_eq!(output_of(nothing, "").status.code(), Some(2));
}

/// A directory where the golden example recorded three runs in `./runs` (1 completed with
/// lr=0.01, 2 completed with lr=0.1, 3 failed) and the quickstart example one.
fn rust_store() -> tempfile::TempDir {
    let dir = tmp();
    golden(dir.path(), &["with", "lr=0.01", "-c", "the baseline"], 0);
    golden(dir.path(), &["with", "lr=0.1", "steps=5"], 0);
    golden(dir.path(), &["with", "mode=fail"], 1);
    let quick = common::run("quickstart", &["-F", "runs"], dir.path());
    assert!(quick.status.success(), "{}", text(&quick.stderr));
    dir
}

#[test]
fn an_experiment_binary_reads_its_own_runs() {
    let dir = rust_store();
    let ls = golden(dir.path(), &["runs", "ls"], 0);
    let out = text(&ls.stdout);
    let rows = rows(&out);
    // Its own runs, not quickstart's, by default; every experiment's with --all.
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["3", "2", "1"],
        "{out}"
    );
    assert!(out.lines().next().unwrap().contains("lr"), "{out}");
    assert!(out.contains("the baseline"), "{out}");
    assert!(text(&golden(dir.path(), &["runs", "ls", "--all"], 0).stdout).contains("quickstart"));
    let show = text(&golden(dir.path(), &["runs", "show", "2"], 0).stdout);
    assert!(show.starts_with("Run 2 · golden · COMPLETED\n"), "{show}");
    assert!(show.contains("Rust "), "{show}");
    assert!(show.contains("  steps = 5\n"), "{show}");
    assert_eq!(
        words_of(&show, "model.bin"),
        ["model.bin", "9", "B"],
        "{show}"
    );
    assert_eq!(
        words_of(&show, "summary.txt"),
        ["summary.txt", "8", "B"],
        "{show}"
    );
    assert_eq!(
        words_of(&show, "training.loss")[..5],
        ["training.loss", "5", "0.2", "0.2", "1"],
        "{show}"
    );
    let diff = text(&golden(dir.path(), &["runs", "diff", "1", "2", "3"], 0).stdout);
    assert!(diff.contains("planned failure"), "{diff}");
    let metrics = text(
        &golden(
            dir.path(),
            &["runs", "metrics", "2", "training.acc", "--csv"],
            0,
        )
        .stdout,
    );
    assert_eq!(metrics.lines().count(), 6, "{metrics}");
    golden(
        dir.path(),
        &["runs", "plot", "training.loss", "1", "2", "-o", "loss.png"],
        0,
    );
    assert!(dir.path().join("loss.png").metadata().unwrap().len() > 5_000);
    let help = text(&golden(dir.path(), &["help", "runs"], 0).stdout);
    assert!(
        help.contains("runs ls|show|diff|metrics|export|plot|rm"),
        "{help}"
    );
    // Bad input: a usage error, exit 2, nothing run.
    let bad = golden(dir.path(), &["runs", "show", "42"], 2);
    assert_eq!(
        text(&bad.stderr),
        "error: no run `42` in file storage `runs`\n"
    );
}

/// The README's figure, made as the README says: a sweep of the `sweep` example, listed,
/// compared and plotted by its own `runs`.
#[test]
fn the_sweep_example_lists_compares_and_plots_its_runs() {
    let dir = tmp();
    let sweep = |args: &[&str]| -> String {
        let out = common::run("sweep", args, dir.path());
        assert!(
            out.status.success(),
            "sweep {args:?}:\n{}",
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    for lr in ["0.01", "0.05", "0.2"] {
        sweep(&["with", &format!("lr={lr}"), "seed=1"]);
    }
    sweep(&[
        "with",
        "lr=0.05",
        "momentum=0.8",
        "seed=1",
        "-c",
        "with momentum",
    ]);
    let list = sweep(&["runs", "ls"]);
    assert_eq!(super_rows(&list), ["4", "3", "2", "1"], "{list}");
    let header = list.lines().next().unwrap();
    assert!(header.ends_with("lr    momentum"), "{list}");
    // Gradient descent with too small a step has not converged yet.
    let result = |id: &str| -> f64 {
        let run = rows(&list).into_iter().find(|r| r[0] == id).unwrap();
        run[5].parse().unwrap()
    };
    assert!(result("1") > 10.0 * result("3"), "{list}");
    let diff = sweep(&["runs", "diff", "2", "4"]);
    assert!(diff.contains("config (1 differ, 3 same)"), "{diff}");
    sweep(&["runs", "plot", "training.loss", "-o", "plot.png", "--log-y"]);
    let (width, height, _, _) = decode_png(&std::fs::read(dir.path().join("plot.png")).unwrap());
    assert_eq!((width, height), (1000, 600));
}
