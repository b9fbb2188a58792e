//! The events observers receive.
//!
//! Events and records are `#[non_exhaustive]`: fields may be added without breaking an
//! observer. Outside this crate, read their fields and build them with their `new`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A run's id: an integer allocated by an observer, or a string given with `-i`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[non_exhaustive]
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

impl Repository {
    /// A repository at `commit`; `diff` is `git diff HEAD` of a dirty one (empty otherwise).
    pub fn new(
        url: impl Into<String>,
        commit: impl Into<String>,
        dirty: bool,
        diff: impl Into<String>,
    ) -> Self {
        Self {
            url: url.into(),
            commit: commit.into(),
            dirty,
            diff: diff.into(),
        }
    }
}

/// What the experiment is: Sacred's `experiment` record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// Those of `dependencies` that the experiment's own package depends on directly: a
    /// Rust addition, recorded beside Sacred's `dependencies`.
    pub direct_dependencies: Vec<String>,
    /// The repositories of the sources.
    pub repositories: Vec<Repository>,
}

impl ExperimentRecord {
    /// The record of the experiment `name` whose sources are relative to `base_dir`.
    pub fn new(
        name: impl Into<String>,
        base_dir: impl Into<String>,
        mainfile: impl Into<String>,
        sources: Vec<SourceFile>,
        dependencies: Vec<String>,
        repositories: Vec<Repository>,
    ) -> Self {
        Self {
            name: name.into(),
            base_dir: base_dir.into(),
            mainfile: mainfile.into(),
            sources,
            dependencies,
            direct_dependencies: Vec::new(),
            repositories,
        }
    }

    /// The same record with `direct` as its direct dependencies.
    pub fn with_direct_dependencies(mut self, direct: Vec<String>) -> Self {
        self.direct_dependencies = direct;
        self
    }
}

/// The run was queued instead of run.
#[derive(Debug, Clone)]
#[non_exhaustive]
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

impl QueuedEvent {
    /// A queued run (`id`: the one given with `-i`, if any).
    pub fn new(
        id: Option<RunId>,
        experiment: Arc<ExperimentRecord>,
        command: impl Into<String>,
        host: serde_json::Value,
        queue_time: Timestamp,
        config: serde_json::Value,
        meta: serde_json::Value,
    ) -> Self {
        Self {
            id,
            experiment,
            command: command.into(),
            host,
            queue_time,
            config,
            meta,
        }
    }
}

/// The run started.
#[derive(Debug, Clone)]
#[non_exhaustive]
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

impl StartedEvent {
    /// A started run (`id`: given with `-i`, or allocated by a higher-priority observer).
    pub fn new(
        id: Option<RunId>,
        experiment: Arc<ExperimentRecord>,
        command: impl Into<String>,
        host: serde_json::Value,
        start_time: Timestamp,
        config: serde_json::Value,
        meta: serde_json::Value,
    ) -> Self {
        Self {
            id,
            experiment,
            command: command.into(),
            host,
            start_time,
            config,
            meta,
        }
    }
}

/// The points of one metric logged since the previous beat.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
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

impl MetricSeries {
    /// Points of the metric `name`: `steps`, `values` and `timestamps` have one entry each.
    pub fn new(
        name: impl Into<String>,
        steps: Vec<u64>,
        values: Vec<f64>,
        timestamps: Vec<Timestamp>,
    ) -> Self {
        Self {
            name: name.into(),
            steps,
            values,
            timestamps,
        }
    }
}

/// Metric points logged since the previous beat.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsEvent {
    /// One series per metric name that has new points, in order of first logging.
    pub series: Vec<MetricSeries>,
}

impl MetricsEvent {
    /// New points of each metric in `series`.
    pub fn new(series: Vec<MetricSeries>) -> Self {
        Self { series }
    }
}

/// A beat.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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

impl HeartbeatEvent {
    /// A beat at `beat_time`, with the `output` that followed the first `output_offset`
    /// bytes.
    pub fn new(
        beat_time: Timestamp,
        info: serde_json::Value,
        output: impl Into<String>,
        output_offset: u64,
        result: Option<serde_json::Value>,
    ) -> Self {
        Self {
            beat_time,
            info,
            output: output.into(),
            output_offset,
            result,
        }
    }
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
#[non_exhaustive]
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

impl ArtifactEvent {
    /// An artifact called `name` with its bytes in `source`.
    pub fn new(
        name: impl Into<String>,
        source: ArtifactSource,
        content_type: Option<String>,
        metadata: Option<serde_json::Value>,
    ) -> Self {
        Self {
            name: name.into(),
            source,
            content_type,
            metadata,
        }
    }
}

/// A resource was opened or added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceEvent {
    /// Its absolute path.
    pub path: PathBuf,
    /// The md5 of its contents, hex.
    pub md5: String,
}

impl ResourceEvent {
    /// A resource at `path` with the md5 of its contents.
    pub fn new(path: impl Into<PathBuf>, md5: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            md5: md5.into(),
        }
    }
}

/// The run completed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CompletedEvent {
    /// When.
    pub stop_time: Timestamp,
    /// The result (`None` for `()`).
    pub result: Option<serde_json::Value>,
}

impl CompletedEvent {
    /// The run completed at `stop_time` with `result`.
    pub fn new(stop_time: Timestamp, result: Option<serde_json::Value>) -> Self {
        Self { stop_time, result }
    }
}

/// The run was interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InterruptedEvent {
    /// When.
    pub interrupt_time: Timestamp,
    /// The status: `INTERRUPTED`.
    pub status: String,
}

impl InterruptedEvent {
    /// The run was interrupted at `interrupt_time`, with `status` (`INTERRUPTED`).
    pub fn new(interrupt_time: Timestamp, status: impl Into<String>) -> Self {
        Self {
            interrupt_time,
            status: status.into(),
        }
    }
}

/// The run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedEvent {
    /// When.
    pub fail_time: Timestamp,
    /// The error chain, or the panic message, location and backtrace, as a list of strings
    /// each ending in a newline (Sacred's `fail_trace`).
    pub fail_trace: Vec<String>,
}

impl FailedEvent {
    /// The run failed at `fail_time`, with Sacred's `fail_trace` lines.
    pub fn new(fail_time: Timestamp, fail_trace: Vec<String>) -> Self {
        Self {
            fail_time,
            fail_trace,
        }
    }
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
