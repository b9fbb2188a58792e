//! Enums, nested tables and ingredients in resolution, on a hand-written experiment whose
//! parameter types have tables (as `#[config]` and `#[ingredient]` generate them).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;
use crate::experiment::{DefaultValue, ExperimentInfo, FunctionOutcome, NamedConfig, Param};
use crate::schema::tests::{OPTIMIZER, SCHEDULE};
use crate::schema::{ConfigType, Field, Kind, default_json};
use crate::{ConfigError, Run};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
enum Schedule {
    Constant,
    Cosine { warmup: u32 },
    Linear { end: f64, start: f64 },
    Step(u32),
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Optimizer {
    lr: f64,
    schedule: Schedule,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Tokenizer {
    vocab: u32,
    seed: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Data {
    path: String,
    n: u32,
    seed: u64,
    tokenizer: Tokenizer,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct AdamCfg {
    lr: f64,
    beta: f64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
enum Opt {
    Sgd,
    Adam(AdamCfg),
}

#[derive(Debug, Serialize, Deserialize)]
struct Train {
    #[serde(default = "sgd")]
    opt: Opt,
    schedule: Schedule,
    optimizer: Optimizer,
    data: Data,
    seed: u64,
}

fn schedule() -> Option<&'static ConfigType> {
    Some(&SCHEDULE)
}
fn optimizer() -> Option<&'static ConfigType> {
    Some(&OPTIMIZER)
}
fn data() -> Option<&'static ConfigType> {
    Some(&DATA)
}
fn none() -> Option<&'static ConfigType> {
    None
}
fn path() -> Result<Value, String> {
    default_json("data/full.csv")
}
fn n() -> Result<Value, String> {
    default_json(1000)
}
fn tokenizer() -> Option<&'static ConfigType> {
    Some(&TOKENIZER)
}
fn vocab() -> Result<Value, String> {
    default_json(100)
}
fn tiny() -> Result<Value, String> {
    Ok(json!({"vocab": 8}))
}

/// An ingredient's `seed`, derived when not set.
const SEED_FIELD: Field = Field {
    name: "seed",
    ty: "u64",
    doc: "",
    default: None,
    nested: none,
};

/// An ingredient inside an ingredient.
static TOKENIZER: ConfigType = ConfigType {
    name: "Tokenizer",
    doc: "",
    kind: Kind::Struct(&[
        Field {
            name: "vocab",
            ty: "u32",
            doc: "",
            default: Some(vocab),
            nested: none,
        },
        SEED_FIELD,
    ]),
    named_configs: &[NamedConfig {
        name: "tiny",
        doc: "",
        build: tiny,
    }],
    ingredient: true,
};

fn small() -> Result<Value, String> {
    Ok(json!({"n": 10}))
}
fn linear() -> Result<Value, String> {
    Ok(json!({"schedule": {"Linear": {"end": 0.5}}}))
}

static DATA: ConfigType = ConfigType {
    name: "Data",
    doc: "The dataset.",
    kind: Kind::Struct(&[
        Field {
            name: "path",
            ty: "String",
            doc: "where the samples are",
            default: Some(path),
            nested: none,
        },
        Field {
            name: "n",
            ty: "u32",
            doc: "how many samples",
            default: Some(n),
            nested: none,
        },
        SEED_FIELD,
        Field {
            name: "tokenizer",
            ty: "Tokenizer",
            doc: "",
            default: None,
            nested: tokenizer,
        },
    ]),
    named_configs: &[NamedConfig {
        name: "small",
        doc: "Ten samples.",
        build: small,
    }],
    ingredient: true,
};

impl Experiment for Train {
    const INFO: ExperimentInfo = ExperimentInfo {
        name: Some("train"),
        description: "",
        params: &[
            Param {
                nested: opt,
                ..Param::plain("opt", "Opt", "", true)
            },
            Param {
                nested: schedule,
                ..Param::plain("schedule", "Schedule", "the schedule", true)
            },
            Param {
                nested: optimizer,
                ..Param::plain("optimizer", "Optimizer", "", true)
            },
            Param {
                nested: data,
                ..Param::plain("data", "Data", "", false)
            },
        ],
        named_configs: &[NamedConfig {
            name: "linear",
            doc: "",
            build: linear,
        }],
        seed_max: u64::MAX,
        own_logging: None,
        build: crate::experiment::BuildInfo::TEST,
    };

    fn defaults() -> Vec<DefaultValue> {
        vec![
            DefaultValue::new("opt", Opt::Sgd),
            DefaultValue::new("schedule", Schedule::Constant),
            DefaultValue::new(
                "optimizer",
                Optimizer {
                    lr: 0.1,
                    schedule: Schedule::Cosine { warmup: 2 },
                },
            ),
        ]
    }

    fn call(self, _run: &Run) -> FunctionOutcome {
        FunctionOutcome::Returned(None)
    }
}

fn sgd() -> Opt {
    Opt::Sgd
}

fn adam_lr() -> Result<Value, String> {
    default_json(0.01)
}
fn adam_beta() -> Result<Value, String> {
    default_json(0.9)
}
fn adam() -> Option<&'static ConfigType> {
    Some(&ADAM)
}
fn opt() -> Option<&'static ConfigType> {
    Some(&OPT)
}

static ADAM: ConfigType = ConfigType {
    name: "AdamCfg",
    doc: "",
    kind: Kind::Struct(&[
        Field {
            name: "lr",
            ty: "f64",
            doc: "Adam's rate",
            default: Some(adam_lr),
            nested: none,
        },
        Field {
            name: "beta",
            ty: "f64",
            doc: "",
            default: Some(adam_beta),
            nested: none,
        },
    ]),
    named_configs: &[],
    ingredient: false,
};

/// An enum whose variant holds a struct with a table.
static OPT: ConfigType = ConfigType {
    name: "Opt",
    doc: "",
    kind: Kind::Enum(&[
        crate::schema::Variant {
            name: "Sgd",
            doc: "",
            fields: crate::schema::VariantFields::Unit,
        },
        crate::schema::Variant {
            name: "Adam",
            doc: "adaptive",
            fields: crate::schema::VariantFields::Newtype {
                ty: "AdamCfg",
                nested: adam,
            },
        },
    ]),
    named_configs: &[],
    ingredient: false,
};

fn env() -> Env {
    Env::captured(std::env::temp_dir())
}

fn ok(updates: &[Update]) -> (Train, Resolved) {
    resolve::<Train>(updates, false, &env()).unwrap_or_else(|e| panic!("{e}"))
}

fn config_error(updates: &[Update]) -> ConfigError {
    match resolve::<Train>(updates, false, &env()) {
        Err(Error::Config(e)) => *e,
        Err(other) => panic!("not a config error: {other}"),
        Ok(_) => panic!("resolved"),
    }
}

use super::tests::{named, set};

#[test]
fn a_variant_by_name_takes_its_defaults() {
    let (cfg, _) = ok(&[set("schedule=Cosine")]);
    assert_eq!(cfg.schedule, Schedule::Cosine { warmup: 5 });
    let (cfg, _) = ok(&[set("schedule=Cosine"), set("schedule.Cosine.warmup=9")]);
    assert_eq!(cfg.schedule, Schedule::Cosine { warmup: 9 });
    let (cfg, _) = ok(&[set("optimizer.schedule=Constant")]);
    assert_eq!(cfg.optimizer.schedule, Schedule::Constant);
}

#[test]
fn a_variant_holding_a_config_struct_is_named_and_reached_by_dotted_keys() {
    let (cfg, _) = ok(&[set("opt=Adam")]);
    assert_eq!(
        cfg.opt,
        Opt::Adam(AdamCfg {
            lr: 0.01,
            beta: 0.9
        })
    );
    let (cfg, _) = ok(&[set("opt.Adam.lr=0.5")]);
    assert_eq!(cfg.opt, Opt::Adam(AdamCfg { lr: 0.5, beta: 0.9 }));
    assert_eq!(
        crate::schema::describe_key(Train::INFO.params, "opt.Adam.lr"),
        Some(("f64", "Adam's rate"))
    );
    let text = crate::cli::render_help("train", &Train::INFO, &Train::defaults());
    assert!(text.contains("  opt=Adam  "), "{text}");
    assert!(text.contains("  opt.Adam.lr: f64 = 0.01 "), "{text}");
}

#[test]
fn inline_forms_set_variants_with_fields() {
    // Fields the inline form leaves out take their defaults.
    let (cfg, _) = ok(&[set("schedule={Linear: {end: 0.25}}")]);
    assert_eq!(
        cfg.schedule,
        Schedule::Linear {
            end: 0.25,
            start: 1.0
        }
    );
    let (cfg, _) = ok(&[set("schedule={Step: 3}")]);
    assert_eq!(cfg.schedule, Schedule::Step(3));
}

#[test]
fn a_higher_layer_replaces_the_variant_a_lower_one_chose() {
    // The default chose `Cosine` for the optimizer; the command line switches it.
    let (cfg, _) = ok(&[set("optimizer.schedule={Linear: {end: 1.0}}")]);
    assert_eq!(
        cfg.optimizer.schedule,
        Schedule::Linear {
            end: 1.0,
            start: 1.0
        }
    );
    // A named config chose `Linear`; the command line switches to `Cosine` by name.
    let (cfg, resolved) = ok(&[named("linear"), set("schedule=Cosine")]);
    assert_eq!(cfg.schedule, Schedule::Cosine { warmup: 5 });
    assert_eq!(
        resolved.record["schedule"],
        json!({"Cosine": {"warmup": 5}})
    );
    // The same variant merges field by field.
    let (cfg, _) = ok(&[set("optimizer.schedule.Cosine.warmup=7")]);
    assert_eq!(cfg.optimizer.schedule, Schedule::Cosine { warmup: 7 });
}

#[test]
fn bad_variants_list_the_variants_and_their_forms() {
    let e = config_error(&[set("schedule=Cosin")]);
    assert_eq!(e.key, "schedule");
    assert_eq!(e.problem, "unknown variant");
    assert_eq!(
        e.expected,
        "one of the variants of Schedule: Constant, {Cosine: {warmup: …}}, {Linear: {end: …, start: …}}, {Step: …}"
    );
    let hint = e.hint.clone().unwrap_or_default();
    assert!(hint.contains("did you mean `Cosine`"), "{hint}");
    assert!(hint.contains("`schedule={NAME: {field: value}}`"), "{hint}");

    let e = config_error(&[set("schedule=Linear")]);
    assert_eq!(
        e.problem,
        "variant `Linear` has fields without a default (end)"
    );
    assert_eq!(
        e.source,
        Some(ConfigSource::CommandLine("schedule=Linear".into()))
    );

    // Two variants at once (written so by the user) is a type error listing the forms.
    let e = config_error(&[set("schedule={Linear: {end: 1}, Cosine: {}}")]);
    assert_eq!(e.key, "schedule");
    assert!(
        e.expected.starts_with("one of the variants of Schedule"),
        "{}",
        e.expected
    );
}

#[test]
fn a_nested_key_is_suggested_for_a_top_level_typo() {
    let e = config_error(&[set("lr=0.5")]);
    assert_eq!(e.problem, "unknown config key");
    let hint = e.hint.unwrap_or_default();
    assert!(hint.contains("did you mean `optimizer.lr`?"), "{hint}");
    // A field of the chosen variant, written without the variant.
    let e = config_error(&[set("optimizer.schedule.warmup=3")]);
    let hint = e.hint.unwrap_or_default();
    assert!(
        hint.contains("did you mean `optimizer.schedule.Cosine.warmup`?"),
        "{hint}"
    );
}

#[test]
fn wrong_nested_types_name_the_declared_type() {
    let e = config_error(&[set("data.n=many")]);
    assert_eq!(e.key, "data.n");
    assert_eq!(e.expected, "u32");
    assert_eq!(e.value.as_deref(), Some("\"many\" (a string)"));
}

#[test]
fn an_ingredient_takes_its_defaults_named_configs_and_a_derived_seed() {
    let (cfg, resolved) = ok(&[set("seed=42")]);
    assert_eq!(cfg.data.path, "data/full.csv");
    assert_eq!(cfg.data.n, 1000);
    assert_eq!(cfg.data.seed, crate::seed::seed_for(42, "data"));
    assert_eq!(
        resolved.source_of("data.seed"),
        Some(&ConfigSource::DerivedSeed("data".into()))
    );
    let (cfg, resolved) = ok(&[
        named("data.small"),
        set("data.path=x.csv"),
        set("data.seed=3"),
    ]);
    assert_eq!(cfg.data.path, "x.csv");
    assert_eq!((cfg.data.n, cfg.data.seed), (10, 3));
    assert_eq!(
        resolved.source_of("data.n"),
        Some(&ConfigSource::NamedConfig("data.small".into()))
    );
    let names: Vec<String> = all_named_configs(&Train::INFO)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    assert_eq!(names, ["linear", "data.small", "data.tokenizer.tiny"]);
    // An ingredient inside one: its named configs and seed go by its dotted key.
    let (cfg, resolved) = ok(&[named("data.tokenizer.tiny"), set("seed=42")]);
    assert_eq!(cfg.data.tokenizer.vocab, 8);
    assert_eq!(
        cfg.data.tokenizer.seed,
        crate::seed::seed_for(42, "data.tokenizer")
    );
    assert_eq!(
        resolved.source_of("data.tokenizer.seed"),
        Some(&ConfigSource::DerivedSeed("data.tokenizer".into()))
    );
    let Err(e) = resolve::<Train>(&[named("data.smal")], false, &env()) else {
        panic!("resolved");
    };
    assert!(e.to_string().contains("did you mean `data.small`"), "{e}");
    // A nested key without a value is told how to set it.
    let Err(e) = resolve::<Train>(&[named("data.path")], false, &env()) else {
        panic!("resolved");
    };
    assert!(
        e.to_string()
            .contains("`data.path` is a config key: set it with `with data.path=VALUE`"),
        "{e}"
    );
}

#[test]
fn help_shows_nested_fields_variants_and_ingredient_named_configs() {
    let text = crate::cli::render_help("train", &Train::INFO, &Train::defaults());
    for expected in [
        "  schedule: Schedule = \"Constant\"",
        "  schedule=Constant\n",
        "  schedule=Cosine\n",
        "  schedule.Cosine.warmup: u32 = 5  ",
        "  schedule={Linear: {end: …, start: …}}\n",
        "  schedule.Linear.end: f64 (required)\n",
        "  schedule={Step: …}\n",
        "  optimizer.lr: f64 = 0.1  ",
        "  optimizer: Optimizer\n",
        "  optimizer.schedule: Schedule = {\"Cosine\":{\"warmup\":2}}",
        // The default of the whole parameter fills in the variant's field.
        "  optimizer.schedule.Cosine.warmup: u32 = 2\n",
        // No `#[default]`, but every field but the derived seed has one: not required.
        "  data: Data\n",
        "  data.path: String = \"data/full.csv\"",
        "  data.seed: u64  ",
        "  data.small ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(text.contains("learning rate"), "{text}");
    assert!(text.contains("warm-up steps"), "{text}");
    assert!(!text.contains("data: Data (required)"), "{text}");
}

#[test]
fn print_config_shows_the_docs_of_nested_fields() {
    let (_, resolved) = ok(&[set("seed=1"), set("schedule=Cosine"), set("opt=Adam")]);
    let text = super::render_config(&resolved, &Train::INFO, super::PrintOptions::default());
    let line = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
            .to_owned()
    };
    assert!(line("lr = 0.1").ends_with("# learning rate"), "{text}");
    assert!(line("n = 1000").ends_with("# how many samples"), "{text}");
    assert!(line("warmup = 5").ends_with("# warm-up steps"), "{text}");
    // A variant's tag shows the variant's doc; the fields of its value show theirs.
    assert!(line("Adam:").ends_with("# adaptive"), "{text}");
    assert!(line("lr = 0.01").ends_with("# Adam's rate"), "{text}");
    let named = super::render_named_configs(&Train::INFO, false);
    assert!(named.contains("  data.small"), "{named}");
    assert!(named.contains("# Ten samples."), "{named}");
}

#[test]
fn version_prints_the_name_and_version() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env = Env::captured(dir.path());
    let outcome = crate::run_from::<Train, _, _>(["bin", "--version"], &env);
    assert!(matches!(outcome, Ok(crate::Outcome::Done)), "{outcome:?}");
    assert_eq!(env.stdout_text(), "train 0.0.0\n");
}
