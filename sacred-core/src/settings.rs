//! Project defaults: a `sacred.toml` beside `Cargo.toml` (found from the working directory
//! upwards) and environment variables; environment variables win over `sacred.toml`.
//! Command-line flags win over both: that half of the rule is applied where a run's plan is
//! resolved (`plan.rs`).
//!
//! ```toml
//! # sacred.toml
//! file_storage = "runs"          # where runs go when no observer flag is given
//! mongo_url = "mongodb://localhost:27017/sacred"   # or record in MongoDB by default
//! captured_env = ["CUDA_VISIBLE_DEVICES"]   # variables recorded in host.ENV
//! capture = "fd"                 # fd | sys | no
//! beat_interval = 10.0           # seconds; 0 means only a final beat
//! journal_dir = ".sacred/journal"   # where runs are journalled before any observer
//! ```
//!
//! Environment: `SACRED_FILE_STORAGE` (a directory), `SACRED_MONGO_URL` (a `-m` argument),
//! `SACRED_CAPTURED_ENV` (names, comma-separated), `SACRED_JOURNAL_DIR` (a directory).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{CaptureMode, is_valid_beat_interval};
use crate::{Env, Error};

/// The name of the project settings file.
pub(crate) const SETTINGS_FILE: &str = "sacred.toml";

/// Where run journals go when nothing else is configured (relative to the working
/// directory).
pub(crate) const DEFAULT_JOURNAL_DIR: &str = ".sacred/journal";

/// The directory runs go to when nothing else is configured.
pub(crate) const DEFAULT_FILE_STORAGE: &str = "runs";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    file_storage: Option<PathBuf>,
    mongo_url: Option<String>,
    captured_env: Option<Vec<String>>,
    capture: Option<String>,
    beat_interval: Option<f64>,
    journal_dir: Option<PathBuf>,
}

/// Project defaults, merged from `sacred.toml` and the environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Settings {
    /// Where runs go when no observer flag is given; when neither this nor `mongo_url` is
    /// set, [`DEFAULT_FILE_STORAGE`].
    pub file_storage: Option<PathBuf>,
    /// The MongoDB to record runs in when no observer flag is given (a `-m` argument).
    pub mongo_url: Option<String>,
    /// Environment variables recorded in `host.ENV`.
    pub captured_env: Vec<String>,
    /// The capture mode when `-C` is not given.
    pub capture: Option<CaptureMode>,
    /// The beat interval in seconds when `-b` is not given.
    pub beat_interval: Option<f64>,
    /// Where runs are journalled; when unset, [`DEFAULT_JOURNAL_DIR`] under the working
    /// directory.
    pub journal_dir: Option<PathBuf>,
    /// The settings file that was read, if any.
    pub file: Option<PathBuf>,
}

impl Settings {
    /// Reads `sacred.toml` (the first found from the working directory upwards) and the
    /// environment variables.
    ///
    /// # Errors
    /// A `sacred.toml` that cannot be read, is not valid TOML, has an unknown key or a value
    /// of the wrong type: the error names the file, the key and what was expected.
    pub(crate) fn load(env: &Env) -> Result<Self, Error> {
        let mut settings = Settings::default();
        if let Some(path) = find_upwards(env.cwd(), SETTINGS_FILE) {
            let fail = |reason: String| Error::ConfigFile {
                path: path.clone(),
                reason,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
            let file: FileSettings = toml::from_str(&text).map_err(|e| {
                fail(format!(
                    "{}expected keys file_storage (a directory), mongo_url (a -m argument), \
                     captured_env (a list of names), capture (fd, sys or no), beat_interval \
                     (seconds), journal_dir (a directory)",
                    e.to_string().trim_end().to_owned() + "\n  "
                ))
            })?;
            let dir = path.parent().unwrap_or(Path::new("."));
            settings.file_storage = file.file_storage.map(|p| dir.join(p));
            settings.mongo_url = file.mongo_url;
            settings.captured_env = file.captured_env.unwrap_or_default();
            settings.capture = match file.capture.as_deref() {
                None => None,
                Some(mode) => Some(mode.parse::<CaptureMode>().map_err(|e| {
                    let hint = e.hint().map(|h| format!("\n  {h}")).unwrap_or_default();
                    fail(format!(
                        "invalid value for `capture`: found \"{mode}\", expected {}{hint}",
                        e.expected()
                    ))
                })?),
            };
            if let Some(b) = file.beat_interval
                && !is_valid_beat_interval(b)
            {
                return Err(fail(format!(
                    "invalid value for `beat_interval`: found {b}, expected a number of \
                     seconds, 0 or more"
                )));
            }
            settings.beat_interval = file.beat_interval;
            settings.journal_dir = file.journal_dir.map(|p| dir.join(p));
            settings.file = Some(path);
        }
        if let Some(dir) = env.var("SACRED_FILE_STORAGE").filter(|v| !v.is_empty()) {
            settings.file_storage = Some(env.resolve(dir));
        }
        if let Some(dir) = env.var("SACRED_JOURNAL_DIR").filter(|v| !v.is_empty()) {
            settings.journal_dir = Some(env.resolve(dir));
        }
        if let Some(url) = env.var("SACRED_MONGO_URL").filter(|v| !v.is_empty()) {
            settings.mongo_url = Some(url.to_owned());
        }
        if let Some(names) = env.var("SACRED_CAPTURED_ENV") {
            settings.captured_env = names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
        }
        Ok(settings)
    }
}

fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn reads_sacred_toml_from_a_parent_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap_or_else(|e| panic!("{e}"));
        write(
            &dir.path().join(SETTINGS_FILE),
            "file_storage = \"store\"\ncaptured_env = [\"HOME\"]\ncapture = \"sys\"\nbeat_interval = 2.5\n\
             journal_dir = \"journals\"\n",
        );
        let settings = Settings::load(&Env::captured(&nested)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.file_storage, Some(dir.path().join("store")));
        assert_eq!(settings.captured_env, ["HOME"]);
        assert_eq!(settings.capture, Some(CaptureMode::Sys));
        assert_eq!(settings.beat_interval, Some(2.5));
        assert_eq!(settings.journal_dir, Some(dir.path().join("journals")));
        let env = Env::captured(&nested)
            .with_var("SACRED_JOURNAL_DIR", "j")
            .with_var("SACRED_FILE_STORAGE", "elsewhere")
            .with_var("SACRED_CAPTURED_ENV", "A, B");
        let settings = Settings::load(&env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.file_storage, Some(nested.join("elsewhere")));
        assert_eq!(settings.captured_env, ["A", "B"]);
        assert_eq!(settings.journal_dir, Some(nested.join("j")));
    }

    #[test]
    fn bad_settings_name_the_file_and_the_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(&dir.path().join(SETTINGS_FILE), "file_storrage = \"x\"\n");
        let e = Settings::load(&Env::captured(dir.path()))
            .map(|_| ())
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("sacred.toml") && text.contains("file_storrage"),
            "{text}"
        );
        write(&dir.path().join(SETTINGS_FILE), "capture = \"pipes\"\n");
        let text = Settings::load(&Env::captured(dir.path()))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(text.contains("capture") && text.contains("pipes"), "{text}");
    }

    #[test]
    fn capture_is_read_in_any_case_like_the_flag() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (text, mode) in [
            ("FD", CaptureMode::Fd),
            ("Sys", CaptureMode::Sys),
            ("no", CaptureMode::No),
        ] {
            write(
                &dir.path().join(SETTINGS_FILE),
                &format!("capture = \"{text}\"\n"),
            );
            let settings =
                Settings::load(&Env::captured(dir.path())).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(settings.capture, Some(mode), "{text}");
        }
        write(&dir.path().join(SETTINGS_FILE), "capture = \"SY\"\n");
        let text = Settings::load(&Env::captured(dir.path()))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains(
                "invalid value for `capture`: found \"SY\", expected one of `fd`, `sys`, `no`\n  \
                 did you mean `sys`?"
            ),
            "{text}"
        );
    }

    #[test]
    fn beat_interval_must_be_finite_and_not_negative() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for bad in ["-1.0", "inf", "nan"] {
            write(
                &dir.path().join(SETTINGS_FILE),
                &format!("beat_interval = {bad}\n"),
            );
            let text = Settings::load(&Env::captured(dir.path()))
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(
                text.contains("invalid value for `beat_interval`: found")
                    && text.contains("expected a number of seconds, 0 or more"),
                "{bad}: {text}"
            );
        }
        write(&dir.path().join(SETTINGS_FILE), "beat_interval = 0.0\n");
        let settings = Settings::load(&Env::captured(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.beat_interval, Some(0.0));
    }
}
