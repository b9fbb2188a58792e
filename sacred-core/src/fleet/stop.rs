//! SIGINT and SIGTERM to a process that runs runs in processes of their own (a worker, a
//! sweep): it asks its runs to stop, waits until they have recorded their end, starts no
//! more, and leaves with 128 + the signal's number.
//!
//! The request is [`crate::signals::STOP_REQUEST`], which a run started by this binary
//! takes as a first SIGTERM that never forces its end: a run that got the signal itself as
//! well (Ctrl-C reaches the whole process group; Slurm signals every process of a job) is
//! interrupted once, and recorded.

use std::process::{Child, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::Error;
use crate::log::{Logger, WARNING};
use crate::signals::Watch;

/// How often a parent looks whether its runs' processes ended, or it got a signal; a run's
/// process is not asked to stop before it ran this long.
pub(super) const POLL: Duration = Duration::from_millis(50);

/// How often a run's process is asked again to stop, until it ends (a request that came
/// before the process could take it is lost).
const ASK_AGAIN: Duration = Duration::from_secs(1);

/// The signal the parent got, if any, from the moment it catches them.
pub(super) struct Stop {
    signal: Arc<AtomicI32>,
    watch: Option<Watch>,
}

impl Stop {
    /// Catches SIGINT and SIGTERM from now on (a second one ends the process at once);
    /// when it cannot, says through `logger` that a signal ends the process at once.
    pub(super) fn catch(logger: &Logger) -> Stop {
        let signal = Arc::new(AtomicI32::new(0));
        let caught = Arc::clone(&signal);
        let watch = crate::signals::watch(false, move |number| {
            caught.store(number, Ordering::SeqCst);
        });
        let watch = match watch {
            Ok(watch) => Some(watch),
            Err(e) => {
                logger.log(
                    WARNING,
                    &format!(
                        "cannot handle SIGINT/SIGTERM ({e}): a signal ends this process at \
                         once, and its runs go on alone"
                    ),
                );
                None
            }
        };
        Stop { signal, watch }
    }

    /// One that catches nothing, for tests.
    #[cfg(test)]
    pub(super) fn never() -> Stop {
        Stop {
            signal: Arc::new(AtomicI32::new(0)),
            watch: None,
        }
    }

    /// The signal caught, if any.
    pub(super) fn signal(&self) -> Option<i32> {
        Some(self.signal.load(Ordering::SeqCst)).filter(|signal| *signal != 0)
    }

    /// When a signal was caught: logs `message` with the signal's name through `logger` and
    /// ends the process with 128 + its number (130 for SIGINT, 143 for SIGTERM).
    pub(super) fn leave_if_caught(&self, logger: &Logger, message: impl FnOnce(&str) -> String) {
        if let Some(signal) = self.signal() {
            logger.log(WARNING, &message(&signal_name(signal)));
            std::process::exit(128 + signal);
        }
    }

    /// Stops catching the signals.
    pub(super) fn release(self) {
        if let Some(watch) = self.watch {
            watch.close();
        }
    }
}

/// A run's process, asked to stop once its parent caught a signal.
pub(super) struct RunProcess {
    child: Child,
    started: Instant,
    asked: Option<Instant>,
}

impl RunProcess {
    /// Watches `child`, just started.
    pub(super) fn new(child: Child) -> RunProcess {
        RunProcess {
            child,
            started: Instant::now(),
            asked: None,
        }
    }

    /// Its exit status once it ended; until then, when `stop` caught a signal, asks it to
    /// stop (again each [`ASK_AGAIN`]).
    ///
    /// # Errors
    /// Its state cannot be read.
    pub(super) fn poll(&mut self, stop: &Stop) -> Result<Option<ExitStatus>, Error> {
        let ended = self.child.try_wait().map_err(|source| Error::Io {
            action: "wait for a run's process".to_owned(),
            source,
        })?;
        if ended.is_none()
            && stop.signal().is_some()
            && self.started.elapsed() >= POLL
            && self.asked.is_none_or(|at| at.elapsed() >= ASK_AGAIN)
        {
            crate::signals::request_stop(self.child.id());
            self.asked = Some(Instant::now());
        }
        Ok(ended)
    }

    /// Whether it was asked to stop.
    pub(super) fn asked(&self) -> bool {
        self.asked.is_some()
    }
}

/// The name of a signal a parent stops on.
pub(super) fn signal_name(signal: i32) -> String {
    match signal {
        signal_hook::consts::SIGINT => "SIGINT".to_owned(),
        signal_hook::consts::SIGTERM => "SIGTERM".to_owned(),
        other => format!("signal {other}"),
    }
}
