//! `fd` mode: file descriptors 1 and 2 are pointed at what a reader thread reads, and the
//! reader copies what arrives to the original destination and into the capture.
//!
//! What they point at depends on where the output went before:
//! - a terminal: a pseudo-terminal of the same size, so that programs draw progress bars
//!   and colours as without capture. The record gets what the screen showed ([`Screen`]).
//!   Standard output and error each get one when each went to a terminal (`> out.log`
//!   leaves a bar drawn on standard error on the terminal), one shared when both went to
//!   the same terminal.
//! - both to the same file or pipe (`> log 2>&1`): one pipe for both.
//! - a file or pipe each: a pipe each.
//!
//! Both streams to the same place share one pseudo-terminal or pipe, so the record keeps
//! the order in which the two were written. Sent to different places, their lines keep
//! their order within each stream; between the streams, the record has the order in which
//! the readers got them, as two pipes (or terminals) carry no order between them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use super::buffer::{SharedBuffer, Stream, Utf8Decoder};
use super::screen::Screen;

/// How long [`Redirect::restore`] waits for the readers to reach the end of their pipes.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Bytes read from a pipe at once.
const CHUNK: usize = 16 * 1024;

/// File descriptors 1 and 2 while they point at the capture's pipes or pseudo-terminal.
#[derive(Debug)]
pub(super) struct Redirect {
    /// Copies of the original file descriptors 1 and 2, to restore them.
    stdout: Arc<File>,
    stderr: Arc<File>,
    /// Disconnected once every reader thread has ended (nothing is sent on it).
    readers: Receiver<()>,
}

/// What a reader reads, and how its text becomes the record's.
enum Feed {
    /// A pipe: text as written.
    Pipe(Stream),
    /// A pseudo-terminal's master side (to give it the terminal's size when that
    /// changes) in place of `Stream`'s terminal: what the screen shows.
    Terminal(OwnedFd, Stream),
}

impl Redirect {
    /// Points file descriptors 1 and 2 at pipes or a pseudo-terminal read into `buffer`.
    pub(super) fn start(buffer: &Arc<SharedBuffer>) -> io::Result<Redirect> {
        flush_std();
        let stdout = Arc::new(File::from(io::stdout().as_fd().try_clone_to_owned()?));
        let stderr = Arc::new(File::from(io::stderr().as_fd().try_clone_to_owned()?));
        let shared = identity(&*stdout) == identity(&*stderr);
        let (done, readers) = mpsc::channel();
        // Readers end when what they read has no writer left; should anything below fail,
        // that happens when the write ends are dropped on return.
        let out_writer = writer_for(Stream::Out, &stdout, buffer, &done)?;
        let err_writer = if shared {
            out_writer.try_clone()?
        } else {
            writer_for(Stream::Err, &stderr, buffer, &done)?
        };
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

/// What `stream` writes into in place of `destination`: the slave side of a pseudo-terminal
/// when `destination` is a terminal, else the write end of a pipe; a reader copies what
/// arrives to `destination` and into `buffer`.
fn writer_for(
    stream: Stream,
    destination: &Arc<File>,
    buffer: &Arc<SharedBuffer>,
    done: &Sender<()>,
) -> io::Result<OwnedFd> {
    if let Some((master, slave)) = open_terminal(destination) {
        let resize = master.as_fd().try_clone_to_owned()?;
        let feed = Feed::Terminal(resize, stream);
        spawn_reader(feed, master, destination, buffer, done.clone())?;
        return Ok(slave);
    }
    // `std::io::pipe` opens both ends close-on-exec: child processes inherit only the
    // write ends that become file descriptors 1 and 2.
    let (reader, writer) = io::pipe()?;
    spawn_reader(
        Feed::Pipe(stream),
        reader,
        destination,
        buffer,
        done.clone(),
    )?;
    Ok(writer.into())
}

/// A pseudo-terminal in place of `terminal`, when that is one: its master and slave
/// sides. The slave gets the terminal's settings and size, but passes output unchanged
/// (the terminal itself turns `\n` into `\r\n`). `None` when `terminal` is not a terminal
/// or no pseudo-terminal can be had; the capture then uses a pipe.
fn open_terminal(terminal: &File) -> Option<(File, OwnedFd)> {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use rustix::termios::{OutputModes, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};

    if !rustix::termios::isatty(terminal) {
        return None;
    }
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).ok()?;
    grantpt(&master).ok()?;
    unlockpt(&master).ok()?;
    let name = ptsname(&master, Vec::new()).ok()?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    if let Ok(mut settings) = tcgetattr(terminal) {
        settings.output_modes.remove(OutputModes::OPOST);
        let _ = tcsetattr(&slave, rustix::termios::OptionalActions::Now, &settings);
    }
    if let Ok(size) = tcgetwinsize(terminal) {
        let _ = tcsetwinsize(&slave, size);
    }
    Some((File::from(master), slave))
}

/// Starts the thread that copies what `source` gives to `tee` and into `buffer`, until it
/// ends. Its copy of `done` is dropped when it ends.
fn spawn_reader(
    feed: Feed,
    mut source: impl Read + Send + 'static,
    tee: &Arc<File>,
    buffer: &Arc<SharedBuffer>,
    done: Sender<()>,
) -> io::Result<()> {
    let buffer = Arc::clone(buffer);
    let tee = Arc::clone(tee);
    let name = match feed {
        Feed::Pipe(stream) => format!("sacred-capture-{stream:?}"),
        Feed::Terminal(_, stream) => format!("sacred-capture-pty-{stream:?}"),
    };
    thread::Builder::new().name(name).spawn(move || {
        let _done = done;
        let mut decoder = Utf8Decoder::default();
        let mut screen = None;
        let mut size = None;
        let mut chunk = vec![0; CHUNK];
        loop {
            let n = match source.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                // A pseudo-terminal whose last slave closed reads as an error (EIO).
                Err(_) => break,
            };
            let bytes = chunk.get(..n).unwrap_or_default();
            // The terminal shows everything at once, whatever the capture does.
            let _ = (&*tee).write_all(bytes);
            let text = decoder.decode(bytes);
            match &feed {
                Feed::Pipe(stream) => buffer.push(*stream, &text),
                Feed::Terminal(master, stream) => {
                    // A resized terminal: the pseudo-terminal follows, for the next draw.
                    let now = rustix::termios::tcgetwinsize(&*tee).ok();
                    if now.is_some() && now != size {
                        size = now;
                        if let Some(size) = size {
                            let _ = rustix::termios::tcsetwinsize(master, size);
                        }
                    }
                    let width = size.map_or(0, |s| usize::from(s.ws_col));
                    let screen = screen.get_or_insert_with(|| Screen::new(width));
                    screen.set_width(width);
                    buffer.push(*stream, &screen.feed(&text));
                }
            }
        }
        let rest = decoder.finish();
        match (&feed, screen.as_mut()) {
            (Feed::Pipe(stream), _) => buffer.push(*stream, &rest),
            (Feed::Terminal(_, stream), Some(screen)) => {
                let mut text = screen.feed(&rest);
                text.push_str(&screen.finish());
                buffer.push(*stream, &text);
            }
            (Feed::Terminal(_, stream), None) => {
                buffer.push(*stream, &Screen::default().feed(&rest));
            }
        }
    })?;
    Ok(())
}

/// Which file a file descriptor refers to (device and inode); `None` when it cannot be
/// told.
fn identity(fd: impl AsFd) -> Option<(u64, u64)> {
    let stat = rustix::fs::fstat(fd).ok()?;
    Some((stat.st_dev as u64, stat.st_ino as u64))
}

/// Which file a file descriptor refers to (device and inode), for tests.
#[cfg(test)]
pub(super) fn file_identity(fd: impl AsFd) -> (u64, u64) {
    identity(fd).unwrap()
}
