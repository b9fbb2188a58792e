//! The records Python Sacred 0.8.7 wrote for the golden experiment
//! (`tests/fixtures/sacred-0.8.7/golden_exp.py`), which the Rust records are compared with:
//! `file_storage/<id>/…` (its file storage observer) and `mongo/*.json` (its MongoDB
//! observer's collections, as relaxed Extended JSON). Run 1 is COMPLETED, 2 FAILED,
//! 3 INTERRUPTED.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The golden experiment's Python source, as Python Sacred stored it.
pub const GOLDEN_SOURCE: &[u8] = include_bytes!("../../tests/fixtures/sacred-0.8.7/golden_exp.py");

/// The directory of the reference records: `tests/fixtures/sacred-0.8.7`.
pub fn dir() -> PathBuf {
    workspace_root().join("tests/fixtures/sacred-0.8.7")
}

/// The root of the workspace (the `sacred` crate's directory).
pub fn workspace_root() -> &'static Path {
    // This crate is `<root>/test-support`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support lies in the workspace root")
}

/// The path of the reference file `path` (relative to [`dir`], e.g.
/// `file_storage/1/run.json`).
pub fn path(path: &str) -> PathBuf {
    dir().join(path)
}

/// The bytes of the reference file `path`; panics, naming it, when it cannot be read.
pub fn bytes(path: &str) -> Vec<u8> {
    let full = self::path(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("reference file {}: {e}", full.display()))
}

/// The reference file `path` (`file_storage/1/run.json`, `mongo/runs.json`, …) as JSON;
/// panics, naming it, when it cannot be read or parsed.
pub fn reference(path: &str) -> Value {
    let full = self::path(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("reference file {}: {e}", full.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("reference file {}: not JSON: {e}", full.display()))
}

/// The document of `mongo/runs.json` (Python Sacred's `runs` collection) whose `_id` is
/// `id`, as JSON; panics when there is none.
pub fn reference_run(id: i64) -> Value {
    let runs = reference("mongo/runs.json");
    runs.as_array()
        .and_then(|runs| runs.iter().find(|run| run["_id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("mongo/runs.json has no run {id}"))
}

/// The reference file `path` (one of `mongo/*.json`, an array of relaxed Extended JSON
/// documents) as BSON documents.
#[cfg(feature = "mongo")]
pub fn reference_documents(path: &str) -> Vec<mongodb::bson::Document> {
    match mongodb::bson::Bson::try_from(reference(path)) {
        Ok(mongodb::bson::Bson::Array(items)) => {
            items.into_iter().map(|item| document(item, path)).collect()
        }
        other => panic!("reference file {path}: not an array of documents: {other:?}"),
    }
}

/// A document of relaxed Extended JSON (e.g. [`reference_run`]'s) as BSON.
#[cfg(feature = "mongo")]
pub fn to_document(value: Value) -> mongodb::bson::Document {
    match mongodb::bson::Bson::try_from(value) {
        Ok(bson) => document(bson, "the reference"),
        Err(e) => panic!("the reference is not Extended JSON: {e}"),
    }
}

#[cfg(feature = "mongo")]
fn document(bson: mongodb::bson::Bson, what: &str) -> mongodb::bson::Document {
    match bson {
        mongodb::bson::Bson::Document(d) => d,
        other => panic!("{what}: not a document: {other}"),
    }
}
