//! The ANSI colour escapes of what the commands print for people (`print_config`,
//! `print_dependencies`, the `runs` commands), in one place.

/// Red: failed runs, typechanged config entries, dirty repositories.
pub(crate) const RED: &str = "\x1b[31m";
/// Green: completed runs, added config entries.
pub(crate) const GREEN: &str = "\x1b[32m";
/// Yellow: interrupted and timed-out runs.
pub(crate) const YELLOW: &str = "\x1b[33m";
/// Blue: running runs, modified config entries.
pub(crate) const BLUE: &str = "\x1b[34m";
/// Magenta: dead runs.
pub(crate) const MAGENTA: &str = "\x1b[35m";
/// Dim: docs and labels.
pub(crate) const DIM: &str = "\x1b[2m";
/// Back to the terminal's own colour.
pub(crate) const RESET: &str = "\x1b[0m";

/// `text` in the colour `code` (one of this module's), when `color`; else as it is.
pub(crate) fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_only_when_asked() {
        assert_eq!(paint("doc", DIM, true), "\x1b[2mdoc\x1b[0m");
        assert_eq!(paint("doc", DIM, false), "doc");
    }
}
