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
use crate::journal::{Journal, Record};
use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricsEvent, Observer, ObserverError, Repository, RunId, StartedEvent,
};
use crate::run::{EndReport, RunEnd, RunMessage, Shared};
use crate::time::Timestamp;

/// How long observers get to finish their work at the end of a run.
pub(crate) const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes the `Started run with ID` log line once the id is known.
pub(crate) type Announce = Box<dyn Fn(Option<&RunId>) + Send>;

/// What the pump needs to announce the start of the run.
pub(crate) struct StartInfo {
    pub(crate) id: Option<RunId>,
    pub(crate) experiment: ExperimentRecord,
    /// The repositories when `-e/--enforce_clean` looked them up before the start; `None`:
    /// the pump looks them up, off the experiment's thread.
    pub(crate) repositories: Option<Vec<Repository>>,
    pub(crate) command: String,
    pub(crate) start_time: Timestamp,
    pub(crate) meta: serde_json::Value,
    pub(crate) captured_env: Vec<String>,
    /// Writes the `Started run with ID` log line.
    pub(crate) announce: Announce,
    /// Where every event goes before any observer sees it; `None` for a run without
    /// observers.
    pub(crate) journal: Option<Journal>,
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
    sender: Sender<RunMessage>,
    handle: Option<JoinHandle<()>>,
    journal: Option<std::path::PathBuf>,
}

impl Pump {
    /// Starts the pump: it announces the start to the `observers` (highest priority first;
    /// they allocate the run's id),
    /// then beats every `beat_interval` (never, when `None`) until [`Pump::finish`].
    pub(crate) fn spawn(
        observers: Vec<Box<dyn Observer>>,
        start: StartInfo,
        shared: Arc<Shared>,
        capture: Arc<Capture>,
        beat_interval: Option<Duration>,
    ) -> std::io::Result<Self> {
        // The run handle and the lifecycle share one queue, so artifacts, resources and the
        // end of the run are handled in the order they happened.
        let (sender, receiver) = mpsc::channel::<RunMessage>();
        shared.connect(sender.clone());
        let journal = start.journal.as_ref().map(|j| j.path().to_path_buf());
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
                    journal: None,
                    journal_failure: None,
                    run_id: None,
                };
                pump.start(start);
                pump.serve(&receiver, beat_interval);
            })?;
        Ok(Self {
            sender,
            handle: Some(handle),
            journal,
        })
    }

    /// Ends the run: a final beat with `output` (what the capture still held), the final
    /// event, and the observers' join. Reports the observers' failures and the journal
    /// kept for them.
    pub(crate) fn finish(mut self, end: RunEnd, output: String) -> EndReport {
        let (reply, answer) = mpsc::channel();
        let unfinished = |failure: &str| EndReport {
            failures: vec![failure.to_owned()],
            journal: self.journal.clone(),
            journal_failure: None,
        };
        if self
            .sender
            .send(RunMessage::End { end, output, reply })
            .is_err()
        {
            return unfinished("the observers' thread stopped unexpectedly");
        }
        let Ok(report) = answer.recv_timeout(JOIN_TIMEOUT + Duration::from_secs(5)) else {
            return unfinished("the observers did not finish in time");
        };
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        report
    }
}

struct PumpThread {
    slots: Vec<Slot>,
    shared: Arc<Shared>,
    capture: Arc<Capture>,
    output_offset: u64,
    journal: Option<Journal>,
    /// The first write to the journal that failed; nothing more is written after it.
    journal_failure: Option<String>,
    /// The run's id, once the observers decided it.
    run_id: Option<RunId>,
}

impl PumpThread {
    /// Appends to the journal, unless it failed before.
    fn journal(&mut self, record: impl FnOnce() -> Record) {
        if self.journal_failure.is_some() {
            return;
        }
        if let Some(journal) = &mut self.journal
            && let Err(e) = journal.append(&record())
        {
            self.journal_failure = Some(format!(
                "cannot write the journal `{}`: {e}",
                journal.path().display()
            ));
        }
    }

    /// Puts what the journal holds on disk, unless it failed before.
    fn sync_journal(&mut self) {
        if self.journal_failure.is_some() {
            return;
        }
        if let Some(journal) = &mut self.journal
            && let Err(e) = journal.sync()
        {
            self.journal_failure = Some(format!(
                "cannot write the journal `{}`: {e}",
                journal.path().display()
            ));
        }
    }

    fn start(&mut self, mut start: StartInfo) {
        self.journal = start.journal.take();
        let mut experiment = start.experiment;
        experiment.repositories = start.repositories.unwrap_or_else(|| {
            crate::record::repositories(std::path::Path::new(&experiment.base_dir))
        });
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
        self.journal(|| Record::started(&event));
        self.sync_journal();
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
        self.journal(|| Record::id(event.id.clone()));
        self.run_id = event.id.clone();
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

    fn serve(&mut self, receiver: &Receiver<RunMessage>, beat_interval: Option<Duration>) {
        let mut next_beat = beat_interval.map(|b| Instant::now() + b);
        loop {
            let message = match next_beat {
                Some(at) => receiver.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(RunMessage::Artifact(event)) => self.artifact(&event),
                Ok(RunMessage::Resource(event)) => {
                    self.journal(|| Record::resource(&event));
                    for slot in &mut self.slots {
                        slot.call(|o| o.resource(&event));
                    }
                }
                Ok(RunMessage::End { end, output, reply }) => {
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
        self.journal(|| Record::artifact(event));
        for slot in &mut self.slots {
            slot.call(|o| o.artifact(event));
        }
    }

    /// A beat: the new metric points and output go to the journal, which is synced, then
    /// to the observers.
    fn beat(&mut self, output: String, result: Option<serde_json::Value>) {
        let series = self.shared.metrics.drain();
        let metrics = (!series.is_empty()).then(|| MetricsEvent::new(series));
        let event = HeartbeatEvent::new(
            Timestamp::now(),
            self.shared.info_snapshot(),
            output,
            self.output_offset,
            result,
        );
        self.output_offset += event.output.len() as u64;
        if let Some(metrics) = &metrics {
            self.journal(|| Record::metrics(metrics));
        }
        self.journal(|| Record::heartbeat(&event));
        self.sync_journal();
        if let Some(metrics) = &metrics {
            for slot in &mut self.slots {
                slot.call(|o| o.metrics(metrics));
            }
        }
        for slot in &mut self.slots {
            slot.call(|o| o.heartbeat(&event));
        }
    }

    /// The end: a final beat, the final event (journalled first), the observers' join; the
    /// journal is removed when every observer stored the whole run, else kept.
    fn finish(&mut self, end: RunEnd, output: String) -> EndReport {
        let result = match &end {
            RunEnd::Completed(result) => result.clone(),
            RunEnd::Failed(_) | RunEnd::Interrupted(_) => None,
        };
        self.beat(output, result);
        let time = Timestamp::now();
        let completed;
        let failed;
        let interrupted;
        let call: &dyn Fn(&mut dyn Observer) -> Result<(), ObserverError> = match end {
            RunEnd::Completed(result) => {
                completed = CompletedEvent::new(time, result);
                self.journal(|| Record::completed(&completed));
                &|o| o.completed(&completed)
            }
            RunEnd::Failed(trace) => {
                failed = FailedEvent::new(time, trace);
                self.journal(|| Record::failed(&failed));
                &|o| o.failed(&failed)
            }
            RunEnd::Interrupted(status) => {
                interrupted = InterruptedEvent::new(time, status);
                self.journal(|| Record::interrupted(&interrupted));
                &|o| o.interrupted(&interrupted)
            }
        };
        self.sync_journal();
        for slot in &mut self.slots {
            slot.call_final(call);
        }
        let deadline = Instant::now() + JOIN_TIMEOUT;
        for slot in &mut self.slots {
            slot.call_final(|o| o.join(deadline));
        }
        let mut failures = Vec::new();
        for index in 0..self.slots.len() {
            let slot = &self.slots[index];
            let name = slot.observer.name();
            let record = match &slot.failure {
                None => Record::stored(name, self.run_id.clone()),
                Some(failure) => {
                    failures.push(format!("{name} failed: {failure}"));
                    Record::pending(name, slot.observer.sync_args().unwrap_or_default())
                }
            };
            self.journal(|| record);
        }
        self.sync_journal();
        let journal = match self.journal.take() {
            Some(journal) if failures.is_empty() => {
                let path = journal.path().to_path_buf();
                // Every observer has the whole run; a journal that cannot be removed is
                // left behind, and said so.
                journal.discard().err().map(|_| path)
            }
            Some(journal) => Some(journal.path().to_path_buf()),
            None => None,
        };
        EndReport {
            failures,
            journal,
            journal_failure: self.journal_failure.take(),
        }
    }
}
