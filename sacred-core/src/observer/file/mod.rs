//! The file storage observer (`-F DIR`): Sacred's `FileStorageObserver` layout, file for
//! file and key for key, so Sacred's tools read the runs it writes.
//!
//! ```text
//! BASEDIR/
//! ├── 1/                  one directory per run: allocated ids 1, 2, … or the given id
//! │   ├── run.json        the record, rewritten at every event that changes it
//! │   ├── config.json     the config, written at the start
//! │   ├── cout.txt        the captured output, appended at every beat
//! │   ├── metrics.json    {name: {steps, timestamps, values}}, rewritten at every metrics event
//! │   ├── info.json       the run's info, written at a beat when it is not empty
//! │   └── model.bin       artifacts, under their names
//! ├── _sources/main_<md5>.rs        each source file, stored once
//! ├── _resources/data_<md5>.csv     each resource, stored once
//! └── _tmp/                         files being written (Sacred's tools skip it)
//! ```
//!
//! Every JSON file is written as Python's `json.dump(obj, sort_keys=True, indent=2)` writes
//! it, to a temporary file in `_tmp` that is then renamed into place: a reader sees a whole
//! file, never a part. Files are not synced one by one: the run's journal is the durable
//! copy while the run goes on, and [`Observer::join`] syncs the run's files once, before
//! the journal is removed. What differs from Sacred, on purpose:
//! - the basedir is checked before the run starts ([`Observer::prepare`]): one that cannot
//!   be created or written (a path under a file, `/dev/null`, `/proc`, a read-only file
//!   system) refuses the run, exit 2, before its body runs; temporary files that killed
//!   processes left in `_tmp` are removed then;
//! - a given id whose directory exists is refused before anything is written (Sacred's
//!   issue #540), and [`Observer::check_id`] reports it before the run starts;
//! - an artifact name must be a plain file name that is not one of the run's own files
//!   ([`validate_artifact_name`]); adding the same name twice replaces the file and lists
//!   it once;
//! - a queued run's sources are stored in `_sources` as a started run's are, not
//!   jsonpickled, and its `meta` gets `queue_time` as an ISO string;
//! - the metric points are kept on disk, not in memory (`points.rs`): `metrics.json` is
//!   rebuilt from them at every metrics event while the run has up to 20,000 points, then
//!   whenever it has half as many again, and always at the end, so that the bytes written over a
//!   run grow linearly with its points (during a long run, `metrics.json` may lag by up to
//!   a third of the points; the journal has them all).

mod names;
mod points;
mod write;

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use names::validate_artifact_name;

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricsEvent, Observer, ObserverError, QueuedEvent, ResourceEvent, RunId,
    StartedEvent,
};

use crate::digest::{is_md5_hex, md5_file, md5_hex};
use names::{display_basedir, stored_name, validate_run_dir_name};
use points::Points;
use write::{Sorted, SortedMap, append, copy_file, io_error, write_bytes, write_json};

/// The run's record.
const RUN_JSON: &str = "run.json";
/// The run's config.
const CONFIG_JSON: &str = "config.json";
/// The run's captured output.
const COUT_TXT: &str = "cout.txt";
/// The run's metrics.
const METRICS_JSON: &str = "metrics.json";
/// The run's info.
const INFO_JSON: &str = "info.json";
/// The directory of stored sources, in the basedir.
const SOURCES_DIR: &str = "_sources";
/// The directory of stored resources, in the basedir.
const RESOURCES_DIR: &str = "_resources";
/// The directory of files being written, in the basedir: each is renamed into place once
/// whole; one a killed process left is swept by the next run.
const TMP_DIR: &str = "_tmp";

/// How many taken ids an allocation skips before giving up, as Sacred.
const ALLOCATION_ATTEMPTS: u32 = 1000;

/// Sacred's file storage observer: one directory per run under a base directory.
///
/// The base directory is created before the run starts. Its path is kept as given: the
/// stored paths of resources in `run.json` start with it, relative or not, as in Sacred.
#[derive(Debug)]
pub struct FileStorageObserver {
    basedir: PathBuf,
    run: Option<RunDir>,
    /// The directory of an id taken by [`Observer::claim_id`], not yet used by a run.
    claimed: Option<(RunId, PathBuf)>,
    /// The directory of a run being stored again ([`Observer::replace_run`]): written over
    /// file by file, each file replaced whole, so a store that fails again keeps a whole
    /// copy of every file it had.
    replacing: Option<PathBuf>,
}

/// The run being recorded.
#[derive(Debug)]
struct RunDir {
    /// `BASEDIR/<id>`.
    dir: PathBuf,
    /// `BASEDIR/_tmp`.
    tmp: PathBuf,
    /// The contents of `run.json`.
    entry: Map<String, Value>,
    /// The metric points, on disk (`None` for a queued run).
    points: Option<Points>,
}

/// A source file to store in `_sources` (when not there yet).
struct PendingSource {
    dest: PathBuf,
    content: &'static [u8],
}

impl FileStorageObserver {
    /// An observer storing runs under `basedir`, which is created before the run starts
    /// ([`Observer::prepare`]) or on the first event.
    pub fn new(basedir: impl Into<PathBuf>) -> Self {
        Self {
            basedir: basedir.into(),
            run: None,
            claimed: None,
            replacing: None,
        }
    }

    /// The base directory, as given.
    pub fn basedir(&self) -> &Path {
        &self.basedir
    }

    /// The directory of the run being recorded, once it was created.
    pub fn run_dir(&self) -> Option<&Path> {
        self.run.as_ref().map(|run| run.dir.as_path())
    }

    /// The directory name of a given id.
    fn dir_name(id: &RunId) -> Result<String, ObserverError> {
        match id {
            RunId::Int(n) => Ok(n.to_string()),
            RunId::Str(s) => {
                validate_run_dir_name(s).map_err(ObserverError::new)?;
                Ok(s.clone())
            }
        }
    }

    /// The error for a given id whose directory exists.
    fn exists_error(path: &Path) -> ObserverError {
        ObserverError::new(format!(
            "the run directory `{}` exists already; the file storage never writes into an \
             existing run: give another id with -i/--id, or leave it out to get the next free \
             number",
            path.display()
        ))
    }

    /// Creates the run's directory: `BASEDIR/<id>` for a given id (which must not exist),
    /// or the next free number.
    fn make_run_dir(&mut self, id: Option<&RunId>) -> Result<(RunId, PathBuf), ObserverError> {
        if let Some(id) = id
            && let Some((claimed, dir)) = self.claimed.take()
        {
            if &claimed == id {
                return Ok((claimed, dir));
            }
            remove_claimed(&dir);
        }
        let Some(id) = id else {
            self.create_basedir()?;
            return self.allocate();
        };
        let dir = self.basedir.join(Self::dir_name(id)?);
        if self.replacing.as_ref() == Some(&dir) {
            self.replacing = None;
            return Ok((id.clone(), dir));
        }
        self.create_basedir()?;
        match std::fs::create_dir(&dir) {
            Ok(()) => Ok((id.clone(), dir)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Self::exists_error(&dir)),
            Err(e) => Err(io_error("create the directory", &dir, &e)),
        }
    }

    /// Creates the basedir and its parents, and its `_tmp`, if needed.
    fn create_basedir(&self) -> Result<(), ObserverError> {
        let tmp = self.tmp();
        std::fs::create_dir_all(&tmp).map_err(|e| io_error("create the directory", &tmp, &e))
    }

    /// `BASEDIR/_tmp`, where files are written before they are renamed into place.
    fn tmp(&self) -> PathBuf {
        self.basedir.join(TMP_DIR)
    }

    /// Creates `BASEDIR/<n>` for the largest all-digit directory name plus one, trying the
    /// next number when another run took it first (`create_dir` is atomic, so concurrent
    /// processes get distinct ids).
    fn allocate(&self) -> Result<(RunId, PathBuf), ObserverError> {
        let first = self.largest_id()?.checked_add(1).ok_or_else(|| {
            ObserverError::new(format!(
                "cannot allocate a run id in `{}`: the largest id is the largest integer",
                self.basedir.display()
            ))
        })?;
        let mut n = first;
        for _ in 0..ALLOCATION_ATTEMPTS {
            let dir = self.basedir.join(n.to_string());
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok((RunId::Int(n), dir)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error("create the directory", &dir, &e)),
            }
            n = n.checked_add(1).ok_or_else(|| {
                ObserverError::new(format!(
                    "cannot allocate a run id in `{}`: ids from {first} up are taken",
                    self.basedir.display()
                ))
            })?;
        }
        Err(ObserverError::new(format!(
            "cannot allocate a run id in `{}`: ids {first} to {} are all taken",
            self.basedir.display(),
            n - 1
        )))
    }

    /// The largest all-digit directory name in the basedir, 0 when there is none.
    fn largest_id(&self) -> Result<i64, ObserverError> {
        let entries = std::fs::read_dir(&self.basedir)
            .map_err(|e| io_error("list the directory", &self.basedir, &e))?;
        let mut largest = 0;
        for entry in entries {
            let entry = entry.map_err(|e| io_error("list the directory", &self.basedir, &e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(n) = name.parse::<i64>() else { continue };
            if n > largest && entry.path().is_dir() {
                largest = n;
            }
        }
        Ok(largest)
    }

    /// `experiment` as `run.json` records it, with each source as
    /// `[path, "_sources/<stem>_<md5><.ext>"]`, and the sources to store.
    fn experiment_entry(
        &self,
        experiment: &ExperimentRecord,
    ) -> Result<(Value, Vec<PendingSource>), ObserverError> {
        let mut sources = Vec::with_capacity(experiment.sources.len());
        let mut pending = Vec::with_capacity(experiment.sources.len());
        for source in &experiment.sources {
            let name = stored_name(Path::new(source.path), &md5_hex(source.content));
            sources.push(Value::Array(vec![
                Value::from(source.path),
                Value::from(format!("{SOURCES_DIR}/{name}")),
            ]));
            pending.push(PendingSource {
                dest: self.basedir.join(SOURCES_DIR).join(name),
                content: source.content,
            });
        }
        let repositories = serde_json::to_value(&experiment.repositories)
            .map_err(|e| ObserverError::new(format!("cannot encode the repositories: {e}")))?;
        let mut entry = object_map([
            ("base_dir", Value::from(experiment.base_dir.as_str())),
            ("dependencies", Value::from(experiment.dependencies.clone())),
            ("mainfile", Value::from(experiment.mainfile.as_str())),
            ("name", Value::from(experiment.name.as_str())),
            ("repositories", repositories),
            ("sources", Value::Array(sources)),
        ]);
        // A Rust addition beside Sacred's keys, written only when known, so a record of
        // Sacred's events stays byte for byte Sacred's.
        if !experiment.direct_dependencies.is_empty() {
            entry.insert(
                "direct_dependencies".to_owned(),
                Value::from(experiment.direct_dependencies.clone()),
            );
        }
        Ok((Value::Object(entry), pending))
    }

    /// Writes the sources that are not stored yet.
    fn store_sources(&self, pending: &[PendingSource]) -> Result<(), ObserverError> {
        for source in pending {
            if exists(&source.dest)? {
                continue;
            }
            create_parent(&source.dest)?;
            write_bytes(&self.tmp(), &source.dest, source.content)?;
        }
        Ok(())
    }

    /// The run being recorded, or an error naming the event that needs one.
    fn run_mut(&mut self, event: &str) -> Result<&mut RunDir, ObserverError> {
        self.run.as_mut().ok_or_else(|| {
            ObserverError::new(format!(
                "cannot record the {event}: the run has no directory in `{}` (it did not start)",
                self.basedir.display()
            ))
        })
    }

    /// Records how the run ended, if it has a directory (when the start failed, that error
    /// was reported already and there is nothing to update).
    fn finish(&mut self, fields: Vec<(&str, Value)>) -> Result<(), ObserverError> {
        let Some(run) = self.run.as_mut() else {
            return Ok(());
        };
        if run.points.as_ref().is_some_and(Points::behind) {
            run.save_metrics()?;
        }
        // `metrics.json` is whole: the points on disk are not needed any more.
        run.points = None;
        for (key, value) in fields {
            run.entry.insert(key.to_owned(), value);
        }
        run.save_entry()
    }
}

impl RunDir {
    /// Rewrites `run.json`.
    fn save_entry(&self) -> Result<(), ObserverError> {
        write_json(&self.tmp, &self.dir.join(RUN_JSON), &SortedMap(&self.entry))
    }

    /// Rewrites `metrics.json` from the points on disk.
    fn save_metrics(&mut self) -> Result<(), ObserverError> {
        match &mut self.points {
            Some(points) => points.write_json(&self.tmp, &self.dir.join(METRICS_JSON)),
            None => Ok(()),
        }
    }

    /// Appends `value` to the list under `key` in `run.json` (made a list when it is
    /// not one); when `unique`, only if the list does not hold it yet.
    fn push(&mut self, key: &str, value: Value, unique: bool) {
        let slot = self
            .entry
            .entry(key.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        match slot {
            Value::Array(list) => {
                if !(unique && list.contains(&value)) {
                    list.push(value);
                }
            }
            other => *other = Value::Array(vec![value]),
        }
    }
}

/// Puts the files directly in `dir`, and `dir` itself (its renames), on disk. Files that
/// did not change cost a system call each, no disk write.
fn sync_dir(dir: &Path) -> Result<(), ObserverError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("read", dir, &e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error("read", dir, &e))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            std::fs::File::open(&path)
                .and_then(|file| file.sync_all())
                .map_err(|e| io_error("sync", &path, &e))?;
        }
    }
    std::fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|e| io_error("sync", dir, &e))
}

impl Observer for FileStorageObserver {
    /// The store's files are written without waiting for the disk (the journal is the
    /// durable copy meanwhile); here, before the journal goes, the run's directory, the
    /// stored sources and resources are put on disk.
    fn join(&mut self, deadline: std::time::Instant) -> Result<(), ObserverError> {
        let _ = deadline;
        if let Some(run) = &self.run {
            sync_dir(&run.dir)?;
        }
        for dir in [SOURCES_DIR, RESOURCES_DIR] {
            sync_dir(&self.basedir.join(dir))?;
        }
        if exists(&self.basedir)? {
            std::fs::File::open(&self.basedir)
                .and_then(|handle| handle.sync_all())
                .map_err(|e| io_error("sync", &self.basedir, &e))?;
        }
        Ok(())
    }

    fn name(&self) -> String {
        format!("file storage {}", self.basedir.display())
    }

    fn priority(&self) -> i32 {
        20
    }

    fn replace_run(&mut self, run: &StartedEvent) -> Result<bool, ObserverError> {
        let Some(id) = &run.id else {
            return Ok(false);
        };
        let dir = self.basedir.join(Self::dir_name(id)?);
        if !exists(&dir)? {
            return Ok(false);
        }
        let path = dir.join(RUN_JSON);
        let stored: Value = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null);
        let started = run.start_time.to_string();
        if stored["start_time"].as_str() != Some(started.as_str()) {
            return Err(ObserverError::new(format!(
                "the run directory `{}` holds another run (started at {}, this one at \
                 {started}); it is left as it is",
                dir.display(),
                stored["start_time"].as_str().unwrap_or("an unknown time")
            )));
        }
        // Not removed: the run is written over it, each file replaced whole.
        self.replacing = Some(dir);
        Ok(true)
    }

    fn prepare(&mut self) -> Result<(), ObserverError> {
        let refused =
            |e: ObserverError| ObserverError::new(format!("{}; the run did not start", e.message));
        self.create_basedir().map_err(refused)?;
        let tmp = self.tmp();
        // What killed processes left half-written goes; the files of running ones stay.
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(crate::atomic::is_stale_temp)
                {
                    // A file half-written, or the metric points of a run (a directory).
                    let path = entry.path();
                    let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
                }
            }
        }
        // A file can be created there (not a read-only file system, not `/proc`).
        crate::atomic::AtomicFile::create_in(&tmp.join("probe"), &tmp)
            .map(drop)
            .map_err(|e| refused(io_error("write in", &tmp, &e)))
    }

    fn claim_id(&mut self, id: &RunId) -> Result<(), ObserverError> {
        if let Some((_, dir)) = self.claimed.take() {
            remove_claimed(&dir);
        }
        // `create_dir` is atomic: of processes claiming the same id, one creates it.
        let claimed = self.make_run_dir(Some(id))?;
        self.claimed = Some(claimed);
        Ok(())
    }

    fn sync_args(&self) -> Option<Vec<String>> {
        Some(vec!["-F".to_owned(), self.basedir.display().to_string()])
    }

    fn check_id(&self, id: &RunId) -> Result<(), ObserverError> {
        let dir = self.basedir.join(Self::dir_name(id)?);
        if exists(&dir)? && self.replacing.as_ref() != Some(&dir) {
            return Err(Self::exists_error(&dir));
        }
        Ok(())
    }

    fn queued(&mut self, event: &QueuedEvent) -> Result<Option<RunId>, ObserverError> {
        self.run = None;
        let (experiment, pending) = self.experiment_entry(&event.experiment)?;
        let mut meta = event.meta.clone();
        if let Value::Object(map) = &mut meta {
            map.entry("queue_time")
                .or_insert_with(|| Value::from(event.queue_time.to_string()));
        }
        let entry = object_map([
            ("command", Value::from(event.command.as_str())),
            ("experiment", experiment),
            ("host", event.host.clone()),
            ("meta", meta),
            ("status", Value::from("QUEUED")),
        ]);
        let (id, dir) = self.make_run_dir(event.id.as_ref())?;
        let run = self.run.insert(RunDir {
            dir,
            tmp: self.basedir.join(TMP_DIR),
            entry,
            points: None,
        });
        run.save_entry()?;
        write_json(&run.tmp, &run.dir.join(CONFIG_JSON), &Sorted(&event.config))?;
        self.store_sources(&pending)?;
        Ok(Some(id))
    }

    fn started(&mut self, event: &StartedEvent) -> Result<Option<RunId>, ObserverError> {
        self.run = None;
        let (experiment, pending) = self.experiment_entry(&event.experiment)?;
        let entry = object_map([
            ("artifacts", Value::Array(Vec::new())),
            ("command", Value::from(event.command.as_str())),
            ("experiment", experiment),
            ("heartbeat", Value::Null),
            ("host", event.host.clone()),
            ("meta", event.meta.clone()),
            ("resources", Value::Array(Vec::new())),
            ("start_time", Value::from(event.start_time.to_string())),
            ("status", Value::from("RUNNING")),
        ]);
        let (id, dir) = self.make_run_dir(event.id.as_ref())?;
        let tmp = self.tmp();
        let points = Points::create(&tmp, &Self::dir_name(&id)?)?;
        let run = self.run.insert(RunDir {
            dir,
            tmp,
            entry,
            points: Some(points),
        });
        run.save_entry()?;
        write_json(&run.tmp, &run.dir.join(CONFIG_JSON), &Sorted(&event.config))?;
        append(&run.dir.join(COUT_TXT), b"")?;
        run.save_metrics()?;
        self.store_sources(&pending)?;
        Ok(Some(id))
    }

    fn metrics(&mut self, event: &MetricsEvent) -> Result<(), ObserverError> {
        let run = self.run_mut("metrics")?;
        let Some(points) = &mut run.points else {
            return Err(ObserverError::new(
                "cannot record metrics: the run is not going on (queued, or ended)",
            ));
        };
        for series in &event.series {
            points.append(series)?;
        }
        if points.due() {
            run.save_metrics()?;
        }
        Ok(())
    }

    fn heartbeat(&mut self, event: &HeartbeatEvent) -> Result<(), ObserverError> {
        let run = self.run_mut("heartbeat")?;
        if !event.output.is_empty() {
            // Each chunk knows where it starts in the output: what the file has already
            // (a run stored again over what it kept) is not written twice.
            let path = run.dir.join(COUT_TXT);
            let have = std::fs::metadata(&path).map_or(0, |m| m.len());
            let bytes = event.output.as_bytes();
            let skip = usize::try_from(have.saturating_sub(event.output_offset))
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            if skip < bytes.len() {
                append(&path, &bytes[skip..])?;
            }
        }
        run.entry.insert(
            "heartbeat".to_owned(),
            Value::from(event.beat_time.to_string()),
        );
        run.entry.insert(
            "result".to_owned(),
            event.result.clone().unwrap_or(Value::Null),
        );
        run.save_entry()?;
        if event.info.as_object().is_some_and(|info| !info.is_empty()) {
            write_json(&run.tmp, &run.dir.join(INFO_JSON), &Sorted(&event.info))?;
        }
        Ok(())
    }

    fn artifact(&mut self, event: &ArtifactEvent) -> Result<(), ObserverError> {
        validate_artifact_name(&event.name).map_err(ObserverError::new)?;
        let run = self.run_mut("artifact")?;
        let dest = run.dir.join(&event.name);
        match &event.source {
            ArtifactSource::File(source) => copy_file(&run.tmp, source, &dest)?,
            ArtifactSource::Bytes(bytes) => write_bytes(&run.tmp, &dest, bytes)?,
        }
        run.push("artifacts", Value::from(event.name.as_str()), true);
        run.save_entry()
    }

    fn resource(&mut self, event: &ResourceEvent) -> Result<(), ObserverError> {
        let md5 = if is_md5_hex(&event.md5) {
            event.md5.to_ascii_lowercase()
        } else {
            md5_file(&event.path).map_err(|e| io_error("read", &event.path, &e))?
        };
        let name = stored_name(&event.path, &md5);
        let dest = self.basedir.join(RESOURCES_DIR).join(&name);
        let recorded = display_basedir(&self.basedir)
            .join(RESOURCES_DIR)
            .join(&name);
        let tmp = self.tmp();
        let run = self.run_mut("resource")?;
        if !exists(&dest)? {
            create_parent(&dest)?;
            copy_file(&tmp, &event.path, &dest)?;
        }
        let pair = Value::Array(vec![
            Value::from(event.path.to_string_lossy()),
            Value::from(recorded.to_string_lossy()),
        ]);
        run.push("resources", pair, false);
        run.save_entry()
    }

    fn completed(&mut self, event: &CompletedEvent) -> Result<(), ObserverError> {
        self.finish(vec![
            ("stop_time", Value::from(event.stop_time.to_string())),
            ("result", event.result.clone().unwrap_or(Value::Null)),
            ("status", Value::from("COMPLETED")),
        ])
    }

    fn interrupted(&mut self, event: &InterruptedEvent) -> Result<(), ObserverError> {
        self.finish(vec![
            ("stop_time", Value::from(event.interrupt_time.to_string())),
            ("status", Value::from(event.status.as_str())),
        ])
    }

    fn failed(&mut self, event: &FailedEvent) -> Result<(), ObserverError> {
        self.finish(vec![
            ("stop_time", Value::from(event.fail_time.to_string())),
            ("status", Value::from("FAILED")),
            ("fail_trace", Value::from(event.fail_trace.clone())),
        ])
    }
}

/// A JSON map of `pairs`.
fn object_map<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// Whether `path` exists (a dangling link counts: it would be written through).
/// Removes the directory of a claimed id that no run used (only when empty).
fn remove_claimed(dir: &Path) {
    let _ = std::fs::remove_dir(dir);
}

impl Drop for FileStorageObserver {
    fn drop(&mut self) {
        // An id claimed for a run that never started (another observer refused it).
        if let Some((_, dir)) = self.claimed.take() {
            remove_claimed(&dir);
        }
    }
}

fn exists(path: &Path) -> Result<bool, ObserverError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error("inspect", path, &e)),
    }
}

/// Creates the directory `path` goes into.
fn create_parent(path: &Path) -> Result<(), ObserverError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| io_error("create the directory", dir, &e))
        }
        _ => Ok(()),
    }
}
