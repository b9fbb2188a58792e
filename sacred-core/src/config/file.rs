//! Config files given with `with PATH`: TOML, JSON or YAML, chosen by extension.

use std::path::{Path, PathBuf};

use crate::Error;

/// The largest config file read (MongoDB's limit for a whole run document).
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The deepest nesting of a config file (serde_json's own limit).
const MAX_DEPTH: usize = 128;

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
    match std::fs::metadata(resolved) {
        Ok(meta) if meta.is_dir() => {
            return Err(fail(
                "it is a directory; expected a .toml, .json or .yaml file".to_owned(),
            ));
        }
        Ok(meta) if meta.len() > MAX_BYTES => {
            return Err(fail(format!(
                "it is {} bytes, more than the {MAX_BYTES} a config may have",
                meta.len()
            )));
        }
        _ => {}
    }
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
            // The YAML parser reads a whole deeply nested document before it gives up, which
            // takes seconds: the nesting is checked first.
            if let Some(line) = too_deep(&text) {
                return Err(fail(format!(
                    "invalid YAML: nested more than {MAX_DEPTH} levels deep at line {line}"
                )));
            }
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

/// The line where the flow collections (`[`, `{`) of a YAML text nest deeper than
/// [`MAX_DEPTH`], if they do. Quoted text and comments are skipped; block nesting is the
/// parser's to limit.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = ' ';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
        } else if comment {
        } else if let Some(q) = quote {
            if c == q && previous != '\\' {
                quote = None;
            }
        } else {
            match c {
                '"' | '\'' => quote = Some(c),
                '#' if previous.is_whitespace() => comment = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(line);
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        previous = c;
    }
    None
}

/// Where `save_config` writes when `--config-file` is not given.
pub(crate) fn default_save_path() -> PathBuf {
    PathBuf::from(DEFAULT_SAVE_FILE)
}

/// The file `save_config` writes when not told which.
pub(crate) const DEFAULT_SAVE_FILE: &str = "config.json";
