//! `fd` mode: file descriptors 1 and 2 are pointed at pipes, and a reader thread per pipe
//! copies what arrives to the original destination and into the capture.

use std::fs::File;
use std::io::{self, PipeReader, Read, Write};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use super::buffer::{SharedBuffer, Stream, Utf8Decoder};

/// How long [`Redirect::restore`] waits for the readers to reach the end of their pipes.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Bytes read from a pipe at once.
const CHUNK: usize = 16 * 1024;

/// File descriptors 1 and 2 while they point at the capture's pipes.
#[derive(Debug)]
pub(super) struct Redirect {
    /// Copies of the original file descriptors 1 and 2, to restore them.
    stdout: Arc<File>,
    stderr: Arc<File>,
    /// Disconnected once both reader threads have ended (nothing is sent on it).
    readers: Receiver<()>,
}

impl Redirect {
    /// Points file descriptors 1 and 2 at pipes read into `buffer`.
    pub(super) fn start(buffer: &Arc<SharedBuffer>) -> io::Result<Redirect> {
        flush_std();
        let stdout = Arc::new(File::from(io::stdout().as_fd().try_clone_to_owned()?));
        let stderr = Arc::new(File::from(io::stderr().as_fd().try_clone_to_owned()?));
        // `std::io::pipe` opens both ends close-on-exec: child processes inherit only the
        // write ends that become file descriptors 1 and 2 below.
        let (out_reader, out_writer) = io::pipe()?;
        let (err_reader, err_writer) = io::pipe()?;
        let (done, readers) = mpsc::channel();
        // Readers end when their pipe has no writer left; should anything below fail, that
        // happens when the write ends are dropped on return.
        spawn_reader(
            Stream::Out,
            out_reader,
            Arc::clone(&stdout),
            buffer,
            done.clone(),
        )?;
        spawn_reader(Stream::Err, err_reader, Arc::clone(&stderr), buffer, done)?;
        rustix::stdio::dup2_stdout(&out_writer)?;
        if let Err(error) = rustix::stdio::dup2_stderr(&err_writer) {
            let _ = rustix::stdio::dup2_stdout(&*stdout);
            return Err(error.into());
        }
        Ok(Redirect {
            stdout,
            stderr,
            readers,
        })
    }

    /// Points file descriptors 1 and 2 back at their original destinations, then waits (at
    /// most [`READ_TIMEOUT`]) until the readers have read everything written before.
    ///
    /// A child process that still holds a copy of a pipe keeps its reader running after the
    /// timeout; it goes on copying to the original destination, but no longer captures.
    pub(super) fn restore(self) {
        flush_std();
        // The redirected descriptors were the last writers of the pipes (apart from child
        // processes): replacing them makes the readers see the end of their pipes.
        let _ = rustix::stdio::dup2_stdout(&*self.stdout);
        let _ = rustix::stdio::dup2_stderr(&*self.stderr);
        // Nothing is ever sent: this returns when both readers have dropped their sender.
        let _ = self.readers.recv_timeout(READ_TIMEOUT);
    }
}

/// Flushes Rust's buffered standard output, so that what was printed before a redirection
/// changes goes where it was meant to go.
fn flush_std() {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
}

/// Starts the thread that copies one pipe to `tee` and into `buffer`, until the pipe ends.
/// Its copy of `done` is dropped when it ends.
fn spawn_reader(
    stream: Stream,
    mut pipe: PipeReader,
    tee: Arc<File>,
    buffer: &Arc<SharedBuffer>,
    done: Sender<()>,
) -> io::Result<()> {
    let buffer = Arc::clone(buffer);
    thread::Builder::new()
        .name(format!("sacred-capture-{stream:?}"))
        .spawn(move || {
            let _done = done;
            let mut decoder = Utf8Decoder::default();
            let mut chunk = vec![0; CHUNK];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        let bytes = chunk.get(..n).unwrap_or_default();
                        // The terminal shows everything at once, whatever the capture does.
                        let _ = (&*tee).write_all(bytes);
                        buffer.push(stream, &decoder.decode(bytes));
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            buffer.push(stream, &decoder.finish());
        })?;
    Ok(())
}

/// Which file a file descriptor refers to (device and inode), for tests.
#[cfg(test)]
pub(super) fn identity(fd: impl AsFd) -> (u64, u64) {
    let stat = rustix::fs::fstat(fd).unwrap();
    (stat.st_dev as u64, stat.st_ino as u64)
}
