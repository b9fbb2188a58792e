//! Reading runs back: a small blocking API for tests and tools.
//!
//! [`MongoReader`] owns a current-thread tokio runtime and a client; each method blocks
//! until the server answered. Run documents are returned as [`Document`]s, so BSON types
//! (`Int32`, dates, ObjectIds) stay visible; [`to_json`] turns one into JSON with dates
//! as ISO 8601 strings and ObjectIds as hex.
//!
//! A field the observer moved to GridFS because the document would have outgrown
//! MongoDB's 16 MB (`config`, `info`, `result`, `fail_trace`, `host`, `meta`,
//! `experiment`; the document holds `{"_gridfs": {"file_id", "filename", "bytes",
//! "format"}}` in its place) is loaded back: [`MongoReader::get_run`] and
//! [`MongoReader::list_runs`] return the whole value, with its BSON types.

use std::time::Duration;

use futures_util::TryStreamExt;
use futures_util::io::AsyncReadExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::gridfs::GridFsBucket;
use mongodb::{Client, Collection};
use sacred_core::observer::RunId;
use sacred_core::time::Timestamp;
use serde_json::Value;

use crate::connect::{self, timed};
use crate::encode::{id_bson, timestamp};
use crate::error::{MongoError, OpFailure};
use crate::limits::Limits;
use crate::spec::MongoSpec;
use crate::spill::{self, SPILLABLE};

/// Which runs [`MongoReader::list_runs`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs with this `status` (`RUNNING`, `COMPLETED`, `FAILED`, `QUEUED`, …).
    pub status: Option<String>,
    /// Only runs of this experiment (`experiment.name`).
    pub experiment_name: Option<String>,
    /// At most this many runs.
    pub limit: Option<usize>,
}

/// One metric with every point, the overflow included.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMetric {
    /// The `_id` of its `metrics` document, as the hex string `info.metrics` holds.
    pub id: String,
    /// The metric's name.
    pub name: String,
    /// The steps.
    pub steps: Vec<i64>,
    /// The values (integers converted; values that are not numbers are NaN).
    pub values: Vec<f64>,
    /// When each point was logged (millisecond precision, as stored).
    pub timestamps: Vec<Timestamp>,
}

/// A blocking reader of the runs stored at a [`MongoSpec`].
pub struct MongoReader {
    runtime: tokio::runtime::Runtime,
    spec: MongoSpec,
    runs: Collection<Document>,
    metrics: Collection<Document>,
    overflow: Collection<Document>,
    bucket: GridFsBucket,
    timeout: Duration,
    /// Kept so the connection pool lives as long as the reader.
    _client: Client,
}

impl std::fmt::Debug for MongoReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoReader")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl MongoReader {
    /// Connects to the server of `spec` and checks that it answers (`ping`).
    ///
    /// # Errors
    /// The server cannot be reached (in 5 s unless the URL says otherwise) or refuses the
    /// credentials; the message names it with the password masked.
    pub fn connect(spec: &MongoSpec) -> Result<Self, MongoError> {
        let limits = Limits::default();
        let (runtime, client) = connect::blocking_client(spec, &limits, "reader")?;
        let db = client.database(spec.database());
        let reader = Self {
            runs: db.collection(&spec.runs_collection()),
            metrics: db.collection(&spec.metrics_collection()),
            overflow: db.collection(&spec.overflow_collection()),
            bucket: db.gridfs_bucket(None),
            timeout: limits.operation_timeout,
            spec: spec.clone(),
            runtime,
            _client: client,
        };
        reader
            .runtime
            .block_on(timed(reader.timeout, db.run_command(doc! { "ping": 1 })))
            .map_err(|f| f.into_error(&reader.spec, "ping the server"))?;
        Ok(reader)
    }

    /// The runs matching `filter`, newest (largest `_id`) first, their fields moved to
    /// GridFS loaded back.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the query, or a moved field cannot be read.
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<Document>, MongoError> {
        self.find_runs(filter, None)
    }

    /// The runs matching `filter`, newest first, with only the fields of `projection`.
    fn find_runs(
        &self,
        filter: &RunFilter,
        projection: Option<Document>,
    ) -> Result<Vec<Document>, MongoError> {
        let mut query = Document::new();
        if let Some(status) = &filter.status {
            query.insert("status", status.as_str());
        }
        if let Some(name) = &filter.experiment_name {
            query.insert("experiment.name", name.as_str());
        }
        let mut find = self.runs.find(query).sort(doc! { "_id": -1 });
        if let Some(projection) = projection {
            find = find.projection(projection);
        }
        if let Some(limit) = filter.limit {
            find = find.limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let runs: Vec<Document> = self
            .block(async {
                let cursor = timed(self.timeout, find).await?;
                cursor.try_collect().await.map_err(OpFailure::Driver)
            })
            .map_err(|f: OpFailure| f.into_error(&self.spec, "list the runs"))?;
        runs.into_iter().map(|run| self.load_spilled(run)).collect()
    }

    /// Like [`MongoReader::list_runs`], without the fields a listing of runs does not show
    /// (`captured_out`, `info`): what `runs ls` reads.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the query, or a moved field cannot be read.
    pub fn list_run_summaries(&self, filter: &RunFilter) -> Result<Vec<Document>, MongoError> {
        self.find_runs(filter, Some(doc! { "captured_out": 0, "info": 0 }))
    }

    /// Whether a run with `_id` `id` is stored.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the query.
    pub fn has_run(&self, id: &RunId) -> Result<bool, MongoError> {
        Ok(self
            .stored_run(id_bson(id), Some(doc! { "_id": 1 }))?
            .is_some())
    }

    /// The size in bytes of each GridFS file of `file_ids`, in their order (`None` where
    /// there is no such file), read with one query.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the query.
    pub fn file_lengths(&self, file_ids: &[Bson]) -> Result<Vec<Option<u64>>, MongoError> {
        if file_ids.is_empty() {
            return Ok(Vec::new());
        }
        let files: Vec<mongodb::gridfs::FilesCollectionDocument> = self
            .block(async {
                let cursor = timed(
                    self.timeout,
                    self.bucket
                        .find(doc! { "_id": { "$in": file_ids.to_vec() } }),
                )
                .await?;
                cursor.try_collect().await.map_err(OpFailure::Driver)
            })
            .map_err(|f: OpFailure| f.into_error(&self.spec, "read the sizes of GridFS files"))?;
        // Keyed by the id's text, which tells its type too (`ObjectId("…")`, `"…"`).
        let lengths: std::collections::HashMap<String, u64> =
            files.iter().map(|f| (f.id.to_string(), f.length)).collect();
        Ok(file_ids
            .iter()
            .map(|id| lengths.get(&id.to_string()).copied())
            .collect())
    }

    /// Removes run `id` and what only it refers to: its `metrics` documents and their
    /// overflow, the GridFS files of its artifacts, output and moved fields. Sources and
    /// resources, which runs share, stay. `false` when there is no such run.
    ///
    /// # Errors
    /// The server cannot be reached or refuses.
    pub fn remove_run(&self, id: &RunId) -> Result<bool, MongoError> {
        let key = id_bson(id);
        let Some(run) = self.stored_run(key.clone(), None)? else {
            return Ok(false);
        };
        let mut files: Vec<Bson> = Vec::new();
        if let Ok(artifacts) = run.get_array("artifacts") {
            files.extend(artifacts.iter().filter_map(|a| match a {
                Bson::Document(a) => a.get("file_id").cloned(),
                _ => None,
            }));
        }
        files.extend(run.get("captured_out_file").cloned());
        for field in SPILLABLE {
            files.extend(run.get(field).and_then(spill::marked_file).cloned());
        }
        let output = format!("captured_out://{}/{id}", self.spec.runs_collection());
        self.block(async {
            let named: Vec<mongodb::gridfs::FilesCollectionDocument> =
                timed(self.timeout, self.bucket.find(doc! { "filename": &output }))
                    .await?
                    .try_collect()
                    .await
                    .map_err(OpFailure::Driver)?;
            files.extend(named.into_iter().map(|f| f.id));
            for file in &files {
                match timed(self.timeout, self.bucket.delete(file.clone())).await {
                    Ok(()) => {}
                    // A file already gone is what removal wants; any other failure keeps
                    // the run document, so that the files stay findable for another try.
                    Err(OpFailure::Driver(e))
                        if matches!(
                            *e.kind,
                            mongodb::error::ErrorKind::GridFs(
                                mongodb::error::GridFsErrorKind::FileNotFound { .. }
                            )
                        ) => {}
                    Err(failure) => return Err(failure),
                }
            }
            timed(
                self.timeout,
                self.metrics.delete_many(doc! { "run_id": key.clone() }),
            )
            .await?;
            timed(
                self.timeout,
                self.overflow.delete_many(doc! { "run_id": key.clone() }),
            )
            .await?;
            timed(
                self.timeout,
                self.runs.delete_one(doc! { "_id": key.clone() }),
            )
            .await?;
            Ok(())
        })
        .map_err(|f: OpFailure| f.into_error(&self.spec, &format!("remove the run {id}")))?;
        Ok(true)
    }

    /// The run document with `_id` `id`, if there is one, its fields moved to GridFS loaded
    /// back.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the query, or a moved field cannot be read.
    pub fn get_run(&self, id: &RunId) -> Result<Option<Document>, MongoError> {
        match self.stored_run(id_bson(id), None)? {
            Some(run) => self.load_spilled(run).map(Some),
            None => Ok(None),
        }
    }

    /// The run document with `_id` `key` as stored (moved fields as markers), with only the
    /// fields of `projection` when given.
    fn stored_run(
        &self,
        key: Bson,
        projection: Option<Document>,
    ) -> Result<Option<Document>, MongoError> {
        let action = format!("read the run {key}");
        let find = self.runs.find_one(doc! { "_id": key });
        let find = match projection {
            Some(projection) => find.projection(projection),
            None => find,
        };
        self.block(timed(self.timeout, find))
            .map_err(|f| f.into_error(&self.spec, &action))
    }

    /// `run` with the values of its moved fields in place of their markers. A running run
    /// may move a field again between the read of its document and that of the file (the
    /// old file is then removed): the document is then read once more.
    fn load_spilled(&self, mut run: Document) -> Result<Document, MongoError> {
        let Err(first) = self.fill_spilled(&mut run) else {
            return Ok(run);
        };
        let Some(key) = run.get("_id").cloned() else {
            return Err(first);
        };
        let Some(mut again) = self.stored_run(key, None)? else {
            return Err(first);
        };
        self.fill_spilled(&mut again)?;
        Ok(again)
    }

    /// Replaces each marker of a moved field of `run` by the value its file holds.
    fn fill_spilled(&self, run: &mut Document) -> Result<(), MongoError> {
        for field in SPILLABLE {
            let Some(file) = run.get(field).and_then(spill::marked_file).cloned() else {
                continue;
            };
            let bytes = self.file(&file)?;
            let value = spill::decode(&bytes).map_err(|message| MongoError::Database {
                target: self.spec.to_string(),
                action: format!("read the field `{field}` of a run from the GridFS file {file}"),
                message,
            })?;
            run.insert(field, value);
        }
        Ok(())
    }

    /// Every metric of the run, in the order they were created, with every point (those
    /// in the overflow collection included).
    ///
    /// # Errors
    /// The server cannot be reached or refuses the query.
    pub fn metrics(&self, run_id: &RunId) -> Result<Vec<StoredMetric>, MongoError> {
        let key = id_bson(run_id);
        self.block(async {
            let documents: Vec<Document> = timed(
                self.timeout,
                self.metrics
                    .find(doc! { "run_id": key.clone() })
                    .sort(doc! { "_id": 1 }),
            )
            .await?
            .try_collect()
            .await
            .map_err(OpFailure::Driver)?;
            let mut metrics = Vec::with_capacity(documents.len());
            for document in documents {
                let name = document.get_str("name").unwrap_or_default().to_owned();
                let mut metric = StoredMetric {
                    id: document
                        .get("_id")
                        .map(|id| match id {
                            Bson::ObjectId(oid) => oid.to_hex(),
                            other => other.to_string(),
                        })
                        .unwrap_or_default(),
                    name: name.clone(),
                    steps: Vec::new(),
                    values: Vec::new(),
                    timestamps: Vec::new(),
                };
                append_points(&mut metric, &document);
                if document.get_bool("overflow").unwrap_or(false) {
                    let chunks: Vec<Document> = timed(
                        self.timeout,
                        self.overflow
                            .find(doc! { "run_id": key.clone(), "name": &name })
                            .sort(doc! { "chunk": 1 }),
                    )
                    .await?
                    .try_collect()
                    .await
                    .map_err(OpFailure::Driver)?;
                    for chunk in &chunks {
                        append_points(&mut metric, chunk);
                    }
                }
                metrics.push(metric);
            }
            Ok(metrics)
        })
        .map_err(|f: OpFailure| {
            f.into_error(&self.spec, &format!("read the metrics of the run {run_id}"))
        })
    }

    /// The contents of the GridFS file `file_id`.
    ///
    /// # Errors
    /// There is no such file, or the server cannot be reached.
    pub fn file(&self, file_id: &Bson) -> Result<Vec<u8>, MongoError> {
        self.block(async {
            let mut stream = timed(
                self.timeout,
                self.bucket.open_download_stream(file_id.clone()),
            )
            .await?;
            let mut bytes = Vec::new();
            match tokio::time::timeout(self.timeout, stream.read_to_end(&mut bytes)).await {
                Ok(Ok(_)) => Ok(bytes),
                Ok(Err(e)) => Err(OpFailure::Stream(e)),
                Err(_) => Err(OpFailure::TimedOut(self.timeout)),
            }
        })
        .map_err(|f: OpFailure| {
            f.into_error(&self.spec, &format!("read the GridFS file {file_id}"))
        })
    }

    /// The contents of the run's artifact `name` (the last one of that name), if the run
    /// has one.
    ///
    /// # Errors
    /// The server cannot be reached, or the file is missing from GridFS.
    pub fn artifact(&self, run_id: &RunId, name: &str) -> Result<Option<Vec<u8>>, MongoError> {
        let Some(run) = self.stored_run(id_bson(run_id), Some(doc! { "artifacts": 1 }))? else {
            return Ok(None);
        };
        let file_id = run.get_array("artifacts").ok().and_then(|artifacts| {
            artifacts.iter().rev().find_map(|a| match a {
                Bson::Document(a) if a.get_str("name") == Ok(name) => a.get("file_id").cloned(),
                _ => None,
            })
        });
        match file_id {
            Some(id) => self.file(&id).map(Some),
            None => Ok(None),
        }
    }

    /// The run's whole output: from GridFS (`captured_out_file`) once the run is over, else
    /// the document's `captured_out` (its last part, when the output outgrew the bound).
    /// `None` when there is no such run.
    ///
    /// # Errors
    /// The server cannot be reached, or the output file is missing from GridFS.
    pub fn captured_out(&self, run_id: &RunId) -> Result<Option<String>, MongoError> {
        let projection = doc! { "status": 1, "captured_out": 1, "captured_out_file": 1 };
        let Some(run) = self.stored_run(id_bson(run_id), Some(projection))? else {
            return Ok(None);
        };
        let over = !matches!(run.get_str("status"), Ok("RUNNING" | "QUEUED"));
        if over && let Some(file_id) = run.get("captured_out_file") {
            let bytes = self.file(file_id)?;
            return Ok(Some(String::from_utf8_lossy(&bytes).into_owned()));
        }
        Ok(Some(
            run.get_str("captured_out").unwrap_or_default().to_owned(),
        ))
    }

    /// Drops the whole database of the spec (its runs, metrics and GridFS files, and
    /// anything else in it): for tests and clean-up tools. Only with the feature
    /// `test-util`.
    ///
    /// # Errors
    /// The server cannot be reached or refuses.
    #[cfg(feature = "test-util")]
    pub fn drop_database(&self) -> Result<(), MongoError> {
        let db = self.runs.client().database(self.spec.database());
        self.block(timed(self.timeout, db.drop()))
            .map_err(|f| f.into_error(&self.spec, "drop the database"))
    }

    fn block<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
}

/// Appends the points of a `metrics` or overflow document to `metric`.
fn append_points(metric: &mut StoredMetric, document: &Document) {
    let array = |key: &str| document.get_array(key).map(Vec::as_slice).unwrap_or(&[]);
    let (steps, values, timestamps) = (array("steps"), array("values"), array("timestamps"));
    let n = steps.len().min(values.len()).min(timestamps.len());
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    for i in 0..n {
        metric.steps.push(match &steps[i] {
            Bson::Int32(s) => i64::from(*s),
            Bson::Int64(s) => *s,
            Bson::Double(s) => *s as i64,
            _ => 0,
        });
        metric.values.push(match &values[i] {
            Bson::Double(v) => *v,
            Bson::Int32(v) => f64::from(*v),
            Bson::Int64(v) => *v as f64,
            _ => f64::NAN,
        });
        metric.timestamps.push(match &timestamps[i] {
            Bson::DateTime(t) => timestamp(t),
            _ => Timestamp::from_micros(0),
        });
    }
}

/// A BSON value as JSON: dates as ISO 8601 strings (`2026-11-27T22:05:29.077Z`), ObjectIds
/// as hex, numbers as numbers (NaN and infinities as `null`), binary data as relaxed
/// Extended JSON.
pub fn to_json(value: &Bson) -> Value {
    match value {
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Boolean(b) => Value::Bool(*b),
        Bson::Int32(n) => Value::from(*n),
        Bson::Int64(n) => Value::from(*n),
        Bson::Double(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Bson::String(s) | Bson::Symbol(s) => Value::String(s.clone()),
        Bson::ObjectId(oid) => Value::String(oid.to_hex()),
        Bson::DateTime(t) => Value::String(
            t.try_to_rfc3339_string()
                .unwrap_or_else(|_| t.timestamp_millis().to_string()),
        ),
        Bson::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Bson::Document(doc) => Value::Object(
            doc.iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect(),
        ),
        other => other.clone().into_relaxed_extjson(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{DateTime, oid::ObjectId};

    #[test]
    fn json_has_iso_dates_and_hex_ids() {
        let oid = ObjectId::new();
        let doc = doc! {
            "_id": 1, "t": DateTime::from_millis(1_795_817_129_077), "f": oid,
            "x": [1.5, f64::NAN], "n": Bson::Null, "big": 1_i64 << 40,
        };
        let json = to_json(&Bson::Document(doc));
        assert_eq!(
            json,
            serde_json::json!({
                "_id": 1, "t": "2026-11-27T22:05:29.077Z", "f": oid.to_hex(),
                "x": [1.5, null], "n": null, "big": 1_i64 << 40,
            })
        );
    }

    #[test]
    fn points_of_any_numeric_type_are_read() {
        let mut metric = StoredMetric {
            id: String::new(),
            name: "m".into(),
            steps: Vec::new(),
            values: Vec::new(),
            timestamps: Vec::new(),
        };
        append_points(
            &mut metric,
            &doc! {
                "steps": [0, 1_i64, 2.0],
                "values": [1, 2.5, "x"],
                "timestamps": [DateTime::from_millis(1), DateTime::from_millis(2), 3],
            },
        );
        assert_eq!(metric.steps, [0, 1, 2]);
        assert_eq!(metric.values[..2], [1.0, 2.5]);
        assert!(metric.values[2].is_nan());
        assert_eq!(metric.timestamps[1], Timestamp::from_micros(2000));
    }
}
