//! `--help` and `help COMMAND`.
//!
//! The layout follows Sacred's docopt help (usage, options, arguments, commands), with two
//! sections Sacred does not have: the config parameters and the named configs.

use super::command::CommandSpec;
use super::flags::FLAGS;
use crate::experiment::{DefaultValue, ExperimentInfo, Param};
use crate::schema::{ConfigType, Field, Kind, VariantFields};
use crate::seed::SEED_DOC;

/// The width help text is wrapped to.
const WIDTH: usize = 79;

/// The widest left column before the description moves to the next line.
const MAX_LEFT: usize = 40;

/// Defaults longer than this are shortened with `...`.
const MAX_DEFAULT: usize = 50;

/// The full help of an experiment.
///
/// `program` is the name used in the usage lines; `defaults` are the parameters' defaults
/// (a parameter without an entry shows no value).
pub(crate) fn render_help(
    program: &str,
    info: &ExperimentInfo,
    defaults: &[DefaultValue],
) -> String {
    let mut out = String::new();
    out.push_str("Usage:\n");
    out.push_str(&format!("  {program} [(with UPDATE...)] [options]\n"));
    out.push_str(&format!("  {program} help [COMMAND]\n"));
    out.push_str(&format!("  {program} (-h | --help)\n"));
    out.push_str(&format!(
        "  {program} COMMAND [(with UPDATE...)] [options]\n"
    ));

    let description = info.description.trim();
    if !description.is_empty() {
        out.push('\n');
        out.push_str(description);
        out.push('\n');
    }

    out.push_str("\nOptions:\n");
    let options: Vec<(String, String)> = FLAGS
        .iter()
        .map(|flag| {
            let long = match flag.value {
                Some(_) => format!("--{}=VALUE", flag.long),
                None => format!("--{}", flag.long),
            };
            let left = match (flag.short, flag.value) {
                (Some(c), Some(_)) => format!("-{c} VALUE {long}"),
                (Some(c), None) => format!("-{c} {long}"),
                (None, _) => long,
            };
            let help = match super::flags::flag_default(flag.id) {
                Some(default) => format!("{} [default: {default}]", flag.help),
                None => flag.help.to_owned(),
            };
            (left, help)
        })
        .collect();
    out.push_str(&table(&options));

    out.push_str("\nArguments:\n");
    out.push_str(&table(&[
        (
            "COMMAND".to_owned(),
            "Name of command to run (see below for list of commands)".to_owned(),
        ),
        (
            "UPDATE".to_owned(),
            "Configuration assignments of the form foo.bar=17".to_owned(),
        ),
    ]));

    out.push_str("\nCommands:\n");
    let commands: Vec<(String, String)> = CommandSpec::listed()
        .map(|spec| (spec.name.to_owned(), spec.summary.to_owned()))
        .collect();
    out.push_str(&table(&commands));

    out.push_str("\nConfig:\n");
    out.push_str(&table(&config_rows(info, defaults)));

    let named = crate::config::all_named_configs(info);
    if !named.is_empty() {
        out.push_str("\nNamed configs:\n");
        let named: Vec<(String, String)> = named
            .into_iter()
            .map(|(name, _, config)| (name, config.doc.to_owned()))
            .collect();
        out.push_str(&table(&named));
    }
    out
}

/// What a seed line adds when no default fixes the seed.
const SEED_DRAWN: &str = "(drawn at random when not given)";

/// One row per parameter, `name: TYPE = DEFAULT` and the doc, then the seed.
fn config_rows(info: &ExperimentInfo, defaults: &[DefaultValue]) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for param in info.params {
        let line = match param.config_type() {
            // A struct with a table: its fields' rows show the defaults.
            Some(ty) if !ty.fields().is_empty() => param_line(param, &[]),
            _ => param_line(param, defaults),
        };
        rows.push((line, param_doc(param)));
        if let Some(ty) = param.config_type() {
            let default = defaults
                .iter()
                .find(|d| d.name == param.name)
                .and_then(|d| d.value.clone().ok())
                .or_else(|| ty.defaults().and_then(Result::ok));
            nested_rows(param.name, ty, default.as_ref(), &mut rows);
        }
    }
    if !info.params.iter().any(|param| param.name == "seed") {
        rows.push(("seed: u64".to_owned(), format!("{SEED_DOC} {SEED_DRAWN}")));
    }
    rows
}

/// `name: TYPE = DEFAULT`, or `name: TYPE (required)`; a `seed` without a default is not
/// required (it is drawn).
fn param_line(param: &Param, defaults: &[DefaultValue]) -> String {
    let head = format!("{}: {}", param.name, param.ty);
    if !param.has_default {
        return if param.is_required() {
            format!("{head} (required)")
        } else {
            head
        };
    }
    match defaults
        .iter()
        .find(|d| d.name == param.name)
        .map(|d| &d.value)
    {
        Some(Ok(value)) => format!("{head} = {}", compact(value)),
        Some(Err(reason)) => format!("{head} (default not serialisable: {reason})"),
        None => head,
    }
}

/// One row per field of a nested struct (`optimizer.lr: f64 = 0.001`) and per variant of
/// an enum, as it is written on the command line (`schedule=Cosine`,
/// `schedule={Linear: {end: …}}`), followed by the variant's fields; `value` is the
/// default of the whole value, when there is one.
fn nested_rows(
    prefix: &str,
    ty: &ConfigType,
    value: Option<&serde_json::Value>,
    rows: &mut Vec<(String, String)>,
) {
    match ty.kind {
        Kind::Struct(fields) => field_rows(prefix, fields, Some(ty), value, rows),
        Kind::Enum(variants) => {
            for variant in variants {
                let written = match variant.by_name() {
                    Ok(_) => variant.name.to_owned(),
                    Err(_) => variant.form(),
                };
                rows.push((format!("{prefix}={written}"), variant.doc.to_owned()));
                let inner = value.and_then(|v| v.get(variant.name));
                let inner_prefix = format!("{prefix}.{}", variant.name);
                match (variant.inner_table(), variant.fields) {
                    (Some(table), _) => nested_rows(&inner_prefix, table, inner, rows),
                    (None, VariantFields::Struct(fields)) => {
                        field_rows(&inner_prefix, fields, None, inner, rows);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The rows of named fields below `prefix`; `owner` is the struct they belong to (none for
/// a variant's fields).
fn field_rows(
    prefix: &str,
    fields: &[Field],
    owner: Option<&ConfigType>,
    value: Option<&serde_json::Value>,
    rows: &mut Vec<(String, String)>,
) {
    for field in fields {
        if owner.is_some_and(|ty| ty.derives_seed(field)) && field.default.is_none() {
            let doc = match field.doc {
                "" => format!(
                    "the seed of `{prefix}` (derived from the root seed as \
                     `seed_for(\"{prefix}\")` when not given)"
                ),
                doc => doc.to_owned(),
            };
            rows.push((format!("{prefix}.{}: {}", field.name, field.ty), doc));
            continue;
        }
        let key = format!("{prefix}.{}", field.name);
        let default = value
            .and_then(|v| v.get(field.name))
            .cloned()
            .or_else(|| field.default.and_then(|d| d().ok()));
        let head = format!("{key}: {}", field.ty);
        let line = match &default {
            Some(default) => format!("{head} = {}", compact(default)),
            None if field.is_defaulted() => head,
            None => format!("{head} (required)"),
        };
        rows.push((line, field.doc.to_owned()));
        if let Some(ty) = (field.nested)() {
            nested_rows(&key, ty, default.as_ref(), rows);
        }
    }
}

/// The parameter's doc; for a `seed`, what the seed is when undocumented, and that it is
/// drawn when it has no default.
fn param_doc(param: &Param) -> String {
    if param.name != "seed" {
        return param.doc.to_owned();
    }
    let doc = match param.doc.trim() {
        "" => SEED_DOC,
        doc => doc,
    };
    if param.has_default {
        doc.to_owned()
    } else {
        format!("{doc} {SEED_DRAWN}")
    }
}

/// A default as compact JSON, shortened when long.
fn compact(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_DEFAULT {
        return text;
    }
    let mut short: String = text.chars().take(MAX_DEFAULT - 3).collect();
    short.push_str("...");
    short
}

/// Two aligned columns, indented by two, the right one wrapped. A left entry wider than
/// [`MAX_LEFT`] gets its description on the lines below.
fn table(rows: &[(String, String)]) -> String {
    let left_width = rows
        .iter()
        .map(|(left, _)| left.chars().count())
        .filter(|&n| n <= MAX_LEFT)
        .max()
        .unwrap_or(0);
    let column = 2 + left_width + 2;
    let text_width = WIDTH.saturating_sub(column).max(30);
    let mut out = String::new();
    for (left, right) in rows {
        let lines = wrap(right, text_width);
        let left_len = left.chars().count();
        out.push_str("  ");
        out.push_str(left);
        let mut lines = lines.iter();
        if left_len <= left_width
            && let Some(first) = lines.next()
        {
            out.push_str(&" ".repeat(column - 2 - left_len));
            out.push_str(first);
        }
        out.push('\n');
        for line in lines {
            out.push_str(&" ".repeat(column));
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Greedy word wrap; words longer than `width` stay whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The help of one command (`main` included), or `None` when there is no such command.
pub(crate) fn render_command_help(program: &str, command: &str) -> Option<String> {
    let spec = CommandSpec::find(command)?;
    let usage = spec.usage.replace("{program}", program);
    let body = spec.body.replace("{program}", program);
    let mut out = format!("Usage: {usage}\n\n{}\n\n", spec.summary);
    for line in wrap(&body, WIDTH) {
        out.push_str(&line);
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::NamedConfig;
    use serde_json::json;

    fn no_values() -> Result<serde_json::Value, String> {
        Ok(json!({}))
    }

    const PARAMS: &[Param] = &[
        Param::plain("lr", "f64", "The learning rate.", true),
        Param::plain("optimizer", "String", "", true),
        Param::plain("data", "PathBuf", "Where the training data is.", false),
        Param::plain("layers", "Vec<u32>", "", true),
    ];

    const NAMED: &[NamedConfig] = &[
        NamedConfig {
            name: "small",
            doc: "A small model for quick tests.",
            build: no_values,
        },
        NamedConfig {
            name: "large_and_slow",
            doc: "",
            build: no_values,
        },
    ];

    const INFO: ExperimentInfo = ExperimentInfo {
        name: Some("demo"),
        description: "Trains a small model.\n\nSecond paragraph.",
        params: PARAMS,
        named_configs: NAMED,
        seed_max: u64::MAX,
        own_logging: None,
        build: crate::experiment::BuildInfo::TEST,
    };

    fn defaults() -> Vec<DefaultValue> {
        vec![
            DefaultValue::new("lr", 0.01),
            DefaultValue::new("optimizer", "adam"),
            DefaultValue::new("layers", vec![64u32, 64]),
        ]
    }

    fn help() -> String {
        render_help("train", &INFO, &defaults())
    }

    #[test]
    fn usage_block_comes_first() {
        let text = help();
        assert!(
            text.starts_with(
                "Usage:\n  train [(with UPDATE...)] [options]\n  train help [COMMAND]\n  \
                 train (-h | --help)\n  train COMMAND [(with UPDATE...)] [options]\n\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn description_follows_usage() {
        let text = help();
        assert!(
            text.contains("[options]\n\nTrains a small model.\n\nSecond paragraph.\n\nOptions:\n"),
            "{text}"
        );
    }

    #[test]
    fn no_description_no_gap() {
        let info = ExperimentInfo {
            description: "  ",
            ..INFO
        };
        let text = render_help("train", &info, &defaults());
        assert!(text.contains("[options]\n\nOptions:\n"), "{text}");
    }

    #[test]
    fn options_list_every_flag() {
        let text = help();
        for flag in FLAGS {
            let long = format!("--{}", flag.long);
            assert!(text.contains(&long), "{long} missing:\n{text}");
            if let Some(c) = flag.short {
                let short = if flag.value.is_some() {
                    format!("  -{c} VALUE --{}=VALUE  ", flag.long)
                } else {
                    format!("  -{c} --{} ", flag.long)
                };
                assert!(text.contains(&short), "{short} missing:\n{text}");
            }
        }
        for python_only in ["--pdb", "--sql", "--s3", "--tiny_db"] {
            assert!(!text.contains(python_only), "{python_only}");
        }
    }

    #[test]
    fn flags_show_their_defaults_and_version_is_listed() {
        let text = help().split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in [
            "[default: 10]",
            "[default: fd]",
            "[default: runs]",
            "[default: INFO]",
            "[default: config.json]",
            "--version Print the experiment's name and version and exit.",
        ] {
            assert!(text.contains(expected), "{expected} missing:\n{text}");
        }
        assert_eq!(text.matches("[default:").count(), 5, "{text}");
    }

    #[test]
    fn options_are_aligned_and_wrapped() {
        let text = help();
        let options: Vec<&str> = text
            .split("Options:\n")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .map(|block| block.lines().collect())
            .unwrap_or_default();
        assert!(options.len() > FLAGS.len(), "{text}");
        let column = "  -b VALUE --beat-interval=VALUE  ".len();
        for line in &options {
            assert!(
                line.chars().count() <= WIDTH || !line[column..].contains(' '),
                "{line}"
            );
            assert!(line.len() > column, "{line}");
            let (left, right) = line.split_at(column);
            assert!(left.ends_with("  "), "{line}");
            assert!(!right.starts_with(' '), "{line}");
        }
        assert!(text.contains(
            "  -b VALUE --beat-interval=VALUE  Set the heart-beat interval for this run."
        ));
        assert!(text.contains(&format!(
            "  {:<32}Ignore all observers for this run.\n",
            "-u --unobserved"
        )));
        assert!(text.contains(&format!("  {:<32}With print_config", "--sources")));
    }

    #[test]
    fn arguments_and_commands() {
        let text = help();
        assert!(text.contains(
            "\nArguments:\n  COMMAND  Name of command to run (see below for list of commands)\n  \
             UPDATE   Configuration assignments of the form foo.bar=17\n"
        ), "{text}");
        assert!(
            text.contains(
                "\nCommands:\n  print_config         Print the updated configuration and exit.\n"
            ),
            "{text}"
        );
        for CommandSpec {
            name,
            summary: line,
            ..
        } in CommandSpec::listed()
        {
            assert!(
                text.contains(&format!("  {name:<19}  {line}\n")),
                "{name}:\n{text}"
            );
        }
    }

    #[test]
    fn config_section_lists_params_and_seed() {
        let text = help();
        let config = text
            .split("\nConfig:\n")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or_default();
        // Continuation lines of wrapped docs start with more than two spaces.
        let lines: Vec<&str> = config
            .lines()
            .filter(|line| !line.starts_with("   "))
            .collect();
        assert_eq!(lines.len(), 5, "{config}");
        assert!(lines[0].starts_with("  lr: f64 = 0.01 "), "{config}");
        assert!(lines[0].ends_with("  The learning rate."), "{config}");
        assert_eq!(lines[1], "  optimizer: String = \"adam\"", "{config}");
        assert!(
            lines[2].starts_with("  data: PathBuf (required) "),
            "{config}"
        );
        assert!(
            lines[2].ends_with("Where the training data is."),
            "{config}"
        );
        assert_eq!(lines[3], "  layers: Vec<u32> = [64,64]", "{config}");
        assert!(lines[4].starts_with("  seed: u64  "), "{config}");
        let seed_doc = config
            .split("seed: u64")
            .nth(1)
            .map(|rest| rest.split_whitespace().collect::<Vec<_>>().join(" "));
        assert_eq!(
            seed_doc.as_deref(),
            Some("the random seed for this experiment (drawn at random when not given)")
        );
        let doc_column = lines[0].find("The learning rate.");
        assert_eq!(doc_column, lines[2].find("Where the training data is."));
    }

    #[test]
    fn user_seed_replaces_the_generated_line() {
        const WITH_SEED: &[Param] = &[
            Param::plain("seed", "u32", "", false),
            Param::plain("steps", "u32", "", true),
        ];
        let info = ExperimentInfo {
            params: WITH_SEED,
            named_configs: &[],
            ..INFO
        };
        let text = render_help("t", &info, &[DefaultValue::new("steps", 3u32)]);
        assert!(!text.contains("seed: u64"), "{text}");
        assert!(
            text.contains(&format!(
                "  {:<16}the random seed for this experiment (drawn at random when not\n",
                "seed: u32"
            )),
            "{text}"
        );
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(
                "seed: u32 the random seed for this experiment (drawn at random when not given)"
            ),
            "{text}"
        );
        assert!(text.contains("  steps: u32 = 3\n"), "{text}");

        let mut seeded = WITH_SEED.to_vec();
        seeded[0].has_default = true;
        seeded[0].doc = "Fixed seed.";
        let seeded: &'static [Param] = Box::leak(seeded.into_boxed_slice());
        let info = ExperimentInfo {
            params: seeded,
            ..info
        };
        let text = render_help("t", &info, &[DefaultValue::new("seed", 7u32)]);
        assert!(text.contains("  seed: u32 = 7"), "{text}");
        assert!(text.contains("Fixed seed."), "{text}");
        assert!(!text.contains("drawn at random"), "{text}");
    }

    #[test]
    fn missing_and_failed_defaults() {
        const ONE: &[Param] = &[
            Param::plain("a", "Weird", "", true),
            Param::plain("b", "u8", "", true),
        ];
        let info = ExperimentInfo {
            params: ONE,
            ..INFO
        };
        let defaults = [DefaultValue {
            name: "a",
            value: Err("key must be a string".to_owned()),
        }];
        let text = render_help("t", &info, &defaults);
        assert!(
            text.contains("  a: Weird (default not serialisable: key must be a string)\n"),
            "{text}"
        );
        assert!(text.contains("  b: u8\n"), "{text}");
    }

    #[test]
    fn long_defaults_are_shortened() {
        let long: Vec<u32> = (0..100).collect();
        let text = compact(&json!(long));
        assert_eq!(text.chars().count(), MAX_DEFAULT);
        assert!(text.starts_with("[0,1,2,"));
        assert!(text.ends_with("..."));
        assert_eq!(compact(&json!({"a": 1})), "{\"a\":1}");
        assert_eq!(compact(&json!(null)), "null");
        assert_eq!(compact(&json!("é".repeat(60))).chars().count(), MAX_DEFAULT);
    }

    #[test]
    fn long_left_column_puts_doc_below() {
        let rows = vec![
            ("short".to_owned(), "doc one".to_owned()),
            ("x".repeat(MAX_LEFT + 1), "doc two".to_owned()),
        ];
        let text = table(&rows);
        assert_eq!(
            text,
            format!(
                "  short  doc one\n  {}\n{}doc two\n",
                "x".repeat(MAX_LEFT + 1),
                " ".repeat(9)
            )
        );
    }

    #[test]
    fn named_configs_section() {
        let text = help();
        assert!(
            text.ends_with(&format!(
                "\nNamed configs:\n  {:<16}A small model for quick tests.\n  large_and_slow\n",
                "small"
            )),
            "{text}"
        );
        let info = ExperimentInfo {
            named_configs: &[],
            ..INFO
        };
        let text = render_help("t", &info, &defaults());
        assert!(!text.contains("Named configs"), "{text}");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("a b c", 3), vec!["a b", "c"]);
        assert_eq!(wrap("  spaced\n words  ", 80), vec!["spaced words"]);
        assert_eq!(wrap("", 10), Vec::<String>::new());
        assert_eq!(wrap("longerthanwidth x", 5), vec!["longerthanwidth", "x"]);
    }

    #[test]
    fn every_help_line_fits_unless_one_long_word() {
        for line in help().lines() {
            let fits = line.chars().count() <= WIDTH;
            let one_word = line.split_whitespace().count() == 1;
            assert!(fits || one_word, "{line}");
        }
    }

    #[test]
    fn command_help_for_every_command() {
        for CommandSpec { name, summary, .. } in CommandSpec::listed() {
            let text = render_command_help("train", name);
            let text = text.unwrap_or_default();
            assert!(text.starts_with(&format!("Usage: train {name}")), "{text}");
            assert!(text.contains(&format!("\n\n{summary}\n\n")), "{text}");
            for line in text.lines() {
                assert!(line.chars().count() <= WIDTH, "{line}");
            }
        }
        let main = render_command_help("train", "main").unwrap_or_default();
        assert!(main.starts_with("Usage: train [main] [with UPDATE...] [options]\n\n"));
        assert!(main.contains("Run the experiment function."));
    }

    #[test]
    fn command_help_mentions_its_flags() {
        let text = render_command_help("t", "print_config").unwrap_or_default();
        assert!(text.contains("--sources"), "{text}");
        let text = render_command_help("t", "save_config").unwrap_or_default();
        assert!(text.contains("--config-file"), "{text}");
        assert!(text.contains("config.json"), "{text}");
        let text = render_command_help("t", "help").unwrap_or_default();
        assert!(text.contains("`t --help`"), "{text}");
        let text = render_command_help("t", "main").unwrap_or_default();
        assert!(text.contains("--file_storage"), "{text}");
    }

    #[test]
    fn unknown_command_help_is_none() {
        assert_eq!(render_command_help("t", "print_confg"), None);
        assert_eq!(render_command_help("t", ""), None);
        assert_eq!(render_command_help("t", "with"), None);
    }
}
