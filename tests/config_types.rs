//! Behaviour of `#[config]` types driven through `sacred::run_from`: serde's renames and
//! defaults are what the command line and `--help` use.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sacred::prelude::*;
use sacred::{Env, Outcome};

/// How the rate changes.
#[config]
#[derive(Debug)]
#[serde(rename_all = "snake_case")]
enum Schedule {
    /// the same rate
    Constant,
    /// a cosine decay
    CosineDecay {
        /// warm-up steps
        #[serde(default = "three")]
        warm_up: u32,
    },
}

fn three() -> u32 {
    3
}

/// Settings with serde's own defaults.
#[config]
#[serde(rename_all = "camelCase")]
struct Limits {
    /// most steps
    #[serde(default)]
    max_steps: u32,
    #[serde(skip)]
    cache: Vec<u8>,
}

/// Adam's settings.
#[config]
#[derive(Debug)]
struct AdamSettings {
    /// Adam's rate
    #[default(0.01)]
    lr: f64,
    #[default(0.9)]
    beta: f64,
}

/// An optimiser whose variant holds a config struct.
#[config]
#[derive(Debug)]
enum Optim {
    Sgd,
    Adam(AdamSettings),
}

#[experiment(config = Train)]
fn train(
    #[default(Optim::Sgd)] optim: Optim,
    #[default(Schedule::Constant)] schedule: Schedule,
    #[default(Limits { max_steps: 5, cache: Vec::new() })] limits: Limits,
) -> String {
    format!(
        "{schedule:?} {} {} {optim:?}",
        limits.max_steps,
        limits.cache.len()
    )
}

fn run(args: &[&str]) -> (Result<Outcome, sacred::Error>, String) {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::captured(dir.path());
    let argv = ["train", "-u"].iter().chain(args).copied();
    let outcome = sacred::run_from::<Train, _, _>(argv, &env);
    (outcome, env.stdout_text())
}

fn result(args: &[&str]) -> String {
    match run(args).0 {
        Ok(Outcome::Completed {
            result: Some(result),
            ..
        }) => result.as_str().unwrap().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn renamed_variants_and_fields_are_written_as_serde_reads_them() {
    assert_eq!(
        result(&["with", "schedule=cosine_decay"]),
        "CosineDecay { warm_up: 3 } 5 0 Sgd"
    );
    assert_eq!(
        result(&[
            "with",
            "schedule.cosine_decay.warm_up=7",
            "limits.maxSteps=2"
        ]),
        "CosineDecay { warm_up: 7 } 2 0 Sgd"
    );
    let (outcome, _) = run(&["with", "schedule=CosineDecay"]);
    let error = outcome.unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(
        message.contains("one of the variants of Schedule: constant, {cosine_decay: {warm_up: …}}"),
        "{message}"
    );
    assert!(
        message.contains("did you mean `cosine_decay`?"),
        "{message}"
    );
}

#[test]
fn a_variant_holding_a_config_struct_takes_its_defaults() {
    assert_eq!(
        result(&["with", "optim=Adam"]),
        "Constant 5 0 Adam(AdamSettings { lr: 0.01, beta: 0.9 })"
    );
    assert_eq!(
        result(&["with", "optim.Adam.lr=0.5"]),
        "Constant 5 0 Adam(AdamSettings { lr: 0.5, beta: 0.9 })"
    );
    let (_, out) = run(&["--help"]);
    assert!(out.contains("  optim=Adam\n"), "{out}");
    assert!(out.contains("  optim.Adam.lr: f64 = 0.01 "), "{out}");
}

#[test]
fn help_shows_serde_names_and_defaults() {
    let (outcome, out) = run(&["--help"]);
    assert!(matches!(outcome, Ok(Outcome::Done)), "{outcome:?}");
    for expected in [
        "  schedule=cosine_decay ",
        "  schedule.cosine_decay.warm_up: u32 = 3 ",
        "  limits.maxSteps: u32 = 5 ",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains("cache"), "{out}");
}
