//! Helpers shared by the end-to-end tests: the example binaries as a user runs them.

#![allow(dead_code)]

pub(crate) mod runs;
pub(crate) mod servers;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The directory `cargo test` builds examples into (`target/<profile>/examples`).
pub(crate) fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test>-<hash>
    exe.parent()
        .and_then(Path::parent)
        .map(|p| p.join("examples"))
        .unwrap_or_else(|| panic!("unexpected test binary location {}", exe.display()))
}

/// The command that builds the examples, for the messages of [`example`].
const BUILD_EXAMPLES: &str = "cargo build --examples --all-features";

/// The example binary `name`, to run in `cwd`, with the project's environment variables
/// cleared so that the machine's settings cannot leak into a test.
///
/// The binaries are those `cargo test --workspace --all-features` (and so
/// `./scripts/test.sh`) builds next to the tests; `cargo test --test NAME` alone builds no
/// examples. A missing binary, or one older than a source file it was built from or built
/// from another checkout, fails the test with the command that builds them.
pub(crate) fn example(name: &str, cwd: &Path) -> Command {
    let path = examples_dir().join(name);
    assert!(
        path.is_file(),
        "the example binary {} is missing: build the examples with `{BUILD_EXAMPLES}` \
         (`cargo test --workspace --all-features` and ./scripts/test.sh build them; \
         `cargo test --test NAME` does not)",
        path.display()
    );
    if let Err(why) = check_fresh(&path, name) {
        panic!(
            "the example binary {} is out of date ({why}): rebuild the examples with \
             `{BUILD_EXAMPLES}`",
            path.display()
        );
    }
    let mut cmd = Command::new(path);
    cmd.current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("SACRED_FILE_STORAGE")
        .env_remove("SACRED_CAPTURED_ENV");
    cmd
}

/// Checks, with the dependency file cargo writes next to an example binary (`NAME.d`: the
/// binary, then every source file it was built from), that `binary` was built from this
/// checkout's `examples/NAME.rs` and that no source changed since.
fn check_fresh(binary: &Path, name: &str) -> Result<(), String> {
    let dep_info = binary.with_extension("d");
    let Ok(text) = std::fs::read_to_string(&dep_info) else {
        return Err(format!("{} is missing", dep_info.display()));
    };
    let built = std::fs::metadata(binary)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    // `target: source source ...`, spaces in paths escaped with '\\'.
    let first = text.lines().next().unwrap_or_default();
    let sources = first.split_once(": ").map_or("", |(_, s)| s);
    let sources: Vec<PathBuf> = sources
        .replace("\\ ", "\0")
        .split_whitespace()
        .map(|s| PathBuf::from(s.replace('\0', " ")))
        .collect();
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.rs"));
    if !sources.contains(&own) {
        return Err(format!("it was not built from {}", own.display()));
    }
    for source in &sources {
        let changed = std::fs::metadata(source).and_then(|m| m.modified());
        match changed {
            Ok(changed) if changed <= built => {}
            Ok(_) => return Err(format!("{} changed since", source.display())),
            Err(e) => return Err(format!("{}: {e}", source.display())),
        }
    }
    Ok(())
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
    tempfile::tempdir().expect("temp dir")
}

/// Starts `command` (a golden run with `mode=wait`), waits until it prints `ready` on
/// standard error, sends it `signal` (`INT`, `TERM`) and returns its exit code.
pub(crate) fn interrupt_when_ready(command: &mut Command, signal: &str) -> Option<i32> {
    signal_when_ready(command, signal, Duration::ZERO)
}

/// [`interrupt_when_ready`], with the signal sent `after` the run got ready.
pub(crate) fn signal_when_ready(
    command: &mut Command,
    signal: &str,
    after: Duration,
) -> Option<i32> {
    signal_after(command, signal, |_| std::thread::sleep(after))
}

/// Starts `command` (a golden run that prints `ready` on standard error once under way),
/// waits until it is ready, runs `meanwhile` (with the process id), then waits for the
/// process: its exit code and its whole standard error.
pub(crate) fn when_ready(
    command: &mut Command,
    meanwhile: impl FnOnce(u32),
) -> (Option<i32>, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                let ready = line == "ready";
                seen.push(line);
                if ready {
                    break;
                }
            }
            _ => panic!("the run ended before it was ready:\n{}", seen.join("\n")),
        }
        assert!(Instant::now() < deadline, "the run never got ready");
    }
    meanwhile(child.id());
    // Read standard error to its end, so the child never blocks on a full pipe.
    seen.extend(lines.map_while(Result::ok));
    (child.wait().unwrap().code(), seen.join("\n"))
}

/// Starts `command` (a golden run with `mode=wait`), waits until it prints `ready`, runs
/// `meanwhile` (with the process id), then sends it `signal` and returns its exit code.
pub(crate) fn signal_after(
    command: &mut Command,
    signal: &str,
    meanwhile: impl FnOnce(u32),
) -> Option<i32> {
    when_ready(command, |pid| {
        meanwhile(pid);
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    })
    .0
}
