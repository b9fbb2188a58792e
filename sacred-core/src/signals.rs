//! SIGINT and SIGTERM during a run: the handler thread that ends the run as INTERRUPTED,
//! and a second signal that ends the process at once.
//!
//! A run that a worker started also takes the worker's requests to stop ([`STOP_REQUEST`],
//! SIGUSR2, when [`STOP_REQUEST_VAR`] is set): the first ends the run as SIGTERM does, and
//! none of them ever ends the process at once. A run that got SIGTERM from whoever signals
//! every process (Slurm's `scancel`) and the same request from its worker is interrupted
//! once, and recorded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR2};
use signal_hook::iterator::{Handle, Signals};

/// The signal a worker sends the run it started to ask it to stop.
pub(crate) const STOP_REQUEST: i32 = SIGUSR2;

/// Sends the process `pid`, a run a worker started, a request to stop ([`STOP_REQUEST`]).
/// One that cannot be sent (the process has just ended) changes nothing: the worker sees
/// the end next.
pub(crate) fn request_stop(pid: u32) {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::USR2);
    }
}

/// Set by a worker for the runs it starts: they take [`STOP_REQUEST`].
pub(crate) const STOP_REQUEST_VAR: &str = "SACRED_STOP_REQUESTS";

/// A request that came before a run watched for signals, when requests are taken early.
static EARLY_REQUEST: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// In a process a worker started (`stop_requests`), takes its requests to stop from now
/// on, so that one sent while the process starts does not end it (SIGUSR2's default) but
/// waits for the run's [`watch`]. Called first thing in the process.
pub(crate) fn take_stop_requests_early(stop_requests: bool) {
    if !stop_requests {
        return;
    }
    let flag = Arc::new(AtomicBool::new(false));
    if signal_hook::flag::register(STOP_REQUEST, Arc::clone(&flag)).is_ok() {
        let _ = EARLY_REQUEST.set(flag);
    }
}

/// Whether a request to stop came before the run watched for signals.
fn requested_early() -> bool {
    EARLY_REQUEST
        .get()
        .is_some_and(|flag| flag.load(Ordering::SeqCst))
}

/// The handlers of one run; [`close`](Watch::close) removes them when the run ends.
pub(crate) struct Watch {
    handle: Handle,
    second: Vec<SigId>,
}

impl Watch {
    /// Removes the run's handlers.
    pub(crate) fn close(self) {
        self.handle.close();
        for id in self.second {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Calls `interrupt` with the signal's number on the first SIGINT or SIGTERM, on a thread of
/// its own. A second SIGINT or SIGTERM while that is under way ends the process at once,
/// with 130 or 143: what the journal holds stays there. The handlers are process-wide.
///
/// With `stop_requests`, a worker's [`STOP_REQUEST`] (or one that came before, see
/// [`take_stop_requests_early`]) counts as a first SIGTERM, on a thread of its own; it
/// never ends the process at once, and a SIGINT or SIGTERM after it only arms the next.
///
/// # Errors
/// The handlers or their thread could not be set up.
pub(crate) fn watch(
    stop_requests: bool,
    interrupt: impl FnOnce(i32) + Send + 'static,
) -> std::io::Result<Watch> {
    let armed = Arc::new(AtomicBool::new(false));
    let mut second = Vec::new();
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        second.push(signal_hook::flag::register_conditional_shutdown(
            signal,
            code,
            Arc::clone(&armed),
        )?);
    }
    let mut wanted = vec![SIGINT, SIGTERM];
    if stop_requests {
        wanted.push(STOP_REQUEST);
    }
    let mut signals = Signals::new(wanted)?;
    let handle = signals.handle();
    let early = stop_requests && requested_early();
    let spawned = std::thread::Builder::new()
        .name("sacred-signals".into())
        .spawn(move || {
            let mut interrupt = Some(interrupt);
            if early {
                on_request(&mut interrupt);
            }
            for signal in signals.forever() {
                if signal == STOP_REQUEST {
                    on_request(&mut interrupt);
                    continue;
                }
                armed.store(true, Ordering::SeqCst);
                if let Some(interrupt) = interrupt.take() {
                    interrupt(signal);
                    return;
                }
            }
        });
    let watch = Watch { handle, second };
    match spawned {
        Ok(_) => Ok(watch),
        Err(e) => {
            watch.close();
            Err(e)
        }
    }
}

/// A worker's request to stop: the first calls `interrupt` as a SIGTERM would, on a thread
/// of its own, so that a signal of the user's still arms the next one meanwhile; later
/// ones do nothing.
fn on_request<F: FnOnce(i32) + Send + 'static>(interrupt: &mut Option<F>) {
    let Some(interrupt) = interrupt.take() else {
        return;
    };
    let slot = Arc::new(std::sync::Mutex::new(Some(interrupt)));
    let theirs = Arc::clone(&slot);
    let taken = move || {
        theirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    let spawned = std::thread::Builder::new()
        .name("sacred-stop".into())
        .spawn(move || {
            if let Some(interrupt) = taken() {
                interrupt(SIGTERM);
            }
        });
    if spawned.is_err() {
        // No thread to be had: the run ends here, and the user's signals wait meanwhile.
        let interrupt = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(interrupt) = interrupt {
            interrupt(SIGTERM);
        }
    }
}
