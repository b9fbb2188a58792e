//! Resolution, errors and printing, on a hand-written experiment shaped like the ones the
//! macro generates.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;
use crate::experiment::{DefaultValue, ExperimentInfo, FunctionOutcome, NamedConfig, Param};
use crate::{ConfigError, Run};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Optimizer {
    name: String,
    lr: f64,
    betas: Vec<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Cfg {
    batch_size: u32,
    lr: f64,
    mode: String,
    optimizer: Optimizer,
    tags: std::collections::BTreeMap<String, i64>,
    limit: Option<u32>,
    seed: u64,
}

fn small() -> Result<Value, String> {
    Ok(json!({"batch_size": 8, "optimizer.lr": 0.5}))
}

fn big() -> Result<Value, String> {
    Ok(json!({"batch_size": 256, "mode": "big"}))
}

impl Experiment for Cfg {
    const INFO: ExperimentInfo = ExperimentInfo {
        name: Some("golden"),
        description: "Test experiment.",
        params: &[
            Param::plain("batch_size", "u32", "samples per step", true),
            Param::plain("lr", "f64", "learning rate", true),
            Param::plain("mode", "String", "ok | fail", true),
            Param::plain("optimizer", "Optimizer", "", true),
            Param::plain("tags", "BTreeMap<String, i64>", "", true),
            Param::plain("limit", "Option<u32>", "", true),
        ],
        named_configs: &[
            NamedConfig {
                name: "small",
                doc: "Small batches.",
                build: small,
            },
            NamedConfig {
                name: "big",
                doc: "Big batches.",
                build: big,
            },
        ],
        seed_max: u64::MAX,
        own_logging: None,
        build: crate::experiment::BuildInfo::TEST,
    };

    fn defaults() -> Vec<DefaultValue> {
        vec![
            DefaultValue::new::<u32>("batch_size", 32),
            DefaultValue::new::<f64>("lr", 0.001),
            DefaultValue::new::<String>("mode", "ok".into()),
            DefaultValue::new(
                "optimizer",
                Optimizer {
                    name: "adam".into(),
                    lr: 0.01,
                    betas: vec![0.9, 0.999],
                },
            ),
            DefaultValue::new("tags", std::collections::BTreeMap::<String, i64>::new()),
            DefaultValue::new::<Option<u32>>("limit", None),
        ]
    }

    fn call(self, _run: &Run) -> FunctionOutcome {
        FunctionOutcome::Returned(None)
    }
}

pub(crate) fn set(token: &str) -> Update {
    let (key, value) = token.split_once('=').unwrap_or((token, ""));
    Update::Set {
        key: key.to_owned(),
        value: crate::cli::parse_value(value),
        token: token.to_owned(),
    }
}

pub(crate) fn named(token: &str) -> Update {
    Update::Named(token.to_owned())
}

fn env() -> Env {
    Env::captured(std::env::temp_dir())
}

pub(crate) fn resolve_ok(updates: &[Update]) -> (Cfg, Resolved) {
    match resolve::<Cfg>(updates, false, &env()) {
        Ok(r) => r,
        Err(e) => panic!("resolution failed: {e}"),
    }
}

fn config_error(updates: &[Update], force: bool, env: &Env) -> ConfigError {
    match resolve::<Cfg>(updates, force, env) {
        Err(Error::Config(e)) => *e,
        Err(other) => panic!("expected a config error, got {other}"),
        Ok(_) => panic!("expected a config error, got a config"),
    }
}

#[test]
fn defaults_apply_and_a_seed_is_drawn() {
    let (cfg, resolved) = resolve_ok(&[]);
    assert_eq!(cfg.batch_size, 32);
    assert_eq!(cfg.optimizer.name, "adam");
    assert!(cfg.seed >= 1 && cfg.seed <= crate::seed::MAX_SAFE_SEED);
    assert_eq!(resolved.seed, cfg.seed);
    assert_eq!(resolved.record["seed"], json!(cfg.seed));
    assert_eq!(resolved.source_of("seed"), Some(&ConfigSource::DrawnSeed));
    assert_eq!(resolved.source_of("lr"), Some(&ConfigSource::Default));
}

#[test]
fn layers_apply_in_order_and_updates_win() {
    let updates = [
        set("batch_size=3"),
        named("small"),
        named("big"),
        set("optimizer.name=sgd"),
    ];
    let (cfg, resolved) = resolve_ok(&updates);
    // Sacred's `config_updates`: only what `key=value` set, nested, as resolved.
    assert_eq!(
        resolved.config_updates(&updates),
        serde_json::json!({"batch_size": 3, "optimizer": {"name": "sgd"}})
    );
    // The explicit update wins over both named configs, wherever it stands.
    assert_eq!(cfg.batch_size, 3);
    // A later named config beats an earlier one.
    assert_eq!(cfg.mode, "big");
    // Dotted keys reach into nested structs, and siblings keep their values.
    assert_eq!(
        cfg.optimizer,
        Optimizer {
            name: "sgd".into(),
            lr: 0.5,
            betas: vec![0.9, 0.999]
        }
    );
    assert_eq!(
        resolved.source_of("batch_size"),
        Some(&ConfigSource::CommandLine("batch_size=3".into()))
    );
    assert_eq!(
        resolved.source_of("mode"),
        Some(&ConfigSource::NamedConfig("big".into()))
    );
    assert_eq!(
        resolved.source_of("optimizer.lr"),
        Some(&ConfigSource::NamedConfig("small".into()))
    );
    assert_eq!(
        resolved.source_of("optimizer.betas"),
        Some(&ConfigSource::Default)
    );
    let (cfg, _) = resolve_ok(&[named("big"), named("small")]);
    assert_eq!(cfg.batch_size, 8);
    let (cfg, _) = resolve_ok(&[set("lr=1"), set("lr=2")]);
    assert_eq!(cfg.lr, 2.0);
}

#[test]
fn config_files_merge_into_nested_values() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("a.toml", "lr = 0.25\n[optimizer]\nname = \"rmsprop\"\n");
    write("b.json", r#"{"optimizer": {"betas": [0.5]}, "limit": 7}"#);
    write("c.yaml", "mode: from-yaml\ntags:\n  x: 1\n");
    let env = Env::captured(dir.path());
    let updates = [
        named("a.toml"),
        named("b.json"),
        named("c.yaml"),
        set("optimizer.lr=0.125"),
    ];
    let (cfg, resolved) = resolve::<Cfg>(&updates, false, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.lr, 0.25);
    assert_eq!(
        cfg.optimizer,
        Optimizer {
            name: "rmsprop".into(),
            lr: 0.125,
            betas: vec![0.5]
        }
    );
    assert_eq!(cfg.limit, Some(7));
    assert_eq!(cfg.mode, "from-yaml");
    assert_eq!(cfg.tags.get("x"), Some(&1));
    assert_eq!(
        resolved.source_of("optimizer.name"),
        Some(&ConfigSource::File("a.toml".into()))
    );
    assert_eq!(
        resolved.source_of("optimizer.betas.0"),
        Some(&ConfigSource::File("b.json".into()))
    );
}

#[test]
fn wrong_types_name_key_value_expected_type_and_source() {
    let e = config_error(&[set("lr=abc")], false, &env());
    assert_eq!(e.key, "lr");
    assert_eq!(e.value.as_deref(), Some("\"abc\" (a string)"));
    assert_eq!(e.expected, "f64");
    assert_eq!(e.source, Some(ConfigSource::CommandLine("lr=abc".into())));
    let text = e.to_string();
    assert!(
        text.contains("`lr`") && text.contains("abc") && text.contains("f64"),
        "{text}"
    );
    assert!(text.contains("command line `with lr=abc`"), "{text}");

    let e = config_error(&[set("optimizer.betas=[0.9, \"x\"]")], false, &env());
    assert_eq!(e.key, "optimizer.betas.1");
    assert_eq!(e.expected, "f64");

    let e = config_error(&[set("batch_size=-1")], false, &env());
    assert_eq!(e.key, "batch_size");
    assert!(e.expected.contains("u32"), "{}", e.expected);

    let e = config_error(&[named("small"), set("optimizer=3")], false, &env());
    assert_eq!(e.key, "optimizer");
    assert_eq!(e.value.as_deref(), Some("3 (an integer)"));
}

#[test]
fn unknown_keys_are_errors_with_suggestions_unless_forced() {
    let e = config_error(&[set("batch_sise=3")], false, &env());
    assert_eq!(e.problem, "unknown config key");
    assert_eq!(e.key, "batch_sise");
    assert!(
        e.hint
            .as_deref()
            .unwrap_or("")
            .contains("did you mean `batch_size`?")
    );
    let e = config_error(&[set("optimizer.nmae=sgd")], false, &env());
    assert_eq!(e.key, "optimizer.nmae");
    assert!(
        e.hint
            .as_deref()
            .unwrap_or("")
            .contains("did you mean `optimizer.name`?"),
        "{e}"
    );

    // Maps take new keys.
    let (cfg, _) = resolve_ok(&[set("tags.new=4")]);
    assert_eq!(cfg.tags.get("new"), Some(&4));

    let (cfg, resolved) =
        resolve::<Cfg>(&[set("nonexistent=3")], true, &env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.batch_size, 32);
    assert_eq!(resolved.added, ["nonexistent"]);
    assert_eq!(resolved.record["nonexistent"], json!(3));
}

#[test]
fn named_configs_and_files_that_do_not_exist_are_errors() {
    let message = match resolve::<Cfg>(&[named("smal")], false, &env()) {
        Err(e @ Error::Usage { .. }) => e.to_string(),
        other => panic!("expected a usage error, got {other:?}"),
    };
    assert!(message.contains("did you mean `small`?"), "{message}");
    let message = match resolve::<Cfg>(&[named("lr")], false, &env()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    };
    assert!(message.contains("with lr=VALUE"), "{message}");
    match resolve::<Cfg>(&[named("missing.toml")], false, &env()) {
        Err(Error::ConfigFile { path, reason }) => {
            assert_eq!(path, std::path::Path::new("missing.toml"));
            assert!(reason.contains("no such file"), "{reason}");
        }
        other => panic!("expected a config file error, got {other:?}"),
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("bad.toml"), "lr = = 3").unwrap_or_else(|e| panic!("{e}"));
    match resolve::<Cfg>(&[named("bad.toml")], false, &Env::captured(dir.path())) {
        Err(Error::ConfigFile { reason, .. }) => {
            assert!(reason.contains("invalid TOML"), "{reason}")
        }
        other => panic!("expected a config file error, got {other:?}"),
    }
}

#[test]
fn a_given_seed_is_kept() {
    let (cfg, resolved) = resolve_ok(&[set("seed=42")]);
    assert_eq!(cfg.seed, 42);
    assert_eq!(resolved.seed, 42);
    assert_eq!(
        resolved.source_of("seed"),
        Some(&ConfigSource::CommandLine("seed=42".into()))
    );
}

#[test]
fn print_config_follows_sacreds_layout() {
    let (_, resolved) = resolve_ok(&[set("lr=0.5"), named("small"), set("seed=583671170")]);
    let plain = render_config(&resolved, &Cfg::INFO, PrintOptions::default());
    let expected = "\
Configuration (modified, added, typechanged, doc):
  batch_size = 8                     # samples per step
  limit = null
  lr = 0.5                           # learning rate
  mode = \"ok\"                        # ok | fail
  seed = 583671170                   # the random seed for this experiment
  tags = {}
  optimizer:
    betas = [0.9, 0.999]
    lr = 0.5
    name = \"adam\"
";
    assert_eq!(plain, expected);

    let colored = render_config(
        &resolved,
        &Cfg::INFO,
        PrintOptions {
            color: true,
            sources: false,
        },
    );
    assert!(colored.starts_with(
        "Configuration (\x1b[34mmodified\x1b[0m, \x1b[32madded\x1b[0m, \x1b[31mtypechanged\x1b[0m, \x1b[2mdoc\x1b[0m):\n"
    ));
    assert!(colored.contains(
        "\x1b[34m  batch_size = 8                     \x1b[2m# samples per step\x1b[0m\x1b[0m\n"
    ));
    assert!(colored.contains("  mode = \"ok\"                        \x1b[2m# ok | fail\x1b[0m\n"));
    assert!(colored.contains("\x1b[34m    lr = 0.5\x1b[0m\n"));

    let sources = render_config(
        &resolved,
        &Cfg::INFO,
        PrintOptions {
            color: false,
            sources: true,
        },
    );
    assert!(
        sources.contains("# learning rate  <- command line `with lr=0.5`"),
        "{sources}"
    );
    assert!(
        sources.contains("    lr = 0.5                         <- named config `small`"),
        "{sources}"
    );
    assert!(
        sources.contains("    name = \"adam\"                    <- default"),
        "{sources}"
    );
}

#[test]
fn added_and_typechanged_entries_are_marked() {
    let (_, resolved) = resolve::<Cfg>(&[set("extra=1"), set("limit=3")], true, &env())
        .unwrap_or_else(|e| panic!("{e}"));
    let colored = render_config(
        &resolved,
        &Cfg::INFO,
        PrintOptions {
            color: true,
            sources: false,
        },
    );
    assert!(
        colored.contains("\x1b[32m  extra = 1\x1b[0m\n"),
        "{colored}"
    );
    // From null to a number is not a type change (Sacred's rule), but it is a modification.
    assert!(
        colored.contains("\x1b[34m  limit = 3\x1b[0m\n"),
        "{colored}"
    );
}

#[test]
fn named_configs_are_listed_with_docs() {
    assert_eq!(
        render_named_configs(&Cfg::INFO, false),
        "Named Configurations (doc):\n  small   # Small batches.\n  big   # Big batches.\n"
    );
    assert_eq!(
        render_named_configs(&Cfg::INFO, true),
        "Named Configurations (\x1b[2mdoc\x1b[0m):\n  small\x1b[2m   # Small batches.\x1b[0m\n  big\x1b[2m   # Big batches.\x1b[0m\n"
    );
}

#[test]
fn a_value_set_to_its_default_is_not_modified_and_headers_above_changes_are() {
    let color = PrintOptions {
        color: true,
        sources: false,
    };
    let (_, resolved) = resolve_ok(&[set("batch_size=32"), set("optimizer.lr=0.5")]);
    let colored = render_config(&resolved, &Cfg::INFO, color);
    assert!(
        colored
            .contains("\n  batch_size = 32                    \x1b[2m# samples per step\x1b[0m\n"),
        "{colored}"
    );
    assert!(
        colored.contains("\x1b[34m  optimizer:\x1b[0m\n"),
        "{colored}"
    );
    assert!(
        colored.contains("\x1b[34m    lr = 0.5\x1b[0m\n"),
        "{colored}"
    );
    assert!(colored.contains("\n    name = \"adam\"\n"), "{colored}");

    // Nothing changed under `optimizer`: its header stays plain.
    let (_, resolved) = resolve_ok(&[set("optimizer.lr=0.01"), set("lr=0.5")]);
    let colored = render_config(&resolved, &Cfg::INFO, color);
    assert!(colored.contains("\n  optimizer:\n"), "{colored}");
    assert!(colored.contains("\n    lr = 0.01\n"), "{colored}");
}

#[test]
fn save_config_writes_json_toml_and_yaml_and_refuses_unknown_extensions() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = json!({"b": 1, "a": {"c": [1.5]}});
    for name in ["c.json", "c.toml", "c.yaml"] {
        let path = dir.path().join(name);
        save_config(&config, &path).unwrap_or_else(|e| panic!("{e}"));
        let back = file::load(&path, &path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, config, "{name}");
    }
    let json_text = std::fs::read_to_string(dir.path().join("c.json")).unwrap_or_default();
    assert_eq!(
        json_text,
        "{\n  \"a\": {\n    \"c\": [\n      1.5\n    ]\n  },\n  \"b\": 1\n}\n"
    );
    let bad = dir.path().join("c.ini");
    assert!(save_config(&config, &bad).is_err());
    assert!(!bad.exists());
    let leftovers = std::fs::read_dir(dir.path())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 3, "no temporary files are left behind");
}
