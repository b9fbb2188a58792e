//! What the observer, its worker and the reader share: the bounds and timeouts
//! ([`Limits`]), and the observer's [`Backlog`] (the writes it queued and not yet done).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;

/// The largest metric document a Python Sacred reader can load is 16 MB; 300,000 points
/// (about 48 bytes each in three arrays) stay below 15 MB.
const MAX_METRIC_POINTS: usize = 300_000;
/// The most output kept in the run document.
const MAX_CAPTURED_OUT: usize = 8 << 20;

/// Bounds and timeouts of a [`MongoObserver`](crate::MongoObserver). Start from
/// [`Limits::default`] and change what you need with the `with_…` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The most bytes of output the run document's `captured_out` keeps (the last ones);
    /// the whole output goes to GridFS. Default 1 MiB, at most 8 MiB.
    pub captured_out_bytes: usize,
    /// The most points of one metric in its `metrics` document, and in each document of the
    /// overflow collection. Default 200,000, at most 300,000 (under 15 MB a document).
    pub metric_points: usize,
    /// How many events the queue holds before the observer's thread waits. Default 8: the
    /// run's journal holds the rest, so the observer takes records from it at the pace the
    /// server writes them (memory stays small, and the end of the run sees it progress).
    pub queue_capacity: usize,
    /// `serverSelectionTimeoutMS` and `connectTimeoutMS` when the URL does not set them.
    /// Default 5 s.
    pub connect_timeout: Duration,
    /// How long one database operation may take before it counts as failed. Default 60 s.
    pub operation_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            captured_out_bytes: 1 << 20,
            metric_points: 200_000,
            queue_capacity: 8,
            connect_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(60),
        }
    }
}

impl Limits {
    /// Keep at most `bytes` of output in the run document (clamped to 8 MiB).
    pub fn with_captured_out_bytes(mut self, bytes: usize) -> Self {
        self.captured_out_bytes = bytes;
        self
    }

    /// Keep at most `points` points in a metric document (clamped to 1..=300,000).
    pub fn with_metric_points(mut self, points: usize) -> Self {
        self.metric_points = points;
        self
    }

    /// Queue at most `events` events (at least 1).
    pub fn with_queue_capacity(mut self, events: usize) -> Self {
        self.queue_capacity = events;
        self
    }

    /// Wait at most `timeout` for a server when the URL does not say.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Give up on one operation after `timeout`.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// The limits within their allowed ranges.
    pub(crate) fn clamped(self) -> Self {
        Self {
            captured_out_bytes: self.captured_out_bytes.min(MAX_CAPTURED_OUT),
            metric_points: self.metric_points.clamp(1, MAX_METRIC_POINTS),
            queue_capacity: self.queue_capacity.max(1),
            connect_timeout: self.connect_timeout.max(Duration::from_millis(1)),
            operation_timeout: self.operation_timeout.max(Duration::from_millis(1)),
        }
    }
}

/// The writes a [`MongoObserver`](crate::MongoObserver) queued and its worker has not
/// done yet, shared by the two threads.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    /// Events queued or being written.
    pub(crate) pending: AtomicUsize,
    /// Set when `join` gave up: the worker drops what is left.
    pub(crate) abandoned: AtomicBool,
    /// Set while the worker holds an id claimed for a run that has not started there yet:
    /// the observer, when dropped, has the worker release it.
    pub(crate) claim_held: AtomicBool,
    /// The first write that failed since the run was (re)started there: the worker drops
    /// the writes queued after it, and the observer refuses new ones, until the run is
    /// replaced (the runtime replays it from the journal).
    pub(crate) failure: Mutex<Option<String>>,
}

impl Backlog {
    /// The first write that failed, if one did since the last replacement.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Records `message` as the failure, unless one is recorded already.
    pub(crate) fn set_failure(&self, message: &str) {
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert_with(|| message.to_owned());
    }

    /// Forgets the failure: the run is being stored again.
    pub(crate) fn clear_failure(&self) {
        *self
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}
