//! The `runs` commands' reader of MongoDB: [`MongoRuns`] implements
//! [`sacred_core::runs::RunReader`] over a [`MongoReader`].

use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, Document};
use sacred_core::observer::RunId;
use sacred_core::runs::{Artifact, Listed, Query, ReadError, RunReader, RunRecord, Series};
use serde_json::Value;

use crate::MongoError;
use crate::encode::{run_id, to_bson};
use crate::read::{MongoReader, RunFilter, to_json};
use crate::spec::MongoSpec;

/// The runs stored in MongoDB at a spec, for `runs ls/show/diff/metrics/export/plot/rm`.
#[derive(Debug)]
pub struct MongoRuns {
    reader: MongoReader,
    location: String,
}

impl MongoRuns {
    /// Connects to the server of `spec`.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the credentials; the message names it with
    /// the password masked.
    pub fn connect(spec: &MongoSpec) -> Result<Self, MongoError> {
        Ok(Self {
            reader: MongoReader::connect(spec)?,
            location: format!("MongoDB {spec}"),
        })
    }

    fn store(&self, error: &MongoError) -> ReadError {
        ReadError::Store(error.to_string())
    }

    fn not_found(&self, id: &str) -> ReadError {
        ReadError::NotFound {
            id: id.to_owned(),
            location: self.location.clone(),
        }
    }

    /// Run `id`'s document, or [`ReadError::NotFound`].
    fn document(&self, id: &str) -> Result<Document, ReadError> {
        self.reader
            .get_run(&RunId::parse(id))
            .map_err(|e| self.store(&e))?
            .ok_or_else(|| self.not_found(id))
    }

    /// `Ok` when `found` says run `id` was there, else [`ReadError::NotFound`].
    fn found(&self, id: &str, found: Result<bool, MongoError>) -> Result<(), ReadError> {
        match found {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.not_found(id)),
            Err(e) => Err(self.store(&e)),
        }
    }
}

/// The GridFS ids a `file_id` read back as JSON may stand for: [`to_json`] writes an
/// ObjectId as its hex text, so such a text is looked up as both; other values as
/// themselves (Extended JSON objects as what they encode); `null` as none.
fn file_id_candidates(file_id: &Value) -> Vec<Bson> {
    match file_id {
        Value::Null => Vec::new(),
        Value::String(text) => {
            let mut ids = Vec::with_capacity(2);
            if let Ok(oid) = ObjectId::parse_str(text) {
                ids.push(Bson::ObjectId(oid));
            }
            ids.push(Bson::String(text.clone()));
            ids
        }
        Value::Object(_) => Bson::try_from(file_id.clone()).into_iter().collect(),
        other => vec![to_bson(other)],
    }
}

/// A run document as a [`RunRecord`]: JSON with ISO times; `config` and `info` taken out
/// of the record. A document without an `_id` or with a config that is no object cannot
/// be read as a run.
fn record(document: Document) -> Result<RunRecord, (String, String)> {
    let Some(id) = document.get("_id").map(|id| run_id(id).to_string()) else {
        return Err(("?".into(), "the document has no `_id`".into()));
    };
    let Value::Object(mut fields) = to_json(&Bson::Document(document)) else {
        return Err((id, "the document is no object".into()));
    };
    let config = fields
        .remove("config")
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    if !config.is_object() {
        return Err((
            id,
            format!("`config` holds {config}, expected a document of config values"),
        ));
    }
    let info = fields.remove("info").unwrap_or(Value::Null);
    Ok(RunRecord {
        id,
        record: Value::Object(fields),
        config,
        info,
    })
}

impl RunReader for MongoRuns {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn list(&self, query: &Query) -> Result<Vec<Listed>, ReadError> {
        let filter = RunFilter {
            status: query.status.clone(),
            experiment_name: query.experiment.clone(),
            limit: query.limit,
        };
        let documents = self
            .reader
            .list_run_summaries(&filter)
            .map_err(|e| self.store(&e))?;
        let mut listed: Vec<Listed> = documents
            .into_iter()
            .map(|document| match record(document) {
                Ok(run) => Listed::Run(run),
                Err((id, reason)) => Listed::Corrupt { id, reason },
            })
            .collect();
        sacred_core::runs::sort_newest_first(&mut listed);
        Ok(listed)
    }

    fn run(&self, id: &str) -> Result<RunRecord, ReadError> {
        let document = self.document(id)?;
        record(document).map_err(|(_, reason)| ReadError::Corrupt {
            id: id.to_owned(),
            location: self.location.clone(),
            reason,
        })
    }

    fn metrics(&self, id: &str) -> Result<Vec<Series>, ReadError> {
        self.found(id, self.reader.has_run(&RunId::parse(id)))?;
        let mut metrics: Vec<Series> = self
            .reader
            .metrics(&RunId::parse(id))
            .map_err(|e| self.store(&e))?
            .into_iter()
            .map(|m| Series {
                timestamps: m.timestamps.into_iter().map(Some).collect(),
                name: m.name,
                steps: m.steps,
                values: m.values,
            })
            .collect();
        metrics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(metrics)
    }

    fn artifacts(&self, run: &RunRecord) -> Result<Vec<Artifact>, ReadError> {
        let Some(Value::Array(artifacts)) = run.record.get("artifacts") else {
            return Ok(Vec::new());
        };
        let artifacts: Vec<&serde_json::Map<String, Value>> =
            artifacts.iter().filter_map(Value::as_object).collect();
        // Every id each artifact's `file_id` may have been, for one query of them all.
        let candidates: Vec<Vec<Bson>> = artifacts
            .iter()
            .map(|a| a.get("file_id").map(file_id_candidates).unwrap_or_default())
            .collect();
        let all: Vec<Bson> = candidates.iter().flatten().cloned().collect();
        let lengths = self.reader.file_lengths(&all).map_err(|e| self.store(&e))?;
        let mut rest = lengths.as_slice();
        Ok(artifacts
            .iter()
            .zip(&candidates)
            .map(|(artifact, ids)| {
                let (own, after) = rest.split_at(ids.len().min(rest.len()));
                rest = after;
                let size = own.iter().flatten().next().copied();
                Artifact {
                    name: artifact
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_owned(),
                    size,
                }
            })
            .collect())
    }

    fn remove(&self, id: &str) -> Result<(), ReadError> {
        self.found(id, self.reader.remove_run(&RunId::parse(id)))
    }
}
