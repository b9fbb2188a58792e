//! JSON values and run events as BSON, with the types pymongo gives Sacred's records
//! (and run ids and times back from BSON).
//!
//! - integers that fit in 32 bits are `Int32` (pymongo sends small Python ints so), others
//!   `Int64`; integers above `i64::MAX` become `Double`;
//! - floats are `Double`; times are BSON dates (milliseconds, truncated as pymongo does);
//! - keys MongoDB cannot store everywhere are rewritten as Sacred's `force_bson_encodeable`
//!   does: a leading `$` becomes `@`, `.` becomes `,`, and NUL is dropped.

use mongodb::bson::{Bson, DateTime, Document};
use sacred_core::observer::RunId;
use sacred_core::time::Timestamp;
use serde_json::Value;

/// An integer as pymongo sends it: `Int32` when it fits.
pub(crate) fn int(n: i64) -> Bson {
    match i32::try_from(n) {
        Ok(small) => Bson::Int32(small),
        Err(_) => Bson::Int64(n),
    }
}

/// An unsigned integer (a metric step).
pub(crate) fn uint(n: u64) -> Bson {
    match i64::try_from(n) {
        Ok(n) => int(n),
        // Beyond what BSON integers hold.
        #[allow(clippy::cast_precision_loss)]
        Err(_) => Bson::Double(n as f64),
    }
}

/// A time as a BSON date.
pub(crate) fn date(t: Timestamp) -> Bson {
    Bson::DateTime(DateTime::from_millis(t.as_millis()))
}

/// A run id as the `_id` of its document.
pub(crate) fn id_bson(id: &RunId) -> Bson {
    match id {
        RunId::Int(n) => int(*n),
        RunId::Str(s) => Bson::String(s.clone()),
    }
}

/// The `_id` of a run's document as a [`RunId`]: integers as [`RunId::Int`], anything else
/// as its text.
pub(crate) fn run_id(id: &Bson) -> RunId {
    match id {
        Bson::Int32(n) => RunId::Int(i64::from(*n)),
        Bson::Int64(n) => RunId::Int(*n),
        Bson::String(s) => RunId::Str(s.clone()),
        other => RunId::Str(other.to_string()),
    }
}

/// A BSON date as a [`Timestamp`] (whole milliseconds).
pub(crate) fn timestamp(date: &DateTime) -> Timestamp {
    Timestamp::from_micros(date.timestamp_millis().saturating_mul(1000))
}

/// A JSON value as BSON.
pub(crate) fn to_bson(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                int(i)
            } else if let Some(u) = n.as_u64() {
                uint(u)
            } else {
                Bson::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect()),
        Value::Object(map) => Bson::Document(
            map.iter()
                .map(|(key, value)| (safe_key(key), to_bson(value)))
                .collect(),
        ),
    }
}

/// A JSON object as a document; any other value is wrapped as `{"value": …}`.
pub(crate) fn to_document(value: &Value) -> Document {
    match to_bson(value) {
        Bson::Document(doc) => doc,
        Bson::Null => Document::new(),
        other => {
            let mut doc = Document::new();
            doc.insert("value", other);
            doc
        }
    }
}

/// A key MongoDB stores and updates everywhere (see the module docs).
pub(crate) fn safe_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (i, c) in key.chars().enumerate() {
        match c {
            '$' if i == 0 => out.push('@'),
            '.' => out.push(','),
            '\0' => {}
            c => out.push(c),
        }
    }
    out
}

/// Sacred's `meta` with `priority` as a float (Sacred stores `float(-P)`), plus `extra`.
pub(crate) fn meta_document(meta: &Value, extra: Option<(&str, Bson)>) -> Document {
    let mut doc = to_document(meta);
    if let Some(priority) = doc.get_mut("priority") {
        match priority {
            Bson::Int32(n) => *priority = Bson::Double(f64::from(*n)),
            #[allow(clippy::cast_precision_loss)]
            Bson::Int64(n) => *priority = Bson::Double(*n as f64),
            _ => {}
        }
    }
    if let Some((key, value)) = extra {
        doc.insert(key, value);
    }
    doc
}

pub(crate) use sacred_core::digest::md5_hex;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_get_pymongos_types() {
        let value = json!({
            "small": 32, "neg": -7, "big": 4_000_000_000_i64, "huge": u64::MAX,
            "float": 0.0001, "whole_float": 1.0, "list": [1, 2.5], "none": null, "yes": true
        });
        let doc = to_document(&value);
        assert_eq!(doc.get("small"), Some(&Bson::Int32(32)));
        assert_eq!(doc.get("neg"), Some(&Bson::Int32(-7)));
        assert_eq!(doc.get("big"), Some(&Bson::Int64(4_000_000_000)));
        assert!(matches!(doc.get("huge"), Some(Bson::Double(_))));
        assert_eq!(doc.get("float"), Some(&Bson::Double(0.0001)));
        assert_eq!(doc.get("whole_float"), Some(&Bson::Double(1.0)));
        assert_eq!(
            doc.get("list"),
            Some(&Bson::Array(vec![Bson::Int32(1), Bson::Double(2.5)]))
        );
        assert_eq!(doc.get("none"), Some(&Bson::Null));
        assert_eq!(doc.get("yes"), Some(&Bson::Boolean(true)));
        assert_eq!(uint(5), Bson::Int32(5));
        assert_eq!(uint(1 << 40), Bson::Int64(1 << 40));
        assert_eq!(int(i64::from(i32::MIN)), Bson::Int32(i32::MIN));
    }

    #[test]
    fn keys_are_made_storable() {
        let doc = to_document(&json!({"$set": 1, "a.b": {"c$": 2}, "x\u{0}y": 3}));
        let keys: Vec<&String> = doc.keys().collect();
        assert_eq!(keys, ["@set", "a,b", "xy"]);
        assert_eq!(
            doc.get_document("a,b").ok().and_then(|d| d.get("c$")),
            Some(&Bson::Int32(2))
        );
    }

    #[test]
    fn ids_and_dates() {
        assert_eq!(id_bson(&RunId::Int(3)), Bson::Int32(3));
        assert_eq!(id_bson(&RunId::Int(1 << 35)), Bson::Int64(1 << 35));
        assert_eq!(id_bson(&RunId::Str("x".into())), Bson::String("x".into()));
        let t = Timestamp::from_micros(1_795_817_129_077_128);
        assert_eq!(
            date(t),
            Bson::DateTime(DateTime::from_millis(1_795_817_129_077))
        );
        assert_eq!(
            timestamp(&DateTime::from_millis(1_795_817_129_077)),
            Timestamp::from_micros(1_795_817_129_077_000)
        );
        for id in [RunId::Int(3), RunId::Int(1 << 35), RunId::Str("x".into())] {
            assert_eq!(run_id(&id_bson(&id)), id);
        }
        assert_eq!(run_id(&Bson::Double(1.5)), RunId::Str("1.5".into()));
    }

    #[test]
    fn meta_priority_is_a_float() {
        let doc = meta_document(
            &json!({"command": "main", "priority": 2}),
            Some(("queue_time", Bson::Null)),
        );
        assert_eq!(doc.get("priority"), Some(&Bson::Double(2.0)));
        assert_eq!(doc.get("queue_time"), Some(&Bson::Null));
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(to_document(&json!(5)).get("value"), Some(&Bson::Int32(5)));
    }
}
