//! The run's journal: every event of an observed run, appended to a local file before any
//! observer sees it, so that what the observers could not store is still on disk.
//!
//! One file per run, `<dir>/<start time>-<pid>-<n>.journal` (the directory is
//! `.sacred/journal` under the working directory unless `SACRED_JOURNAL_DIR` or
//! `sacred.toml`'s `journal_dir` moves it), owner-only. Records are framed and checksummed
//! (`frame.rs`); the file is synced to disk at every beat and at the end. When every
//! observer has stored the whole run, the journal is removed; otherwise it is kept and
//! the run's last line names it.

mod entry;
mod frame;
pub(crate) mod replay;
pub(crate) mod sync;

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use entry::{Entry, Record, Series, Start};

/// How many file names are tried before giving up.
const NAME_ATTEMPTS: u32 = 1000;

/// The disk space a new journal reserves (without growing the file): a disk too full for
/// it refuses the run before it starts, and a disk that fills up during the run still
/// takes this much of its journal.
const RESERVE: u64 = 1 << 20;

/// An open journal, being appended to.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
    /// The byte offset just after the last record appended.
    end: u64,
}

impl Journal {
    /// Creates a new journal in `dir` (created owner-only if missing).
    ///
    /// # Errors
    /// The directory or the file cannot be created or written: the run must not start.
    pub(crate) fn create(dir: &Path) -> io::Result<Self> {
        create_private_dir(dir)?;
        let stamp = crate::time::Timestamp::now().to_string();
        let stamp: String = stamp
            .chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect();
        let pid = std::process::id();
        for n in 0..NAME_ATTEMPTS {
            let path = dir.join(format!("{stamp}-{pid}-{n}.journal"));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(&path) {
                Ok(file) => {
                    // Held until the run ends: `sync` leaves a journal alone while its run
                    // is still writing it.
                    lock(&file, &path)?;
                    if let Err(e) = reserve(&file, RESERVE) {
                        drop(file);
                        let _ = std::fs::remove_file(&path);
                        return Err(e);
                    }
                    let mut out = BufWriter::new(file);
                    out.write_all(frame::MAGIC)?;
                    out.flush()?;
                    return Ok(Self {
                        path,
                        out,
                        end: frame::MAGIC.len() as u64,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{NAME_ATTEMPTS} journal names are taken in `{}`",
                dir.display()
            ),
        ))
    }

    /// Opens an existing journal to append to, locked against every other writer and
    /// `sync`. A record cut short at its end (a killed run) is cut off first, so what is
    /// appended stays readable.
    ///
    /// # Errors
    /// The file cannot be opened, is locked (its run is going on, or another `sync` has
    /// it), or is not a journal.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let mut file = OpenOptions::new().read(true).write(true).open(path)?;
        lock(&file, path)?;
        let mut reader = frame::FrameReader::new(io::BufReader::new(&mut file));
        while reader.next_record()?.is_some() {}
        if reader.damage() == Some(&frame::Damage::NotAJournal) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("`{}` is not a sacred journal", path.display()),
            ));
        }
        let end = reader.offset();
        file.set_len(end)?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(end))?;
        Ok(Self {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            end,
        })
    }

    /// The journal's file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a record (buffered; [`sync`](Self::sync) puts it on disk).
    ///
    /// # Errors
    /// The record cannot be encoded or written.
    pub(crate) fn append(&mut self, record: &Record) -> io::Result<()> {
        let payload = record.encode().map_err(io::Error::other)?;
        frame::write_record(&mut self.out, &payload)?;
        self.end += (frame::RECORD_HEADER + payload.len()) as u64;
        Ok(())
    }

    /// The byte offset just after the last record appended: once [`flush`](Self::flush)
    /// or [`sync`](Self::sync) succeeded, a [`Reader`] reads every record up to it.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Hands what is buffered to the operating system, so that readers of the file see it.
    ///
    /// # Errors
    /// Writing failed (a full disk, say).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Writes what is buffered and waits until it is on disk.
    ///
    /// # Errors
    /// Writing or syncing failed (a full disk, say).
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }

    /// Removes the journal: every observer has the whole run.
    ///
    /// # Errors
    /// The file cannot be removed: the journal is handed back, still open, with the error.
    pub(crate) fn discard(self) -> Result<(), (Journal, io::Error)> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) => Err((self, e)),
        }
    }
}

/// Reads a journal's records in order, from a given offset, while its run may still be
/// appending to it: an observer's own position in the run.
#[derive(Debug)]
pub(crate) struct Reader {
    records: frame::FrameReader<io::BufReader<File>>,
}

impl Reader {
    /// A reader of the journal at `path` from byte `offset` (the start of a record, as
    /// [`Journal::end`] gives it).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub(crate) fn open(path: &Path, offset: u64) -> io::Result<Self> {
        let mut file = File::open(path)?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(offset))?;
        Ok(Self {
            records: frame::FrameReader::resume(io::BufReader::new(file), offset),
        })
    }

    /// The next record when it ends at or before `end` (what the writer made readable);
    /// `None` once `end` is reached.
    ///
    /// # Errors
    /// The file cannot be read, or a record before `end` is damaged or cannot be decoded.
    pub(crate) fn next_before(&mut self, end: u64) -> io::Result<Option<Record>> {
        if self.records.offset() >= end {
            return Ok(None);
        }
        let at = self.records.offset();
        let Some(payload) = self.records.next_record()? else {
            let why = self
                .records
                .damage()
                .map_or_else(|| "the file ends early".to_owned(), ToString::to_string);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the journal cannot be read back at byte {at}: {why}"),
            ));
        };
        Record::decode(&payload).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the journal's record at byte {at} cannot be read back: {e}"),
            )
        })
    }
}

/// Reserves `bytes` of disk space for `file` without changing its length. A file system
/// that cannot reserve (not Linux, or no `fallocate`) is taken at its word: the run
/// starts, and a full disk shows when the journal is written.
///
/// # Errors
/// The disk has not that much space left.
fn reserve(file: &File, bytes: u64) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FallocateFlags, fallocate};
        match fallocate(file, FallocateFlags::KEEP_SIZE, 0, bytes) {
            Ok(()) => Ok(()),
            Err(e) if e == rustix::io::Errno::NOSPC || e == rustix::io::Errno::DQUOT => {
                Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    format!("the disk has not {} KiB left for it ({e})", bytes / 1024),
                ))
            }
            Err(_) => Ok(()),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, bytes);
        Ok(())
    }
}

/// Takes the journal's exclusive lock, without waiting.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "`{}` is in use: its run is still going on, or another sync is sending it",
                path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The journals in `dir`, oldest first (their names start with the start time).
///
/// # Errors
/// The directory exists but cannot be read.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "journal") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Creates `dir` and its missing parents; the directories created are owner-only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// What a journal holds: its records in order, and what ended the readable part early.
#[derive(Debug)]
#[non_exhaustive]
pub struct Contents {
    /// The records, in the order they were written.
    pub records: Vec<Record>,
    /// Why reading stopped before the end of the file (a record cut short by a kill, a
    /// checksum that does not match), if it did; everything before it is intact.
    pub damage: Option<String>,
}

/// Reads the journal at `path`: every intact record, up to a torn or corrupt one.
///
/// # Errors
/// The file cannot be opened or read.
pub fn read(path: &Path) -> io::Result<Contents> {
    let file = File::open(path)?;
    let mut reader = frame::FrameReader::new(io::BufReader::new(file));
    let mut records = Vec::new();
    while let Some(payload) = reader.next_record()? {
        match Record::decode(&payload) {
            Ok(record) => records.push(record),
            Err(e) => {
                return Ok(Contents {
                    damage: Some(format!("record {} cannot be read: {e}", records.len() + 1)),
                    records,
                });
            }
        }
    }
    Ok(Contents {
        records,
        damage: reader.damage().map(ToString::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::RunId;

    #[test]
    fn a_journal_is_written_synced_read_and_discarded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let journals = dir.path().join("deep/journal");
        let mut journal = Journal::create(&journals).unwrap_or_else(|e| panic!("{e}"));
        let second = Journal::create(&journals).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(journal.path(), second.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| {
                std::fs::metadata(p)
                    .map(|m| m.permissions().mode() & 0o777)
                    .unwrap_or_default()
            };
            assert_eq!(mode(journal.path()), 0o600);
            assert_eq!(mode(&journals), 0o700);
        }
        for id in 0..3 {
            journal
                .append(&Record::id(Some(RunId::Int(id))))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        journal.sync().unwrap_or_else(|e| panic!("{e}"));
        let contents = read(journal.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(contents.damage, None);
        assert_eq!(contents.records.len(), 3);
        assert_eq!(contents.records[2], Record::id(Some(RunId::Int(2))));
        // A kill mid-write leaves a torn last record: the others still read back.
        let path = journal.path().to_path_buf();
        let bytes = std::fs::read(&path).unwrap_or_default();
        std::fs::write(&path, &bytes[..bytes.len() - 2]).unwrap_or_else(|e| panic!("{e}"));
        let contents = read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(contents.records.len(), 2);
        assert!(
            contents
                .damage
                .as_deref()
                .is_some_and(|d| d.contains("cut short")),
            "{:?}",
            contents.damage
        );
        journal.discard().unwrap_or_else(|(_, e)| panic!("{e}"));
        assert!(!path.exists());
    }

    #[test]
    fn a_journal_is_locked_while_written_and_torn_tails_are_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut journal = Journal::create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        journal
            .append(&Record::id(Some(RunId::Int(1))))
            .and_then(|()| journal.sync())
            .unwrap_or_else(|e| panic!("{e}"));
        let path = journal.path().to_path_buf();
        // The run holds it: a sync must leave it alone.
        let busy = Journal::open(&path).unwrap_err();
        assert_eq!(busy.kind(), io::ErrorKind::WouldBlock);
        assert!(busy.to_string().contains("is in use"), "{busy}");
        drop(journal);
        // A kill left half a record: opening cuts it, so appended records read back.
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        bytes.extend_from_slice(&[40, 0, 0, 0, 1, 2]);
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let mut reopened = Journal::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(Journal::open(&path).is_err(), "one sync at a time");
        reopened
            .append(&Record::stored(
                "file storage runs".into(),
                Some(RunId::Int(1)),
            ))
            .and_then(|()| reopened.sync())
            .unwrap_or_else(|e| panic!("{e}"));
        let contents = read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(contents.damage, None);
        assert_eq!(contents.records.len(), 2);
        assert!(list(dir.path()).unwrap_or_default().contains(&path));
        assert!(
            list(&dir.path().join("missing"))
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn a_journal_that_cannot_be_created_is_an_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(Journal::create(&file.join("journal")).is_err());
    }
}
