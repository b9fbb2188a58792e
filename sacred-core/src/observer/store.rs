//! [`RunStore`]: a store of runs that many processes share (MongoDB), as the queue
//! commands see it: `worker` claims queued runs, `dead` finds runs whose process died,
//! `rerun` loads a stored run.

use std::time::Duration;

use super::{ObserverError, RunId};
use crate::time::Timestamp;

/// Who claims a run: recorded in the run as `meta.worker`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerTag {
    /// The host name of the worker.
    pub host: String,
    /// The worker's process id.
    pub pid: u32,
    /// The beat interval its runs use, in seconds: a run is dead after a few of them
    /// without a beat.
    pub beat_interval: f64,
}

/// A run as stored: what running it again needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// The run's id.
    pub id: RunId,
    /// `QUEUED`, `RUNNING`, `COMPLETED`, …
    pub status: String,
    /// The experiment's name.
    pub experiment: String,
    /// The command (`main`).
    pub command: String,
    /// The resolved config, `seed` included.
    pub config: serde_json::Value,
    /// The run's `meta`.
    pub meta: serde_json::Value,
}

/// How many beats a run may miss before it counts as dead.
const BEATS_TO_DEATH: f64 = 3.0;
/// The shortest silence that counts as dead, whatever the beat interval.
const LEAST_SILENCE: Duration = Duration::from_secs(5);

/// How long a RUNNING run may go without a beat before it counts as dead: three of its
/// beat intervals (at least 5 s). The interval is the one its worker recorded
/// (`meta.worker.beat_interval`), else the `-b` it was started with
/// (`meta.options.--beat-interval`), else Sacred's 10 s. A run recorded with an interval
/// of 0 (`-b 0`: a final beat only) never counts as dead by its silence. `runs ls` (which
/// shows such a run as `DEAD`), `dead` and the workers all use this rule, through
/// [`silent_too_long`].
pub fn silence_limit(worker_beat: Option<f64>, option_beat: Option<f64>) -> Duration {
    let beat = worker_beat
        .filter(|b| b.is_finite())
        .or(option_beat.filter(|b| b.is_finite()))
        .unwrap_or(crate::plan::DEFAULT_BEAT_INTERVAL);
    if beat <= 0.0 {
        return Duration::MAX;
    }
    Duration::from_secs_f64(beat * BEATS_TO_DEATH).max(LEAST_SILENCE)
}

/// Whether a RUNNING run whose last beat (or start) was at `last_beat` has been silent for
/// longer than `limit` at `now`. A RUNNING run with neither has never beaten: dead.
pub fn silent_too_long(last_beat: Option<Timestamp>, limit: Duration, now: Timestamp) -> bool {
    last_beat.is_none_or(|t| now.since(t) > limit)
}

/// A RUNNING run whose last beat is older than its limit.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadRun {
    /// The run's id.
    pub id: RunId,
    /// The experiment's name.
    pub experiment: String,
    /// The last beat (the start when it had none).
    pub last_beat: Option<Timestamp>,
    /// How long ago that was.
    pub silent_for: Duration,
    /// The host it ran on, when known.
    pub host: Option<String>,
    /// How often it was put back in the queue already.
    pub requeued: u32,
}

/// What to do with a dead run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadAction {
    /// Put it back in the queue (`QUEUED`), counting the attempt in `meta.requeued`.
    Requeue,
    /// Mark it `FAILED`, with a `fail_trace` saying its process died.
    MarkFailed,
}

/// A store of runs shared by many processes, where runs are queued and claimed.
///
/// Every change a method makes is atomic and conditional on the state it read, so any
/// number of processes on any number of hosts may call them at once: a queued run is
/// claimed once, a dead run is put back once.
pub trait RunStore: Send {
    /// A short name for messages (`MongoDB mongodb://host, database lab`, masked).
    fn name(&self) -> String;

    /// Claims the next queued run of `experiment` (highest `meta.priority` first, then the
    /// oldest `meta.queue_time`): it becomes `RUNNING`, with `start_time`, `heartbeat` and
    /// `meta.worker` set. `None` when none is queued.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn claim(
        &mut self,
        experiment: &str,
        worker: &WorkerTag,
    ) -> Result<Option<StoredRun>, ObserverError>;

    /// The run `id`, if stored.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn load(&mut self, id: &RunId) -> Result<Option<StoredRun>, ObserverError>;

    /// The RUNNING runs (of `experiment`, or all) silent for longer than `dead_after`;
    /// without it, longer than their [`silence_limit`].
    ///
    /// # Errors
    /// The store cannot be reached.
    fn dead(
        &mut self,
        experiment: Option<&str>,
        dead_after: Option<Duration>,
    ) -> Result<Vec<DeadRun>, ObserverError>;

    /// Acts on the dead run `run`, if it is still as it was found (RUNNING, with the same
    /// last beat). `false` when another process changed it first.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn settle_dead(&mut self, run: &DeadRun, action: DeadAction) -> Result<bool, ObserverError>;

    /// Marks the claimed run `id` FAILED with `reason`, when its process ended without
    /// recording an end (it could not start). `false` when the run is no longer RUNNING.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn fail_claimed(&mut self, id: &RunId, reason: &str) -> Result<bool, ObserverError>;

    /// The `-m` argument that starts the stored run `id` in place, secrets included: for a
    /// child process of this one only, never to be shown.
    fn in_place_argument(&self, id: &RunId) -> Option<String>;
}

#[cfg(test)]
mod silence_tests {
    use super::*;

    #[test]
    fn the_silence_limit_is_three_beats_of_the_run_s_own_interval() {
        // Sacred's 10 s without any.
        assert_eq!(silence_limit(None, None), Duration::from_secs(30));
        // The run's -b, then its worker's, which wins.
        assert_eq!(silence_limit(None, Some(60.0)), Duration::from_secs(180));
        assert_eq!(silence_limit(Some(2.0), Some(60.0)), Duration::from_secs(6));
        // At least 5 s.
        assert_eq!(silence_limit(Some(1.0), None), Duration::from_secs(5));
        // -b 0: only a final beat, so silence says nothing.
        assert_eq!(silence_limit(None, Some(0.0)), Duration::MAX);
        assert_eq!(silence_limit(Some(f64::NAN), None), Duration::from_secs(30));
    }

    #[test]
    fn a_run_is_silent_too_long_past_its_limit_or_without_any_beat() {
        let now = Timestamp::from_micros(100_000_000);
        let limit = Duration::from_secs(30);
        let at = |secs: i64| Some(Timestamp::from_micros((100 - secs) * 1_000_000));
        assert!(!silent_too_long(at(30), limit, now));
        assert!(silent_too_long(at(31), limit, now));
        assert!(silent_too_long(None, limit, now));
        assert!(!silent_too_long(at(1_000), Duration::MAX, now));
    }
}
