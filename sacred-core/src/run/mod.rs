//! The handle an experiment function receives: seeds, generators, metrics, artifacts,
//! resources and info. Everything it records goes to the run's pump thread; nothing here
//! waits on an observer.

mod artifact;
mod metrics;
mod progress;
mod shared;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::Error;
use crate::observer::{
    ArtifactEvent, ArtifactSource, ResourceEvent, RunId, file::validate_artifact_name,
};
use crate::seed::{self, SeededRng};
use crate::sync::lock;

pub use artifact::ArtifactOptions;
use artifact::{SNAPSHOT_LIMIT, guess_content_type};
use metrics::MetricInfo;
pub use progress::Progress;
pub(crate) use progress::around_bar;
pub(crate) use shared::{EndReport, ObserverFailure, RunEnd, RunMessage, Shared};

/// A running experiment. The experiment function receives it as `&Run`; it is `Send + Sync`
/// and usable from many threads at once.
///
/// ```
/// use sacred_core::{Error, Run};
/// use rand::RngExt as _;
///
/// fn train(run: &Run) -> Result<f64, Error> {
///     let loss = run.metric("training.loss"); // resolved once, for hot loops
///     for step in 0..100 {
///         loss.log(1.0 / f64::from(step + 1)); // steps 0, 1, 2…
///     }
///     run.log_scalar("accuracy", 0.9); // by name
///     run.add_artifact_bytes("notes.txt", "converged")?;
///     run.set_info("best_step", 99)?;
///     // The same seed gives the same numbers on every machine.
///     let noise: f64 = run.rng_for("noise").random();
///     Ok(noise)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Run {
    shared: Arc<Shared>,
}

/// A pre-resolved metric, for hot loops: `let loss = run.metric("loss"); loss.log(v);`.
#[derive(Debug, Clone)]
pub struct Metric {
    info: Arc<MetricInfo>,
    metrics: metrics::Metrics,
}

impl Metric {
    /// Logs a value at the metric's next step.
    #[inline]
    pub fn log(&self, value: impl Into<f64>) {
        self.metrics.push(&self.info, value.into(), None);
    }

    /// Logs a value at an explicit step.
    #[inline]
    pub fn log_at(&self, value: impl Into<f64>, step: u64) {
        self.metrics.push(&self.info, value.into(), Some(step));
    }

    /// The metric's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }
}

impl Run {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The run's id as its first observer allocated it (`1`, `2`, … for file storage), or
    /// the one given with `-i`; `None` for an unobserved run. Waits until the observers have
    /// seen the start of the run.
    pub fn id(&self) -> Option<RunId> {
        self.shared.id.get()
    }

    /// The root seed of this run: the config's `seed`.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// The sub-seed called `name`: a stable function of the root seed and the name (see
    /// [`crate::seed`]). The same root seed gives the same sub-seeds on every machine.
    pub fn seed_for(&self, name: &str) -> u64 {
        seed::seed_for(self.shared.seed, name)
    }

    /// A generator seeded from the root seed. Every call returns a generator at the start of
    /// the same stream; use [`Run::rng_for`] for independent streams.
    pub fn rng(&self) -> SeededRng {
        seed::rng_from_seed(self.shared.seed)
    }

    /// A generator seeded from [`Run::seed_for`]`(name)`.
    pub fn rng_for(&self, name: &str) -> SeededRng {
        seed::rng_from_seed(self.seed_for(name))
    }

    /// The experiment's name (or the `-n/--name` given for this run).
    pub fn experiment_name(&self) -> &str {
        &self.shared.experiment_name
    }

    /// The resolved config, as recorded.
    pub fn config(&self) -> &serde_json::Value {
        &self.shared.config
    }

    /// Logs a scalar under `name` at the next step of that metric: 0 for the first value,
    /// then one past the last step logged for it (explicit steps included), as Sacred does.
    pub fn log_scalar(&self, name: &str, value: impl Into<f64>) {
        self.shared.metrics.push_by_name(name, value.into(), None);
    }

    /// Logs a scalar under `name` at an explicit step.
    pub fn log_scalar_at(&self, name: &str, value: impl Into<f64>, step: u64) {
        self.shared
            .metrics
            .push_by_name(name, value.into(), Some(step));
    }

    /// A handle to the metric called `name` that skips the lookup by name on every call.
    pub fn metric(&self, name: &str) -> Metric {
        Metric {
            info: self.shared.metrics.get(name),
            metrics: self.shared.metrics.clone(),
        }
    }

    /// A progress bar of `total` steps called `name`, whose position is also logged as
    /// the metric `name` (see [`Progress`]).
    ///
    /// ```
    /// # fn train(run: &sacred_core::Run) {
    /// let epochs = run.progress("epoch", 10);
    /// for _ in 0..10 {
    ///     // … one epoch …
    ///     epochs.inc(1);
    /// }
    /// epochs.finish();
    /// # }
    /// ```
    pub fn progress(&self, name: &str, total: u64) -> Progress {
        Progress::new(name, total, self.metric(name))
    }

    /// Stores a file with the run, under its file name. A file up to 64 MiB is read at once,
    /// so it may change right after; a larger one is copied by the observers in the
    /// background: leave it in place until the run ends.
    ///
    /// # Errors
    /// The file cannot be read, or its name is not a valid artifact name.
    pub fn add_artifact(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.add_artifact_with(path, ArtifactOptions::new())
    }

    /// Stores a file with the run, with a name, a content type and metadata.
    ///
    /// # Errors
    /// The file cannot be read, or the name is not a valid artifact name.
    pub fn add_artifact_with(
        &self,
        path: impl AsRef<Path>,
        options: ArtifactOptions,
    ) -> Result<(), Error> {
        let path = self.absolute(path.as_ref());
        let name = match options.name {
            Some(name) => name,
            None => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
        };
        let fail = |reason: String| Error::Artifact {
            name: name.clone(),
            reason,
        };
        validate_artifact_name(&name).map_err(fail)?;
        let metadata = std::fs::metadata(&path)
            .map_err(|e| fail(format!("cannot read `{}`: {e}", path.display())))?;
        if !metadata.is_file() {
            return Err(fail(format!(
                "`{}` is not a file; expected a file to store",
                path.display()
            )));
        }
        let content_type = options
            .content_type
            .or_else(|| guess_content_type(&name).map(str::to_owned));
        // Files up to SNAPSHOT_LIMIT are read now, so the run keeps the content they had when
        // added even if the experiment overwrites or deletes them next (checkpoints often
        // are); larger ones are copied by the observers in the background.
        let source = if metadata.len() <= SNAPSHOT_LIMIT {
            let bytes = std::fs::read(&path)
                .map_err(|e| fail(format!("cannot read `{}`: {e}", path.display())))?;
            ArtifactSource::Bytes(Arc::from(bytes))
        } else {
            ArtifactSource::File(path)
        };
        self.shared.send(RunMessage::Artifact(ArtifactEvent {
            name,
            source,
            content_type,
            metadata: options.metadata,
        }));
        Ok(())
    }

    /// Stores bytes with the run as an artifact called `name`.
    ///
    /// # Errors
    /// The name is not a valid artifact name.
    pub fn add_artifact_bytes(&self, name: &str, bytes: impl Into<Vec<u8>>) -> Result<(), Error> {
        validate_artifact_name(name).map_err(|reason| Error::Artifact {
            name: name.to_owned(),
            reason,
        })?;
        self.shared.send(RunMessage::Artifact(ArtifactEvent {
            name: name.to_owned(),
            source: ArtifactSource::Bytes(Arc::from(bytes.into())),
            content_type: guess_content_type(name).map(str::to_owned),
            metadata: None,
        }));
        Ok(())
    }

    /// Opens a file the run reads, and records it as a resource (its path and md5).
    ///
    /// # Errors
    /// The file cannot be opened or read.
    pub fn open_resource(&self, path: impl AsRef<Path>) -> Result<File, Error> {
        let given = path.as_ref();
        let path = self.absolute(given);
        let md5 = crate::digest::md5_file(&path).map_err(|source| Error::Resource {
            path: given.to_path_buf(),
            source,
        })?;
        let file = File::open(&path).map_err(|source| Error::Resource {
            path: given.to_path_buf(),
            source,
        })?;
        self.shared
            .send(RunMessage::Resource(ResourceEvent { path, md5 }));
        Ok(file)
    }

    /// Records a file the run reads as a resource (its path and md5).
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn add_resource(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.open_resource(path).map(drop)
    }

    /// Sets `key` in the run's info (sent with every beat; `info.json` in file storage).
    ///
    /// # Errors
    /// The value cannot be serialised.
    pub fn set_info(&self, key: &str, value: impl Serialize) -> Result<(), Error> {
        let value = serde_json::to_value(value).map_err(|e| Error::Info {
            key: key.to_owned(),
            reason: e.to_string(),
        })?;
        lock(&self.shared.info).insert(key.to_owned(), value);
        Ok(())
    }

    /// The run's info so far.
    pub fn info(&self) -> serde_json::Value {
        self.shared.info_snapshot()
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.shared.cwd.join(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run::from_shared(Arc::new(Shared::new(
            "t".into(),
            1,
            serde_json::json!({"seed": 1}),
            std::env::temp_dir(),
        )))
    }

    #[test]
    fn steps_count_per_name_and_continue_after_explicit_steps() {
        let run = run();
        run.log_scalar("a", 1.0);
        run.log_scalar("a", 2.0);
        run.log_scalar("b", 3);
        run.log_scalar_at("a", 4.0, 10);
        let handle = run.metric("a");
        handle.log(5.0);
        let series = run.shared.metrics.drain();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].name, "a");
        assert_eq!(series[0].steps, [0, 1, 10, 11]);
        assert_eq!(series[0].values, [1.0, 2.0, 4.0, 5.0]);
        assert_eq!(series[1].steps, [0]);
        assert!(run.shared.metrics.drain().is_empty(), "drained once");
        run.log_scalar("a", 6.0);
        assert_eq!(run.shared.metrics.drain()[0].steps, [12]);
    }

    #[test]
    fn run_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Run>();
        check::<Metric>();
    }

    #[test]
    fn bad_artifacts_and_resources_are_errors() {
        let run = run();
        assert!(matches!(
            run.add_artifact("/nonexistent/file.txt"),
            Err(Error::Artifact { .. })
        ));
        assert!(matches!(
            run.add_artifact_bytes("../escape", b"x".to_vec()),
            Err(Error::Artifact { .. })
        ));
        assert!(matches!(
            run.add_artifact_bytes(&"n".repeat(300), b"x".to_vec()),
            Err(Error::Artifact { .. })
        ));
        assert!(matches!(
            run.open_resource("/nonexistent/data.csv"),
            Err(Error::Resource { .. })
        ));
    }

    #[test]
    fn info_keeps_serialised_values() {
        let run = run();
        run.set_info("notes", serde_json::json!({"best": 2}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.info(), serde_json::json!({"notes": {"best": 2}}));
    }
}
