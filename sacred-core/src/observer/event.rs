//! The events observers receive.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::time::Timestamp;

/// A run's id: an integer allocated by an observer, or a string given with `-i`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum RunId {
    /// An allocated id (file storage directory number, MongoDB `_id`).
    Int(i64),
    /// A given id.
    Str(String),
}

impl RunId {
    /// Parses an id given on the command line: all digits is an integer, as Sacred's
    /// observers treat directory names.
    pub fn parse(text: &str) -> Self {
        match text.parse::<i64>() {
            Ok(n) if !text.starts_with('+') && n >= 0 => RunId::Int(n),
            _ => RunId::Str(text.to_owned()),
        }
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunId::Int(n) => write!(f, "{n}"),
            RunId::Str(s) => f.write_str(s),
        }
    }
}

/// One source file of the experiment, embedded in the binary at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceFile {
    /// The path relative to the experiment's `base_dir`.
    pub path: &'static str,
    /// The file's contents when the binary was built.
    pub content: &'static [u8],
}

/// A version-control repository the experiment's sources live in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repository {
    /// The `origin` remote's URL with any credentials removed, or `git:/<dir>` without one.
    pub url: String,
    /// The commit checked out.
    pub commit: String,
    /// Whether tracked files differ from the commit (untracked files do not count).
    pub dirty: bool,
    /// The uncommitted changes (`git diff HEAD`), stored as an artifact when non-empty.
    #[serde(skip)]
    pub diff: String,
}

/// What the experiment is: Sacred's `experiment` record.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRecord {
    /// The experiment's name.
    pub name: String,
    /// The absolute directory the sources are relative to.
    pub base_dir: String,
    /// The main file, relative to `base_dir`.
    pub mainfile: String,
    /// The source files with their contents; observers store them and their md5.
    pub sources: Vec<SourceFile>,
    /// `name==version` of every dependency, sorted case-insensitively.
    pub dependencies: Vec<String>,
    /// The repositories of the sources.
    pub repositories: Vec<Repository>,
}

/// The run was queued instead of run.
#[derive(Debug, Clone)]
pub struct QueuedEvent {
    /// The id given with `-i`, if any.
    pub id: Option<RunId>,
    /// The experiment.
    pub experiment: Arc<ExperimentRecord>,
    /// The command (`main`).
    pub command: String,
    /// Host information.
    pub host: serde_json::Value,
    /// When it was queued.
    pub queue_time: Timestamp,
    /// The resolved config.
    pub config: serde_json::Value,
    /// Sacred's `meta`: command, options, config updates, named configs, comment, priority.
    pub meta: serde_json::Value,
}

/// The run started.
#[derive(Debug, Clone)]
pub struct StartedEvent {
    /// The id: given with `-i`, or allocated by a higher-priority observer.
    pub id: Option<RunId>,
    /// The experiment.
    pub experiment: Arc<ExperimentRecord>,
    /// The command (`main`).
    pub command: String,
    /// Host information: Sacred's keys (`hostname`, `os`, `cpu`, `gpus`, `ENV`) and Rust's.
    pub host: serde_json::Value,
    /// When it started.
    pub start_time: Timestamp,
    /// The resolved config.
    pub config: serde_json::Value,
    /// Sacred's `meta`: command, options, config updates, named configs, comment, priority.
    pub meta: serde_json::Value,
}

/// The points of one metric logged since the previous beat.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSeries {
    /// The metric's name.
    pub name: String,
    /// The steps.
    pub steps: Vec<u64>,
    /// The values.
    pub values: Vec<f64>,
    /// When each was logged.
    pub timestamps: Vec<Timestamp>,
}

/// Metric points logged since the previous beat.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsEvent {
    /// One series per metric name that has new points, in order of first logging.
    pub series: Vec<MetricSeries>,
}

/// A beat.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatEvent {
    /// When.
    pub beat_time: Timestamp,
    /// The run's info (`set_info`), whole.
    pub info: serde_json::Value,
    /// The output captured since the previous beat, with carriage-return progress bars
    /// collapsed to their last state.
    pub output: String,
    /// How many bytes of output came before `output`.
    pub output_offset: u64,
    /// The result so far (`None` until the function returned).
    pub result: Option<serde_json::Value>,
}

/// Where an artifact's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactSource {
    /// A file (absolute path) to copy.
    File(PathBuf),
    /// Bytes given by the experiment.
    Bytes(Arc<[u8]>),
}

/// An artifact was added.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactEvent {
    /// Its name in the run (a plain file name; never escapes the run directory).
    pub name: String,
    /// Its bytes.
    pub source: ArtifactSource,
    /// A MIME type, if given or guessed.
    pub content_type: Option<String>,
    /// Free-form metadata, if given.
    pub metadata: Option<serde_json::Value>,
}

/// A resource was opened or added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceEvent {
    /// Its absolute path.
    pub path: PathBuf,
    /// The md5 of its contents, hex.
    pub md5: String,
}

/// The run completed.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletedEvent {
    /// When.
    pub stop_time: Timestamp,
    /// The result (`None` for `()`).
    pub result: Option<serde_json::Value>,
}

/// The run was interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptedEvent {
    /// When.
    pub interrupt_time: Timestamp,
    /// The status: `INTERRUPTED`.
    pub status: String,
}

/// The run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEvent {
    /// When.
    pub fail_time: Timestamp,
    /// The error chain, or the panic message, location and backtrace, as a list of strings
    /// each ending in a newline (Sacred's `fail_trace`).
    pub fail_trace: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_like_directory_names() {
        assert_eq!(RunId::parse("12"), RunId::Int(12));
        assert_eq!(RunId::parse("custom"), RunId::Str("custom".into()));
        assert_eq!(RunId::parse("-3"), RunId::Str("-3".into()));
        assert_eq!(
            serde_json::to_string(&RunId::Int(3)).unwrap_or_default(),
            "3"
        );
        assert_eq!(
            serde_json::to_string(&RunId::Str("a".into())).unwrap_or_default(),
            "\"a\""
        );
    }
}
