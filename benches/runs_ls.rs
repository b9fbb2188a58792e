//! How long `runs ls` takes over 10,000 runs in file storage: the `sacred` tool as a
//! process (what a user waits for), and `sacred::runs_from` in process. The runs are
//! Python Sacred's reference run 1 with its config and start time varied, each with a
//! `metrics.json` and output that a listing must not read.
//!
//! ```sh
//! cargo bench --bench runs_ls                                  # 10,000 runs, 7 rounds
//! SACRED_BENCH_RUNS=100000 SACRED_BENCH_ROUNDS=3 cargo bench --bench runs_ls
//! ```

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{out, setting, summary};
use sacred::serde_json::{self, Value, json};
use sacred::{Env, time::Timestamp};

fn main() {
    let count = setting("SACRED_BENCH_RUNS", 10_000);
    let rounds = usize::try_from(setting("SACRED_BENCH_ROUNDS", 7)).unwrap_or(7);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runs = dir.path().join("runs");
    let started = Instant::now();
    write_runs(&runs, count);
    out(&format!(
        "wrote {count} runs in {:.1} s; timing `runs ls` ({rounds} rounds, the first not counted)",
        started.elapsed().as_secs_f64()
    ));
    out("| case | median ms (min–max) |");
    out("|---|---|");
    let tool = env!("CARGO_BIN_EXE_sacred");
    for (label, extra) in [
        ("`sacred ls -F runs` (the table)", &[][..]),
        ("`sacred ls -F runs --json`", &["--json"][..]),
        (
            "`sacred ls -F runs --where 'lr<0.001' -n 20`",
            &["--where", "lr<0.001", "-n", "20"][..],
        ),
    ] {
        let times = time(rounds, || {
            let status = Command::new(tool)
                .current_dir(dir.path())
                .args(["ls", "-F", "runs"])
                .args(extra)
                .stdout(Stdio::null())
                .status()
                .expect("running sacred");
            assert!(status.success());
        });
        report(label, times);
    }
    let args: Vec<String> = ["ls", "-F", "runs"].map(str::to_owned).to_vec();
    let times = time(rounds, || {
        let env = Env::captured(dir.path());
        sacred::runs_from(&args, &env).expect("runs ls");
        assert!(env.stdout_text().lines().count() > usize::try_from(count).unwrap());
    });
    report("`sacred::runs_from([\"ls\", …])` in process", times);
}

fn time(rounds: usize, mut once: impl FnMut()) -> Vec<f64> {
    once();
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            once();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

fn report(label: &str, times: Vec<f64>) {
    let (median, min, max) = summary(times);
    out(&format!("| {label} | {median:.0} ({min:.0}–{max:.0}) |"));
}

/// `count` runs under `dir`, shaped as Python Sacred's run 1: `run.json`, `config.json`,
/// `metrics.json` (100 points of 2 metrics), `info.json`, `cout.txt`.
fn write_runs(dir: &Path, count: u64) {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sacred-0.8.7/file_storage/1");
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(root.join(name)).expect("the reference run")).unwrap()
    };
    let (run, config, info) = (read("run.json"), read("config.json"), read("info.json"));
    let points: Vec<u32> = (0..100).collect();
    let metrics = json!({
        "training.loss": {"steps": points, "values": points, "timestamps": vec!["2026-11-27T22:03:04.694401"; 100]},
        "training.acc": {"steps": points, "values": points, "timestamps": vec!["2026-11-27T22:03:04.694401"; 100]},
    })
    .to_string();
    let info = info.to_string();
    let cout = "INFO - golden - a line of output\n".repeat(100);
    let first = Timestamp::parse("2026-01-01T00:00:00").unwrap().as_micros();
    for id in 1..=count {
        let run_dir = dir.join(id.to_string());
        std::fs::create_dir_all(&run_dir).unwrap();
        let mut run = run.clone();
        let micros = i64::try_from(id).unwrap() * 60_000_000;
        run["start_time"] = Timestamp::from_micros(first + micros).to_string().into();
        run["heartbeat"] = Timestamp::from_micros(first + micros + 30_000_000)
            .to_string()
            .into();
        run["stop_time"] = run["heartbeat"].clone();
        run["result"] = json!(id % 97);
        let mut config = config.clone();
        config["lr"] = json!(0.0001 * f64::from(u32::try_from(id % 20).unwrap() + 1));
        config["seed"] = json!(id);
        std::fs::write(
            run_dir.join("run.json"),
            serde_json::to_string_pretty(&run).unwrap(),
        )
        .unwrap();
        std::fs::write(
            run_dir.join("config.json"),
            serde_json::to_string_pretty(&config).unwrap(),
        )
        .unwrap();
        std::fs::write(run_dir.join("metrics.json"), &metrics).unwrap();
        std::fs::write(run_dir.join("info.json"), &info).unwrap();
        std::fs::write(run_dir.join("cout.txt"), &cout).unwrap();
    }
}
