//! End-to-end: logging in real experiment processes (`examples/logging.rs`,
//! `examples/logging_setups.rs` and `examples/own_logging.rs`), read back from the run's
//! `cout.txt` in file storage. `tracing` and `log` records become Sacred's lines; a
//! program's own subscriber or logger, set up before the run or in the experiment function,
//! is kept; every record reaches the captured output exactly once.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{text, tmp};

/// Runs the `logging_setups` example in `cwd` with `SETUP=setup` (unless empty), the
/// variables `vars` and `args`, recording into `cwd/fs`.
fn setups(cwd: &Path, setup: &str, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = common::example("logging_setups", cwd);
    command.env_remove("RUST_LOG").env_remove("SETUP");
    if !setup.is_empty() {
        command.env("SETUP", setup);
    }
    command.envs(vars.iter().copied());
    command.args(["-F", "fs"]).args(args);
    command.output().unwrap()
}

/// The captured output of run `id` in `cwd/fs`.
fn captured(cwd: &Path, id: u32) -> String {
    let path = cwd.join(format!("fs/{id}/cout.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// How many lines of `text` contain `needle`.
fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|line| line.contains(needle)).count()
}

/// Asserts that each of `lines` is a whole line of `cout`, exactly once.
fn has_once(cout: &str, lines: &[&str]) {
    for line in lines {
        assert_eq!(
            cout.lines().filter(|l| l == line).count(),
            1,
            "`{line}` once in:\n{cout}"
        );
    }
}

/// The Sacred lines the example's records give under sacred's own subscriber, or a
/// subscriber of the program's with `sacred::tracing_layer()`.
const SACRED_LINES: [&str; 3] = [
    "INFO - logging_setups - step{k=1}: a tracing event marker=T1",
    "INFO - logging_setups - step{k=1}: a log record",
    "INFO - logging_setups - from a worker thread",
];

#[test]
fn tracing_events_log_records_and_spans_become_sacred_lines() {
    let dir = tmp();
    let out = setups(dir.path(), "", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = captured(dir.path(), 1);
    has_once(&cout, &SACRED_LINES);
    assert!(!cout.contains("detail"), "{cout}");
    // The terminal shows the same lines, once.
    has_once(&text(&out.stderr), &SACRED_LINES);

    // `-C sys` captures them too: they are written through sacred's own output functions.
    let out = setups(dir.path(), "", &[], &["-C", "sys", "-l", "DEBUG"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = captured(dir.path(), 2);
    has_once(&cout, &SACRED_LINES);
    has_once(
        &cout,
        &[
            "DEBUG - logging_setups - step{k=1}: a tracing detail",
            "DEBUG - logging_setups - step{k=1}: a log detail",
        ],
    );
}

#[test]
fn rust_log_directives_refine_the_loglevel_per_target() {
    let dir = tmp();
    let example = |vars: &[(&str, &str)], args: &[&str]| {
        let mut command = common::example("logging", dir.path());
        command.env_remove("RUST_LOG").envs(vars.iter().copied());
        let out = command.args(["-F", "fs"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    // `-l WARNING` is the default; `logging::data` shows DEBUG and up.
    example(&[("RUST_LOG", "logging::data=debug")], &["-l", "WARNING"]);
    let cout1 = captured(dir.path(), 1);
    has_once(
        &cout1,
        &[
            "DEBUG - logging::data - epoch{n=0}: reading shard 0",
            "INFO - logging::data - epoch{n=1}: loaded shard 1",
            "WARNING - logging - done: loss 0.25",
        ],
    );
    assert_eq!(count(&cout1, "epoch done"), 0, "{cout1}");
    assert_eq!(count(&cout1, "Running command"), 0, "{cout1}");

    // Without `-l`, a bare level of RUST_LOG is the default; a directive that cannot be
    // read is ignored with a warning.
    example(
        &[("RUST_LOG", "error,logging=info,logging::data=loud")],
        &[],
    );
    let cout2 = captured(dir.path(), 2);
    has_once(
        &cout2,
        &[
            "WARNING - logging - ignoring `logging::data=loud` in RUST_LOG: `loud` is no level \
             (trace, debug, info, warn, error, off or a number)",
            "INFO - logging::data - epoch{n=0}: loaded shard 0",
            "INFO - logging - epoch{n=1}: epoch done rows=101 loss=0.25",
            // The runtime's own lines follow `-l` alone.
            "INFO - logging - Running command 'main'",
        ],
    );
    assert_eq!(count(&cout2, "reading shard"), 0, "{cout2}");
}

#[test]
fn a_subscriber_of_the_programs_own_is_kept_and_its_sacred_layer_captures() {
    let dir = tmp();
    for (id, capture) in [(1, "fd"), (2, "sys")] {
        let mut command = common::example("logging", dir.path());
        command.env_remove("RUST_LOG");
        let out = command.args(["-F", "fs", "-C", capture]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let cout = captured(dir.path(), id);
        has_once(
            &cout,
            &[
                "INFO - logging::data - epoch{n=0}: loaded shard 0",
                "INFO - logging - epoch{n=0}: epoch done rows=100 loss=0.5",
                "INFO - logging - epoch{n=1}: epoch done rows=101 loss=0.25",
                "WARNING - logging - done: loss 0.25",
            ],
        );
        // Its subscriber holds sacred's layer, whose lines `-C sys` captures: no warning.
        assert_eq!(count(&cout, "does not capture"), 0, "{cout}");
        // The program's own `fmt` layer wrote its file, which the run stored.
        let own = std::fs::read_to_string(dir.path().join(format!("fs/{id}/train.log"))).unwrap();
        assert_eq!(count(&own, "epoch done"), 2, "{own}");
        assert!(
            own.lines()
                .any(|l| l.contains("INFO epoch{n=0}: logging::data: loaded shard 0")),
            "{own}"
        );
    }
}

#[test]
fn tracing_subscriber_fmt_init_before_the_run_is_kept_and_captured_once() {
    let dir = tmp();
    let out = setups(dir.path(), "fmt-init", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = captured(dir.path(), 1);
    // `fmt`'s own format (to standard output), once each; no Sacred line for them.
    for (needle, line_start) in [
        (
            "a tracing event",
            "INFO step{k=1}: logging_setups: a tracing event",
        ),
        (
            "a log record",
            "INFO step{k=1}: logging_setups: a log record",
        ),
        (
            "from a worker thread",
            "INFO logging_setups: from a worker thread",
        ),
    ] {
        assert_eq!(count(&cout, needle), 1, "{cout}");
        assert!(cout.contains(line_start), "{cout}");
    }
    assert!(!cout.contains("INFO - logging_setups"), "{cout}");
    assert!(cout.contains("INFO - setups - Completed after"), "{cout}");
}

#[test]
fn a_capture_only_layer_beside_fmt_captures_each_record_once_in_every_mode() {
    let dir = tmp();
    for (id, capture) in [(1, "fd"), (2, "sys")] {
        let out = setups(dir.path(), "fmt-with-capture-layer", &[], &["-C", capture]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // The terminal shows `fmt`'s lines (standard output), once each, and no Sacred line.
        let terminal = text(&out.stdout) + &text(&out.stderr);
        for needle in ["a tracing event", "a log record", "from a worker thread"] {
            assert_eq!(count(&terminal, needle), 1, "{terminal}");
        }
        assert!(!terminal.contains("INFO - logging_setups"), "{terminal}");
        let cout = captured(dir.path(), id);
        if capture == "fd" {
            // What `fmt` printed, captured from the file descriptors.
            assert!(
                cout.contains("INFO step{k=1}: logging_setups: a tracing event"),
                "{cout}"
            );
            assert!(!cout.contains("INFO - logging_setups"), "{cout}");
        } else {
            // `fmt`'s lines bypass a `sys` capture: the layer's lines stand in for them.
            has_once(&cout, &SACRED_LINES);
        }
        for needle in ["a tracing event", "a log record", "from a worker thread"] {
            assert_eq!(count(&cout, needle), 1, "-C {capture}: {cout}");
        }
    }
}

#[test]
fn set_global_default_with_sacreds_layer_before_the_run_gets_log_records_too() {
    let dir = tmp();
    let out = setups(dir.path(), "set-global-default", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The program set no `log` logger: sacred's bridge sends `log` records to its subscriber.
    has_once(&captured(dir.path(), 1), &SACRED_LINES);
}

#[test]
fn env_logger_init_before_the_run_is_kept_for_log_records() {
    let dir = tmp();
    let out = setups(dir.path(), "env-logger-init", &[("RUST_LOG", "info")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = captured(dir.path(), 1);
    // `log` records in env_logger's format, `tracing` events as Sacred's lines.
    has_once(
        &cout,
        &[
            "[INFO  logging_setups] a log record",
            SACRED_LINES[0],
            SACRED_LINES[2],
        ],
    );
    assert_eq!(count(&cout, "a log record"), 1, "{cout}");
}

#[test]
fn try_init_in_the_experiment_leaves_the_run_and_sacreds_lines_in_place() {
    let dir = tmp();
    for (id, body) in [
        "fmt-try-init",
        "registry-try-init",
        "set-global-default",
        "env-logger-try-init",
    ]
    .into_iter()
    .enumerate()
    {
        let out = setups(dir.path(), "", &[], &["with", &format!("body={body}")]);
        assert_eq!(out.status.code(), Some(0), "{body}: {}", text(&out.stderr));
        let cout = captured(dir.path(), u32::try_from(id).unwrap() + 1);
        has_once(&cout, &[&format!("{body}: refused")]);
        has_once(&cout, &SACRED_LINES);
    }
}

#[test]
fn init_in_the_experiment_fails_the_run_with_a_hint() {
    let dir = tmp();
    for (id, body) in ["fmt-init", "env-logger-init"].into_iter().enumerate() {
        let out = setups(dir.path(), "", &[], &["with", &format!("body={body}")]);
        assert_eq!(out.status.code(), Some(1), "{body}: {}", text(&out.stderr));
        let cout = captured(dir.path(), u32::try_from(id).unwrap() + 1);
        assert_eq!(
            count(
                &cout,
                "ERROR - setups - the experiment set up logging of its own while sacred's was \
                 in place: mark it `#[experiment(logging = \"own\")]`"
            ),
            1,
            "{cout}"
        );
    }
}

/// Runs the `own_logging` example in `cwd` with `args`, recording into `cwd/fs`.
fn own_logging(cwd: &Path, args: &[&str]) -> Output {
    let mut command = common::example("own_logging", cwd);
    command.env_remove("RUST_LOG").args(["-F", "fs"]).args(args);
    command.output().unwrap()
}

/// The status stored for run `id` in `cwd/fs`.
fn status(cwd: &Path, id: u32) -> String {
    let path = cwd.join(format!("fs/{id}/run.json"));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    run["status"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn tracing_subscriber_fmt_init_in_the_experiment_function_logs_and_is_captured() {
    let dir = tmp();
    let out = own_logging(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(status(dir.path(), 1), "COMPLETED");
    let terminal = text(&out.stdout);
    let cout = captured(dir.path(), 1);
    // fmt's lines, `log` records through its `LogTracer` and an event of another thread,
    // once each on the terminal and in the record.
    for line in [
        "INFO own_logging: epoch done epoch=0 loss=0.5",
        "INFO own_logging: epoch done epoch=2 loss=0.125",
        "INFO own_logging: a log record after 3 epochs",
        "WARN own_logging: from a worker thread",
    ] {
        assert_eq!(count(&terminal, line), 1, "`{line}` once in:\n{terminal}");
        assert_eq!(count(&cout, line), 1, "`{line}` once in:\n{cout}");
    }
    // The run's own lines are sacred's; sacred's subscriber is not there to add its own.
    for line in [
        "INFO - own_logging - Running command 'main'",
        "INFO - own_logging - Started run with ID \"1\"",
        "INFO - own_logging - Result: 0.125",
    ] {
        has_once(&cout, &[line]);
    }
    assert_eq!(count(&cout, "INFO - own_logging - epoch done"), 0, "{cout}");
}

#[test]
fn env_logger_init_in_the_experiment_function_logs_and_is_captured() {
    let dir = tmp();
    let out = own_logging(dir.path(), &["with", "logger=env_logger", "epochs=2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(status(dir.path(), 1), "COMPLETED");
    let cout = captured(dir.path(), 1);
    has_once(
        &cout,
        &[
            "[INFO  own_logging] a log record after 2 epochs",
            "INFO - own_logging - Result: 0.25",
        ],
    );
    assert_eq!(count(&text(&out.stderr), "a log record after 2 epochs"), 1);
    assert_eq!(count(&cout, "reached no logger"), 0, "{cout}");
}

#[test]
fn own_logging_under_sys_capture_warns_that_its_lines_are_not_captured() {
    let dir = tmp();
    let out = own_logging(dir.path(), &["-C", "sys"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The lines show on the terminal, the record says why it lacks them.
    assert_eq!(count(&text(&out.stdout), "epoch done epoch=2"), 1);
    let cout = captured(dir.path(), 1);
    assert_eq!(count(&cout, "epoch done"), 0, "{cout}");
    has_once(
        &cout,
        &[
            "WARNING - own_logging - the experiment sets up its own logging, whose lines `-C \
           sys` does not capture: add `sacred::tracing_layer().capture_only()` to its \
           subscriber, or use `-C fd`",
        ],
    );
}

#[test]
fn an_experiment_taken_to_set_up_its_logging_that_sets_up_none_is_told_so() {
    let dir = tmp();
    let out = own_logging(dir.path(), &["with", "logger=none"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let warning = "WARNING - own_logging - the experiment was taken to set up its own logging \
                   (`tracing_subscriber` in the experiment function) but set up none: its \
                   `tracing` events and `log` records reached no logger; mark it \
                   `#[experiment(logging = \"sacred\")]` for sacred's";
    has_once(&captured(dir.path(), 1), &[warning]);
    assert_eq!(count(&text(&out.stderr), "reached no logger"), 1);
    // With a logger set up, no such line.
    let out = own_logging(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(count(&captured(dir.path(), 2), "reached no logger"), 0);
}
