//! A journal's records as an observer's events: the one conversion that both a running
//! run's observers (reading the journal as it grows) and `sync` (reading it afterwards)
//! go through.

use std::sync::Arc;

use super::{Entry, Record, Start};
use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricSeries, MetricsEvent, Observer, ObserverError, Repository,
    ResourceEvent, RunId, SourceFile, StartedEvent,
};
use crate::time::Timestamp;

/// What records handed to an observer held, for reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Metric points.
    pub(crate) points: usize,
    /// Artifacts.
    pub(crate) artifacts: usize,
}

/// Whether `record` ends the run (completed, failed or interrupted).
pub(crate) fn is_end(record: &Record) -> bool {
    matches!(
        record.entry,
        Entry::Completed { .. } | Entry::Failed { .. } | Entry::Interrupted { .. }
    )
}

/// Hands `record` to `observer` as the event it holds. The start, the id and what the
/// journal says of its observers are not events of this kind: they are skipped.
///
/// # Errors
/// The observer could not handle the event.
pub(crate) fn apply(
    record: &Record,
    observer: &mut dyn Observer,
    sent: &mut Sent,
) -> Result<(), ObserverError> {
    let blob = |i: usize| record.blobs.get(i).cloned().unwrap_or_default();
    match &record.entry {
        Entry::Metrics { series } => {
            let event = MetricsEvent::new(
                series
                    .iter()
                    .map(|s| {
                        sent.points += s.steps.len();
                        MetricSeries::new(
                            s.name.clone(),
                            s.steps.clone(),
                            s.values().collect(),
                            s.times.iter().map(|t| Timestamp::from_micros(*t)).collect(),
                        )
                    })
                    .collect(),
            );
            observer.take_metrics(event)
        }
        Entry::Heartbeat {
            beat_time,
            info,
            output,
            output_offset,
            result,
        } => observer.heartbeat(&HeartbeatEvent::new(
            Timestamp::from_micros(*beat_time),
            info.clone(),
            output.clone(),
            *output_offset,
            result.clone(),
        )),
        Entry::Artifact {
            name,
            blob: index,
            path,
            content_type,
            metadata,
        } => {
            let source = match (index, path) {
                (Some(i), _) => ArtifactSource::Bytes(Arc::from(blob(*i))),
                (None, Some(path)) => ArtifactSource::File(path.clone()),
                (None, None) => return Ok(()),
            };
            sent.artifacts += 1;
            observer.artifact(&ArtifactEvent::new(
                name.clone(),
                source,
                content_type.clone(),
                metadata.clone(),
            ))
        }
        Entry::Resource { path, md5 } => {
            observer.resource(&ResourceEvent::new(path.clone(), md5.clone()))
        }
        Entry::Completed { stop_time, result } => observer.completed(&CompletedEvent::new(
            Timestamp::from_micros(*stop_time),
            result.clone(),
        )),
        Entry::Failed {
            fail_time,
            fail_trace,
        } => observer.failed(&FailedEvent::new(
            Timestamp::from_micros(*fail_time),
            fail_trace.clone(),
        )),
        Entry::Interrupted {
            interrupt_time,
            status,
        } => observer.interrupted(&InterruptedEvent::new(
            Timestamp::from_micros(*interrupt_time),
            status.clone(),
        )),
        Entry::Started(_) | Entry::Id { .. } | Entry::Stored { .. } | Entry::Pending { .. } => {
            Ok(())
        }
    }
}

/// The start of the run, as an event. The sources live as long as the process: a `sync`
/// is short, and observers take sources as `'static`, as a run's are.
pub(crate) fn started_event(start: &Start, blobs: &[Vec<u8>], id: Option<RunId>) -> StartedEvent {
    let sources: Vec<SourceFile> = start
        .sources
        .iter()
        .map(|(path, blob)| SourceFile {
            path: Box::leak(path.clone().into_boxed_str()),
            content: Box::leak(
                blobs
                    .get(*blob)
                    .cloned()
                    .unwrap_or_default()
                    .into_boxed_slice(),
            ),
        })
        .collect();
    let repositories = start
        .repositories
        .iter()
        .map(|(url, commit, dirty)| Repository::new(url.clone(), commit.clone(), *dirty, ""))
        .collect();
    StartedEvent::new(
        id.or_else(|| start.id.clone()),
        Arc::new(
            ExperimentRecord::new(
                start.name.clone(),
                start.base_dir.clone(),
                start.mainfile.clone(),
                sources,
                start.dependencies.clone(),
                repositories,
            )
            .with_direct_dependencies(start.direct_dependencies.clone()),
        ),
        start.command.clone(),
        start.host.clone(),
        Timestamp::from_micros(start.start_time),
        start.config.clone(),
        start.meta.clone(),
    )
}
