//! The flags of a run, written back as a command line for a child process that runs it.

use crate::cli::{CaptureMode, Flags};

/// The flags of `flags` that shape a run (observers, capture, beats, labels), as
/// arguments: what a sweep's or a worker's child gets. The flags of the parent's own
/// command (`-q`, `--random`, `-j`, the worker's) and `-i` are left out.
pub(super) fn run_flags(flags: &Flags) -> Vec<String> {
    let mut args = Vec::new();
    let mut valued = |flag: &str, value: Option<String>| {
        if let Some(value) = value {
            args.push(flag.to_owned());
            args.push(value);
        }
    };
    valued("-b", flags.beat_interval.map(|b| b.to_string()));
    valued(
        "-C",
        flags.capture.map(|c| CaptureMode::as_str(c).to_owned()),
    );
    valued("-c", flags.comment.clone());
    valued("-F", flags.file_storage.clone());
    // As given (`WARNING`), so that the child records it as Sacred does.
    valued(
        "-l",
        flags
            .loglevel_given
            .clone()
            .or_else(|| flags.loglevel.map(|l| l.to_string())),
    );
    valued("-m", flags.mongo_db.clone());
    valued("-n", flags.name.clone());
    valued("-P", flags.priority.map(|p| p.to_string()));
    for (given, flag) in [
        (flags.debug, "-d"),
        (flags.enforce_clean, "-e"),
        (flags.force, "-f"),
        (flags.print_config, "-p"),
        (flags.unobserved, "-u"),
    ] {
        if given {
            args.push(flag.to_owned());
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_of_a_run_come_back() {
        let flags = Flags {
            beat_interval: Some(0.5),
            capture: Some(CaptureMode::Sys),
            file_storage: Some("runs".to_owned()),
            mongo_db: Some("h:1:db".to_owned()),
            force: true,
            queue: true,
            random: Some(3),
            loglevel: Some(30),
            loglevel_given: Some("WARNING".to_owned()),
            ..Flags::default()
        };
        assert_eq!(
            run_flags(&flags),
            [
                "-b", "0.5", "-C", "sys", "-F", "runs", "-l", "WARNING", "-m", "h:1:db", "-f"
            ]
        );
    }
}
