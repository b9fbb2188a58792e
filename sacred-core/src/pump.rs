//! The pump thread: owns the observers, sends them the start of the run, batches metrics
//! and output into beats, forwards artifacts and resources, and ends the run.
//!
//! The experiment's thread only pushes into in-memory buffers and a channel; every
//! observer call happens here.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::capture::Capture;
use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricsEvent, Observer, ObserverError, RunId, StartedEvent,
};
use crate::run::{RunMessage, Shared};
use crate::time::Timestamp;

/// How long observers get to finish their work at the end of a run.
pub(crate) const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How a run ended.
#[derive(Debug, Clone)]
pub(crate) enum RunEnd {
    Completed(Option<serde_json::Value>),
    Failed(Vec<String>),
    Interrupted(String),
}

/// Writes the `Started run with ID` log line once the id is known.
pub(crate) type Announce = Box<dyn Fn(Option<&RunId>) + Send>;

/// What the pump needs to announce the start of the run.
pub(crate) struct StartInfo {
    pub(crate) id: Option<RunId>,
    pub(crate) experiment: ExperimentRecord,
    /// Whether the repositories still have to be looked up (not done before the start).
    pub(crate) find_repositories: bool,
    pub(crate) command: String,
    pub(crate) start_time: Timestamp,
    pub(crate) meta: serde_json::Value,
    pub(crate) captured_env: Vec<String>,
    /// Writes the `Started run with ID` log line.
    pub(crate) announce: Announce,
}

enum Message {
    Run(RunMessage),
    Finish {
        end: RunEnd,
        output: String,
        reply: Sender<Vec<String>>,
    },
}

struct Slot {
    observer: Box<dyn Observer>,
    failure: Option<String>,
}

impl Slot {
    /// Calls a non-final hook unless the observer failed before; records the first failure.
    fn call(&mut self, f: impl FnOnce(&mut dyn Observer) -> Result<(), ObserverError>) {
        if self.failure.is_some() {
            return;
        }
        if let Err(e) = f(self.observer.as_mut()) {
            self.failure = Some(e.message);
        }
    }

    /// Calls a final hook whatever happened before; records its failure too.
    fn call_final(&mut self, f: impl FnOnce(&mut dyn Observer) -> Result<(), ObserverError>) {
        if let Err(e) = f(self.observer.as_mut()) {
            let message = match self.failure.take() {
                Some(first) => format!("{first}; then: {}", e.message),
                None => e.message,
            };
            self.failure = Some(message);
        }
    }
}

/// The running pump thread.
pub(crate) struct Pump {
    sender: Sender<Message>,
    handle: Option<JoinHandle<()>>,
}

impl Pump {
    /// Starts the pump: it announces the start to the observers (allocating the run's id),
    /// then beats every `beat_interval` (never, when `None`) until [`Pump::finish`].
    pub(crate) fn spawn(
        mut observers: Vec<Box<dyn Observer>>,
        start: StartInfo,
        shared: Arc<Shared>,
        capture: Arc<Capture>,
        beat_interval: Option<Duration>,
    ) -> std::io::Result<Self> {
        observers.sort_by_key(|o| std::cmp::Reverse(o.priority()));
        let (sender, receiver) = mpsc::channel::<Message>();
        let (run_sender, run_receiver) = mpsc::channel::<RunMessage>();
        shared.connect(run_sender);
        // Messages of the run handle are forwarded into the pump's one queue, so artifacts,
        // resources and the end of the run are handled in the order they happened.
        let forward = sender.clone();
        std::thread::Builder::new()
            .name("sacred-forward".into())
            .spawn(move || {
                for message in run_receiver {
                    if forward.send(Message::Run(message)).is_err() {
                        break;
                    }
                }
            })?;
        let slots = observers
            .into_iter()
            .map(|observer| Slot {
                observer,
                failure: None,
            })
            .collect();
        let handle = std::thread::Builder::new()
            .name("sacred-pump".into())
            .spawn(move || {
                let mut pump = PumpThread {
                    slots,
                    shared,
                    capture,
                    output_offset: 0,
                };
                pump.start(start);
                pump.serve(&receiver, beat_interval);
            })?;
        Ok(Self {
            sender,
            handle: Some(handle),
        })
    }

    /// Ends the run: a final beat with `output` (what the capture still held), the final
    /// event, and the observers' join. Returns the observers' failures, one line each.
    pub(crate) fn finish(mut self, end: RunEnd, output: String) -> Vec<String> {
        let (reply, answer) = mpsc::channel();
        if self
            .sender
            .send(Message::Finish { end, output, reply })
            .is_err()
        {
            return vec!["the observers' thread stopped unexpectedly".to_owned()];
        }
        let failures = answer
            .recv_timeout(JOIN_TIMEOUT + Duration::from_secs(5))
            .unwrap_or_else(|_| {
                vec!["the observers did not finish in time; the record may be incomplete".into()]
            });
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        failures
    }
}

struct PumpThread {
    slots: Vec<Slot>,
    shared: Arc<Shared>,
    capture: Arc<Capture>,
    output_offset: u64,
}

impl PumpThread {
    fn start(&mut self, start: StartInfo) {
        let mut experiment = start.experiment;
        if start.find_repositories {
            experiment.repositories =
                crate::record::repositories(std::path::Path::new(&experiment.base_dir));
        }
        let diffs: Vec<String> = experiment
            .repositories
            .iter()
            .filter(|r| r.dirty && !r.diff.is_empty())
            .map(|r| r.diff.clone())
            .collect();
        let mut event = StartedEvent {
            id: start.id,
            experiment: Arc::new(experiment),
            command: start.command,
            host: crate::host::host_info(&start.captured_env),
            start_time: start.start_time,
            config: self.shared.config.clone(),
            meta: start.meta,
        };
        for slot in &mut self.slots {
            let mut allocated = None;
            slot.call(|o| {
                allocated = o.started(&event)?;
                Ok(())
            });
            if event.id.is_none() {
                event.id = allocated;
            }
        }
        (start.announce)(event.id.as_ref());
        self.shared.id.set(event.id.clone());
        if !diffs.is_empty() {
            self.artifact(&ArtifactEvent {
                name: "uncommitted.diff".to_owned(),
                source: ArtifactSource::Bytes(Arc::from(diffs.join("\n").into_bytes())),
                content_type: Some("text/x-diff".to_owned()),
                metadata: None,
            });
        }
    }

    fn serve(&mut self, receiver: &Receiver<Message>, beat_interval: Option<Duration>) {
        let mut next_beat = beat_interval.map(|b| Instant::now() + b);
        loop {
            let message = match next_beat {
                Some(at) => receiver.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(Message::Run(RunMessage::Artifact(event))) => self.artifact(&event),
                Ok(Message::Run(RunMessage::Resource(event))) => {
                    for slot in &mut self.slots {
                        slot.call(|o| o.resource(&event));
                    }
                }
                Ok(Message::Finish { end, output, reply }) => {
                    let failures = self.finish(end, output);
                    let _ = reply.send(failures);
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    let output = self.capture.take();
                    self.beat(output, None);
                    next_beat = beat_interval.map(|b| Instant::now() + b);
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn artifact(&mut self, event: &ArtifactEvent) {
        for slot in &mut self.slots {
            slot.call(|o| o.artifact(event));
        }
    }

    fn beat(&mut self, output: String, result: Option<serde_json::Value>) {
        let series = self.shared.metrics.drain();
        if !series.is_empty() {
            let event = MetricsEvent { series };
            for slot in &mut self.slots {
                slot.call(|o| o.metrics(&event));
            }
        }
        let event = HeartbeatEvent {
            beat_time: Timestamp::now(),
            info: self.shared.info_snapshot(),
            output_offset: self.output_offset,
            output,
            result,
        };
        self.output_offset += event.output.len() as u64;
        for slot in &mut self.slots {
            slot.call(|o| o.heartbeat(&event));
        }
    }

    fn finish(&mut self, end: RunEnd, output: String) -> Vec<String> {
        let result = match &end {
            RunEnd::Completed(result) => result.clone(),
            RunEnd::Failed(_) | RunEnd::Interrupted(_) => None,
        };
        self.beat(output, result);
        let time = Timestamp::now();
        for slot in &mut self.slots {
            match &end {
                RunEnd::Completed(result) => slot.call_final(|o| {
                    o.completed(&CompletedEvent {
                        stop_time: time,
                        result: result.clone(),
                    })
                }),
                RunEnd::Failed(trace) => slot.call_final(|o| {
                    o.failed(&FailedEvent {
                        fail_time: time,
                        fail_trace: trace.clone(),
                    })
                }),
                RunEnd::Interrupted(status) => slot.call_final(|o| {
                    o.interrupted(&InterruptedEvent {
                        interrupt_time: time,
                        status: status.clone(),
                    })
                }),
            }
        }
        let deadline = Instant::now() + JOIN_TIMEOUT;
        for slot in &mut self.slots {
            slot.call_final(|o| o.join(deadline));
        }
        self.slots
            .iter()
            .filter_map(|s| {
                s.failure
                    .as_ref()
                    .map(|f| format!("{} failed: {f}", s.observer.name()))
            })
            .collect()
    }
}
