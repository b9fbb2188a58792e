//! End-to-end: the example binaries run as processes, as a user runs them, and a crate
//! outside this repository builds the quick-start program against the checkout.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{examples_dir, run, text, tmp};

#[test]
fn quickstart_runs_with_an_update() {
    let dir = tmp();
    let out = run("quickstart", &["with", "lr=0.0001", "seed=42"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let data_seed = sacred::seed::seed_for(42, "data");
    assert!(
        stdout.starts_with(&format!("seed=42 data_seed={data_seed} rng=")),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("INFO - quickstart - Running command 'main'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("INFO - quickstart - Result: 0.0032"),
        "{stderr}"
    );
    assert!(
        stderr.contains("INFO - quickstart - Completed after 0:00:0"),
        "{stderr}"
    );
}

#[test]
fn quickstart_reruns_are_bit_identical() {
    let dir = tmp();
    let a = run("quickstart", &["with", "seed=123456789"], dir.path());
    let b = run("quickstart", &["with", "seed=123456789"], dir.path());
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(text(&a.stdout), text(&b.stdout));
    let c = run("quickstart", &["with", "seed=123456790"], dir.path());
    assert_ne!(text(&a.stdout), text(&c.stdout));
    // Without a seed, each run draws its own.
    let d = run("quickstart", &[], dir.path());
    let e = run("quickstart", &[], dir.path());
    assert_ne!(text(&d.stdout), text(&e.stdout));
}

#[test]
fn quickstart_print_config() {
    let dir = tmp();
    let out = run(
        "quickstart",
        &[
            "print_config",
            "with",
            "lr=0.5",
            "seed=583671170",
            "batch_size=8",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Configuration (modified, added, typechanged, doc):
  batch_size = 8                     # samples per step
  lr = 0.5                           # learning rate
  mode = \"ok\"
  seed = 583671170                   # the random seed for this experiment
  steps = 5
"
    );
}

#[test]
fn quickstart_help() {
    let dir = tmp();
    let out = run("quickstart", &["--help"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Usage:") && stdout.contains("quickstart"),
        "{stdout}"
    );
    assert!(stdout.contains("A small training run."), "{stdout}");
    assert!(stdout.contains("learning rate"), "{stdout}");
}

#[test]
fn quickstart_bad_input_exits_2_and_names_the_key() {
    let dir = tmp();
    let out = run("quickstart", &["with", "lr=abc"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("`lr`") && stderr.contains("abc") && stderr.contains("f64"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "nothing ran");
    let out = run("quickstart", &["with", "stpes=3"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `steps`?"));
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(1),
        0
    );
}

#[test]
fn quickstart_failure_exits_1() {
    let dir = tmp();
    let out = run("quickstart", &["with", "mode=fail"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("planned failure after 5 steps"));
}

#[test]
fn config_layers_combines_named_configs_files_and_updates() {
    let dir = tmp();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config_layers.toml");
    let file = file.to_string_lossy();
    let out = run(
        "config_layers",
        &[
            "print_config",
            "--sources",
            "with",
            "small",
            &file,
            "optimizer.lr=0.05",
            "seed=1",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let from_file = format!("<- config file `{file}`");
    for needle in [
        "  batch_size = 8                     # samples per step  <- named config `small`",
        &format!("  epochs = 3                         # passes over the data  {from_file}"),
        &format!("  layers = [128, 64, 32]             # hidden layer widths  {from_file}"),
        "  patience = null                    # epochs without improvement before stopping; none: never stop early  <- default",
        "    lr = 0.05                        <- command line `with optimizer.lr=0.05`",
        "    name = \"adam\"                    <- default",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }

    let out = run(
        "config_layers",
        &["with", "sgd", "epochs=2", "seed=5"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("with sgd (lr=0.1) for 2 epochs"),
        "{}",
        text(&out.stdout)
    );

    let out = run("config_layers", &["print_named_configs"], dir.path());
    assert_eq!(
        text(&out.stdout),
        "Named Configurations (doc):\n  small   # Few, small batches for a quick check.\n  sgd   # Plain SGD with a larger learning rate.\n"
    );
}

/// The quick-start program, built as its own crate with `sacred` as its only dependency
/// (without the `mongo` feature: this checks what a user needs, not MongoDB, and spares a
/// second build of the driver).
#[test]
fn an_outside_crate_builds_the_quickstart_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tmp();
    let manifest = format!(
        "[package]\nname = \"outside\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\nsacred = {{ path = {:?} }}\n\n[workspace]\n",
        root.to_string_lossy()
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let program = std::fs::read_to_string(root.join("examples/quickstart.rs")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), program).unwrap();
    // The same dependency versions as the checkout, so the build needs no network.
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    let target = examples_dir().join("../../outside-crate");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let build = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--jobs", "2"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo");
    assert!(build.status.success(), "{}", text(&build.stderr));
    let out = Command::new(target.join("debug/outside"))
        .args(["with", "lr=0.0001", "seed=42"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let data_seed = sacred::seed::seed_for(42, "data");
    assert!(text(&out.stdout).starts_with(&format!("seed=42 data_seed={data_seed} rng=")));
    assert!(text(&out.stderr).contains("INFO - outside - Result: 0.0032"));
    // The same program gives the same numbers as the example built in this workspace.
    let here = run("quickstart", &["with", "lr=0.0001", "seed=42"], dir.path());
    assert_eq!(text(&out.stdout), text(&here.stdout));

    // Its dependencies: `sacred` (its only one, marked) and what `sacred` links, found
    // through the path dependency and `sacred`'s own workspace; no MongoDB driver (the
    // feature is off), nothing for other targets.
    let out = Command::new(target.join("debug/outside"))
        .arg("print_dependencies")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let listed: Vec<&str> = stdout
        .lines()
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect();
    let direct: Vec<&str> = listed
        .iter()
        .filter(|l| l.starts_with('*'))
        .copied()
        .collect();
    assert_eq!(direct, ["* sacred               == 0.1.0"], "{stdout}");
    for present in ["sacred-core ", "serde_json ", "figment ", "rustix "] {
        assert!(
            listed.iter().any(|l| l[2..].starts_with(present)),
            "{present}missing: {stdout}"
        );
    }
    for absent in [
        "mongodb ",
        "tokio ",
        "windows-sys ",
        "wasm-bindgen ",
        "sacred-macros ",
    ] {
        assert!(
            !listed.iter().any(|l| l[2..].starts_with(absent)),
            "{absent}listed: {stdout}"
        );
    }
}
