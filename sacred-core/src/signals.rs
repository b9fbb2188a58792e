//! SIGINT and SIGTERM during a run: the handler thread that ends the run as INTERRUPTED.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// Calls `interrupt` with the signal's number on the first SIGINT or SIGTERM, on a thread of
/// its own. The handlers are process-wide; close the returned handle when the run ends.
///
/// # Errors
/// The handlers or their thread could not be set up.
pub(crate) fn watch(interrupt: impl FnOnce(i32) + Send + 'static) -> std::io::Result<Handle> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    let spawned = std::thread::Builder::new()
        .name("sacred-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                interrupt(signal);
            }
        });
    match spawned {
        Ok(_) => Ok(handle),
        Err(e) => {
            handle.close();
            Err(e)
        }
    }
}
