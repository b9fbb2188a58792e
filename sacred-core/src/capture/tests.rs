//! Captures change process-wide state (file descriptors 1 and 2, the `sys` slot), and the
//! test harness runs tests on parallel threads of one process: every test here that starts a
//! capture holds [`serial`]. The harness and other tests may write to the same streams
//! meanwhile, so each test looks only at the lines carrying its own marker.

use std::io::{self, Write};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::*;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lines of `text` that contain `marker`.
fn marked<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.lines().filter(|line| line.contains(marker)).collect()
}

/// Writes straight to file descriptor 1. (`println!` in a test goes to the harness's own
/// capture instead; outside tests it is this.)
fn raw_stdout(text: &str) {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).unwrap();
    out.flush().unwrap();
}

/// Takes from `capture` until `count` lines with `marker` came (reader threads are
/// asynchronous), or 10 s passed.
fn take_until(capture: &Capture, marker: &str, count: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut taken = capture.take();
    while marked(&taken, marker).len() < count && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
        taken.push_str(&capture.take());
    }
    taken
}

fn sorted(mut lines: Vec<&str>) -> Vec<&str> {
    lines.sort_unstable();
    lines
}

#[test]
fn capture_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Capture>();
}

#[test]
fn fd_mode_captures_the_process_and_its_children() {
    let _serial = serial();
    let original = (
        fd::file_identity(io::stdout()),
        fd::file_identity(io::stderr()),
    );
    let capture = Capture::start(CaptureMode::Fd).unwrap();
    assert_eq!(capture.mode(), CaptureMode::Fd);
    assert_ne!(fd::file_identity(io::stdout()), original.0);
    assert_ne!(fd::file_identity(io::stderr()), original.1);

    // Lines come out as they complete. (An unfinished line waiting for its end is the
    // buffer's business, tested there: here the test harness may print its own lines to
    // the same file descriptor at any time, which would end it.)
    raw_stdout("fdcap one\n");
    let taken = take_until(&capture, "fdcap", 1);
    assert_eq!(marked(&taken, "fdcap"), ["fdcap one"]);
    raw_stdout("fdcap two\n");
    let taken = take_until(&capture, "fdcap", 1);
    assert_eq!(marked(&taken, "fdcap"), ["fdcap two"]);

    // A child process inherits the redirected descriptors; its progress bar is collapsed.
    let status = Command::new("sh")
        .args([
            "-c",
            "echo fdcap child; echo fdcap err >&2; printf 'fdcap 10%%\\rfdcap 100%%\\n'",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let taken = take_until(&capture, "fdcap", 3);
    assert_eq!(
        sorted(marked(&taken, "fdcap")),
        ["fdcap 100%", "fdcap child", "fdcap err"]
    );

    // An unfinished line still in Rust's stdout buffer: stop flushes it and returns it,
    // collapsed. Stopping works from another thread, and only once.
    // (The two streams are separate pipes, so text from one can land inside an unfinished
    // line of the other: the stderr line is taken before the stdout line starts.)
    write_stderr("fdcap via write_stderr\n");
    let taken = take_until(&capture, "fdcap", 1);
    assert_eq!(marked(&taken, "fdcap"), ["fdcap via write_stderr"]);
    write_stdout("fdcap 10%\rfdcap 50%");
    let rest = thread::scope(|scope| scope.spawn(|| capture.stop()).join().unwrap());
    assert_eq!(marked(&rest, "fdcap"), ["fdcap 50%"]);
    assert!(rest.ends_with("fdcap 50%"), "{rest:?}");
    assert_eq!(capture.stop(), "");

    // The descriptors point where they did before; later output is not captured.
    assert_eq!(fd::file_identity(io::stdout()), original.0);
    assert_eq!(fd::file_identity(io::stderr()), original.1);
    raw_stdout("fdcap after the capture\n");
    assert_eq!(capture.take(), "");
    assert_eq!(capture.stop(), "");

    // A second capture starts from scratch.
    let again = Capture::start(CaptureMode::Fd).unwrap();
    raw_stdout("fdcap again\n");
    assert_eq!(marked(&again.stop(), "fdcap"), ["fdcap again"]);
    assert_eq!(fd::file_identity(io::stdout()), original.0);
}

#[test]
fn fd_stop_gives_up_on_a_child_that_keeps_the_pipe() {
    let _serial = serial();
    let original = fd::file_identity(io::stdout());
    let capture = Capture::start(CaptureMode::Fd).unwrap();
    // The child inherits the write end of the pipe and keeps it open for 30 s.
    let mut child = Command::new("sleep")
        .arg("30")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    raw_stdout("fdhold before stop\n");
    let started = Instant::now();
    let rest = capture.stop();
    let waited = started.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(waited < Duration::from_secs(5), "stop waited {waited:?}");
    assert!(
        waited >= Duration::from_millis(1500),
        "stop waited {waited:?}"
    );
    assert_eq!(marked(&rest, "fdhold"), ["fdhold before stop"]);
    assert_eq!(fd::file_identity(io::stdout()), original);
}

#[test]
fn sys_mode_captures_the_output_functions_only() {
    let _serial = serial();
    let capture = Capture::start(CaptureMode::Sys).unwrap();
    assert_eq!(capture.mode(), CaptureMode::Sys);
    let second = Capture::start(CaptureMode::Sys).unwrap_err();
    assert_eq!(second.kind(), io::ErrorKind::ResourceBusy);

    write_stdout("syscap out\n");
    write_stderr("syscap err\n");
    write_stdout("syscap 1/3\rsyscap 2/3");
    // Child processes write to the descriptors, which `sys` mode leaves alone.
    let status = Command::new("sh")
        .args(["-c", "echo syscap child; echo syscap child err >&2"])
        .status()
        .unwrap();
    assert!(status.success());
    raw_stdout("syscap raw descriptor\n");

    assert_eq!(
        marked(&capture.take(), "syscap"),
        ["syscap out", "syscap err"]
    );
    assert_eq!(capture.take(), "");
    write_stdout("\rsyscap 3/3");
    assert_eq!(marked(&capture.stop(), "syscap"), ["syscap 3/3"]);
    assert_eq!(capture.stop(), "");
    write_stdout("syscap after\n");
    assert_eq!(capture.take(), "");

    // The slot is free again.
    let next = Capture::start(CaptureMode::Sys).unwrap();
    write_stdout("syscap next\n");
    assert_eq!(marked(&next.stop(), "syscap"), ["syscap next"]);
}

#[test]
fn dropping_a_sys_capture_frees_the_slot() {
    let _serial = serial();
    drop(Capture::start(CaptureMode::Sys).unwrap());
    let capture = Capture::start(CaptureMode::Sys).unwrap();
    capture.stop();
}

#[test]
fn stop_is_idempotent_and_works_from_another_thread() {
    let _serial = serial();
    let capture = Capture::start(CaptureMode::Sys).unwrap();
    write_stdout("idem done\nidem partial");
    let (first, second) = thread::scope(|scope| {
        let first = scope.spawn(|| capture.stop());
        let second = scope.spawn(|| capture.stop());
        (first.join().unwrap(), second.join().unwrap())
    });
    let mut both = sorted(vec![first.as_str(), second.as_str()]);
    both.retain(|text| !text.is_empty());
    assert_eq!(both.len(), 1, "{first:?} {second:?}");
    assert_eq!(marked(both[0], "idem"), ["idem done", "idem partial"]);
    assert_eq!(capture.stop(), "");
    assert_eq!(capture.take(), "");
}

#[test]
fn no_mode_captures_nothing() {
    let _serial = serial();
    let capture = Capture::start(CaptureMode::No).unwrap();
    assert_eq!(capture.mode(), CaptureMode::No);
    write_stdout("nocap\n");
    raw_stdout("nocap raw\n");
    assert_eq!(capture.take(), "");
    assert_eq!(capture.stop(), "");
}
