//! What the tests of the `runs` commands share: running them in process, as the `sacred`
//! tool does, and reading their tables.

use std::path::Path;
use std::process::Output;

use sacred::{Env, Error};

/// `runs ARGS…` in `cwd`, as `sacred` runs it: what it printed, or the error.
pub(crate) fn runs(cwd: &Path, args: &[&str]) -> Result<String, Error> {
    let env = Env::captured(cwd);
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    sacred::runs_from(&args, &env).map(|()| env.stdout_text())
}

/// [`runs`] that must succeed.
pub(crate) fn ok(cwd: &Path, args: &[&str]) -> String {
    runs(cwd, args).unwrap_or_else(|e| panic!("runs {args:?}: {e}"))
}

/// The first column of a table's lines after its header: the ids of `runs ls`.
pub(crate) fn ids(table: &str) -> Vec<String> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// The words of the first line of `text` that starts (after its indent) with `label`:
/// a metric's line of `runs show`, an artifact's.
pub(crate) fn words_of(text: &str, label: &str) -> Vec<String> {
    text.lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line `{label}` in\n{text}"))
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Runs the golden example in `cwd` (with no MongoDB of the machine's settings) and checks
/// that it exits with `code`.
pub(crate) fn golden(cwd: &Path, args: &[&str], code: i32) -> Output {
    let out = super::example("golden", cwd)
        .env_remove("SACRED_MONGO_URL")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running golden: {e}"));
    assert_eq!(
        out.status.code(),
        Some(code),
        "golden {args:?}:\n{}\n{}",
        super::text(&out.stdout),
        super::text(&out.stderr)
    );
    out
}
