//! Claims per second: N queued runs in a fresh database of the test server, claimed by 1
//! and by 8 concurrent claimers (threads, each with its own `MongoStore`, so its own
//! client and connection, as 8 worker processes have), each claiming until the queue is
//! empty; every run must be claimed exactly once. Three rounds each; the median, min and
//! max.
//!
//! ```sh
//! SACRED_TEST_MONGO_URL=mongodb://127.0.0.1:PORT cargo bench --features mongo --bench claims
//! SACRED_BENCH_CLAIMS=5000 SACRED_TEST_MONGO_URL=… cargo bench --features mongo --bench claims
//! ```

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{out, setting, summary};

use std::collections::BTreeSet;
use std::future::IntoFuture;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use sacred::mongo::bson::{DateTime, Document, doc};
use sacred::mongo::{MongoStore, parse_spec};
use sacred::observer::{RunId, WorkerTag};
use sacred_test_support::mongo::TestDb;

/// Rounds per number of claimers.
const ROUNDS: usize = 3;

/// Fills the runs collection of `db` with `n` queued runs of the experiment `bench`,
/// shaped as `-q` stores them (the fields the claim reads and sorts on).
fn fill(db: &TestDb, n: u64) {
    let now = DateTime::now().timestamp_millis();
    let runs: Vec<Document> = (1..=n)
        .map(|id| {
            doc! {
                "_id": i64::try_from(id).unwrap(),
                "experiment": { "name": "bench" },
                "command": "main",
                "config": { "lr": 0.1, "seed": i64::try_from(id).unwrap() },
                "meta": {
                    "command": "main",
                    "priority": 0.0,
                    "queue_time": DateTime::from_millis(now + i64::try_from(id).unwrap()),
                },
                "status": "QUEUED",
            }
        })
        .collect();
    for chunk in runs.chunks(1000) {
        db.block_on(
            db.database()
                .collection::<Document>("runs")
                .insert_many(chunk.to_vec())
                .into_future(),
        )
        .unwrap();
    }
}

/// Claims every run with `claimers` threads; the seconds it took.
fn round(url: &str, n: u64, claimers: usize) -> f64 {
    let spec = parse_spec(url).unwrap();
    let stores: Vec<MongoStore> = (0..claimers)
        .map(|_| MongoStore::connect(&spec).unwrap())
        .collect();
    let start = Arc::new(Barrier::new(claimers + 1));
    let threads: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(n, store)| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let tag = WorkerTag {
                    host: "bench".to_owned(),
                    pid: u32::try_from(n).unwrap(),
                    beat_interval: 10.0,
                };
                start.wait();
                let mut claimed = Vec::new();
                while let Some(run) = store.claim_next("bench", &tag).unwrap() {
                    claimed.push(run.id);
                }
                claimed
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    let claimed: Vec<RunId> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let seconds = began.elapsed().as_secs_f64();
    let distinct: BTreeSet<&RunId> = claimed.iter().collect();
    assert_eq!(claimed.len() as u64, n, "every run claimed");
    assert_eq!(distinct.len(), claimed.len(), "no run claimed twice");
    seconds
}

fn main() {
    let n = setting("SACRED_BENCH_CLAIMS", 2000);
    out(&format!(
        "| claimers | queued runs | claims per second (median of {ROUNDS}) | min | max |"
    ));
    out("|---:|---:|---:|---:|---:|");
    for claimers in [1, 8] {
        let mut rates = Vec::new();
        for r in 0..ROUNDS {
            let db = TestDb::new(&format!("bench_claims_{claimers}_{r}"));
            fill(&db, n);
            #[allow(clippy::cast_precision_loss)]
            rates.push(n as f64 / round(db.url(), n, claimers));
        }
        let (median, min, max) = summary(rates);
        out(&format!(
            "| {claimers} | {n} | {median:.0} | {min:.0} | {max:.0} |"
        ));
    }
}
