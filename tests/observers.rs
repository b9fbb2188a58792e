//! Behaviour of a run as its observers see it, through a `RecordingObserver`: the order and
//! content of events for every ending, ids and priorities, and failure isolation.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Mutex;

use sacred::observer::{
    ArtifactSource, Observer, ObserverError, RecordedEvent, Recording, RecordingObserver, RunId,
    StartedEvent,
};
use sacred::prelude::*;
use sacred::serde_json::{Value, json};
use sacred::{ArtifactOptions, Env, Outcome, run_from};
use sacred_core::journal::Entry;

/// `-C sys` captures into one process-wide slot: tests that use it take turns.
static SYS_CAPTURE: Mutex<()> = Mutex::new(());

/// An experiment for observer tests.
#[experiment(name = "observed", config = Cfg)]
fn observed(
    /// ok | fail | panic
    #[default(String::from("ok"))]
    mode: String,
    #[default(3)] steps: u32,
    run: &Run,
) -> Result<f64, String> {
    println!("hello from the run");
    let loss = run.metric("loss");
    for s in 0..steps {
        loss.log(1.0 / f64::from(s + 1));
    }
    run.log_scalar_at("acc", 0.5, 10);
    run.log_scalar("acc", 0.6);
    run.add_artifact_bytes("notes.txt", "some notes")
        .map_err(|e| e.to_string())?;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data.csv");
    run.add_resource(&data).map_err(|e| e.to_string())?;
    let file = std::env::temp_dir().join(format!("observed-{}.txt", std::process::id()));
    std::fs::write(&file, "x").map_err(|e| e.to_string())?;
    run.add_artifact_with(
        &file,
        ArtifactOptions::new()
            .name("file.txt")
            .content_type("text/x-test")
            .metadata(json!({"k": 1}))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    run.set_info("custom", json!({"a": 1}))
        .map_err(|e| e.to_string())?;
    println!("run id is {:?}", run.id());
    match mode.as_str() {
        "fail" => Err("planned failure".to_owned()),
        "panic" => panic!("planned panic"),
        _ => Ok(0.25),
    }
}

fn run_recorded(args: &[&str]) -> (Outcome, Recording, Env) {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let recorder = RecordingObserver::new().allocating(RunId::Int(5));
    let recording = recorder.recording();
    let env = Env::captured(dir.path()).with_observer(recorder);
    let mut argv = vec!["observed", "-C", "sys"];
    argv.extend_from_slice(args);
    let outcome = run_from::<Cfg, _, _>(argv, &env).unwrap();
    (outcome, recording, env)
}

/// The kinds of the events, without the artifact holding a dirty checkout's diff (whether
/// there is one depends on the working tree the tests run in).
fn kinds(recording: &Recording) -> Vec<&'static str> {
    own_events(recording)
        .iter()
        .map(RecordedEvent::kind)
        .collect()
}

/// The events, without the artifact holding a dirty checkout's diff.
fn own_events(recording: &Recording) -> Vec<RecordedEvent> {
    recording
        .events()
        .into_iter()
        .filter(|e| !matches!(e, RecordedEvent::Artifact(a) if a.name == "uncommitted.diff"))
        .collect()
}

fn started(events: &[RecordedEvent]) -> &StartedEvent {
    match events.first() {
        Some(RecordedEvent::Started(e)) => e,
        other => panic!("the first event is not `started`: {other:?}"),
    }
}

fn output(events: &[RecordedEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            RecordedEvent::Heartbeat(h) => Some(h.output.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_completed_run_sends_events_in_order() {
    let (outcome, recording, _env) = run_recorded(&["with", "steps=3", "seed=1"]);
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    let events = own_events(&recording);
    let kinds = kinds(&recording);
    // Start first; artifacts and resources as they happen; then a final beat with the
    // metrics and the output, the final event, and the join.
    assert_eq!(kinds.first(), Some(&"started"));
    assert_eq!(
        &kinds[kinds.len() - 4..],
        ["metrics", "heartbeat", "completed", "join"]
    );
    let middle: Vec<&str> = kinds[1..kinds.len() - 4].to_vec();
    assert_eq!(middle, ["artifact", "resource", "artifact"]);

    let start = started(&events);
    assert_eq!(start.id, None, "no higher-priority observer gave an id");
    assert_eq!(start.command, "main");
    assert_eq!(start.config["seed"], json!(1));
    assert_eq!(start.experiment.name, "observed");
    assert_eq!(start.meta["config_updates"], json!({"steps": 3, "seed": 1}));
    assert!(start.host.get("hostname").is_some());

    let metrics = events
        .iter()
        .find_map(|e| match e {
            RecordedEvent::Metrics(m) => Some(m.clone()),
            _ => None,
        })
        .expect("no metrics");
    let names: Vec<&str> = metrics.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["loss", "acc"]);
    assert_eq!(metrics.series[0].steps, [0, 1, 2]);
    assert_eq!(metrics.series[0].values, [1.0, 0.5, 1.0 / 3.0]);
    assert_eq!(metrics.series[1].steps, [10, 11]);

    match &events[1] {
        RecordedEvent::Artifact(a) => {
            assert_eq!(a.name, "notes.txt");
            assert_eq!(
                a.source,
                ArtifactSource::Bytes(b"some notes".to_vec().into())
            );
            assert_eq!(a.content_type.as_deref(), Some("text/plain"));
        }
        other => panic!("{other:?}"),
    }
    match &events[2] {
        RecordedEvent::Resource(r) => {
            assert!(r.path.ends_with("examples/data.csv"));
            assert_eq!(r.md5, "344fd2323dd33d5c058b7cf27de029e8");
        }
        other => panic!("{other:?}"),
    }
    match &events[3] {
        RecordedEvent::Artifact(a) => {
            assert_eq!(a.name, "file.txt");
            assert_eq!(a.content_type.as_deref(), Some("text/x-test"));
            assert_eq!(a.metadata, Some(json!({"k": 1})));
            assert_eq!(a.source, ArtifactSource::Bytes(b"x".to_vec().into()));
        }
        other => panic!("{other:?}"),
    }
    let beats: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            RecordedEvent::Heartbeat(h) => Some(h.clone()),
            _ => None,
        })
        .collect();
    let last = beats.last().expect("no heartbeat");
    assert_eq!(last.info, json!({"custom": {"a": 1}}));
    assert_eq!(last.result, Some(json!(0.25)));
    let text = output(&events);
    assert!(text.contains("hello from the run\n"), "{text:?}");
    assert!(text.contains("run id is Some(Int(5))"), "{text:?}");
    match &events[events.len() - 2] {
        RecordedEvent::Completed(c) => {
            assert_eq!(c.result, Some(json!(0.25)));
            assert!(c.stop_time >= start.start_time);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn failures_and_panics_send_failed_with_a_trace() {
    let (outcome, recording, _env) = run_recorded(&["with", "mode=fail"]);
    assert_eq!(outcome.exit_code(), 1);
    let events = own_events(&recording);
    let kinds = kinds(&recording);
    assert_eq!(&kinds[kinds.len() - 3..], ["heartbeat", "failed", "join"]);
    match &events[events.len() - 2] {
        RecordedEvent::Failed(f) => {
            assert_eq!(f.fail_trace, ["Error: planned failure\n"]);
        }
        other => panic!("{other:?}"),
    }
    let text = output(&events);
    assert!(text.contains("hello from the run"), "{text:?}");

    let (outcome, recording, _env) = run_recorded(&["with", "mode=panic"]);
    assert_eq!(outcome.exit_code(), 1);
    let events = own_events(&recording);
    match &events[events.len() - 2] {
        RecordedEvent::Failed(f) => {
            let trace = f.fail_trace.concat();
            assert!(trace.contains("planned panic"), "{trace}");
            assert!(trace.contains("tests/observers.rs:"), "{trace}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_highest_priority_observer_gives_the_id_to_all() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let low = RecordingObserver::new()
        .with_priority(10)
        .allocating(RunId::Int(99));
    let high = RecordingObserver::new()
        .with_priority(30)
        .allocating(RunId::Int(7));
    let (low_events, high_events) = (low.recording(), high.recording());
    let env = Env::captured(dir.path())
        .with_observer(low)
        .with_observer(high);
    let outcome = run_from::<Cfg, _, _>(["observed"], &env).unwrap();
    assert!(matches!(outcome, Outcome::Completed { .. }));
    assert_eq!(started(&own_events(&high_events)).id, None);
    assert_eq!(started(&own_events(&low_events)).id, Some(RunId::Int(7)));
    assert!(
        env.stderr_text().contains("Started run with ID \"7\""),
        "{}",
        env.stderr_text()
    );
}

#[test]
fn a_given_id_goes_to_every_observer() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let recorder = RecordingObserver::new().allocating(RunId::Int(1));
    let recording = recorder.recording();
    let env = Env::captured(dir.path()).with_observer(recorder);
    run_from::<Cfg, _, _>(["observed", "-i", "mine"], &env).unwrap();
    assert_eq!(
        started(&own_events(&recording)).id,
        Some(RunId::Str("mine".into()))
    );
}

/// An observer that fails at every beat.
struct Broken {
    calls: std::sync::Arc<Mutex<Vec<&'static str>>>,
}

impl Observer for Broken {
    fn name(&self) -> String {
        "broken observer".into()
    }
    fn priority(&self) -> i32 {
        50
    }
    fn started(&mut self, _: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        self.calls.lock().map(|mut c| c.push("started")).ok();
        Ok(None)
    }
    fn metrics(&mut self, _: &sacred::observer::MetricsEvent) -> Result<(), ObserverError> {
        self.calls.lock().map(|mut c| c.push("metrics")).ok();
        Err(ObserverError::new("disk full"))
    }
    fn heartbeat(&mut self, _: &sacred::observer::HeartbeatEvent) -> Result<(), ObserverError> {
        self.calls.lock().map(|mut c| c.push("heartbeat")).ok();
        Ok(())
    }
    fn completed(&mut self, _: &sacred::observer::CompletedEvent) -> Result<(), ObserverError> {
        self.calls.lock().map(|mut c| c.push("completed")).ok();
        Ok(())
    }
}

#[test]
fn a_failing_observer_is_isolated_reported_and_the_journal_keeps_the_run() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let calls = std::sync::Arc::new(Mutex::new(Vec::new()));
    let recorder = RecordingObserver::new();
    let recording = recorder.recording();
    let env = Env::captured(dir.path())
        .with_observer(Broken {
            calls: calls.clone(),
        })
        .with_observer(recorder);
    let outcome = run_from::<Cfg, _, _>(["observed"], &env).unwrap();
    // The run itself completed, but its record is incomplete: exit code 3, not 0.
    assert_eq!(outcome.exit_code(), 3);
    let Outcome::Incomplete {
        outcome: inner,
        missing,
        journal: Some(journal),
    } = outcome
    else {
        panic!("expected an incomplete record, got {outcome:?}")
    };
    assert!(matches!(*inner, Outcome::Completed { .. }), "{inner:?}");
    assert_eq!(missing, ["broken observer failed: disk full"]);
    // After its failure the broken observer is tried again from the start (the run is
    // short: at its end), and fails again; the other observer is not disturbed.
    let calls = calls.lock().map(|c| c.clone()).unwrap_or_default();
    assert_eq!(calls, ["started", "metrics", "started", "metrics"]);
    assert_eq!(kinds(&recording).last(), Some(&"join"));
    assert!(kinds(&recording).contains(&"completed"));
    let log = env.stderr_text();
    assert!(log.contains("broken observer failed: disk full"), "{log}");
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.contains("record is incomplete in 1 observer(s)")
            && last.contains(&journal.display().to_string())
            && last.contains("exit code 3"),
        "{log}"
    );

    // The journal, in the run's directory, holds every point the run logged, in order.
    assert!(journal.starts_with(dir.path().join(".sacred/journal")));
    let contents = sacred_core::journal::read(&journal).unwrap();
    assert_eq!(contents.damage, None);
    let mut points: Vec<(String, u64, f64)> = Vec::new();
    let mut artifacts = Vec::new();
    let mut result = None;
    for record in &contents.records {
        match &record.entry {
            Entry::Metrics { series } => {
                for s in series {
                    for (step, value) in s.steps.iter().zip(s.values()) {
                        points.push((s.name.clone(), *step, value));
                    }
                }
            }
            Entry::Artifact { name, blob, .. } => {
                artifacts.push((name.clone(), blob.map(|b| record.blobs[b].clone())));
            }
            Entry::Completed { result: r, .. } => result = r.clone(),
            _ => {}
        }
    }
    assert_eq!(
        points,
        [
            ("loss".to_owned(), 0, 1.0),
            ("loss".to_owned(), 1, 0.5),
            ("loss".to_owned(), 2, 1.0 / 3.0),
            ("acc".to_owned(), 10, 0.5),
            ("acc".to_owned(), 11, 0.6),
        ]
    );
    assert!(
        artifacts.contains(&("notes.txt".to_owned(), Some(b"some notes".to_vec()))),
        "{artifacts:?}"
    );
    assert_eq!(result, Some(json!(0.25)));
    assert!(matches!(
        contents.records.first().map(|r| &r.entry),
        Some(Entry::Started(_))
    ));
}

/// A store that keeps every point it gets, refuses the first `refusals` writes of
/// metrics, and removes what it kept when the run is replaced: a store that was away.
struct Flaky {
    refusals: usize,
    points: std::sync::Arc<Mutex<Vec<(String, u64)>>>,
    calls: std::sync::Arc<Mutex<Vec<&'static str>>>,
}

impl Observer for Flaky {
    fn name(&self) -> String {
        "flaky store".into()
    }
    fn replace_run(&mut self, _: &StartedEvent) -> Result<bool, ObserverError> {
        self.calls.lock().map(|mut c| c.push("replace")).ok();
        let mut points = self.points.lock().unwrap();
        let had = !points.is_empty();
        points.clear();
        Ok(had)
    }
    fn started(&mut self, _: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        self.calls.lock().map(|mut c| c.push("started")).ok();
        Ok(Some(RunId::Int(7)))
    }
    fn metrics(&mut self, event: &sacred::observer::MetricsEvent) -> Result<(), ObserverError> {
        self.calls.lock().map(|mut c| c.push("metrics")).ok();
        let mut points = self.points.lock().unwrap();
        if self.refusals > 0 {
            // Part of a write lands before the store goes away.
            self.refusals -= 1;
            points.push((event.series[0].name.clone(), event.series[0].steps[0]));
            return Err(ObserverError::new("connection reset"));
        }
        for series in &event.series {
            points.extend(series.steps.iter().map(|s| (series.name.clone(), *s)));
        }
        Ok(())
    }
    fn completed(&mut self, _: &sacred::observer::CompletedEvent) -> Result<(), ObserverError> {
        self.calls.lock().map(|mut c| c.push("completed")).ok();
        Ok(())
    }
}

#[test]
fn an_observer_that_fails_and_comes_back_gets_the_whole_run_once() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let points = std::sync::Arc::new(Mutex::new(Vec::new()));
    let calls = std::sync::Arc::new(Mutex::new(Vec::new()));
    let env = Env::captured(dir.path()).with_observer(Flaky {
        refusals: 1,
        points: points.clone(),
        calls: calls.clone(),
    });
    let outcome = run_from::<Cfg, _, _>(["observed"], &env).unwrap();
    let log = env.stderr_text();
    assert!(
        matches!(outcome, Outcome::Completed { .. }),
        "{outcome:?}\n{log}"
    );
    // Tried again: its partial copy replaced, the run started again under its id, and
    // replayed from the journal: every point once, and the end.
    let calls = calls.lock().map(|c| c.clone()).unwrap_or_default();
    assert_eq!(
        calls,
        [
            "started",
            "metrics",
            "replace",
            "started",
            "metrics",
            "completed"
        ]
    );
    let points = points.lock().map(|p| p.clone()).unwrap_or_default();
    assert_eq!(
        points,
        [
            ("loss".to_owned(), 0),
            ("loss".to_owned(), 1),
            ("loss".to_owned(), 2),
            ("acc".to_owned(), 10),
            ("acc".to_owned(), 11),
        ]
    );
    assert!(
        log.contains("The observer flaky store failed: connection reset; it is tried again"),
        "{log}"
    );
    assert!(
        log.contains("The observer flaky store is back: it has run 7 again"),
        "{log}"
    );
    // Nothing is left to sync.
    let left: Vec<_> = std::fs::read_dir(dir.path().join(".sacred/journal"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_complete_record_leaves_no_journal() {
    let (outcome, _, _) = run_recorded(&[]);
    assert_eq!(outcome.exit_code(), 0);
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let env = Env::captured(dir.path()).with_observer(RecordingObserver::new());
    let outcome = run_from::<Cfg, _, _>(["observed", "-C", "sys"], &env).unwrap();
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path().join(".sacred/journal"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_run_whose_journal_cannot_be_written_does_not_start() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    // A path under a regular file cannot be a directory, even for root.
    std::fs::write(dir.path().join("a-file"), "x").unwrap();
    let recorder = RecordingObserver::new();
    let recording = recorder.recording();
    let env = Env::captured(dir.path())
        .with_var("SACRED_JOURNAL_DIR", "a-file/journal")
        .with_observer(recorder);
    let error = run_from::<Cfg, _, _>(["observed"], &env).unwrap_err();
    assert_eq!(error.exit_code(), 1);
    let text = error.to_string();
    assert!(
        text.contains("cannot write the run's journal in")
            && text.contains("a-file/journal")
            && text.contains("the run did not start"),
        "{text}"
    );
    assert!(
        recording.kinds().is_empty(),
        "nothing ran: {:?}",
        recording.kinds()
    );
}

#[test]
fn periodic_beats_carry_metrics_while_the_run_goes_on() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let recorder = RecordingObserver::new();
    let recording = recorder.recording();
    let env = Env::captured(dir.path()).with_observer(recorder);
    let out = run_from::<Slow, _, _>(["slow", "-b", "0.05"], &env).unwrap();
    assert!(matches!(out, Outcome::Completed { .. }));
    let beats = recording
        .kinds()
        .iter()
        .filter(|k| **k == "heartbeat")
        .count();
    // 300 ms of run with a beat every 50 ms: at least one periodic beat before the final one.
    assert!(beats >= 2, "{:?}", kinds(&recording));
    let points: usize = recording
        .events()
        .iter()
        .filter_map(|e| match e {
            RecordedEvent::Metrics(m) => {
                Some(m.series.iter().map(|s| s.steps.len()).sum::<usize>())
            }
            _ => None,
        })
        .sum();
    assert_eq!(points, 10, "every point arrives once");

    let recorder = RecordingObserver::new();
    let recording = recorder.recording();
    let env = Env::captured(dir.path()).with_observer(recorder);
    run_from::<Slow, _, _>(["slow", "-b", "0"], &env).unwrap();
    assert_eq!(
        kinds(&recording),
        ["started", "metrics", "heartbeat", "completed", "join"],
        "-b 0: only the final beat, and nothing lost"
    );
}

/// Logs a point every 30 ms.
#[experiment(config = Slow)]
fn slow(run: &Run) {
    for i in 0..10 {
        run.log_scalar("x", i);
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
}

#[test]
fn queued_runs_only_send_queued() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let recorder = RecordingObserver::new().allocating(RunId::Int(3));
    let recording = recorder.recording();
    let env = Env::captured(dir.path()).with_observer(recorder);
    let out = run_from::<Cfg, _, _>(
        [
            "observed", "-q", "-c", "later", "-P", "2", "with", "steps=9",
        ],
        &env,
    )
    .unwrap();
    assert!(
        matches!(
            &out,
            Outcome::Queued {
                id: Some(RunId::Int(3)),
                ..
            }
        ),
        "{out:?}"
    );
    let events = own_events(&recording);
    assert_eq!(kinds(&recording), ["queued"]);
    let RecordedEvent::Queued(q) = &events[0] else {
        panic!()
    };
    assert_eq!(q.config["steps"], json!(9));
    assert_eq!(q.meta["comment"], json!("later"));
    assert_eq!(q.meta["priority"], json!(2.0));
    assert!(env.stderr_text().contains("Queued-up run with ID \"3\""));
    let _ = Value::Null;
}

/// The broken observer, mended: same name, now storing what it gets in a recording.
struct Mended(RecordingObserver);

impl Observer for Mended {
    fn name(&self) -> String {
        "broken observer".into()
    }
    fn started(&mut self, event: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        self.0.started(event)
    }
    fn metrics(&mut self, event: &sacred::observer::MetricsEvent) -> Result<(), ObserverError> {
        self.0.metrics(event)
    }
    fn heartbeat(&mut self, event: &sacred::observer::HeartbeatEvent) -> Result<(), ObserverError> {
        self.0.heartbeat(event)
    }
    fn artifact(&mut self, event: &sacred::observer::ArtifactEvent) -> Result<(), ObserverError> {
        self.0.artifact(event)
    }
    fn completed(&mut self, event: &sacred::observer::CompletedEvent) -> Result<(), ObserverError> {
        self.0.completed(event)
    }
}

/// The metric points an observer received: name, step, value.
fn recorded_points(recording: &Recording) -> Vec<(String, u64, f64)> {
    let mut points = Vec::new();
    for event in recording.events() {
        if let RecordedEvent::Metrics(metrics) = event {
            for s in &metrics.series {
                for (step, value) in s.steps.iter().zip(&s.values) {
                    points.push((s.name.clone(), *step, *value));
                }
            }
        }
    }
    points
}

#[test]
fn sync_sends_the_journal_to_the_observer_that_lacked_it_once() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let calls = std::sync::Arc::new(Mutex::new(Vec::new()));
    let first = RecordingObserver::new();
    let first_recording = first.recording();
    let env = Env::captured(dir.path())
        .with_observer(Broken { calls })
        .with_observer(first);
    let outcome = run_from::<Cfg, _, _>(["observed", "-C", "sys"], &env).unwrap();
    let Outcome::Incomplete {
        journal: Some(journal),
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let log = env.stderr_text();
    assert!(
        log.lines().last().unwrap_or_default().contains(&format!(
            "send it with `observed sync {}`",
            journal.display()
        )),
        "{log}"
    );

    // The mended observer gets the whole run from the journal, which is then removed.
    let mended = RecordingObserver::new();
    let mended_recording = mended.recording();
    let journal_arg = journal.display().to_string();
    let env = Env::captured(dir.path()).with_observer(Mended(mended));
    let outcome = run_from::<Cfg, _, _>(["observed", "sync", &journal_arg], &env).unwrap();
    assert_eq!(outcome.exit_code(), 0, "{outcome:?} {}", env.stderr_text());
    assert_eq!(
        recorded_points(&mended_recording),
        recorded_points(&first_recording)
    );
    assert_eq!(recorded_points(&mended_recording).len(), 5);
    let kinds = mended_recording.kinds();
    assert_eq!(kinds.first(), Some(&"started"), "{kinds:?}");
    assert!(kinds.contains(&"artifact"), "{kinds:?}");
    let completed = mended_recording.events().into_iter().find_map(|e| match e {
        RecordedEvent::Completed(c) => Some(c),
        _ => None,
    });
    assert_eq!(completed.and_then(|c| c.result), Some(json!(0.25)));
    assert!(
        !journal.exists(),
        "the journal is removed once every observer has the run"
    );
    let log = env.stderr_text();
    assert!(log.contains("Sent the run (5 metric points"), "{log}");

    // Twice is safe: nothing is left to send, nothing is sent again.
    let again = RecordingObserver::new();
    let again_recording = again.recording();
    let env = Env::captured(dir.path()).with_observer(again);
    let outcome = run_from::<Cfg, _, _>(["observed", "sync"], &env).unwrap();
    assert_eq!(outcome.exit_code(), 0);
    assert!(again_recording.kinds().is_empty());
    assert!(
        env.stderr_text().contains("Nothing to send"),
        "{}",
        env.stderr_text()
    );
}

/// An observer that panics at the first metrics.
struct Panicky;

impl Observer for Panicky {
    fn name(&self) -> String {
        "panicky observer".into()
    }
    fn priority(&self) -> i32 {
        40
    }
    fn metrics(&mut self, _: &sacred::observer::MetricsEvent) -> Result<(), ObserverError> {
        panic!("an observer's bug")
    }
}

#[test]
fn an_observer_that_panics_fails_alone() {
    let _turn = SYS_CAPTURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let recorder = RecordingObserver::new();
    let recording = recorder.recording();
    let env = Env::captured(dir.path())
        .with_observer(Panicky)
        .with_observer(recorder);
    let outcome = run_from::<Cfg, _, _>(["observed", "-C", "sys"], &env).unwrap();
    let Outcome::Incomplete { missing, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        missing,
        &["panicky observer failed: it panicked: an observer's bug"]
    );
    // The others carry on to the end.
    assert!(recording.kinds().contains(&"completed"));
    assert_eq!(recorded_points(&recording).len(), 5);
}
