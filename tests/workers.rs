//! End-to-end, the `sweep` example as processes against the test's MongoDB server
//! (`SACRED_TEST_MONGO_URL`; without it these tests fail): sweeps queued and run, workers
//! that claim each queued run exactly once (one of them killed mid-run), Sacred's in-place
//! form `-m db.runs:ID`, `rerun`, `dead`, and a queued run that cannot be stored.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output};

use common::{text, tmp};
use sacred::mongo::bson::{Bson, DateTime, Document, doc};
use sacred::mongo::read::to_json;
use sacred::serde_json::{Value, json};
use sacred_test_support::mongo::TestDb;

fn sweep(args: &[&str], cwd: &Path) -> Output {
    common::run("sweep_demo", args, cwd)
}

/// The runs of the test's database, by `_id`, as JSON.
fn runs(db: &TestDb) -> Vec<Value> {
    let mut runs: Vec<Value> = db
        .find("runs", doc! {})
        .iter()
        .map(|d| to_json(&Bson::Document(d.clone())))
        .collect();
    runs.sort_by_key(|r| r["_id"].as_i64());
    runs
}

/// The config of each run without its seed, and the seeds.
fn points(runs: &[Value]) -> (Vec<Value>, Vec<u64>) {
    let configs = runs
        .iter()
        .map(|r| {
            let mut config = r["config"].clone();
            config.as_object_mut().unwrap().remove("seed");
            config
        })
        .collect();
    let seeds = runs
        .iter()
        .map(|r| r["config"]["seed"].as_u64().unwrap())
        .collect();
    (configs, seeds)
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn a_queued_sweep_is_the_grid_with_one_sweep_id_and_a_seed_per_point() {
    let db = TestDb::new("sweep_grid");
    let dir = tmp();
    let args = [
        "sweep",
        "with",
        "lr=[0.1,0.01,0.001]",
        "batch_size=[16,32]",
        "layers=[4,4]",
        "-q",
        "-P",
        "2",
        "-m",
        db.url(),
    ];
    ok(&sweep(&args, dir.path()));
    let queued = runs(&db);
    assert_eq!(queued.len(), 6);
    let (configs, seeds) = points(&queued);
    let expected: Vec<(f64, u64)> = vec![
        (0.1, 16),
        (0.1, 32),
        (0.01, 16),
        (0.01, 32),
        (0.001, 16),
        (0.001, 32),
    ];
    for (config, (lr, batch_size)) in configs.iter().zip(&expected) {
        assert_eq!(config["lr"], json!(lr), "{config}");
        assert_eq!(config["batch_size"], json!(batch_size), "{config}");
        // A list-typed parameter's list is its value, not swept.
        assert_eq!(config["layers"], json!([4, 4]), "{config}");
    }
    assert_eq!(seeds.iter().collect::<BTreeSet<_>>().len(), 6, "{seeds:?}");
    let sweep_ids: BTreeSet<String> = queued
        .iter()
        .map(|r| r["meta"]["sweep_id"].to_string())
        .collect();
    assert_eq!(sweep_ids.len(), 1);
    for (run, (lr, batch_size)) in queued.iter().zip(&expected) {
        assert_eq!(run["status"], "QUEUED");
        assert_eq!(run["meta"]["priority"], json!(2.0));
        assert!(run["meta"]["queue_time"].is_string(), "{run}");
        assert!(run.get("start_time").is_none(), "{run}");
        assert_eq!(
            run["meta"]["sweep_point"],
            json!({ "lr": lr, "batch_size": batch_size })
        );
    }

    // The same sweep again gives the same points and seeds, under another sweep id.
    let again = TestDb::new("sweep_grid_again");
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == db.url() { again.url() } else { a })
        .collect();
    ok(&sweep(&args, dir.path()));
    let queued_again = runs(&again);
    assert_eq!(points(&queued_again), (configs, seeds));
    assert_ne!(
        queued_again[0]["meta"]["sweep_id"],
        queued[0]["meta"]["sweep_id"]
    );
}

#[test]
fn random_points_are_drawn_from_the_grid_the_same_each_time() {
    let dir = tmp();
    let mut drawn = Vec::new();
    for name in ["sweep_random", "sweep_random_again"] {
        let db = TestDb::new(name);
        let out = sweep(
            &[
                "sweep",
                "with",
                "lr=[0.1,0.2,0.3,0.4]",
                "batch_size=[1,2,3]",
                "--random",
                "5",
                "-q",
                "-m",
                db.url(),
            ],
            dir.path(),
        );
        ok(&out);
        drawn.push(points(&runs(&db)));
    }
    let (configs, seeds) = &drawn[0];
    assert_eq!(configs.len(), 5);
    assert_eq!(drawn[0], drawn[1]);
    let distinct: BTreeSet<String> = configs.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), 5, "{configs:?}");
    for config in configs {
        let lr = config["lr"].as_f64().unwrap();
        let batch_size = config["batch_size"].as_u64().unwrap();
        assert!([0.1, 0.2, 0.3, 0.4].contains(&lr), "{config}");
        assert!((1..=3).contains(&batch_size), "{config}");
    }
    assert_eq!(seeds.iter().collect::<BTreeSet<_>>().len(), 5);
}

#[test]
fn a_sweep_runs_its_points_in_processes_with_its_meta() {
    let dir = tmp();
    let out = sweep(
        &[
            "sweep",
            "with",
            "lr=[0.1,0.2,0.3]",
            "steps=3",
            "-j",
            "2",
            "-F",
            "runs",
        ],
        dir.path(),
    );
    ok(&out);
    let mut lrs = Vec::new();
    let mut sweep_ids = BTreeSet::new();
    for id in 1..=3 {
        let run: Value = sacred::serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(format!("runs/{id}/run.json"))).unwrap(),
        )
        .unwrap();
        let config: Value = sacred::serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(format!("runs/{id}/config.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(run["status"], "COMPLETED", "{run}");
        assert_eq!(run["meta"]["sweep_point"]["lr"], config["lr"]);
        let sweep_id = run["meta"]["sweep_id"].as_str();
        assert!(sweep_id.is_some_and(|id| id.len() == 14), "{run}");
        sweep_ids.insert(sweep_id.unwrap_or_default().to_owned());
        lrs.push(config["lr"].as_f64().unwrap());
    }
    lrs.sort_by(f64::total_cmp);
    assert_eq!(lrs, [0.1, 0.2, 0.3]);
    assert_eq!(sweep_ids.len(), 1);
}

/// A worker of the test's database, in a process group of its own (its runs' processes
/// join it), its output in `dir/worker-N.log`.
fn worker(db: &TestDb, dir: &Path, n: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{n}.log"))).unwrap();
    common::example("sweep_demo", dir)
        .args([
            "worker",
            "-m",
            db.url(),
            "--idle-exit",
            "8",
            "--dead-after",
            "2",
            "-b",
            "0.5",
        ])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap()
}

#[test]
fn forty_queued_runs_complete_exactly_once_with_four_workers_one_killed() {
    let db = TestDb::new("workers");
    let dir = tmp();
    let out = sweep(
        &[
            "sweep",
            "with",
            "lr=[0.1,0.2,0.3,0.4,0.5]",
            "batch_size=[1,2,3,4]",
            "layers=[[1],[2]]",
            "pause=0.05",
            "-q",
            "-m",
            db.url(),
        ],
        dir.path(),
    );
    ok(&out);
    let queued = runs(&db);
    assert_eq!(queued.len(), 40);
    assert!(queued.iter().all(|r| r["status"] == "QUEUED"));

    let mut workers: Vec<Child> = (0..4).map(|n| worker(&db, dir.path(), n)).collect();
    // Kill the first worker, with the run it is running, once it has claimed a run.
    let victim = workers[0].id();
    let killed_run = loop {
        let claimed = db.find(
            "runs",
            doc! { "status": "RUNNING", "meta.worker.pid": i64::from(victim) },
        );
        if let Some(run) = claimed.first() {
            break run.get("_id").cloned().unwrap();
        }
        assert!(
            workers[0].try_wait().unwrap().is_none(),
            "the first worker ended before it claimed a run: {}",
            std::fs::read_to_string(dir.path().join("worker-0.log")).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    send("KILL", &format!("-{victim}"));
    assert!(workers[0].wait().unwrap().code().is_none());
    for (n, w) in workers.iter_mut().enumerate().skip(1) {
        let status = w.wait().unwrap();
        assert!(
            status.success(),
            "worker {n}: {status}\n{}",
            std::fs::read_to_string(dir.path().join(format!("worker-{n}.log"))).unwrap()
        );
    }

    let done = runs(&db);
    assert_eq!(done.len(), 40, "one record per queued run");
    let ids: BTreeSet<i64> = done.iter().map(|r| r["_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=40).collect());
    for run in &done {
        assert_eq!(run["status"], "COMPLETED", "{run}");
        // The stored seed ran: the point's config is the queued one.
        let queued_run = &queued[usize::try_from(run["_id"].as_i64().unwrap() - 1).unwrap()];
        assert_eq!(run["config"], queued_run["config"]);
        assert_eq!(run["meta"]["sweep_id"], queued_run["meta"]["sweep_id"]);
        assert_eq!(run["meta"]["queue_time"], queued_run["meta"]["queue_time"]);
        assert!(run["meta"]["worker"]["pid"].as_i64().is_some(), "{run}");
        assert!(run["result"].is_number(), "{run}");
    }
    // Each run's metric was written by one execution: 20 points, not more.
    for run in &done {
        let metrics = db.find("metrics", doc! { "run_id": run["_id"].as_i64().unwrap() });
        assert_eq!(metrics.len(), 1, "{run}");
        let steps = metrics[0].get_array("steps").unwrap();
        assert_eq!(steps.len(), 20, "run {}: {steps:?}", run["_id"]);
    }
    let killed = db.one("runs", doc! { "_id": killed_run });
    assert_eq!(
        killed.get_document("meta").unwrap().get("requeued"),
        Some(&Bson::Int64(1)),
        "{killed}"
    );
}

#[test]
fn sacreds_in_place_form_starts_the_queued_run() {
    let db = TestDb::new("in_place");
    let dir = tmp();
    ok(&sweep(
        &[
            "-q",
            "-P",
            "3",
            "-c",
            "later",
            "-m",
            db.url(),
            "with",
            "lr=0.3",
        ],
        dir.path(),
    ));
    let queued = runs(&db);
    assert_eq!(queued.len(), 1);
    let in_place = format!("{}.runs:1", db.url());
    ok(&sweep(
        &["-m", &in_place, "with", "lr=0.3", "seed=5"],
        dir.path(),
    ));
    let done = runs(&db);
    assert_eq!(done.len(), 1);
    let run = &done[0];
    assert_eq!(run["status"], "COMPLETED");
    assert_eq!(run["config"]["seed"], 5);
    assert_eq!(run["meta"]["queue_time"], queued[0]["meta"]["queue_time"]);
    assert_eq!(run["meta"]["priority"], json!(3.0));
    assert_eq!(run["meta"]["comment"], "later");
    assert!(run["start_time"].is_string());
    // A completed run is not started again; nothing of it changes.
    let out = sweep(&["-m", &in_place, "with", "lr=0.3"], dir.path());
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("only a QUEUED run"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(runs(&db)[0]["result"], run["result"]);
}

#[test]
fn rerun_gives_the_same_result_in_a_run_linked_to_the_original() {
    let db = TestDb::new("rerun");
    let dir = tmp();
    ok(&sweep(
        &[
            "-m",
            db.url(),
            "-F",
            "runs",
            "with",
            "lr=0.25",
            "layers=[3]",
        ],
        dir.path(),
    ));
    ok(&sweep(&["rerun", "1", "-m", db.url()], dir.path()));
    let stored = runs(&db);
    assert_eq!(stored.len(), 2);
    let (first, again) = (&stored[0], &stored[1]);
    assert_eq!(again["status"], "COMPLETED");
    assert_eq!(again["result"], first["result"]);
    assert_eq!(again["config"], first["config"]);
    assert_eq!(again["meta"]["rerun_of"], 1);

    // From file storage as well.
    ok(&sweep(&["rerun", "1", "-F", "runs"], dir.path()));
    let read = |id: u32, file: &str| -> Value {
        sacred::serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(format!("runs/{id}/{file}"))).unwrap(),
        )
        .unwrap()
    };
    let rerun = read(2, "run.json");
    assert_eq!(rerun["result"], read(1, "run.json")["result"]);
    assert_eq!(rerun["meta"]["rerun_of"], 1);
    assert_eq!(read(2, "config.json"), read(1, "config.json"));
}

/// A RUNNING run of the example's experiment whose last beat was at `heartbeat`.
fn running(id: i32, heartbeat: DateTime, meta: Document) -> Document {
    doc! {
        "_id": id,
        "experiment": { "name": "sweep_demo" },
        "status": "RUNNING",
        "start_time": heartbeat,
        "heartbeat": heartbeat,
        "meta": meta,
    }
}

#[test]
fn dead_runs_are_listed_and_marked() {
    let db = TestDb::new("dead");
    let dir = tmp();
    let old = DateTime::from_millis(DateTime::now().timestamp_millis() - 120_000);
    let run = |id: i32, heartbeat: DateTime| -> Document {
        let mut run = running(id, heartbeat, doc! {});
        run.insert("host", doc! { "hostname": "gone" });
        run
    };
    db.insert("runs", run(1, old));
    db.insert("runs", run(2, DateTime::now()));
    let out = sweep(&["dead", "-m", db.url(), "--dead-after", "60"], dir.path());
    ok(&out);
    let listed = text(&out.stdout);
    assert!(listed.starts_with("1\tgone\tsilent for 1"), "{listed}");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert_eq!(runs(&db)[0]["status"], "RUNNING");
    ok(&sweep(
        &["dead", "-m", db.url(), "--dead-after", "60", "--mark"],
        dir.path(),
    ));
    let after = runs(&db);
    assert_eq!(after[0]["status"], "FAILED");
    assert!(after[0]["fail_trace"][0].as_str().unwrap().contains("died"));
    assert_eq!(after[1]["status"], "RUNNING");
}

#[test]
fn a_run_s_own_beat_interval_sets_when_it_is_dead() {
    let db = TestDb::new("dead_own_beat");
    let dir = tmp();
    // Silent for 40 s: past the default limit (30 s), within three beats of 60 s.
    let forty_ago = DateTime::from_millis(DateTime::now().timestamp_millis() - 40_000);
    db.insert("runs", running(1, forty_ago, doc! {}));
    db.insert(
        "runs",
        running(
            2,
            forty_ago,
            doc! { "options": { "--beat-interval": "60" } },
        ),
    );
    db.insert(
        "runs",
        running(3, forty_ago, doc! { "worker": { "beat_interval": 60.0 } }),
    );
    let out = sweep(&["dead", "-m", db.url()], dir.path());
    ok(&out);
    let listed = text(&out.stdout);
    let ids: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(ids, ["1"], "{listed}");
}

/// A worker of the test's database that takes at most `max_runs` runs and leaves after
/// `idle_exit` seconds without one.
fn worker_taking(db: &TestDb, dir: &Path, max_runs: &str, idle_exit: &str) -> Command {
    let mut worker = common::example("sweep_demo", dir);
    worker.args([
        "worker",
        "-m",
        db.url(),
        "--max-runs",
        max_runs,
        "--idle-exit",
        idle_exit,
    ]);
    worker
}

#[test]
fn a_worker_with_max_runs_leaves_the_rest_queued() {
    let db = TestDb::new("max_runs");
    let dir = tmp();
    ok(&sweep(
        &["sweep", "with", "lr=[0.1,0.2,0.3]", "-q", "-m", db.url()],
        dir.path(),
    ));
    let out = worker_taking(&db, dir.path(), "2", "30").output().unwrap();
    ok(&out);
    assert!(
        text(&out.stderr).contains("Worker done after 2 run(s)"),
        "{}",
        text(&out.stderr)
    );
    let statuses: Vec<Value> = runs(&db).iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, ["COMPLETED", "COMPLETED", "QUEUED"]);
}

#[test]
fn a_queued_run_that_cannot_be_stored_exits_non_zero() {
    let dir = tmp();
    let out = sweep(
        &[
            "-q",
            "-m",
            "mongodb://127.0.0.1:9/lab?serverSelectionTimeoutMS=300",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot queue the run"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_dead_run_is_requeued_and_run_until_it_was_requeued_too_often() {
    let db = TestDb::new("requeue");
    let dir = tmp();
    let old = DateTime::from_millis(DateTime::now().timestamp_millis() - 60_000);
    let dead = |id: i32, requeued: i32| -> Document {
        let meta = doc! {
            "requeued": requeued,
            "worker": { "host": "gone", "pid": 1, "beat_interval": 1.0 },
        };
        let mut run = running(id, old, meta);
        run.insert("command", "main");
        run.insert("config", doc! { "lr": 0.5, "steps": 2, "seed": 7 });
        run
    };
    db.insert("runs", dead(1, 3));
    db.insert("runs", dead(2, 1));
    let out = common::example("sweep_demo", dir.path())
        .args(["worker", "-m", db.url(), "--idle-exit", "1"])
        .output()
        .unwrap();
    ok(&out);
    let after = runs(&db);
    assert_eq!(after[0]["status"], "FAILED", "{}", after[0]);
    assert!(
        after[0]["fail_trace"][0]
            .as_str()
            .unwrap()
            .contains("no beat for"),
        "{}",
        after[0]
    );
    assert_eq!(after[1]["status"], "COMPLETED", "{}", after[1]);
    assert_eq!(after[1]["meta"]["requeued"], 2);
    assert_eq!(after[1]["config"]["seed"], 7);
    assert_eq!(after[1]["config"]["lr"], 0.5);
}

/// A QUEUED run of the example's experiment with `config`, as a worker finds it.
fn queued(id: impl Into<Bson>, config: impl Into<Bson>) -> Document {
    doc! {
        "_id": id.into(),
        "experiment": { "name": "sweep_demo" },
        "status": "QUEUED",
        "command": "main",
        "config": config.into(),
        "meta": {},
    }
}

/// The first line of the `fail_trace` of `run`, which must be FAILED.
fn fail_reason(run: &Value) -> String {
    assert_eq!(run["status"], "FAILED", "{run}");
    assert!(run["stop_time"].is_string(), "{run}");
    run["fail_trace"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no fail_trace: {run}"))
        .to_owned()
}

#[test]
fn claimed_runs_that_cannot_run_end_failed_with_their_reason() {
    let db = TestDb::new("unrunnable");
    let dir = tmp();
    // A config the experiment refuses, a config that is no object, an id that cannot be
    // started in place.
    db.insert("runs", queued(1, doc! { "steps": "many", "seed": 1 }));
    db.insert("runs", queued(2, "corrupted"));
    db.insert("runs", queued("three", doc! { "seed": 3 }));
    let out = worker_taking(&db, dir.path(), "3", "5").output().unwrap();
    ok(&out);
    let log = text(&out.stderr);
    let stored = db.find("runs", doc! {});
    let by_id = |id: Bson| -> Value {
        let run = stored
            .iter()
            .find(|r| r.get("_id") == Some(&id))
            .unwrap_or_else(|| panic!("no run {id}"));
        to_json(&Bson::Document(run.clone()))
    };
    let refused = fail_reason(&by_id(Bson::Int32(1)));
    assert!(refused.contains("steps"), "{refused}");
    let corrupted = fail_reason(&by_id(Bson::Int32(2)));
    assert!(corrupted.contains("`config`"), "{corrupted}");
    assert!(corrupted.contains("corrupted"), "{corrupted}");
    let string_id = fail_reason(&by_id(Bson::String("three".to_owned())));
    assert!(string_id.contains("in place"), "{string_id}");
    for id in ["1", "2", "three"] {
        assert!(
            log.lines()
                .any(|l| l.starts_with("ERROR") && l.contains(&format!("run {id} "))),
            "no ERROR line names the run {id}:\n{log}"
        );
    }
    assert!(log.contains("Worker done after 3 run(s)"), "{log}");
}

#[test]
fn a_worker_that_cannot_start_a_claimed_run_fails_it_and_stops() {
    let db = TestDb::new("worker_broken");
    let dir = tmp();
    db.insert("runs", queued(1, doc! { "steps": 2, "seed": 1 }));
    db.insert("runs", queued(2, doc! { "steps": 2, "seed": 2 }));
    // No temporary directory to write the run's config to.
    let out = worker_taking(&db, dir.path(), "2", "5")
        .env("TMPDIR", dir.path().join("missing"))
        .output()
        .unwrap();
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{log}");
    let after = runs(&db);
    let reason = fail_reason(&after[0]);
    assert!(reason.contains("missing"), "{reason}");
    assert!(
        log.lines()
            .any(|l| l.starts_with("ERROR") && l.contains("run 1 ")),
        "{log}"
    );
    // The worker stopped rather than fail the rest of the queue for a fault of its own.
    assert_eq!(after[1]["status"], "QUEUED", "{}", after[1]);
    assert!(!after.iter().any(|r| r["status"] == "RUNNING"), "{after:?}");
}

/// Waits until the worker `pid` runs a run that has logged a point; its id.
fn running_run_of(db: &TestDb, worker: &mut Child, log: &Path) -> Bson {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let claimed = db.find(
            "runs",
            doc! { "status": "RUNNING", "meta.worker.pid": i64::from(worker.id()) },
        );
        if let Some(id) = claimed.first().and_then(|run| run.get("_id")) {
            let id = id.clone();
            if !db.find("metrics", doc! { "run_id": id.clone() }).is_empty() {
                return id;
            }
        }
        assert!(
            worker.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline,
            "the worker ended or took too long before running a run: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Two slow runs queued, and a worker taking at most `max_runs` of them, its output in
/// `dir/worker.log`, in a process group of its own.
fn slow_queue_and_worker(db: &TestDb, dir: &Path, max_runs: &str) -> Child {
    ok(&sweep(
        &[
            "sweep",
            "with",
            "lr=[0.1,0.2]",
            "pause=0.2",
            "-q",
            "-m",
            db.url(),
        ],
        dir,
    ));
    let log = std::fs::File::create(dir.join("worker.log")).unwrap();
    // Its runs beat every 0.5 s, so their points are stored while they run.
    worker_taking(db, dir, max_runs, "30")
        .args(["-b", "0.5"])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap()
}

/// Sends `signal` (`TERM`, `INT`) to `target` (a pid, or `-PGID`).
fn send(signal: &str, target: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", target])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_to_a_worker_interrupts_its_run_which_records_it_and_the_worker_leaves() {
    let db = TestDb::new("worker_sigterm");
    let dir = tmp();
    let mut worker = slow_queue_and_worker(&db, dir.path(), "2");
    let log = dir.path().join("worker.log");
    let id = running_run_of(&db, &mut worker, &log);
    // To the worker alone, as `kill PID` or a container's stop does.
    send("TERM", &worker.id().to_string());
    let status = worker.wait().unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(143), "{output}");
    assert!(
        output.contains("Worker stopped by SIGTERM after 1 run(s)"),
        "{output}"
    );
    let run = db.one("runs", doc! { "_id": id });
    assert_eq!(run.get_str("status").unwrap(), "INTERRUPTED", "{run}");
    assert!(run.get("stop_time").is_some(), "{run}");
    // The other run was not claimed.
    let statuses: Vec<Value> = runs(&db).iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, ["INTERRUPTED", "QUEUED"]);
}

#[test]
fn sigterm_during_a_worker_s_last_run_still_ends_it_as_a_signal_does() {
    let db = TestDb::new("worker_sigterm_last");
    let dir = tmp();
    let mut worker = slow_queue_and_worker(&db, dir.path(), "1");
    let log = dir.path().join("worker.log");
    let id = running_run_of(&db, &mut worker, &log);
    send("TERM", &worker.id().to_string());
    let status = worker.wait().unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(143), "{output}");
    assert!(
        output.contains("Worker stopped by SIGTERM after 1 run(s)"),
        "{output}"
    );
    let run = db.one("runs", doc! { "_id": id });
    assert_eq!(run.get_str("status").unwrap(), "INTERRUPTED", "{run}");
}

#[test]
fn ctrl_c_to_a_worker_and_its_run_interrupts_the_run_once() {
    let db = TestDb::new("worker_sigint");
    let dir = tmp();
    let mut worker = slow_queue_and_worker(&db, dir.path(), "2");
    let log = dir.path().join("worker.log");
    let id = running_run_of(&db, &mut worker, &log);
    // To the whole process group, as Ctrl-C on a terminal does: the run gets SIGINT from
    // the terminal and a request from its worker, and ends once, recorded.
    send("INT", &format!("-{}", worker.id()));
    let status = worker.wait().unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(130), "{output}");
    let run = db.one("runs", doc! { "_id": id });
    assert_eq!(run.get_str("status").unwrap(), "INTERRUPTED", "{run}");
    assert!(run.get("stop_time").is_some(), "{run}");
    assert!(output.contains("Aborted after"), "{output}");
}

/// The status of each run in the file storage `dir`, by id.
fn statuses_in(dir: &Path) -> std::collections::BTreeMap<u32, String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let id = entry.file_name().to_str()?.parse().ok()?;
            let run: Value =
                serde_json::from_str(&std::fs::read_to_string(entry.path().join("run.json")).ok()?)
                    .ok()?;
            Some((id, run["status"].as_str()?.to_owned()))
        })
        .collect()
}

#[test]
fn sigterm_to_a_sweep_interrupts_its_running_points_and_starts_no_more() {
    let dir = tmp();
    let log = std::fs::File::create(dir.path().join("sweep.log")).unwrap();
    let mut sweep = common::example("sweep_demo", dir.path())
        .args([
            "sweep",
            "with",
            "lr=[0.1,0.2,0.3,0.4]",
            "pause=0.2",
            "-j",
            "2",
            "-F",
            "fs",
        ])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let fs = dir.path().join("fs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while statuses_in(&fs)
        .values()
        .filter(|s| *s == "RUNNING")
        .count()
        < 2
    {
        assert!(
            sweep.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline,
            "the sweep ended or took too long: {}",
            std::fs::read_to_string(dir.path().join("sweep.log")).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    send("TERM", &sweep.id().to_string());
    let status = sweep.wait().unwrap();
    let output = std::fs::read_to_string(dir.path().join("sweep.log")).unwrap();
    assert_eq!(status.code(), Some(143), "{output}");
    assert!(
        output.contains("stopped by SIGTERM: 2 of 4 run(s) started"),
        "{output}"
    );
    let statuses = statuses_in(&fs);
    assert_eq!(
        statuses.values().collect::<Vec<_>>(),
        ["INTERRUPTED", "INTERRUPTED"],
        "{output}"
    );
}
