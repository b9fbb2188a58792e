//! Runs on many machines: `sweep` expands a grid of config values into runs (run here, in
//! processes of their own, or queued), `worker` claims queued runs from a shared store and
//! runs each in a process of its own, `rerun` runs a stored run again, `dead` finds runs
//! whose process died.
//!
//! A run started by one of these is an ordinary run of this binary: it is journaled and
//! recorded by its observers like any other. Its parent passes it extra `meta` entries
//! (the sweep's id and point) in [`META_VAR`].

mod args;
mod dead;
mod rerun;
mod stop;
mod sweep;
mod worker;

pub(crate) use dead::dead;
pub(crate) use rerun::rerun;
pub(crate) use sweep::sweep;
pub(crate) use worker::worker;

use std::process::{Child, Command as Process, Stdio};

use serde_json::{Map, Value};

use crate::cli::Flags;
use crate::experiment::Experiment;
use crate::observer::{ObserverError, RunStore};
use crate::seed::SEED_KEY;
use crate::{Env, Error};

/// The environment variable in which a parent process (a sweep) gives its child the
/// entries to add to the run's `meta`, as a JSON object.
pub(crate) const META_VAR: &str = "SACRED_RUN_META";

/// The `meta` entries the parent process of this run gave it in [`META_VAR`].
///
/// # Errors
/// The variable does not hold a JSON object.
pub(crate) fn parent_meta(env: &Env) -> Result<Map<String, Value>, Error> {
    let Some(text) = env.var(META_VAR) else {
        return Ok(Map::new());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::usage(format!(
            "{META_VAR} must hold a JSON object of `meta` entries, not `{}`",
            text.escape_debug()
        ))),
    }
}

/// The store of queued runs that `-m` names, for `command`.
///
/// # Errors
/// No `-m`, a malformed one, a binary without MongoDB support, or a store that cannot be
/// reached.
pub(crate) fn store(flags: &Flags, env: &Env, command: &str) -> Result<Box<dyn RunStore>, Error> {
    let Some(spec) = flags.mongo_db.as_deref() else {
        return Err(Error::usage(format!(
            "`{command}` needs the database of the queue: give `-m DB` (`host:port:db` or a \
             `mongodb://` URI)"
        )));
    };
    let masked = crate::secret::mask_url(spec);
    env.mongo_factory(&format!("-m/--mongo_db `{masked}`"))?
        .store(spec)
        .map_err(|e| ObserverError::new(masked.scrub(&e.message)))
        .map_err(store_failed(&format!("reach the queue at `{masked}`")))
}

/// The runtime's error for a store that failed to `action` (`claim a queued run`), its
/// message as the cause.
pub(crate) fn store_failed(action: &str) -> impl Fn(ObserverError) -> Error + Copy + '_ {
    move |e| Error::Io {
        action: action.to_owned(),
        source: std::io::Error::other(e.message),
    }
}

/// The config `stored` as it applies to `E` now: the values of its parameters (the seed
/// included); keys the experiment no longer has are left out.
///
/// # Errors
/// `stored` is not a JSON object (a missing or corrupted `config`); the reason names it.
pub(crate) fn stored_config<E: Experiment>(stored: &Value) -> Result<Map<String, Value>, String> {
    let Some(map) = stored.as_object() else {
        let mut shown = stored.to_string();
        if shown.chars().count() > 60 {
            shown = shown.chars().take(60).chain("…".chars()).collect();
        }
        return Err(format!(
            "the stored `config` is `{shown}`; expected a JSON object of config values"
        ));
    };
    Ok(map
        .iter()
        .filter(|(key, _)| {
            key.as_str() == SEED_KEY || E::INFO.params.iter().any(|p| p.name == key.as_str())
        })
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect())
}

/// Starts this binary again as a child process with `args` (without the program name), in
/// the working directory of `env`, with `meta` in [`META_VAR`]; its output goes to this
/// process's. The child takes this process's requests to stop (see [`stop`]).
///
/// # Errors
/// The binary cannot be found or started.
pub(crate) fn spawn_self(env: &Env, args: &[String], meta: Option<&Value>) -> Result<Child, Error> {
    let io = |action: &str, source| Error::Io {
        action: action.to_owned(),
        source,
    };
    let exe = std::env::current_exe().map_err(|e| io("find this program's binary", e))?;
    let mut process = Process::new(exe);
    process
        .args(args)
        .current_dir(env.cwd())
        .stdin(Stdio::null())
        .env_remove(META_VAR)
        .env(crate::signals::STOP_REQUEST_VAR, "1");
    if let Some(meta) = meta {
        process.env(META_VAR, meta.to_string());
    }
    process
        .spawn()
        .map_err(|e| io("start a run in a process of its own", e))
}
