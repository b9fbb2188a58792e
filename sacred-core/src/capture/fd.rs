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
//! the order in which the two were written. Sent to different places, each stream keeps its
//! order, but two pipes carry no order between them: the readers get what was written to
//! each when they get it. So before sacred's output functions write to one stream (the
//! print macros of the experiment's file, log lines, bars), they wait, briefly, until
//! everything written to the other stream so far is in the record ([`settle`]): what goes
//! through them keeps its order with everything written before it, whoever wrote that.
//! Other writes to the two streams (`std::io::stdout()` directly, child processes) are
//! recorded in the order the readers got them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::buffer::{SharedBuffer, Stream, Utf8Decoder};
use super::screen::Screen;

/// How long [`Redirect::restore`] waits for the readers to reach the end of their pipes.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Bytes read from a pipe at once.
const CHUNK: usize = 16 * 1024;

/// How long [`settle`] waits for a reader whose destination does not take what it copies
/// (a reader stuck in that copy); after that, writes no longer wait for it until it has
/// caught up.
const SETTLE_TIMEOUT: Duration = Duration::from_millis(200);

/// How long [`settle`] waits at most, whatever the reader does: a reader that is only
/// slow to be scheduled on a loaded machine gets this long.
const SETTLE_LIMIT: Duration = Duration::from_secs(5);

/// The streams' channels while they go to different places, for [`settle`]: standard
/// output's, then standard error's. `None` while no such capture runs.
static CHANNELS: Mutex<Option<[Arc<Channel>; 2]>> = Mutex::new(None);

/// What a reader reads from, as the writers see it: how much is still unread, and when the
/// reader has put what it read into the record.
#[derive(Debug)]
struct Channel {
    /// A copy of the end the reader reads.
    read_end: OwnedFd,
    /// Held by the reader from each read until what it read is in the record, so that
    /// nothing is unread and unrecorded both while a writer holds it.
    gate: Mutex<()>,
    /// Set by the reader, under the gate, from each read until what it read is in the
    /// record: when it is clear after the channel was seen empty, all that was read is
    /// recorded, and a writer need not take the gate.
    busy: AtomicBool,
    /// Notified each time the reader has recorded what it read.
    recorded: Condvar,
    /// Set while the reader copies to the destination, which may not take it.
    copying: AtomicBool,
    /// Set when a writer gave up waiting; cleared once the reader has caught up.
    stalled: AtomicBool,
}

impl Channel {
    fn new(read_end: OwnedFd) -> Channel {
        Channel {
            read_end,
            gate: Mutex::new(()),
            busy: AtomicBool::new(false),
            recorded: Condvar::new(),
            copying: AtomicBool::new(false),
            stalled: AtomicBool::new(false),
        }
    }

    fn gate(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether bytes wait to be read.
    fn unread(&self) -> bool {
        rustix::io::ioctl_fionread(&self.read_end).is_ok_and(|n| n > 0)
    }

    /// Waits until everything written to the channel so far is in the record: at most
    /// [`SETTLE_TIMEOUT`] while the reader is stuck copying to its destination, and
    /// [`SETTLE_LIMIT`] in all. Returns at once while the reader is stalled.
    fn wait_recorded(&self) -> Waited {
        // Seen empty, then not busy: whatever was read before is recorded. (Busy first,
        // then empty, would miss a read that began in between.)
        if !self.unread() && !self.busy.load(Ordering::SeqCst) {
            return Waited::Recorded;
        }
        if self.stalled.load(Ordering::Relaxed) {
            return Waited::Stalled;
        }
        let start = Instant::now();
        let mut gate = self.gate();
        while self.unread() {
            let waited = start.elapsed();
            if waited >= SETTLE_LIMIT
                || (waited >= SETTLE_TIMEOUT && self.copying.load(Ordering::Relaxed))
            {
                self.stalled.store(true, Ordering::Relaxed);
                return Waited::GaveUp;
            }
            gate = self
                .recorded
                .wait_timeout(gate, SETTLE_TIMEOUT / 4)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Waited::Recorded
    }
}

/// How a writer's wait for a reader ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waited {
    /// Everything written before is in the record.
    Recorded,
    /// The reader did not catch up in time: it is stalled from now on.
    GaveUp,
    /// The reader was stalled already: no wait.
    Stalled,
}

/// Before a write to `stream` through sacred's output functions: while the two streams
/// go to different places, waits until what was written to the other one so far is in the
/// record, so that the record has the two in the order they were written. Returns at once
/// otherwise.
pub(super) fn settle(stream: Stream) {
    let other = match CHANNELS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
    {
        Some([out, err]) => match stream {
            Stream::Out => Arc::clone(err),
            Stream::Err => Arc::clone(out),
        },
        None => return,
    };
    // Rust's standard output is not flushed here: that would wait for its lock, which a
    // thread blocked on a full pipe holds. `println!` has written its line already.
    other.wait_recorded();
}

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
        let (out_writer, out_channel) = writer_for(Stream::Out, &stdout, buffer, &done)?;
        let err_writer = if shared {
            out_writer.try_clone()?
        } else {
            let (err_writer, err_channel) = writer_for(Stream::Err, &stderr, buffer, &done)?;
            *CHANNELS.lock().unwrap_or_else(PoisonError::into_inner) =
                Some([out_channel, err_channel]);
            err_writer
        };
        let redirected = rustix::stdio::dup2_stdout(&out_writer).and_then(|()| {
            rustix::stdio::dup2_stderr(&err_writer).inspect_err(|_| {
                let _ = rustix::stdio::dup2_stdout(&*stdout);
            })
        });
        if let Err(error) = redirected {
            *CHANNELS.lock().unwrap_or_else(PoisonError::into_inner) = None;
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
        *CHANNELS.lock().unwrap_or_else(PoisonError::into_inner) = None;
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
/// arrives to `destination` and into `buffer`. With it, the channel the reader reads.
fn writer_for(
    stream: Stream,
    destination: &Arc<File>,
    buffer: &Arc<SharedBuffer>,
    done: &Sender<()>,
) -> io::Result<(OwnedFd, Arc<Channel>)> {
    if let Some((master, slave)) = open_terminal(destination) {
        let channel = Arc::new(Channel::new(master.as_fd().try_clone_to_owned()?));
        let resize = master.as_fd().try_clone_to_owned()?;
        let reader = Reader {
            feed: Feed::Terminal(resize, stream),
            channel: Arc::clone(&channel),
            tee: Arc::clone(destination),
            buffer: Arc::clone(buffer),
        };
        reader.spawn(master, done.clone())?;
        return Ok((slave, channel));
    }
    // `std::io::pipe` opens both ends close-on-exec: child processes inherit only the
    // write ends that become file descriptors 1 and 2.
    let (source, writer) = io::pipe()?;
    let channel = Arc::new(Channel::new(source.as_fd().try_clone_to_owned()?));
    let reader = Reader {
        feed: Feed::Pipe(stream),
        channel: Arc::clone(&channel),
        tee: Arc::clone(destination),
        buffer: Arc::clone(buffer),
    };
    reader.spawn(source, done.clone())?;
    Ok((writer.into(), channel))
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

/// A reader thread's parts: it copies what its source gives to `tee` and into `buffer`.
struct Reader {
    feed: Feed,
    channel: Arc<Channel>,
    tee: Arc<File>,
    buffer: Arc<SharedBuffer>,
}

impl Reader {
    /// Starts the thread that reads `source` until it ends. Its copy of `done` is dropped
    /// when it ends.
    fn spawn(self, source: impl Read + AsFd + Send + 'static, done: Sender<()>) -> io::Result<()> {
        // Reads happen only once `poll` says there is something to read (see `run`); a
        // source that blocks all the same would hold the channel's gate.
        rustix::io::ioctl_fionbio(&source, true)?;
        let name = match self.feed {
            Feed::Pipe(stream) => format!("sacred-capture-{stream:?}"),
            Feed::Terminal(_, stream) => format!("sacred-capture-pty-{stream:?}"),
        };
        thread::Builder::new().name(name).spawn(move || {
            let _done = done;
            self.run(source);
        })?;
        Ok(())
    }

    /// Copies until `source` ends: each read, and the recording of what it gave, happen
    /// under the channel's gate; the copy to the destination, which may block, after.
    fn run(self, mut source: impl Read + AsFd) {
        let mut decoder = Utf8Decoder::default();
        let mut screen = None;
        let mut size = None;
        let mut chunk = vec![0; CHUNK];
        loop {
            let mut ready = [rustix::event::PollFd::new(
                &source,
                rustix::event::PollFlags::IN,
            )];
            match rustix::event::poll(&mut ready, None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => break,
            }
            let gate = self.channel.gate();
            self.channel.busy.store(true, Ordering::SeqCst);
            let n = match source.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                    ) =>
                {
                    self.channel.busy.store(false, Ordering::SeqCst);
                    continue;
                }
                // A pseudo-terminal whose last slave closed reads as an error (EIO).
                Err(_) => break,
            };
            let bytes = chunk.get(..n).unwrap_or_default();
            let text = decoder.decode(bytes);
            match &self.feed {
                Feed::Pipe(stream) => self.buffer.push(*stream, &text),
                Feed::Terminal(master, stream) => {
                    // A resized terminal: the pseudo-terminal follows, for the next draw.
                    let now = rustix::termios::tcgetwinsize(&*self.tee).ok();
                    if now.is_some() && now != size {
                        size = now;
                        if let Some(size) = size {
                            let _ = rustix::termios::tcsetwinsize(master, size);
                        }
                    }
                    let width = size.map_or(0, |s| usize::from(s.ws_col));
                    let screen = screen.get_or_insert_with(|| Screen::new(width));
                    screen.set_width(width);
                    self.buffer.push(*stream, &screen.feed(&text));
                }
            }
            if self.channel.stalled.load(Ordering::Relaxed) && !self.channel.unread() {
                self.channel.stalled.store(false, Ordering::Relaxed);
            }
            self.channel.busy.store(false, Ordering::SeqCst);
            drop(gate);
            self.channel.recorded.notify_all();
            // The terminal shows everything, whatever the capture does.
            self.channel.copying.store(true, Ordering::Relaxed);
            let _ = (&*self.tee).write_all(bytes);
            self.channel.copying.store(false, Ordering::Relaxed);
        }
        let rest = decoder.finish();
        match (&self.feed, screen.as_mut()) {
            (Feed::Pipe(stream), _) => self.buffer.push(*stream, &rest),
            (Feed::Terminal(_, stream), Some(screen)) => {
                let mut text = screen.feed(&rest);
                text.push_str(&screen.finish());
                self.buffer.push(*stream, &text);
            }
            (Feed::Terminal(_, stream), None) => {
                self.buffer.push(*stream, &Screen::default().feed(&rest));
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_gives_up_on_a_stuck_reader_once_then_does_not_wait_for_it() {
        let (reader, mut writer) = io::pipe().unwrap();
        let channel = Channel::new(reader.as_fd().try_clone_to_owned().unwrap());
        // Nothing written: nothing to wait for.
        assert_eq!(channel.wait_recorded(), Waited::Recorded);
        assert!(!channel.stalled.load(Ordering::Relaxed));
        // Bytes a reader stuck in its copy does not take: the wait gives up and marks
        // the reader stalled.
        writer.write_all(b"unread\n").unwrap();
        channel.copying.store(true, Ordering::Relaxed);
        assert!(channel.unread());
        assert_eq!(channel.wait_recorded(), Waited::GaveUp);
        assert!(channel.stalled.load(Ordering::Relaxed));
        // While stalled, a writer does not wait for it.
        assert_eq!(channel.wait_recorded(), Waited::Stalled);
    }

    #[test]
    fn a_writer_waits_until_the_reader_recorded_what_was_written() {
        let (source, mut writer) = io::pipe().unwrap();
        let channel = Arc::new(Channel::new(source.as_fd().try_clone_to_owned().unwrap()));
        let buffer = Arc::new(SharedBuffer::default());
        let tee = Arc::new(File::options().write(true).open("/dev/null").unwrap());
        let (done, ended) = mpsc::channel();
        let reader = Reader {
            feed: Feed::Pipe(Stream::Out),
            channel: Arc::clone(&channel),
            tee,
            buffer: Arc::clone(&buffer),
        };
        reader.spawn(source, done).unwrap();
        for i in 0..50 {
            writer.write_all(format!("line {i}\n").as_bytes()).unwrap();
            assert_eq!(channel.wait_recorded(), Waited::Recorded, "line {i}");
            // Everything written is in the record once the wait returns.
            assert!(buffer.take().contains(&format!("line {i}\n")), "line {i}");
        }
        assert!(!channel.stalled.load(Ordering::Relaxed));
        drop(writer);
        let _ = ended.recv_timeout(Duration::from_secs(10));
    }
}
