//! Helpers shared by the end-to-end tests: the example binaries as a user runs them.

#![allow(dead_code)]

pub(crate) mod servers;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The directory `cargo test` builds examples into (`target/<profile>/examples`).
pub(crate) fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current exe: {e}"));
    // target/<profile>/deps/<test>-<hash>
    exe.parent()
        .and_then(Path::parent)
        .map(|p| p.join("examples"))
        .unwrap_or_else(|| panic!("unexpected test binary location {}", exe.display()))
}

/// Builds the examples once per test process (`cargo test` has usually built them already,
/// then this is a no-op), so that one test file also runs alone.
fn build_examples() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--examples", "--all-features"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap_or_else(|e| panic!("cargo build --examples: {e}"));
        assert!(status.success(), "cargo build --examples failed");
    });
}

/// The example binary `name`, to run in `cwd`, with the project's environment variables
/// cleared so that the machine's settings cannot leak into a test.
pub(crate) fn example(name: &str, cwd: &Path) -> Command {
    build_examples();
    let path = examples_dir().join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    let mut cmd = Command::new(path);
    cmd.current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("SACRED_FILE_STORAGE")
        .env_remove("SACRED_CAPTURED_ENV");
    cmd
}

/// Runs an example to its end.
pub(crate) fn run(name: &str, args: &[&str], cwd: &Path) -> Output {
    example(name, cwd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {name}: {e}"))
}

/// Bytes as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh temporary directory.
pub(crate) fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

/// Starts `command` (a golden run with `mode=wait`), waits until it prints `ready` on
/// standard error, sends it `signal` (`INT`, `TERM`) and returns its exit code.
pub(crate) fn interrupt_when_ready(command: &mut Command, signal: &str) -> Option<i32> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match lines.next() {
            Some(Ok(line)) if line == "ready" => break,
            Some(Ok(_)) => {}
            _ => panic!("the run ended before it was ready"),
        }
        assert!(Instant::now() < deadline, "the run never got ready");
    }
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success());
    // Drain standard error so the child never blocks on a full pipe.
    for _ in lines {}
    child.wait().unwrap_or_else(|e| panic!("{e}")).code()
}
