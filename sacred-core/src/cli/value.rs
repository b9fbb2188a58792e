//! Values of `with key=value` updates.

/// Parses the value of an update.
pub fn parse_value(text: &str) -> serde_json::Value {
    serde_json::Value::String(text.trim().to_owned())
}
