//! Config resolution: defaults, named configs, config files and command-line updates,
//! layered with `figment` so every value knows where it came from.
//!
//! Order, lowest to highest: the parameters' defaults; named configs and config files in
//! command-line order; `key=value` updates in command-line order. The seed is drawn last,
//! only when no layer set it. The merged tree is then deserialised into the experiment's
//! config struct; every error names the key, the value, the expected type and the source.

mod extract;
mod file;
mod layer;
mod print;
pub(crate) mod render;
mod save;
mod variants;

use std::collections::HashMap;
use std::path::Path;

use figment::Figment;

use crate::cli::Update;
use crate::experiment::{Experiment, ExperimentInfo, NamedConfig};
use crate::seed::{self, SEED_KEY};
use crate::suggest;
use crate::{ConfigSource, Env, Error};

pub(crate) use file::{DEFAULT_SAVE_FILE, default_save_path};
use layer::Layer;
pub(crate) use print::{PrintOptions, render_config, render_named_configs};
pub(crate) use save::{CONFIG_FILENAME_KEY, save_config, take_config_filename};

/// Sets a dotted key in a JSON object, creating nested objects on the way.
pub(crate) fn merge_update(target: &mut serde_json::Value, key: &str, value: serde_json::Value) {
    layer::merge_into(target, layer::nest(key, value));
}

/// A resolved config: the recorded values, the defaults they started from, and where each
/// value came from.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The config as recorded: the typed config serialised back, plus keys added with
    /// `-f/--force`.
    pub record: serde_json::Value,
    /// The parameters' defaults, as an object.
    pub defaults: serde_json::Value,
    /// The root seed.
    pub seed: u64,
    /// Dotted keys that match no config field, kept in the record with `-f/--force`.
    pub added: Vec<String>,
    figment: Figment,
    sources: HashMap<String, ConfigSource>,
}

impl Resolved {
    /// Sacred's `meta.config_updates`: the values the `key=value` updates set, as they were
    /// resolved, nested by their dotted keys.
    pub(crate) fn config_updates(&self, updates: &[Update]) -> serde_json::Value {
        let mut values = serde_json::Value::Object(serde_json::Map::new());
        for update in updates {
            if let Update::Set { key, .. } = update
                && let Some(value) = render::lookup(&self.record, key)
            {
                merge_update(&mut values, key, value.clone());
            }
        }
        values
    }

    /// Where the value at a dotted key came from; for a key inside a value set as a whole
    /// (a table from a file), the source of that value.
    pub(crate) fn source_of(&self, key: &str) -> Option<&ConfigSource> {
        let mut path = key;
        loop {
            if let Some(meta) = self.figment.find_metadata(path) {
                return self.sources.get(meta.name.as_ref());
            }
            path = path.rsplit_once('.')?.0;
        }
    }
}

/// Resolves the config of experiment `E` from its defaults and the `with` updates.
///
/// With `force`, keys that match no config field are a warning (returned in
/// [`Resolved::added`]) instead of an error; they are recorded but not passed on.
///
/// # Errors
/// A default that failed to serialise, an unknown named config, a missing or malformed
/// config file, a value of the wrong type, a missing required value or an unknown key.
pub(crate) fn resolve<E: Experiment>(
    updates: &[Update],
    force: bool,
    env: &Env,
) -> Result<(E, Resolved), Error> {
    let params = E::INFO.params;
    let defaults = defaults_object::<E>()?;
    let mut layers = vec![
        Layer::from_json(ConfigSource::Default, defaults.clone()).map_err(|reason| {
            Error::usage(format!("the experiment's defaults are invalid: {reason}"))
        })?,
    ];
    layers.extend(preset_layers::<E>(updates, env)?);
    for update in updates {
        if let Update::Set { key, value, token } = update {
            let source = ConfigSource::CommandLine(token.clone());
            layers.push(Layer::single(source, key, value.clone()));
        }
    }
    let mut layers = layers
        .into_iter()
        .map(|layer| layer.expand_variant_names(params))
        .collect::<Result<Vec<_>, _>>()?;

    let mut figment = layers
        .iter()
        .fold(Figment::new(), |f, l| f.merge(l.clone()));
    if !figment.contains(SEED_KEY) {
        let drawn = seed::draw_seed(E::INFO.seed_max).map_err(|e| Error::Entropy(e.to_string()))?;
        let layer = Layer::single(ConfigSource::DrawnSeed, SEED_KEY, drawn.into());
        figment = figment.merge(layer.clone());
        layers.push(layer);
    }
    let root_seed = figment.extract_inner::<u64>(SEED_KEY).ok();
    for layer in ingredient_seeds(params, &figment, root_seed) {
        figment = figment.merge(layer.clone());
        layers.push(layer);
    }
    let mut tree: serde_json::Value = figment
        .extract()
        .map_err(|e| Error::usage(format!("the config could not be merged: {e}")))?;
    let values: Vec<&serde_json::Value> = layers.iter().map(Layer::json).collect();
    variants::settle_variants(params, &mut tree, &values);
    let sources = layers.into_iter().map(|l| (l.label(), l.source)).collect();

    let mut resolved = Resolved {
        record: serde_json::Value::Null,
        defaults,
        seed: 0,
        added: Vec::new(),
        figment,
        sources,
    };
    let (config, record, added) = extract::extract::<E>(&tree, force, &resolved)?;
    resolved.seed = record
        .get(SEED_KEY)
        .and_then(|s| s.as_u64().or_else(|| s.as_i64().map(i64::cast_unsigned)))
        .unwrap_or(0);
    resolved.record = record;
    resolved.added = added;
    Ok((config, resolved))
}

/// For each ingredient whose type has a `seed` field that no layer set, a layer that sets
/// it to `seed_for(root, PATH)`, the same value as `run.seed_for("PATH")` (`data`, or
/// `data.tokenizer` for an ingredient inside one).
fn ingredient_seeds(
    params: &'static [crate::experiment::Param],
    figment: &Figment,
    root: Option<u64>,
) -> Vec<Layer> {
    let Some(root) = root else {
        return Vec::new();
    };
    crate::schema::ingredients(params)
        .into_iter()
        .filter(|(_, ty)| ty.fields().iter().any(|f| ty.derives_seed(f)))
        .filter_map(|(path, _)| {
            let key = format!("{path}.{SEED_KEY}");
            if figment.contains(&key) {
                return None;
            }
            let value = seed::seed_for(root, &path);
            Some(Layer::single(
                ConfigSource::DerivedSeed(path),
                &key,
                value.into(),
            ))
        })
        .collect()
}

/// The parameters' defaults as an object; a parameter without a `#[default]` whose type's
/// table gives its fields defaults (an ingredient) gets those.
pub(crate) fn defaults_object<E: Experiment>() -> Result<serde_json::Value, Error> {
    let mut map = serde_json::Map::new();
    for param in E::INFO.params.iter().filter(|p| !p.has_default) {
        let Some(value) = param.config_type().and_then(|ty| ty.defaults()) else {
            continue;
        };
        let value = value.map_err(|reason| {
            Error::usage(format!(
                "the default of `{}` cannot be serialised: {reason}",
                param.name
            ))
        })?;
        map.insert(param.name.to_owned(), value);
    }
    for default in E::defaults() {
        let value = default.value.map_err(|reason| {
            Error::usage(format!(
                "the default of `{}` cannot be serialised: {reason}",
                default.name
            ))
        })?;
        map.insert(default.name.to_owned(), value);
    }
    Ok(serde_json::Value::Object(map))
}

/// The layers of the `with` tokens without `=`: config files and named configs, in order.
fn preset_layers<E: Experiment>(updates: &[Update], env: &Env) -> Result<Vec<Layer>, Error> {
    let mut layers = Vec::new();
    for update in updates {
        let Update::Named(token) = update else {
            continue;
        };
        let resolved_path = env.resolve(token);
        if file::looks_like_file(token, &resolved_path) {
            let value = file::load(Path::new(token), &resolved_path)?;
            let source = ConfigSource::File(token.into());
            layers.push(
                Layer::from_json(source, value).map_err(|reason| Error::ConfigFile {
                    path: token.into(),
                    reason,
                })?,
            );
            continue;
        }
        let Some((prefix, named)) = find_named_config(&E::INFO, token) else {
            return Err(unknown_preset::<E>(token));
        };
        let value = (named.build)().map_err(|reason| {
            Error::usage(format!(
                "named config `{token}` cannot be serialised: {reason}"
            ))
        })?;
        let value = match prefix {
            Some(prefix) => layer::nest(&prefix, value),
            None => value,
        };
        let source = ConfigSource::NamedConfig(token.clone());
        layers.push(Layer::from_json(source, value).map_err(|reason| {
            Error::usage(format!("named config `{token}` is invalid: {reason}"))
        })?);
    }
    Ok(layers)
}

/// Every named config: the experiment's, then each ingredient's under its dotted key
/// (`data.small`), with the prefix it applies under.
pub(crate) fn all_named_configs(
    info: &ExperimentInfo,
) -> Vec<(String, Option<String>, &'static NamedConfig)> {
    let own = info
        .named_configs
        .iter()
        .map(|n| (n.name.to_owned(), None, n));
    let ingredients = crate::schema::ingredients(info.params)
        .into_iter()
        .flat_map(|(path, ty)| {
            ty.named_configs
                .iter()
                .map(move |n| (format!("{path}.{}", n.name), Some(path.clone()), n))
        });
    own.chain(ingredients).collect()
}

/// The named config called `token` and the prefix it applies under.
fn find_named_config(
    info: &ExperimentInfo,
    token: &str,
) -> Option<(Option<String>, &'static NamedConfig)> {
    all_named_configs(info)
        .into_iter()
        .find(|(name, _, _)| name == token)
        .map(|(_, prefix, named)| (prefix, named))
}

fn unknown_preset<E: Experiment>(token: &str) -> Error {
    let all = all_named_configs(&E::INFO);
    let names: Vec<&str> = all.iter().map(|(name, _, _)| name.as_str()).collect();
    let available = if names.is_empty() {
        "this experiment has no named configs".to_owned()
    } else {
        format!("named configs: {}", names.join(", "))
    };
    let mut message = format!(
        "`with {token}`: `{token}` is neither a named config nor a config file; expected a \
         named config, a .toml/.json/.yaml file, or KEY=VALUE ({available})"
    );
    let is_key = token == SEED_KEY || crate::schema::describe_key(E::INFO.params, token).is_some();
    if is_key {
        message.push_str(&format!(
            "\n  `{token}` is a config key: set it with `with {token}=VALUE`"
        ));
    } else if let Some(hint) = suggest::did_you_mean(token, names.iter().copied()) {
        message.push_str(&format!("\n  {hint}"));
    }
    Error::usage(message)
}

#[cfg(test)]
mod enum_tests;
#[cfg(test)]
pub(crate) mod tests;
