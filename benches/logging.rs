//! What logging a metric costs the experiment's thread: nanoseconds per call by handle
//! (`run.metric("loss").log(v)`) and by name (`run.log_scalar("loss", v)`), on 1 thread and
//! on 8, allocations per call, and the worst single call beside the worst of the same loop
//! without logging. Runs are real runs (in this process), unobserved (`-u`) and into file
//! storage (`-F`, with its journal), so the pump drains and writes while the loop goes on.
//!
//! ```sh
//! cargo bench --bench logging                        # 10^7 calls a sample
//! SACRED_BENCH_CALLS=100000 cargo bench --bench logging   # a quick look
//! SACRED_BENCH_CASE=-u/handle/1 cargo bench --bench logging   # one row, e.g. to profile
//! ```
//!
//! Prints a Markdown table (medians of 5 samples, min–max) for docs/BENCHMARKS.md. Into
//! file storage, a tenth of the calls: there the loop runs as fast as the store takes the
//! points (the rings are bounded, so a thread waits for the pump rather than grow them).

// The allocator that counts allocations is the one `unsafe` piece: it only forwards to the
// system allocator.
#![allow(unsafe_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{out, setting, summary};

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sacred::prelude::*;
use sacred::serde_json::{Value, json};
use sacred::{Env, Metric, Outcome, run_from};

/// The system allocator, counting each thread's allocations.
struct Counting;

thread_local! {
    /// The allocations of this thread.
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one allocation of this thread.
fn count() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// This thread's allocations so far.
fn allocations() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Samples per figure.
const SAMPLES: usize = 5;

/// One call of the loop being measured: `i` is the iteration.
fn call(how: &str, run: &Run, metric: &Metric, i: u64) {
    let value = i as f64 * 0.5;
    match how {
        "handle" => metric.log(value),
        "name" => run.log_scalar("loss", value),
        _ => {
            black_box(value);
        }
    }
}

#[experiment(name = "bench", config = Bench)]
fn bench(
    /// handle | name | none (the loop alone)
    #[default(String::from("handle"))]
    how: String,
    #[default(10_000_000)] calls: u64,
    #[default(1)] threads: u64,
    run: &Run,
) -> Value {
    let per_thread = calls / threads;
    let mut ns = Vec::new();
    let mut allocated = Vec::new();
    for _ in 0..SAMPLES {
        let counted = AtomicU64::new(0);
        let start = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (how, counted) = (how.as_str(), &counted);
                scope.spawn(move || {
                    let metric = if threads == 1 {
                        run.metric("loss")
                    } else {
                        run.metric(&format!("loss.{t}"))
                    };
                    // The first call of a thread makes its ring: counted apart.
                    call(how, run, &metric, 0);
                    let before = allocations();
                    for i in 1..per_thread {
                        call(how, run, &metric, i);
                    }
                    counted.fetch_add(allocations() - before, Ordering::Relaxed);
                });
            }
        });
        let elapsed = start.elapsed().as_nanos() as f64;
        allocated.push(counted.into_inner() as f64 / calls as f64);
        ns.push(elapsed / per_thread as f64);
    }
    // The worst single call, timed one by one with the TSC (on this thread).
    let clock = quanta::Clock::new();
    let metric = run.metric("loss");
    let mut worst = 0;
    for i in 0..calls {
        let t0 = clock.raw();
        call(&how, run, &metric, i);
        worst = worst.max(clock.raw() - t0);
    }
    let worst_us = clock.delta_as_nanos(0, worst) as f64 / 1000.0;
    let (median, min, max) = summary(ns);
    json!({
        "ns": [median, min, max],
        "allocations": summary(allocated).0,
        "worst_us": worst_us,
    })
}

fn main() {
    let calls: u64 = setting("SACRED_BENCH_CALLS", 10_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let env = Env::captured(dir.path());
    out(
        "| observers | call | threads | ns per call (median, min–max) | allocations per call | worst call (µs) |",
    );
    out("|---|---|---|---|---|---|");
    for observers in ["-u", "-F"] {
        for (how, threads) in [
            ("none", 1),
            ("handle", 1),
            ("name", 1),
            ("handle", 2),
            ("handle", 8),
            ("name", 8),
        ] {
            if let Ok(case) = std::env::var("SACRED_BENCH_CASE")
                && case != format!("{observers}/{how}/{threads}")
            {
                continue;
            }
            let mut args = vec!["bench".to_owned(), observers.to_owned()];
            if observers == "-F" {
                args.push(dir.path().join("runs").display().to_string());
            }
            args.extend([
                "with".to_owned(),
                format!("how={how}"),
                format!(
                    "calls={}",
                    if observers == "-F" { calls / 10 } else { calls }
                ),
                format!("threads={threads}"),
            ]);
            let outcome = run_from::<Bench, _, _>(args, &env).expect("the benchmark runs");
            let Outcome::Completed {
                result: Some(result),
                ..
            } = outcome
            else {
                panic!(
                    "the benchmark did not complete: {outcome:?}\n{}",
                    env.stderr_text()
                );
            };
            let ns = &result["ns"];
            out(&format!(
                "| {} | {how} | {threads} | {:.1} ({:.1}–{:.1}) | {:.4} | {:.0} |",
                if observers == "-u" {
                    "none (`-u`)"
                } else {
                    "file storage"
                },
                ns[0].as_f64().unwrap_or_default(),
                ns[1].as_f64().unwrap_or_default(),
                ns[2].as_f64().unwrap_or_default(),
                result["allocations"].as_f64().unwrap_or_default(),
                result["worst_us"].as_f64().unwrap_or_default(),
            ));
        }
    }
}
