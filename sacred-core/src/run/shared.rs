//! The state a run's handle, its pump thread and its lifecycle share: the seed, the
//! config, the metrics not yet sent, the info, the id once decided, and the pump's queue.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex, PoisonError};

use super::metrics::Metrics;
use crate::observer::{ArtifactEvent, ResourceEvent, RunId};
use crate::sync::lock;

/// What the pump thread is asked to do by the run handle.
#[derive(Debug)]
pub(crate) enum RunMessage {
    /// Store an artifact.
    Artifact(ArtifactEvent),
    /// Record a resource.
    Resource(ResourceEvent),
    /// The observers decided the run's id (sent by the pump's own helper).
    Id(Option<RunId>),
    /// A thread's ring of metric points is full: drain the rings now, before the beat.
    Drain,
    /// The run ended (sent by the lifecycle, never by the handle): a final beat with
    /// `output` (what the capture still held), the final event and the observers' join;
    /// the observers' failures, one line each, are sent back on `reply`.
    End {
        /// How the run ended.
        end: RunEnd,
        /// The output not yet sent with a beat.
        output: String,
        /// Where the report of the end goes.
        reply: Sender<EndReport>,
    },
}

/// An observer that could not store the whole run, and why.
#[derive(Debug, Clone)]
pub(crate) struct ObserverFailure {
    /// The observer's name; `None` when the failure is not one observer's.
    pub(crate) observer: Option<String>,
    /// Why.
    pub(crate) reason: String,
}

/// `<observer> failed: <reason>`.
impl std::fmt::Display for ObserverFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.observer {
            Some(observer) => write!(f, "{observer} failed: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// What the end of a run left behind.
#[derive(Debug, Clone, Default)]
pub(crate) struct EndReport {
    /// The observers that could not store the whole run.
    pub(crate) failures: Vec<ObserverFailure>,
    /// The journal, when it was kept (an observer failed, or it could not be removed).
    pub(crate) journal: Option<PathBuf>,
    /// Why the journal itself could not be written, if it could not.
    pub(crate) journal_failure: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub(crate) enum RunEnd {
    /// The function returned; its result, if any.
    Completed(Option<serde_json::Value>),
    /// The function returned an error or panicked: Sacred's `fail_trace` lines.
    Failed(Vec<String>),
    /// A signal ended the run; the status to record.
    Interrupted(String),
}

/// The run's id, decided by the pump thread once the observers have seen the start.
#[derive(Debug, Default)]
pub(crate) struct IdSlot {
    value: Mutex<Option<Option<RunId>>>,
    decided: Condvar,
}

impl IdSlot {
    pub(crate) fn set(&self, id: Option<RunId>) {
        *lock(&self.value) = Some(id);
        self.decided.notify_all();
    }

    /// Waits until the id is decided, at most `timeout`; whether it was.
    pub(crate) fn wait(&self, timeout: std::time::Duration) -> bool {
        let value = lock(&self.value);
        let (value, _) = self
            .decided
            .wait_timeout_while(value, timeout, |v| v.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        value.is_some()
    }

    pub(super) fn get(&self) -> Option<RunId> {
        let mut value = lock(&self.value);
        loop {
            if let Some(id) = value.as_ref() {
                return id.clone();
            }
            value = self
                .decided
                .wait(value)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// State shared by the run handle, the pump thread and the lifecycle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) seed: u64,
    pub(crate) experiment_name: String,
    pub(crate) config: serde_json::Value,
    pub(crate) metrics: Metrics,
    pub(crate) info: Mutex<serde_json::Map<String, serde_json::Value>>,
    pub(crate) id: IdSlot,
    pub(crate) cwd: PathBuf,
    sender: Mutex<Option<Sender<RunMessage>>>,
}

impl Shared {
    pub(crate) fn new(
        experiment_name: String,
        seed: u64,
        config: serde_json::Value,
        cwd: PathBuf,
    ) -> Self {
        Self {
            seed,
            experiment_name,
            config,
            metrics: Metrics::default(),
            info: Mutex::default(),
            id: IdSlot::default(),
            cwd,
            sender: Mutex::new(None),
        }
    }

    pub(crate) fn connect(&self, sender: Sender<RunMessage>) {
        self.metrics.connect(sender.clone());
        *lock(&self.sender) = Some(sender);
    }

    pub(crate) fn send(&self, message: RunMessage) {
        if let Some(sender) = lock(&self.sender).as_ref() {
            // The pump stops only after the experiment function returned; a message sent
            // after that has nowhere to go and is dropped.
            let _ = sender.send(message);
        }
    }

    pub(crate) fn info_snapshot(&self) -> serde_json::Value {
        serde_json::Value::Object(lock(&self.info).clone())
    }
}
