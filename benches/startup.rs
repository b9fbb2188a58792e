//! How much longer a whole run of an experiment with an empty body takes than a bare Rust
//! program that does nothing: process start, argument and config handling, the journal,
//! the observers' start and end, host and git probing (this crate is a git checkout), and
//! exit. The two are started alternately, many times, and the medians compared.
//!
//! ```sh
//! cargo bench --bench startup                              # 40 rounds
//! SACRED_BENCH_ROUNDS=100 cargo bench --bench startup
//! # with MongoDB too (any server; scripts/test-env.sh starts one):
//! SACRED_TEST_MONGO_URL=mongodb://127.0.0.1:PORT cargo bench --features mongo --bench startup
//! ```
//!
//! The same binary is the bare program (`SACRED_BENCH_ROLE=bare`), the experiment
//! (`SACRED_BENCH_ROLE=experiment`) and the driver that times them.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{out, setting, summary};

use std::process::{Command, Stdio};
use std::time::Instant;

use sacred::prelude::*;
use sacred::{Env, Outcome, run_from};

#[experiment(name = "startup", config = Startup)]
fn startup(#[default(0)] n: u32, run: &Run) -> u32 {
    let _ = run;
    n
}

fn main() {
    match std::env::var("SACRED_BENCH_ROLE").as_deref() {
        Ok("bare") => {}
        Ok("experiment") => {
            let code = match run_from::<Startup, _, _>(std::env::args_os(), &Env::from_process()) {
                Ok(Outcome::Completed { .. }) => 0,
                Ok(other) => other.exit_code(),
                Err(e) => e.exit_code(),
            };
            std::process::exit(code);
        }
        _ => drive(),
    }
}

fn drive() {
    let rounds = usize::try_from(setting("SACRED_BENCH_ROUNDS", 40)).unwrap_or(40);
    let me = std::env::current_exe().expect("the benchmark's own path");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runs = dir.path().join("runs");
    let mut cases: Vec<(String, &str, Vec<String>)> = vec![
        ("a bare Rust program".into(), "bare", Vec::new()),
        ("`-u` (no observer)".into(), "experiment", vec!["-u".into()]),
        (
            "file storage (`-F`)".into(),
            "experiment",
            vec!["-F".into(), runs.display().to_string()],
        ),
    ];
    if cfg!(feature = "mongo")
        && let Ok(url) = std::env::var("SACRED_TEST_MONGO_URL")
    {
        let url = format!("{}/sacred_bench_startup", url.trim_end_matches('/'));
        cases.push((
            "MongoDB (`-m`)".into(),
            "experiment",
            vec!["-m".into(), url],
        ));
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..=rounds {
        for (i, (_, role, args)) in cases.iter().enumerate() {
            let start = Instant::now();
            let status = Command::new(&me)
                .env("SACRED_BENCH_ROLE", role)
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the benchmark runs itself");
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert!(status.success(), "{role} {args:?} failed: {status}");
            // The first round warms the file system caches: not counted.
            if round > 0 {
                times[i].push(ms);
            }
        }
    }
    let bare = summary(times[0].clone()).0;
    out(&format!(
        "{rounds} rounds, alternating, wall time of the whole process:"
    ));
    out("| program | median ms (min–max) | over the bare program, median |");
    out("|---|---|---|");
    for ((name, _, _), times) in cases.iter().zip(times) {
        let (median, min, max) = summary(times);
        out(&format!(
            "| {name} | {median:.1} ({min:.1}–{max:.1}) | +{:.1} ms |",
            median - bare
        ));
    }
}
