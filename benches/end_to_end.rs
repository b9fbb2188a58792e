//! Whole runs that log many points, as processes: 10^5, 10^6 and 10^7 points over 10
//! metric names into file storage (and MongoDB with `--features mongo` and
//! `SACRED_TEST_MONGO_URL`), each point read back once from the store afterwards; the wall
//! time, the process's peak RSS over an unobserved run of the same points (`-u`), and the
//! bytes written at each beat of a run that logs the same number of points at every one
//! of 30 beats.
//!
//! ```sh
//! cargo bench --bench end_to_end
//! SACRED_BENCH_MAX_POINTS=1000000 cargo bench --bench end_to_end     # up to 10^6
//! SACRED_TEST_MONGO_URL=mongodb://127.0.0.1:PORT cargo bench --features mongo --bench end_to_end
//! ```

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{out, setting};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sacred::prelude::*;
use sacred::serde_json::Value;
use sacred::{Env, Metric, Outcome, run_from};

/// Metric names the points are spread over.
const NAMES: u64 = 10;

#[experiment(name = "e2e", config = EndToEnd)]
fn e2e(
    #[default(100_000)] points: u64,
    /// 0: as fast as possible; else the points are logged in this many equal batches, one
    /// per 0.2 s beat
    #[default(0)]
    batches: u64,
    run: &Run,
) {
    let metrics: Vec<Metric> = (0..NAMES).map(|n| run.metric(&format!("m{n}"))).collect();
    let per_batch = points.checked_div(batches).unwrap_or(points);
    for batch in 0..points / per_batch.max(1) {
        for i in 0..per_batch {
            metrics[((batch * per_batch + i) % NAMES) as usize].log(i as f64 * 0.5);
        }
        if batches > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The peak resident set of this process, in MiB (`VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Bytes this process passed to `write` so far (`wchar` of `/proc/PID/io`).
fn written(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find(|l| l.starts_with("wchar:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

fn main() {
    if std::env::var("SACRED_BENCH_ROLE").as_deref() == Ok("experiment") {
        let outcome = run_from::<EndToEnd, _, _>(std::env::args_os(), &Env::from_process());
        // After the run: every observer joined, so this is the whole run's peak.
        eprintln_peak();
        std::process::exit(match outcome {
            Ok(Outcome::Completed { .. }) => 0,
            Ok(other) => other.exit_code(),
            Err(e) => e.exit_code(),
        });
    }
    drive();
}

/// Tells the driver the peak RSS on the last line of standard error.
fn eprintln_peak() {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "peak-rss-mib {:.1}", peak_rss_mib());
}

/// Runs the experiment as a process; its wall time, peak RSS and standard error.
fn run_process(dir: &Path, args: &[String]) -> (f64, f64, String) {
    let me = std::env::current_exe().expect("the benchmark's own path");
    let start = Instant::now();
    let output = Command::new(me)
        .env("SACRED_BENCH_ROLE", "experiment")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .output()
        .expect("the benchmark runs itself");
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{args:?} failed:\n{stderr}");
    let peak = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak-rss-mib "))
        .next_back()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (wall, peak, stderr)
}

/// The points of each metric of run `id` in file storage `dir`.
fn file_points(dir: &Path, id: u64) -> Vec<usize> {
    let text = std::fs::read_to_string(dir.join(format!("{id}/metrics.json"))).unwrap_or_default();
    let metrics: Value = sacred::serde_json::from_str(&text).unwrap_or_default();
    (0..NAMES)
        .map(|n| {
            metrics[format!("m{n}")]["steps"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .collect()
}

fn drive() {
    let max: u64 = setting("SACRED_BENCH_MAX_POINTS", 10_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runs = dir.path().join("runs");
    out("| points | store | wall s | peak RSS MiB | over `-u` | read back |");
    out("|---|---|---|---|---|---|");
    let mut id = 0;
    let mut points = 100_000;
    while points <= max {
        let with = |flags: &[&str]| {
            let mut args: Vec<String> = flags.iter().map(|f| (*f).to_owned()).collect();
            args.extend(["with".to_owned(), format!("points={points}")]);
            args
        };
        let (_, bare_peak, _) = run_process(dir.path(), &with(&["-u"]));
        let runs_arg = runs.display().to_string();
        let (wall, peak, _) = run_process(dir.path(), &with(&["-F", &runs_arg]));
        id += 1;
        let counts = file_points(&runs, id);
        let all = counts.iter().all(|c| *c as u64 == points / NAMES);
        out(&format!(
            "| {points} | file storage | {wall:.2} | {peak:.1} | +{:.1} | {} |",
            peak - bare_peak,
            if all {
                "every point, once"
            } else {
                "MISSING POINTS"
            }
        ));
        assert!(all, "file storage run {id}: {counts:?} of {points} points");
        mongo_case(dir.path(), points, bare_peak);
        points *= 10;
    }
    beats(dir.path(), &runs, id + 1);
}

/// The same run into MongoDB, when a server is given.
#[cfg(feature = "mongo")]
fn mongo_case(dir: &Path, points: u64, bare_peak: f64) {
    let Ok(url) = std::env::var("SACRED_TEST_MONGO_URL") else {
        return;
    };
    let db = format!("sacred_bench_e2e_{}", std::process::id());
    let url = format!("{}/{db}", url.trim_end_matches('/'));
    let args = vec![
        "-m".to_owned(),
        url.clone(),
        "with".to_owned(),
        format!("points={points}"),
    ];
    let (wall, peak, stderr) = run_process(dir, &args);
    let id = stderr
        .lines()
        .find_map(|l| l.split("Started run with ID \"").nth(1)?.split('"').next())
        .and_then(|id| id.parse::<i64>().ok())
        .expect("the run's id");
    let spec = sacred::mongo::parse_spec(&url).expect("the URL");
    let reader = sacred::mongo::read::MongoReader::connect(&spec).expect("the server");
    let metrics = reader
        .metrics(&sacred::observer::RunId::Int(id))
        .expect("the metrics");
    let all = metrics.len() as u64 == NAMES
        && metrics
            .iter()
            .all(|m| m.steps.len() as u64 == points / NAMES);
    out(&format!(
        "| {points} | MongoDB | {wall:.2} | {peak:.1} | +{:.1} | {} |",
        peak - bare_peak,
        if all {
            "every point, once"
        } else {
            "MISSING POINTS"
        }
    ));
    assert!(all, "MongoDB run {id}");
}

#[cfg(not(feature = "mongo"))]
fn mongo_case(_: &Path, _: u64, _: f64) {}

/// Bytes written at each beat of a file storage run that logs the same number of points
/// at every one of 30 beats: they should stay flat, not grow with the run.
fn beats(dir: &Path, runs: &Path, id: u64) {
    let me = std::env::current_exe().expect("the benchmark's own path");
    let mut child = Command::new(me)
        .env("SACRED_BENCH_ROLE", "experiment")
        .args(["-F", &runs.display().to_string(), "-b", "0.2"])
        .args(["with", "points=1500000", "batches=30"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the benchmark runs itself");
    let mut samples = Vec::new();
    while child.try_wait().ok().flatten().is_none() {
        if let Some(bytes) = written(child.id()) {
            samples.push(bytes);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let per_beat: Vec<u64> = samples.windows(2).map(|w| w[1] - w[0]).collect();
    let third = per_beat.len() / 3;
    let mean = |part: &[u64]| part.iter().sum::<u64>() as f64 / part.len().max(1) as f64 / 1e6;
    out("");
    out(&format!(
        "Bytes written per 0.2 s beat, 50,000 points a beat over 30 beats (run {id}): first \
         third {:.1} MB, middle {:.1} MB, last third {:.1} MB (ratio last/first {:.2})",
        mean(&per_beat[..third]),
        mean(&per_beat[third..2 * third]),
        mean(&per_beat[2 * third..]),
        mean(&per_beat[2 * third..]) / mean(&per_beat[..third]).max(f64::MIN_POSITIVE)
    ));
}
