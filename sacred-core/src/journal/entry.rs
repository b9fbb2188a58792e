//! What a journal record holds: one event of the run, owned and serialisable, with its
//! bytes (sources, artifacts) beside the JSON rather than inside it.
//!
//! A record's payload is `[json length u32 LE][json][blob length u64 LE][blob]…`; the JSON
//! names its blobs by index. Metric values are stored as their IEEE-754 bits, so NaN and
//! ±inf read back exactly; times as microseconds since the Unix epoch.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, FailedEvent, HeartbeatEvent, InterruptedEvent,
    MetricsEvent, ResourceEvent, RunId, StartedEvent,
};

/// One event of a run, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Entry {
    /// The run started (before the observers allocated its id).
    Started(Box<Start>),
    /// The observers decided the run's id.
    Id {
        /// The id; `None` when no observer gave one.
        id: Option<RunId>,
    },
    /// New metric points.
    Metrics {
        /// One series per metric with new points.
        series: Vec<Series>,
    },
    /// A beat.
    Heartbeat {
        /// When, µs since the epoch.
        beat_time: i64,
        /// The info, whole.
        info: serde_json::Value,
        /// The output since the previous beat.
        output: String,
        /// How many bytes of output came before it.
        output_offset: u64,
        /// The result so far.
        result: Option<serde_json::Value>,
    },
    /// An artifact.
    Artifact {
        /// Its name in the run.
        name: String,
        /// The blob holding its bytes, or `None` when they stay in `path`.
        blob: Option<usize>,
        /// A large artifact's file, copied from there.
        path: Option<PathBuf>,
        /// Its MIME type.
        content_type: Option<String>,
        /// Its metadata.
        metadata: Option<serde_json::Value>,
    },
    /// A resource.
    Resource {
        /// Its path.
        path: PathBuf,
        /// The md5 of its contents.
        md5: String,
    },
    /// The run completed.
    Completed {
        /// When, µs since the epoch.
        stop_time: i64,
        /// The result.
        result: Option<serde_json::Value>,
    },
    /// The run failed.
    Failed {
        /// When, µs since the epoch.
        fail_time: i64,
        /// Sacred's `fail_trace`.
        fail_trace: Vec<String>,
    },
    /// The run was interrupted.
    Interrupted {
        /// When, µs since the epoch.
        interrupt_time: i64,
        /// The status.
        status: String,
    },
    /// An observer stored the whole run (at its end, or by `sync`).
    Stored {
        /// The observer's name.
        observer: String,
        /// The id it stored the run under.
        id: Option<RunId>,
    },
    /// An observer could not store the whole run: `sync` sends it there.
    Pending {
        /// The observer's name.
        observer: String,
        /// The flags that select it again (`-F DIR`, `-m DB`, secrets masked); empty when
        /// it cannot be selected from the command line.
        args: Vec<String>,
    },
}

/// The start of a run, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Start {
    /// The id given with `-i`, if any.
    pub id: Option<RunId>,
    /// The experiment's name.
    pub name: String,
    /// Where its sources are.
    pub base_dir: String,
    /// Its main file, relative to `base_dir`.
    pub mainfile: String,
    /// Its sources: path and the blob holding the contents.
    pub sources: Vec<(String, usize)>,
    /// `name==version` of its dependencies.
    pub dependencies: Vec<String>,
    /// Those of them its package depends on directly (absent from older journals).
    #[serde(default)]
    pub direct_dependencies: Vec<String>,
    /// Its repositories: url, commit, dirty.
    pub repositories: Vec<(String, String, bool)>,
    /// The command.
    pub command: String,
    /// Host information.
    pub host: serde_json::Value,
    /// When it started, µs since the epoch.
    pub start_time: i64,
    /// The resolved config.
    pub config: serde_json::Value,
    /// Sacred's `meta`.
    pub meta: serde_json::Value,
}

/// New points of one metric. Values are IEEE-754 bits, so NaN and ±inf read back exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Series {
    /// The metric's name.
    pub name: String,
    /// The steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<u64>,
    /// The values' bits (`f64::to_bits`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_bits: Vec<u64>,
    /// When each was logged, µs since the epoch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub times: Vec<i64>,
    /// On disk, the blob holding the points (steps, then value bits, then times, 8 bytes
    /// each, little-endian) instead of JSON arrays: written and read at memory speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) blob: Option<usize>,
}

impl Series {
    /// The values.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.value_bits.iter().map(|b| f64::from_bits(*b))
    }
}

/// An entry with the bytes it refers to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// The event.
    pub entry: Entry,
    /// The bytes the entry names by index.
    pub blobs: Vec<Vec<u8>>,
}

impl Record {
    fn plain(entry: Entry) -> Self {
        Self {
            entry,
            blobs: Vec::new(),
        }
    }

    /// The record of a start.
    pub(crate) fn started(event: &StartedEvent) -> Self {
        let experiment = &event.experiment;
        let blobs: Vec<Vec<u8>> = experiment
            .sources
            .iter()
            .map(|s| s.content.to_vec())
            .collect();
        let entry = Entry::Started(Box::new(Start {
            id: event.id.clone(),
            name: experiment.name.clone(),
            base_dir: experiment.base_dir.clone(),
            mainfile: experiment.mainfile.clone(),
            sources: experiment
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| (s.path.to_owned(), i))
                .collect(),
            dependencies: experiment.dependencies.clone(),
            direct_dependencies: experiment.direct_dependencies.clone(),
            repositories: experiment
                .repositories
                .iter()
                .map(|r| (r.url.clone(), r.commit.clone(), r.dirty))
                .collect(),
            command: event.command.clone(),
            host: event.host.clone(),
            start_time: event.start_time.as_micros(),
            config: event.config.clone(),
            meta: event.meta.clone(),
        }));
        Self { entry, blobs }
    }

    /// The record of the id the observers decided.
    pub(crate) fn id(id: Option<RunId>) -> Self {
        Self::plain(Entry::Id { id })
    }

    /// The record of new metric points.
    pub(crate) fn metrics(event: &MetricsEvent) -> Self {
        Self::plain(Entry::Metrics {
            series: event
                .series
                .iter()
                .map(|s| Series {
                    name: s.name.clone(),
                    steps: s.steps.clone(),
                    value_bits: s.values.iter().map(|v| v.to_bits()).collect(),
                    times: s.timestamps.iter().map(|t| t.as_micros()).collect(),
                    blob: None,
                })
                .collect(),
        })
    }

    /// The record of a beat.
    pub(crate) fn heartbeat(event: &HeartbeatEvent) -> Self {
        Self::plain(Entry::Heartbeat {
            beat_time: event.beat_time.as_micros(),
            info: event.info.clone(),
            output: event.output.clone(),
            output_offset: event.output_offset,
            result: event.result.clone(),
        })
    }

    /// The record of an artifact: its bytes, or the path of a large one.
    pub(crate) fn artifact(event: &ArtifactEvent) -> Self {
        let (blob, path, blobs) = match &event.source {
            ArtifactSource::Bytes(bytes) => (Some(0), None, vec![bytes.to_vec()]),
            ArtifactSource::File(path) => (None, Some(path.clone()), Vec::new()),
        };
        Self {
            entry: Entry::Artifact {
                name: event.name.clone(),
                blob,
                path,
                content_type: event.content_type.clone(),
                metadata: event.metadata.clone(),
            },
            blobs,
        }
    }

    /// The record of a resource.
    pub(crate) fn resource(event: &ResourceEvent) -> Self {
        Self::plain(Entry::Resource {
            path: event.path.clone(),
            md5: event.md5.clone(),
        })
    }

    /// The record of a completed run.
    pub(crate) fn completed(event: &CompletedEvent) -> Self {
        Self::plain(Entry::Completed {
            stop_time: event.stop_time.as_micros(),
            result: event.result.clone(),
        })
    }

    /// The record of a failed run.
    pub(crate) fn failed(event: &FailedEvent) -> Self {
        Self::plain(Entry::Failed {
            fail_time: event.fail_time.as_micros(),
            fail_trace: event.fail_trace.clone(),
        })
    }

    /// The record of an observer that stored the whole run.
    pub(crate) fn stored(observer: String, id: Option<RunId>) -> Self {
        Self::plain(Entry::Stored { observer, id })
    }

    /// The record of an observer that could not.
    pub(crate) fn pending(observer: String, args: Vec<String>) -> Self {
        Self::plain(Entry::Pending { observer, args })
    }

    /// The record of an interrupted run.
    pub(crate) fn interrupted(event: &InterruptedEvent) -> Self {
        Self::plain(Entry::Interrupted {
            interrupt_time: event.interrupt_time.as_micros(),
            status: event.status.clone(),
        })
    }

    /// The record's payload.
    ///
    /// # Errors
    /// The entry cannot be serialised (a value serde_json refuses).
    pub(crate) fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        // Metric points go as blobs of packed numbers, not JSON arrays.
        let mut packed = Vec::new();
        let light;
        let entry = match &self.entry {
            Entry::Metrics { series } => {
                light = Entry::Metrics {
                    series: series
                        .iter()
                        .map(|s| {
                            packed.push(pack(s));
                            Series {
                                name: s.name.clone(),
                                steps: Vec::new(),
                                value_bits: Vec::new(),
                                times: Vec::new(),
                                blob: Some(self.blobs.len() + packed.len() - 1),
                            }
                        })
                        .collect(),
                };
                &light
            }
            entry => entry,
        };
        let json = serde_json::to_vec(entry)?;
        let blobs: usize = self.blobs.iter().chain(&packed).map(|b| 8 + b.len()).sum();
        let mut out = Vec::with_capacity(4 + json.len() + blobs);
        let json_len = u32::try_from(json.len()).map_err(serde::ser::Error::custom)?;
        out.extend_from_slice(&json_len.to_le_bytes());
        out.extend_from_slice(&json);
        for blob in self.blobs.iter().chain(&packed) {
            out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
            out.extend_from_slice(blob);
        }
        Ok(out)
    }

    /// A record from its payload.
    ///
    /// # Errors
    /// The payload is not a record this version writes.
    pub(crate) fn decode(payload: &[u8]) -> Result<Self, String> {
        let (len, rest) = split_len::<4>(payload).ok_or("no JSON length")?;
        let len = usize::try_from(len).map_err(|e| e.to_string())?;
        let json = rest.get(..len).ok_or("the JSON is cut short")?;
        let entry: Entry = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        let mut rest = &rest[len..];
        let mut blobs = Vec::new();
        while !rest.is_empty() {
            let (len, after) = split_len::<8>(rest).ok_or("a blob length is cut short")?;
            let len = usize::try_from(len).map_err(|e| e.to_string())?;
            blobs.push(after.get(..len).ok_or("a blob is cut short")?.to_vec());
            rest = &after[len..];
        }
        let mut entry = entry;
        if let Entry::Metrics { series } = &mut entry {
            for s in series {
                if let Some(blob) = s.blob.take() {
                    let bytes = blobs.get(blob).ok_or("a metric's blob is missing")?;
                    unpack(bytes, s)?;
                }
            }
            // The points are in the series now (a metrics record has no other blobs).
            blobs.clear();
        }
        Ok(Self { entry, blobs })
    }
}

/// A series' points as one blob: the steps, the value bits, the times, 8 bytes each.
fn pack(series: &Series) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 * series.steps.len());
    for word in series.steps.iter().chain(&series.value_bits) {
        out.extend_from_slice(&word.to_le_bytes());
    }
    for time in &series.times {
        out.extend_from_slice(&time.to_le_bytes());
    }
    out
}

/// Fills `series` from a blob of [`pack`].
fn unpack(bytes: &[u8], series: &mut Series) -> Result<(), String> {
    if !bytes.len().is_multiple_of(24) {
        return Err(format!(
            "the points of `{}` are cut short ({} bytes)",
            series.name,
            bytes.len()
        ));
    }
    let n = bytes.len() / 24;
    let words = |part: usize| {
        bytes[part * 8 * n..(part + 1) * 8 * n]
            .chunks_exact(8)
            .map(|c| {
                let mut word = [0u8; 8];
                word.copy_from_slice(c);
                word
            })
    };
    series.steps = words(0).map(u64::from_le_bytes).collect();
    series.value_bits = words(1).map(u64::from_le_bytes).collect();
    series.times = words(2).map(i64::from_le_bytes).collect();
    Ok(())
}

/// A little-endian length of `N` bytes at the start of `bytes`, and what follows.
fn split_len<const N: usize>(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let head = bytes.get(..N)?;
    let mut le = [0u8; 8];
    le[..N].copy_from_slice(head);
    Some((u64::from_le_bytes(le), &bytes[N..]))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::observer::{ExperimentRecord, MetricSeries, Repository, SourceFile};
    use crate::time::Timestamp;

    fn roundtrip(record: &Record) -> Record {
        let payload = record.encode().unwrap_or_else(|e| panic!("{e}"));
        Record::decode(&payload).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_event_reads_back_as_written() {
        let sources: &'static [SourceFile] = &[SourceFile {
            path: "src/main.rs",
            content: b"fn main() {}\n\xff",
        }];
        let started = StartedEvent::new(
            Some(RunId::Str("given".into())),
            Arc::new(ExperimentRecord::new(
                "exp",
                "/ws",
                "src/main.rs",
                sources.to_vec(),
                vec!["rand==0.10.0".into()],
                vec![Repository::new("https://h/r.git", "abc", true, "diff")],
            )),
            "main",
            serde_json::json!({"hostname": "h"}),
            Timestamp::from_micros(1_795_817_129_077_128),
            serde_json::json!({"lr": 0.1, "seed": 3}),
            serde_json::json!({"command": "main"}),
        );
        let record = Record::started(&started);
        assert_eq!(record.blobs, [b"fn main() {}\n\xff".to_vec()]);
        assert_eq!(roundtrip(&record), record);

        let t = Timestamp::from_micros(7);
        let metrics = MetricsEvent::new(vec![MetricSeries::new(
            "loss",
            vec![0, 1, 2, 3],
            vec![0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            vec![t; 4],
        )]);
        assert_eq!(
            roundtrip(&Record::metrics(&metrics)),
            Record::metrics(&metrics)
        );
        // The points are packed, 24 bytes each, not written as JSON numbers.
        let many = MetricsEvent::new(vec![MetricSeries::new(
            "many",
            (0..10_000).collect(),
            (0..10_000).map(f64::from).collect(),
            vec![t; 10_000],
        )]);
        let encoded = Record::metrics(&many)
            .encode()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(encoded.len() < 24 * 10_000 + 200, "{} bytes", encoded.len());
        assert_eq!(roundtrip(&Record::metrics(&many)), Record::metrics(&many));
        let back = roundtrip(&Record::metrics(&metrics));
        let Entry::Metrics { series } = back.entry else {
            panic!("{back:?}")
        };
        let values: Vec<f64> = series[0].values().collect();
        assert_eq!(values[0], 0.5);
        assert!(values[1].is_nan());
        assert_eq!(values[2], f64::INFINITY);
        assert_eq!(values[3], f64::NEG_INFINITY);

        let artifact = ArtifactEvent::new(
            "model.bin",
            ArtifactSource::Bytes(Arc::from(&[0u8, 1, 2, 255][..])),
            Some("application/octet-stream".into()),
            Some(serde_json::json!({"epoch": 3})),
        );
        let record = Record::artifact(&artifact);
        assert_eq!(record.blobs, [vec![0u8, 1, 2, 255]]);
        assert_eq!(roundtrip(&record), record);
        for record in [
            Record::id(Some(RunId::Int(4))),
            Record::heartbeat(&HeartbeatEvent::new(
                t,
                serde_json::json!({}),
                "out\n",
                3,
                None,
            )),
            Record::resource(&ResourceEvent::new(
                "/data.csv",
                "d41d8cd98f00b204e9800998ecf8427e",
            )),
            Record::completed(&CompletedEvent::new(t, Some(serde_json::json!(1.5)))),
            Record::failed(&FailedEvent::new(t, vec!["Error: x\n".into()])),
            Record::interrupted(&InterruptedEvent::new(t, "INTERRUPTED")),
            Record::artifact(&ArtifactEvent::new(
                "big.bin",
                ArtifactSource::File("/big.bin".into()),
                None,
                None,
            )),
        ] {
            assert_eq!(roundtrip(&record), record);
        }
    }

    #[test]
    fn foreign_payloads_are_errors() {
        assert!(Record::decode(b"").is_err());
        assert!(Record::decode(&[200, 0, 0, 0, b'{']).is_err());
        let mut payload = Record::id(None).encode().unwrap_or_default();
        payload.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(Record::decode(&payload).is_err());
    }
}
