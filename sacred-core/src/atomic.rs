//! Files replaced atomically: written to a temporary file beside the target, synced, then
//! renamed over it, so a reader sees the old file or the new one, never a part, and a
//! failure leaves nothing half-written.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// How many temporary names are tried before giving up.
const TEMP_ATTEMPTS: u32 = 1000;

/// A replacement of `path` being written. [`commit`](AtomicFile::commit) puts it in place;
/// dropping it uncommitted removes the temporary file.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    path: PathBuf,
    /// Empty once renamed into place.
    temp: PathBuf,
    file: File,
}

impl AtomicFile {
    /// A new temporary file beside `path`: `.<name>.<pid>.<n>.tmp`, created exclusively so
    /// that concurrent writers (threads or processes) never share one.
    ///
    /// # Errors
    /// The directory cannot be written, or every temporary name is taken.
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Self::create_in(path, dir)
    }

    /// A new temporary file for `path` in the directory `dir` (on the same file system),
    /// named as [`create`](Self::create) names it: writers that keep their temporary files
    /// in one place can sweep those of dead processes ([`is_stale_temp`]).
    ///
    /// # Errors
    /// The directory cannot be written, or every temporary name is taken.
    pub(crate) fn create_in(path: &Path, dir: &Path) -> io::Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let pid = std::process::id();
        let mut last = PathBuf::new();
        for n in 0..TEMP_ATTEMPTS {
            let temp = dir.join(format!(".{name}.{pid}.{n}.tmp"));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    return Ok(Self {
                        path: path.to_path_buf(),
                        temp,
                        file,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = temp,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{TEMP_ATTEMPTS} temporary names are taken, the last `{}`",
                last.display()
            ),
        ))
    }

    /// The temporary file, to write the new contents to.
    pub(crate) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The temporary file's path (for error messages).
    pub(crate) fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Syncs the new contents and renames them over the target.
    ///
    /// # Errors
    /// Syncing or renaming failed; the temporary file is removed and the target is left as
    /// it was.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        self.rename()
    }

    /// Renames the new contents over the target without waiting for the disk: a reader
    /// sees the old file or the new one, never a part; a writer that keeps a durable copy
    /// elsewhere (file storage: the run's journal) syncs once at the end instead.
    ///
    /// # Errors
    /// Renaming failed; the temporary file is removed and the target is left as it was.
    pub(crate) fn commit_unsynced(mut self) -> io::Result<()> {
        self.rename()
    }

    fn rename(&mut self) -> io::Result<()> {
        std::fs::rename(&self.temp, &self.path)?;
        // Renamed: nothing to remove on drop.
        self.temp = PathBuf::new();
        Ok(())
    }
}

/// Whether `name` is the name of a temporary file of [`AtomicFile`]
/// (`.<name>.<pid>.<n>.tmp`) whose process is gone: left behind by a process that was
/// killed while writing, and safe to remove.
pub(crate) fn is_stale_temp(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let mut parts = rest.rsplitn(3, '.');
    let (Some(n), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if n.parse::<u32>().is_err() {
        return false;
    }
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    if pid == i32::try_from(std::process::id()).unwrap_or(0) {
        return false;
    }
    rustix::process::Pid::from_raw(pid).is_some_and(|pid| {
        rustix::process::test_kill_process(pid).is_err_and(|e| e == rustix::io::Errno::SRCH)
    })
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn replaces_the_file_or_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("config.json");
        std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
        // Dropped before commit: the old file stays, no temporary file is left.
        let mut unfinished = AtomicFile::create(&path).unwrap_or_else(|e| panic!("{e}"));
        unfinished
            .file()
            .write_all(b"half")
            .unwrap_or_else(|e| panic!("{e}"));
        drop(unfinished);
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "old");
        // Two writers at once get two temporary files; the last commit wins whole.
        let mut a = AtomicFile::create(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut b = AtomicFile::create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.temp_path(), b.temp_path());
        a.file()
            .write_all(b"from a")
            .unwrap_or_else(|e| panic!("{e}"));
        b.file()
            .write_all(b"from b")
            .unwrap_or_else(|e| panic!("{e}"));
        a.commit().unwrap_or_else(|e| panic!("{e}"));
        b.commit().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "from b");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|e| e.map(|e| e.file_name()).unwrap_or_default())
            .collect();
        assert_eq!(names, ["config.json"]);
    }
}
