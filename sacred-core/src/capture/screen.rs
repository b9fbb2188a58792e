//! What a terminal shows, replayed from the bytes a program writes to it: the record of
//! a run that draws on a pseudo-terminal gets the lines as they stood on the screen, not
//! the escape sequences that drew them.
//!
//! The model is small, enough for progress bars (`indicatif`, `tqdm`-like `\r` redraws,
//! several bars redrawn with cursor-up) and coloured text:
//! - `'\n'` ends a line (the terminal's own `\r\n`), `'\r'` and `'\b'` move the cursor as in
//!   [`collapse`](super::collapse::collapse), other characters overwrite;
//! - CSI sequences: cursor up/down/forward/back/column (`A`, `B`, `C`, `D`, `G`), erase in
//!   line (`K`) and erase below (`J`) are applied; colours and every other sequence
//!   (`m`, `?25l`, …) are dropped, as are OSC sequences (window titles, links);
//! - a line is final, and handed out, once the cursor can no longer reach it: a program
//!   that moved the cursor up by at most `k` lines so far keeps its last `k` lines open
//!   (at most [`MAX_OPEN`]), and bars' lines (below) just above the cursor stay open until
//!   a line of another kind follows them. Plain output is handed out line by line at
//!   once.
//! - lines are not wrapped at the terminal's width, so that long lines stay whole in the
//!   record, except a bar's line that fills exactly the width, which is how bar libraries
//!   end a line without `'\n'` (a bar as wide as the terminal, or a line padded to it):
//!   the text after it starts a new line. A bar's line is one drawn in place (a `'\r'` or
//!   an erase on it), or one that a write ended exactly at the width (a bar's first
//!   frame); a long line written at once is not.
//! - trailing spaces are dropped: the screen shows none.

use std::collections::VecDeque;

use super::collapse::LineState;

/// The most lines kept open for a program that moves the cursor up.
const MAX_OPEN: usize = 64;

/// A screen fed with terminal output; see the module's documentation.
#[derive(Debug)]
pub(super) struct Screen {
    /// Lines not final yet; the cursor is on `rows[row]`.
    rows: VecDeque<LineState>,
    row: usize,
    /// How many lines above the cursor's stay open: the largest cursor-up seen.
    open: usize,
    escape: Escape,
    /// The terminal's width in columns.
    width: usize,
}

/// Where the parser is in an escape sequence.
#[derive(Debug, PartialEq)]
enum Escape {
    None,
    /// After `ESC`.
    Start,
    /// In a CSI sequence (`ESC [`), with the parameter bytes so far.
    Csi(String),
    /// In an OSC sequence (`ESC ]`), which ends with `BEL` or `ESC \`.
    Osc,
    /// `ESC` inside an OSC sequence.
    OscEnd,
}

impl Default for Screen {
    fn default() -> Screen {
        Screen::new(DEFAULT_WIDTH)
    }
}

/// The width programs assume when a terminal does not tell its own.
const DEFAULT_WIDTH: usize = 80;

impl Screen {
    /// A screen `width` columns wide (0: the width programs assume, 80).
    pub(super) fn new(width: usize) -> Screen {
        Screen {
            rows: VecDeque::from([LineState::default()]),
            row: 0,
            open: 0,
            escape: Escape::None,
            width: if width == 0 { DEFAULT_WIDTH } else { width },
        }
    }

    /// The terminal's width changed.
    pub(super) fn set_width(&mut self, width: usize) {
        if width > 0 {
            self.width = width;
        }
    }

    /// Replays `text`; returns the lines that became final, each with its `'\n'`.
    pub(super) fn feed(&mut self, text: &str) -> String {
        let mut done = String::new();
        for c in text.chars() {
            match std::mem::replace(&mut self.escape, Escape::None) {
                Escape::None => match c {
                    '\u{1b}' => self.escape = Escape::Start,
                    '\n' => self.line_feed(&mut done),
                    c => {
                        if self.filled_to_width() && !matches!(c, '\r' | '\u{8}') {
                            self.line_feed(&mut done);
                        }
                        let line = self.current();
                        line.redrawn |= c == '\r';
                        line.put(c);
                    }
                },
                Escape::Start => match c {
                    '[' => self.escape = Escape::Csi(String::new()),
                    ']' => self.escape = Escape::Osc,
                    // Two-byte sequences (save/restore cursor, charset) draw nothing.
                    _ => {}
                },
                Escape::Csi(mut params) => match c {
                    '\u{20}'..='\u{3f}' => {
                        params.push(c);
                        self.escape = Escape::Csi(params);
                    }
                    '\u{40}'..='\u{7e}' => self.csi(&params, c),
                    // Not a CSI sequence after all: dropped.
                    _ => {}
                },
                Escape::Osc => match c {
                    '\u{7}' => {}
                    '\u{1b}' => self.escape = Escape::OscEnd,
                    _ => self.escape = Escape::Osc,
                },
                Escape::OscEnd => {
                    if c != '\\' {
                        self.escape = Escape::Osc;
                    }
                }
            }
        }
        // A write that ended exactly at the width: a bar's frame, which the terminal wraps
        // after.
        let width = self.width;
        let line = self.current();
        if line.cursor == width && line.chars.len() == width {
            line.redrawn = true;
        }
        done
    }

    /// Everything still open, the unfinished last line without a `'\n'`.
    pub(super) fn finish(&mut self) -> String {
        let mut out = String::new();
        let last = self.rows.len() - 1;
        for (i, row) in std::mem::take(&mut self.rows).into_iter().enumerate() {
            push_trimmed(&mut out, &row);
            if i < last {
                out.push('\n');
            }
        }
        *self = Screen::new(self.width);
        out
    }

    /// Whether the cursor stands just past a line drawn in place that fills the full
    /// width: a terminal would wrap the next character to a new line, and a bar library
    /// counts on that. (A line of text as long, drawn once, is left whole.)
    fn filled_to_width(&self) -> bool {
        let line = &self.rows[self.row];
        line.redrawn && line.cursor == self.width && line.chars.len() == self.width
    }

    /// Whether `row` is a bar's line: drawn in place.
    fn is_bar(row: &LineState) -> bool {
        row.redrawn
    }

    fn current(&mut self) -> &mut LineState {
        &mut self.rows[self.row]
    }

    /// `'\n'`: the cursor goes to the start of the next line; lines out of the cursor's
    /// reach become final.
    fn line_feed(&mut self, done: &mut String) {
        self.current().cursor = 0;
        self.row += 1;
        if self.row == self.rows.len() {
            self.rows.push_back(LineState::default());
        }
        while self.row > self.open {
            // Bars just above the cursor stay open while nothing else follows them: a
            // program that draws several (indicatif's `MultiProgress`) moves up to redraw
            // them only after its first frame.
            let bars_above = self.rows.iter().take(self.row).all(Self::is_bar);
            if bars_above && self.row <= MAX_OPEN {
                break;
            }
            let Some(row) = self.rows.pop_front() else {
                break;
            };
            push_trimmed(done, &row);
            done.push('\n');
            self.row -= 1;
        }
    }

    /// Applies the CSI sequence with `params` and final byte `action`.
    fn csi(&mut self, params: &str, action: char) {
        // Private sequences (`?25l`) set modes; none moves or erases.
        if params.starts_with(['?', '>', '<', '=']) {
            return;
        }
        let first: Option<usize> = params.split(';').next().and_then(|p| p.parse().ok());
        let count = first.unwrap_or(1).max(1);
        match action {
            'A' => {
                self.open = self.open.max(count).min(MAX_OPEN);
                self.row = self.row.saturating_sub(count);
            }
            'B' => self.row = (self.row + count).min(self.rows.len() - 1),
            // The cursor stops at the right edge, as on a terminal (`ESC[999C` is "go to
            // the end of the line", not 999 spaces).
            'C' => {
                let last = self.width - 1;
                let line = self.current();
                line.cursor = line.cursor.saturating_add(count).min(last.max(line.cursor));
            }
            'D' => {
                let line = self.current();
                line.cursor = line.cursor.saturating_sub(count);
            }
            'G' => {
                let last = self.width - 1;
                self.current().cursor = (count - 1).min(last);
            }
            'K' => {
                let line = self.current();
                line.redrawn = true;
                line.erase(first.unwrap_or(0));
            }
            'J' => match first.unwrap_or(0) {
                0 => {
                    self.current().erase(0);
                    self.rows.truncate(self.row + 1);
                }
                1 => {}
                // The whole screen: what is still open is gone.
                _ => {
                    let cursor = self.current().cursor;
                    self.rows = VecDeque::from([LineState {
                        chars: Vec::new(),
                        cursor,
                        redrawn: false,
                    }]);
                    self.row = 0;
                }
            },
            _ => {}
        }
    }
}

/// Appends the characters of `row` without its trailing spaces.
fn push_trimmed(out: &mut String, row: &LineState) {
    let end = row
        .chars
        .iter()
        .rposition(|c| *c != ' ')
        .map_or(0, |i| i + 1);
    out.extend(&row.chars[..end]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a screen hands out for `chunks` fed one after the other, then finished.
    fn replay(chunks: &[&str]) -> String {
        let mut screen = Screen::default();
        let mut out: String = chunks.iter().map(|chunk| screen.feed(chunk)).collect();
        out.push_str(&screen.finish());
        out
    }

    #[test]
    fn plain_lines_are_handed_out_at_once() {
        let mut screen = Screen::default();
        assert_eq!(screen.feed("one\ntwo\nthr"), "one\ntwo\n");
        assert_eq!(screen.feed("ee\n"), "three\n");
        assert_eq!(screen.finish(), "");
    }

    #[test]
    fn colours_and_modes_are_dropped() {
        assert_eq!(
            replay(&["\u{1b}[1;32mgreen\u{1b}[0m and \u{1b}[?25lplain\u{1b}[?25h\n"]),
            "green and plain\n"
        );
        // A sequence split between two reads.
        assert_eq!(replay(&["a\u{1b}", "[3", "1mb\u{1b}[0", "m\n"]), "ab\n");
        // Window titles and links.
        assert_eq!(
            replay(&["\u{1b}]0;title\u{7}x\u{1b}]8;;http://e\u{1b}\\y\n"]),
            "xy\n"
        );
    }

    #[test]
    fn a_redrawn_bar_keeps_its_last_state() {
        let frames: Vec<String> = (0..=10)
            .map(|i| {
                format!(
                    "\r\u{1b}[2K[{}{}] {i}/10",
                    "#".repeat(i),
                    " ".repeat(10 - i)
                )
            })
            .collect();
        let mut chunks: Vec<&str> = frames.iter().map(String::as_str).collect();
        chunks.push("\r\u{1b}[2Kdone\n");
        assert_eq!(replay(&chunks), "done\n");
        chunks.pop();
        chunks.push("\n");
        assert_eq!(replay(&chunks), "[##########] 10/10\n");
    }

    #[test]
    fn erase_in_line_forms() {
        assert_eq!(replay(&["abcdef\u{1b}[3D\u{1b}[K\n"]), "abc\n");
        assert_eq!(replay(&["abcdef\u{1b}[3D\u{1b}[1K\n"]), "    ef\n");
        assert_eq!(replay(&["abcdef\u{1b}[2Kx\n"]), "      x\n");
        assert_eq!(replay(&["abcdef\u{1b}[3D\u{1b}[2K\n"]), "\n");
        assert_eq!(replay(&["abc\u{1b}[1Gx\n"]), "xbc\n");
    }

    #[test]
    fn bars_redrawn_with_cursor_up_are_recorded_once() {
        // Two bars, redrawn in place, as multi-bar libraries do. The first frame is drawn
        // before any cursor moves up: bars' lines stay open, so it is redrawn too.
        let mut chunks = vec!["head\n".to_owned()];
        for i in 1..=4 {
            if i > 1 {
                chunks.push("\u{1b}[2A".to_owned());
            }
            chunks.push(format!("\r\u{1b}[2Ka {i}\n\r\u{1b}[2Kb {i}\n"));
        }
        chunks.push("tail\n".to_owned());
        let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
        assert_eq!(replay(&chunks), "head\na 4\nb 4\ntail\n");

        // Lines the cursor can reach wait; the ones above are handed out.
        let mut screen = Screen::default();
        assert_eq!(screen.feed("\u{1b}[1Ax\ny\n\u{1b}[1A"), "x\n");
        assert_eq!(screen.feed("Y\nz\n"), "Y\n");
        assert_eq!(screen.feed("w\n"), "z\n");
        assert_eq!(screen.finish(), "w\n");
    }

    #[test]
    fn a_drawn_line_that_fills_the_width_ends_there_and_long_lines_stay_whole() {
        let mut screen = Screen::new(10);
        // "halfway" padded to 10 columns, then a bar drawn and redrawn after it: lines
        // drawn in place, which stay open until a line of another kind follows.
        assert_eq!(screen.feed("\r\u{1b}[2Khalfway   [##>]"), "");
        assert_eq!(screen.feed("\r\u{1b}[2K[###]\n"), "");
        // A long line is not cut at the width.
        assert_eq!(
            screen.feed("a long line of text, longer than ten\n"),
            "halfway\n[###]\na long line of text, longer than ten\n"
        );
        // Exactly the width without padding: no break either.
        assert_eq!(screen.feed("0123456789X\n"), "0123456789X\n");
        // Nor a line of text with a space at the width, drawn once (a log line).
        assert_eq!(screen.feed("012345678 }\n"), "012345678 }\n");
        // Padded after an erase, as a bar's line: the text after it starts a new line.
        assert_eq!(screen.feed("\u{1b}[2Kdone      after\n"), "done\nafter\n");
        // A bar as wide as the terminal, drawn in place, too.
        assert_eq!(
            screen.feed("\r[#####---]\r[########]after\n"),
            "[########]\nafter\n"
        );
        // Its first frame, a write ending at the width, then a line written later.
        assert_eq!(screen.feed("[##------]"), "");
        assert_eq!(screen.feed("log line\n"), "[##------]\nlog line\n");
        screen.set_width(0);
        assert_eq!(screen.feed("keep   \n"), "keep\n");

        // At most MAX_OPEN bars' lines wait.
        let mut screen = Screen::new(10);
        let bars = "\rbar\n".repeat(MAX_OPEN + 2);
        assert_eq!(screen.feed(&bars), "bar\nbar\n");
    }

    #[test]
    fn cursor_moves_stop_at_the_right_edge() {
        let mut screen = Screen::new(10);
        assert_eq!(screen.feed("ab\u{1b}[999Cx\n"), "ab       x\n");
        assert_eq!(screen.feed("\u{1b}[4000000000Gy\n"), "         y\n");
        // A line already past the edge (long lines are not wrapped) keeps its cursor.
        assert_eq!(screen.feed("0123456789abc\u{1b}[5Cd\n"), "0123456789abcd\n");
    }

    #[test]
    fn erase_below_and_whole_screen() {
        assert_eq!(replay(&["a\nb\nc\u{1b}[2A\u{1b}[J\rA\n"]), "a\nb\nA\n");
        // Once the cursor moved up, erasing below drops the open lines under it.
        assert_eq!(replay(&["\u{1b}[2Aa\nb\nc\u{1b}[2A\u{1b}[J\rA\n"]), "A\n");
        assert_eq!(
            replay(&["one\n\u{1b}[1Atwo\u{1b}[2J\rthree\n"]),
            "one\nthree\n"
        );
    }

    #[test]
    fn lines_out_of_reach_are_final_even_after_many_moves() {
        let mut screen = Screen::default();
        let mut out = screen.feed("\u{1b}[1A");
        for i in 0..1000 {
            out.push_str(&screen.feed(&format!("\u{1b}[2K\r{i}\n")));
            if i % 10 != 9 {
                out.push_str(&screen.feed("\u{1b}[1A"));
            }
            assert!(screen.rows.len() <= MAX_OPEN + 1);
        }
        out.push_str(&screen.finish());
        // Every tenth line is left standing, the others are rewritten by the next.
        let expected: String = (0..100).map(|i| format!("{}\n", i * 10 + 9)).collect();
        assert_eq!(out, expected);
    }
}
