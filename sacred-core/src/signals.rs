//! SIGINT and SIGTERM during a run: the handler thread that ends the run as INTERRUPTED,
//! and a second signal that ends the process at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

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
/// # Errors
/// The handlers or their thread could not be set up.
pub(crate) fn watch(interrupt: impl FnOnce(i32) + Send + 'static) -> std::io::Result<Watch> {
    let armed = Arc::new(AtomicBool::new(false));
    let mut second = Vec::new();
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        second.push(signal_hook::flag::register_conditional_shutdown(
            signal,
            code,
            Arc::clone(&armed),
        )?);
    }
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    let spawned = std::thread::Builder::new()
        .name("sacred-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                armed.store(true, Ordering::SeqCst);
                interrupt(signal);
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
