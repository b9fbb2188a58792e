//! `print_config` and `print_named_configs`, in Sacred's layout.

use serde_json::Value;

use super::Resolved;
use super::render::{compact, lookup};
use crate::ConfigSource;
use crate::ansi::{BLUE, DIM, GREEN, RED, RESET, paint};
use crate::experiment::ExperimentInfo;
use crate::seed::{SEED_DOC, SEED_KEY};

/// The column at which docs start: Sacred pads `  key = value` of the top level to 35
/// characters after the indent, so docs line up at column 37 (counting from 0) on every
/// level.
const DOC_COLUMN: usize = 37;

/// How to print a config.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PrintOptions {
    /// Colour modified, added and typechanged entries and docs with ANSI escapes.
    pub color: bool,
    /// Say where each value came from.
    pub sources: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Plain,
    Modified,
    Added,
    TypeChanged,
}

impl Mark {
    fn color(self) -> Option<&'static str> {
        match self {
            Mark::Plain => None,
            Mark::Modified => Some(BLUE),
            Mark::Added => Some(GREEN),
            Mark::TypeChanged => Some(RED),
        }
    }
}

/// Renders a resolved config as Sacred's `print_config` does: a legend line, then per level
/// the leaves sorted by key, then the sub-tables sorted by key, two spaces of indent per
/// level, docs from column 35.
pub(crate) fn render_config(
    resolved: &Resolved,
    info: &ExperimentInfo,
    options: PrintOptions,
) -> String {
    let mut out = if options.color {
        format!(
            "Configuration ({BLUE}modified{RESET}, {GREEN}added{RESET}, \
             {RED}typechanged{RESET}, {DIM}doc{RESET}):\n"
        )
    } else {
        "Configuration (modified, added, typechanged, doc):\n".to_owned()
    };
    let printer = Printer {
        resolved,
        info,
        options,
    };
    printer.level(&resolved.record, "", 1, &mut out);
    out
}

struct Printer<'a> {
    resolved: &'a Resolved,
    info: &'a ExperimentInfo,
    options: PrintOptions,
}

impl Printer<'_> {
    fn level(&self, node: &Value, prefix: &str, depth: usize, out: &mut String) {
        let Value::Object(map) = node else {
            return;
        };
        let mut leaves: Vec<(&String, &Value)> = map.iter().filter(|(_, v)| !is_table(v)).collect();
        let mut tables: Vec<(&String, &Value)> = map.iter().filter(|(_, v)| is_table(v)).collect();
        leaves.sort_by(|a, b| a.0.cmp(b.0));
        tables.sort_by(|a, b| a.0.cmp(b.0));
        let indent = "  ".repeat(depth);
        for (key, value) in leaves {
            let path = join(prefix, key);
            let entry = format!("{key} = {}", compact(value));
            self.line(&indent, &entry, &path, Some(value), out);
        }
        for (key, value) in tables {
            let path = join(prefix, key);
            self.line(&indent, &format!("{key}:"), &path, Some(value), out);
            self.level(value, &path, depth + 1, out);
        }
    }

    fn line(&self, indent: &str, entry: &str, path: &str, value: Option<&Value>, out: &mut String) {
        let mark = value.map_or(Mark::Plain, |value| self.mark(path, value));
        let doc = self.doc(path);
        let is_leaf = value.is_some_and(|v| !is_table(v));
        let source = if self.options.sources && is_leaf {
            Some(
                self.resolved
                    .source_of(path)
                    .cloned()
                    .unwrap_or(ConfigSource::Default),
            )
        } else {
            None
        };
        let color = self.options.color;
        let line_color = mark.color().filter(|_| color);
        if let Some(c) = line_color {
            out.push_str(c);
        }
        out.push_str(indent);
        out.push_str(entry);
        let mut width = indent.len() + entry.chars().count();
        if let Some(doc) = doc {
            pad(out, &mut width);
            out.push_str(&paint(&format!("# {doc}"), DIM, color));
            width += 2 + doc.chars().count();
        }
        if let Some(source) = source {
            if doc.is_some() {
                out.push_str("  ");
            } else {
                pad(out, &mut width);
            }
            out.push_str(&format!("<- {source}"));
        }
        if line_color.is_some() {
            out.push_str(RESET);
        }
        out.push('\n');
    }

    fn doc(&self, path: &str) -> Option<&'static str> {
        if path == SEED_KEY {
            let own = self.info.params.iter().find(|p| p.name == SEED_KEY);
            return Some(
                own.map(|p| p.doc)
                    .filter(|d| !d.is_empty())
                    .unwrap_or(SEED_DOC),
            );
        }
        crate::schema::describe_key(self.info.params, path)
            .map(|(_, doc)| doc)
            .or_else(|| crate::schema::variant_doc(self.info.params, path))
            .filter(|d| !d.is_empty())
    }

    /// How the entry at `path` is marked, as Sacred marks it: added when it matches no
    /// config field (or lies under one that does not); typechanged when its JSON type differs
    /// from its default's; modified when a layer above the defaults gave it a value other
    /// than its default. A table (a `name:` header) is modified when anything under it is
    /// marked, so the path down to a change is coloured.
    fn mark(&self, path: &str, value: &Value) -> Mark {
        if self
            .resolved
            .added
            .iter()
            .any(|a| a == path || path.starts_with(&format!("{a}.")))
        {
            return Mark::Added;
        }
        let default = lookup(&self.resolved.defaults, path);
        if let Some(default) = default
            && type_changed(default, value)
        {
            return Mark::TypeChanged;
        }
        if let Value::Object(children) = value
            && !children.is_empty()
        {
            let changed_below = children
                .iter()
                .any(|(key, child)| self.mark(&join(path, key), child) != Mark::Plain);
            return if changed_below {
                Mark::Modified
            } else {
                Mark::Plain
            };
        }
        let user_set = !matches!(
            self.resolved.source_of(path),
            None | Some(
                ConfigSource::Default | ConfigSource::DrawnSeed | ConfigSource::DerivedSeed(_)
            )
        );
        // A value set to what it already was is no modification (Sacred compares values).
        if user_set && default != Some(value) {
            Mark::Modified
        } else {
            Mark::Plain
        }
    }
}

/// A non-empty object: printed as a `name:` header with its entries below.
fn is_table(value: &Value) -> bool {
    matches!(value, Value::Object(map) if !map.is_empty())
}

/// Pads to the doc column, with at least one space.
fn pad(out: &mut String, width: &mut usize) {
    let spaces = DOC_COLUMN.saturating_sub(*width).max(1);
    out.push_str(&" ".repeat(spaces));
    *width += spaces;
}

/// Sacred's rule: a change of JSON type, ignoring int and float and changes from or to null.
fn type_changed(old: &Value, new: &Value) -> bool {
    use std::mem::discriminant;
    !old.is_null() && !new.is_null() && discriminant(old) != discriminant(new)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Renders `print_named_configs`: `Named Configurations (doc):` then one line per named
/// config with the first line of its doc three spaces after the name, or `  No named
/// configs`.
pub(crate) fn render_named_configs(info: &ExperimentInfo, color: bool) -> String {
    let mut out = if color {
        format!("Named Configurations ({DIM}doc{RESET}):\n")
    } else {
        "Named Configurations (doc):\n".to_owned()
    };
    let all = super::all_named_configs(info);
    if all.is_empty() {
        out.push_str("  No named configs\n");
    }
    // An ingredient's named configs are listed under its key, as Sacred lists `ing.name`.
    for (name, _, named) in all {
        out.push_str("  ");
        out.push_str(&name);
        // Sacred writes the doc three spaces after the name, unaligned.
        if let Some(doc) = named.doc.lines().next().filter(|d| !d.is_empty()) {
            out.push_str(&paint(&format!("   # {doc}"), DIM, color));
        }
        out.push('\n');
    }
    out
}
