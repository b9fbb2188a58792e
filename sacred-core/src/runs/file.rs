//! Reading runs from a file storage directory, as this crate's and Python Sacred's file
//! storage observers write it: `DIR/ID/{run.json, config.json, info.json, metrics.json}`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::reader::{Artifact, Listed, Query, ReadError, RunReader, RunRecord, Series};
use crate::time::Timestamp;

/// The files a run directory holds; a directory with none of them is no run.
const RUN_FILES: [&str; 5] = [
    "run.json",
    "config.json",
    "info.json",
    "metrics.json",
    "cout.txt",
];

/// The runs of a file storage directory.
#[derive(Debug, Clone)]
pub struct FileReader {
    dir: PathBuf,
    /// The directory as messages name it.
    shown: String,
}

impl FileReader {
    /// A reader of the runs under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let shown = dir.display().to_string();
        Self { dir, shown }
    }

    /// The same reader, named `shown` in messages (the directory as the user gave it, where
    /// `dir` was resolved against the working directory).
    #[must_use]
    pub fn shown_as(mut self, shown: impl Into<String>) -> Self {
        self.shown = shown.into();
        self
    }

    /// The directory of run `id`, when `id` names a run directory (a plain name, not one of
    /// the store's own `_sources`, `_resources`, `_tmp`).
    fn run_dir(&self, id: &str) -> Result<PathBuf, ReadError> {
        let plain = !id.is_empty()
            && !id.starts_with(['_', '.'])
            && !id.contains(['/', '\\'])
            && id != "..";
        let dir = self.dir.join(id);
        if plain && RUN_FILES.iter().any(|f| dir.join(f).exists()) {
            Ok(dir)
        } else {
            Err(self.not_found(id))
        }
    }

    fn not_found(&self, id: &str) -> ReadError {
        ReadError::NotFound {
            id: id.to_owned(),
            location: self.location(),
        }
    }

    fn corrupt(&self, id: &str, reason: String) -> ReadError {
        ReadError::Corrupt {
            id: id.to_owned(),
            location: self.location(),
            reason,
        }
    }

    /// Reads run `id`'s record and config, and its info when `with_info`. Without it (for
    /// a listing) the record keeps only what a listing shows: the rest of `run.json` (host,
    /// options, dependencies, sources) is skipped while it is parsed.
    fn read_run(&self, id: &str, dir: &Path, with_info: bool) -> Result<RunRecord, String> {
        let record = if with_info {
            read_json(dir, "run.json")?
        } else {
            read_parsed::<Listing>(dir, "run.json")?.map(Listing::into_record)
        };
        let record = record.ok_or("no run.json (an incomplete run?)")?;
        if !record.is_object() {
            return Err(format!(
                "run.json holds {}, expected a JSON object",
                kind(&record)
            ));
        }
        let config = read_json(dir, "config.json")?.unwrap_or(Value::Object(Default::default()));
        let info = if with_info {
            read_json(dir, "info.json")?.unwrap_or(Value::Object(Default::default()))
        } else {
            Value::Null
        };
        Ok(RunRecord {
            id: id.to_owned(),
            record,
            config,
            info,
        })
    }
}

impl FileReader {
    /// The runs `ids` as a listing shows them, those `query` selects.
    fn read_listed(&self, ids: &[String], query: &Query) -> Vec<Listed> {
        let wanted = |run: &RunRecord, field: &str, want: &Option<String>| {
            want.as_deref()
                .is_none_or(|w| run.text(field).is_some_and(|v| v == w))
        };
        ids.iter()
            .filter_map(|id| match self.read_run(id, &self.dir.join(id), false) {
                Ok(run) => (wanted(&run, "status", &query.status)
                    && wanted(&run, "experiment.name", &query.experiment))
                .then_some(Listed::Run(run)),
                Err(reason) => Some(Listed::Corrupt {
                    id: id.clone(),
                    reason,
                }),
            })
            .collect()
    }
}

impl RunReader for FileReader {
    fn location(&self) -> String {
        format!("file storage `{}`", self.shown)
    }

    fn list(&self, query: &Query) -> Result<Vec<Listed>, ReadError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| {
            ReadError::Store(format!(
                "cannot read the runs in {}: {e}; expected a directory of runs (-F DIR)",
                self.location()
            ))
        })?;
        let ids: Vec<String> = entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|id| !id.starts_with(['_', '.']))
            .collect();
        // Reading is parsing JSON: spread it over the cores.
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(8);
        let chunk = ids.len().div_ceil(threads).max(256);
        let mut listed: Vec<Listed> = std::thread::scope(|scope| {
            let workers: Vec<_> = ids
                .chunks(chunk)
                .map(|ids| scope.spawn(move || self.read_listed(ids, query)))
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap_or_default())
                .collect()
        });
        super::sort_newest_first(&mut listed);
        if let Some(limit) = query.limit {
            listed.truncate(limit);
        }
        Ok(listed)
    }

    fn run(&self, id: &str) -> Result<RunRecord, ReadError> {
        let dir = self.run_dir(id)?;
        self.read_run(id, &dir, true)
            .map_err(|reason| self.corrupt(id, reason))
    }

    fn metrics(&self, id: &str) -> Result<Vec<Series>, ReadError> {
        let dir = self.run_dir(id)?;
        let Some(metrics) = read_json(&dir, "metrics.json").map_err(|r| self.corrupt(id, r))?
        else {
            return Ok(Vec::new());
        };
        let Value::Object(map) = metrics else {
            return Err(self.corrupt(
                id,
                format!(
                    "metrics.json holds {}, expected a JSON object",
                    kind(&metrics)
                ),
            ));
        };
        map.iter()
            .map(|(name, points)| series(name, points))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|r| self.corrupt(id, format!("metrics.json: {r}")))
    }

    fn artifacts(&self, run: &RunRecord) -> Result<Vec<Artifact>, ReadError> {
        let dir = self.dir.join(&run.id);
        let names = run
            .field("artifacts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(names
            .iter()
            .filter_map(Value::as_str)
            .map(|name| Artifact {
                name: name.to_owned(),
                size: std::fs::metadata(dir.join(name)).ok().map(|m| m.len()),
            })
            .collect())
    }

    fn remove(&self, id: &str) -> Result<(), ReadError> {
        let dir = self.run_dir(id)?;
        std::fs::remove_dir_all(&dir)
            .map_err(|e| ReadError::Store(format!("cannot remove `{}`: {e}", dir.display())))
    }
}

/// The JSON of `dir/name`; `None` when there is no such file.
fn read_json(dir: &Path, name: &str) -> Result<Option<Value>, String> {
    read_parsed(dir, name)
}

/// `dir/name` parsed as a `T`; `None` when there is no such file.
fn read_parsed<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
) -> Result<Option<T>, String> {
    // Not `fs::read`: it asks for the size first, a system call per file more.
    let read = || -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(8192);
        std::fs::File::open(dir.join(name))?.read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let bytes = match read() {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {name}: {e}")),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        if e.is_data() {
            // Valid JSON of another shape.
            match shape_of(&bytes) {
                "a table" => format!("{name} is not shaped as Sacred writes it: {e}"),
                shape => format!("{name} holds {shape}, expected a JSON object"),
            }
        } else {
            format!("{name} is not valid JSON ({e}); a run that stopped while writing it?")
        }
    })
}

/// What kind of JSON `bytes` holds, for messages.
fn shape_of(bytes: &[u8]) -> &'static str {
    serde_json::from_slice::<Value>(bytes).map_or("no JSON", |v| kind(&v))
}

/// The fields of `run.json` a listing shows; the others are skipped unparsed.
#[derive(serde::Deserialize)]
struct Listing {
    status: Option<Value>,
    start_time: Option<Value>,
    heartbeat: Option<Value>,
    stop_time: Option<Value>,
    result: Option<Value>,
    fail_trace: Option<Value>,
    experiment: Option<Named>,
    meta: Option<Commented>,
}

/// `experiment.name`.
#[derive(serde::Deserialize)]
struct Named {
    name: Option<Value>,
}

/// The parts of `meta` a listing shows or needs: `comment`, and the beat intervals that
/// decide when a RUNNING run is dead (`worker.beat_interval`, `options.--beat-interval`).
#[derive(serde::Deserialize)]
struct Commented {
    comment: Option<Value>,
    worker: Option<Beating>,
    options: Option<Options>,
}

/// `meta.worker.beat_interval`.
#[derive(serde::Deserialize)]
struct Beating {
    beat_interval: Option<Value>,
}

/// `meta.options.--beat-interval`.
#[derive(serde::Deserialize)]
struct Options {
    #[serde(rename = "--beat-interval")]
    beat_interval: Option<Value>,
}

impl Listing {
    fn into_record(self) -> Value {
        let mut record = serde_json::Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                record.insert(key.to_owned(), value);
            }
        };
        put("status", self.status);
        put("start_time", self.start_time);
        put("heartbeat", self.heartbeat);
        put("stop_time", self.stop_time);
        put("result", self.result);
        put("fail_trace", self.fail_trace);
        put(
            "experiment",
            self.experiment
                .and_then(|e| e.name)
                .map(|name| serde_json::json!({ "name": name })),
        );
        put("meta", self.meta.map(Commented::into_meta));
        Value::Object(record)
    }
}

impl Commented {
    /// The `meta` of the listed record: only what was read.
    fn into_meta(self) -> Value {
        let mut meta = serde_json::Map::new();
        if let Some(comment) = self.comment {
            meta.insert("comment".to_owned(), comment);
        }
        if let Some(interval) = self.worker.and_then(|w| w.beat_interval) {
            meta.insert(
                "worker".to_owned(),
                serde_json::json!({ "beat_interval": interval }),
            );
        }
        if let Some(interval) = self.options.and_then(|o| o.beat_interval) {
            meta.insert(
                "options".to_owned(),
                serde_json::json!({ "--beat-interval": interval }),
            );
        }
        Value::Object(meta)
    }
}

/// What kind of JSON value, for messages.
fn kind(value: &Value) -> &'static str {
    crate::config::render::kind(value)
}

/// One metric of `metrics.json`: `{steps: [int], values: [number], timestamps: [text]}`.
fn series(name: &str, points: &Value) -> Result<Series, String> {
    let array = |key: &str| -> Result<&Vec<Value>, String> {
        points.get(key).and_then(Value::as_array).ok_or_else(|| {
            format!("`{name}.{key}` is missing or not an array, expected a list of points")
        })
    };
    let steps = array("steps")?;
    let values = array("values")?;
    let empty = Vec::new();
    let timestamps = array("timestamps").unwrap_or(&empty);
    Ok(Series {
        name: name.to_owned(),
        steps: steps
            .iter()
            .enumerate()
            .map(|(i, s)| s.as_i64().unwrap_or(i64::try_from(i).unwrap_or(i64::MAX)))
            .collect(),
        values: values
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .take(steps.len())
            .collect(),
        timestamps: (0..steps.len().min(values.len()))
            .map(|i| {
                timestamps
                    .get(i)
                    .and_then(Value::as_str)
                    .and_then(Timestamp::parse)
            })
            .collect(),
    })
    .map(|mut s| {
        s.steps.truncate(s.values.len());
        s
    })
}
