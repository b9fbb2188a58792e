//! Keeping the run document under MongoDB's 16 MB: before a write, the fields that would
//! make it too large move to GridFS, largest first, and a marker takes their place (the
//! format is `crate::spill`'s). The worker knows the size of every field it wrote, so it
//! knows the size of the document after each write without reading it.
//!
//! A field moved at one write may be small again at the next (`info`, `result`): it is
//! then written in place, and its file is removed once the document no longer names it.

use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::RunId;

use super::files::Content;
use super::{RunState, Worker};
use crate::connect::timed;
use crate::error::MongoError;
use crate::spill::{self, MARKER};

/// An array element's key is its index: counted as this many digits for the arrays the
/// observer appends to (`artifacts`, `resources`), whose length it does not track.
const INDEX_DIGITS: &str = "00000000";

impl Worker {
    /// Moves the fields of `fields` that would make the document too large (with `others`,
    /// the size of the fields not written now) to GridFS, as `<field>://<runs>/<id>`, and
    /// puts their markers in their place. The moved fields and their files; none moves
    /// when the document fits. A failed upload removes the files uploaded before it.
    pub(super) async fn spill(
        &self,
        fields: &mut Document,
        others: usize,
        id: Option<&RunId>,
    ) -> Result<Vec<(String, Bson)>, MongoError> {
        let budget = spill::budget(self.limits.captured_out_bytes);
        let chosen = spill::choose(fields, others, budget);
        let runs = self.spec.runs_collection();
        let mut moved = Vec::with_capacity(chosen.len());
        for field in chosen {
            let Some(value) = fields.get(&field) else {
                continue;
            };
            let filename = spill::filename(&field, &runs, id);
            let bytes = match spill::encode(value) {
                Ok(bytes) => bytes,
                Err(message) => {
                    self.delete_files(moved.into_iter().map(|(_, file)| file))
                        .await;
                    return Err(MongoError::Database {
                        target: self.spec.to_string(),
                        action: format!("store the field `{field}` of the run in GridFS"),
                        message,
                    });
                }
            };
            let metadata = doc! { "field": &field, "format": "bson" };
            let file = match self
                .upload(&filename, Some(metadata), Content::Bytes(&bytes))
                .await
            {
                Ok(file) => file,
                Err(e) => {
                    self.delete_files(moved.into_iter().map(|(_, file)| file))
                        .await;
                    return Err(e);
                }
            };
            fields.insert(
                field.clone(),
                spill::marker(file.clone(), &filename, bytes.len()),
            );
            moved.push((field, file));
        }
        Ok(moved)
    }

    /// Removes GridFS files no document names any more (best effort: one that cannot be
    /// removed only takes room).
    pub(super) async fn delete_files(&self, files: impl IntoIterator<Item = Bson>) {
        for file in files {
            let _ = timed(self.limits.operation_timeout, self.bucket.delete(file)).await;
        }
    }

    /// Gives the files of the `spilled` fields of `document` the names their markers hold
    /// (the run's id was allocated after the upload). Best effort: the markers name their
    /// files by id, and a file left with the name `<field>://<runs>/?` is still found.
    pub(super) async fn name_spilled_files(&self, document: &Document, spilled: &[&str]) {
        for field in spilled {
            let Some(Bson::Document(marker)) = document.get(*field) else {
                continue;
            };
            let Ok(inner) = marker.get_document(MARKER) else {
                continue;
            };
            let (Some(file), Ok(filename)) = (inner.get("file_id"), inner.get_str("filename"))
            else {
                continue;
            };
            let _ = timed(
                self.limits.operation_timeout,
                self.bucket.rename(file.clone(), filename),
            )
            .await;
        }
    }

    /// Moves what must move of `set`, a write of some fields of the run's document (see
    /// [`Worker::spill`]).
    pub(super) async fn spill_update(
        &self,
        set: &mut Document,
    ) -> Result<Vec<(String, Bson)>, MongoError> {
        let Some(run) = self.run.as_ref() else {
            return Ok(Vec::new());
        };
        let others = run
            .sizes
            .iter()
            .filter(|(field, _)| !set.contains_key(field.as_str()))
            .map(|(_, size)| size)
            .sum();
        let id = run.id.clone();
        self.spill(set, others, Some(&id)).await
    }

    /// After the write of fields of the sizes `sizes` (see [`sizes`]) with the fields
    /// `spilled` moved: the run's sizes and files brought up to date, and the files the
    /// document no longer names removed.
    pub(super) async fn spill_written(
        &mut self,
        sizes: &[(String, usize)],
        spilled: &[(String, Bson)],
    ) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let old = run.written(sizes, spilled);
        self.delete_files(old).await;
    }

    /// After a failed write of `set`: the files uploaded for it are named by nothing.
    pub(super) async fn spill_failed(&self, spilled: Vec<(String, Bson)>) {
        self.delete_files(spilled.into_iter().map(|(_, file)| file))
            .await;
    }
}

/// The size of each field of `set` as an element of the document (`captured_out` aside:
/// its room is kept apart).
pub(super) fn sizes(set: &Document) -> Vec<(String, usize)> {
    set.iter()
        .filter(|(field, _)| field.as_str() != "captured_out")
        .map(|(field, value)| (field.clone(), spill::element_size(field, value)))
        .collect()
}

impl RunState {
    /// Records that fields of the sizes `sizes` (see [`sizes`]; with the fields `spilled`
    /// moved to GridFS) were written to the document: the size of each, and the file of
    /// each moved one. The files of the fields it overwrote, which nothing names any more.
    pub(super) fn written(
        &mut self,
        sizes: &[(String, usize)],
        spilled: &[(String, Bson)],
    ) -> Vec<Bson> {
        let mut old = Vec::new();
        for (field, size) in sizes {
            self.sizes.insert(field.clone(), *size);
            let now = spilled.iter().find(|(f, _)| f == field).map(|(_, id)| id);
            match (self.spilled.remove(field), now) {
                (Some(before), Some(now)) if &before == now => {}
                (Some(before), _) => old.push(before),
                (None, _) => {}
            }
            if let Some(now) = now {
                self.spilled.insert(field.clone(), now.clone());
            }
        }
        old
    }

    /// Records an element appended to the array `field` (`artifacts`, `resources`).
    pub(super) fn appended(&mut self, field: &str, element: &Bson) {
        *self.sizes.entry(field.to_owned()).or_default() +=
            spill::element_size(INDEX_DIGITS, element);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::OutputTail;
    use mongodb::bson::oid::ObjectId;
    use std::collections::HashMap;

    fn run() -> RunState {
        RunState {
            id: RunId::Int(1),
            key: Bson::Int32(1),
            user_info: Document::new(),
            sent_info: None,
            sent_result: None,
            info_metrics: Vec::new(),
            metrics: HashMap::new(),
            output: OutputTail::new(10),
            output_file: None,
            sizes: HashMap::new(),
            spilled: HashMap::new(),
        }
    }

    #[test]
    fn overwritten_files_are_named_for_removal() {
        let mut run = run();
        let first = Bson::ObjectId(ObjectId::new());
        let set = sizes(&doc! { "info": { "_gridfs": {} }, "captured_out": "x", "heartbeat": 1 });
        let old = run.written(&set, &[("info".into(), first.clone())]);
        assert!(old.is_empty());
        assert_eq!(run.spilled.get("info"), Some(&first));
        assert!(!run.sizes.contains_key("captured_out"));
        assert_eq!(run.sizes.get("heartbeat"), Some(&(1 + 9 + 1 + 4)));

        // Moved again: the first file goes.
        let second = Bson::ObjectId(ObjectId::new());
        let old = run.written(&set, &[("info".into(), second.clone())]);
        assert_eq!(old, [first]);
        // Written in place: the second goes too.
        let old = run.written(&sizes(&doc! { "info": { "a": 1 } }), &[]);
        assert_eq!(old, [second]);
        assert!(run.spilled.is_empty());
        // A write of other fields leaves the files alone.
        let third = Bson::ObjectId(ObjectId::new());
        run.written(
            &sizes(&doc! { "result": 1 }),
            &[("result".into(), third.clone())],
        );
        assert!(
            run.written(&sizes(&doc! { "status": "COMPLETED" }), &[])
                .is_empty()
        );
        assert_eq!(run.spilled.get("result"), Some(&third));

        run.appended("artifacts", &Bson::Int32(1));
        run.appended("artifacts", &Bson::Int32(1));
        assert_eq!(run.sizes.get("artifacts"), Some(&(2 * (1 + 8 + 1 + 4))));
    }
}
