//! `rerun ID`: a stored run (from `-m` or `-F`) run again with its stored config and seed,
//! recorded as a new run whose `meta.rerun_of` is ID.

use serde_json::{Map, Value};

use super::{store, store_failed, stored_config};
use crate::cli::{Flags, Update};
use crate::experiment::Experiment;
use crate::lifecycle::{Request, run_observed};
use crate::log::Logger;
use crate::observer::RunId;
use crate::{Env, Error, Outcome};

/// Runs the stored run `id` again.
///
/// # Errors
/// Neither `-m` nor `-F`, no run `id` there, a stored config this experiment refuses, or
/// the errors of any run.
pub(crate) fn rerun<E: Experiment>(
    program: &str,
    id: &str,
    flags: &Flags,
    env: &Env,
    logger: &Logger,
) -> Result<Outcome, Error> {
    let run_id = RunId::parse(id);
    let (command, config) = if flags.mongo_db.is_some() {
        let mut store = store(flags, env, "rerun")?;
        let stored = store
            .load(&run_id)
            .map_err(store_failed(&format!("read the run {id}")))?;
        let stored = stored.ok_or_else(|| {
            Error::usage(format!(
                "`rerun {id}`: there is no run {id} in {}",
                store.name()
            ))
        })?;
        (stored.command, stored.config)
    } else if let Some(dir) = &flags.file_storage {
        let path = env.resolve(dir).join(id).join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::usage(format!(
                "`rerun {id}`: cannot read the config of run {id} at {}: {e}",
                path.display()
            ))
        })?;
        let config = serde_json::from_str(&text).map_err(|e| {
            Error::usage(format!(
                "`rerun {id}`: {} is no JSON config: {e}",
                path.display()
            ))
        })?;
        ("main".to_owned(), config)
    } else {
        return Err(Error::usage(format!(
            "`rerun {id}` needs the store of the run: give `-m DB` or `-F DIR`"
        )));
    };
    if !command.is_empty() && command != "main" {
        return Err(Error::usage(format!(
            "`rerun {id}`: the run ran the command `{command}`; only runs of the experiment \
             function (`main`) can be run again"
        )));
    }
    let updates: Vec<Update> = stored_config::<E>(&config)
        .map_err(|reason| Error::usage(format!("`rerun {id}`: {reason}")))?
        .into_iter()
        .map(|(key, value)| Update::Set {
            token: format!("{key}={value}"),
            key,
            value,
        })
        .collect();
    let (config, resolved) = crate::config::resolve::<E>(&updates, flags.force, env)?;
    let mut meta = Map::new();
    meta.insert(
        "rerun_of".to_owned(),
        serde_json::to_value(&run_id).unwrap_or(Value::Null),
    );
    let request = Request {
        program,
        flags,
        updates: &updates,
        command: "main",
        meta,
    };
    run_observed(config, resolved, &request, logger, env)
}
