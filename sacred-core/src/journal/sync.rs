//! The `sync` command: what run journals hold, sent to the observers that lack it.
//!
//! For each journal (the ones named, or every one in the journal directory): the
//! observers are those of `-F`/`-m` (or added to the environment), or else the ones the
//! run recorded as pending. An observer the journal records as having the run is skipped;
//! any other gets the whole run replayed, event by event, under the run's id, and the
//! journal records that it has it. A journal is removed once no observer of its run is
//! pending. A journal in use (its run is still going, another sync has it) is left alone.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::replay::{Sent, apply, is_end, started_event};
use super::{Entry, Journal, Record};
use crate::cli::{Flags, parse};
use crate::log::{ERROR, Logger};
use crate::observer::{Observer, RunId};
use crate::settings::{DEFAULT_JOURNAL_DIR, Settings};
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
        journal.discard().map_err(|(_, e)| e.to_string())?;
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
    let whole = records.iter().any(is_end);
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
    let mut sent = Sent::default();
    for record in records {
        match &record.entry {
            Entry::Started(_) => {
                replayed.id = observer.started(&start).map_err(fail)?.or(id.clone());
                started = true;
            }
            _ if !started => {}
            _ => apply(record, observer, &mut sent).map_err(fail)?,
        }
    }
    replayed.points = sent.points;
    replayed.artifacts = sent.artifacts;
    observer.join(Instant::now() + JOIN_TIMEOUT).map_err(fail)?;
    Ok(replayed)
}
