//! Does a record have the shape of the one Python Sacred wrote? [`assert_same_shape`]
//! compares two trees key by key and type by type; [`Tree`] is what it needs of a tree, and
//! is implemented for JSON (`serde_json::Value`, the file storage observer's records) and,
//! with the feature `mongo`, for BSON (`bson::Bson`, the MongoDB observer's documents).

use std::fmt;

use serde_json::Value;

/// Keys (dotted paths from the record's root) of Python Sacred's records that a Rust record
/// has no counterpart for: it has its own instead (`host.rust_version`).
pub const PYTHON_ONLY: &[&str] = &["host.python_version"];

/// A value of a record as [`assert_same_shape`] walks it.
pub trait Tree: fmt::Display + Sized {
    /// The type a value must keep: JSON's (integers and floats are both `number`) or
    /// BSON's element type (`Int32`, `Int64` and `Double` apart, as pymongo writes them).
    fn type_name(&self) -> String;

    /// Whether the value is null.
    fn is_null(&self) -> bool;

    /// The keys and values of an object (a BSON document), in order; `None` for any other
    /// value.
    fn entries(&self) -> Option<Vec<(&str, &Self)>>;

    /// The value of `key` in an object; `None` when it has none or this is not an object.
    fn get(&self, key: &str) -> Option<&Self>;

    /// The items of an array; `None` for any other value.
    fn items(&self) -> Option<&[Self]>;
}

/// Asserts that every key of `reference` (Python Sacred's record) is in `ours` with the
/// same [type](Tree::type_name), recursively; arrays are compared by their first items.
/// Keys in [`PYTHON_ONLY`] are skipped, and so are `meta.options.*` keys that are null on
/// one side (flags given on only one of the two command lines). Keys that only `ours` has
/// are allowed.
///
/// # Panics
///
/// At the first difference, naming its path (`host.os`, `artifacts[0]`, …).
pub fn assert_same_shape<T: Tree>(ours: &T, reference: &T) {
    compare(ours, reference, "");
}

fn compare<T: Tree>(ours: &T, reference: &T, path: &str) {
    if PYTHON_ONLY.contains(&path) {
        return;
    }
    if path.starts_with("meta.options.") && (ours.is_null() || reference.is_null()) {
        return;
    }
    assert_eq!(
        ours.type_name(),
        reference.type_name(),
        "type of `{path}`: ours {ours}, Sacred's {reference}"
    );
    if let Some(entries) = reference.entries() {
        for (key, value) in entries {
            let child = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            if PYTHON_ONLY.contains(&child.as_str()) {
                continue;
            }
            let Some(mine) = ours.get(key) else {
                panic!("`{child}` is missing; ours: {ours}");
            };
            compare(mine, value, &child);
        }
    } else if let (Some(o), Some(r)) = (ours.items(), reference.items())
        && let (Some(a), Some(b)) = (o.first(), r.first())
    {
        compare(a, b, &format!("{path}[0]"));
    }
}

impl Tree for Value {
    fn type_name(&self) -> String {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
        .to_owned()
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }

    fn entries(&self) -> Option<Vec<(&str, &Self)>> {
        self.as_object()
            .map(|o| o.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object().and_then(|o| o.get(key))
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
}

#[cfg(feature = "mongo")]
impl Tree for mongodb::bson::Bson {
    fn type_name(&self) -> String {
        format!("{:?}", self.element_type())
    }

    fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    fn entries(&self) -> Option<Vec<(&str, &Self)>> {
        self.as_document()
            .map(|d| d.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    fn get(&self, key: &str) -> Option<&Self> {
        self.as_document().and_then(|d| d.get(key))
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fails(ours: &Value, reference: &Value) -> String {
        let ours = ours.clone();
        let reference = reference.clone();
        let err = std::panic::catch_unwind(move || assert_same_shape(&ours, &reference))
            .expect_err("the shapes differ");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn same_keys_and_types_pass_and_extra_keys_of_ours_are_allowed() {
        assert_same_shape(
            &json!({"a": 1, "b": {"c": [1.5, 2]}, "rust": "x",
                    "host": {"python_version": 1, "rust_version": "1.95"}}),
            &json!({"a": 2.5, "b": {"c": [3]}, "host": {"python_version": "3.11"}}),
        );
    }

    #[test]
    fn a_missing_key_or_another_type_fails_with_its_path() {
        let msg = fails(&json!({"b": {}}), &json!({"b": {"c": 1}}));
        assert!(msg.contains("`b.c` is missing"), "{msg}");
        let msg = fails(&json!({"b": [{"c": "x"}]}), &json!({"b": [{"c": 1}]}));
        assert!(msg.contains("type of `b[0].c`"), "{msg}");
    }

    #[test]
    fn python_only_keys_and_one_sided_null_options_are_skipped() {
        assert_same_shape(
            &json!({"host": {}, "meta": {"options": {"--name": null}}}),
            &json!({"host": {"python_version": "3.11"}, "meta": {"options": {"--name": "x"}}}),
        );
        let msg = fails(
            &json!({"meta": {"other": null}}),
            &json!({"meta": {"other": "x"}}),
        );
        assert!(msg.contains("type of `meta.other`"), "{msg}");
    }

    #[cfg(feature = "mongo")]
    #[test]
    fn bson_keeps_integer_widths_apart() {
        use mongodb::bson::{Bson, doc};
        assert_same_shape(
            &Bson::Document(doc! {"a": 1_i32, "b": [1.5], "host": {}}),
            &Bson::Document(doc! {"a": 2_i32, "b": [2.5], "host": {"python_version": "3"}}),
        );
        let ours = Bson::Document(doc! {"a": 1_i64});
        let reference = Bson::Document(doc! {"a": 1_i32});
        let err = std::panic::catch_unwind(|| assert_same_shape(&ours, &reference))
            .expect_err("Int64 is not Int32");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("type of `a`"), "{msg}");
    }
}
