//! One observer's own thread: it takes the run's events in order from its queue and calls
//! the observer, so that a slow or unreachable store delays only itself, never the
//! journal, the beats or the other observers.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use crate::observer::{
    ArtifactEvent, CompletedEvent, FailedEvent, HeartbeatEvent, InterruptedEvent, MetricsEvent,
    Observer, ObserverError, ResourceEvent, RunId, StartedEvent,
};

/// The end of a run, as the observers get it.
#[derive(Debug)]
pub(crate) enum End {
    Completed(CompletedEvent),
    Failed(FailedEvent),
    Interrupted(InterruptedEvent),
}

/// What an observer's thread is asked to do.
pub(crate) enum Job {
    /// The start: waits for the id the observers before it decided (`given`), calls
    /// `started`, and passes the id on (`pass`): the first observer's id is everyone's.
    Started {
        event: Arc<StartedEvent>,
        given: Receiver<Option<RunId>>,
        pass: Sender<Option<RunId>>,
    },
    Metrics(Arc<MetricsEvent>),
    Heartbeat(Arc<HeartbeatEvent>),
    Artifact(Arc<ArtifactEvent>),
    Resource(Arc<ResourceEvent>),
    End(Arc<End>),
    /// Waits for the observer's writes until `deadline`, replies, and ends the thread.
    Join {
        deadline: Instant,
        reply: Sender<Joined>,
    },
}

/// How an observer's part of the run ended.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Its first failure; `None` when it stored everything.
    pub(crate) failure: Option<String>,
    /// Whether its start succeeded (so a failure came later, mid-run).
    pub(crate) started: bool,
}

/// An observer and its first failure.
struct Slot {
    observer: Box<dyn Observer>,
    failure: Option<String>,
    started: bool,
}

impl Slot {
    /// Calls a non-final hook unless the observer failed before; records the first failure.
    /// A panic in the observer is a failure of that observer, not of the run.
    fn call(&mut self, f: impl FnOnce(&mut dyn Observer) -> Result<(), ObserverError>) {
        if self.failure.is_some() {
            return;
        }
        if let Err(message) = guarded(self.observer.as_mut(), f) {
            self.failure = Some(message);
        }
    }

    /// Calls a final hook whatever happened before; records its failure too.
    fn call_final(&mut self, f: impl FnOnce(&mut dyn Observer) -> Result<(), ObserverError>) {
        if let Err(message) = guarded(self.observer.as_mut(), f) {
            let message = match self.failure.take() {
                Some(first) => format!("{first}; then: {message}"),
                None => message,
            };
            self.failure = Some(message);
        }
    }
}

/// Calls `f`, turning an error or a panic into a message.
fn guarded(
    observer: &mut dyn Observer,
    f: impl FnOnce(&mut dyn Observer) -> Result<(), ObserverError>,
) -> Result<(), String> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| f(observer))) {
        Ok(result) => result.map_err(|e| e.message),
        Err(payload) => Err(format!(
            "it panicked: {}",
            crate::panic::payload_text(payload.as_ref())
                .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
        )),
    }
}

/// Starts `observer`'s thread; its queue is the returned sender.
///
/// # Errors
/// The thread cannot be started.
pub(crate) fn spawn(observer: Box<dyn Observer>) -> std::io::Result<Sender<Job>> {
    let (sender, jobs) = mpsc::channel();
    let slot = Slot {
        observer,
        failure: None,
        started: false,
    };
    std::thread::Builder::new()
        .name("sacred-observer".into())
        .spawn(move || serve(slot, &jobs))?;
    Ok(sender)
}

fn serve(mut slot: Slot, jobs: &Receiver<Job>) {
    for job in jobs {
        match job {
            Job::Started { event, given, pass } => {
                // The observers before this one may have given the run its id.
                let id = given.recv().unwrap_or(None);
                let event = if id == event.id {
                    event
                } else {
                    let mut event = (*event).clone();
                    event.id.clone_from(&id);
                    Arc::new(event)
                };
                let mut allocated = None;
                slot.call(|o| {
                    allocated = o.started(&event)?;
                    Ok(())
                });
                slot.started = slot.failure.is_none();
                let _ = pass.send(id.or(allocated));
            }
            Job::Metrics(event) => slot.call(|o| o.metrics(&event)),
            Job::Heartbeat(event) => slot.call(|o| o.heartbeat(&event)),
            Job::Artifact(event) => slot.call(|o| o.artifact(&event)),
            Job::Resource(event) => slot.call(|o| o.resource(&event)),
            Job::End(end) => slot.call_final(|o| match &*end {
                End::Completed(event) => o.completed(event),
                End::Failed(event) => o.failed(event),
                End::Interrupted(event) => o.interrupted(event),
            }),
            Job::Join { deadline, reply } => {
                slot.call_final(|o| o.join(deadline));
                let _ = reply.send(Joined {
                    failure: slot.failure.take(),
                    started: slot.started,
                });
                return;
            }
        }
    }
}
