//! Config files given with `with PATH`: TOML, JSON or YAML, chosen by extension.

use std::path::{Path, PathBuf};

use crate::Error;

/// The extensions a config file may have.
pub(crate) const EXTENSIONS: &[&str] = &["toml", "json", "yaml", "yml"];

/// Whether a `with` token names a config file: it has a config extension, or a file of
/// that name exists.
pub(crate) fn looks_like_file(token: &str, resolved: &Path) -> bool {
    has_config_extension(Path::new(token)) || resolved.is_file()
}

fn has_config_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Reads and parses a config file into a JSON value.
///
/// # Errors
/// A missing or unreadable file, an unknown extension, or a malformed file: the error
/// names the file and, where the parser says, the line.
pub(crate) fn load(given: &Path, resolved: &Path) -> Result<serde_json::Value, Error> {
    let fail = |reason: String| Error::ConfigFile {
        path: given.to_path_buf(),
        reason,
    };
    let extension = given
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let text = std::fs::read_to_string(resolved).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(format!(
            "no such file (looked for `{}`); expected an existing .toml, .json or .yaml file",
            resolved.display()
        )),
        _ => fail(e.to_string()),
    })?;
    let value: serde_json::Value = match extension.as_str() {
        "toml" => toml::from_str(&text).map_err(|e| fail(format!("invalid TOML: {e}")))?,
        "json" => serde_json::from_str(&text).map_err(|e| fail(format!("invalid JSON: {e}")))?,
        "yaml" | "yml" => {
            serde_norway::from_str(&text).map_err(|e| fail(format!("invalid YAML: {e}")))?
        }
        other => {
            return Err(fail(format!(
                "unknown extension `{other}`; expected one of .toml, .json, .yaml, .yml"
            )));
        }
    };
    if !value.is_object() {
        return Err(fail(format!(
            "expected a table of config values at the top, found {}",
            super::render::kind(&value)
        )));
    }
    Ok(value)
}

/// Where `save_config` writes when `--config-file` is not given.
pub(crate) fn default_save_path() -> PathBuf {
    PathBuf::from("config.json")
}
