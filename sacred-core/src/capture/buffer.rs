//! The text a capture holds until it is taken, and the decoding of raw bytes into it.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::collapse::{collapse, compact};

/// An unfinished line is compacted (see [`compact`]) once it is longer than this many bytes
/// and twice as long as after the previous compaction.
const COMPACT_MIN: usize = 8 * 1024;

/// The captured text not taken yet, shared between the capture and whatever feeds it
/// (reader threads in `fd` mode, the output functions in `sys` mode).
#[derive(Debug, Default)]
pub(super) struct SharedBuffer(Mutex<Buffer>);

/// Which stream text comes from. Each keeps its own unfinished line, so a line of one
/// stream never lands inside an unfinished line of the other: lines stay whole, in the
/// order they were completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stream {
    /// Standard output.
    Out = 0,
    /// Standard error.
    Err = 1,
}

#[derive(Debug, Default)]
struct Buffer {
    /// Complete lines, already collapsed.
    lines: String,
    /// The unfinished last line of each stream, raw (its progress bar may still be redrawn).
    tails: [String; 2],
    /// The length of each tail from which it is compacted next.
    compact_at: [usize; 2],
    /// Set by [`SharedBuffer::finish`]: text pushed later is dropped.
    closed: bool,
}

impl SharedBuffer {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends text of one stream; complete lines join the shared text in the order they
    /// are completed.
    pub(super) fn push(&self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut buffer = self.lock();
        if buffer.closed {
            return;
        }
        let i = stream as usize;
        match text.rfind('\n') {
            Some(end) => {
                let (complete, rest) = text.split_at(end + 1);
                let mut line = std::mem::replace(&mut buffer.tails[i], rest.to_owned());
                line.push_str(complete);
                let collapsed = collapse(&line);
                buffer.lines.push_str(&collapsed);
                buffer.compact_at[i] = COMPACT_MIN;
            }
            None => buffer.tails[i].push_str(text),
        }
        if buffer.tails[i].len() > buffer.compact_at[i].max(COMPACT_MIN) {
            buffer.tails[i] = compact(&buffer.tails[i]);
            buffer.compact_at[i] = 2 * buffer.tails[i].len();
        }
    }

    /// The complete lines pushed since the previous call, collapsed.
    pub(super) fn take(&self) -> String {
        std::mem::take(&mut self.lock().lines)
    }

    /// Everything not taken yet, the unfinished line included; text pushed later is dropped.
    pub(super) fn finish(&self) -> String {
        let mut buffer = self.lock();
        buffer.closed = true;
        let mut out = std::mem::take(&mut buffer.lines);
        for i in [Stream::Out as usize, Stream::Err as usize] {
            let tail = std::mem::take(&mut buffer.tails[i]);
            out.push_str(&collapse(&tail));
        }
        out
    }
}

/// Decodes a stream of bytes as UTF-8 (invalid bytes become U+FFFD), holding back a
/// character split between two reads until its last byte arrives.
#[derive(Debug, Default)]
pub(super) struct Utf8Decoder {
    pending: Vec<u8>,
}

impl Utf8Decoder {
    /// The text of `bytes` and of what was held back, up to the last complete character.
    pub(super) fn decode(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::with_capacity(self.pending.len());
        let mut rest = self.pending.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    out.push_str(text);
                    rest = &[];
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    out.push_str(&String::from_utf8_lossy(valid));
                    match error.error_len() {
                        Some(len) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = after.get(len..).unwrap_or_default();
                        }
                        // An incomplete character at the end: wait for the rest.
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        out
    }

    /// What is still held back, at the end of the stream.
    pub(super) fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_returns_complete_lines_only() {
        let buffer = SharedBuffer::default();
        buffer.push(Stream::Out, "one\ntw");
        assert_eq!(buffer.take(), "one\n");
        assert_eq!(buffer.take(), "");
        buffer.push(Stream::Out, "o\n 10%\r 50%");
        assert_eq!(buffer.take(), "two\n");
        buffer.push(Stream::Out, "\r100%\nend");
        assert_eq!(buffer.take(), "100%\n");
        assert_eq!(buffer.finish(), "end");
        buffer.push(Stream::Out, "late\n");
        assert_eq!(buffer.take(), "");
        assert_eq!(buffer.finish(), "");
    }

    #[test]
    fn crlf_split_between_pushes_is_a_line_end() {
        let buffer = SharedBuffer::default();
        buffer.push(Stream::Out, "a\r");
        buffer.push(Stream::Out, "\nb\r");
        assert_eq!(buffer.take(), "a\n");
        assert_eq!(buffer.finish(), "b\r");
    }

    #[test]
    fn an_endless_progress_bar_stays_small() {
        let buffer = SharedBuffer::default();
        let mut raw = String::from("head\n");
        buffer.push(Stream::Out, "head\n");
        for i in 0..100_000 {
            let redraw = format!("\rstep {i:>6} of 100000");
            buffer.push(Stream::Out, &redraw);
            raw.push_str(&redraw);
            assert!(buffer.lock().tails[Stream::Out as usize].len() <= 2 * COMPACT_MIN);
        }
        buffer.push(Stream::Out, "\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}XXXXXX\ndone");
        raw.push_str("\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}XXXXXX\ndone");
        let got = buffer.take() + &buffer.finish();
        assert_eq!(got, collapse(&raw));
        assert_eq!(got, "head\nstep  99999 of XXXXXX\ndone");
    }

    #[test]
    fn lines_of_two_streams_never_mix() {
        let buffer = SharedBuffer::default();
        buffer.push(Stream::Out, "spam line 1 xx");
        buffer.push(Stream::Err, "INFO - log line\n");
        buffer.push(Stream::Out, "xx\nspam line 2\n");
        assert_eq!(
            buffer.take(),
            "INFO - log line\nspam line 1 xxxx\nspam line 2\n"
        );
        buffer.push(Stream::Out, "out tail");
        buffer.push(Stream::Err, "err tail");
        assert_eq!(buffer.finish(), "out tailerr tail");
    }

    #[test]
    fn decoder_holds_back_split_characters() {
        let mut decoder = Utf8Decoder::default();
        let bytes = "aé€😀".as_bytes();
        let mut out = String::new();
        for byte in bytes {
            out.push_str(&decoder.decode(&[*byte]));
        }
        assert_eq!(out, "aé€😀");
        assert_eq!(decoder.decode(&bytes[..2]), "a");
        assert_eq!(decoder.decode(&bytes[2..5]), "é");
        assert_eq!(decoder.decode(&bytes[5..]), "€😀");
        assert_eq!(decoder.finish(), "");
    }

    #[test]
    fn decoder_replaces_invalid_bytes() {
        let mut decoder = Utf8Decoder::default();
        assert_eq!(decoder.decode(b"a\xffb\xc3"), "a\u{fffd}b");
        assert_eq!(decoder.decode(b"("), "\u{fffd}(");
        assert_eq!(decoder.decode(b"\xe2\x82"), "");
        assert_eq!(decoder.finish(), "\u{fffd}");
    }
}
