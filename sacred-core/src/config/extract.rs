//! Deserialising the merged tree into the typed config, with errors that name the key, the
//! value, the expected type and the source.

use serde_json::Value;

use super::Resolved;
use super::layer::merge_into;
use super::render::{described, lookup};
use super::variants::{expected_variants, misplaced_fields};
use crate::experiment::Experiment;
use crate::schema::{describe_key, type_at_key};
use crate::seed::SEED_KEY;
use crate::{ConfigError, Error, suggest};

/// Deserialises `tree` into `E`. Returns the config, the record (the config serialised back,
/// plus unknown keys when `force`) and the unknown keys.
pub(super) fn extract<E: Experiment>(
    tree: &Value,
    force: bool,
    resolved: &Resolved,
) -> Result<(E, Value, Vec<String>), Error> {
    let mut unknown: Vec<String> = Vec::new();
    let mut on_ignored = |path: serde_ignored::Path<'_>| unknown.push(dotted(&path.to_string()));
    let deserializer = serde_ignored::Deserializer::new(tree, &mut on_ignored);
    let config: E = serde_path_to_error::deserialize(deserializer)
        .map_err(|e| type_error::<E>(e, tree, resolved))?;
    let mut record = serde_json::to_value(&config)
        .map_err(|e| Error::usage(format!("the config cannot be serialised: {e}")))?;
    if let Some(key) = unknown.first().filter(|_| !force) {
        return Err(unknown_key_error::<E>(key, tree, &record, resolved).into());
    }
    for key in &unknown {
        if let Some(value) = lookup(tree, key) {
            merge_into(&mut record, super::layer::nest(key, value.clone()));
        }
    }
    Ok((config, record, unknown))
}

/// serde_ignored and serde_path_to_error write paths as `a.b.0` or `a.b[0]`; ours are
/// `a.b.0`.
fn dotted(path: &str) -> String {
    path.replace('[', ".").replace(']', "")
}

fn type_error<E: Experiment>(
    error: serde_path_to_error::Error<serde_json::Error>,
    tree: &Value,
    resolved: &Resolved,
) -> Error {
    let path = dotted(&error.path().to_string());
    let path = if path == "." { String::new() } else { path };
    let message = error.inner().to_string();
    let message = strip_position(&message);

    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        let key = join(&path, field);
        let ty = describe_key(E::INFO.params, &key)
            .map(|(ty, _)| format!("a value of type {ty}"))
            .unwrap_or_else(|| "a value".to_owned());
        return ConfigError {
            problem: "missing value".to_owned(),
            key: key.clone(),
            value: None,
            expected: ty,
            source: None,
            hint: Some(format!("set it on the command line: `with {key}=…`")),
        }
        .into();
    }

    let (problem, expected) = match message.split_once(", expected ") {
        Some((problem, expected)) => (problem, expected.to_owned()),
        None => (message, "a valid value".to_owned()),
    };
    let declared = describe_key(E::INFO.params, &path).map(|(ty, _)| ty);
    let table = type_at_key(E::INFO.params, &path);
    let hint = table
        .zip(lookup(tree, &path))
        .and_then(|(table, value)| misplaced_fields(&path, table, value));
    let expected = match (table, declared) {
        (Some(table), _) if !table.variants().is_empty() => expected_variants(table),
        (_, Some(ty)) if ty != expected => format!("{expected} (`{path}` has type {ty})"),
        _ => expected,
    };
    let problem = if problem.starts_with("invalid type") {
        "wrong type".to_owned()
    } else {
        problem.split(':').next().unwrap_or(problem).to_owned()
    };
    ConfigError {
        problem,
        value: lookup(tree, &path).map(described),
        source: resolved.source_of(&path).cloned(),
        key: path,
        expected,
        hint,
    }
    .into()
}

fn unknown_key_error<E: Experiment>(
    key: &str,
    tree: &Value,
    record: &Value,
    resolved: &Resolved,
) -> ConfigError {
    let (parent, last) = key.rsplit_once('.').unwrap_or(("", key));
    let siblings: Vec<String> = match lookup(record, parent) {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let siblings: Vec<&str> = if parent.is_empty() {
        let mut names: Vec<&str> = E::INFO.params.iter().map(|p| p.name).collect();
        if !names.contains(&SEED_KEY) {
            names.push(SEED_KEY);
        }
        names
    } else {
        siblings.iter().map(String::as_str).collect()
    };
    let expected = if siblings.is_empty() {
        "no keys here".to_owned()
    } else {
        format!("one of {}", siblings.join(", "))
    };
    let nested = nested_namesakes(record, key, last);
    let hint = suggest::did_you_mean(last, siblings.iter().copied())
        .map(|h| match h.strip_prefix("did you mean `") {
            Some(rest) if !parent.is_empty() => format!("did you mean `{parent}.{rest}"),
            _ => h,
        })
        .or_else(|| suggest::did_you_mean_any(&nested))
        .into_iter()
        .chain(std::iter::once(
            "use -f/--force to record it anyway (it is not passed to the experiment)".to_owned(),
        ))
        .collect::<Vec<_>>()
        .join("\n  ");
    ConfigError {
        problem: "unknown config key".to_owned(),
        key: key.to_owned(),
        value: lookup(tree, key).map(described),
        expected,
        source: resolved.source_of(key).cloned(),
        hint: Some(hint),
    }
}

/// The dotted keys of the record, other than `key`, whose last segment is `last`
/// (`optimizer.lr` for `lr`, `schedule.Cosine.warmup` for `schedule.warmup`).
fn nested_namesakes(record: &Value, key: &str, last: &str) -> Vec<String> {
    fn collect(node: &Value, prefix: &str, last: &str, out: &mut Vec<String>) {
        let Value::Object(map) = node else {
            return;
        };
        for (name, inner) in map {
            let path = join(prefix, name);
            if !prefix.is_empty() && name == last {
                out.push(path.clone());
            }
            collect(inner, &path, last, out);
        }
    }
    let mut out = Vec::new();
    collect(record, "", last, &mut out);
    out.retain(|found| found != key);
    out
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// serde_json appends ` at line L column C` to errors from text; trees have no position.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    }
}
