//! Tests of `grammar` and `command`: the command, `help COMMAND`, and the updates after
//! `with`.

use super::*;
use crate::cli::command::CommandSpec;

#[test]
fn no_command_is_main() {
    let inv = ok("");
    assert_eq!(inv.command, Command::Main);
    assert!(inv.updates.is_empty());
    assert_eq!(inv.flags, Flags::default());
}

#[test]
fn built_in_commands() {
    assert_eq!(ok("print_config").command, Command::PrintConfig);
    assert_eq!(
        ok("print_named_configs").command,
        Command::PrintNamedConfigs
    );
    assert_eq!(ok("save_config").command, Command::SaveConfig);
    assert_eq!(ok("main").command, Command::Main);
    assert_eq!(ok("help").command, Command::Help(None));
    assert_eq!(
        ok("help print_config").command,
        Command::Help(Some("print_config".to_owned()))
    );
    assert_eq!(
        ok("help nonsense").command,
        Command::Help(Some("nonsense".to_owned()))
    );
}

#[test]
fn every_built_in_command_parses() {
    for CommandSpec { name, .. } in CommandSpec::listed() {
        // `rerun` takes the id of the run.
        let line = if *name == "rerun" {
            format!("{name} 3")
        } else {
            (*name).to_owned()
        };
        let inv = ok(&line);
        assert_eq!(inv.command.name(), *name);
    }
    assert_eq!(ok("rerun 3").command, Command::Rerun("3".to_owned()));
    assert!(err("rerun").contains("takes one run id"));
    assert!(err("rerun 1 2").contains("takes one run id"));
    assert!(err("rerun 1 with a=1").contains("takes one run id"));
}

#[test]
fn unknown_command_suggests_and_lists() {
    let message = err("print_confg");
    assert_eq!(first_line(&message), "unknown command `print_confg`");
    assert!(
        message.contains("did you mean `print_config`?"),
        "{message}"
    );
    assert!(
        message.contains(
            "available commands: `print_config`, `print_named_configs`, `save_config`, `print_dependencies`, `sync`, `sweep`, `worker`, `rerun`, `dead`, `runs`, `help`"
        ),
        "{message}"
    );
}

#[test]
fn unknown_command_far_from_any_hints_with() {
    let message = err("small_model");
    assert_eq!(first_line(&message), "unknown command `small_model`");
    assert!(!message.contains("did you mean"), "{message}");
    assert!(
        message.contains("come after `with`: `with small_model`"),
        "{message}"
    );
    assert!(message.contains("available commands:"), "{message}");
}

#[test]
fn second_positional_is_an_error() {
    let message = err("print_config foo");
    assert_eq!(
        first_line(&message),
        "unexpected argument `foo` after command `print_config`"
    );
    assert!(message.contains("`exp print_config with foo`"), "{message}");
    let message = err("help a b");
    assert_eq!(
        first_line(&message),
        "unexpected argument `b` after `help a`"
    );
    let message = err("help print_config with a=1");
    assert_eq!(first_line(&message), "`help` takes no `with` updates");
}

#[test]
fn update_before_with_hints() {
    let message = err("lr=3");
    assert_eq!(
        first_line(&message),
        "unexpected config update `lr=3` before `with`"
    );
    assert!(
        message.contains("config updates come after `with`: `with lr=3`"),
        "{message}"
    );
    let message = err("print_config lr=3 bs=2");
    assert_eq!(
        first_line(&message),
        "unexpected config update `lr=3` before `with`"
    );
    assert!(message.contains("`with lr=3 bs=2`"), "{message}");
    let message = err("lr=3 with bs=2");
    assert!(message.contains("`with lr=3`"), "{message}");
}

#[test]
fn updates_after_with() {
    let inv = ok("with lr=0.1 steps=10 name=adam small flags=[1,2]");
    assert_eq!(inv.command, Command::Main);
    assert_eq!(
        inv.updates,
        vec![
            set("lr", json!(0.1), "lr=0.1"),
            set("steps", json!(10), "steps=10"),
            set("name", json!("adam"), "name=adam"),
            Update::Named("small".to_owned()),
            set("flags", json!([1, 2]), "flags=[1,2]"),
        ]
    );
}

#[test]
fn updates_with_a_command() {
    let inv = ok("print_config with optimizer.lr=1e-3 config.json");
    assert_eq!(inv.command, Command::PrintConfig);
    assert_eq!(
        inv.updates,
        vec![
            set("optimizer.lr", json!(0.001), "optimizer.lr=1e-3"),
            Update::Named("config.json".to_owned()),
        ]
    );
}

#[test]
fn update_splits_at_the_first_equals_and_trims() {
    let inv = ok("with a=b=c");
    assert_eq!(inv.updates, vec![set("a", json!("b=c"), "a=b=c")]);
    let inv = ok_args(&["with", " lr = 0.5 ", "x=", "y= 'a b' "]);
    assert_eq!(
        inv.updates,
        vec![
            set("lr", json!(0.5), " lr = 0.5 "),
            set("x", json!(""), "x="),
            set("y", json!("a b"), "y= 'a b' "),
        ]
    );
}

#[test]
fn update_values_are_parsed() {
    let inv = ok_args(&[
        "with",
        "a=1",
        "b=true",
        "c=None",
        "d={x: 1}",
        "e='quoted'",
        "f=hello world",
    ]);
    let values: Vec<serde_json::Value> = inv
        .updates
        .into_iter()
        .filter_map(|u| match u {
            Update::Set { value, .. } => Some(value),
            Update::Named(_) => None,
        })
        .collect();
    assert_eq!(
        values,
        vec![
            json!(1),
            json!(true),
            json!(null),
            json!({"x": 1}),
            json!("quoted"),
            json!("hello world"),
        ]
    );
}

#[test]
fn empty_tokens_are_ignored() {
    let inv = ok_args(&["", "with", "", "a=1", "  "]);
    assert_eq!(inv.command, Command::Main);
    assert_eq!(inv.updates, vec![set("a", json!(1), "a=1")]);
    let inv = ok_args(&["print_config", "", "with"]);
    assert_eq!(inv.command, Command::PrintConfig);
    assert!(inv.updates.is_empty());
}

#[test]
fn with_without_updates_is_fine() {
    let inv = ok("with");
    assert_eq!(inv.command, Command::Main);
    assert!(inv.updates.is_empty());
    let inv = ok("save_config with -u");
    assert_eq!(inv.command, Command::SaveConfig);
    assert!(inv.flags.unobserved);
}

#[test]
fn named_updates_are_trimmed() {
    let inv = ok_args(&["with", " small "]);
    assert_eq!(inv.updates, vec![Update::Named("small".to_owned())]);
}

#[test]
fn with_given_twice() {
    let message = err("with a=1 with b=2");
    assert_eq!(first_line(&message), "`with` given twice");
}

#[test]
fn bad_update_keys() {
    let message = err("with =3");
    assert_eq!(
        first_line(&message),
        "missing config key in `=3`: expected KEY=VALUE"
    );
    let message = err_args(&args_list(&["with", " =3"]));
    assert!(message.starts_with("missing config key"), "{message}");
    for key in ["a..b", ".a", "a.", "a[0]", "a b", "a'"] {
        let token = format!("{key}=3");
        let message = err_args(&args_list(&["with", &token]));
        assert_eq!(
            first_line(&message),
            format!("invalid config key `{key}` in `{token}`: expected a dotted name"),
        );
    }
}

#[test]
fn good_update_keys() {
    for key in ["a", "a.b.c", "batch_size", "layer-2", "x1.y_2", "é"] {
        let token = format!("{key}=1");
        let inv = ok_args(&["with", &token]);
        assert_eq!(inv.updates, vec![set(key, json!(1), &token)]);
    }
}
