//! End-to-end: the golden example runs as a process with the file storage observer, and
//! the records it leaves are compared with the ones Python Sacred 0.8.7 wrote
//! (`tests/fixtures/sacred-0.8.7/file_storage`), key by key and type by type.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{text, tmp};
use sacred::serde_json::{self, Value, json};
use sacred_test_support::{assert_same_shape, fixtures};

fn golden_command(cwd: &Path) -> Command {
    common::example("golden", cwd)
}

fn golden(args: &[&str], cwd: &Path) -> Output {
    common::run("golden", args, cwd)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Python Sacred's record `path` of its file storage observer (`1/run.json`, …).
fn reference(path: &str) -> Value {
    fixtures::reference(&format!("file_storage/{path}"))
}

/// The artifacts the experiment added (without the diff of a dirty checkout).
fn own_artifacts(run: &Value) -> Vec<String> {
    run["artifacts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|n| *n != "uncommitted.diff")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn run_dir_has(dir: &Path, name: &str) -> bool {
    dir.join(name).is_file()
}

fn md5_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = md5_digest(bytes);
    digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// md5 through the system's `md5sum`, independent of the code under test.
fn md5_digest(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("md5sum");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let hex = text(&out.stdout);
    let hex = hex.split_whitespace().next().unwrap_or_default();
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

#[test]
fn a_completed_run_matches_sacreds_records() {
    let dir = tmp();
    let out = golden(
        &[
            "-F",
            "fs",
            "with",
            "lr=0.0001",
            "optimizer.name=sgd",
            "seed=42",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run_dir = dir.path().join("fs/1");
    let run = json_file(&run_dir.join("run.json"));
    assert_same_shape(&run, &reference("1/run.json"));
    assert_eq!(run["status"], "COMPLETED");
    assert_eq!(run["command"], "main");
    assert_eq!(run["result"]["acc"], json!(0.7));
    assert!(run["result"]["rnd"].is_u64());
    assert_eq!(own_artifacts(&run), ["model.bin", "summary.txt"]);
    // Beyond Sacred: a dirty checkout's uncommitted changes are stored with the run.
    let repos = run["experiment"]["repositories"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dirty = repos.iter().any(|r| r["dirty"] == json!(true));
    assert_eq!(
        run_dir_has(&dir.path().join("fs/1"), "uncommitted.diff"),
        dirty,
        "{repos:?}"
    );
    for repo in &repos {
        assert!(
            repo["commit"].as_str().is_some_and(|c| c.len() == 40),
            "{repo}"
        );
        assert!(
            repo["url"].as_str().is_some_and(|u| !u.is_empty()),
            "{repo}"
        );
    }
    assert_eq!(run["experiment"]["name"], "golden");
    assert_eq!(run["experiment"]["mainfile"], "examples/golden.rs");
    assert_eq!(run["experiment"]["base_dir"], env!("CARGO_MANIFEST_DIR"));
    assert!(run["fail_trace"].is_null(), "no fail_trace on success");
    assert!(run["stop_time"].as_str().unwrap_or("") >= run["start_time"].as_str().unwrap_or("~"));
    assert!(run["heartbeat"].is_string());
    for key in [
        "hostname",
        "os",
        "cpu",
        "ENV",
        "rust_version",
        "target",
        "cores",
    ] {
        assert!(
            run["host"].get(key).is_some(),
            "host.{key} missing: {}",
            run["host"]
        );
    }
    let deps: Vec<&str> = run["experiment"]["dependencies"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(deps.iter().any(|d| d.starts_with("serde==")), "{deps:?}");
    assert!(
        deps.iter().any(|d| d.starts_with("sacred-core==")),
        "{deps:?}"
    );

    // Sources: the example's own file, stored once under its md5, matching the file now.
    let golden_src =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/golden.rs")).unwrap();
    let stored = format!("_sources/golden_{}.rs", md5_hex(&golden_src));
    let sources = run["experiment"]["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        sources.contains(&json!(["examples/golden.rs", stored])),
        "{sources:?}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("fs").join(&stored)).unwrap_or_default(),
        golden_src
    );

    // The resource: the same data file as Sacred's reference run, so the same md5.
    assert_eq!(
        run["resources"][0][1],
        "fs/_resources/data_344fd2323dd33d5c058b7cf27de029e8.csv"
    );
    assert!(
        run["resources"][0][0]
            .as_str()
            .unwrap_or("")
            .ends_with("examples/data.csv")
    );
    assert!(
        dir.path()
            .join("fs/_resources/data_344fd2323dd33d5c058b7cf27de029e8.csv")
            .is_file()
    );

    // meta: Sacred's keys, the updates as given.
    assert_eq!(
        run["meta"]["config_updates"],
        json!({"lr": 0.0001, "optimizer": {"name": "sgd"}, "seed": 42})
    );
    assert_eq!(
        run["meta"]["options"]["UPDATE"],
        json!(["lr=0.0001", "optimizer.name=sgd", "seed=42"])
    );
    assert_eq!(run["meta"]["options"]["--file_storage"], "fs");

    let config = json_file(&run_dir.join("config.json"));
    assert_same_shape(&config, &reference("1/config.json"));
    assert_eq!(config["optimizer"]["name"], "sgd");
    assert_eq!(config["seed"], json!(42));

    let metrics = json_file(&run_dir.join("metrics.json"));
    assert_same_shape(&metrics, &reference("1/metrics.json"));
    assert_eq!(metrics["training.loss"]["steps"], json!([0, 1, 2]));
    assert_eq!(
        metrics["training.loss"]["values"],
        json!([1.0, 0.5, 1.0 / 3.0])
    );
    assert_eq!(metrics["training.acc"]["steps"], json!([0, 1, 2]));

    let info = json_file(&run_dir.join("info.json"));
    assert_eq!(info["notes"], json!({"best_step": 2}));

    assert_eq!(
        std::fs::read(run_dir.join("model.bin")).unwrap_or_default(),
        b"\x00\x01weights"
    );
    assert_eq!(read(&run_dir.join("summary.txt")), "steps=3\n");

    let cout = read(&run_dir.join("cout.txt"));
    for line in [
        "INFO - golden - Running command 'main'",
        "INFO - golden - Started run with ID \"1\"",
        "starting 32 0.0001 sgd",
        "INFO - golden - loaded the data rows=2",
        "INFO - golden - Result: {\"acc\": 0.7, \"rnd\": ",
        "INFO - golden - Completed after 0:00:0",
    ] {
        assert!(cout.contains(line), "cout.txt lacks {line:?}:\n{cout}");
    }
}

#[test]
fn a_failed_run_keeps_its_error_and_all_its_output() {
    let dir = tmp();
    let out = golden(
        &["-F", "fs", "with", "small", "mode=fail", "seed=7"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let run = json_file(&dir.path().join("fs/1/run.json"));
    assert_same_shape(&run, &reference("2/run.json"));
    assert_eq!(run["status"], "FAILED");
    assert!(run["result"].is_null());
    let trace: Vec<&str> = run["fail_trace"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(trace.concat().contains("planned failure"), "{trace:?}");
    assert_eq!(run["meta"]["named_configs"], json!(["small"]));
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    // Sacred loses this output; the whole text is kept, the failure included.
    assert!(cout.contains("starting 8 0.001 adam"), "{cout}");
    assert!(cout.contains("ERROR - golden - Failed after"), "{cout}");
    assert!(cout.contains("planned failure"), "{cout}");
}

#[test]
fn a_panic_fails_the_run_with_message_location_and_backtrace() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "with", "mode=panic", "seed=7"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let run = json_file(&dir.path().join("fs/1/run.json"));
    assert_same_shape(&run, &reference("2/run.json"));
    assert_eq!(run["status"], "FAILED");
    let trace: String = run["fail_trace"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(trace.contains("planned panic"), "{trace}");
    assert!(trace.contains("examples/golden.rs:"), "{trace}");
    assert!(trace.contains("stack backtrace:"), "{trace}");
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    assert!(cout.contains("planned panic"), "{cout}");

    // -d: recorded, then Rust's own panic exit.
    let out = golden(&["-F", "fs", "-d", "with", "mode=panic"], dir.path());
    assert_eq!(out.status.code(), Some(101), "{}", text(&out.stderr));
    assert_eq!(
        json_file(&dir.path().join("fs/2/run.json"))["status"],
        "FAILED"
    );
}

/// Starts a run that waits, sends it `signal` once it is running, and returns its exit code
/// and run directory.
fn interrupted(signal: &str) -> (Option<i32>, tempfile::TempDir) {
    let dir = tmp();
    let mut command = golden_command(dir.path());
    command.args(["-F", "fs", "with", "mode=wait", "seed=9"]);
    let code = common::interrupt_when_ready(&mut command, signal);
    (code, dir)
}

#[test]
fn sigint_and_sigterm_interrupt_the_run_and_keep_its_record() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let (exit, dir) = interrupted(signal);
        assert_eq!(exit, Some(code), "SIG{signal}");
        let run = json_file(&dir.path().join("fs/1/run.json"));
        assert_same_shape(&run, &reference("3/run.json"));
        assert_eq!(run["status"], "INTERRUPTED", "SIG{signal}");
        assert!(run["stop_time"].is_string());
        let metrics = json_file(&dir.path().join("fs/1/metrics.json"));
        assert_eq!(metrics["training.loss"]["steps"], json!([0, 1, 2]));
        let cout = read(&dir.path().join("fs/1/cout.txt"));
        assert!(cout.contains("waiting for a signal"), "{cout}");
        // Sacred logs the interruption as a warning.
        assert!(cout.contains("WARNING - golden - Aborted after"), "{cout}");
        assert_eq!(own_artifacts(&run), ["model.bin", "summary.txt"]);
    }
}

#[test]
fn sixteen_processes_at_once_get_sixteen_ids() {
    let dir = tmp();
    let children: Vec<_> = (0..16)
        .map(|_| {
            golden_command(dir.path())
                .args(["-F", "fs", "with", "steps=1"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert_eq!(child.wait().map(|s| s.code()).unwrap_or(None), Some(0));
    }
    for id in 1..=16 {
        let run = json_file(&dir.path().join(format!("fs/{id}/run.json")));
        assert_eq!(run["status"], "COMPLETED", "run {id}");
    }
    assert!(!dir.path().join("fs/17").exists());
}

#[test]
fn fd_capture_keeps_child_output_and_sys_capture_does_not() {
    let dir = tmp();
    let out = golden(&["-F", "fd", "-C", "fd", "with", "mode=child"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = read(&dir.path().join("fd/1/cout.txt"));
    assert!(cout.contains("from a child process"), "{cout}");
    assert!(cout.contains("starting 32"), "{cout}");
    // The terminal still shows everything.
    assert!(text(&out.stdout).contains("from a child process"));

    let out = golden(
        &["-F", "sys", "-C", "sys", "with", "mode=child"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = read(&dir.path().join("sys/1/cout.txt"));
    assert!(!cout.contains("from a child process"), "{cout}");
    assert!(cout.contains("starting 32"), "{cout}");
    assert!(cout.contains("child exited with"), "{cout}");
    assert!(text(&out.stdout).contains("from a child process"));

    let out = golden(&["-F", "no", "-C", "no"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(read(&dir.path().join("no/1/cout.txt")), "");
}

#[test]
fn progress_bars_are_collapsed_in_the_stored_output() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "with", "mode=progress"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    assert!(cout.contains("\nprogress 100%\n"), "{cout:?}");
    assert!(!cout.contains("progress 50%"), "{cout:?}");
    assert!(!cout.contains('\r'), "{cout:?}");
}

#[test]
fn metrics_from_many_threads_are_all_kept() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "with", "mode=threads"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metrics = json_file(&dir.path().join("fs/1/metrics.json"));
    let steps = metrics["threads.loss"]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(steps.len(), 1000);
    let expected: Vec<Value> = (0..1000).map(|s| json!(s)).collect();
    assert_eq!(steps, expected, "auto steps are distinct and consecutive");
}

#[test]
fn the_default_is_file_storage_under_runs_and_unobserved_records_nothing() {
    let dir = tmp();
    let out = golden(&["with", "steps=1"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Recording the run in ./runs"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        json_file(&dir.path().join("runs/1/run.json"))["status"],
        "COMPLETED"
    );

    let other = tmp();
    let out = golden(&["-u", "with", "steps=1"], other.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_dir(other.path())
            .map(|d| d.count())
            .unwrap_or(1),
        0
    );

    std::fs::write(
        other.path().join("sacred.toml"),
        "file_storage = \"store\"\ncaptured_env = [\"SACRED_TEST_VAR\"]\n",
    )
    .unwrap();
    let nested = other.path().join("sub");
    std::fs::create_dir(&nested).unwrap();
    let out = golden_command(&nested)
        .env("SACRED_TEST_VAR", "recorded")
        .args(["with", "steps=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = json_file(&other.path().join("store/1/run.json"));
    assert_eq!(run["host"]["ENV"], json!({"SACRED_TEST_VAR": "recorded"}));

    let out = golden_command(&nested)
        .env("SACRED_FILE_STORAGE", "from-env")
        .args(["with", "steps=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(nested.join("from-env/1/run.json").is_file());
}

#[test]
fn a_given_id_is_used_once_and_never_overwritten() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "-i", "custom", "with", "steps=1"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = read(&dir.path().join("fs/custom/run.json"));
    let out = golden(&["-F", "fs", "-i", "custom", "with", "steps=2"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("custom"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty(), "nothing ran");
    assert_eq!(read(&dir.path().join("fs/custom/run.json")), before);
}

#[test]
fn beats_stream_metrics_and_output_while_the_run_goes_on() {
    let dir = tmp();
    let mut child = golden_command(dir.path())
        .args(["-F", "fs", "-b", "0.1", "with", "mode=wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run_json = dir.path().join("fs/1/run.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = false;
    while Instant::now() < deadline {
        let cout = std::fs::read_to_string(dir.path().join("fs/1/cout.txt")).unwrap_or_default();
        let metrics =
            std::fs::read_to_string(dir.path().join("fs/1/metrics.json")).unwrap_or_default();
        // A beat's metrics are written before its heartbeat: wait for both.
        let run: Value = std::fs::read_to_string(&run_json)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        if cout.contains("waiting for a signal")
            && metrics.contains("training.loss")
            && run["heartbeat"].is_string()
        {
            assert_eq!(run["status"], "RUNNING");
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(seen, "no beat reached the record while the run went on");
}

#[test]
fn loglevel_filters_tracing_events_and_sacreds_own_lines() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "-l", "DEBUG"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    assert!(
        cout.contains("DEBUG - golden - a detail for -l DEBUG"),
        "{cout}"
    );
    assert!(cout.contains("INFO - golden - loaded the data"), "{cout}");

    let out = golden(&["-F", "fs", "-l", "WARNING"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = read(&dir.path().join("fs/2/cout.txt"));
    // Sacred records the level as it was typed.
    let run = json_file(&dir.path().join("fs/2/run.json"));
    assert_eq!(run["meta"]["options"]["--loglevel"], "WARNING");
    let run = json_file(&dir.path().join("fs/1/run.json"));
    assert_eq!(run["meta"]["options"]["--loglevel"], "DEBUG");
    assert!(!cout.contains("loaded the data"), "{cout}");
    assert!(!cout.contains("INFO - golden - Running command"), "{cout}");
    assert!(cout.contains("starting 32"), "{cout}");

    let out = golden(&["-F", "fs", "-C", "sys"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cout = read(&dir.path().join("fs/3/cout.txt"));
    assert!(
        cout.contains("INFO - golden - loaded the data rows=2"),
        "{cout}"
    );
    assert!(!cout.contains("a detail"), "{cout}");
}

#[test]
fn print_dependencies_lists_dependencies_sources_and_repositories() {
    let dir = tmp();
    let out = golden(&["print_dependencies"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Dependencies:\n"), "{stdout}");
    assert!(
        stdout.contains("\n* serde                == 1."),
        "{stdout}"
    );
    let golden_src =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/golden.rs")).unwrap();
    assert!(
        stdout.contains(&format!(
            "\n  {:<43}  {}",
            "examples/golden.rs",
            md5_hex(&golden_src)
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Sources:\n"), "{stdout}");
    assert!(
        !dir.path().join("runs").exists(),
        "print_dependencies records nothing"
    );
}

/// The `Dependencies:` lines of `print_dependencies`: (marked direct, name, version).
fn dependency_lines(stdout: &str) -> Vec<(bool, String, String)> {
    stdout
        .lines()
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(|line| {
            let direct = line.starts_with('*');
            let (name, version) = line[2..].split_once(" == ").unwrap_or((line, ""));
            (direct, name.trim().to_owned(), version.to_owned())
        })
        .collect()
}

#[test]
fn only_packages_compiled_into_the_binary_are_listed_and_the_direct_ones_marked() {
    let dir = tmp();
    let out = golden(&["print_dependencies"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let listed = dependency_lines(&stdout);
    let names: Vec<&str> = listed.iter().map(|(_, name, _)| name.as_str()).collect();
    // The workspace's Cargo.lock has them all, for other targets, dev, build or proc-macro
    // use only.
    let lock = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"));
    for absent in [
        "windows-sys",
        "wasm-bindgen",
        "web-sys",
        "jni",
        "serde_derive",
        "thiserror-impl",
        "trybuild",
        "sacred-macros",
        "sacred",
    ] {
        assert!(lock.contains(&format!("name = \"{absent}\"\n")), "{absent}");
        assert!(!names.contains(&absent), "{absent} listed: {names:?}");
    }
    // What the binary links, each with its version.
    for present in [
        "serde",
        "serde_json",
        "sacred-core",
        "rand",
        "tracing",
        "libc",
    ] {
        assert!(names.contains(&present), "{present} missing: {names:?}");
    }
    assert!(listed.iter().all(|(_, _, version)| !version.is_empty()));
    assert!(listed.len() < 200, "{} listed", listed.len());
    // `*` marks the example's package's own dependencies (and the dev-dependencies the
    // example names), not what they pull in.
    let direct: Vec<&str> = listed
        .iter()
        .filter(|(direct, _, _)| *direct)
        .map(|(_, name, _)| name.as_str())
        .collect();
    for expected in ["sacred-core", "serde", "serde_json", "rand", "tracing"] {
        assert!(
            direct.contains(&expected),
            "{expected} not direct: {direct:?}"
        );
    }
    for indirect in ["libc", "figment", "anyhow", "tempfile"] {
        assert!(!direct.contains(&indirect), "{indirect} direct: {direct:?}");
    }

    // Every record lists the same packages.
    let out = golden(&["-F", "fs"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = json_file(&dir.path().join("fs/1/run.json"));
    let recorded: Vec<String> = run["experiment"]["dependencies"]
        .as_array()
        .map(|deps| {
            deps.iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let expected: Vec<String> = listed
        .iter()
        .map(|(_, name, version)| format!("{name}=={version}"))
        .collect();
    assert_eq!(recorded, expected);
    // Beside Sacred's key, the direct ones.
    let recorded_direct: Vec<&str> = run["experiment"]["direct_dependencies"]
        .as_array()
        .map(|deps| deps.iter().filter_map(|d| d.as_str()).collect())
        .unwrap_or_default();
    let expected_direct: Vec<String> = listed
        .iter()
        .filter(|(direct, _, _)| *direct)
        .map(|(_, name, version)| format!("{name}=={version}"))
        .collect();
    assert_eq!(recorded_direct, expected_direct);
}

#[test]
fn enforce_clean_refuses_to_run_outside_a_clean_repository() {
    // The experiment's sources are in this checkout; a run with -e either finds it clean and
    // runs, or refuses with exit code 1 before anything is recorded.
    let dir = tmp();
    let out = golden(&["-F", "fs", "-e"], dir.path());
    let dirty = Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "status",
            "--porcelain",
            "--untracked-files=no",
        ])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(true);
    if dirty {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("dirty") || text(&out.stderr).contains("uncommitted"),
            "{}",
            text(&out.stderr)
        );
        assert!(!dir.path().join("fs").exists());
    } else {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let run = json_file(&dir.path().join("fs/1/run.json"));
        assert_eq!(run["experiment"]["repositories"][0]["dirty"], json!(false));
    }
}

/// Runs `golden` with a `git` on the `PATH` that logs each call, then runs the real one;
/// returns the run's output and how many times git was asked for the repository.
fn golden_counting_git(args: &[&str], cwd: &Path) -> (Output, usize) {
    let real = Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .map(|o| text(&o.stdout).trim().to_owned())
        .unwrap();
    assert!(!real.is_empty(), "these tests need git");
    let bin = cwd.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = cwd.join("git.log");
    let _ = std::fs::remove_file(&log);
    let script = bin.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{real}' \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    let status = Command::new("chmod")
        .args(["755"])
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = golden_command(cwd)
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap();
    let probes = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("status --porcelain"))
        .count();
    (out, probes)
}

#[test]
fn git_is_probed_once_per_run() {
    let dir = tmp();
    let (out, probes) = golden_counting_git(&["-F", "fs", "with", "steps=1"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        probes, 1,
        "git asked for the repository {probes} times in one run"
    );
    let run = json_file(&dir.path().join("fs/1/run.json"));
    assert_eq!(
        run["experiment"]["repositories"].as_array().map(Vec::len),
        Some(1),
        "{run}"
    );
    let (out, probes) = golden_counting_git(&["print_dependencies"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(probes, 1, "print_dependencies asked git {probes} times");
    // -e looks before the run starts, and the pump does not look again.
    let (_, probes) = golden_counting_git(&["-F", "fs", "-e", "with", "steps=1"], dir.path());
    assert_eq!(probes, 1, "-e asked git {probes} times");
}

/// The one journal left in `cwd`'s journal directory, read back.
fn the_journal(cwd: &Path) -> (std::path::PathBuf, sacred_core::journal::Contents) {
    let dir = cwd.join(".sacred/journal");
    let paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    let contents = sacred_core::journal::read(&paths[0]).unwrap();
    (paths[0].clone(), contents)
}

/// Every metric point in a journal: name, step, value.
fn journal_points(contents: &sacred_core::journal::Contents) -> Vec<(String, u64, f64)> {
    let mut points = Vec::new();
    for record in &contents.records {
        if let sacred_core::journal::Entry::Metrics { series } = &record.entry {
            for s in series {
                for (step, value) in s.steps.iter().zip(s.values()) {
                    points.push((s.name.clone(), *step, value));
                }
            }
        }
    }
    points
}

/// A golden run (`mode=steady`, two seconds) into `-F blocked/runs` whose store is taken
/// away once the run is under way: `blocked` is moved aside (at once, while the store may
/// be writing in it) and becomes a regular file, under which nothing can be created, even
/// by root. Returns its exit code and standard error.
fn golden_blocked_mid_run(cwd: &Path) -> (Option<i32>, String) {
    let mut command = golden_command(cwd);
    command.args(["-F", "blocked/runs", "with", "mode=steady", "steps=2"]);
    common::when_ready(&mut command, |_| {
        // Moved aside at once (removing it could race with the store writing in it); the
        // store may create the directory again before the file is there (a beat): then
        // move that aside too.
        let blocked = cwd.join("blocked");
        for attempt in 0..100 {
            let _ = std::fs::rename(&blocked, cwd.join(format!("moved-aside-{attempt}")));
            if std::fs::write(&blocked, "x").is_ok() {
                return;
            }
        }
        panic!("{} stays a directory", blocked.display());
    })
}

#[test]
fn a_store_that_cannot_be_written_exits_3_and_the_journal_keeps_the_run() {
    let dir = tmp();
    let (code, stderr) = golden_blocked_mid_run(dir.path());
    assert_eq!(code, Some(3), "{stderr}");
    let (path, contents) = the_journal(dir.path());
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("record is incomplete in 1 observer(s)")
            && last.contains(&path.display().to_string()),
        "{stderr}"
    );
    assert_eq!(contents.damage, None);
    let points = journal_points(&contents);
    let loss: Vec<_> = points.iter().filter(|p| p.0 == "training.loss").collect();
    assert_eq!(loss.len(), 2, "{points:?}");
    assert_eq!(
        points.iter().filter(|p| p.0 == "training.acc").count(),
        2,
        "{points:?}"
    );
    assert_eq!(
        points.iter().filter(|p| p.0 == "steady").count(),
        20,
        "{points:?}"
    );
    let artifacts: Vec<_> = contents
        .records
        .iter()
        .filter_map(|r| match &r.entry {
            sacred_core::journal::Entry::Artifact { name, blob, .. } => {
                Some((name.clone(), blob.map(|b| r.blobs[b].clone())))
            }
            _ => None,
        })
        .collect();
    assert!(
        artifacts.contains(&("model.bin".to_owned(), Some(b"\x00\x01weights".to_vec()))),
        "{artifacts:?}"
    );
    assert!(
        contents
            .records
            .iter()
            .any(|r| matches!(r.entry, sacred_core::journal::Entry::Completed { .. }))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "journals are owner-only");
    }
}

#[test]
fn a_killed_run_leaves_its_journal_up_to_the_last_beat() {
    let dir = tmp();
    let mut command = golden_command(dir.path());
    command.args(["-F", "fs", "-b", "0.1", "with", "mode=wait", "steps=4"]);
    // SIGKILL: no handler runs, nothing is flushed at the end.
    let code = common::signal_when_ready(&mut command, "KILL", Duration::from_millis(800));
    assert_eq!(code, None, "killed by a signal");
    let (_, contents) = the_journal(dir.path());
    let points = journal_points(&contents);
    assert_eq!(
        points.iter().filter(|p| p.0 == "training.loss").count(),
        4,
        "every point logged before the last beat: {points:?}"
    );
    let entries: Vec<_> = contents.records.iter().map(|r| &r.entry).collect();
    assert!(matches!(
        entries.first(),
        Some(sacred_core::journal::Entry::Started(_))
    ));
    assert!(
        entries.iter().any(|e| matches!(
            e,
            sacred_core::journal::Entry::Id {
                id: Some(sacred::observer::RunId::Int(1))
            }
        )),
        "{entries:?}"
    );
    assert!(
        !entries.iter().any(|e| matches!(
            e,
            sacred_core::journal::Entry::Completed { .. }
                | sacred_core::journal::Entry::Failed { .. }
                | sacred_core::journal::Entry::Interrupted { .. }
        )),
        "a killed run has no end"
    );
    // `sync` alone leaves it (its store has it up to the last beat, as the journal does);
    // sent elsewhere, it is a RUNNING run whose last heartbeat is the last beat, which
    // dashboards show as dead.
    let out = golden(&["sync"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("never ended"),
        "{}",
        text(&out.stderr)
    );
    let out = golden(&["sync", "-F", "elsewhere"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = json_file(&dir.path().join("elsewhere/1/run.json"));
    assert_eq!(run["status"], "RUNNING", "{run}");
    let last_beat = contents
        .records
        .iter()
        .rev()
        .find_map(|r| match &r.entry {
            sacred_core::journal::Entry::Heartbeat { beat_time, .. } => Some(*beat_time),
            _ => None,
        })
        .expect("a beat");
    assert_eq!(
        run["heartbeat"],
        json!(sacred::time::Timestamp::from_micros(last_beat).to_string())
    );
    let metrics = json_file(&dir.path().join("elsewhere/1/metrics.json"));
    assert_eq!(metrics["training.loss"]["steps"], json!([0, 1, 2, 3]));
}

#[test]
fn sync_stores_the_run_once_the_store_can_be_written() {
    let dir = tmp();
    let (code, stderr) = golden_blocked_mid_run(dir.path());
    assert_eq!(code, Some(3), "{stderr}");
    let (journal, _) = the_journal(dir.path());
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .contains(&format!("send it with `golden sync {}`", journal.display())),
        "{stderr}"
    );
    // Still blocked: sync says so and keeps the journal.
    let out = golden(&["sync"], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(journal.exists());
    // Unblocked: the run is stored as if it had gone there at once, and the journal goes.
    std::fs::remove_file(dir.path().join("blocked")).unwrap();
    let out = golden(&["sync"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Two artifacts, and a third (`uncommitted.diff`) when the checkout is dirty.
    assert!(
        stderr.contains("Sent run 1 (24 metric points, "),
        "{stderr}"
    );
    assert!(!journal.exists(), "{stderr}");
    let run_dir = dir.path().join("blocked/runs/1");
    let run = json_file(&run_dir.join("run.json"));
    assert_eq!(run["status"], "COMPLETED");
    assert_eq!(run["result"]["acc"], json!(0.7));
    let metrics = json_file(&run_dir.join("metrics.json"));
    assert_eq!(
        metrics["training.loss"]["steps"],
        json!([0, 1]),
        "{metrics}"
    );
    assert_eq!(
        metrics["steady"]["steps"],
        json!((0..20).collect::<Vec<u64>>()),
        "{metrics}"
    );
    assert_eq!(
        std::fs::read(run_dir.join("model.bin")).unwrap(),
        b"\x00\x01weights"
    );
    assert!(read(&run_dir.join("cout.txt")).contains("starting 32 0.001 adam"));
    // Twice is safe.
    let out = golden(&["sync"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Nothing to send"));
    assert!(!dir.path().join("blocked/runs/2").exists());
}

#[test]
fn sync_replaces_a_run_the_store_kept_only_in_part() {
    let dir = tmp();
    let fs = dir.path().join("fs");
    let mut command = golden_command(dir.path());
    command.args(["-F", "fs", "-b", "0.1", "with", "mode=wait", "steps=4"]);
    let code = common::signal_after(&mut command, "INT", |_| {
        // The run is stored in part; then its directory becomes unwritable (a file in its
        // place stops even root), so the rest of the run reaches only the journal.
        std::thread::sleep(Duration::from_millis(400));
        std::fs::rename(fs.join("1"), fs.join("1.saved")).unwrap();
        std::fs::write(fs.join("1"), "in the way").unwrap();
        std::thread::sleep(Duration::from_millis(400));
    });
    assert_eq!(code, Some(130));
    let (journal, _) = the_journal(dir.path());
    // The store comes back with the part it kept: sync replaces that part by the whole run.
    std::fs::remove_file(fs.join("1")).unwrap();
    std::fs::rename(fs.join("1.saved"), fs.join("1")).unwrap();
    assert_eq!(json_file(&fs.join("1/run.json"))["status"], "RUNNING");
    let out = golden(&["sync"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("replacing the part of it that was stored there"),
        "{stderr}"
    );
    assert!(!journal.exists(), "{stderr}");
    let run = json_file(&fs.join("1/run.json"));
    assert_eq!(run["status"], "INTERRUPTED", "{run}");
    let metrics = json_file(&fs.join("1/metrics.json"));
    assert_eq!(
        metrics["training.loss"]["steps"],
        json!([0, 1, 2, 3]),
        "{metrics}"
    );
    assert!(read(&fs.join("1/cout.txt")).contains("waiting for a signal"));
    assert!(!fs.join("2").exists(), "replaced, not stored twice");
}

#[test]
fn an_interrupt_is_journalled_at_once_whatever_the_observers_wait_for() {
    let dir = tmp();
    let mut command = golden_command(dir.path());
    // MongoDB on a port where nothing answers: its observer waits for a server (30 s by
    // default) and holds its own thread, not the run's end.
    command.args(["-m", "mongodb://127.0.0.1:1/nobody", "with", "mode=wait"]);
    let started = Instant::now();
    let code = common::signal_after(&mut command, "INT", |_| {});
    let took = started.elapsed();
    assert_eq!(code, Some(130));
    // Far below the observer's 30 s: the end did not wait for it (a loose bound, for a
    // busy machine; the observers get 1 s after an interrupt).
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let (_, contents) = the_journal(dir.path());
    let entries: Vec<_> = contents.records.iter().map(|r| &r.entry).collect();
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, sacred_core::journal::Entry::Interrupted { .. })),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, sacred_core::journal::Entry::Pending { .. })),
        "{entries:?}"
    );
}

#[test]
fn a_second_signal_ends_the_run_at_once() {
    let dir = tmp();
    let mut command = golden_command(dir.path());
    command.args(["-m", "mongodb://127.0.0.1:1/nobody", "with", "mode=wait"]);
    let code = common::signal_after(&mut command, "TERM", |pid| {
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(100));
    });
    assert_eq!(code, Some(143));
    // The end was journalled before anything waited for the observers.
    let (_, contents) = the_journal(dir.path());
    assert!(
        contents
            .records
            .iter()
            .any(|r| matches!(r.entry, sacred_core::journal::Entry::Interrupted { .. }))
    );
}

#[test]
fn of_sixteen_runs_given_the_same_id_exactly_one_runs() {
    let dir = tmp();
    let children: Vec<_> = (0..16)
        .map(|_| {
            golden_command(dir.path())
                .args(["-F", "fs", "-i", "same", "with", "steps=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut codes = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        if out.status.code() == Some(2) {
            // Refused before the body started: it printed nothing of its own.
            assert!(
                !text(&out.stdout).contains("starting"),
                "{}",
                text(&out.stdout)
            );
            assert!(
                text(&out.stderr).contains("exists already"),
                "{}",
                text(&out.stderr)
            );
        }
        codes.push(out.status.code());
    }
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(2)).count(),
        15,
        "{codes:?}"
    );
    let run = json_file(&dir.path().join("fs/same/run.json"));
    assert_eq!(run["status"], "COMPLETED");
}

#[test]
fn a_full_disk_is_never_a_success() {
    let dir = tmp();
    // Files may not grow past 64 blocks (SIGXFSZ ignored, so writes fail with EFBIG): the
    // metrics outgrow the store and the journal alike.
    let golden = common::examples_dir().join("golden");
    let out = Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\""])
        .arg(&golden)
        .args(["-F", "fs", "with", "mode=many"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("record is incomplete") && last.contains("up to where it failed"),
        "{stderr}"
    );
    // What the store kept is not replaced by a journal that is shorter still.
    assert!(!stderr.contains("is back"), "{stderr}");
}

#[test]
fn a_store_that_cannot_be_written_refuses_the_run_before_it_starts() {
    let dir = tmp();
    std::fs::write(dir.path().join("a-file"), "x").unwrap();
    for store in ["a-file", "a-file/runs", "/dev/null", "/proc/runs"] {
        let out = golden(&["-F", store], dir.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{store}: {stderr}");
        assert!(
            stderr.contains(&format!("file storage {store}")) && stderr.contains(store),
            "the store is named: {stderr}"
        );
        assert!(stderr.contains("the run did not start"), "{stderr}");
        // Nothing ran: the body prints `starting …` first; no journal either.
        assert!(!text(&out.stdout).contains("starting"), "{store}");
        assert!(!stderr.contains("Started run"), "{stderr}");
        assert!(!dir.path().join(".sacred/journal").exists(), "{store}");
    }
}

#[test]
fn temporary_files_that_killed_runs_left_are_swept_by_the_next_run() {
    let dir = tmp();
    let temps = dir.path().join("fs/_tmp");
    std::fs::create_dir_all(&temps).unwrap();
    // A process that is gone (it ran and was reaped), and one that is alive (this test).
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let stale = temps.join(format!(".run.json.{gone_pid}.0.tmp"));
    let live = temps.join(format!(".metrics.json.{}.3.tmp", std::process::id()));
    let other = temps.join("notes.txt");
    for path in [&stale, &live, &other] {
        std::fs::write(path, "{\"half").unwrap();
    }
    let out = golden(&["-F", "fs"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !stale.exists(),
        "a dead process's temporary file is removed"
    );
    assert!(live.exists(), "a running process's file is left alone");
    assert!(
        other.exists(),
        "a file that is not a temporary file is left alone"
    );
    // The run itself leaves none.
    let left: Vec<_> = std::fs::read_dir(&temps)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && n != &live.file_name().unwrap().to_string_lossy())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn odd_metric_names_and_output_that_is_not_utf8_are_stored() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "with", "mode=odd"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metrics = json_file(&dir.path().join("fs/1/metrics.json"));
    for (name, value) in [("$loss", 0.0), ("val.acc", 1.0), ("", 2.0)] {
        assert_eq!(
            metrics[name]["values"],
            json!([value]),
            "{name:?}: {metrics}"
        );
    }
    // Bytes that are not UTF-8 become U+FFFD, as Python decodes them; the lines around
    // them are intact. (Standard error's lines may land between standard output's: the
    // two are captured apart.)
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    let odd = cout.find("caf\u{fffd} \u{fffd}\u{fffd} bytes\n");
    let after = cout.find("after the bytes\n");
    assert!(odd.is_some() && after.is_some() && odd < after, "{cout}");
}

/// A small file system of its own (a tmpfs of `kib` KiB, mounted under `dir`; the tests
/// run as root), unmounted when dropped.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, kib: u32) -> Self {
        let path = dir.join("small-disk");
        std::fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&path)
            .status()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        assert!(
            status.success(),
            "this test mounts a small tmpfs to fill it, which needs root: mount failed"
        );
        Self { path }
    }

    /// Fills the disk: a file grows until no byte is left.
    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_disk_too_full_for_the_journal_refuses_the_run_before_it_starts() {
    let dir = tmp();
    let disk = SmallDisk::mount(dir.path(), 2048);
    std::fs::create_dir(disk.path.join("journal")).unwrap();
    disk.fill();
    let out = common::example("golden", dir.path())
        .env("SACRED_JOURNAL_DIR", disk.path.join("journal"))
        .args(["-F", "fs"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write the run's journal")
            && stderr.contains("the run did not start"),
        "{stderr}"
    );
    assert!(stderr.contains("has not 1024 KiB left"), "{stderr}");
    assert!(
        !text(&out.stdout).contains("starting"),
        "the body did not run"
    );
    assert!(!dir.path().join("fs/1").exists());
    // Nothing half-written: no journal file is left.
    assert_eq!(
        std::fs::read_dir(disk.path.join("journal"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_disk_that_fills_up_mid_run_is_never_a_success() {
    let dir = tmp();
    // 4 MiB for the store and the journal; the run prints about 20 MB.
    let disk = SmallDisk::mount(dir.path(), 4096);
    let out = common::example("golden", dir.path())
        .env("SACRED_JOURNAL_DIR", disk.path.join("journal"))
        .args(["-F"])
        .arg(disk.path.join("fs"))
        .args(["-b", "0.2", "with", "mode=spam"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("record is incomplete in 1 observer(s)")
            && last.contains("up to where it failed"),
        "{stderr}"
    );
    // What the store kept is whole, file by file: never a part of a JSON file.
    let run = json_file(&disk.path.join("fs/1/run.json"));
    assert_eq!(run["experiment"]["name"], "golden");
    // The journal kept the start and everything up to where the disk was full.
    let journals: Vec<_> = std::fs::read_dir(disk.path.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    let contents = sacred_core::journal::read(&journals[0]).unwrap();
    assert!(matches!(
        contents.records.first().map(|r| &r.entry),
        Some(sacred_core::journal::Entry::Started(_))
    ));
}

#[test]
fn a_journal_that_fills_its_disk_while_the_store_has_everything_loses_nothing() {
    let dir = tmp();
    // The journal on 2 MiB of its own, the store on the test's disk; the run prints ~20 MB.
    let disk = SmallDisk::mount(dir.path(), 2048);
    let out = common::example("golden", dir.path())
        .env("SACRED_JOURNAL_DIR", disk.path.join("journal"))
        .args(["-F", "fs", "with", "mode=spam"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    // The journal could not keep the run, but the store has all of it: nothing is lost,
    // and the run says so.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("cannot write the journal")
            && stderr.contains("every observer stored the whole run"),
        "{stderr}"
    );
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    assert!(cout.contains("spam line 000000 "), "the first line");
    assert!(cout.contains("spam line 199999 "), "the last line");
    assert_eq!(cout.matches("spam line ").count(), 200_000);
    let run = json_file(&dir.path().join("fs/1/run.json"));
    assert_eq!(run["status"], "COMPLETED");
}

#[test]
fn a_panic_on_another_thread_is_kept_and_the_run_goes_on() {
    let dir = tmp();
    let out = golden(&["-F", "fs", "with", "mode=thread-panic"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = json_file(&dir.path().join("fs/1/run.json"));
    // The run's own thread went on: the thread's panic is not the run's failure…
    assert_eq!(run["status"], "COMPLETED");
    assert!(run.get("fail_trace").is_none(), "{run}");
    // …and its message (standard error) is in the record, with the line the run printed
    // after it (standard output: the two are captured apart, so their order may differ).
    let cout = read(&dir.path().join("fs/1/cout.txt"));
    assert!(
        cout.contains("a worker thread gave up"),
        "the panic is kept: {cout}"
    );
    assert!(
        cout.contains("the worker thread ended: panicked = true"),
        "the run went on: {cout}"
    );
}
