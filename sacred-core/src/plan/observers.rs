//! Which observers record a run: the flags, else the project's defaults, else `./runs`.

use crate::cli::Flags;
use crate::log::Logger;
use crate::observer::Observer;
use crate::observer::file::FileStorageObserver;
use crate::secret::mask_url;
use crate::settings::{DEFAULT_FILE_STORAGE, Settings};
use crate::{Env, Error};

/// The observers of this run, highest [`Observer::priority`] first: none with `-u`; those
/// of `-F DIR` and `-m SPEC`; without either, the project defaults (`SACRED_MONGO_URL` or
/// `sacred.toml`'s `mongo_url`, `SACRED_FILE_STORAGE` or `sacred.toml`'s `file_storage`),
/// and file storage under `./runs` when nothing is configured. Plus the observers added to
/// the environment. Says where the run is recorded when the defaults chose.
///
/// # Errors
/// A `-m` argument or configured URL that is malformed, or that this binary cannot serve
/// (built without the `mongo` feature).
pub(crate) fn select(
    flags: &Flags,
    settings: &Settings,
    env: &Env,
    logger: &Logger,
) -> Result<Vec<Box<dyn Observer>>, Error> {
    let mut observers = chosen(flags, settings, env, logger)?;
    observers.sort_by_key(|o| std::cmp::Reverse(o.priority()));
    Ok(observers)
}

fn chosen(
    flags: &Flags,
    settings: &Settings,
    env: &Env,
    logger: &Logger,
) -> Result<Vec<Box<dyn Observer>>, Error> {
    let mut observers: Vec<Box<dyn Observer>> = env.take_observers();
    if flags.unobserved {
        return Ok(Vec::new());
    }
    let explicit = flags.file_storage.is_some() || flags.mongo_db.is_some();
    if let Some(dir) = &flags.file_storage {
        observers.push(Box::new(FileStorageObserver::new(dir)));
    }
    if let Some(spec) = &flags.mongo_db {
        observers.push(mongo(env, spec, "-m/--mongo_db")?);
    }
    if explicit || !observers.is_empty() {
        return Ok(observers);
    }
    let mut shown = Vec::new();
    if let Some(url) = &settings.mongo_url {
        observers.push(mongo(env, url, "the configured mongo_url")?);
        shown.push(format!("MongoDB {}", mask_url(url)));
    }
    if let Some(dir) = &settings.file_storage {
        observers.push(Box::new(FileStorageObserver::new(dir)));
        shown.push(dir.display().to_string());
    }
    if observers.is_empty() {
        observers.push(Box::new(FileStorageObserver::new(
            env.resolve(DEFAULT_FILE_STORAGE),
        )));
        shown.push(format!("./{DEFAULT_FILE_STORAGE}"));
    }
    if !flags.debug {
        logger.info(&format!(
            "Recording the run in {} (-F DIR or -m DB elsewhere, -u for none)",
            shown.join(" and ")
        ));
    }
    Ok(observers)
}

/// The MongoDB observer, built by the factory the `sacred` facade registers with its
/// `mongo` feature.
fn mongo(env: &Env, spec: &str, origin: &str) -> Result<Box<dyn Observer>, Error> {
    let masked = mask_url(spec);
    env.mongo_factory(&format!("{origin} `{masked}`"))?
        .mongo(spec)
        .map_err(|e| Error::usage(format!("{origin} `{masked}`: {}", masked.scrub(&e.message))))
}
