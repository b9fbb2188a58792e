//! Compact renderings of config values for messages and `print_config`.

use serde_json::Value;

/// A value on one line: strings quoted, arrays `[a, b]`, objects `{"k": v}`, `null`.
pub(crate) fn compact(value: &Value) -> String {
    let mut out = String::new();
    write_compact(value, &mut out);
    out
}

fn write_compact(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_compact(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// What kind of value this is, in words: `a string`, `an integer`, `a table`.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// A value with its kind, for error messages: `"abc" (a string)`.
pub(crate) fn described(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        other => format!("{} ({})", compact(other), kind(other)),
    }
}

/// The value at a dotted path (`optimizer.betas.0`: array elements by index).
pub(crate) fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(root);
    }
    path.split('.').try_fold(root, |node, segment| match node {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_compactly() {
        assert_eq!(
            compact(&json!({"a": [0.9, 0.999], "b": "x", "c": null, "d": 1.0})),
            r#"{"a": [0.9, 0.999], "b": "x", "c": null, "d": 1.0}"#
        );
        assert_eq!(described(&json!("abc")), r#""abc" (a string)"#);
        assert_eq!(described(&json!(3)), "3 (an integer)");
    }

    #[test]
    fn looks_up_dotted_paths() {
        let v = json!({"a": {"b": [1, {"c": 2}]}});
        assert_eq!(lookup(&v, "a.b.1.c"), Some(&json!(2)));
        assert_eq!(lookup(&v, "a.x"), None);
        assert_eq!(lookup(&v, ""), Some(&v));
    }
}
