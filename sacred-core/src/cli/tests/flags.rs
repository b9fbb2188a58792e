//! Tests of `flags`: the flag table, the values each flag accepts, and repetition.

use super::*;
use crate::cli::flags::{FLAGS, UNSUPPORTED, normalize};

#[test]
fn every_boolean_flag() {
    let inv = ok("-d -e -f -p -q -u --sources");
    let expected = Flags {
        debug: true,
        enforce_clean: true,
        force: true,
        print_config: true,
        queue: true,
        unobserved: true,
        sources: true,
        ..Flags::default()
    };
    assert_eq!(inv.flags, expected);
    let inv = ok("--debug --enforce_clean --force --print-config --queue --unobserved");
    assert_eq!(
        inv.flags,
        Flags {
            sources: false,
            ..expected
        }
    );
}

#[test]
fn every_value_flag() {
    let inv = ok(
        "-b 2.5 -C sys -c note -F runs -i 7 -l INFO -m host:27017:db -n trial -P 3 \
         --config-file out.json",
    );
    assert_eq!(
        inv.flags,
        Flags {
            beat_interval: Some(2.5),
            capture: Some(CaptureMode::Sys),
            comment: Some("note".to_owned()),
            file_storage: Some("runs".to_owned()),
            id: Some("7".to_owned()),
            loglevel: Some(20),
            loglevel_given: Some("INFO".to_owned()),
            mongo_db: Some("host:27017:db".to_owned()),
            name: Some("trial".to_owned()),
            priority: Some(3.0),
            config_file: Some("out.json".to_owned()),
            ..Flags::default()
        }
    );
}

#[test]
fn empty_comment_is_allowed() {
    let inv = ok_args(&["--comment="]);
    assert_eq!(inv.flags.comment.as_deref(), Some(""));
}

#[test]
fn empty_values_are_rejected_where_meaningless() {
    let message = err_args(&args_list(&["--name="]));
    assert_eq!(
        first_line(&message),
        "invalid value `` for `-n/--name`: expected a name"
    );
    let message = err_args(&args_list(&["-F", " "]));
    assert!(
        message.starts_with("invalid value ` ` for `-F/--file_storage`: expected a directory"),
        "{message}"
    );
}

#[test]
fn repeated_flags() {
    for line in [
        "-u -u",
        "-uu",
        "-u --unobserved",
        "--unob --unobserved",
        "-n a --name b",
        "--file_storage a --file-storage b",
        "-p --print_config",
    ] {
        let message = err(line);
        assert!(
            first_line(&message).ends_with("` given more than once"),
            "{line}: {message}"
        );
    }
    assert_eq!(
        first_line(&err("-n a -n b")),
        "`-n/--name` given more than once"
    );
    assert_eq!(
        first_line(&err("--sources --sources")),
        "`--sources` given more than once"
    );
}

#[test]
fn beat_interval_values() {
    assert_eq!(ok("-b 0").flags.beat_interval, Some(0.0));
    assert_eq!(ok("-b 10").flags.beat_interval, Some(10.0));
    assert_eq!(ok("-b 0.25").flags.beat_interval, Some(0.25));
    assert_eq!(ok("--beat-interval=1e1").flags.beat_interval, Some(10.0));
    let message = err("-b soon");
    assert_eq!(
        first_line(&message),
        "invalid value `soon` for `-b/--beat-interval`: expected a number of seconds"
    );
    for bad in ["inf", "NaN", "-0.5", "1e400"] {
        let message = err(&format!("-b {bad}"));
        assert!(
            first_line(&message).starts_with(&format!(
                "invalid value `{bad}` for `-b/--beat-interval`: expected a number of seconds"
            )),
            "{message}"
        );
    }
}

#[test]
fn capture_values() {
    assert_eq!(ok("-C fd").flags.capture, Some(CaptureMode::Fd));
    assert_eq!(ok("-C sys").flags.capture, Some(CaptureMode::Sys));
    assert_eq!(ok("--capture=no").flags.capture, Some(CaptureMode::No));
    assert_eq!(ok("-CSYS").flags.capture, Some(CaptureMode::Sys));
    let message = err("-C sy");
    assert_eq!(
        first_line(&message),
        "invalid value `sy` for `-C/--capture`: expected one of `fd`, `sys`, `no`"
    );
    assert!(message.contains("did you mean `sys`?"), "{message}");
}

#[test]
fn loglevel_values() {
    for (text, level) in [
        ("0", 0),
        ("10", 10),
        ("50", 50),
        ("DEBUG", 10),
        ("debug", 10),
        ("Info", 20),
        ("WARNING", 30),
        ("warn", 30),
        ("ERROR", 40),
        ("critical", 50),
    ] {
        assert_eq!(
            ok(&format!("-l {text}")).flags.loglevel,
            Some(level),
            "{text}"
        );
    }
    for bad in ["51", "-1", "256", "verbose", "10.0", "INFOO"] {
        let message = err(&format!("--loglevel {bad}"));
        assert_eq!(
            first_line(&message),
            format!(
                "invalid value `{bad}` for `-l/--loglevel`: expected a number from 0 \
                 to 50 or one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
            )
        );
    }
    assert!(err("-l INFOO").contains("did you mean `INFO`?"));
    assert!(err("-l warnig").contains("did you mean `WARNING`?"));
}

#[test]
fn priority_values() {
    assert_eq!(ok("-P 1.5").flags.priority, Some(1.5));
    assert_eq!(ok("-P -2").flags.priority, Some(-2.0));
    let message = err("--priority high");
    assert_eq!(
        first_line(&message),
        "invalid value `high` for `-P/--priority`: expected a number"
    );
    assert!(err("-P nan").starts_with("invalid value `nan`"));
}

#[test]
fn string_values_are_kept_verbatim() {
    let inv = ok_args(&[
        "-m",
        "user:pw@host:27017:db.runs!2",
        "-i",
        " 42 ",
        "-c",
        " x ",
    ]);
    assert_eq!(
        inv.flags.mongo_db.as_deref(),
        Some("user:pw@host:27017:db.runs!2")
    );
    assert_eq!(inv.flags.id.as_deref(), Some(" 42 "));
    assert_eq!(inv.flags.comment.as_deref(), Some(" x "));
}

#[test]
fn flag_table_is_consistent() {
    let mut shorts: Vec<char> = FLAGS.iter().filter_map(|f| f.short).collect();
    let count = shorts.len();
    shorts.sort_unstable();
    shorts.dedup();
    assert_eq!(shorts.len(), count);
    for unsupported in UNSUPPORTED {
        assert!(!shorts.contains(&unsupported.short));
    }
    let mut longs: Vec<String> = FLAGS.iter().map(|f| normalize(f.long)).collect();
    longs.sort();
    longs.dedup();
    assert_eq!(longs.len(), FLAGS.len());
}

#[test]
fn capture_mode_from_str_and_as_str() {
    for mode in [CaptureMode::Fd, CaptureMode::Sys, CaptureMode::No] {
        assert_eq!(mode.as_str().parse::<CaptureMode>(), Ok(mode));
        assert_eq!(
            mode.as_str().to_uppercase().parse::<CaptureMode>(),
            Ok(mode)
        );
    }
    assert_eq!(CaptureMode::Fd.as_str(), "fd");
    assert_eq!(CaptureMode::Sys.as_str(), "sys");
    assert_eq!(CaptureMode::No.as_str(), "no");
    assert_eq!(" Sys ".parse::<CaptureMode>(), Ok(CaptureMode::Sys));
    let error = "sy".parse::<CaptureMode>().map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid capture mode `sy`: expected one of `fd`, `sys`, `no`"
    );
    assert_eq!(error.expected(), "one of `fd`, `sys`, `no`");
    assert_eq!(error.hint().as_deref(), Some("did you mean `sys`?"));
    let error = "pipes".parse::<CaptureMode>().map(|_| ()).unwrap_err();
    assert_eq!(error.hint(), None);
}

#[test]
fn beat_interval_validity() {
    for good in [0.0, 0.25, 10.0, 1e300] {
        assert!(is_valid_beat_interval(good), "{good}");
    }
    for bad in [-0.5, f64::INFINITY, f64::NAN, f64::NEG_INFINITY] {
        assert!(!is_valid_beat_interval(bad), "{bad}");
    }
}

#[test]
fn names_ids_and_comments_cannot_forge_log_lines() {
    for flag in ["-n", "-c", "-i"] {
        let message = err_args(&args_list(&[flag, "run\nINFO - golden - Completed"]));
        assert!(
            message.contains("\"run\\nINFO - golden - Completed\""),
            "the value is shown escaped: {message}"
        );
        assert!(message.contains("without control characters"), "{message}");
        assert_eq!(message.lines().count(), 2, "{message}");
        let message = err_args(&args_list(&[flag, "a\u{1b}[31mred"]));
        assert!(message.contains("\\u{1b}"), "{message}");
    }
    assert_eq!(
        ok_args(&["-n", "trial 2 – ünïcode"]).flags.name.as_deref(),
        Some("trial 2 – ünïcode")
    );
}

#[test]
fn version_is_a_flag_that_wins_over_mistakes_in_the_command() {
    assert!(ok("--version").flags.version);
    assert!(ok("--vers").flags.version);
    assert!(ok("--version --version").flags.version);
    let inv = ok_args(&["print_config", "--version", "extra", "words"]);
    assert!(inv.flags.version);
    assert_eq!(inv.command, Command::Main);
}
