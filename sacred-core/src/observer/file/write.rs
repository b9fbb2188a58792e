//! Writing the files of a run: JSON as Python's `json.dump(obj, sort_keys=True, indent=2)`
//! writes it, files replaced atomically, and `cout.txt` appended.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::atomic::AtomicFile;
use crate::observer::ObserverError;

/// An error naming what was being done and the path it was done to.
pub(super) fn io_error(action: &str, path: &Path, e: &io::Error) -> ObserverError {
    ObserverError::new(format!("cannot {action} `{}`: {e}", path.display()))
}

/// A JSON value whose objects serialize with their keys sorted, whatever the map type
/// (`serde_json`'s `preserve_order` feature may be on elsewhere in the build).
pub(super) struct Sorted<'a>(pub(super) &'a serde_json::Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            serde_json::Value::Object(map) => SortedMap(map).serialize(serializer),
            serde_json::Value::Array(items) => serializer.collect_seq(items.iter().map(Sorted)),
            other => other.serialize(serializer),
        }
    }
}

/// A JSON object that serializes with its keys sorted, at every depth.
pub(super) struct SortedMap<'a>(pub(super) &'a serde_json::Map<String, serde_json::Value>);

impl Serialize for SortedMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<_> = self.0.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            out.serialize_entry(key, &Sorted(value))?;
        }
        out.end()
    }
}

/// `value` as Python's `json.dump(value, f, sort_keys=True, indent=2)` writes it: two-space
/// indent, `": "` after keys, every character outside printable ASCII escaped as `\uXXXX`
/// (`ensure_ascii`), floats as Python's `repr` writes them (`1e-05`, `1e+16`, `1.0`), and
/// no newline at the end. Keys come out in the order `value` gives them: wrap a
/// `serde_json::Value` in [`Sorted`].
///
/// Non-finite floats (`NaN`, `inf`) are written as `null`, which stays valid JSON; metric
/// values are written as Python does instead (`points.rs`).
pub(super) fn to_sacred_json<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter::new());
    value.serialize(&mut serializer)?;
    Ok(out)
}

/// serde_json's pretty formatter with Python's `ensure_ascii` string escapes and float repr.
struct PythonFormatter {
    pretty: PrettyFormatter<'static>,
}

impl PythonFormatter {
    fn new() -> Self {
        Self {
            pretty: PrettyFormatter::with_indent(b"  "),
        }
    }
}

impl Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has escaped `"`, `\` and the control characters below 0x20 already.
        let mut start = 0;
        for (index, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..index])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = index + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(writer)
    }
}

/// A finite float as Python's `repr` writes it: the shortest digits that read back to the
/// same value, in positional form from `1e-4` up to below `1e16` (always with a `.`), in
/// exponent form outside it (`1e-05`, `1.5e+16`).
pub(super) fn python_float_repr(value: f64) -> String {
    let mut out = String::new();
    python_float_repr_into(value, &mut out);
    out
}

/// [`python_float_repr`] into `out` (cleared first), reusing its buffer.
pub(super) fn python_float_repr_into(value: f64, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    if value == 0.0 {
        out.push_str(if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        });
        return;
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `d.ddde<exp>`.
    let mut scientific = [0u8; 40];
    let scientific = {
        let mut cursor = io::Cursor::new(&mut scientific[..]);
        let _ = write!(cursor, "{:e}", value.abs());
        let len = usize::try_from(cursor.position()).unwrap_or(0);
        std::str::from_utf8(&scientific[..len]).unwrap_or("0e0")
    };
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut count = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if let Some(slot) = digits.get_mut(count) {
            *slot = b;
            count += 1;
        }
    }
    let digits = std::str::from_utf8(&digits[..count]).unwrap_or("0");
    let sign = if value.is_sign_negative() { "-" } else { "" };
    // Python's `decpt`: the value is 0.<digits> times 10^decpt.
    let decpt = exponent + 1;
    let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(
            out,
            "{sign}{first}{dot}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        );
    } else if decpt <= 0 {
        out.push_str(sign);
        out.push_str("0.");
        for _ in 0..decpt.unsigned_abs() {
            out.push('0');
        }
        out.push_str(digits);
    } else if decpt < count {
        let (int, frac) = digits.split_at(decpt.unsigned_abs() as usize);
        out.push_str(sign);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str(sign);
        out.push_str(digits);
        for _ in 0..(decpt - count).unsigned_abs() {
            out.push('0');
        }
        out.push_str(".0");
    }
}

/// Replaces `path` with the bytes `fill` writes: they go to a new temporary file in `tmp`
/// (the basedir's `_tmp`, on the same file system), which is then renamed over `path`, so a
/// reader sees the old file or the new one, never a part. The temporary file is removed
/// when anything fails; one left by a killed process is swept by the next run.
pub(super) fn write_atomically(
    tmp: &Path,
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), ObserverError>,
) -> Result<(), ObserverError> {
    let mut replacement = AtomicFile::create_in(path, tmp)
        .map_err(|e| io_error("create a temporary file for", path, &e))?;
    fill(replacement.file())?;
    let temp = replacement.temp_path().to_path_buf();
    // Not synced here: the journal is the durable copy until the observer's `join` syncs
    // the store once, at the end of the run.
    replacement.commit_unsynced().map_err(|e| {
        ObserverError::new(format!(
            "cannot rename `{}` to `{}`: {e}",
            temp.display(),
            path.display()
        ))
    })
}

/// Replaces `path` with `bytes`, atomically.
pub(super) fn write_bytes(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), ObserverError> {
    write_atomically(tmp, path, |file| {
        file.write_all(bytes)
            .map_err(|e| io_error("write", path, &e))
    })
}

/// Replaces `path` with `value` as Sacred's JSON, atomically.
pub(super) fn write_json<T: Serialize + ?Sized>(
    tmp: &Path,
    path: &Path,
    value: &T,
) -> Result<(), ObserverError> {
    let bytes = to_sacred_json(value)
        .map_err(|e| ObserverError::new(format!("cannot encode `{}`: {e}", path.display())))?;
    write_bytes(tmp, path, &bytes)
}

/// Replaces `dest` with a copy of the file `source`, atomically.
pub(super) fn copy_file(tmp: &Path, source: &Path, dest: &Path) -> Result<(), ObserverError> {
    let mut input = File::open(source).map_err(|e| io_error("open", source, &e))?;
    write_atomically(tmp, dest, |file| {
        io::copy(&mut input, file).map(drop).map_err(|e| {
            ObserverError::new(format!(
                "cannot copy `{}` to `{}`: {e}",
                source.display(),
                dest.display()
            ))
        })
    })
}

/// Appends `text` to `path`, creating it if needed.
pub(super) fn append(path: &Path, text: &[u8]) -> Result<(), ObserverError> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io_error("open", path, &e))?;
    file.write_all(text)
        .and_then(|()| file.flush())
        .map_err(|e| io_error("append to", path, &e))
}
