//! The pump thread: writes every event of the run to the journal, and tells each
//! observer's own thread ([`observer_thread`]) how far the journal goes, so that each reads
//! the run from there at its own pace; batches metrics and output into beats; ends the run.
//!
//! The experiment's thread only pushes into in-memory buffers and a channel. No observer
//! call happens on the pump either: a store that is slow or away delays only itself, and
//! the journal keeps everything in the meantime. Should the journal fail (a full disk),
//! the records it could not keep go to the observers from memory, and the run's end says
//! the journal is incomplete.

mod observer_thread;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use observer_thread::{Job, Source};

use crate::capture::Capture;
use crate::journal::{Journal, Record};
use crate::log::Logger;
use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricsEvent, Observer, Repository, RunId, StartedEvent,
};
use crate::run::{EndReport, ObserverFailure, RunEnd, RunMessage, Shared};
use crate::time::Timestamp;

/// How long an observer may make no progress at the end of a run before it is given up
/// (one that keeps storing the run is waited for).
pub(crate) const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long observers get at the end of an interrupted run: the journal has it all, and
/// the user asked to stop.
pub(crate) const INTERRUPT_JOIN_TIMEOUT: Duration = Duration::from_secs(1);

/// How much longer than the observers' deadline the end of the run waits for them.
const JOIN_MARGIN: Duration = Duration::from_secs(2);

/// The longest the end of the run waits for an observer's own join (it keeps its deadline
/// while it progresses).
const JOINING_AT_MOST: Duration = Duration::from_secs(600);

/// After this long, the end of the run says whom it waits for.
const SAY_WAITING_AFTER: Duration = Duration::from_secs(3);

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
    /// For the observers' threads to say when a store fails and when it is back.
    pub(crate) logger: Logger,
}

/// An observer as the pump knows it: its thread's queue, and what the journal records
/// of it.
struct ObserverHandle {
    name: String,
    sync_args: Option<Vec<String>>,
    jobs: Sender<Job>,
    /// Records its thread handed to it so far.
    progress: Arc<AtomicU64>,
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
        let mut handles = Vec::with_capacity(observers.len());
        for observer in observers {
            let name = observer.name();
            let sync_args = observer.sync_args();
            let (jobs, progress) = observer_thread::spawn(observer, start.logger.clone())?;
            handles.push(ObserverHandle {
                name,
                sync_args,
                jobs,
                progress,
            });
        }
        let logger = start.logger.clone();
        let to_pump = sender.clone();
        let handle = std::thread::Builder::new()
            .name("sacred-pump".into())
            .spawn(move || {
                let mut pump = PumpThread {
                    observers: handles,
                    to_pump,
                    shared,
                    capture,
                    output_offset: 0,
                    journal: None,
                    journal_failure: None,
                    unpublished: Vec::new(),
                    logger,
                    run_id: None,
                    announce: None,
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
            failures: vec![ObserverFailure {
                observer: None,
                reason: failure.to_owned(),
            }],
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
        // The pump waits for observers as long as they make progress, and says so.
        let Ok(report) = answer.recv() else {
            return unfinished("the observers' thread stopped unexpectedly");
        };
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        report
    }
}

struct PumpThread {
    observers: Vec<ObserverHandle>,
    /// The pump's own queue, for the id the observers decide.
    to_pump: Sender<RunMessage>,
    shared: Arc<Shared>,
    capture: Arc<Capture>,
    output_offset: u64,
    journal: Option<Journal>,
    /// The first write to the journal that failed; nothing more is written after it.
    journal_failure: Option<String>,
    /// Records appended since the observers were last told how far the journal goes; they
    /// go from memory if the journal fails before that.
    unpublished: Vec<Record>,
    /// To say why the end of the run waits.
    logger: Logger,
    /// The run's id, once the observers decided it.
    run_id: Option<RunId>,
    /// Writes the `Started run with ID` line, once.
    announce: Option<Announce>,
}

impl PumpThread {
    /// Appends a record about the observers to the journal, unless it failed before.
    fn note(&mut self, record: &Record) {
        self.note_all(std::slice::from_ref(record));
    }

    /// [`note`](Self::note) for several records, synced once.
    fn note_all(&mut self, records: &[Record]) {
        if self.journal_failure.is_some() {
            return;
        }
        if let Some(journal) = &mut self.journal
            && let Err(e) = records
                .iter()
                .try_for_each(|record| journal.append(record))
                .and_then(|()| journal.sync())
        {
            self.journal_failure = Some(journal_error(journal, &e));
        }
    }

    /// Appends an event of the run to the journal; the observers read it from there once
    /// it is [published](Self::publish). When the journal failed, it goes to them from
    /// memory.
    fn record(&mut self, record: Record) {
        if self.journal_failure.is_none()
            && let Some(journal) = &mut self.journal
        {
            match journal.append(&record) {
                Ok(()) => {
                    self.unpublished.push(record);
                    return;
                }
                Err(e) => self.fail_journal(&e),
            }
        }
        let record = Arc::new(record);
        self.to_observers(|| Job::Record(Arc::clone(&record)));
    }

    /// Makes what was appended readable (and on disk, when `durable`) and tells the
    /// observers how far the journal goes.
    fn publish(&mut self, durable: bool) {
        if self.journal_failure.is_some() {
            return;
        }
        let Some(journal) = &mut self.journal else {
            return;
        };
        let done = if durable {
            journal.sync()
        } else {
            journal.flush()
        };
        match done {
            Ok(()) => {
                self.unpublished.clear();
                let end = journal.end();
                self.to_observers(|| Job::Journal(end));
            }
            Err(e) => self.fail_journal(&e),
        }
    }

    /// The journal failed: nothing more is written to it, and what the observers have not
    /// read of it goes to them from memory.
    fn fail_journal(&mut self, e: &std::io::Error) {
        if let Some(journal) = &self.journal {
            self.journal_failure = Some(journal_error(journal, e));
        }
        for record in std::mem::take(&mut self.unpublished) {
            let record = Arc::new(record);
            self.to_observers(|| Job::Record(Arc::clone(&record)));
        }
    }

    /// The observers decided the run's id: journalled, announced, and given to the run.
    fn decided(&mut self, id: Option<RunId>) {
        self.note(&Record::id(id.clone()));
        self.to_observers(|| Job::Decided(id.clone()));
        self.run_id.clone_from(&id);
        if let Some(announce) = self.announce.take() {
            announce(id.as_ref());
        }
        self.shared.id.set(id);
    }

    /// Hands a job to every observer's thread (a thread that ended lost its queue: its
    /// failure is reported when the run ends).
    fn to_observers(&self, job: impl Fn() -> Job) {
        for observer in &self.observers {
            let _ = observer.jobs.send(job());
        }
    }

    fn start(&mut self, mut start: StartInfo) {
        self.journal = start.journal.take();
        if self.observers.is_empty() && self.journal.is_none() {
            // Nobody records the run (`-u`): no host or git to probe, nothing to wait for.
            self.announce = Some(start.announce);
            self.decided(start.id);
            return;
        }
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
        let event = StartedEvent {
            id: start.id,
            experiment: Arc::new(experiment),
            command: start.command,
            host: crate::host::host_info(&start.captured_env),
            start_time: start.start_time,
            config: self.shared.config.clone(),
            meta: start.meta,
        };
        // The observers read the rest of the run from the journal, after its start.
        let source = self.journal.as_mut().and_then(|journal| {
            // Readable at once; on disk with the first beat (a kill loses nothing: the
            // operating system has it).
            match journal
                .append(&Record::started(&event))
                .and_then(|()| journal.flush())
            {
                Ok(()) => Some(Source {
                    path: journal.path().to_path_buf(),
                    offset: journal.end(),
                }),
                Err(e) => {
                    self.journal_failure = Some(journal_error(journal, &e));
                    None
                }
            }
        });
        // Each observer starts once the ones before it (higher priority) decided the id;
        // the last one's answer is the run's id.
        let event = Arc::new(event);
        let (first, mut given) = mpsc::channel();
        let _ = first.send(event.id.clone());
        for observer in &self.observers {
            let (pass, next) = mpsc::channel();
            let _ = observer.jobs.send(Job::Started {
                event: Arc::clone(&event),
                given,
                pass,
                source: source.clone(),
            });
            given = next;
        }
        let to_pump = self.to_pump.clone();
        let announce = start.announce;
        self.announce = Some(announce);
        let spawned = std::thread::Builder::new()
            .name("sacred-run-id".into())
            .spawn(move || {
                let id = given.recv().unwrap_or(None);
                let _ = to_pump.send(RunMessage::Id(id));
            });
        if spawned.is_err() {
            // Without the helper the id is still the one given, if any.
            self.decided(event.id.clone());
        }
        if !diffs.is_empty() {
            self.artifact(ArtifactEvent {
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
                Ok(RunMessage::Artifact(event)) => self.artifact(event),
                Ok(RunMessage::Resource(event)) => {
                    self.record(Record::resource(&event));
                    self.publish(false);
                }
                Ok(RunMessage::Id(id)) => self.decided(id),
                Ok(RunMessage::Drain) => {
                    // A thread filled its ring before the beat: its points go to the
                    // journal now, so that it can go on.
                    let series = self.shared.metrics.drain();
                    if !series.is_empty() {
                        self.record(Record::metrics(&MetricsEvent::new(series)));
                        self.publish(false);
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

    fn artifact(&mut self, event: ArtifactEvent) {
        self.record(Record::artifact(&event));
        self.publish(false);
    }

    /// A beat: the new metric points and output go to the journal, which is synced, then
    /// to the observers.
    fn beat(&mut self, output: String, result: Option<serde_json::Value>) {
        self.beat_then(output, result, true);
    }

    /// A beat, synced to disk when `durable` (the last beat is synced with the run's end).
    fn beat_then(&mut self, output: String, result: Option<serde_json::Value>, durable: bool) {
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
            self.record(Record::metrics(metrics));
        }
        self.record(Record::heartbeat(&event));
        self.publish(durable);
    }

    /// The end: a final beat, the final event (journalled first), the observers' join; the
    /// journal is removed when every observer stored the whole run, else kept.
    fn finish(&mut self, end: RunEnd, output: String) -> EndReport {
        let result = match &end {
            RunEnd::Completed(result) => result.clone(),
            RunEnd::Failed(_) | RunEnd::Interrupted(_) => None,
        };
        // The last beat and the end are put on disk together.
        self.beat_then(output, result, false);
        let time = Timestamp::now();
        let interrupted = matches!(end, RunEnd::Interrupted(_));
        let (end, join_timeout) = match end {
            RunEnd::Completed(result) => (
                Record::completed(&CompletedEvent::new(time, result)),
                JOIN_TIMEOUT,
            ),
            RunEnd::Failed(trace) => (Record::failed(&FailedEvent::new(time, trace)), JOIN_TIMEOUT),
            RunEnd::Interrupted(status) => (
                Record::interrupted(&InterruptedEvent::new(time, status)),
                INTERRUPT_JOIN_TIMEOUT,
            ),
        };
        self.record(end);
        self.publish(true);
        let replies: Vec<_> = self
            .observers
            .iter()
            .map(|observer| {
                let (reply, answer) = mpsc::channel();
                let sent = observer.jobs.send(Job::Join {
                    timeout: join_timeout,
                    reply,
                });
                (sent.is_ok(), answer)
            })
            .collect();
        let mut failures = Vec::new();
        let mut records = Vec::new();
        for (observer, (sent, answer)) in self.observers.iter().zip(replies) {
            let failure = match wait_for(&self.logger, observer, &answer, join_timeout, interrupted)
            {
                Ok(joined) if sent => joined.failure,
                Ok(_) | Err(RecvTimeoutError::Disconnected) => {
                    Some("its thread stopped before the end of the run".to_owned())
                }
                Err(RecvTimeoutError::Timeout) if interrupted => Some(format!(
                    "the run was interrupted: it was not given more than {} s to store the rest",
                    join_timeout.as_secs()
                )),
                Err(RecvTimeoutError::Timeout) => Some(format!(
                    "it made no progress in storing the run for {} s",
                    join_timeout.as_secs()
                )),
            };
            records.push(match &failure {
                None => Record::stored(observer.name.clone(), self.run_id.clone()),
                Some(failure) => {
                    failures.push(ObserverFailure {
                        observer: Some(observer.name.clone()),
                        reason: failure.clone(),
                    });
                    Record::pending(
                        observer.name.clone(),
                        observer.sync_args.clone().unwrap_or_default(),
                    )
                }
            });
        }
        if !failures.is_empty() {
            // Which observers have the run and which lack it: what `sync` goes by. (When
            // every observer has it, the journal is removed: nothing to write.)
            self.note_all(&records);
        }
        let journal = match self.journal.take() {
            Some(journal) if failures.is_empty() => {
                // Every observer has the whole run; a journal that cannot be removed is
                // left behind, and said so, with what its observers have.
                match journal.discard() {
                    Ok(()) => None,
                    Err((journal, _)) => {
                        let path = journal.path().to_path_buf();
                        self.journal = Some(journal);
                        self.note_all(&records);
                        self.journal = None;
                        Some(path)
                    }
                }
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

/// Waits for `observer`'s reply to its join. An observer still storing the run (its
/// count of records handed over grows) is waited for as long as it makes progress;
/// one that makes none for `timeout` (or any, once the run was interrupted) is not.
fn wait_for(
    logger: &Logger,
    observer: &ObserverHandle,
    answer: &Receiver<observer_thread::Joined>,
    timeout: Duration,
    interrupted: bool,
) -> Result<observer_thread::Joined, RecvTimeoutError> {
    let started = Instant::now();
    let mut last = observer.progress.load(Ordering::Relaxed);
    let mut moved = Instant::now();
    let mut said = false;
    loop {
        match answer.recv_timeout(Duration::from_millis(250)) {
            Err(RecvTimeoutError::Timeout) => {}
            done => return done,
        }
        let now = observer.progress.load(Ordering::Relaxed);
        if now != last {
            last = now;
            moved = Instant::now();
        }
        let limit = if interrupted {
            started + timeout
        } else if now == observer_thread::JOINING {
            // The observer's own join keeps its deadline while it progresses; this only
            // guards against one that never returns.
            moved + JOINING_AT_MOST
        } else {
            moved + timeout + JOIN_MARGIN
        };
        if Instant::now() >= limit {
            return Err(RecvTimeoutError::Timeout);
        }
        if !said && started.elapsed() >= SAY_WAITING_AFTER {
            said = true;
            logger.info(&format!(
                "Waiting for the observer {} to store the rest of the run (the journal \
                 keeps it meanwhile)",
                observer.name
            ));
        }
    }
}

/// The message for a journal that could not be written.
fn journal_error(journal: &Journal, e: &std::io::Error) -> String {
    format!(
        "cannot write the journal `{}`: {e}",
        journal.path().display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Env;

    fn handle() -> (ObserverHandle, Arc<AtomicU64>) {
        let progress = Arc::new(AtomicU64::new(0));
        let (jobs, _) = mpsc::channel();
        let handle = ObserverHandle {
            name: "slow store".to_owned(),
            sync_args: None,
            jobs,
            progress: Arc::clone(&progress),
        };
        (handle, progress)
    }

    fn logger(env: &Env) -> Logger {
        Logger {
            env: env.clone(),
            name: "test".to_owned(),
            level: 0,
        }
    }

    #[test]
    fn an_observer_that_keeps_storing_is_waited_for_past_the_timeout() {
        let env = Env::captured(std::env::temp_dir());
        let (observer, progress) = handle();
        let (reply, answer) = mpsc::channel();
        // Six seconds of work, progressing all along: twice the timeout and its margin.
        let worker = std::thread::spawn(move || {
            for _ in 0..30 {
                std::thread::sleep(Duration::from_millis(200));
                progress.fetch_add(1, Ordering::Relaxed);
            }
            let _ = reply.send(observer_thread::Joined { failure: None });
        });
        let started = Instant::now();
        let joined = wait_for(
            &logger(&env),
            &observer,
            &answer,
            Duration::from_secs(1),
            false,
        );
        assert!(joined.is_ok(), "{joined:?}");
        assert!(started.elapsed() >= Duration::from_secs(5));
        assert!(
            env.stderr_text()
                .contains("Waiting for the observer slow store to store the rest of the run"),
            "{}",
            env.stderr_text()
        );
        let _ = worker.join();
    }

    #[test]
    fn an_observer_that_makes_no_progress_or_an_interrupted_run_is_not_waited_for() {
        let env = Env::captured(std::env::temp_dir());
        let (observer, _progress) = handle();
        let (_reply, answer) = mpsc::channel::<observer_thread::Joined>();
        let started = Instant::now();
        let joined = wait_for(
            &logger(&env),
            &observer,
            &answer,
            Duration::from_secs(1),
            false,
        );
        assert!(matches!(joined, Err(RecvTimeoutError::Timeout)));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
        // Interrupted: the timeout, however busy the observer.
        let (observer, progress) = handle();
        let busy = std::thread::spawn(move || {
            for _ in 0..60 {
                std::thread::sleep(Duration::from_millis(100));
                progress.fetch_add(1, Ordering::Relaxed);
            }
        });
        let started = Instant::now();
        let joined = wait_for(
            &logger(&env),
            &observer,
            &answer,
            Duration::from_secs(1),
            true,
        );
        assert!(matches!(joined, Err(RecvTimeoutError::Timeout)));
        // Well before the busy observer's six seconds of work.
        assert!(started.elapsed() < Duration::from_secs(3));
        let _ = busy.join();
    }
}
