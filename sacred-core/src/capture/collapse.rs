//! Terminal control in captured text: carriage returns and backspaces, collapsed the way
//! Sacred's `apply_backspaces_and_linefeeds` does it.

/// Collapses carriage-return progress bars and backspaces like a terminal would, as Sacred's
/// `apply_backspaces_and_linefeeds`.
///
/// Each line (split at `'\n'`) is replayed on a cursor: `'\r'` moves the cursor to the start
/// of the line and `'\b'` one character back (never before the start); any other character
/// overwrites the one under the cursor or, at the end, is appended. So `"a\rb\rc\n"` gives
/// `"c\n"`, `"\r\n"` is a plain line end, `"ab\bc"` gives `"ac"`, and, as on a terminal,
/// `"abc\rX"` gives `"Xbc"`: a shorter redraw does not erase the rest of the line.
///
/// As in Sacred, a `'\r'` that is the very last character of the text is kept, so that a
/// chunk ending in the middle of a `"\r\n"` can be joined with the next one. Text without
/// `'\r'` or `'\b'` comes back unchanged.
pub(crate) fn collapse(text: &str) -> String {
    if !text.contains(['\r', '\u{8}']) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        let mut state = LineState::default();
        match line.strip_suffix('\r') {
            // Only the final `'\r'` of the whole text is kept as a character.
            Some(body) if is_last => {
                state.feed(body);
                state.chars.push('\r');
            }
            _ => state.feed(line),
        }
        out.extend(state.chars);
        if !is_last {
            out.push('\n');
        }
    }
    out
}

/// An equivalent, usually much shorter, form of an unfinished line (text after the last
/// `'\n'`): collapsing `compact(line) + rest` gives the same as collapsing `line + rest`,
/// whatever `rest` is. Used to keep a progress bar that never ends its line from growing
/// the capture buffer without bound.
pub(super) fn compact(line: &str) -> String {
    // A final `'\r'` means something different at the end of the text than before more
    // text, so it stays as it is.
    let (body, keep) = match line.strip_suffix('\r') {
        Some(body) => (body, "\r"),
        None => (line, ""),
    };
    let mut state = LineState::default();
    state.feed(body);
    let back = state.chars.len() - state.cursor;
    let mut out: String = state.chars.into_iter().collect();
    out.extend(std::iter::repeat_n('\u{8}', back));
    out.push_str(keep);
    out
}

/// One line of a terminal: its characters and where the cursor is.
#[derive(Debug, Default)]
pub(super) struct LineState {
    pub(super) chars: Vec<char>,
    pub(super) cursor: usize,
    /// Whether the line looks like a bar's: drawn in place (a `'\r'` or an erase on it),
    /// or a write that ended exactly at the terminal's width. The screen's business only.
    pub(super) redrawn: bool,
}

impl LineState {
    /// Replays text that contains no `'\n'`; every `'\r'` moves the cursor to the start.
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.put(c);
        }
    }

    /// Replays one character other than `'\n'`: `'\r'` moves the cursor to the start,
    /// `'\u{8}'` one back, and any other overwrites the character under the cursor (past
    /// the end of the line, after spaces up to the cursor).
    pub(super) fn put(&mut self, c: char) {
        match c {
            '\r' => self.cursor = 0,
            '\u{8}' => self.cursor = self.cursor.saturating_sub(1),
            _ => {
                if self.cursor > self.chars.len() {
                    self.chars.resize(self.cursor, ' ');
                }
                if let Some(slot) = self.chars.get_mut(self.cursor) {
                    *slot = c;
                } else {
                    self.chars.push(c);
                }
                self.cursor += 1;
            }
        }
    }

    /// Erases, as `ESC [ mode K` does: `0` from the cursor to the end, `1` from the start
    /// to the cursor (blanks), `2` the whole line. The cursor stays where it is.
    pub(super) fn erase(&mut self, mode: usize) {
        match mode {
            0 => self.chars.truncate(self.cursor),
            1 => {
                let end = (self.cursor + 1).min(self.chars.len());
                for c in self.chars.iter_mut().take(end) {
                    *c = ' ';
                }
            }
            _ => self.chars.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_keeps_the_last_redraw_of_a_progress_bar() {
        assert_eq!(collapse("a\rb\rc\n"), "c\n");
        assert_eq!(
            collapse("start\n 10%\r 50%\r100%\ndone\n"),
            "start\n100%\ndone\n"
        );
        // A shorter redraw overwrites only the start, as on a terminal.
        assert_eq!(collapse("abc\rX\n"), "Xbc\n");
        assert_eq!(collapse("abc\rdef"), "def");
    }

    #[test]
    fn collapse_treats_crlf_as_a_line_end() {
        assert_eq!(collapse("one\r\ntwo\r\n"), "one\ntwo\n");
        assert_eq!(collapse("\r\n"), "\n");
    }

    #[test]
    fn collapse_applies_backspaces() {
        assert_eq!(collapse("ab\u{8}c"), "ac");
        assert_eq!(collapse("abc\u{8}\u{8}d\n"), "adc\n");
        assert_eq!(collapse("\u{8}"), "");
        assert_eq!(collapse("\u{8}a"), "a");
        // Backspaces stop at the start of their line.
        assert_eq!(collapse("ab\nc\u{8}\u{8}d"), "ab\nd");
        assert_eq!(collapse("é\u{8}e\n"), "e\n");
    }

    #[test]
    fn collapse_leaves_plain_text_alone() {
        for text in ["", "\n", "plain\n", "two\nlines", "tabs\tand ünïcödé\n\n"] {
            assert_eq!(collapse(text), text);
        }
    }

    #[test]
    fn collapse_of_partial_lines() {
        // A final '\r' is kept so that a following chunk can still make it a line end.
        assert_eq!(collapse("\r"), "\r");
        assert_eq!(collapse("abc\r"), "abc\r");
        assert_eq!(collapse("line\n50%\r"), "line\n50%\r");
        assert_eq!(collapse("line\n 10%\r 20%"), "line\n 20%");
        assert_eq!(collapse("\r\r\r"), "\r");
    }

    #[test]
    fn compact_is_equivalent_to_the_original_line() {
        let lines = [
            "",
            "abc",
            "abc\r",
            "abc\r\u{8}",
            "xyz\rab\r",
            "xyz\rab",
            "ab\u{8}\u{8}\u{8}c",
            "progress 1\rprogress 2\rprogress 3\r",
            "ünï\rcö\u{8}",
        ];
        let rests = [
            "",
            "\n",
            "\r",
            "\r\n",
            "\u{8}",
            "Z",
            "\u{8}\u{8}Z\n",
            "more\rx",
        ];
        for line in lines {
            let short = compact(line);
            for rest in rests {
                assert_eq!(
                    collapse(&format!("{short}{rest}")),
                    collapse(&format!("{line}{rest}")),
                    "line {line:?} then {rest:?}"
                );
            }
        }
        let long: String = (0..1000).map(|i| format!("\r{i:>4}%")).collect();
        assert_eq!(compact(&long), " 999%");
    }
}
