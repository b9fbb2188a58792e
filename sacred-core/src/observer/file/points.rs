//! The metric points of the run being recorded, kept on disk rather than in memory, and
//! `metrics.json` rebuilt from them.
//!
//! Each metric's points are appended to a file of its own (24 bytes a point: step, time in
//! µs, value bits) in a directory under the basedir's `_tmp`. `metrics.json` keeps Sacred's
//! layout; it is rebuilt from those files, streaming, whenever the run has half as many
//! points again as when it was last written (and at every beat while the run is small),
//! and always at the end, so that the bytes written over a run are linear in its points and the
//! memory held is the same for ten points as for ten million.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::write::{io_error, python_float_repr_into, to_sacred_json, write_atomically};
use crate::observer::{MetricSeries, ObserverError};
use crate::time::Timestamp;

/// While the run has at most this many points, `metrics.json` is rewritten at every
/// metrics event (it is at most about a megabyte).
const ALWAYS_REWRITE_UP_TO: u64 = 20_000;
/// Past that, it is rewritten once the run has this many times the points it had then:
/// all the rewrites of a run write about three times the last file, and the file lags by
/// at most a third of the points.
const GROWTH: f64 = 1.5;
/// The bytes of one point in a metric's file.
const POINT: usize = 24;

/// One metric's file of points.
#[derive(Debug)]
struct Series {
    file: PathBuf,
    points: u64,
}

/// The points of the run, by metric name, on disk.
#[derive(Debug)]
pub(super) struct Points {
    /// `BASEDIR/_tmp/.<run>-points.<pid>.<n>.tmp`: removed when the run is done with.
    dir: PathBuf,
    series: BTreeMap<String, Series>,
    total: u64,
    /// The points `metrics.json` holds.
    written: u64,
}

impl Points {
    /// Points kept in a new directory in `tmp` for the run in the directory `run_name`.
    pub(super) fn create(tmp: &Path, run_name: &str) -> Result<Self, ObserverError> {
        let pid = std::process::id();
        for n in 0..1000 {
            let dir = tmp.join(format!(".{run_name}-points.{pid}.{n}.tmp"));
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    return Ok(Self {
                        dir,
                        series: BTreeMap::new(),
                        total: 0,
                        written: 0,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error("create the directory", &dir, &e)),
            }
        }
        Err(ObserverError::new(format!(
            "cannot create a directory for the metric points in `{}`: 1000 names are taken",
            tmp.display()
        )))
    }

    /// Appends `series` to its metric's file.
    pub(super) fn append(&mut self, series: &MetricSeries) -> Result<(), ObserverError> {
        let next = self.series.len();
        let stored = self
            .series
            .entry(series.name.clone())
            .or_insert_with(|| Series {
                file: self.dir.join(format!("{next}.points")),
                points: 0,
            });
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stored.file)
            .map_err(|e| io_error("open", &stored.file, &e))?;
        let mut out = BufWriter::new(file);
        let points = series
            .steps
            .iter()
            .zip(&series.timestamps)
            .zip(&series.values);
        for ((step, time), value) in points {
            let mut point = [0u8; POINT];
            point[..8].copy_from_slice(&step.to_le_bytes());
            point[8..16].copy_from_slice(&time.as_micros().to_le_bytes());
            point[16..].copy_from_slice(&value.to_bits().to_le_bytes());
            out.write_all(&point)
                .map_err(|e| io_error("write", &stored.file, &e))?;
            stored.points += 1;
            self.total += 1;
        }
        out.flush().map_err(|e| io_error("write", &stored.file, &e))
    }

    /// Whether `metrics.json` is due: the run is small, or it grew enough since.
    pub(super) fn due(&self) -> bool {
        self.total != self.written
            && (self.total <= ALWAYS_REWRITE_UP_TO
                || self.total as f64 >= self.written as f64 * GROWTH)
    }

    /// Whether `metrics.json` lacks points.
    pub(super) fn behind(&self) -> bool {
        self.total != self.written
    }

    /// Writes `metrics.json` at `path` from the files, as Python's `json.dump(metrics,
    /// sort_keys=True, indent=2)` writes Sacred's `{name: {steps, timestamps, values}}`,
    /// non-finite values as Python's `NaN`, `Infinity`, `-Infinity`.
    pub(super) fn write_json(&mut self, tmp: &Path, path: &Path) -> Result<(), ObserverError> {
        write_atomically(tmp, path, |file| {
            let mut out = BufWriter::with_capacity(1 << 16, file);
            self.write_to(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| io_error("write", path, &e))
        })?;
        self.written = self.total;
        Ok(())
    }

    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        if self.series.is_empty() {
            return out.write_all(b"{}");
        }
        out.write_all(b"{")?;
        for (i, (name, series)) in self.series.iter().enumerate() {
            let key = to_sacred_json(name.as_str()).map_err(io::Error::other)?;
            out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
            out.write_all(&key)?;
            out.write_all(b": {\n    \"steps\": ")?;
            self.write_field(out, series, |point, out| {
                let step = u64::from_le_bytes(field(point, 0));
                write!(out, "{step}")
            })?;
            out.write_all(b",\n    \"timestamps\": ")?;
            // Points of one second share the date and time: formatted once.
            let mut second = None;
            let mut prefix = String::new();
            self.write_field(out, series, |point, out| {
                let micros = i64::from_le_bytes(field(point, 8));
                let (secs, fraction) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
                if second != Some(secs) {
                    second = Some(secs);
                    let text = Timestamp::from_micros(secs * 1_000_000).to_string();
                    prefix.clear();
                    prefix.push('"');
                    prefix.push_str(text.get(..text.len().saturating_sub(6)).unwrap_or(&text));
                }
                out.write_all(prefix.as_bytes())?;
                write!(out, "{fraction:06}\"")
            })?;
            out.write_all(b",\n    \"values\": ")?;
            let mut text = String::new();
            self.write_field(out, series, |point, out| {
                let value = f64::from_bits(u64::from_le_bytes(field(point, 16)));
                if value.is_nan() {
                    out.write_all(b"NaN")
                } else if value == f64::INFINITY {
                    out.write_all(b"Infinity")
                } else if value == f64::NEG_INFINITY {
                    out.write_all(b"-Infinity")
                } else {
                    python_float_repr_into(value, &mut text);
                    out.write_all(text.as_bytes())
                }
            })?;
            out.write_all(b"\n  }")?;
        }
        out.write_all(b"\n}")
    }

    /// One array of a metric, `[…]` at the indent of a field, reading the metric's file
    /// once from the start.
    fn write_field(
        &self,
        out: &mut impl Write,
        series: &Series,
        mut item: impl FnMut(&[u8; POINT], &mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        if series.points == 0 {
            return out.write_all(b"[]");
        }
        let mut input = BufReader::with_capacity(1 << 16, File::open(&series.file)?);
        out.write_all(b"[")?;
        let mut point = [0u8; POINT];
        for i in 0..series.points {
            input.read_exact(&mut point)?;
            out.write_all(if i == 0 { b"\n      " } else { b",\n      " })?;
            item(&point, out)?;
        }
        out.write_all(b"\n    ]")
    }
}

/// Eight bytes of `point` from `at`.
fn field(point: &[u8; POINT], at: usize) -> [u8; 8] {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&point[at..at + 8]);
    bytes
}

impl Drop for Points {
    fn drop(&mut self) {
        // `metrics.json` has what the run is done with; the files go.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(name: &str, from: u64, n: u64) -> MetricSeries {
        MetricSeries::new(
            name,
            (from..from + n).collect(),
            (from..from + n).map(|i| i as f64 * 0.5).collect(),
            vec![Timestamp::from_micros(1_795_817_129_077_128); n as usize],
        )
    }

    #[test]
    fn metrics_json_is_rewritten_on_a_schedule_linear_in_the_points() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tmp = dir.path().join("_tmp");
        std::fs::create_dir(&tmp).unwrap_or_else(|e| panic!("{e}"));
        let json = dir.path().join("metrics.json");
        let mut points = Points::create(&tmp, "1").unwrap_or_else(|e| panic!("{e}"));
        let (beats, per_beat) = (500u64, 1_000u64);
        let mut rewrites = 0;
        let mut bytes_written = 0;
        for beat in 0..beats {
            points
                .append(&batch("loss", beat * per_beat, per_beat))
                .unwrap_or_else(|e| panic!("{e}"));
            if points.due() {
                points
                    .write_json(&tmp, &json)
                    .unwrap_or_else(|e| panic!("{e}"));
                rewrites += 1;
                bytes_written += std::fs::metadata(&json).map(|m| m.len()).unwrap_or(0);
            }
        }
        points
            .write_json(&tmp, &json)
            .unwrap_or_else(|e| panic!("{e}"));
        let last = std::fs::metadata(&json).map(|m| m.len()).unwrap_or(0);
        bytes_written += last;
        // 20 rewrites while small, then one each time the run has half as many points
        // again: the bytes written in all are a small multiple of the last file, not
        // beats × file.
        assert!(rewrites <= 20 + 8, "{rewrites} rewrites");
        assert!(
            bytes_written <= 4 * last,
            "{bytes_written} bytes written for a file of {last}"
        );
        // The file holds every point, in Sacred's layout.
        let text = std::fs::read_to_string(&json).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let steps = value["loss"]["steps"].as_array().map(Vec::len);
        assert_eq!(steps, Some((beats * per_beat) as usize));
        assert_eq!(value["loss"]["values"][3], serde_json::json!(1.5));
        assert_eq!(
            value["loss"]["timestamps"][0],
            serde_json::json!("2026-11-27T22:05:29.077128")
        );
        // The points' directory goes with the run.
        let points_dir = points.dir.clone();
        drop(points);
        assert!(!points_dir.exists());
    }

    #[test]
    fn an_empty_run_and_empty_series_read_as_sacred_writes_them() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let json = dir.path().join("metrics.json");
        let mut points = Points::create(dir.path(), "1").unwrap_or_else(|e| panic!("{e}"));
        points
            .write_json(dir.path(), &json)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&json).unwrap_or_default(), "{}");
        points
            .append(&batch("b", 0, 0))
            .and_then(|()| points.append(&batch("a\u{e9}", 7, 1)))
            .unwrap_or_else(|e| panic!("{e}"));
        points
            .write_json(dir.path(), &json)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&json).unwrap_or_default(),
            "{\n  \"a\\u00e9\": {\n    \"steps\": [\n      7\n    ],\n    \"timestamps\": [\n      \
             \"2026-11-27T22:05:29.077128\"\n    ],\n    \"values\": [\n      3.5\n    ]\n  },\n  \
             \"b\": {\n    \"steps\": [],\n    \"timestamps\": [],\n    \"values\": []\n  }\n}"
        );
    }
}
