//! Observers: where a run's record goes. One trait, typed events, no-op defaults.
//!
//! The runtime calls observers from its pump thread, never from the experiment's thread
//! (except [`Observer::check_id`], before the run starts). Observers are sorted by
//! descending [`Observer::priority`]; the first one's id becomes the run's id for all.
//! Each observer reads the run's events from the run's journal on its own thread, at its
//! own pace. An observer that fails never fails the run: it is tried again in the
//! background with growing pauses, each try calling [`Observer::replace_run`] and then
//! replaying the run so far from the journal, so a store that comes back has the whole run
//! once, without `sync`. One that still lacks part of the run at the end is reported, and
//! the run exits with [`EXIT_INCOMPLETE`](crate::EXIT_INCOMPLETE).

mod event;
pub mod file;
#[cfg(feature = "test-util")]
mod recording;
mod store;

pub use event::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricSeries, MetricsEvent, QueuedEvent, Repository, ResourceEvent, RunId,
    SourceFile, StartedEvent,
};

#[cfg(feature = "test-util")]
pub use recording::{RecordedEvent, Recording, RecordingObserver};
pub use store::{
    DeadAction, DeadRun, RunStore, StoredRun, WorkerTag, silence_limit, silent_too_long,
};

use std::time::Instant;

/// Why an observer could not handle an event.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ObserverError {
    /// What went wrong, in words; never a credential.
    pub message: String,
}

impl ObserverError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for ObserverError {
    fn from(e: std::io::Error) -> Self {
        Self::new(e.to_string())
    }
}

/// Builds the observers whose code lives outside this crate: the MongoDB observer of
/// `sacred-mongo`, which the `sacred` facade registers when its `mongo` feature is on.
pub trait ObserverFactory: Send + Sync {
    /// The MongoDB observer for a `-m/--mongo_db` argument or a configured URL
    /// (`SACRED_MONGO_URL`, `sacred.toml`'s `mongo_url`).
    ///
    /// # Errors
    /// The argument is malformed; the message names it (with any password masked) and says
    /// what was expected.
    fn mongo(&self, spec: &str) -> Result<Box<dyn Observer>, ObserverError>;

    /// The store of queued runs at a `-m/--mongo_db` argument, for `worker`, `dead` and
    /// `rerun`. The default has none.
    ///
    /// # Errors
    /// The argument is malformed, or the store cannot be reached.
    fn store(&self, spec: &str) -> Result<Box<dyn RunStore>, ObserverError> {
        let _ = spec;
        Err(ObserverError::new(
            "this binary cannot reach a store of queued runs",
        ))
    }

    /// A reader of the runs stored in MongoDB at a `-m/--mongo_db` argument or configured
    /// URL, for the `runs` commands. The default says that this factory cannot read runs.
    ///
    /// # Errors
    /// The argument is malformed or the server cannot be reached; the message names it
    /// (with any password masked).
    fn mongo_reader(&self, spec: &str) -> Result<Box<dyn crate::runs::RunReader>, ObserverError> {
        let _ = spec;
        Err(ObserverError::new(
            "this build cannot read runs from MongoDB; expected the `mongo` feature of sacred",
        ))
    }
}

/// Receives the events of a run. Every method has a no-op default.
///
/// An observer that counts the points of each metric:
///
/// ```
/// use std::collections::BTreeMap;
///
/// use sacred_core::observer::{MetricsEvent, Observer, ObserverError};
///
/// #[derive(Default)]
/// struct Counter {
///     points: BTreeMap<String, usize>,
/// }
///
/// impl Observer for Counter {
///     fn name(&self) -> String {
///         "Counter".to_owned()
///     }
///
///     fn metrics(&mut self, event: &MetricsEvent) -> Result<(), ObserverError> {
///         for series in &event.series {
///             *self.points.entry(series.name.clone()).or_default() += series.values.len();
///         }
///         Ok(())
///     }
/// }
///
/// // Handed to a run with `Env::captured(dir).with_observer(Counter::default())`.
/// let env = sacred_core::Env::captured(std::env::temp_dir()).with_observer(Counter::default());
/// # drop(env);
/// ```
pub trait Observer: Send {
    /// A short name for reports (`file storage ./runs`).
    fn name(&self) -> String;

    /// Observers with a higher priority go first; the first one's id is the run's id.
    /// Sacred's priorities: MongoDB 30, file storage 20.
    fn priority(&self) -> i32 {
        0
    }

    /// Called on the experiment's thread before the run starts: an observer that can tell
    /// now that it will not be able to store the run (its directory cannot be created or
    /// written) refuses, and the run does not start (exit 2). Must not wait on a network:
    /// a server that is down never keeps a run from starting (the journal keeps it for
    /// `sync`). The default accepts.
    ///
    /// # Errors
    /// The run could not be stored here.
    fn prepare(&mut self) -> Result<(), ObserverError> {
        Ok(())
    }

    /// Takes the id given with `-i` for this run, before the run starts, so that of runs
    /// started at once with the same id exactly one gets it. The default only checks it
    /// ([`Observer::check_id`]); an observer that can take an id atomically does so here.
    ///
    /// # Errors
    /// The id is taken, or invalid.
    fn claim_id(&mut self, id: &RunId) -> Result<(), ObserverError> {
        self.check_id(id)
    }

    /// Makes way for the run stored under `run.id`, when it is this run (the same start
    /// time), to be stored again whole where this observer stored only part of it (the
    /// MongoDB observer removes it; file storage writes over it, file by file, each file
    /// replaced whole, so that a store failing again keeps whole files):
    /// by `sync`, and by the runtime when the observer failed mid-run and is tried again
    /// (it then gets [`started`](Self::started) and the run so far once more). An observer
    /// that keeps what it received must remove it here, or a retry stores it twice.
    /// `Ok(false)` when no run has that id (the default: nothing to replace).
    ///
    /// # Errors
    /// A different run has that id, or it cannot be removed.
    fn replace_run(&mut self, run: &StartedEvent) -> Result<bool, ObserverError> {
        let _ = run;
        Ok(false)
    }

    /// The command-line flags that select this observer again (`["-F", "runs"]`), with
    /// every secret masked: the `sync` command a run prints when this observer could not
    /// store all of it uses them. `None` (the default) when no flag selects it.
    fn sync_args(&self) -> Option<Vec<String>> {
        None
    }

    /// Called on the experiment's thread before the run starts, with the id given by
    /// `-i/--id`: an observer that cannot take that id (it exists already) says so here,
    /// and the run stops with a clear error before anything is written.
    ///
    /// # Errors
    /// The id cannot be used.
    fn check_id(&self, id: &RunId) -> Result<(), ObserverError> {
        let _ = id;
        Ok(())
    }

    /// The run was queued (`-q`). Returns the id the observer gave it, if any.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn queued(&mut self, event: &QueuedEvent) -> Result<Option<RunId>, ObserverError> {
        let _ = event;
        Ok(None)
    }

    /// The run started. `event.id` is the id chosen by a higher-priority observer or given
    /// with `-i`; an observer that allocates ids returns the one it used when `event.id` is
    /// `None`.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn started(&mut self, event: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        let _ = event;
        Ok(None)
    }

    /// Metric points logged since the previous beat, grouped by name.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn metrics(&mut self, event: &MetricsEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// Metric points, handed over: what the runtime calls. The default lends them to
    /// [`metrics`](Self::metrics); an observer that queues events for later (the MongoDB
    /// observer) takes them without a copy.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn take_metrics(&mut self, event: MetricsEvent) -> Result<(), ObserverError> {
        self.metrics(&event)
    }

    /// A beat: the info, the output printed since the previous beat, the result so far.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn heartbeat(&mut self, event: &HeartbeatEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// An artifact was added.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn artifact(&mut self, event: &ArtifactEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// A resource was opened or added.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn resource(&mut self, event: &ResourceEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// The run completed.
    ///
    /// # Errors
    /// The observer could not record the event.
    fn completed(&mut self, event: &CompletedEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// The run was interrupted (SIGINT, SIGTERM).
    ///
    /// # Errors
    /// The observer could not record the event.
    fn interrupted(&mut self, event: &InterruptedEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// The run failed (an `Err` or a panic).
    ///
    /// # Errors
    /// The observer could not record the event.
    fn failed(&mut self, event: &FailedEvent) -> Result<(), ObserverError> {
        let _ = event;
        Ok(())
    }

    /// The run is over: finish background work (uploads, flushes) before `deadline`; an
    /// observer whose work is still progressing at the deadline may take longer (the
    /// runtime waits for it), one that is stuck returns an error by then.
    ///
    /// # Errors
    /// Work could not be finished in time.
    fn join(&mut self, deadline: Instant) -> Result<(), ObserverError> {
        let _ = deadline;
        Ok(())
    }
}
