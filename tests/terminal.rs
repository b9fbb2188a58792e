//! End-to-end: what a run's output looks like on a terminal and in its record. Runs on a
//! pseudo-terminal (opened here, as a terminal emulator does) draw progress bars as
//! without capture and record the screen's last state; the order of Sacred's lines and the
//! function's output is Sacred's on the terminal and in `cout.txt`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Output, Stdio};

use common::{text, tmp};

/// A pseudo-terminal of 100 columns: its master side, and its slave side for a child.
fn pseudo_terminal() -> (File, OwnedFd) {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    let size = rustix::termios::Winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&slave, size).unwrap();
    (File::from(master), slave)
}

/// A thread that reads what `master`'s terminal receives until the last slave closes (EIO;
/// the child holds the only ones).
fn read_terminal(mut master: File) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut screen = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = master.read(&mut chunk) {
            if n == 0 {
                break;
            }
            screen.extend_from_slice(&chunk[..n]);
        }
        screen
    })
}

/// Runs example `name` with standard output and error on a pseudo-terminal; its exit
/// code and what the terminal received.
fn on_terminal(name: &str, args: &[&str], cwd: &Path) -> (Option<i32>, String) {
    let (master, slave) = pseudo_terminal();
    let mut child = common::example(name, cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let reader = read_terminal(master);
    let status = child.wait().unwrap();
    let screen = reader.join().unwrap();
    (status.code(), text(&screen))
}

/// Runs example `name` with standard output into a pipe and standard error on a
/// pseudo-terminal (`> out.log`): its exit code, what the pipe and what the terminal got.
fn output_redirected(name: &str, args: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let (master, slave) = pseudo_terminal();
    let (mut out_reader, out_writer) = std::io::pipe().unwrap();
    let mut child = common::example(name, cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out_writer)
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let terminal = read_terminal(master);
    let mut out = Vec::new();
    out_reader.read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    let screen = terminal.join().unwrap();
    (status.code(), text(&out), text(&screen))
}

/// Runs example `name` with standard output and error into one pipe (`2>&1`).
fn into_one_pipe(name: &str, args: &[&str], cwd: &Path) -> Output {
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut child = common::example(name, cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    let mut both = Vec::new();
    reader.read_to_end(&mut both).unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout: both,
        stderr: Vec::new(),
    }
}

/// The positions of `needles` in `haystack`, which must all be there, in this order.
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match haystack[from..].find(needle) {
            Some(at) => from += at + needle.len(),
            None => panic!("{needle:?} is missing or out of order in:\n{haystack}"),
        }
    }
}

/// Asserts that `screen` got a bar, drawn more than twice and redrawn in place: its
/// lines hold `bar`.
fn assert_redrawn(screen: &str, bar: &str) {
    assert!(screen.contains("\r\u{1b}[2K"), "no redraw in: {screen:?}");
    assert!(screen.matches(bar).count() > 2, "{screen:?}");
}

/// Asserts that the record `cout` has the last state of a bar whose lines hold `bar`, once,
/// and no escape sequence or carriage return.
fn assert_collapsed(cout: &str, bar: &str) {
    assert!(!cout.contains('\u{1b}'), "{cout:?}");
    assert!(!cout.contains('\r'), "{cout:?}");
    assert_eq!(cout.matches(bar).count(), 1, "{cout}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_progress_bar_draws_on_a_terminal_and_its_last_state_is_recorded() {
    let dir = tmp();
    let (code, screen) = on_terminal(
        "progress",
        &["-F", "runs", "with", "steps=60", "pause_ms=5"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{screen}");
    // The experiment had a terminal, and indicatif drew on it: redraws erase the line.
    assert!(
        screen.contains("standard output is a terminal: true"),
        "{screen}"
    );
    assert_redrawn(&screen, "/60");
    assert_in_order(
        &screen,
        &[
            "Running command 'main'",
            "Started run with ID \"1\"",
            "standard output is a terminal: true",
            "halfway",
            "#################### 60/60 done",
            "after the bar",
            "Result: 60",
            "Completed after",
        ],
    );

    // The record has what the screen showed last: one line for the bar, no escapes.
    let cout = read(&dir.path().join("runs/1/cout.txt"));
    assert_collapsed(&cout, "/60");
    assert_in_order(
        &cout,
        &[
            "INFO - progress - Running command 'main'\n",
            "INFO - progress - Started run with ID \"1\"\n",
            "standard output is a terminal: true\n",
            "halfway\n",
            "#################### 60/60 done",
            "after the bar\n",
            "INFO - progress - Result: 60\n",
            "INFO - progress - Completed after",
        ],
    );
    let metrics: sacred::serde_json::Value =
        sacred::serde_json::from_str(&read(&dir.path().join("runs/1/metrics.json"))).unwrap();
    assert_eq!(metrics["step"]["steps"].as_array().unwrap().len(), 60);
}

#[test]
fn a_bar_on_standard_error_draws_on_the_terminal_when_standard_output_is_redirected() {
    let dir = tmp();
    let (code, out, screen) = output_redirected(
        "progress",
        &["-F", "runs", "with", "steps=60", "pause_ms=5"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{out}{screen}");
    // indicatif draws on standard error, which is still a terminal, as without capture.
    assert!(
        out.contains("standard output is a terminal: false"),
        "{out}"
    );
    assert_redrawn(&screen, "/60");
    assert!(
        screen.contains("#################### 60/60 done"),
        "{screen:?}"
    );
    assert!(!out.contains("/60"), "{out}");

    // The record has the bar's last state once, and each stream's lines in its order.
    let cout = read(&dir.path().join("runs/1/cout.txt"));
    assert_collapsed(&cout, "/60");
    assert_in_order(
        &cout,
        &["standard output is a terminal: false\n", "after the bar\n"],
    );
    assert_in_order(
        &cout,
        &[
            "INFO - progress - Running command 'main'\n",
            "halfway\n",
            "#################### 60/60 done",
            "INFO - progress - Completed after",
        ],
    );
}

#[test]
fn several_bars_redrawn_together_are_recorded_in_their_last_state_once() {
    let dir = tmp();
    let (code, screen) = on_terminal(
        "progress",
        &["-F", "runs", "with", "bar=multi", "steps=40", "pause_ms=5"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{screen}");
    // indicatif's MultiProgress moved the cursor up to redraw both.
    assert!(screen.contains("\u{1b}[1A"), "{screen:?}");
    assert_redrawn(&screen, "/40 first");
    let cout = read(&dir.path().join("runs/1/cout.txt"));
    assert_collapsed(&cout, "/40 first");
    assert_collapsed(&cout, "/20 second");
    assert_in_order(
        &cout,
        &[
            "standard output is a terminal: true\n",
            "#################### 40/40 first done\n",
            "#################### 20/20 second done\n",
            "after the bar\n",
            "INFO - progress - Result: 40\n",
        ],
    );
}

#[test]
fn without_capture_the_bar_draws_and_nothing_is_recorded() {
    let dir = tmp();
    let (code, screen) = on_terminal(
        "progress",
        &["-F", "runs", "-C", "no", "with", "steps=10"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("standard output is a terminal: true"),
        "{screen}"
    );
    assert!(screen.contains("10/10 done"), "{screen:?}");
    let run: sacred::serde_json::Value =
        sacred::serde_json::from_str(&read(&dir.path().join("runs/1/run.json"))).unwrap();
    assert_eq!(run["status"], "COMPLETED");
    assert_eq!(read(&dir.path().join("runs/1/cout.txt")), "");
}

#[test]
fn sacred_s_lines_and_the_output_keep_sacred_s_order() {
    let dir = tmp();
    for run in 1..=6 {
        let out = into_one_pipe("quickstart", &["-F", "runs", "with", "steps=3"], dir.path());
        let both = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{both}");
        let order = [
            "INFO - quickstart - Running command 'main'\n".to_owned(),
            format!("INFO - quickstart - Started run with ID \"{run}\"\n"),
            "seed=".to_owned(),
            "INFO - quickstart - Result: 0.032\n".to_owned(),
            "INFO - quickstart - Completed after".to_owned(),
        ];
        let order: Vec<&str> = order.iter().map(String::as_str).collect();
        // On the terminal (here a pipe for both streams)…
        assert_in_order(&both, &order);
        // …and in the record.
        let cout = read(&dir.path().join(format!("runs/{run}/cout.txt")));
        assert_in_order(&cout, &order);
    }
}

#[test]
fn standard_output_and_error_keep_their_order_in_the_record() {
    let dir = tmp();
    let out = into_one_pipe(
        "golden",
        &["-F", "runs", "with", "mode=thread-panic"],
        dir.path(),
    );
    let both = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{both}");
    // The thread's panic message (standard error) comes before the line the run printed
    // after joining the thread (standard output), on the terminal and in the record.
    let order = [
        "a worker thread gave up",
        "the worker thread ended: panicked = true",
    ];
    assert_in_order(&both, &order);
    assert_in_order(&read(&dir.path().join("runs/1/cout.txt")), &order);
}

#[test]
fn standard_output_and_error_to_different_pipes_keep_their_order_in_the_record() {
    let dir = tmp();
    let expected: Vec<String> = (0..200)
        .flat_map(|i| [format!("out {i}"), format!("err {i}")])
        .collect();
    for id in 1..=3 {
        // Two pipes, as `subprocess.run(…, capture_output=True)` gives.
        let out = common::example("golden", dir.path())
            .args(["-F", "runs", "with", "mode=interleave"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // Each stream got its own lines.
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert_eq!(stdout.matches("out ").count(), 200, "{stdout}");
        assert_eq!(stdout.matches("err ").count(), 0, "{stdout}");
        assert_eq!(stderr.matches("err ").count(), 200, "{stderr}");
        // The record has them in the order they were written, after Sacred's lines.
        let cout = read(&dir.path().join(format!("runs/{id}/cout.txt")));
        let lines: Vec<&str> = cout
            .lines()
            .filter(|line| line.starts_with("out ") || line.starts_with("err "))
            .collect();
        assert_eq!(lines, expected, "run {id}:\n{cout}");
        assert_in_order(
            &cout,
            &[
                "Started run with ID",
                "\nout 0\nerr 0\nout 1\n",
                "\nerr 199\n",
                "Completed after",
            ],
        );
    }
}

#[test]
fn the_run_s_own_bar_is_a_metric_and_lines_never_land_on_it() {
    let dir = tmp();
    let (code, screen) = on_terminal(
        "progress",
        &["-F", "runs", "with", "bar=run", "steps=40", "pause_ms=10"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("\rsteps [#"), "the bar draws: {screen:?}");
    // The line printed mid-way took the bar off its line first.
    assert!(screen.contains("\r\u{1b}[2Khalfway\r\n"), "{screen:?}");
    let cout = read(&dir.path().join("runs/1/cout.txt"));
    assert_in_order(
        &cout,
        &[
            "standard output is a terminal: true\n",
            "halfway\n",
            "steps [##############################] 40/40 100% ",
            "after the bar\n",
        ],
    );
    // Each on a line of its own.
    let lines: Vec<&str> = cout.lines().collect();
    assert!(lines.contains(&"halfway"), "{cout}");
    assert!(lines.contains(&"after the bar"), "{cout}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("steps [##############################] 40/40 100% ")),
        "{cout}"
    );
    assert_eq!(cout.matches("steps [").count(), 1, "{cout}");
    let metrics: sacred::serde_json::Value =
        sacred::serde_json::from_str(&read(&dir.path().join("runs/1/metrics.json"))).unwrap();
    let values = metrics["steps"]["values"].as_array().unwrap();
    assert_eq!(values.first(), Some(&sacred::serde_json::json!(0.0)));
    assert_eq!(values.last(), Some(&sacred::serde_json::json!(40.0)));
    assert!(values.len() >= 3, "{values:?}");
}

#[test]
fn off_a_terminal_the_run_s_bar_is_only_a_metric() {
    let dir = tmp();
    let out = common::run(
        "progress",
        &["-F", "runs", "with", "bar=run", "steps=20", "pause_ms=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let both = text(&out.stdout) + &text(&out.stderr);
    assert!(!both.contains("steps ["), "{both}");
    assert!(
        both.contains("standard output is a terminal: false"),
        "{both}"
    );
    let metrics: sacred::serde_json::Value =
        sacred::serde_json::from_str(&read(&dir.path().join("runs/1/metrics.json"))).unwrap();
    let values = metrics["steps"]["values"].as_array().unwrap();
    assert_eq!(values.last(), Some(&sacred::serde_json::json!(20.0)));
}

#[test]
fn under_sys_capture_the_run_s_bar_records_its_last_state_only() {
    let dir = tmp();
    let (code, screen) = on_terminal(
        "progress",
        &[
            "-F",
            "runs",
            "-C",
            "sys",
            "with",
            "bar=run",
            "steps=30",
            "pause_ms=10",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("\rsteps [#"), "the bar draws: {screen:?}");
    let cout = read(&dir.path().join("runs/1/cout.txt"));
    assert!(!cout.contains('\u{1b}') && !cout.contains('\r'), "{cout:?}");
    let lines: Vec<&str> = cout.lines().collect();
    assert!(lines.contains(&"halfway"), "{cout}");
    assert_eq!(cout.matches("steps [").count(), 1, "{cout}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("steps [##############################] 30/30 100% ")),
        "{cout}"
    );
}
