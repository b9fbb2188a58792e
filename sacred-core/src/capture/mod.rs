//! Output capture (`-C fd|sys|no`).
//!
//! A [`Capture`] collects what the process writes while a run is going on, for the run's
//! `captured_out`; the terminal still shows everything as it is written. The modes follow
//! Sacred's:
//!
//! - [`CaptureMode::Fd`] points file descriptors 1 and 2 at pipes (or pseudo-terminals)
//!   and copies what arrives both to the original destinations and into the capture, so it
//!   also sees the output of child processes and C code. Both streams to the same place
//!   share one pipe, which keeps their order; sent to different places, what sacred's
//!   output functions write keeps its order with the other stream too (see `fd.rs`).
//! - [`CaptureMode::Sys`] leaves file descriptors alone: only what goes through
//!   [`write_stdout`] and [`write_stderr`] (the `sacred` print macros, the runtime's log
//!   lines and the log lines of [`crate::logging`]) is captured, not child processes.
//! - [`CaptureMode::No`] captures nothing.
//!
//! Captured text is handed out by [`Capture::take`] a complete line at a time, with
//! carriage-return progress bars and backspaces collapsed by [`collapse`].

mod buffer;
mod collapse;
#[cfg(unix)]
mod fd;
#[cfg(unix)]
mod screen;
mod sys;

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::cli::CaptureMode;

use buffer::SharedBuffer;
pub(crate) use sys::{capture_stderr, draw_stderr};
pub use sys::{write_stderr, write_stdout};

/// A running capture of the process's output.
///
/// `Send + Sync`: one thread may [`take`](Capture::take) what arrived while the experiment
/// runs on another, and a third (a signal handler's) may [`stop`](Capture::stop) it.
/// Dropping a capture stops it and discards what it had not handed out.
#[derive(Debug)]
pub(crate) struct Capture {
    #[cfg(test)]
    mode: CaptureMode,
    buffer: Arc<SharedBuffer>,
    /// What feeds the buffer; `None` once stopped (and always in `no` mode).
    source: Mutex<Option<Source>>,
}

#[derive(Debug)]
enum Source {
    Sys,
    #[cfg(unix)]
    Fd(fd::Redirect),
}

impl Capture {
    /// Starts capturing in `mode`.
    ///
    /// # Errors
    ///
    /// In `fd` mode, when the file descriptors cannot be duplicated or redirected, a pipe
    /// cannot be made or a reader thread cannot be started (nothing stays redirected then);
    /// on platforms other than Unix, `fd` mode is unsupported. In `sys` mode, when another
    /// `sys` capture is running in this process.
    pub(crate) fn start(mode: CaptureMode) -> io::Result<Capture> {
        let buffer = Arc::new(SharedBuffer::default());
        let source = match mode {
            CaptureMode::No => None,
            CaptureMode::Sys => {
                sys::activate(&buffer)?;
                Some(Source::Sys)
            }
            #[cfg(unix)]
            CaptureMode::Fd => Some(Source::Fd(fd::Redirect::start(&buffer)?)),
            #[cfg(not(unix))]
            CaptureMode::Fd => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "`fd` capture needs Unix file descriptors; use `sys`",
                ));
            }
        };
        Ok(Capture {
            #[cfg(test)]
            mode,
            buffer,
            source: Mutex::new(source),
        })
    }

    /// The text captured since the previous call: complete lines only, each collapsed (see
    /// [`collapse`]). The unfinished last line waits, since a progress bar may still redraw
    /// it, until its line ends or [`stop`](Capture::stop). Never waits for more than a lock
    /// held briefly.
    pub(crate) fn take(&self) -> String {
        self.buffer.take()
    }

    /// Stops capturing and returns what [`take`](Capture::take) has not returned yet,
    /// including the unfinished last line.
    ///
    /// In `fd` mode this flushes Rust's standard output, points file descriptors 1 and 2 back
    /// at their original destinations and waits (at most about 2 s) until everything
    /// written before has been read; a child process that still holds the pipe can make it
    /// give up early, and what the child writes later shows on the terminal only.
    ///
    /// Idempotent: later calls return `""`; a call while another is stopping waits for it.
    pub(crate) fn stop(&self) -> String {
        let mut source = self.source.lock().unwrap_or_else(PoisonError::into_inner);
        match source.take() {
            None => {}
            Some(Source::Sys) => sys::deactivate(&self.buffer),
            #[cfg(unix)]
            Some(Source::Fd(redirect)) => redirect.restore(),
        }
        self.buffer.finish()
    }

    /// The mode this capture runs in.
    #[cfg(test)]
    pub(crate) fn mode(&self) -> CaptureMode {
        self.mode
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests;
