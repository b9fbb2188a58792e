//! Enums on the command line and in layers: a variant written by its name becomes the
//! variant with its defaults, and a variant that a higher layer chose replaces the one a
//! lower layer chose instead of being merged with it.

use serde_json::Value;

use crate::experiment::Param;
use crate::schema::{ConfigType, Kind, VariantFields};
use crate::{ConfigError, ConfigSource, Error, suggest};

/// Visits every value of `tree` whose type is an enum with a table, outermost first, with
/// its dotted key; `visit` may rewrite the value before its fields are visited.
pub(crate) fn for_each_enum<E>(
    params: &'static [Param],
    tree: &mut Value,
    visit: &mut impl FnMut(&str, &'static ConfigType, &mut Value) -> Result<(), E>,
) -> Result<(), E> {
    let Value::Object(map) = tree else {
        return Ok(());
    };
    for param in params {
        if let (Some(ty), Some(value)) = (param.config_type(), map.get_mut(param.name)) {
            walk(param.name, ty, value, visit)?;
        }
    }
    Ok(())
}

fn walk<E>(
    path: &str,
    ty: &'static ConfigType,
    value: &mut Value,
    visit: &mut impl FnMut(&str, &'static ConfigType, &mut Value) -> Result<(), E>,
) -> Result<(), E> {
    let fields = match ty.kind {
        Kind::Struct(fields) => fields,
        Kind::Enum(variants) => {
            visit(path, ty, value)?;
            let Value::Object(map) = value else {
                return Ok(());
            };
            for variant in variants {
                let Some(inner) = map.get_mut(variant.name) else {
                    continue;
                };
                let inner_path = format!("{path}.{}", variant.name);
                match (variant.fields, variant.inner_table()) {
                    (_, Some(table)) => walk(&inner_path, table, inner, visit)?,
                    (VariantFields::Struct(fields), None) => {
                        walk_fields(&inner_path, fields, inner, visit)?;
                    }
                    _ => {}
                }
            }
            return Ok(());
        }
    };
    walk_fields(path, fields, value, visit)
}

fn walk_fields<E>(
    path: &str,
    fields: &'static [crate::schema::Field],
    value: &mut Value,
    visit: &mut impl FnMut(&str, &'static ConfigType, &mut Value) -> Result<(), E>,
) -> Result<(), E> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    for field in fields {
        if let (Some(ty), Some(inner)) = ((field.nested)(), map.get_mut(field.name)) {
            walk(&format!("{path}.{}", field.name), ty, inner, visit)?;
        }
    }
    Ok(())
}

/// Rewrites variants written by name (`"Cosine"`) in one layer's values into the variant
/// with its defaults; a name that is no variant, or a variant with fields that have no
/// default, is an error naming the key, the value and the forms of the variants.
pub(crate) fn expand_variant_names(
    params: &'static [Param],
    tree: &mut Value,
    source: &ConfigSource,
) -> Result<(), Error> {
    for_each_enum(params, tree, &mut |path, ty, value| {
        let Value::String(name) = value else {
            return Ok(());
        };
        let (problem, hint) = match ty.variants().iter().find(|v| v.name == name) {
            Some(variant) => match variant.by_name() {
                Ok(expanded) => {
                    *value = expanded;
                    return Ok(());
                }
                Err(why) => (
                    format!("variant `{name}` {why}"),
                    format!(
                        "give them inline: `{path}={}` (the others take their defaults)",
                        variant.required_form()
                    ),
                ),
            },
            None => {
                let names = ty.variants().iter().map(|v| v.name);
                let mut hint = suggest::did_you_mean(name, names).unwrap_or_default();
                if !hint.is_empty() {
                    hint.push_str("\n  ");
                }
                hint.push_str(&format!(
                    "write a variant as `{path}=NAME` (when its fields have defaults) or \
                     `{path}={{NAME: {{field: value}}}}`"
                ));
                ("unknown variant".to_owned(), hint)
            }
        };
        Err(ConfigError {
            problem,
            key: path.to_owned(),
            value: Some(super::render::described(&Value::String(name.clone()))),
            expected: expected_variants(ty),
            source: Some(source.clone()),
            hint: Some(hint),
        }
        .into())
    })
}

/// For keys of an enum's table that are no variant but a field of one
/// (`schedule.warmup`), the dotted key with the variant (`schedule.Cosine.warmup`).
pub(crate) fn misplaced_fields(path: &str, ty: &ConfigType, value: &Value) -> Option<String> {
    let Value::Object(map) = value else {
        return None;
    };
    let mut found = Vec::new();
    for key in map.keys() {
        if ty.variants().iter().any(|v| v.name == key.as_str()) {
            continue;
        }
        let owner = ty
            .variants()
            .iter()
            .find(|v| v.named_fields().iter().any(|f| f.name == key.as_str()));
        if let Some(variant) = owner {
            found.push(format!("{path}.{}.{key}", variant.name));
        }
    }
    crate::suggest::did_you_mean_any(&found)
}

/// `one of the variants of Schedule: Constant, {Cosine: {warmup: …}}`.
pub(crate) fn expected_variants(ty: &ConfigType) -> String {
    let forms: Vec<String> = ty.variants().iter().map(|v| v.form()).collect();
    format!("one of the variants of {}: {}", ty.name, forms.join(", "))
}

/// Settles every enum of the merged tree on one variant with all its fields:
/// - an enum holding more than one variant (a lower layer chose one, a higher layer
///   another) keeps only the variant of the highest layer that chose one;
/// - fields of the chosen variant that no layer set take their defaults, so that
///   `schedule={Cosine: {warmup: 5}}` needs only the fields it changes.
///
/// `layers` are the layers' values, lowest first.
pub(crate) fn settle_variants(params: &'static [Param], tree: &mut Value, layers: &[&Value]) {
    let _ = for_each_enum::<()>(params, tree, &mut |path, ty, value| {
        let Value::Object(map) = value else {
            return Ok(());
        };
        // The highest layer that sets the value as a table decides; one that names more
        // than one variant itself is left to the type check, which lists the forms.
        let top = layers
            .iter()
            .rev()
            .find_map(|layer| match super::render::lookup(layer, path) {
                Some(Value::Object(set)) if !set.is_empty() => Some(set),
                _ => None,
            });
        if map.len() > 1
            && let Some(set) = top
            && set.len() == 1
            && let Some(chosen) = set.keys().next()
            && ty.variants().iter().any(|v| v.name == chosen.as_str())
        {
            map.retain(|key, _| key == chosen);
        }
        if map.len() == 1
            && let Some((name, fields)) = map.iter_mut().next()
            && let Some(variant) = ty.variants().iter().find(|v| v.name == name.as_str())
            && let Some(Ok(mut defaults)) = crate::schema::fields_defaults(variant.named_fields())
        {
            super::layer::merge_into(&mut defaults, std::mem::take(fields));
            *fields = defaults;
        }
        Ok(())
    });
}
