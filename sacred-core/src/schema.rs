//! What `#[config]` and `#[ingredient]` describe about a user's config type: its fields
//! (name, type, doc, default) or its enum variants, as constant tables.
//!
//! The tables feed `--help`, `print_config` (a line and a doc per nested field), the
//! command line (`schedule=Cosine` becomes the variant with its defaults; a variant
//! chosen by a config file is replaced, not merged) and ingredients (`with data.small`).
//! A type without the attribute (any plain serde type) has no table and shows as one
//! value, as before.

use std::marker::PhantomData;

use serde_json::Value;

use crate::experiment::NamedConfig;

/// A config type that `#[config]` or `#[ingredient]` described.
pub trait Config {
    /// The type's table.
    fn config_type() -> &'static ConfigType;
}

/// The table of one config type.
#[derive(Debug, Clone, Copy)]
pub struct ConfigType {
    /// The type's name as written (`Optimizer`).
    pub name: &'static str,
    /// The type's `///` doc comment, trimmed.
    pub doc: &'static str,
    /// Its fields or variants.
    pub kind: Kind,
    /// For an ingredient, its named configs (`with data.small`); empty otherwise.
    pub named_configs: &'static [NamedConfig],
    /// Whether the type is an ingredient (`#[ingredient]`).
    pub ingredient: bool,
}

/// A struct's fields or an enum's variants.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A struct with named fields.
    Struct(&'static [Field]),
    /// An enum, in serde's externally tagged form (`"Unit"`, `{"Variant": {…}}`).
    Enum(&'static [Variant]),
}

/// One named field of a struct or of a struct variant.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The field's name: its config key.
    pub name: &'static str,
    /// Its type as written.
    pub ty: &'static str,
    /// Its `///` doc comment, trimmed.
    pub doc: &'static str,
    /// Its `#[default(…)]`, serialised on demand.
    pub default: Option<fn() -> Result<Value, String>>,
    /// The table of the field's type, when that type has one.
    pub nested: fn() -> Option<&'static ConfigType>,
}

/// One variant of an enum.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// The variant's name: its tag.
    pub name: &'static str,
    /// Its `///` doc comment, trimmed.
    pub doc: &'static str,
    /// What it holds.
    pub fields: VariantFields,
}

/// What a variant holds.
#[derive(Debug, Clone, Copy)]
pub enum VariantFields {
    /// Nothing: written as its name, `"Constant"`.
    Unit,
    /// Named fields: `{"Cosine": {"warmup": 5}}`.
    Struct(&'static [Field]),
    /// One unnamed value: `{"Adam": {"lr": 0.1}}`; its type's table, when it has one,
    /// is reached through the variant's name (`optimizer.Adam.lr`).
    Newtype {
        /// The value's type as written.
        ty: &'static str,
        /// The table of the value's type, when it has one.
        nested: fn() -> Option<&'static ConfigType>,
    },
    /// More unnamed fields, by type: `{"Step": [10, 0.5]}`.
    Tuple(&'static [&'static str]),
}

impl ConfigType {
    /// The fields, for a struct.
    pub fn fields(&self) -> &'static [Field] {
        match self.kind {
            Kind::Struct(fields) => fields,
            Kind::Enum(_) => &[],
        }
    }

    /// The variants, for an enum.
    pub fn variants(&self) -> &'static [Variant] {
        match self.kind {
            Kind::Enum(variants) => variants,
            Kind::Struct(_) => &[],
        }
    }

    /// The defaults of a struct's fields, as an object: a field's own `#[default]`, or,
    /// without one, the defaults of its type's fields. `None` for an enum or a struct
    /// without any default.
    pub fn defaults(&self) -> Option<Result<Value, String>> {
        match self.kind {
            Kind::Struct(fields) => fields_defaults(fields),
            Kind::Enum(_) => None,
        }
    }
}

/// The defaults of named fields, as an object; `None` when no field has one.
pub(crate) fn fields_defaults(fields: &[Field]) -> Option<Result<Value, String>> {
    let mut map = serde_json::Map::new();
    for field in fields {
        let value = match field.default {
            Some(default) => default(),
            None => match (field.nested)().and_then(ConfigType::defaults) {
                Some(value) => value,
                None => continue,
            },
        };
        match value {
            Ok(value) => {
                map.insert(field.name.to_owned(), value);
            }
            Err(reason) => return Some(Err(format!("`{}`: {reason}", field.name))),
        }
    }
    (!map.is_empty()).then_some(Ok(Value::Object(map)))
}

impl Field {
    /// Whether the field has a value without being set: its own default, or defaults for
    /// every field of its type.
    pub fn is_defaulted(&self) -> bool {
        self.default.is_some() || (self.nested)().is_some_and(ConfigType::is_defaulted)
    }
}

impl ConfigType {
    /// Whether every field (of a struct) has a default; an enum never has one.
    pub fn is_defaulted(&self) -> bool {
        match self.kind {
            Kind::Struct(fields) => fields
                .iter()
                .all(|f| f.is_defaulted() || self.derives_seed(f)),
            Kind::Enum(_) => false,
        }
    }
}

impl ConfigType {
    /// Whether `field` is an ingredient's `seed`, derived from the root seed when no layer
    /// sets it.
    pub fn derives_seed(&self, field: &Field) -> bool {
        self.ingredient && field.name == crate::seed::SEED_KEY
    }
}

impl Variant {
    /// How the variant is written on the command line: `Constant`,
    /// `{Cosine: {warmup: …, min_lr: …}}`, `{Step: …}`.
    pub fn form(&self) -> String {
        self.form_with(|_| true)
    }

    /// The fields the variant holds by name: a struct variant's, or those of the table of
    /// a newtype variant's value.
    pub fn named_fields(&self) -> &'static [Field] {
        match self.fields {
            VariantFields::Struct(fields) => fields,
            VariantFields::Newtype { nested, .. } => nested().map_or(&[], ConfigType::fields),
            VariantFields::Unit | VariantFields::Tuple(_) => &[],
        }
    }

    /// The table below the variant's name: a newtype variant's value's table.
    pub fn inner_table(&self) -> Option<&'static ConfigType> {
        match self.fields {
            VariantFields::Newtype { nested, .. } => nested(),
            _ => None,
        }
    }

    /// [`form`](Self::form) with only the fields that need a value: those without a
    /// default (`{Linear: {end: …}}`).
    pub fn required_form(&self) -> String {
        self.form_with(|f| !f.is_defaulted())
    }

    fn form_with(&self, shown: impl Fn(&Field) -> bool + Copy) -> String {
        match self.fields {
            VariantFields::Unit => self.name.to_owned(),
            VariantFields::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .filter(|f| shown(f))
                    .map(|f| format!("{}: …", f.name))
                    .collect();
                format!("{{{}: {{{}}}}}", self.name, inner.join(", "))
            }
            VariantFields::Newtype { nested, .. } => match nested() {
                Some(table) if !table.fields().is_empty() => Variant {
                    fields: VariantFields::Struct(table.fields()),
                    ..*self
                }
                .form_with(shown),
                _ => format!("{{{}: …}}", self.name),
            },
            VariantFields::Tuple([_]) => format!("{{{}: …}}", self.name),
            VariantFields::Tuple(types) => {
                let inner = vec!["…"; types.len()].join(", ");
                format!("{{{}: [{inner}]}}", self.name)
            }
        }
    }

    /// The variant as a value when written by its name alone: a unit variant, or a
    /// variant whose fields (or whose one value's fields) all have defaults. `Err` names
    /// the fields that lack one.
    pub fn by_name(&self) -> Result<Value, String> {
        match self.fields {
            VariantFields::Unit => Ok(Value::String(self.name.to_owned())),
            VariantFields::Newtype { nested, ty } => match nested() {
                Some(table) if !table.fields().is_empty() => Variant {
                    fields: VariantFields::Struct(table.fields()),
                    ..*self
                }
                .by_name(),
                _ => Err(format!("holds a value of type {ty}")),
            },
            VariantFields::Struct(fields) => {
                let missing: Vec<&str> = fields
                    .iter()
                    .filter(|f| !f.is_defaulted())
                    .map(|f| f.name)
                    .collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "has fields without a default ({})",
                        missing.join(", ")
                    ));
                }
                let values = fields_defaults(fields)
                    .transpose()?
                    .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
                let mut map = serde_json::Map::new();
                map.insert(self.name.to_owned(), values);
                Ok(Value::Object(map))
            }
            VariantFields::Tuple(_) => Err("holds unnamed values".to_owned()),
        }
    }
}

/// Picks the table of `T` when `T` has one: `(&Pick::<T>::NEW).sacred_config_type()`
/// resolves to [`PickConfig`] for a [`Config`] type and to [`PickValue`] for any other.
#[doc(hidden)]
pub struct Pick<T: ?Sized>(PhantomData<fn() -> Box<T>>);

impl<T: ?Sized> Pick<T> {
    /// The picker.
    pub const NEW: Self = Self(PhantomData);
}

/// The [`Pick`] of a [`Config`] type.
#[doc(hidden)]
pub trait PickConfig {
    /// The type's table.
    fn sacred_config_type(&self) -> Option<&'static ConfigType>;
}

impl<T: Config + ?Sized> PickConfig for Pick<T> {
    fn sacred_config_type(&self) -> Option<&'static ConfigType> {
        Some(T::config_type())
    }
}

/// The [`Pick`] of any other type.
#[doc(hidden)]
pub trait PickValue {
    /// No table.
    fn sacred_config_type(&self) -> Option<&'static ConfigType>;
}

impl<T: ?Sized> PickValue for &Pick<T> {
    fn sacred_config_type(&self) -> Option<&'static ConfigType> {
        None
    }
}

/// A field's default, serialised: the type parameter is the field's type, so a default of
/// the wrong type is a compile error at the default's expression.
#[doc(hidden)]
pub fn default_json<T: serde::Serialize>(value: T) -> Result<Value, String> {
    serde_json::to_value(&value).map_err(|e| e.to_string())
}

/// Where a dotted key leads in the tables, starting from the experiment's parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node {
    /// A value whose type has a table.
    Typed(&'static ConfigType),
    /// A value with no table (or a key the tables do not know).
    Untyped,
}

/// The table at a dotted key below a type: struct fields by name, enum variants by tag.
pub(crate) fn node_at(root: &'static ConfigType, path: &[&str]) -> Node {
    let mut node = root;
    let mut rest = path;
    while let Some((segment, tail)) = rest.split_first() {
        // In a struct the segment names a field; in an enum it names a variant, and the
        // segment after it a field of that variant.
        let (fields, field, tail) = match node.kind {
            Kind::Struct(fields) => (fields, segment, tail),
            Kind::Enum(variants) => {
                let Some(variant) = variants.iter().find(|v| v.name == *segment) else {
                    return Node::Untyped;
                };
                // A newtype variant's value has a table of its own: go on from there.
                if let Some(inner) = variant.inner_table() {
                    node = inner;
                    rest = tail;
                    continue;
                }
                let VariantFields::Struct(fields) = variant.fields else {
                    return Node::Untyped;
                };
                let Some((field, tail)) = tail.split_first() else {
                    return Node::Untyped;
                };
                (fields, field, tail)
            }
        };
        let Some(next) = fields
            .iter()
            .find(|f| f.name == *field)
            .and_then(|f| (f.nested)())
        else {
            return Node::Untyped;
        };
        node = next;
        rest = tail;
    }
    Node::Typed(node)
}

/// The field at a dotted key below a type, for its doc and type.
pub(crate) fn field_at(root: &'static ConfigType, path: &[&str]) -> Option<&'static Field> {
    let (last, parent) = path.split_last()?;
    match node_at(root, parent) {
        Node::Typed(ty) => ty.fields().iter().find(|f| f.name == *last),
        Node::Untyped => {
            // `schedule.Cosine.warmup`: a field of a variant.
            let (variant, grand) = parent.split_last()?;
            let Node::Typed(ty) = node_at(root, grand) else {
                return None;
            };
            let v = ty.variants().iter().find(|v| v.name == *variant)?;
            match v.fields {
                VariantFields::Struct(fields) => fields.iter().find(|f| f.name == *last),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;

/// The parameter a dotted key starts with, and the rest of the key.
fn split_param<'k>(
    params: &'static [crate::experiment::Param],
    key: &'k str,
) -> Option<(&'static crate::experiment::Param, Vec<&'k str>)> {
    let mut segments = key.split('.');
    let first = segments.next()?;
    let param = params.iter().find(|p| p.name == first)?;
    Some((param, segments.collect()))
}

/// The table of the value at a dotted key of an experiment's config.
pub(crate) fn type_at_key(
    params: &'static [crate::experiment::Param],
    key: &str,
) -> Option<&'static ConfigType> {
    let (param, rest) = split_param(params, key)?;
    match node_at(param.config_type()?, &rest) {
        Node::Typed(ty) => Some(ty),
        Node::Untyped => None,
    }
}

/// The type and doc of the value at a dotted key of an experiment's config: a parameter's
/// or a nested field's.
pub(crate) fn describe_key(
    params: &'static [crate::experiment::Param],
    key: &str,
) -> Option<(&'static str, &'static str)> {
    let (param, rest) = split_param(params, key)?;
    if rest.is_empty() {
        return Some((param.ty, param.doc));
    }
    field_at(param.config_type()?, &rest).map(|f| (f.ty, f.doc))
}

/// The doc of the variant whose tag ends a dotted key (`schedule.Cosine`).
pub(crate) fn variant_doc(
    params: &'static [crate::experiment::Param],
    key: &str,
) -> Option<&'static str> {
    let (param, rest) = split_param(params, key)?;
    let (last, parent) = rest.split_last()?;
    let Node::Typed(ty) = node_at(param.config_type()?, parent) else {
        return None;
    };
    ty.variants()
        .iter()
        .find(|v| v.name == *last)
        .map(|v| v.doc)
}

/// How deep [`ingredients`] looks for ingredients inside ingredients.
const MAX_INGREDIENT_DEPTH: usize = 16;

/// Every ingredient of an experiment, with its dotted key: the parameters whose type is
/// one, and the ingredients among the fields of those and of other structs with tables
/// (`data.tokenizer`), outermost first.
pub(crate) fn ingredients(
    params: &'static [crate::experiment::Param],
) -> Vec<(String, &'static ConfigType)> {
    fn visit(
        path: String,
        ty: &'static ConfigType,
        depth: usize,
        out: &mut Vec<(String, &'static ConfigType)>,
    ) {
        if depth > MAX_INGREDIENT_DEPTH {
            return;
        }
        if ty.ingredient {
            out.push((path.clone(), ty));
        }
        for field in ty.fields() {
            if let Some(inner) = (field.nested)() {
                visit(format!("{path}.{}", field.name), inner, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    for param in params {
        if let Some(ty) = param.config_type() {
            visit(param.name.to_owned(), ty, 0, &mut out);
        }
    }
    out
}
