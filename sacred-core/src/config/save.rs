//! `save_config`: the resolved config written to a file, atomically.

use std::io::Write;
use std::path::Path;

use crate::Error;
use crate::atomic::AtomicFile;
use crate::cli::{Flags, Update};

/// The key of `save_config`'s own parameter, Sacred's name for the file to write:
/// `save_config with config_filename=out.yaml`.
pub(crate) const CONFIG_FILENAME_KEY: &str = "config_filename";

/// Takes `config_filename=FILE` out of `save_config`'s updates: it names the file to write
/// (the last one wins, as updates do) and is no config entry, so it is neither resolved nor
/// saved, as in Sacred. A string value is the file name; any other value is written as
/// it reads (`config_filename=7` names the file `7`).
///
/// # Errors
/// A usage error when `--config-file` is given too: the two would disagree.
pub(crate) fn take_config_filename(
    updates: Vec<Update>,
    flags: &Flags,
) -> Result<(Vec<Update>, Option<String>), Error> {
    let mut file = None;
    let mut rest = Vec::with_capacity(updates.len());
    for update in updates {
        match update {
            Update::Set { key, value, .. } if key == CONFIG_FILENAME_KEY => {
                file = Some(match value {
                    serde_json::Value::String(name) => name,
                    other => other.to_string(),
                });
            }
            other => rest.push(other),
        }
    }
    if let (Some(file), Some(flag)) = (&file, &flags.config_file) {
        return Err(Error::usage(format!(
            "`save_config` got two files: `--config-file {flag}` and `with \
             {CONFIG_FILENAME_KEY}={file}`; give one of them"
        )));
    }
    Ok((rest, file))
}

/// Writes `config` to `path` as JSON (sorted keys, two-space indent), TOML or YAML, chosen by
/// the extension. The file is written to a temporary file beside it and renamed into place,
/// so a failure leaves nothing half-written.
///
/// # Errors
/// An unknown extension (before anything is written) or an I/O error.
pub(crate) fn save_config(config: &serde_json::Value, path: &Path) -> Result<(), Error> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let text = match extension.as_str() {
        "json" => serde_json::to_string_pretty(&sorted(config)).map(|mut s| {
            s.push('\n');
            s
        }),
        // TOML has no null: a key whose value is null (an `Option` that is `None`) is left
        // out, which reads back as `None`.
        "toml" => toml::to_string_pretty(&without_nulls(config)).map_err(serde::ser::Error::custom),
        "yaml" | "yml" => serde_norway::to_string(config).map_err(serde::ser::Error::custom),
        other => {
            return Err(Error::usage(format!(
                "cannot save the config as `{}`: unknown extension `{other}`; expected one of \
                 .json, .toml, .yaml, .yml",
                path.display()
            )));
        }
    }
    .map_err(|e: serde_json::Error| Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_atomically(path, text.as_bytes())
}

/// The value with every object's keys in sorted order, whatever order the maps keep (with
/// serde_json's `preserve_order`, which other crates of a build may turn on, they keep
/// insertion order).
fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted).collect())
        }
        other => other.clone(),
    }
}

/// The value with every object entry whose value is null removed.
fn without_nulls(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(without_nulls).collect())
        }
        other => other.clone(),
    }
}

/// Writes `bytes` to a temporary file in `path`'s directory, then renames it to `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut replacement = AtomicFile::create(path).map_err(fail)?;
    replacement.file().write_all(bytes).map_err(fail)?;
    replacement.commit().map_err(fail)
}
