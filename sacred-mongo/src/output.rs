//! `captured_out` in the run document: the last `limit` bytes of the output, appended on
//! the server, so a beat sends only the new chunk.
//!
//! The observer keeps a copy of what the document holds (at most `limit` bytes). A chunk
//! that keeps the text within the limit is appended with `$concat`; one that overflows it
//! is appended and the front cut with `$substrBytes`, at an offset computed here on a
//! character boundary (the server refuses to cut inside a UTF-8 character). When a write
//! failed, or the server does not take pipeline updates, the whole kept text is `$set`.

use mongodb::bson::{Bson, Document, doc};

/// The output tail as the run document holds it.
#[derive(Debug)]
pub(crate) struct OutputTail {
    text: String,
    limit: usize,
    /// The document may differ from `text` (a write failed): `$set` it whole next time.
    resync: bool,
}

/// How to bring the document's `captured_out` up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputUpdate {
    /// Append the chunk.
    Append(String),
    /// Append the chunk, then keep `len` bytes from byte `start`.
    AppendAndCut {
        /// The new output.
        chunk: String,
        /// Where the kept text starts, in the concatenation.
        start: usize,
        /// How many bytes are kept.
        len: usize,
    },
    /// Replace the field.
    Set(String),
}

impl OutputTail {
    /// An empty tail keeping at most `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            text: String::new(),
            limit,
            resync: false,
        }
    }

    /// The text the document should hold.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Whether the document may differ from [`OutputTail::text`].
    pub(crate) fn needs_resync(&self) -> bool {
        self.resync
    }

    /// Marks the document as possibly different from the kept text (a write failed).
    pub(crate) fn write_failed(&mut self) {
        self.resync = true;
    }

    /// Marks the document as holding the kept text (a `$set` of it succeeded).
    pub(crate) fn synced(&mut self) {
        self.resync = false;
    }

    /// Adds `chunk` to the kept text and says how to update the document.
    pub(crate) fn push(&mut self, chunk: &str) -> OutputUpdate {
        let total = self.text.len() + chunk.len();
        if total <= self.limit {
            self.text.push_str(chunk);
            return if self.resync {
                OutputUpdate::Set(self.text.clone())
            } else {
                OutputUpdate::Append(chunk.to_owned())
            };
        }
        let cut = total - self.limit;
        if cut >= self.text.len() {
            // Only (the end of) the new chunk is kept.
            let start = ceil_char_boundary(chunk, cut - self.text.len());
            self.text = chunk[start..].to_owned();
            return OutputUpdate::Set(self.text.clone());
        }
        let start = ceil_char_boundary(&self.text, cut);
        let mut kept = String::with_capacity(total - start);
        kept.push_str(&self.text[start..]);
        kept.push_str(chunk);
        self.text = kept;
        if self.resync {
            OutputUpdate::Set(self.text.clone())
        } else {
            OutputUpdate::AppendAndCut {
                chunk: chunk.to_owned(),
                start,
                len: self.text.len(),
            }
        }
    }
}

impl OutputUpdate {
    /// The aggregation expression computing the new `captured_out` from the stored one
    /// (for a pipeline update). The chunk is a `$literal`: output starting with `$` is text,
    /// not a field path.
    pub(crate) fn expression(&self) -> Bson {
        let concat = |chunk: &str| {
            doc! { "$concat": [
                { "$ifNull": ["$captured_out", ""] },
                { "$literal": chunk },
            ] }
        };
        match self {
            OutputUpdate::Append(chunk) => Bson::Document(concat(chunk)),
            OutputUpdate::AppendAndCut { chunk, start, len } => {
                let start = i64::try_from(*start).unwrap_or(i64::MAX);
                let len = i64::try_from(*len).unwrap_or(i64::MAX);
                Bson::Document(doc! { "$substrBytes": [concat(chunk), start, len] })
            }
            OutputUpdate::Set(text) => Bson::Document(doc! { "$literal": text }),
        }
    }

    /// Whether this update needs a pipeline (server-side append).
    pub(crate) fn needs_pipeline(&self) -> bool {
        !matches!(self, OutputUpdate::Set(_))
    }
}

/// A `$set` document wrapped for a pipeline update: every value a `$literal`.
pub(crate) fn literal_set(set: &Document) -> Document {
    set.iter()
        .map(|(key, value)| {
            (
                key.clone(),
                Bson::Document(doc! { "$literal": value.clone() }),
            )
        })
        .collect()
}

/// The first character boundary of `text` at or after `at`.
fn ceil_char_boundary(text: &str, at: usize) -> usize {
    let mut i = at.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `update` to `stored` as the server would.
    fn apply(stored: &str, update: &OutputUpdate) -> String {
        match update {
            OutputUpdate::Append(chunk) => format!("{stored}{chunk}"),
            OutputUpdate::AppendAndCut { chunk, start, len } => {
                let all = format!("{stored}{chunk}");
                assert!(all.is_char_boundary(*start), "cut inside a character");
                all[*start..*start + *len].to_owned()
            }
            OutputUpdate::Set(text) => text.clone(),
        }
    }

    #[test]
    fn appends_until_the_limit_then_cuts_on_character_boundaries() {
        let mut tail = OutputTail::new(10);
        let mut stored = String::new();
        let mut whole = String::new();
        for chunk in ["abc", "déf", "ghij", "é", "€€€", "xyzxyzxyzxyz", "ü", ""] {
            whole.push_str(chunk);
            let update = tail.push(chunk);
            stored = apply(&stored, &update);
            assert_eq!(stored, tail.text());
            assert!(stored.len() <= 10, "{stored:?}");
            assert!(whole.ends_with(&stored));
            // At most 3 bytes (a partial character) short of the limit.
            assert!(stored.len() + 3 >= whole.len().min(10), "{stored:?}");
        }
        assert_eq!(
            tail.push("12"),
            OutputUpdate::AppendAndCut {
                chunk: "12".into(),
                start: 2,
                len: 10
            }
        );
    }

    #[test]
    fn small_chunks_are_appended_not_resent() {
        let mut tail = OutputTail::new(100);
        assert_eq!(tail.push("a"), OutputUpdate::Append("a".into()));
        assert_eq!(tail.push("$b"), OutputUpdate::Append("$b".into()));
        let expr = tail.push("c").expression();
        let text = expr.to_string();
        assert!(text.contains("$literal"), "{text}");
    }

    #[test]
    fn after_a_failed_write_the_whole_tail_is_set() {
        let mut tail = OutputTail::new(100);
        let _ = tail.push("lost ");
        tail.write_failed();
        assert!(tail.needs_resync());
        assert_eq!(tail.push("next"), OutputUpdate::Set("lost next".into()));
        tail.synced();
        assert_eq!(tail.push("!"), OutputUpdate::Append("!".into()));
    }

    #[test]
    fn a_chunk_longer_than_the_limit_is_set_from_its_end() {
        let mut tail = OutputTail::new(4);
        let _ = tail.push("ab");
        assert_eq!(tail.push("éééé"), OutputUpdate::Set("éé".into()));
        assert_eq!(tail.text(), "éé");
    }
}
