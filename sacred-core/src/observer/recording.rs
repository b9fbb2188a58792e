//! An observer that keeps every event in memory, so behaviour tests can assert the order
//! and content of a run's events without files or servers.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{
    ArtifactEvent, CompletedEvent, FailedEvent, HeartbeatEvent, InterruptedEvent, MetricsEvent,
    Observer, ObserverError, QueuedEvent, ResourceEvent, RunId, StartedEvent,
};
use crate::sync::lock;

/// One event as a [`RecordingObserver`] received it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RecordedEvent {
    /// `queued`.
    Queued(QueuedEvent),
    /// `started`.
    Started(StartedEvent),
    /// `metrics`.
    Metrics(MetricsEvent),
    /// `heartbeat`.
    Heartbeat(HeartbeatEvent),
    /// `artifact`.
    Artifact(ArtifactEvent),
    /// `resource`.
    Resource(ResourceEvent),
    /// `completed`.
    Completed(CompletedEvent),
    /// `interrupted`.
    Interrupted(InterruptedEvent),
    /// `failed`.
    Failed(FailedEvent),
    /// `join`.
    Joined,
}

impl RecordedEvent {
    /// The event's kind: `started`, `metrics`, `heartbeat`, …
    pub fn kind(&self) -> &'static str {
        match self {
            RecordedEvent::Queued(_) => "queued",
            RecordedEvent::Started(_) => "started",
            RecordedEvent::Metrics(_) => "metrics",
            RecordedEvent::Heartbeat(_) => "heartbeat",
            RecordedEvent::Artifact(_) => "artifact",
            RecordedEvent::Resource(_) => "resource",
            RecordedEvent::Completed(_) => "completed",
            RecordedEvent::Interrupted(_) => "interrupted",
            RecordedEvent::Failed(_) => "failed",
            RecordedEvent::Joined => "join",
        }
    }
}

/// The events a [`RecordingObserver`] received; cloneable, readable while the run goes on.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    events: Arc<Mutex<Vec<RecordedEvent>>>,
}

impl Recording {
    /// Every event so far, in order.
    pub fn events(&self) -> Vec<RecordedEvent> {
        lock(&self.events).clone()
    }

    /// The kinds of the events so far, in order.
    pub fn kinds(&self) -> Vec<&'static str> {
        lock(&self.events).iter().map(RecordedEvent::kind).collect()
    }

    fn push(&self, event: RecordedEvent) {
        lock(&self.events).push(event);
    }
}

/// An observer that records every event in memory (see [`Recording`]).
#[derive(Debug, Clone, Default)]
pub struct RecordingObserver {
    recording: Recording,
    priority: i32,
    id: Option<RunId>,
}

impl RecordingObserver {
    /// A recorder with priority 0 that allocates no id.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the priority.
    #[must_use]
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Makes `started` and `queued` allocate this id when no higher-priority observer did.
    #[must_use]
    pub fn allocating(mut self, id: RunId) -> Self {
        self.id = Some(id);
        self
    }

    /// The handle to read the events with.
    pub fn recording(&self) -> Recording {
        self.recording.clone()
    }
}

impl Observer for RecordingObserver {
    fn name(&self) -> String {
        format!("recording observer (priority {})", self.priority)
    }

    fn priority(&self) -> i32 {
        self.priority
    }

    fn queued(&mut self, event: &QueuedEvent) -> Result<Option<RunId>, ObserverError> {
        self.recording.push(RecordedEvent::Queued(event.clone()));
        Ok(event.id.clone().or_else(|| self.id.clone()))
    }

    fn started(&mut self, event: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        self.recording.push(RecordedEvent::Started(event.clone()));
        Ok(event.id.clone().or_else(|| self.id.clone()))
    }

    fn metrics(&mut self, event: &MetricsEvent) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Metrics(event.clone()));
        Ok(())
    }

    fn heartbeat(&mut self, event: &HeartbeatEvent) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Heartbeat(event.clone()));
        Ok(())
    }

    fn artifact(&mut self, event: &ArtifactEvent) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Artifact(event.clone()));
        Ok(())
    }

    fn resource(&mut self, event: &ResourceEvent) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Resource(event.clone()));
        Ok(())
    }

    fn completed(&mut self, event: &CompletedEvent) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Completed(event.clone()));
        Ok(())
    }

    fn interrupted(&mut self, event: &InterruptedEvent) -> Result<(), ObserverError> {
        self.recording
            .push(RecordedEvent::Interrupted(event.clone()));
        Ok(())
    }

    fn failed(&mut self, event: &FailedEvent) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Failed(event.clone()));
        Ok(())
    }

    fn join(&mut self, _deadline: Instant) -> Result<(), ObserverError> {
        self.recording.push(RecordedEvent::Joined);
        Ok(())
    }
}
