//! Fields too large for the run document: how big a field is in BSON, which fields to move
//! to GridFS so that the document stays under MongoDB's 16 MB, the marker left in their
//! place, and how their value is stored in the file.
//!
//! A moved ("spilled") field holds, instead of its value, the marker
//!
//! ```text
//! {"_gridfs": {"file_id": ObjectId(…), "filename": "config://runs/7", "bytes": 17000042,
//!              "format": "bson"}}
//! ```
//!
//! and the GridFS file (bucket `fs`) is one BSON document `{"value": <the field>}`, so the
//! value comes back with the very BSON types it would have had in the run document.
//! `_gridfs` is a key MongoDB stores anywhere (it does not start with `$` and holds no
//! `.`). The worker moves the fields; [`read`](crate::read) puts them back.

use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::RunId;

/// The one key of a marker.
pub(crate) const MARKER: &str = "_gridfs";
/// The top-level fields of a run document that may be moved to GridFS: the ones whose size
/// the experiment decides. `captured_out` is bounded by
/// [`Limits::captured_out_bytes`](crate::Limits::captured_out_bytes) instead, and the
/// other fields are small.
pub(crate) const SPILLABLE: [&str; 7] = [
    "config",
    "info",
    "result",
    "fail_trace",
    "host",
    "meta",
    "experiment",
];
/// MongoDB's largest document (16 MiB).
const DOCUMENT_LIMIT: usize = 16 * 1024 * 1024;
/// Room kept for what is not counted field by field: the markers, the small fields
/// written at the end (`stop_time`, `status`, `captured_out_file`), and the server's own
/// overhead.
const MARGIN: usize = 1024 * 1024;

/// The most bytes the fields of a run document other than `captured_out` may take
/// together, when `captured_out` keeps up to `captured_out_bytes` bytes.
pub(crate) fn budget(captured_out_bytes: usize) -> usize {
    DOCUMENT_LIMIT
        .saturating_sub(MARGIN)
        .saturating_sub(captured_out_bytes)
}

/// The size of `key: value` as an element of a BSON document (type byte, key, value).
pub(crate) fn element_size(key: &str, value: &Bson) -> usize {
    1 + key.len() + 1 + value_size(value)
}

/// The size of `document` in BSON.
pub(crate) fn document_size(document: &Document) -> usize {
    4 + document
        .iter()
        .map(|(key, value)| element_size(key, value))
        .sum::<usize>()
        + 1
}

/// The size of a BSON value, without its type byte and key.
pub(crate) fn value_size(value: &Bson) -> usize {
    let string = |s: &str| 4 + s.len() + 1;
    match value {
        Bson::Double(_) | Bson::Int64(_) | Bson::Timestamp(_) | Bson::DateTime(_) => 8,
        Bson::Int32(_) => 4,
        Bson::Boolean(_) => 1,
        Bson::Null | Bson::Undefined | Bson::MaxKey | Bson::MinKey => 0,
        Bson::ObjectId(_) => 12,
        Bson::Decimal128(_) => 16,
        Bson::String(s) | Bson::JavaScriptCode(s) | Bson::Symbol(s) => string(s),
        Bson::Document(d) => document_size(d),
        Bson::Array(items) => {
            4 + items
                .iter()
                .enumerate()
                .map(|(i, item)| element_size(&i.to_string(), item))
                .sum::<usize>()
                + 1
        }
        Bson::RegularExpression(r) => r.pattern.len() + 1 + r.options.len() + 1,
        Bson::JavaScriptCodeWithScope(c) => 4 + string(&c.code) + document_size(&c.scope),
        Bson::Binary(b) => {
            let old = b.subtype == mongodb::bson::spec::BinarySubtype::BinaryOld;
            4 + 1 + b.bytes.len() + if old { 4 } else { 0 }
        }
        Bson::DbPointer(_) => {
            // Deprecated and never written by the observer: measured by encoding it.
            let encoded = mongodb::bson::to_vec(&doc! { "": value.clone() });
            encoded.map_or(0, |bytes| bytes.len().saturating_sub(4 + 1 + 1 + 1))
        }
    }
}

/// The fields of `fields` to move to GridFS, largest first, so that they and `others`
/// (the size of the rest of the document) fit in `budget`. Only [`SPILLABLE`] fields move;
/// `captured_out` is not counted (its room is outside the budget). A field that moves
/// still takes the room of its marker.
pub(crate) fn choose(fields: &Document, others: usize, budget: usize) -> Vec<String> {
    let mut total = others;
    let mut candidates: Vec<(usize, &str)> = Vec::new();
    for (key, value) in fields {
        if key == "captured_out" {
            continue;
        }
        let size = element_size(key, value);
        total += size;
        if SPILLABLE.contains(&key.as_str()) && size > MARKER_ROOM {
            candidates.push((size, key));
        }
    }
    candidates.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    let mut chosen = Vec::new();
    for (size, key) in candidates {
        if total <= budget {
            break;
        }
        total = total - size + MARKER_ROOM;
        chosen.push(key.to_owned());
    }
    chosen
}

/// More than a marker takes in the document (its longest filename included): a field no
/// larger than this is never worth moving.
const MARKER_ROOM: usize = 512;

/// The GridFS name of the spilled `field` of run `id` in the runs collection `runs`:
/// `config://runs/7`; `config://runs/` + `?` while the id is not allocated yet.
pub(crate) fn filename(field: &str, runs: &str, id: Option<&RunId>) -> String {
    match id {
        Some(id) => format!("{field}://{runs}/{id}"),
        None => format!("{field}://{runs}/?"),
    }
}

/// The marker of a field stored in the GridFS file `file_id` named `filename`, of
/// `bytes` bytes.
pub(crate) fn marker(file_id: Bson, filename: &str, bytes: usize) -> Bson {
    let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
    Bson::Document(doc! {
        MARKER: {
            "file_id": file_id,
            "filename": filename,
            "bytes": bytes,
            "format": "bson",
        }
    })
}

/// The GridFS file a field's value is in, when the value is a marker.
pub(crate) fn marked_file(value: &Bson) -> Option<&Bson> {
    let Bson::Document(document) = value else {
        return None;
    };
    if document.len() != 1 {
        return None;
    }
    let inner = document.get_document(MARKER).ok()?;
    inner.get_str("filename").ok()?;
    inner.get("file_id")
}

/// Gives the marker of `value` (if it is one) the filename of run `id`.
pub(crate) fn rename_marker(value: &mut Bson, field: &str, runs: &str, id: &RunId) {
    if let Bson::Document(document) = value
        && let Ok(inner) = document.get_document_mut(MARKER)
    {
        inner.insert("filename", filename(field, runs, Some(id)));
    }
}

/// The contents of the GridFS file of a spilled value: `{"value": value}` in BSON.
///
/// # Errors
/// The value cannot be encoded (binary data over 16 MiB).
pub(crate) fn encode(value: &Bson) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(value_size(value) + 16);
    doc! { "value": value.clone() }
        .to_writer(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// The value a spilled field's file holds.
///
/// # Errors
/// The file is no BSON document with a `value`.
pub(crate) fn decode(bytes: &[u8]) -> Result<Bson, String> {
    let mut document = Document::from_reader(bytes).map_err(|e| e.to_string())?;
    document
        .remove("value")
        .ok_or_else(|| "the file holds no `value`".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::oid::ObjectId;
    use mongodb::bson::{Binary, DateTime, Regex, spec::BinarySubtype};

    fn encoded_size(document: &Document) -> usize {
        mongodb::bson::to_vec(document).unwrap_or_default().len()
    }

    #[test]
    fn sizes_are_those_of_the_encoding() {
        let document = doc! {
            "_id": "run", "n": 1, "big": 1_i64 << 40, "f": 0.5, "yes": true, "none": Bson::Null,
            "t": DateTime::from_millis(7), "oid": ObjectId::new(), "text": "héllo",
            "list": [1, "two", [3.0, { "four": 4 }], Bson::Null],
            "nested": { "a": { "b": [] }, "ü": "" },
            "re": Regex { pattern: "a+".into(), options: "i".into() },
            "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2, 3] },
            "old": Binary { subtype: BinarySubtype::BinaryOld, bytes: vec![1, 2] },
            "long_list": (0..120).map(Bson::Int32).collect::<Vec<_>>(),
        };
        assert_eq!(document_size(&document), encoded_size(&document));
        for (key, value) in &document {
            let alone = doc! { key: value.clone() };
            assert_eq!(element_size(key, value) + 5, encoded_size(&alone), "{key}");
        }
    }

    #[test]
    fn the_largest_fields_move_until_the_document_fits() {
        let fields = doc! {
            "config": "c".repeat(6000),
            "info": "i".repeat(3000),
            "result": "r".repeat(2000),
            "captured_out": "o".repeat(50_000),
            "status": "s".repeat(4000),
        };
        // Everything fits: nothing moves, and the output is not counted.
        assert!(choose(&fields, 0, 20_000).is_empty());
        // The largest spillable field first; `status` never moves.
        assert_eq!(choose(&fields, 0, 12_000), ["config"]);
        assert_eq!(choose(&fields, 3_000, 12_000), ["config", "info"]);
        assert_eq!(
            choose(&fields, 8_000, 10_000),
            ["config", "info", "result"],
            "moves what it can even when the rest alone is too large"
        );
        // Small fields are never worth a marker.
        assert!(choose(&doc! { "result": 1 }, 100, 10).is_empty());
    }

    #[test]
    fn budget_leaves_room_for_the_output_and_a_margin() {
        assert_eq!(budget(0), 15 * 1024 * 1024);
        assert_eq!(budget(1 << 20), 14 * 1024 * 1024);
        assert_eq!(budget(usize::MAX), 0);
    }

    #[test]
    fn markers_are_recognised_and_values_come_back_with_their_types() {
        let id = Bson::ObjectId(ObjectId::new());
        let mut value = marker(id.clone(), "config://runs/?", 42);
        assert_eq!(marked_file(&value), Some(&id));
        rename_marker(&mut value, "config", "runs", &RunId::Int(7));
        assert_eq!(
            value
                .as_document()
                .and_then(|d| d.get_document(MARKER).ok())
                .and_then(|d| d.get_str("filename").ok()),
            Some("config://runs/7")
        );
        assert_eq!(
            filename("info", "x_runs", Some(&RunId::Str("a".into()))),
            "info://x_runs/a"
        );
        // A config that merely has such a key is no marker.
        assert_eq!(marked_file(&Bson::Document(doc! { MARKER: 1 })), None);
        assert_eq!(
            marked_file(&Bson::Document(
                doc! { MARKER: { "file_id": 1, "filename": "f" }, "b": 2 }
            )),
            None
        );
        assert_eq!(marked_file(&Bson::String("x".into())), None);

        let original = Bson::Document(doc! {
            "n": 1, "big": 1_i64 << 40, "list": [0.5, "x"], "when": DateTime::from_millis(3)
        });
        let bytes = encode(&original).unwrap();
        assert_eq!(decode(&bytes).unwrap(), original);
        assert!(decode(b"nonsense").is_err());
    }

    #[test]
    fn values_past_16_mib_encode_and_decode() {
        let original = Bson::Array(vec![Bson::String("x".repeat(17 << 20)), Bson::Int32(1)]);
        let bytes = encode(&original).unwrap();
        assert_eq!(bytes.len(), value_size(&original) + 5 + "value".len() + 2);
        assert_eq!(decode(&bytes).unwrap(), original);
    }
}
