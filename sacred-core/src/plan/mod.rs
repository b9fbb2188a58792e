//! What a run will do, settled once before it starts: its observers, the id it was given,
//! the capture mode, the beat interval and the environment variables it records.
//!
//! Precedence is implemented here and nowhere else: command-line flags win over
//! [`Settings`], in which environment variables win over `sacred.toml`.

mod observers;

pub(crate) use observers::select as observers;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{CaptureMode, Flags};
use crate::log::Logger;
use crate::observer::{Observer, Repository, RunId};
use crate::settings::{DEFAULT_JOURNAL_DIR, Settings};
use crate::{Env, Error};

/// Sacred's default beat interval, in seconds.
pub(crate) const DEFAULT_BEAT_INTERVAL: f64 = 10.0;

/// A run's settings, resolved from the flags, the settings and the environment.
pub(crate) struct RunPlan {
    /// Highest priority first; the first one allocates the run's id.
    pub(crate) observers: Vec<Box<dyn Observer>>,
    /// `-i/--id`, checked against every observer.
    pub(crate) given_id: Option<RunId>,
    /// How output is captured.
    pub(crate) capture: CaptureMode,
    /// How often the observers get a beat; `None`: only at the end.
    pub(crate) beat_interval: Option<Duration>,
    /// The variables recorded in `host.ENV`.
    pub(crate) captured_env: Vec<String>,
    /// The repositories, when `-e/--enforce_clean` had to look them up before the run.
    pub(crate) repositories: Option<Vec<Repository>>,
    /// Where the run's journal goes.
    pub(crate) journal_dir: PathBuf,
}

impl RunPlan {
    /// Resolves the plan of a run of the experiment whose sources are in `base_dir`.
    ///
    /// # Errors
    /// A malformed `sacred.toml` or observer argument, an observer that cannot store the
    /// run (a `-F` directory that cannot be written), a given id an observer refuses, or a
    /// dirty repository under `-e/--enforce_clean`.
    pub(crate) fn resolve(
        flags: &Flags,
        env: &Env,
        logger: &Logger,
        base_dir: &Path,
    ) -> Result<Self, Error> {
        let settings = Settings::load(env)?;
        let mut observers = observers::select(flags, &settings, env, logger)?;
        // Refusals that write nothing come first; then the id is taken and the stores are
        // checked, which creates directories.
        let repositories = if flags.enforce_clean {
            let repositories = crate::record::repositories(base_dir);
            crate::record::enforce_clean(&repositories).map_err(Error::Refused)?;
            Some(repositories)
        } else {
            None
        };
        let given_id = flags.id.as_ref().map(|id| RunId::Str(id.clone()));
        if let Some(id) = &given_id {
            for observer in &mut observers {
                observer.claim_id(id).map_err(|e| Error::Observer {
                    observer: observer.name(),
                    reason: e.message,
                })?;
            }
        }
        for observer in &mut observers {
            observer.prepare().map_err(|e| Error::Observer {
                observer: observer.name(),
                reason: e.message,
            })?;
        }
        let capture = flags.capture.or(settings.capture).unwrap_or(
            if observers.is_empty() || !env.is_process() {
                CaptureMode::No
            } else {
                CaptureMode::Fd
            },
        );
        let beat = flags
            .beat_interval
            .or(settings.beat_interval)
            .unwrap_or(DEFAULT_BEAT_INTERVAL);
        Ok(Self {
            observers,
            given_id,
            capture,
            beat_interval: (beat > 0.0).then(|| Duration::from_secs_f64(beat)),
            captured_env: settings.captured_env,
            repositories,
            journal_dir: settings
                .journal_dir
                .unwrap_or_else(|| env.resolve(DEFAULT_JOURNAL_DIR)),
        })
    }
}
