//! The `sync` command: what run journals hold, sent to the observers that lack it.
//!
//! For each journal (the ones named, or every one in the journal directory): the
//! observers are those of `-F`/`-m` (or added to the environment), or else the ones the
//! run recorded as pending. An observer the journal records as having the run is skipped;
//! any other gets the whole run replayed, event by event, under the run's id, and the
//! journal records that it has it. A journal is removed once no observer of its run is
//! pending. A journal in use (its run is still going, another sync has it) is left alone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Entry, Journal, Record, Start};
use crate::cli::{Flags, parse};
use crate::log::{ERROR, Logger};
use crate::observer::{
    ArtifactEvent, ArtifactSource, CompletedEvent, ExperimentRecord, FailedEvent, HeartbeatEvent,
    InterruptedEvent, MetricSeries, MetricsEvent, Observer, Repository, ResourceEvent, RunId,
    SourceFile, StartedEvent,
};
use crate::settings::{DEFAULT_JOURNAL_DIR, Settings};
use crate::time::Timestamp;
use crate::{Env, Error, Outcome};

/// How long an observer gets to store a replayed run.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `sync` for `journals` (all in the journal directory when empty).
///
/// # Errors
/// The journal directory cannot be read, or `-m` cannot be served.
pub(crate) fn sync(
    program: &str,
    journals: &[String],
    flags: &Flags,
    env: &Env,
    logger: &Logger,
) -> Result<Outcome, Error> {
    let settings = Settings::load(env)?;
    let paths: Vec<PathBuf> = if journals.is_empty() {
        let dir = settings
            .journal_dir
            .clone()
            .unwrap_or_else(|| env.resolve(DEFAULT_JOURNAL_DIR));
        let paths = super::list(&dir).map_err(|source| Error::Journal {
            dir: dir.clone(),
            source,
        })?;
        if paths.is_empty() {
            logger.info(&format!("Nothing to send: no journal in {}", dir.display()));
            return Ok(Outcome::Done);
        }
        paths
    } else {
        journals.iter().map(|j| env.resolve(j)).collect()
    };
    let explicit = flags.file_storage.is_some() || flags.mongo_db.is_some();
    let mut missing = Vec::new();
    for path in &paths {
        if !path.exists() {
            logger.info(&format!(
                "Nothing to send from {}: no such journal (sent and removed already?)",
                path.display()
            ));
            continue;
        }
        let observers = if explicit {
            Some(crate::plan::observers(flags, &settings, env, logger)?)
        } else {
            let added = env.take_observers();
            (!added.is_empty()).then_some(added)
        };
        match send(program, path, observers, &settings, env, logger) {
            Ok(left) => missing.extend(left),
            Err(e) => {
                logger.log(ERROR, &format!("{}: {e}", path.display()));
                missing.push(format!("{}: {e}", path.display()));
            }
        }
    }
    if missing.is_empty() {
        return Ok(Outcome::Done);
    }
    logger.log(
        ERROR,
        &format!(
            "{} run(s) could not be sent everywhere; their journals are kept (exit code {})",
            missing.len(),
            crate::EXIT_INCOMPLETE
        ),
    );
    Ok(Outcome::Incomplete {
        outcome: Box::new(Outcome::Done),
        missing,
        journal: None,
    })
}

/// One more try, right after the run, for the observers in `names` (they failed after
/// their start: a store lost mid-run): they are built again from the run's own flags and
/// get the whole run from the journal, replacing the part they kept. Returns the names
/// that now have the run.
pub(crate) fn retry(
    program: &str,
    path: &Path,
    names: &[String],
    flags: &Flags,
    env: &Env,
    logger: &Logger,
) -> Vec<String> {
    let Ok(settings) = Settings::load(env) else {
        return Vec::new();
    };
    // Built again, these observers do not announce where the run goes a second time.
    let quiet = Logger {
        level: u8::MAX,
        ..logger.clone()
    };
    let Ok(observers) = crate::plan::observers(flags, &settings, env, &quiet) else {
        return Vec::new();
    };
    let observers: Vec<Box<dyn Observer>> = observers
        .into_iter()
        .filter(|o| names.contains(&o.name()))
        .collect();
    if observers.is_empty() {
        return Vec::new();
    }
    if send(program, path, Some(observers), &settings, env, logger).is_err() {
        return Vec::new();
    }
    if !path.exists() {
        return names.to_vec();
    }
    super::read(path)
        .map(|contents| {
            let state = State::of(&contents.records);
            names
                .iter()
                .filter(|name| state.stored.contains(name))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Sends one journal; what is still missing afterwards, one line each.
fn send(
    program: &str,
    path: &Path,
    observers: Option<Vec<Box<dyn Observer>>>,
    settings: &Settings,
    env: &Env,
    logger: &Logger,
) -> Result<Vec<String>, String> {
    let mut journal = Journal::open(path).map_err(|e| e.to_string())?;
    let contents = super::read(path).map_err(|e| e.to_string())?;
    if let Some(damage) = &contents.damage {
        logger.info(&format!(
            "{}: {damage}; sending the records before it",
            path.display()
        ));
    }
    let state = State::of(&contents.records);
    let observers = match observers {
        Some(observers) => observers,
        None if state.stored.is_empty() && state.pending.is_empty() => {
            // The run has not ended (it was killed): its observers have it up to its last
            // beat, as the journal does. The journal stays, to be sent with -F/-m.
            logger.info(&format!(
                "{} is the journal of a run that never ended (killed?): its observers have \
                 it up to its last beat; give -F or -m to send it elsewhere",
                path.display()
            ));
            return Ok(Vec::new());
        }
        None => pending_observers(&state, settings, env, logger)?,
    };
    let mut missing = Vec::new();
    for mut observer in observers {
        let name = observer.name();
        if state.stored.contains(&name) {
            logger.info(&format!("{name} has the run of {} already", path.display()));
            continue;
        }
        match replay(&contents.records, state.id.clone(), observer.as_mut()) {
            Ok(replayed) => {
                journal
                    .append(&Record::stored(name.clone(), replayed.id.clone()))
                    .and_then(|()| journal.sync())
                    .map_err(|e| e.to_string())?;
                let id = replayed
                    .id
                    .map(|id| format!("run {id}"))
                    .unwrap_or_else(|| "the run".to_owned());
                let replaced = if replayed.replaced {
                    ", replacing the part of it that was stored there"
                } else {
                    ""
                };
                logger.info(&format!(
                    "Sent {id} ({} metric points, {} artifacts) from {} to {name}{replaced}",
                    replayed.points,
                    replayed.artifacts,
                    path.display()
                ));
            }
            Err(e) => {
                logger.log(ERROR, &format!("{name}: {e}"));
                missing.push(format!("{name}: {e}"));
            }
        }
    }
    let now = super::read(path).map_err(|e| e.to_string())?;
    let state = State::of(&now.records);
    if state
        .pending
        .iter()
        .all(|(name, _)| state.stored.contains(name))
        && missing.is_empty()
    {
        journal.discard().map_err(|e| e.to_string())?;
        logger.info(&format!(
            "Every observer has the run of {}: the journal is removed",
            path.display()
        ));
    } else if missing.is_empty() {
        let left: Vec<&str> = state
            .pending
            .iter()
            .filter(|(name, _)| !state.stored.contains(name))
            .map(|(name, _)| name.as_str())
            .collect();
        missing.push(format!(
            "{} still lacks the run of {}; send it with `{program} sync {}` and the -F/-m of \
             that observer",
            left.join(", "),
            path.display(),
            path.display()
        ));
    }
    Ok(missing)
}

/// What a journal says about its run's observers.
struct State {
    /// The run's id, as its observers decided it.
    id: Option<RunId>,
    /// The observers that have the whole run.
    stored: Vec<String>,
    /// The observers that could not store it, with the flags that select them.
    pending: Vec<(String, Vec<String>)>,
}

impl State {
    fn of(records: &[Record]) -> Self {
        let mut state = State {
            id: None,
            stored: Vec::new(),
            pending: Vec::new(),
        };
        for record in records {
            match &record.entry {
                Entry::Id { id } => state.id.clone_from(id),
                Entry::Stored { observer, id } => {
                    state.stored.push(observer.clone());
                    if state.id.is_none() {
                        state.id.clone_from(id);
                    }
                }
                Entry::Pending { observer, args } => {
                    state.pending.push((observer.clone(), args.clone()));
                }
                _ => {}
            }
        }
        state
    }
}

/// The observers a run recorded as pending, built from the flags it recorded for them.
fn pending_observers(
    state: &State,
    settings: &Settings,
    env: &Env,
    logger: &Logger,
) -> Result<Vec<Box<dyn Observer>>, String> {
    let mut observers = Vec::new();
    for (name, args) in &state.pending {
        if state.stored.contains(name) {
            continue;
        }
        if args.is_empty() || args.iter().any(|a| a.contains(crate::secret::MASK)) {
            return Err(format!(
                "{name} cannot be selected again from what the journal keeps (its URL has a \
                 secret, or no flag selects it): give it with -F or -m"
            ));
        }
        let argv: Vec<String> = std::iter::once("sync".to_owned())
            .chain(args.iter().cloned())
            .collect();
        let flags = parse(&argv).map_err(|e| e.to_string())?.flags;
        observers.extend(
            crate::plan::observers(&flags, settings, env, logger).map_err(|e| e.to_string())?,
        );
    }
    Ok(observers)
}

/// What a replay sent.
struct Replayed {
    id: Option<RunId>,
    /// Whether the observer had part of the run, which was replaced.
    replaced: bool,
    points: usize,
    artifacts: usize,
}

/// Sends the run in `records` to `observer`, under `id` (or the id it allocates).
fn replay(
    records: &[Record],
    id: Option<RunId>,
    observer: &mut dyn Observer,
) -> Result<Replayed, String> {
    let fail = |e: crate::observer::ObserverError| e.message;
    let mut replayed = Replayed {
        id: None,
        replaced: false,
        points: 0,
        artifacts: 0,
    };
    // Only a journal that holds the run's end is the whole run.
    let whole = records.iter().any(|r| {
        matches!(
            r.entry,
            Entry::Completed { .. } | Entry::Failed { .. } | Entry::Interrupted { .. }
        )
    });
    // The start, as an event, built once (its sources live as long as the process).
    let Some(start) = records.iter().find_map(|r| match &r.entry {
        Entry::Started(start) => Some(started_event(start, &r.blobs, id.clone())),
        _ => None,
    }) else {
        return Err("the journal holds no start of a run".to_owned());
    };
    if let Some(id) = &id {
        if whole {
            // A run the observer stored only in part (it failed mid-run) is replaced whole.
            replayed.replaced = observer.replace_run(&start).map_err(fail)?;
        }
        observer.check_id(id).map_err(|e| {
            if whole {
                e.message
            } else {
                format!(
                    "{} (the journal has no end of the run, so it does not replace what is \
                     stored)",
                    e.message
                )
            }
        })?;
    }
    let mut started = false;
    for record in records {
        let blob = |i: usize| record.blobs.get(i).cloned().unwrap_or_default();
        match &record.entry {
            Entry::Started(_) => {
                replayed.id = observer.started(&start).map_err(fail)?.or(id.clone());
                started = true;
            }
            _ if !started => {}
            Entry::Metrics { series } => {
                let event = MetricsEvent::new(
                    series
                        .iter()
                        .map(|s| {
                            replayed.points += s.steps.len();
                            MetricSeries::new(
                                s.name.clone(),
                                s.steps.clone(),
                                s.values().collect(),
                                s.times.iter().map(|t| Timestamp::from_micros(*t)).collect(),
                            )
                        })
                        .collect(),
                );
                observer.metrics(&event).map_err(fail)?;
            }
            Entry::Heartbeat {
                beat_time,
                info,
                output,
                output_offset,
                result,
            } => observer
                .heartbeat(&HeartbeatEvent::new(
                    Timestamp::from_micros(*beat_time),
                    info.clone(),
                    output.clone(),
                    *output_offset,
                    result.clone(),
                ))
                .map_err(fail)?,
            Entry::Artifact {
                name,
                blob: index,
                path,
                content_type,
                metadata,
            } => {
                let source = match (index, path) {
                    (Some(i), _) => ArtifactSource::Bytes(Arc::from(blob(*i))),
                    (None, Some(path)) => ArtifactSource::File(path.clone()),
                    (None, None) => continue,
                };
                replayed.artifacts += 1;
                observer
                    .artifact(&ArtifactEvent::new(
                        name.clone(),
                        source,
                        content_type.clone(),
                        metadata.clone(),
                    ))
                    .map_err(fail)?;
            }
            Entry::Resource { path, md5 } => observer
                .resource(&ResourceEvent::new(path.clone(), md5.clone()))
                .map_err(fail)?,
            Entry::Completed { stop_time, result } => observer
                .completed(&CompletedEvent::new(
                    Timestamp::from_micros(*stop_time),
                    result.clone(),
                ))
                .map_err(fail)?,
            Entry::Failed {
                fail_time,
                fail_trace,
            } => observer
                .failed(&FailedEvent::new(
                    Timestamp::from_micros(*fail_time),
                    fail_trace.clone(),
                ))
                .map_err(fail)?,
            Entry::Interrupted {
                interrupt_time,
                status,
            } => observer
                .interrupted(&InterruptedEvent::new(
                    Timestamp::from_micros(*interrupt_time),
                    status.clone(),
                ))
                .map_err(fail)?,
            Entry::Id { .. } | Entry::Stored { .. } | Entry::Pending { .. } => {}
        }
    }
    observer.join(Instant::now() + JOIN_TIMEOUT).map_err(fail)?;
    Ok(replayed)
}

/// The start of the run, as an event. The sources live as long as the process: a `sync`
/// is short, and observers take sources as `'static`, as a run's are.
fn started_event(start: &Start, blobs: &[Vec<u8>], id: Option<RunId>) -> StartedEvent {
    let sources: Vec<SourceFile> = start
        .sources
        .iter()
        .map(|(path, blob)| SourceFile {
            path: Box::leak(path.clone().into_boxed_str()),
            content: Box::leak(
                blobs
                    .get(*blob)
                    .cloned()
                    .unwrap_or_default()
                    .into_boxed_slice(),
            ),
        })
        .collect();
    let repositories = start
        .repositories
        .iter()
        .map(|(url, commit, dirty)| Repository::new(url.clone(), commit.clone(), *dirty, ""))
        .collect();
    StartedEvent::new(
        id.or_else(|| start.id.clone()),
        Arc::new(ExperimentRecord::new(
            start.name.clone(),
            start.base_dir.clone(),
            start.mainfile.clone(),
            sources,
            start.dependencies.clone(),
            repositories,
        )),
        start.command.clone(),
        start.host.clone(),
        Timestamp::from_micros(start.start_time),
        start.config.clone(),
        start.meta.clone(),
    )
}
