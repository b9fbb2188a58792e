//! One layer of config values and where it came from, as a `figment` provider.

use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};

use crate::ConfigSource;

/// Values from one source: the defaults, a named config, a config file, one update.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    /// Where the values came from.
    pub(crate) source: ConfigSource,
    /// The values, keys already nested.
    dict: Dict,
    /// The same values as JSON.
    json: serde_json::Value,
}

impl Layer {
    /// A layer from a JSON object; dotted keys (`optimizer.lr`) are expanded into nested
    /// objects. A value that is not an object is an error naming the source.
    pub(crate) fn from_json(
        source: ConfigSource,
        value: serde_json::Value,
    ) -> Result<Self, String> {
        let serde_json::Value::Object(_) = value else {
            return Err(format!(
                "expected a table of config values, found {}",
                super::render::kind(&value)
            ));
        };
        let json = expand_dotted_keys(value);
        let dict = to_dict(&json)?;
        Ok(Self { source, dict, json })
    }

    /// The values as JSON, keys nested.
    pub(crate) fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// Writes enum variants given by name (`"Cosine"`) as the variant with its defaults.
    ///
    /// # Errors
    /// A name that is no variant, or a variant with fields that lack a default.
    pub(crate) fn expand_variant_names(
        mut self,
        params: &'static [crate::experiment::Param],
    ) -> Result<Self, crate::Error> {
        super::variants::expand_variant_names(params, &mut self.json, &self.source)?;
        self.dict = to_dict(&self.json).map_err(crate::Error::usage)?;
        Ok(self)
    }

    /// A layer that sets one dotted key.
    pub(crate) fn single(source: ConfigSource, key: &str, value: serde_json::Value) -> Self {
        let json = nest(key, value);
        let dict = to_dict(&json).unwrap_or_default();
        Self { source, dict, json }
    }

    /// The name under which figment keeps this layer's metadata.
    pub(crate) fn label(&self) -> String {
        self.source.to_string()
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.label())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut map = Map::new();
        map.insert(Profile::Default, self.dict.clone());
        Ok(map)
    }
}

/// A JSON object as figment's dictionary.
fn to_dict(json: &serde_json::Value) -> Result<Dict, String> {
    Ok(Value::serialize(json)
        .map_err(|e| e.to_string())?
        .into_dict()
        .unwrap_or_default())
}

/// `nest("a.b", v)` is `{"a": {"b": v}}`.
pub(crate) fn nest(key: &str, value: serde_json::Value) -> serde_json::Value {
    key.rsplit('.').fold(value, |inner, segment| {
        let mut map = serde_json::Map::new();
        map.insert(segment.to_owned(), inner);
        serde_json::Value::Object(map)
    })
}

/// Expands keys with dots in every object of a value into nested objects, merging objects
/// that meet (`{"a.b": 1, "a": {"c": 2}}` is `{"a": {"b": 1, "c": 2}}`).
pub(crate) fn expand_dotted_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut out = serde_json::Value::Object(serde_json::Map::new());
            for (key, inner) in map {
                merge_into(&mut out, nest(&key, expand_dotted_keys(inner)));
            }
            out
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(expand_dotted_keys).collect())
        }
        other => other,
    }
}

/// Merges `patch` into `base`: objects recursively, everything else replaced.
pub(crate) fn merge_into(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(existing) => merge_into(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_keys_nest_and_merge() {
        assert_eq!(nest("a.b.c", json!(1)), json!({"a": {"b": {"c": 1}}}));
        assert_eq!(
            expand_dotted_keys(json!({"a.b": 1, "a": {"c": 2}, "d": [{"e.f": 3}]})),
            json!({"a": {"b": 1, "c": 2}, "d": [{"e": {"f": 3}}]})
        );
    }

    #[test]
    fn a_layer_must_be_a_table() {
        assert!(Layer::from_json(ConfigSource::Default, json!([1])).is_err());
        assert!(Layer::from_json(ConfigSource::Default, json!({"a": 1})).is_ok());
    }
}
