//! End-to-end: the `ingredients` example as a process. An ingredient (`data`) with its
//! defaults, named config and derived seed; a nested struct with field docs; an enum
//! switched from the command line; `--help` and `print_config` showing all of it.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, text, tmp};

/// The line of `out` whose trimmed start is `start`.
fn line<'a>(out: &'a str, start: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in\n{out}"))
}

#[test]
fn an_enum_variant_by_name_and_an_ingredient_named_config() {
    let dir = tmp();
    let out = run(
        "ingredients",
        &[
            "print_config",
            "with",
            "data.small",
            "schedule=Cosine",
            "seed=5",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        line(&stdout, "samples = 10").ends_with("# how many samples to draw"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "warmup = 3").ends_with("# steps of linear warm-up"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "Cosine:").ends_with("# a cosine decay to zero after a linear warm-up"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "lr = 0.1").ends_with("# the learning rate"),
        "{stdout}"
    );
    let seed = sacred::seed::seed_for(5, "data");
    assert!(
        stdout.contains(&format!("    seed = {seed}")),
        "the ingredient's seed is derived: {stdout}"
    );
}

#[test]
fn an_inline_variant_runs_and_the_ingredient_seed_follows_the_root_seed() {
    let dir = tmp();
    let args = [
        "-u",
        "with",
        "schedule={Cosine: {warmup: 2}}",
        "optimizer.lr=0.05",
        "seed=9",
    ];
    let out = run("ingredients", &args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("schedule: Cosine { warmup: 2 }"),
        "{stdout}"
    );
    let seed = sacred::seed::seed_for(9, "data");
    assert!(
        stdout.contains(&format!(
            "data: 1000 samples from data/train.csv (seed {seed},"
        )),
        "{stdout}"
    );
    // The same root seed gives the same data; the ingredient's seed may be set.
    let again = run("ingredients", &args, dir.path());
    assert_eq!(text(&again.stdout), stdout);
    let set = run(
        "ingredients",
        &["-u", "with", "seed=9", "data.seed=7"],
        dir.path(),
    );
    assert!(
        text(&set.stdout).contains("(seed 7,"),
        "{}",
        text(&set.stdout)
    );
}

#[test]
fn a_command_line_variant_replaces_the_one_a_config_file_chose() {
    let dir = tmp();
    std::fs::write(
        dir.path().join("linear.toml"),
        "[schedule.Linear]\nend = 0.5\n",
    )
    .unwrap();
    let out = run(
        "ingredients",
        &["-u", "with", "linear.toml", "schedule=Cosine"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("schedule: Cosine { warmup: 3 }"),
        "{}",
        text(&out.stdout)
    );
    let out = run("ingredients", &["-u", "with", "linear.toml"], dir.path());
    assert!(
        text(&out.stdout).contains("schedule: Linear { end: 0.5 }"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_variants_and_misplaced_keys_are_exit_2_with_the_forms() {
    let dir = tmp();
    let out = run(
        "ingredients",
        &["-u", "with", "schedule=Linear"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "variant `Linear` has fields without a default (end) for `schedule`: found \
             \"Linear\" (a string) (from command line `with schedule=Linear`), expected one \
             of the variants of Schedule: Constant, {Cosine: {warmup: …}}, {Linear: {end: …}}"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("give them inline: `schedule={Linear: {end: …}}`"),
        "{stderr}"
    );

    let out = run("ingredients", &["-u", "with", "schedule=Cosin"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("did you mean `Cosine`?"), "{stderr}");
    assert!(
        stderr.contains("`schedule={NAME: {field: value}}`"),
        "{stderr}"
    );

    let out = run("ingredients", &["-u", "with", "lr=0.5"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `optimizer.lr`?"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("runs").exists());
}

#[test]
fn help_lists_nested_fields_variants_named_configs_and_flag_defaults() {
    let dir = tmp();
    let out = run("ingredients", &["--help"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for expected in [
        "  data: Dataset ",
        "  data.path: String = \"data/train.csv\"",
        "  data.samples: u32 = 1000 ",
        "  optimizer.lr: f64 = 0.1 ",
        "  schedule: Schedule = \"Constant\"",
        "  schedule=Cosine ",
        "  schedule.Cosine.warmup: u32 = 3 ",
        "  schedule={Linear: {end: …}} ",
        "  data.small ",
        "  short ",
        "[default: 10]",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(line(&stdout, "optimizer.lr:").ends_with("the learning rate"));
    assert!(line(&stdout, "schedule=Cosine").contains("a cosine decay"));

    let out = run("ingredients", &["--version"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        format!("ingredients {}\n", env!("CARGO_PKG_VERSION"))
    );

    let out = run("ingredients", &["print_named_configs"], dir.path());
    let stdout = text(&out.stdout);
    assert!(
        line(&stdout, "short").ends_with(
            "# Named configs of the experiment may be typed too: `ConfigPartial` has its fields."
        ),
        "{stdout}"
    );
    assert!(
        line(&stdout, "data.small").ends_with("# Ten samples, for a quick check."),
        "{stdout}"
    );
}

#[test]
fn typed_named_configs_set_only_their_fields() {
    let dir = tmp();
    let out = run(
        "ingredients",
        &["print_config", "with", "short", "data.small"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("  steps = 3"), "{stdout}");
    assert!(stdout.contains("    samples = 10"), "{stdout}");
    assert!(stdout.contains("    path = \"data/train.csv\""), "{stdout}");
}
