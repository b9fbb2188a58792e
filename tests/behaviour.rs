//! Behaviour of a generated experiment, driven through `run_from` with an explicit argv and
//! a captured environment: every command, value form, layer order, error case and the seed
//! contract.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use sacred::prelude::*;
use sacred::serde::{Deserialize, Serialize};
use sacred::serde_json::{Value, json};
use sacred::{Env, Error, Outcome, run_from};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "sacred::serde")]
struct Optimizer {
    name: String,
    lr: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "sacred::serde")]
enum Schedule {
    Constant,
    Step { every: u32 },
}

/// Small batches.
#[named_config]
fn small() -> Value {
    json!({"batch_size": 8, "optimizer.lr": 0.5})
}

/// Big batches and a custom name.
#[named_config]
fn big() -> Value {
    json!({"batch_size": 512, "name": "big"})
}

/// A behaviour-test experiment.
#[experiment(name = "behave", config = Cfg, named_configs(small, big))]
fn train(
    /// samples per step
    #[default(32)]
    batch_size: u32,
    /// learning rate
    #[default(0.001)]
    lr: f64,
    #[default(String::from("run"))] name: String,
    #[default(Optimizer { name: "adam".into(), lr: 0.01 })] optimizer: Optimizer,
    #[default(vec![1, 2])] layers: Vec<i64>,
    #[default(None)] limit: Option<u32>,
    #[default(Schedule::Constant)] schedule: Schedule,
    #[default(false)] verbose: bool,
    #[default(std::collections::BTreeMap::new())] tags: std::collections::BTreeMap<String, Value>,
    run: &Run,
) -> Result<Value, String> {
    if name == "fail" {
        return Err(format!("asked to fail at lr={lr}"));
    }
    run.log_scalar("loss", lr);
    Ok(json!({
        "batch_size": batch_size, "lr": lr, "name": name, "optimizer": optimizer,
        "layers": layers, "limit": limit, "schedule": schedule, "verbose": verbose, "tags": tags,
        "seed": run.seed(), "data_seed": run.seed_for("data"), "draw": run.rng().next_u64(),
    }))
}

/// An experiment with a required parameter and its own `u32` seed.
#[experiment(config = Required)]
fn needs(
    /// where the data lives
    data: String,
    #[default(7)] seed: u32,
) -> String {
    format!("{data}:{seed}")
}

/// An error with a source, for the chain of causes.
#[derive(Debug)]
struct LoadError(std::io::Error);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot load the data")
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A `Result` under another name: its `Err` still fails the run.
type Outcome2 = std::result::Result<f64, LoadError>;

/// Fails through an aliased `Result`, with a cause.
#[experiment(config = Aliased)]
fn aliased(#[default(true)] fail: bool) -> Outcome2 {
    if fail {
        return Err(LoadError(std::io::Error::other("data.csv is missing")));
    }
    Ok(1.5)
}

/// Fails through `anyhow::Result`, with two causes.
#[experiment(config = WithAnyhow)]
fn with_anyhow() -> anyhow::Result<u32> {
    use anyhow::Context as _;
    let inner: std::result::Result<u32, LoadError> =
        Err(LoadError(std::io::Error::other("disk on fire")));
    let step = inner.context("the training step failed")?;
    Ok(step + 1)
}

mod shadow {
    use sacred::prelude::*;
    use sacred::serde::Serialize;

    /// A user type that happens to be called `Result`: a value, not a failure.
    #[derive(Serialize)]
    #[serde(crate = "sacred::serde")]
    pub(crate) enum Result {
        Err(String),
    }

    /// Returns the user's own `Result`.
    #[experiment(config = Shadowed)]
    pub(crate) fn shadowed() -> Result {
        Result::Err("just a value".into())
    }
}

fn env_in(dir: &Path) -> Env {
    Env::captured(dir)
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn run(args: &[&str]) -> (Result<Outcome, Error>, Env) {
    let dir = tmp();
    let env = env_in(dir.path());
    let mut argv = vec!["behave"];
    argv.extend_from_slice(args);
    (run_from::<Cfg, _, _>(argv, &env), env)
}

fn completed(args: &[&str]) -> Value {
    match run(args).0 {
        Ok(Outcome::Completed {
            result: Some(result),
            ..
        }) => result,
        other => panic!("{args:?}: expected a completed run, got {other:?}"),
    }
}

fn error(args: &[&str]) -> Error {
    match run(args).0 {
        Err(e) => e,
        Ok(other) => panic!("{args:?}: expected an error, got {other:?}"),
    }
}

#[test]
fn defaults_run_the_function() {
    let r = completed(&[]);
    assert_eq!(r["batch_size"], json!(32));
    assert_eq!(r["lr"], json!(0.001));
    assert_eq!(r["optimizer"], json!({"name": "adam", "lr": 0.01}));
    assert_eq!(r["schedule"], json!("Constant"));
}

#[test]
fn value_forms_parse() {
    let r = completed(&[
        "with",
        "batch_size=0x10",
        "lr=1e3",
        "layers=[0b101, -0o7, 1_000]",
    ]);
    assert_eq!(r["batch_size"], json!(16));
    assert_eq!(r["lr"], json!(1000.0));
    assert_eq!(r["layers"], json!([5, -7, 1000]));
    for (text, want) in [("1.", 1.0), (".1", 0.1), ("-.4e-12", -0.4e-12), ("3", 3.0)] {
        let r = completed(&["with", &format!("lr={text}")]);
        assert_eq!(r["lr"], json!(want), "lr={text}");
    }
    let r = completed(&["with", "verbose=true", "limit=3", "name='quoted name'"]);
    assert_eq!(
        (r["verbose"].clone(), r["limit"].clone()),
        (json!(true), json!(3))
    );
    assert_eq!(r["name"], json!("quoted name"));
    let r = completed(&["with", "limit=3", "limit=null", "name=bare"]);
    assert_eq!(
        (r["limit"].clone(), r["name"].clone()),
        (Value::Null, json!("bare"))
    );
    let r = completed(&["with", "name=a=b=c"]);
    assert_eq!(r["name"], json!("a=b=c"));
    let r = completed(&["with", "optimizer={name: 'sgd', lr: 0.5}"]);
    assert_eq!(r["optimizer"], json!({"name": "sgd", "lr": 0.5}));
    let r = completed(&["with", "optimizer={\"name\" = \"sgd\", \"lr\" = 1}"]);
    assert_eq!(r["optimizer"], json!({"name": "sgd", "lr": 1.0}));
    let r = completed(&["with", "schedule={Step: {every: 3}}", "tags.x=[1, 'a']"]);
    assert_eq!(r["schedule"], json!({"Step": {"every": 3}}));
    assert_eq!(r["tags"], json!({"x": [1, "a"]}));
}

#[test]
fn dotted_keys_reach_nested_structs() {
    let r = completed(&["with", "optimizer.lr=0.1"]);
    assert_eq!(r["optimizer"], json!({"name": "adam", "lr": 0.1}));
}

#[test]
fn layers_apply_in_command_line_order_and_updates_win() {
    let r = completed(&["with", "batch_size=3", "small", "big"]);
    assert_eq!(r["batch_size"], json!(3));
    assert_eq!(r["name"], json!("big"));
    assert_eq!(r["optimizer"]["lr"], json!(0.5));
    let r = completed(&["with", "big", "small"]);
    assert_eq!(r["batch_size"], json!(8));

    let dir = tmp();
    std::fs::write(
        dir.path().join("c.toml"),
        "batch_size = 64\n[optimizer]\nname = \"rms\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.yaml"), "batch_size: 128\n").unwrap();
    std::fs::write(dir.path().join("e.json"), r#"{"name": "json"}"#).unwrap();
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(
        [
            "behave", "with", "small", "c.toml", "d.yaml", "e.json", "lr=0.2",
        ],
        &env,
    );
    let Ok(Outcome::Completed {
        result: Some(r),
        config,
    }) = out
    else {
        panic!("expected a completed run, got {out:?}");
    };
    assert_eq!(r["batch_size"], json!(128));
    assert_eq!(r["optimizer"], json!({"name": "rms", "lr": 0.5}));
    assert_eq!(r["name"], json!("json"));
    assert_eq!(config["lr"], json!(0.2));
}

#[test]
fn print_config_shows_sources_and_sacreds_layout() {
    let dir = tmp();
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(
        [
            "behave",
            "print_config",
            "--sources",
            "with",
            "small",
            "lr=0.5",
            "seed=42",
        ],
        &env,
    );
    assert!(matches!(out, Ok(Outcome::Done)), "{out:?}");
    let text = env.stdout_text();
    assert!(
        text.starts_with("Configuration (modified, added, typechanged, doc):\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  batch_size = 8                     # samples per step  <- named config `small`\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  lr = 0.5                           # learning rate  <- command line `with lr=0.5`\n"
        ),
        "{text}"
    );
    assert!(text.contains("  seed = 42                          # the random seed for this experiment  <- command line `with seed=42`\n"), "{text}");
    assert!(text.contains("  optimizer:\n    lr = 0.5                         <- named config `small`\n    name = \"adam\"                    <- default\n"), "{text}");
    assert!(!text.contains('\x1b'), "no colours when not on a terminal");
    let log = env.stderr_text();
    assert!(
        log.contains("INFO - behave - Running command 'print_config'"),
        "{log}"
    );
}

#[test]
fn colours_only_on_a_terminal_and_never_with_no_color() {
    let dir = tmp();
    let env = env_in(dir.path()).with_terminal(true);
    let _ = run_from::<Cfg, _, _>(["behave", "print_config", "with", "lr=0.5"], &env);
    assert!(
        env.stdout_text().contains("\x1b[34m  lr = 0.5"),
        "{}",
        env.stdout_text()
    );
    let env = env_in(dir.path())
        .with_terminal(true)
        .with_var("NO_COLOR", "1");
    let _ = run_from::<Cfg, _, _>(["behave", "print_config", "with", "lr=0.5"], &env);
    assert!(!env.stdout_text().contains('\x1b'));
}

#[test]
fn print_named_configs_lists_docs() {
    let (out, env) = run(&["print_named_configs"]);
    assert!(matches!(out, Ok(Outcome::Done)));
    assert_eq!(
        env.stdout_text(),
        "Named Configurations (doc):\n  small   # Small batches.\n  big   # Big batches and a custom name.\n"
    );
}

#[test]
fn save_config_takes_config_filename_as_sacred_does() {
    let dir = tmp();
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(
        [
            "behave",
            "save_config",
            "with",
            "config_filename=out.yaml",
            "lr=0.5",
        ],
        &env,
    );
    assert!(matches!(out, Ok(Outcome::Done)), "{out:?}");
    let yaml = std::fs::read_to_string(dir.path().join("out.yaml")).unwrap_or_default();
    assert!(yaml.contains("lr: 0.5"), "{yaml}");
    assert!(!yaml.contains("config_filename"), "{yaml}");
    assert!(!dir.path().join("config.json").exists());
    let log = env.stderr_text();
    assert!(
        log.starts_with(
            "WARNING - root - Added new config entry: \"config_filename\"\n\
             INFO - behave - Running command 'save_config'\n"
        ),
        "{log}"
    );
    assert!(
        log.contains("INFO - save_config - Saving config to \"out.yaml\"\n"),
        "{log}"
    );

    // `-f` silences the warning, as in Sacred.
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(
        [
            "behave",
            "save_config",
            "-f",
            "with",
            "config_filename=forced.json",
        ],
        &env,
    );
    assert!(matches!(out, Ok(Outcome::Done)), "{out:?}");
    assert!(dir.path().join("forced.json").is_file());
    assert!(!env.stderr_text().contains("Added new config entry"));

    // Both spellings at once is ambiguous.
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(
        [
            "behave",
            "save_config",
            "--config-file",
            "a.json",
            "with",
            "config_filename=b.json",
        ],
        &env,
    );
    match out {
        Err(e) => {
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("config_filename"), "{e}");
        }
        Ok(o) => panic!("expected an error, got {o:?}"),
    }
    assert!(!dir.path().join("a.json").exists() && !dir.path().join("b.json").exists());

    // Other commands have no such key.
    let (out, _) = run(&["print_config", "with", "config_filename=x.json"]);
    assert!(out.is_err(), "{out:?}");
}

#[test]
fn save_config_writes_the_resolved_config() {
    let dir = tmp();
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(["behave", "save_config", "with", "lr=0.5", "seed=3"], &env);
    assert!(matches!(out, Ok(Outcome::Done)), "{out:?}");
    let saved: Value = sacred::serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("config.json")).unwrap_or_default(),
    )
    .unwrap();
    assert_eq!(saved["lr"], json!(0.5));
    assert_eq!(saved["seed"], json!(3));
    let out = run_from::<Cfg, _, _>(["behave", "save_config", "--config-file", "out.toml"], &env);
    assert!(matches!(out, Ok(Outcome::Done)), "{out:?}");
    let toml = std::fs::read_to_string(dir.path().join("out.toml")).unwrap_or_default();
    assert!(toml.contains("batch_size = 32"), "{toml}");
}

#[test]
fn help_lists_commands_flags_and_config() {
    let (out, env) = run(&["--help"]);
    assert!(matches!(out, Ok(Outcome::Done)));
    let text = env.stdout_text();
    for needle in [
        "Usage:",
        "A behaviour-test experiment.",
        "--beat-interval",
        "--unobserved",
        "print_config",
        "save_config",
        "batch_size",
        "samples per step",
        "small",
        "seed",
    ] {
        assert!(text.contains(needle), "help lacks {needle}:\n{text}");
    }
    let (out, env) = run(&["help", "print_config"]);
    assert!(matches!(out, Ok(Outcome::Done)));
    assert!(env.stdout_text().contains("print_config"));
    let e = error(&["help", "print_confg"]);
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("did you mean `print_config`?"),
        "{e}"
    );
}

#[test]
fn bad_input_is_one_clear_error_with_exit_code_2() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["with", "lr=abc"],
            &["`lr`", "\"abc\"", "f64", "command line `with lr=abc`"],
        ),
        (
            &["with", "batch_sise=3"],
            &["`batch_sise`", "did you mean `batch_size`?"],
        ),
        (&["with", "lr"], &["`lr`", "with lr=VALUE"]),
        (&["with", "smal"], &["`smal`", "did you mean `small`?"]),
        (&["with", "missing.toml"], &["missing.toml", "no such file"]),
        (
            &["with", "optimizer.lr=fast"],
            &["`optimizer.lr`", "\"fast\"", "f64"],
        ),
        (
            &["with", "optimizer.nmae=x"],
            &["`optimizer.nmae`", "did you mean `optimizer.name`?"],
        ),
        (
            &["with", "schedule={Step: {every: -1}}"],
            &["`schedule.Step.every`", "u32"],
        ),
        (&["-n", "a", "--name", "b"], &["--name"]),
        (&["--frobnicate"], &["--frobnicate"]),
        (
            &["print_confg"],
            &["print_confg", "did you mean `print_config`?"],
        ),
        (&["-b", "soon"], &["soon"]),
        (&["-C", "everything"], &["everything"]),
    ];
    for (args, needles) in cases {
        let e = error(args);
        assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        let text = e.to_string();
        for needle in *needles {
            assert!(
                text.contains(needle),
                "{args:?}: {needle} missing from: {text}"
            );
        }
    }
}

#[test]
fn bad_input_runs_and_writes_nothing() {
    let dir = tmp();
    let env = env_in(dir.path());
    let out = run_from::<Cfg, _, _>(["behave", "save_config", "with", "lr=abc"], &env);
    assert!(out.is_err());
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(1),
        0
    );
    assert!(!env.stderr_text().contains("Running command"));
}

#[test]
fn force_records_unknown_keys_without_passing_them_on_and_says_nothing() {
    let (out, env) = run(&["-f", "with", "nonexistent=3"]);
    match out {
        Ok(Outcome::Completed { config, .. }) => assert_eq!(config["nonexistent"], json!(3)),
        other => panic!("expected a completed run, got {other:?}"),
    }
    // Sacred's `-f` silences the warnings about suspicious changes.
    let log = env.stderr_text();
    assert!(!log.contains("Added new config entry"), "{log}");
}

#[test]
fn failed_runs_exit_with_1_and_report_the_error() {
    let (out, env) = run(&["with", "name=fail", "lr=0.5"]);
    match out {
        Ok(o @ Outcome::Failed { .. }) => assert_eq!(o.exit_code(), 1),
        other => panic!("expected a failed run, got {other:?}"),
    }
    assert!(env.stderr_text().contains("asked to fail at lr=0.5"));
}

#[test]
fn required_parameters_must_be_given() {
    let dir = tmp();
    let env = env_in(dir.path());
    let e = match run_from::<Required, _, _>(["needs"], &env) {
        Err(e) => e,
        Ok(o) => panic!("expected an error, got {o:?}"),
    };
    assert_eq!(e.exit_code(), 2);
    let text = e.to_string();
    assert!(
        text.contains("`data`") && text.contains("with data="),
        "{text}"
    );
    let out = run_from::<Required, _, _>(["needs", "with", "data=/tmp/x"], &env);
    assert!(
        matches!(&out, Ok(Outcome::Completed { result: Some(r), .. }) if r == &json!("/tmp/x:7")),
        "{out:?}"
    );
}

#[test]
fn same_seed_same_numbers() {
    let a = completed(&["with", "seed=42"]);
    let b = completed(&["with", "seed=42"]);
    assert_eq!(a, b);
    assert_eq!(a["seed"], json!(42));
    assert_eq!(a["data_seed"], json!(sacred::seed::seed_for(42, "data")));
    let c = completed(&["with", "seed=43"]);
    assert_ne!(a["draw"], c["draw"]);
}

#[test]
fn drawn_seeds_are_recorded_and_fit_in_53_bits() {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = completed(&[]);
        let seed = r["seed"].as_u64().unwrap_or(0);
        assert!((1..1 << 53).contains(&seed), "{seed}");
        seen.insert(seed);
    }
    assert!(seen.len() > 1, "seeds are drawn, not fixed");
    // A drawn seed reproduces the run when given back.
    let first = completed(&[]);
    let seed = first["seed"].to_string();
    assert_eq!(completed(&["with", &format!("seed={seed}")]), first);
}

#[test]
fn a_u32_seed_parameter_rejects_larger_seeds() {
    let dir = tmp();
    let env = env_in(dir.path());
    let out = run_from::<Required, _, _>(["needs", "with", "data=x", "seed=4294967296"], &env);
    let Err(e) = out else {
        panic!("expected an error, got {out:?}")
    };
    assert!(e.to_string().contains("u32"), "{e}");
}

#[test]
fn mongo_without_the_feature_is_a_clear_error() {
    // The runtime alone (no facade features registered): -m names the missing feature.
    let dir = tmp();
    let env = env_in(dir.path());
    let out = sacred_core::run_from::<Cfg, _, _>(["behave", "-m", "localhost:27017:runs"], &env);
    let Err(e) = out else {
        panic!("expected an error, got {out:?}")
    };
    assert_eq!(e.exit_code(), 2);
    let text = e.to_string();
    assert!(
        text.contains("-m/--mongo_db") && text.contains("features = [\"mongo\"]"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(1),
        0
    );
}

#[test]
fn results_fail_the_run_by_type_with_their_causes() {
    let dir = tmp();
    let env = env_in(dir.path());
    let runs = dir.path().join("runs");
    let runs = runs.to_str().expect("a UTF-8 temp dir");
    let out = run_from::<Aliased, _, _>(["aliased", "-F", runs], &env);
    let Ok(Outcome::Failed { failure, .. }) = out else {
        panic!("an aliased Result's Err fails the run: {out:?}")
    };
    assert_eq!(failure.message, "cannot load the data");
    assert_eq!(failure.causes, ["data.csv is missing"]);
    assert!(
        env.stderr_text()
            .contains("Error: cannot load the data\nCaused by: data.csv is missing\n"),
        "{}",
        env.stderr_text()
    );
    let record: Value =
        sacred::serde_json::from_slice(&std::fs::read(dir.path().join("runs/1/run.json")).unwrap())
            .unwrap();
    assert_eq!(record["status"], "FAILED");
    assert_eq!(
        record["fail_trace"],
        json!([
            "Error: cannot load the data\n",
            "Caused by: data.csv is missing\n"
        ])
    );
    let out = run_from::<Aliased, _, _>(["aliased", "-u", "with", "fail=false"], &env);
    assert!(
        matches!(&out, Ok(Outcome::Completed { result: Some(r), .. }) if r == &json!(1.5)),
        "{out:?}"
    );

    let out = run_from::<WithAnyhow, _, _>(["with_anyhow", "-u"], &env);
    let Ok(Outcome::Failed { failure, .. }) = out else {
        panic!("anyhow::Result's Err fails the run: {out:?}")
    };
    assert_eq!(failure.message, "the training step failed");
    assert_eq!(failure.causes, ["cannot load the data", "disk on fire"]);
}

#[test]
fn a_user_type_named_result_is_a_value() {
    let dir = tmp();
    let env = env_in(dir.path());
    let out = run_from::<shadow::Shadowed, _, _>(["shadowed", "-u"], &env);
    assert!(
        matches!(&out, Ok(Outcome::Completed { result: Some(r), .. }) if r == &json!({"Err": "just a value"})),
        "{out:?}"
    );
}

#[test]
fn mongo_errors_never_show_the_password() {
    // A password with an unencoded `/`, and a secret option: neither is echoed.
    let dir = tmp();
    let env = env_in(dir.path());
    let url = "mongodb://bob:hun/ter2@127.0.0.1:1/db?tlsCertificateKeyFilePassword=k3yp4ss";
    let out = sacred_core::run_from::<Cfg, _, _>(["behave", "-m", url], &env);
    let Err(e) = out else {
        panic!("expected an error, got {out:?}")
    };
    let text = e.to_string();
    for secret in ["hun/ter2", "ter2", "k3yp4ss"] {
        assert!(!text.contains(secret), "{secret} shown in {text}");
    }
    assert!(
        text.contains("mongodb://bob:***@127.0.0.1:1/db?tlsCertificateKeyFilePassword=***"),
        "{text}"
    );
}

/// One bad input: the arguments after the program name, files to create first, and what
/// the one message must say.
struct Bad {
    args: &'static [&'static str],
    files: &'static [(&'static str, &'static str)],
    says: &'static [&'static str],
}

const fn bad(args: &'static [&'static str], says: &'static [&'static str]) -> Bad {
    Bad {
        args,
        files: &[],
        says,
    }
}

const fn bad_file(
    args: &'static [&'static str],
    files: &'static [(&'static str, &'static str)],
    says: &'static [&'static str],
) -> Bad {
    Bad { args, files, says }
}

/// Every kind of bad input the command line, the config and its files can hold.
const BATTERY: &[Bad] = &[
    // Flags with a missing value.
    bad(&["-b"], &["missing value for `-b/--beat-interval`"]),
    bad(&["-C"], &["missing value for `-C/--capture`"]),
    bad(&["-c"], &["missing value for `-c/--comment`"]),
    bad(&["-F"], &["missing value for `-F/--file_storage`"]),
    bad(&["-i"], &["missing value for `-i/--id`"]),
    bad(&["-l"], &["missing value for `-l/--loglevel`"]),
    bad(&["-m"], &["missing value for `-m/--mongo_db`"]),
    bad(&["-n"], &["missing value for `-n/--name`"]),
    bad(&["-P"], &["missing value for `-P/--priority`"]),
    bad(
        &["save_config", "--config-file"],
        &["missing value for `--config-file`"],
    ),
    // Flags with a malformed value.
    bad(
        &["-b", "soon"],
        &["`soon`", "-b/--beat-interval", "a number of seconds"],
    ),
    bad(&["-b", "-1"], &["`-1`", "finite and 0 or more"]),
    bad(&["-b", "inf"], &["`inf`", "finite and 0 or more"]),
    bad(&["-b", "NaN"], &["`NaN`", "finite and 0 or more"]),
    bad(
        &["-C", "fdx"],
        &["`fdx`", "-C/--capture", "`fd`, `sys`, `no`"],
    ),
    bad(
        &["-l", "LOUD"],
        &["`LOUD`", "DEBUG, INFO, WARNING, ERROR, CRITICAL"],
    ),
    bad(&["-P", "first"], &["`first`", "-P/--priority", "a number"]),
    bad(&["-P", "inf"], &["`inf`", "a number"]),
    bad(
        &["-n", "a\nb"],
        &["\"a\\nb\"", "without control characters"],
    ),
    bad(
        &["-c", "x\u{1b}[2J"],
        &["\\u{1b}", "without control characters"],
    ),
    bad(
        &["-i", "a\rb"],
        &["\"a\\rb\"", "without control characters"],
    ),
    bad(&["--nope"], &["`--nope`"]),
    bad(&["-z"], &["`-z`"]),
    bad(&["-n", "a", "-n", "b"], &["given more than once"]),
    bad(
        &["-F", "runs", "--file_storage=other"],
        &["given more than once"],
    ),
    // Commands and grammar.
    bad(&["train"], &["unknown command `train`"]),
    bad(&["print_confg"], &["did you mean `print_config`?"]),
    bad(&["help", "nope"], &["unknown command `nope`"]),
    bad(&["print_config", "extra"], &["unexpected argument `extra`"]),
    bad(&["lr=0.1"], &["config update `lr=0.1` before `with`"]),
    bad(&["with", "lr=1", "with", "lr=2"], &["`with` given twice"]),
    bad(
        &["sync", "with", "lr=1"],
        &["`sync` takes no `with` updates"],
    ),
    bad(&["with", "=5"], &["missing config key in `=5`"]),
    bad(&["with", "a..b=1"], &["a..b"]),
    // Values of the wrong type, at every depth.
    bad(&["with", "lr=fast"], &["lr", "fast", "f64"]),
    bad(&["with", "batch_size=-1"], &["batch_size", "-1", "u32"]),
    bad(&["with", "batch_size=1.5"], &["batch_size", "1.5", "u32"]),
    bad(
        &["with", "batch_size=99999999999"],
        &["batch_size", "99999999999", "u32"],
    ),
    bad(&["with", "optimizer=5"], &["optimizer", "5"]),
    bad(&["with", "optimizer.lr=x"], &["optimizer.lr", "x", "f64"]),
    bad(&["with", "layers=[1, 'x']"], &["layers", "i64"]),
    bad(&["with", "limit=lots"], &["limit", "lots", "u32"]),
    bad(&["with", "schedule=Never"], &["schedule", "Never"]),
    bad(
        &["with", "schedule={Step: {every: soon}}"],
        &["schedule", "soon", "u32"],
    ),
    bad(&["with", "verbose=maybe"], &["verbose", "maybe", "bool"]),
    bad(&["with", "tags=5"], &["tags", "5"]),
    bad(&["with", "unknown=1"], &["unknown"]),
    bad(&["with", "optimizer.nope=1"], &["optimizer.nope"]),
    bad(&["with", "nosuchconfig"], &["nosuchconfig"]),
    // Config files: malformed, of the wrong types, missing, too big, too deep.
    bad_file(
        &["with", "c.toml"],
        &[("c.toml", "lr = = 1\n")],
        &["c.toml", "invalid TOML", "line 1"],
    ),
    bad_file(
        &["with", "c.json"],
        &[("c.json", "{\"lr\": }")],
        &["c.json", "invalid JSON", "line 1"],
    ),
    bad_file(
        &["with", "c.yaml"],
        &[("c.yaml", "lr: [1, 2\n")],
        &["c.yaml", "invalid YAML"],
    ),
    bad_file(
        &["with", "c.toml"],
        &[("c.toml", "lr = \"fast\"\n")],
        &["lr", "fast", "f64", "c.toml"],
    ),
    bad_file(
        &["with", "c.json"],
        &[("c.json", "{\"optimizer\": {\"lr\": []}}")],
        &["optimizer.lr", "c.json"],
    ),
    bad_file(
        &["with", "c.yaml"],
        &[("c.yaml", "- 1\n- 2\n")],
        &["c.yaml", "a table of config values"],
    ),
    bad_file(
        &["with", "c.json"],
        &[("c.json", "[1, 2]")],
        &["c.json", "a table of config values"],
    ),
    bad(&["with", "missing.toml"], &["missing.toml", "no such file"]),
    bad_file(
        &["with", "deep.yaml"],
        &[("deep.yaml", "")],
        &["deep.yaml", "nested more than 128 levels"],
    ),
    bad_file(
        &["with", "deep.json"],
        &[("deep.json", "")],
        &["deep.json", "recursion limit"],
    ),
    bad_file(
        &["with", "big.json"],
        &[("big.json", "")],
        &["big.json", "more than the 16777216"],
    ),
    bad_file(
        &["with", "d.toml"],
        &[("d.toml/", "")],
        &["d.toml", "it is a directory"],
    ),
    // Where runs go.
    bad(&["-m", "db!high"], &["db!high", "priority"]),
    bad(
        &["-m", "user:hunter2@host:27017:db"],
        &["user:***@host:27017:db"],
    ),
    bad(&["-i", "_sources", "-F", "runs"], &["_sources"]),
    bad(&["-i", "_tmp", "-F", "runs"], &["_tmp", "shared directory"]),
    // A store that cannot be written: refused before the run, not found out during it.
    bad(
        &["-F", "/dev/null"],
        &["file storage /dev/null", "the run did not start"],
    ),
    bad(
        &["-F", "/proc/runs"],
        &["/proc/runs", "the run did not start"],
    ),
    bad(
        &["-F", "/dev/null/runs"],
        &["/dev/null/runs", "the run did not start"],
    ),
];

/// The content of a generated file of the battery (an empty entry in it).
fn generated(name: &str) -> Option<String> {
    let deep = 5000;
    match name {
        "deep.yaml" => Some(format!("a: {}{}\n", "[".repeat(deep), "]".repeat(deep))),
        "deep.json" => Some(format!(
            "{{\"a\": {}{}}}",
            "[".repeat(deep),
            "]".repeat(deep)
        )),
        "big.json" => Some(format!("{{\"a\": \"{}\"}}", "x".repeat(17 * 1024 * 1024))),
        _ => None,
    }
}

#[test]
fn the_bad_input_battery() {
    assert!(BATTERY.len() >= 60, "{} cases", BATTERY.len());
    for case in BATTERY {
        let dir = tmp();
        for (name, content) in case.files {
            let path = dir.path().join(name);
            if name.ends_with('/') {
                std::fs::create_dir(&path).unwrap();
            } else {
                let text = generated(name).unwrap_or_else(|| (*content).to_owned());
                std::fs::write(&path, text).unwrap();
            }
        }
        let before = listing(dir.path());
        let env = env_in(dir.path());
        let mut argv = vec!["behave"];
        argv.extend_from_slice(case.args);
        let error = match run_from::<Cfg, _, _>(argv, &env) {
            Err(e) => e,
            Ok(outcome) => panic!("{:?} ran: {outcome:?}", case.args),
        };
        let message = error.to_string();
        assert_eq!(error.exit_code(), 2, "{:?}: {message}", case.args);
        // Without the `mongo` feature, `-m` is refused as such (exit 2 all the same).
        let checked = cfg!(feature = "mongo") || !case.args.contains(&"-m");
        for says in case.says.iter().filter(|_| checked) {
            assert!(
                message.contains(says),
                "{:?} should say {says:?}: {message}",
                case.args
            );
        }
        assert!(
            !message.contains("hunter2"),
            "{:?} shows a secret: {message}",
            case.args
        );
        assert_eq!(
            listing(dir.path()),
            before,
            "{:?} wrote something",
            case.args
        );
    }
}

/// Every path under `dir`, sorted.
fn listing(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&next) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path.clone());
                }
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
}
