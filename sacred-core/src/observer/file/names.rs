//! Names inside the storage directory: artifact names, run ids, stored copies.

use std::path::{Component, Path, PathBuf};

use super::{
    CONFIG_JSON, COUT_TXT, INFO_JSON, METRICS_JSON, RESOURCES_DIR, RUN_JSON, SOURCES_DIR, TMP_DIR,
};

/// The files of a run directory that an artifact may not replace.
const RESERVED_FILES: [&str; 5] = [RUN_JSON, CONFIG_JSON, COUT_TXT, METRICS_JSON, INFO_JSON];

/// Checks that `name` can be an artifact's name in a run directory of the file storage
/// observer: a plain file name (not empty, not `.` or `..`, without `/`, `\` or NUL) that
/// is not one of the run's own files (`run.json`, `config.json`, `cout.txt`,
/// `metrics.json`, `info.json`). Such a name can neither escape the run directory nor
/// replace its record.
///
/// # Errors
/// Says what is wrong with the name and what is allowed.
pub fn validate_artifact_name(name: &str) -> Result<(), String> {
    check_component(name, "artifact name")?;
    if RESERVED_FILES.contains(&name) {
        return Err(format!(
            "artifact name `{name}` is reserved for the run's own record; use any other plain \
             file name (not {})",
            RESERVED_FILES.join(", ")
        ));
    }
    Ok(())
}

/// Checks that a run id given as a string can name a run directory: a plain file name,
/// and not one of the storage's shared directories (`_sources`, `_resources`, `_tmp`).
pub(super) fn validate_run_dir_name(name: &str) -> Result<(), String> {
    check_component(name, "run id")?;
    if [SOURCES_DIR, RESOURCES_DIR, TMP_DIR].contains(&name) {
        return Err(format!(
            "run id `{name}` is the name of the storage's shared directory; use another id \
             (not {SOURCES_DIR}, {RESOURCES_DIR} or {TMP_DIR})"
        ));
    }
    Ok(())
}

/// The longest file name most file systems take (`NAME_MAX`), in bytes.
const MAX_NAME_BYTES: usize = 255;

/// Checks that `name` is one plain path component that a file system can hold.
fn check_component(name: &str, what: &str) -> Result<(), String> {
    const ALLOWED: &str = "a plain file name: not empty, not `.` or `..`, and without `/`, \
                           `\\` or NUL characters";
    let problem = if name.is_empty() {
        Some("is empty".to_owned())
    } else if name.len() > MAX_NAME_BYTES {
        Some(format!(
            "is {} bytes long, more than the {MAX_NAME_BYTES} a file name may have",
            name.len()
        ))
    } else if name == "." || name == ".." {
        Some("refers to a directory".to_owned())
    } else if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\' | '\0')) {
        let shown = if c == '\0' {
            "NUL".to_owned()
        } else {
            format!("`{c}`")
        };
        Some(format!("contains {shown}"))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(format!(
            "{what} `{}` {problem}; it must be {ALLOWED}",
            name.escape_debug()
        )),
        None => Ok(()),
    }
}

/// The name a source or resource is stored under: `<stem>_<md5><.ext>`, with the stem and
/// extension of `path`'s file name split as Python's `os.path.splitext` splits them.
pub(super) fn stored_name(path: &Path, md5: &str) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "file".to_owned());
    let extension = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    format!("{stem}_{md5}{extension}")
}

/// `basedir` as Python's `pathlib` would write it (`./runs/` → `runs`), for the stored
/// paths of resources, which Sacred records relative to the basedir as given.
pub(super) fn display_basedir(basedir: &Path) -> PathBuf {
    let cleaned: PathBuf = basedir
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}
