//! `--help` and `help COMMAND`.

use crate::experiment::{DefaultValue, ExperimentInfo};

/// The full help of an experiment.
pub fn render_help(program: &str, info: &ExperimentInfo, defaults: &[DefaultValue]) -> String {
    let _ = (info, defaults);
    format!("Usage: {program}\n")
}

/// The help of one command, or `None` when there is no such command.
pub fn render_command_help(program: &str, command: &str) -> Option<String> {
    let _ = (program, command);
    None
}
