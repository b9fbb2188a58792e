//! Which records become lines: a default level (`-l/--loglevel`) refined per target by
//! `RUST_LOG`-style directives.
//!
//! Levels are Sacred's numbers: TRACE 5, DEBUG 10, INFO 20, WARNING 30, ERROR 40,
//! CRITICAL 50; a record is written when its number is at least its target's level.

use std::cmp::Reverse;

/// A default level and per-target levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    default: u8,
    /// `(target, level)`, the longest target first, so the first match is the most specific.
    targets: Vec<(String, u8)>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter::new(crate::log::INFO)
    }
}

impl Filter {
    /// Everything at or above `default`, whatever the target.
    pub(crate) const fn new(default: u8) -> Filter {
        Filter {
            default,
            targets: Vec::new(),
        }
    }

    /// The filter of a run: `loglevel` (`-l`, when given) is the default level; `rust_log`
    /// (the `RUST_LOG` variable's value) sets the level of targets with `target=level`, and
    /// the default with a bare `level` when `-l` is not given. Without either the default
    /// is INFO.
    ///
    /// Directives are separated by commas; a target covers itself and its submodules
    /// (`my_crate::data` covers `my_crate::data::csv`, not `my_crate::database`), the
    /// longest matching target wins, and a later directive for the same target replaces an
    /// earlier one. A bare word that is no level is a target with every level on. Returns
    /// the filter and a message for each directive that was ignored because its level could
    /// not be read.
    pub(crate) fn from_settings(
        loglevel: Option<u8>,
        rust_log: Option<&str>,
    ) -> (Filter, Vec<String>) {
        let mut filter = Filter::new(loglevel.unwrap_or(crate::log::INFO));
        let mut ignored = Vec::new();
        for directive in rust_log.unwrap_or_default().split(',').map(str::trim) {
            if directive.is_empty() {
                continue;
            }
            match directive.split_once('=') {
                Some((target, level)) => match parse_level(level.trim()) {
                    Some(level) => filter.set_target(target.trim(), level),
                    None => ignored.push(format!(
                        "ignoring `{directive}` in RUST_LOG: `{}` is no level (trace, debug, \
                         info, warn, error, off or a number)",
                        level.trim()
                    )),
                },
                None => match parse_level(directive) {
                    Some(level) if loglevel.is_none() => filter.default = level,
                    Some(_) => {}
                    None => filter.set_target(directive, 0),
                },
            }
        }
        (filter, ignored)
    }

    fn set_target(&mut self, target: &str, level: u8) {
        self.targets.retain(|(t, _)| t != target);
        self.targets.push((target.to_owned(), level));
        self.targets.sort_by_key(|(t, _)| Reverse(t.len()));
    }

    /// The level of `target`: its longest matching directive's, or the default.
    pub(crate) fn level_for(&self, target: &str) -> u8 {
        self.targets
            .iter()
            .find(|(t, _)| covers(t, target))
            .map_or(self.default, |&(_, level)| level)
    }

    /// Whether a record of Sacred level `rank` from `target` is written.
    pub(crate) fn enabled(&self, rank: u8, target: &str) -> bool {
        rank >= self.level_for(target)
    }

    /// The lowest level any target has: nothing below it is ever written.
    pub(crate) fn lowest(&self) -> u8 {
        self.targets
            .iter()
            .map(|&(_, level)| level)
            .fold(self.default, u8::min)
    }
}

/// Whether the directive's `target` covers the record's: the same, or a module inside it.
fn covers(target: &str, record: &str) -> bool {
    record
        .strip_prefix(target)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// A level by its name (any case, `warning` and `critical` as in Sacred) or Sacred's number;
/// `off` turns every level off.
fn parse_level(text: &str) -> Option<u8> {
    match text.to_ascii_lowercase().as_str() {
        "trace" => Some(5),
        "off" => Some(u8::MAX),
        other => crate::log::level_named(other).or_else(|| other.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(loglevel: Option<u8>, rust_log: &str) -> Filter {
        let (filter, ignored) = Filter::from_settings(loglevel, Some(rust_log));
        assert_eq!(ignored, Vec::<String>::new());
        filter
    }

    #[test]
    fn the_default_is_info_then_rust_logs_bare_level_then_the_loglevel_flag() {
        assert_eq!(Filter::from_settings(None, None).0.level_for("any"), 20);
        assert_eq!(filter(None, "debug").level_for("any"), 10);
        assert_eq!(filter(None, "WARNING").level_for("any"), 30);
        // `-l` wins over a bare level of RUST_LOG, and RUST_LOG's targets still refine it.
        let both = filter(Some(40), "debug,my_crate=trace");
        assert_eq!(both.level_for("any"), 40);
        assert_eq!(both.level_for("my_crate"), 5);
    }

    #[test]
    fn targets_cover_their_modules_and_the_longest_wins() {
        let f = filter(Some(30), "my_crate=info, my_crate::data=debug ,other=off");
        assert_eq!(f.level_for("my_crate"), 20);
        assert_eq!(f.level_for("my_crate::model"), 20);
        assert_eq!(f.level_for("my_crate::data"), 10);
        assert_eq!(f.level_for("my_crate::data::csv"), 10);
        // A target is a module path, not a text prefix.
        assert_eq!(f.level_for("my_crate::database"), 20);
        assert_eq!(f.level_for("my_crates"), 30);
        assert!(!f.enabled(40, "other::x"));
        assert!(f.enabled(10, "my_crate::data"));
        assert!(!f.enabled(5, "my_crate::data"));
        assert_eq!(f.lowest(), 10);
    }

    #[test]
    fn a_later_directive_replaces_an_earlier_one_and_a_bare_target_shows_everything() {
        let f = filter(None, "a=error,a=debug,b,,");
        assert_eq!(f.level_for("a"), 10);
        assert_eq!(f.level_for("b::c"), 0);
        assert_eq!(f.level_for("c"), 20);
        assert_eq!(f.lowest(), 0);
    }

    #[test]
    fn unreadable_levels_are_ignored_with_a_message() {
        let (f, ignored) = Filter::from_settings(Some(20), Some("a=loud,b=debug"));
        assert_eq!(f.level_for("a"), 20);
        assert_eq!(f.level_for("b"), 10);
        assert_eq!(
            ignored,
            [
                "ignoring `a=loud` in RUST_LOG: `loud` is no level (trace, debug, info, warn, \
              error, off or a number)"
            ]
        );
    }
}
