//! Tests of the command-line parser, through [`parse`]: here what concerns the whole
//! command line (the program name, `-h` against everything else, the error format); the
//! lexer, the flag values and the positional grammar each have a file of their own.

mod flags;
mod grammar;
mod lex;

use super::*;
use serde_json::json;

fn args(line: &str) -> Vec<String> {
    std::iter::once("./exp".to_owned())
        .chain(line.split_whitespace().map(str::to_owned))
        .collect()
}

fn args_list(list: &[&str]) -> Vec<String> {
    std::iter::once("exp")
        .chain(list.iter().copied())
        .map(str::to_owned)
        .collect()
}

fn ok(line: &str) -> Invocation {
    match parse(&args(line)) {
        Ok(invocation) => invocation,
        Err(e) => panic!("`{line}` failed: {e}"),
    }
}

fn ok_args(list: &[&str]) -> Invocation {
    let all: Vec<String> = std::iter::once("exp")
        .chain(list.iter().copied())
        .map(str::to_owned)
        .collect();
    match parse(&all) {
        Ok(invocation) => invocation,
        Err(e) => panic!("{list:?} failed: {e}"),
    }
}

fn err(line: &str) -> String {
    err_args(&args(line))
}

fn err_args(all: &[String]) -> String {
    match parse(all) {
        Ok(invocation) => panic!("{all:?} parsed: {invocation:?}"),
        Err(e) => {
            assert!(matches!(e, Error::Usage { .. }), "{e:?}");
            assert_eq!(e.exit_code(), 2);
            let message = e.to_string();
            assert!(
                message.ends_with("\nRun `exp --help` for the usage."),
                "{message}"
            );
            message
        }
    }
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

fn set(key: &str, value: serde_json::Value, token: &str) -> Update {
    Update::Set {
        key: key.to_owned(),
        value,
        token: token.to_owned(),
    }
}

#[test]
fn program_name_is_the_file_name() {
    assert_eq!(ok("").program, "exp");
    let inv = parse(&["/usr/local/bin/train".to_owned()]);
    assert_eq!(inv.map(|i| i.program).ok().as_deref(), Some("train"));
    let inv = parse(&[r"C:\bin\train.exe".to_owned()]);
    assert_eq!(inv.map(|i| i.program).ok().as_deref(), Some("train.exe"));
    let inv = parse(&["train".to_owned()]);
    assert_eq!(inv.map(|i| i.program).ok().as_deref(), Some("train"));
}

#[test]
fn empty_args_use_a_default_program_name() {
    let inv = parse(&[]);
    assert!(inv.as_ref().is_ok_and(|i| i.program == "experiment"));
    assert!(inv.is_ok_and(|i| i.command == Command::Main));
    let inv = parse(&[String::new()]);
    assert!(inv.is_ok_and(|i| i.program == "experiment"));
}

#[test]
fn help_flag_anywhere_wins() {
    for line in [
        "-h",
        "--help",
        "--he",
        "print_config -h",
        "-h save_config with a=1",
        "help save_config --help",
        "with a=1 -uh",
        "-h -h",
        "-h --help",
    ] {
        let inv = ok(line);
        assert_eq!(inv.command, Command::Help(None), "{line}");
    }
}

#[test]
fn help_flag_wins_over_positional_errors() {
    assert_eq!(ok("bogus -h").command, Command::Help(None));
    assert_eq!(ok("print_config foo --help").command, Command::Help(None));
    assert_eq!(ok("with a=1 with b=2 -h").command, Command::Help(None));
    let inv = ok("-h with a=1 b");
    assert_eq!(
        inv.updates,
        vec![set("a", json!(1), "a=1"), Update::Named("b".to_owned())]
    );
}

#[test]
fn help_flag_does_not_hide_flag_errors() {
    let message = err("-h --bogus");
    assert!(message.starts_with("unknown flag `--bogus`"), "{message}");
    let message = err("-h -n");
    assert!(message.starts_with("missing value"), "{message}");
}

#[test]
fn every_error_names_the_help_flag() {
    // `err` asserts the last line; here just a spread of different errors.
    for line in [
        "nope",
        "print_config x",
        "a=1",
        "with =1",
        "with a=1 with",
        "--nope",
        "-x",
        "-n",
        "-l x",
        "--sql x",
        "--p",
        "-uu",
    ] {
        let message = err(line);
        assert!(!first_line(&message).is_empty(), "{line}");
    }
}
