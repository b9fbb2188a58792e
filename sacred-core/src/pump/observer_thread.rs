//! One observer's own thread: it reads the run's events from the journal at its own pace,
//! with its own position, so that a slow or unreachable store delays only itself, never
//! the journal, the beats or the other observers, and nothing of the run waits in memory
//! for it.
//!
//! An observer that fails is retried in the background with growing pauses
//! ([`FIRST_PAUSE`] to [`LONGEST_PAUSE`]): each try removes the part of the run it kept
//! ([`Observer::replace_run`]), starts the run again under the same id, and replays what
//! the journal holds so far; then it reads on from there. Nothing is stored twice, and a
//! store that comes back before the run ends has the whole run, without `sync`.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::journal::replay::{Sent, apply};
use crate::journal::{Reader, Record};
use crate::log::{Logger, WARNING};
use crate::observer::{Observer, ObserverError, RunId, StartedEvent};

/// The pause before the first new try of a failed observer.
pub(crate) const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// The longest pause between tries.
pub(crate) const LONGEST_PAUSE: Duration = Duration::from_secs(8);
/// At the end of the run, a failed observer that once had the run (a store lost mid-run)
/// gets one more try when this much time is left before the deadline (an interrupted run
/// does not wait for it). One that never had it (a server down since the start) is not
/// waited for again: the run ends at once, and `sync` sends it later.
const LAST_TRY_NEEDS: Duration = Duration::from_secs(2);

/// The progress of an observer's thread once it has handed over every record and waits for
/// the observer's own background work ([`Observer::join`]).
pub(crate) const JOINING: u64 = u64::MAX;

/// Where an observer reads the run's records: the journal, from just after the start.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    pub(crate) offset: u64,
}

/// What an observer's thread is asked to do.
pub(crate) enum Job {
    /// The start: waits for the id the observers before it decided (`given`), calls
    /// `started`, and passes the id on (`pass`): the first observer's id is everyone's.
    /// The run's other records are read from `source`; `None` when the journal could not
    /// keep them (they come as [`Job::Record`]).
    Started {
        event: Arc<StartedEvent>,
        given: Receiver<Option<RunId>>,
        pass: Sender<Option<RunId>>,
        source: Option<Source>,
    },
    /// The id the observers decided for the run.
    Decided(Option<RunId>),
    /// The journal holds the run's records up to this byte offset.
    Journal(u64),
    /// A record the journal could not keep, handed over from memory.
    Record(Arc<Record>),
    /// Hands the observer the rest of the journal, then waits for its own writes for at
    /// most `timeout`, replies, and ends the thread.
    Join {
        timeout: Duration,
        reply: Sender<Joined>,
    },
}

/// How an observer's part of the run ended.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Why it does not have the whole run; `None` when it stored everything.
    pub(crate) failure: Option<String>,
}

/// An observer that failed, and when it is tried again.
#[derive(Debug)]
struct Down {
    /// Its first failure since it last had the run.
    reason: String,
    /// `false` when the journal cannot give it what it lacks (the journal failed, or the
    /// observer panicked): no more tries.
    retry: bool,
    next_try: Instant,
    pause: Duration,
}

/// An observer, its position in the journal, and its health.
struct Slot {
    observer: Box<dyn Observer>,
    /// Records handed to the observer so far: the pump watches it at the end of the run.
    progress: Arc<AtomicU64>,
    name: String,
    logger: Logger,
    /// The start as given to the observer; `None` until the start arrived.
    start: Option<Arc<StartedEvent>>,
    /// The id the observer stored the run under (given, allocated, or decided).
    id: Option<RunId>,
    source: Option<Source>,
    reader: Option<Reader>,
    /// What the journal holds, as last told.
    end: u64,
    /// Whether a record came from memory (the journal failed): replays are incomplete.
    inline: bool,
    /// Whether the observer ever took the run's start.
    had_run: bool,
    down: Option<Down>,
}

/// Why a call to the observer failed.
struct Failure {
    message: String,
    /// Trying again cannot help (the observer panicked, the journal cannot be read).
    lasting: bool,
}

/// Calls `f`, turning an error or a panic into a [`Failure`].
fn guarded<T>(
    observer: &mut dyn Observer,
    f: impl FnOnce(&mut dyn Observer) -> Result<T, ObserverError>,
) -> Result<T, Failure> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| f(observer))) {
        Ok(result) => result.map_err(|e| Failure {
            message: e.message,
            lasting: false,
        }),
        Err(payload) => Err(Failure {
            message: format!(
                "it panicked: {}",
                crate::panic::payload_text(payload.as_ref())
                    .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
            ),
            lasting: true,
        }),
    }
}

/// Starts `observer`'s thread; its queue is the returned sender, with the count of records
/// it handed to the observer so far.
///
/// # Errors
/// The thread cannot be started.
pub(crate) fn spawn(
    observer: Box<dyn Observer>,
    logger: Logger,
) -> std::io::Result<(Sender<Job>, Arc<AtomicU64>)> {
    let (sender, jobs) = mpsc::channel();
    let progress = Arc::new(AtomicU64::new(0));
    let slot = Slot {
        progress: Arc::clone(&progress),
        name: observer.name(),
        observer,
        logger,
        start: None,
        id: None,
        source: None,
        reader: None,
        end: 0,
        inline: false,
        had_run: false,
        down: None,
    };
    std::thread::Builder::new()
        .name("sacred-observer".into())
        .spawn(move || slot.serve(&jobs))?;
    Ok((sender, progress))
}

impl Slot {
    fn serve(mut self, jobs: &Receiver<Job>) {
        loop {
            let job = match self.down.as_ref().filter(|d| d.retry) {
                Some(down) => match jobs
                    .recv_timeout(down.next_try.saturating_duration_since(Instant::now()))
                {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        self.recover();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
            };
            match job {
                Job::Started {
                    event,
                    given,
                    pass,
                    source,
                } => self.started(event, &given, &pass, source),
                Job::Decided(id) => {
                    if self.id.is_none() {
                        self.id = id;
                    }
                }
                Job::Journal(end) => {
                    self.end = self.end.max(end);
                    if self.down.is_none()
                        && let Err(f) = self.catch_up()
                    {
                        self.fail(f);
                    }
                }
                Job::Record(record) => {
                    self.inline = true;
                    if self.down.is_none() {
                        let sent = &mut Sent::default();
                        if let Err(f) = guarded(self.observer.as_mut(), |o| apply(&record, o, sent))
                        {
                            self.fail(f);
                        }
                    }
                    if let Some(down) = &mut self.down {
                        // The journal lacks this record: a replay could not restore it.
                        down.retry = false;
                    }
                }
                Job::Join { timeout, reply } => {
                    let failure = self.join(timeout);
                    let _ = reply.send(Joined { failure });
                    return;
                }
            }
        }
    }

    fn started(
        &mut self,
        event: Arc<StartedEvent>,
        given: &Receiver<Option<RunId>>,
        pass: &Sender<Option<RunId>>,
        source: Option<Source>,
    ) {
        // The observers before this one may have given the run its id.
        let id = given.recv().unwrap_or(None);
        let event = if id == event.id {
            event
        } else {
            let mut event = (*event).clone();
            event.id.clone_from(&id);
            Arc::new(event)
        };
        self.id.clone_from(&id);
        self.start = Some(Arc::clone(&event));
        self.source = source;
        if let Some(source) = &self.source {
            self.end = self.end.max(source.offset);
        }
        let allocated = match guarded(self.observer.as_mut(), |o| o.started(&event)) {
            Ok(allocated) => allocated,
            Err(f) => {
                let _ = pass.send(id);
                self.fail(f);
                return;
            }
        };
        if self.id.is_none() {
            self.id.clone_from(&allocated);
        }
        self.had_run = true;
        let _ = pass.send(id.or(allocated));
        match &self.source {
            Some(source) => match Reader::open(&source.path, source.offset) {
                Ok(reader) => self.reader = Some(reader),
                Err(e) => self.fail(Failure {
                    message: format!("cannot read the journal `{}`: {e}", source.path.display()),
                    lasting: true,
                }),
            },
            None => self.inline = true,
        }
    }

    /// Hands the observer what the journal holds beyond its position.
    fn catch_up(&mut self) -> Result<(), Failure> {
        let Some(reader) = &mut self.reader else {
            return Ok(());
        };
        let sent = &mut Sent::default();
        loop {
            let record = match reader.next_before(self.end) {
                Ok(Some(record)) => record,
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(Failure {
                        message: e.to_string(),
                        lasting: true,
                    });
                }
            };
            guarded(self.observer.as_mut(), |o| apply(&record, o, sent))?;
            self.progress.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The observer failed: it is tried again later, unless nothing can restore it.
    fn fail(&mut self, failure: Failure) {
        self.reader = None;
        let retry = !failure.lasting && !self.inline && self.source.is_some();
        match &mut self.down {
            Some(down) => {
                down.retry &= retry;
                down.pause = (down.pause * 2).min(LONGEST_PAUSE);
                down.next_try = Instant::now() + down.pause;
            }
            None => {
                let then = if retry {
                    "; it is tried again in the background, and the journal keeps the run \
                     meanwhile"
                } else {
                    ""
                };
                self.logger.log(
                    WARNING,
                    &format!(
                        "The observer {} failed: {}{then}",
                        self.name, failure.message
                    ),
                );
                self.down = Some(Down {
                    reason: failure.message,
                    retry,
                    next_try: Instant::now() + FIRST_PAUSE,
                    pause: FIRST_PAUSE,
                });
            }
        }
    }

    /// One more try: the part of the run the observer kept is replaced by the whole run so
    /// far, from the journal.
    fn recover(&mut self) {
        let (Some(start), Some(source)) = (self.start.clone(), self.source.clone()) else {
            return;
        };
        let event = if start.id == self.id {
            start
        } else {
            let mut event = (*start).clone();
            event.id.clone_from(&self.id);
            Arc::new(event)
        };
        let restarted = guarded(self.observer.as_mut(), |o| {
            o.replace_run(&event)?;
            o.started(&event)
        });
        match restarted {
            Ok(allocated) => {
                if self.id.is_none() {
                    self.id = allocated;
                }
                self.had_run = true;
            }
            Err(f) => {
                self.fail(f);
                return;
            }
        }
        match Reader::open(&source.path, source.offset) {
            Ok(reader) => self.reader = Some(reader),
            Err(e) => {
                return self.fail(Failure {
                    message: format!("cannot read the journal `{}`: {e}", source.path.display()),
                    lasting: true,
                });
            }
        }
        if let Err(f) = self.catch_up() {
            return self.fail(f);
        }
        self.down = None;
        let id = self
            .id
            .as_ref()
            .map(|id| format!("run {id}"))
            .unwrap_or_else(|| "the run".to_owned());
        self.logger.info(&format!(
            "The observer {} is back: it has {id} again, whole up to now, from the journal",
            self.name
        ));
    }

    /// The end of the run: the rest of the journal, one last try for a failed observer
    /// when there is time, and the observer's own background work.
    fn join(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        for _ in 0..2 {
            if self.down.is_none()
                && let Err(f) = self.catch_up()
            {
                self.fail(f);
            }
            if self.down.as_ref().is_some_and(|d| d.retry)
                && self.had_run
                && deadline.saturating_duration_since(Instant::now()) > LAST_TRY_NEEDS
            {
                self.recover();
            }
            if self.down.is_some() {
                break;
            }
            // The catch-up took what it took (the pump watches its progress); the
            // observer's own background work gets the timeout from now, and keeps it as
            // long as it progresses (the pump leaves that to the observer).
            let deadline = Instant::now() + timeout;
            self.progress.store(JOINING, Ordering::Relaxed);
            match guarded(self.observer.as_mut(), |o| o.join(deadline)) {
                Ok(()) => return None,
                Err(f) => self.fail(f),
            }
        }
        self.down.take().map(|d| d.reason)
    }
}
