//! The one interface the `runs` commands read through, and what it returns.

use serde_json::Value;

use crate::time::Timestamp;

/// A store of runs: file storage, MongoDB, or anything else that can list, read and remove
/// runs recorded in Sacred's format. Every `runs` command works on every store.
pub trait RunReader {
    /// Where the runs are, for messages: `file storage `runs``, a masked MongoDB URL.
    fn location(&self) -> String;

    /// The runs `query` selects (a store may select fewer filters itself; the commands apply
    /// every filter again). Reads only what a listing shows: the run record and its config,
    /// not metrics, output or info. A run that cannot be read is
    /// [`Listed::Corrupt`], never an error of the whole listing.
    ///
    /// # Errors
    /// The store itself cannot be read: a missing directory, a server that is down.
    fn list(&self, query: &Query) -> Result<Vec<Listed>, ReadError>;

    /// The whole record of run `id`: run record, config and info.
    ///
    /// # Errors
    /// No run has this id ([`ReadError::NotFound`]), or its record cannot be read.
    fn run(&self, id: &str) -> Result<RunRecord, ReadError>;

    /// Every metric of run `id` with every point, in name order.
    ///
    /// # Errors
    /// No run has this id, or its metrics cannot be read.
    fn metrics(&self, id: &str) -> Result<Vec<Series>, ReadError>;

    /// The artifacts of `run` (as [`RunReader::run`] read it, so the record is not read
    /// again), with their sizes when the store knows them.
    ///
    /// # Errors
    /// The store cannot be read.
    fn artifacts(&self, run: &RunRecord) -> Result<Vec<Artifact>, ReadError>;

    /// Removes run `id` and everything only it refers to (its metrics, artifacts, output);
    /// nothing shared with other runs (sources, resources) and nothing else.
    ///
    /// # Errors
    /// No run has this id, or the store refuses.
    fn remove(&self, id: &str) -> Result<(), ReadError>;
}

/// What a store may filter on itself when listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only runs with this stored `status` (upper case: `COMPLETED`, `RUNNING`, …).
    pub status: Option<String>,
    /// Only runs of this experiment (`experiment.name`).
    pub experiment: Option<String>,
    /// At most this many runs, newest first; set only when no other filter follows.
    pub limit: Option<usize>,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq)]
pub enum Listed {
    /// A run whose record could be read.
    Run(RunRecord),
    /// A run whose record could not be read (a half-written `run.json` of a crashed run, a
    /// record of the wrong shape).
    Corrupt {
        /// The run's id (its directory name, its `_id`).
        id: String,
        /// What is wrong, naming the file or field and what was expected.
        reason: String,
    },
}

impl Listed {
    /// The run's id.
    pub fn id(&self) -> &str {
        match self {
            Listed::Run(run) => &run.id,
            Listed::Corrupt { id, .. } => id,
        }
    }
}

/// A run as stored: Sacred's run record (the fields of file storage's `run.json`, which
/// MongoDB's run document also has), its config and its info.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run's id.
    pub id: String,
    /// The run record (`status`, `start_time`, `heartbeat`, `stop_time`, `experiment`,
    /// `host`, `meta`, `result`, `fail_trace`, `artifacts`, `resources`, …): any JSON
    /// object; times as ISO 8601 strings. Fields this crate does not write (a Python run's
    /// `host.python_version`) are kept and shown.
    pub record: Value,
    /// The config.
    pub config: Value,
    /// The info (`Null` where a listing did not read it).
    pub info: Value,
}

impl RunRecord {
    /// A field of the record: `field("experiment.name")`.
    pub fn field(&self, dotted: &str) -> Option<&Value> {
        dotted
            .split('.')
            .try_fold(&self.record, |node, key| node.get(key))
            .filter(|v| !v.is_null())
    }

    /// A text field of the record (`status`, `meta.comment`).
    pub fn text(&self, dotted: &str) -> Option<&str> {
        self.field(dotted).and_then(Value::as_str)
    }

    /// A time field of the record (`start_time`, `heartbeat`, `stop_time`).
    pub fn time(&self, dotted: &str) -> Option<Timestamp> {
        self.text(dotted).and_then(Timestamp::parse)
    }
}

/// One metric's points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The metric's name.
    pub name: String,
    /// The steps.
    pub steps: Vec<i64>,
    /// The values (`NaN` where the stored value was no number).
    pub values: Vec<f64>,
    /// When each point was logged (`None` where the stored time could not be read).
    pub timestamps: Vec<Option<Timestamp>>,
}

impl Series {
    /// The last value, and the smallest and largest (`NaN`s ignored); `None` for a metric
    /// without numeric points.
    pub fn summary(&self) -> Option<Summary> {
        let numbers = self.values.iter().copied().filter(|v| !v.is_nan());
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut any = false;
        for v in numbers {
            min = min.min(v);
            max = max.max(v);
            any = true;
        }
        let last = *self.values.last()?;
        any.then_some(Summary {
            points: self.values.len(),
            last,
            min,
            max,
        })
    }
}

/// The summary of a metric that `runs show`, `diff` and `export` print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many points.
    pub points: usize,
    /// The last value.
    pub last: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

/// One artifact of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Its name.
    pub name: String,
    /// Its size in bytes, when known (`None`: the file is missing).
    pub size: Option<u64>,
}

/// Why a store could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No run has the id.
    #[error("no run `{id}` in {location}")]
    NotFound {
        /// The id as given.
        id: String,
        /// Where it was looked for.
        location: String,
    },
    /// The run exists but its record cannot be read.
    #[error("run `{id}` in {location} cannot be read: {reason}")]
    Corrupt {
        /// The run's id.
        id: String,
        /// Where it is.
        location: String,
        /// What is wrong, naming the file or field and what was expected.
        reason: String,
    },
    /// The store cannot be reached or read at all.
    #[error("{0}")]
    Store(String),
}
