//! `sys` mode: the output functions of this module copy what they write into the running
//! capture; file descriptors are left alone.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use super::buffer::{SharedBuffer, Stream};

/// The running `sys` capture, if any.
///
/// A process-wide slot, because the print macros that feed it (`sacred`'s `print!` family,
/// the runtime's log lines, the `tracing` subscriber) have no handle to pass it along. It
/// holds at most one capture: [`activate`] fails while it is taken, and the capture clears
/// it when it stops.
static ACTIVE: Mutex<Option<Arc<SharedBuffer>>> = Mutex::new(None);

/// Makes `buffer` the running `sys` capture; fails if another one runs.
pub(super) fn activate(buffer: &Arc<SharedBuffer>) -> io::Result<()> {
    let mut active = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if active.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::ResourceBusy,
            "a `sys` output capture is already running in this process",
        ));
    }
    *active = Some(Arc::clone(buffer));
    Ok(())
}

/// Clears the slot if `buffer` is the running capture.
pub(super) fn deactivate(buffer: &Arc<SharedBuffer>) {
    let mut active = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if active
        .as_ref()
        .is_some_and(|running| Arc::ptr_eq(running, buffer))
    {
        *active = None;
    }
}

/// Copies `text` of `stream` into the running `sys` capture, if any.
fn record(stream: Stream, text: &str) {
    let active = ACTIVE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if let Some(buffer) = active {
        buffer.push(stream, text);
    }
}

/// Copies `text` into the running `sys` capture as standard error, if any, without writing
/// it anywhere: for log lines whose records another part of the program prints, and a
/// progress bar's last state (under `fd` capture, what those print is captured already).
pub(crate) fn capture_stderr(text: &str) {
    record(Stream::Err, text);
}

/// Writes to the process's standard output and, while a `sys` capture is running, also into
/// that capture.
///
/// The `sacred` macros route `print!` and `println!` in experiment code through this. Like
/// `print!` it writes through Rust's line-buffered standard output, so in `fd` mode the text
/// reaches file descriptor 1 (and the capture) once its line ends or the stream is flushed.
/// A failed write (a closed terminal) is ignored. When standard output and error go to
/// different places, the record has it after everything written to standard error before.
///
/// A line of text never lands on a [`Progress`](crate::run::Progress) bar: the bar is
/// taken off its line first and drawn again after.
pub fn write_stdout(text: &str) {
    crate::run::around_bar(text, |text| {
        settle(Stream::Out);
        let _ = io::stdout().lock().write_all(text.as_bytes());
        record(Stream::Out, text);
    });
}

/// Writes to the process's standard error and, while a `sys` capture is running, also into
/// that capture.
///
/// The `sacred` macros route `eprint!` and `eprintln!` in experiment code through this, and
/// the runtime writes its log lines with it. A failed write is ignored. When standard
/// output and error go to different places, the record has the text after everything
/// written to standard output before (a `print!` without its newline is still in Rust's
/// buffer, and comes later).
///
/// A line of text never lands on a [`Progress`](crate::run::Progress) bar, as with
/// [`write_stdout`].
pub fn write_stderr(text: &str) {
    crate::run::around_bar(text, |text| {
        draw_stderr(text);
        record(Stream::Err, text);
    });
}

/// Under an `fd` capture whose streams go to different places, waits until what was written
/// to the other stream is in the record, so that what is written next to `stream` follows
/// it there too.
fn settle(stream: Stream) {
    #[cfg(unix)]
    super::fd::settle(stream);
    #[cfg(not(unix))]
    let _ = stream;
}

/// Writes to standard error only, never into a `sys` capture: how a progress bar draws
/// (in `fd` mode the capture sees it anyway, as a terminal shows it).
pub(crate) fn draw_stderr(text: &str) {
    settle(Stream::Err);
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
