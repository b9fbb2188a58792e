//! Tests of `lex`: flag spellings, prefixes, groups of short flags, `--`, and the errors
//! for flags that do not exist.

use super::*;
use crate::cli::flags::{FLAGS, FlagId};
use crate::cli::lex::{Lexer, Token};

/// The tokens of `line` as (flag as typed, value) or positional text, up to the first error.
fn tokens(line: &str) -> Vec<(String, Option<String>)> {
    let all = args_list(&line.split_whitespace().collect::<Vec<_>>());
    Lexer::new("exp", &all[1..])
        .map_while(Result::ok)
        .map(|token| match token {
            Token::Flag { typed, value, .. } => (typed, value),
            Token::Positional(text) => (text, None),
        })
        .collect()
}

fn owned(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), b.map(str::to_owned)))
        .collect()
}

#[test]
fn tokens_come_in_command_line_order() {
    assert_eq!(
        tokens("-uqn x print_config --na=y with a=1 -- -u --name"),
        owned(&[
            ("-u", None),
            ("-q", None),
            ("-n", Some("x")),
            ("print_config", None),
            ("--na", Some("y")),
            ("with", None),
            ("a=1", None),
            ("-u", None),
            ("--name", None),
        ])
    );
    assert_eq!(tokens("- -"), owned(&[("-", None), ("-", None)]));
}

#[test]
fn a_group_yields_its_letters_before_its_error() {
    let all = args_list(&["-ux"]);
    let mut lexer = Lexer::new("exp", &all[1..]);
    assert!(matches!(
        lexer.next(),
        Some(Ok(Token::Flag { spec, .. })) if spec.id == FlagId::Unobserved
    ));
    let message = match lexer.next() {
        Some(Err(e)) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        message,
        "unknown flag `-x` in `-ux`\nRun `exp --help` for the usage."
    );
}

#[test]
fn flag_values_are_not_checked_here() {
    assert_eq!(
        tokens("-b soon -C pipes --loglevel=loud"),
        owned(&[
            ("-b", Some("soon")),
            ("-C", Some("pipes")),
            ("--loglevel", Some("loud")),
        ])
    );
}

#[test]
fn help_after_double_dash_is_positional() {
    let inv = ok("with -- -h");
    assert_eq!(inv.command, Command::Main);
    assert_eq!(inv.updates, vec![Update::Named("-h".to_owned())]);
}

#[test]
fn double_dash_ends_flags() {
    let inv = ok("with -- a=-1 -u");
    assert!(!inv.flags.unobserved);
    assert_eq!(
        inv.updates,
        vec![set("a", json!(-1), "a=-1"), Update::Named("-u".to_owned())]
    );
    let inv = ok("-u -- print_config with --");
    assert!(inv.flags.unobserved);
    assert_eq!(inv.command, Command::PrintConfig);
    assert_eq!(inv.updates, vec![Update::Named("--".to_owned())]);
}

#[test]
fn lone_dash_is_positional() {
    let inv = ok("with -");
    assert_eq!(inv.updates, vec![Update::Named("-".to_owned())]);
}

#[test]
fn flags_anywhere() {
    let inv = ok("-u print_config -d with a=1 -f b=2 --sources");
    assert_eq!(inv.command, Command::PrintConfig);
    assert!(inv.flags.unobserved && inv.flags.debug && inv.flags.force && inv.flags.sources);
    assert_eq!(
        inv.updates,
        vec![set("a", json!(1), "a=1"), set("b", json!(2), "b=2")]
    );
}

#[test]
fn value_forms() {
    for line in [
        "--name=x", "--name x", "-nx", "-n x", "--na=x", "--na x", "-n=x",
    ] {
        assert_eq!(ok(line).flags.name.as_deref(), Some("x"), "{line}");
    }
    let inv = ok_args(&["--comment=a b=c"]);
    assert_eq!(inv.flags.comment.as_deref(), Some("a b=c"));
    let inv = ok_args(&["--comment", "with"]);
    assert_eq!(inv.flags.comment.as_deref(), Some("with"));
    assert!(inv.updates.is_empty());
}

#[test]
fn value_may_start_with_a_dash() {
    let inv = ok_args(&["-c", "-u"]);
    assert_eq!(inv.flags.comment.as_deref(), Some("-u"));
    assert!(!inv.flags.unobserved);
    let message = err("-b -1");
    assert_eq!(
        first_line(&message),
        "invalid value `-1` for `-b/--beat-interval`: expected a number of seconds, \
         finite and 0 or more"
    );
}

#[test]
fn combined_short_flags() {
    let inv = ok("-ub 0");
    assert!(inv.flags.unobserved);
    assert_eq!(inv.flags.beat_interval, Some(0.0));
    let inv = ok("-dfu");
    assert!(inv.flags.debug && inv.flags.force && inv.flags.unobserved);
    let inv = ok("-l10");
    assert_eq!(inv.flags.loglevel, Some(10));
    let inv = ok("-uqnfoo");
    assert!(inv.flags.unobserved && inv.flags.queue);
    assert_eq!(inv.flags.name.as_deref(), Some("foo"));
    assert!(!inv.flags.force);
}

#[test]
fn long_names_accept_either_separator() {
    assert_eq!(
        ok("--file-storage runs").flags.file_storage.as_deref(),
        Some("runs")
    );
    assert_eq!(
        ok("--file_storage=runs").flags.file_storage.as_deref(),
        Some("runs")
    );
    assert!(ok("--print_config").flags.print_config);
    assert!(ok("--print-config").flags.print_config);
    assert!(ok("--enforce-clean").flags.enforce_clean);
    assert_eq!(ok("--beat_interval 3").flags.beat_interval, Some(3.0));
    assert_eq!(ok("--mongo-db x").flags.mongo_db.as_deref(), Some("x"));
    assert_eq!(
        ok("--config_file c.json").flags.config_file.as_deref(),
        Some("c.json")
    );
}

#[test]
fn unique_prefixes() {
    assert!(ok("--unob").flags.unobserved);
    assert_eq!(ok("--mongo=x").flags.mongo_db.as_deref(), Some("x"));
    assert_eq!(ok("--mongo_=x").flags.mongo_db.as_deref(), Some("x"));
    assert!(ok("--print_c").flags.print_config);
    assert_eq!(ok("--prio 2").flags.priority, Some(2.0));
    assert!(ok("--so").flags.sources);
    assert_eq!(ok("--conf c").flags.config_file.as_deref(), Some("c"));
    assert_eq!(ok("--com hi").flags.comment.as_deref(), Some("hi"));
    assert!(ok("--deb").flags.debug);
    assert_eq!(ok("--dead 5").flags.dead_after, Some(5.0));
    assert!(ok("--q").flags.queue);
}

#[test]
fn ambiguous_prefixes() {
    let message = err("--pri 1");
    assert_eq!(first_line(&message), "ambiguous flag `--pri`");
    assert!(
        message.contains("it could be `--print-config`, `--priority`"),
        "{message}"
    );
    let message = err("--co x");
    assert!(
        message.contains("it could be `--comment`, `--config-file`"),
        "{message}"
    );
    let message = err("--c x");
    assert!(
        message.contains("`--capture`, `--comment`, `--config-file`"),
        "{message}"
    );
    let message = err("--f");
    assert!(message.contains("`--file_storage`, `--force`"), "{message}");
}

#[test]
fn exact_name_beats_prefix() {
    // `--id` is also a prefix of nothing else, but `--name` must not be ambiguous
    // with anything either; make sure exact names always win.
    for spec in FLAGS {
        let line = match spec.value {
            Some(_)
                if matches!(
                    spec.id,
                    FlagId::BeatInterval
                        | FlagId::Priority
                        | FlagId::Random
                        | FlagId::Jobs
                        | FlagId::MaxRuns
                        | FlagId::IdleExit
                        | FlagId::DeadAfter
                ) =>
            {
                format!("--{} 1", spec.long)
            }
            Some(_) if spec.id == FlagId::Capture => format!("--{} fd", spec.long),
            Some(_) if spec.id == FlagId::Loglevel => format!("--{} 10", spec.long),
            Some(_) => format!("--{} x", spec.long),
            None => format!("--{}", spec.long),
        };
        assert!(parse(&args(&line)).is_ok(), "{line}");
    }
}

#[test]
fn unknown_long_flag() {
    let message = err("--bogus");
    assert_eq!(
        message,
        "unknown flag `--bogus`\nRun `exp --help` for the usage."
    );
    let message = err("--unobservedd");
    assert_eq!(first_line(&message), "unknown flag `--unobservedd`");
    assert!(
        message.contains("did you mean `--unobserved`?"),
        "{message}"
    );
    let message = err("--nmae=x");
    assert_eq!(first_line(&message), "unknown flag `--nmae`");
    assert!(message.contains("did you mean `--name`?"), "{message}");
    let message = err("--=x");
    assert_eq!(first_line(&message), "unknown flag `--=x`");
}

#[test]
fn unknown_short_flag() {
    let message = err("-x");
    assert_eq!(
        message,
        "unknown flag `-x`\nRun `exp --help` for the usage."
    );
    let message = err("-ux");
    assert_eq!(first_line(&message), "unknown flag `-x` in `-ux`");
    let message = err("-U");
    assert!(message.contains("did you mean `-u`?"), "{message}");
    let message = err("-Q");
    assert!(message.contains("did you mean `-q`?"), "{message}");
}

#[test]
fn single_dash_long_name() {
    let message = err("-unobserved");
    assert_eq!(
        first_line(&message),
        "unknown flag `-unobserved`: long flags take two dashes"
    );
    assert!(
        message.contains("did you mean `--unobserved`?"),
        "{message}"
    );
    let message = err("-print_config");
    assert!(message.contains("`--print-config`"), "{message}");
    // Two letters are short flags, as docopt reads them.
    let inv = ok("-id");
    assert_eq!(inv.flags.id.as_deref(), Some("d"));
}

#[test]
fn python_only_flags() {
    let message = err("--sql sqlite://");
    assert_eq!(
        first_line(&message),
        "`--sql` is Python Sacred's SQL observer, which sacred-rs does not have"
    );
    assert!(message.contains("-F/--file_storage"), "{message}");
    let message = err("-s x");
    assert_eq!(
        first_line(&message),
        "`-s` (`-s/--sql`) is Python Sacred's SQL observer, which sacred-rs does not have"
    );
    let message = err("--s3 s3://b/p");
    assert!(
        message.starts_with("`--s3` is Python Sacred's S3 observer"),
        "{message}"
    );
    let message = err("-S x");
    assert!(message.contains("S3 observer"), "{message}");
    let message = err("--tiny_db x");
    assert!(message.starts_with("`--tiny_db` is Python Sacred's TinyDB observer"));
    let message = err("--tiny-db x");
    assert!(message.contains("TinyDB observer"), "{message}");
    let message = err("-t x");
    assert!(message.contains("TinyDB observer"), "{message}");
    let message = err("--pdb");
    assert_eq!(
        first_line(&message),
        "`--pdb` is Python Sacred's post-mortem debugger, which sacred-rs does not have"
    );
    assert!(!message.contains("observers sacred-rs has"), "{message}");
    let message = err("-uD");
    assert!(message.contains("post-mortem debugger"), "{message}");
    let message = err("-sql");
    assert!(message.contains("SQL observer"), "{message}");
    let message = err("--tiny");
    assert!(message.contains("TinyDB observer"), "{message}");
}

#[test]
fn missing_values() {
    let message = err("-n");
    assert_eq!(
        first_line(&message),
        "missing value for `-n/--name`: expected a name"
    );
    let message = err("with a=1 --file_storage");
    assert_eq!(
        first_line(&message),
        "missing value for `-F/--file_storage`: expected a directory"
    );
    let message = err("-ub");
    assert!(message.starts_with("missing value for `-b/--beat-interval`"));
    let message = err("--mongo");
    assert_eq!(
        first_line(&message),
        "missing value for `--mongo` (`-m/--mongo_db`): expected a database \
         specification `[host:port:]db_name[.collection[:run_id]][!priority]` or a `mongodb://` URI"
    );
    let message = err("--config-file");
    assert!(message.starts_with("missing value for `--config-file`"));
}

#[test]
fn boolean_flag_with_a_value() {
    let message = err("--debug=yes");
    assert_eq!(
        first_line(&message),
        "flag `-d/--debug` takes no value, found `--debug=yes`"
    );
    let message = err("--unob=1");
    assert!(
        message.starts_with("flag `--unob` (`-u/--unobserved`) takes no value"),
        "{message}"
    );
}
