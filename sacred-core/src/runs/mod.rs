//! `runs`: list, show, compare, export, plot and remove recorded runs, from file storage
//! or MongoDB, through one [`RunReader`] interface.
//!
//! Every experiment binary has it as a built-in command (`BIN runs ls`, its own runs by
//! default), and the `sacred` binary of the facade runs it for runs of any experiment,
//! those Python Sacred wrote included. The subcommands, one module each: `ls`, `show`,
//! `diff`, `metrics` (and `export`), `plot`, `rm`; `args` parses the command line, `filter`
//! selects runs, `format` holds what they print alike; [`FileReader`] reads file storage
//! and `sacred-mongo` implements [`RunReader`] for MongoDB.

mod args;
mod diff;
mod file;
mod filter;
mod format;
mod ls;
mod metrics;
#[cfg(feature = "plot")]
mod plot;
mod reader;
mod rm;
mod show;

use std::path::PathBuf;

pub use file::FileReader;
pub use reader::{Artifact, Listed, Query, ReadError, RunReader, RunRecord, Series, Summary};

use crate::settings::{DEFAULT_FILE_STORAGE, Settings};
use crate::time::Timestamp;
use crate::{Env, Error};
use args::{RunsArgs, Sub};

/// Runs `runs ARGS…` (`args` are the words after `runs`) in `env`, printing to its output.
/// `own` is the experiment whose runs are listed by default (a binary's own; `None` for the
/// `sacred` tool, which lists every run).
///
/// ```
/// use sacred_core::Env;
///
/// let dir = tempfile::tempdir().unwrap();
/// let env = Env::captured(dir.path());
/// std::fs::create_dir(dir.path().join("runs")).unwrap();
/// sacred_core::runs::run_from("sacred", &["ls".to_owned()], &env, None).unwrap();
/// assert_eq!(env.stdout_text(), "no runs in file storage `runs`\n");
/// ```
///
/// # Errors
/// Bad input (an unknown subcommand, flag or id, a malformed filter: exit code 2 for usage
/// mistakes, 1 for ids and stores) and stores that cannot be read; each message names what
/// was wrong and what was expected.
pub fn run_from(program: &str, args: &[String], env: &Env, own: Option<&str>) -> Result<(), Error> {
    let parsed = args::parse(program, args)?;
    let Some(sub) = parsed.sub.filter(|s| *s != Sub::Help) else {
        env.out(&args::usage(program));
        return Ok(());
    };
    let reader = open(&parsed, env)?;
    let context = Context {
        reader: reader.as_ref(),
        env,
        args: &parsed,
        own,
        now: Timestamp::now(),
    };
    match sub {
        Sub::Ls => ls::ls(&context),
        Sub::Show => show::show(&context),
        Sub::Diff => diff::diff(&context),
        Sub::Metrics => metrics::metrics(&context),
        Sub::Export => metrics::export(&context),
        Sub::Plot => plot(&context),
        Sub::Rm => rm::rm(&context),
        Sub::Help => Ok(()),
    }
}

#[cfg(feature = "plot")]
fn plot(context: &Context<'_>) -> Result<(), Error> {
    plot::plot(context)
}

#[cfg(not(feature = "plot"))]
fn plot(_: &Context<'_>) -> Result<(), Error> {
    Err(Error::usage(
        "`runs plot`: this binary was built without plotting; expected the `plot` feature \
         of sacred: sacred = { version = \"…\", features = [\"plot\"] } (or cargo install \
         sacred --features plot)",
    ))
}

/// What a subcommand works with.
pub(crate) struct Context<'a> {
    reader: &'a dyn RunReader,
    env: &'a Env,
    args: &'a RunsArgs,
    own: Option<&'a str>,
    now: Timestamp,
}

impl Context<'_> {
    /// The runs the filters select, newest first.
    fn listed(&self) -> Result<Vec<Listed>, Error> {
        let filter = filter::Filter::new(self.args, self.own, self.now)?;
        let listed = self.reader.list(&filter.query()).map_err(read_error)?;
        filter.apply(listed)
    }

    /// Run `id`, whole.
    fn run(&self, id: &str) -> Result<RunRecord, Error> {
        self.reader.run(id).map_err(read_error)
    }

    /// The metrics of run `id`.
    fn metrics(&self, id: &str) -> Result<Vec<Series>, Error> {
        self.reader.metrics(id).map_err(read_error)
    }

    /// Whether to colour what is printed.
    fn color(&self) -> bool {
        self.env.color()
    }

    /// The positional arguments, at least `min` of them, else a usage error showing `usage`.
    fn ids(&self, min: usize, usage: &str) -> Result<&[String], Error> {
        if self.args.positionals.len() < min {
            return Err(Error::usage(format!(
                "`runs {usage}`: expected {min} or more {}, found {}",
                if min == 1 { "argument" } else { "arguments" },
                self.args.positionals.len()
            )));
        }
        Ok(&self.args.positionals)
    }
}

/// A store error as the runtime's error.
fn read_error(error: ReadError) -> Error {
    let code = match error {
        ReadError::NotFound { .. } => 2,
        _ => 1,
    };
    Error::Runs {
        message: error.to_string(),
        code,
    }
}

/// The store the command line names: `-m URL`, `-F DIR`, else the configured one
/// (`SACRED_FILE_STORAGE`, `SACRED_MONGO_URL`, `sacred.toml`), else `./runs`.
fn open(args: &RunsArgs, env: &Env) -> Result<Box<dyn RunReader>, Error> {
    if let Some(spec) = &args.mongo_db {
        return mongo(env, spec);
    }
    if let Some(dir) = &args.file_storage {
        return Ok(file(env, PathBuf::from(dir)));
    }
    let settings = Settings::load(env)?;
    match (settings.file_storage, settings.mongo_url) {
        (Some(dir), _) => Ok(file(env, dir)),
        (None, Some(url)) => mongo(env, &url),
        (None, None) => Ok(file(env, PathBuf::from(DEFAULT_FILE_STORAGE))),
    }
}

fn file(env: &Env, dir: PathBuf) -> Box<dyn RunReader> {
    let shown = dir.display().to_string();
    Box::new(FileReader::new(env.resolve(dir)).shown_as(shown))
}

fn mongo(env: &Env, spec: &str) -> Result<Box<dyn RunReader>, Error> {
    let masked = crate::secret::mask_url(spec);
    let reader = env
        .mongo_factory(&format!("`-m {masked}`"))?
        .mongo_reader(spec)
        .map_err(|e| Error::Runs {
            message: format!("`-m {masked}`: {}", masked.scrub(&e.message)),
            code: 1,
        })?;
    Ok(reader)
}

/// Sorts a listing newest first: by start time, then by id (numbers before names); runs
/// without a start time (corrupt ones) first, so they are seen. Readers sort with it, so
/// every store lists in the same order.
pub fn sort_newest_first(listed: &mut [Listed]) {
    listed.sort_by_cached_key(|entry| {
        let start = match entry {
            Listed::Run(run) => run
                .time("start_time")
                .map_or(i64::MAX, Timestamp::as_micros),
            Listed::Corrupt { .. } => i64::MAX,
        };
        let id = entry.id();
        let number = id.parse::<i64>().unwrap_or(-1);
        std::cmp::Reverse((start, number, id.to_owned()))
    });
}

/// Writes `bytes` to `path` whole or not at all (a temporary file renamed into place).
///
/// # Errors
/// The file cannot be written; the error names it.
pub(crate) fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let mut file = crate::atomic::AtomicFile::create(path)?;
        file.file().write_all(bytes)?;
        file.commit()
    };
    write().map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<String, Error> {
        let dir = std::env::temp_dir();
        let env = Env::captured(&dir);
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        run_from("exp", &args, &env, Some("exp")).map(|()| env.stdout_text())
    }

    #[test]
    fn mongo_without_the_feature_says_which_feature() {
        let error = run(&["ls", "-m", "mongodb://user:secret@host/db"]).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(
                "`-m mongodb://user:***@host/db`: this binary was built without MongoDB support"
            ),
            "{message}"
        );
        assert!(!message.contains("secret"), "{message}");
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn help_lists_every_subcommand() {
        let help = run(&["--help"]).unwrap();
        for sub in ["ls", "show", "diff", "metrics", "export", "plot", "rm"] {
            assert!(help.contains(&format!("exp runs {sub} ")), "{help}");
        }
        assert_eq!(run(&[]).unwrap(), help);
    }

    #[cfg(not(feature = "plot"))]
    #[test]
    fn plot_without_the_feature_says_which_feature() {
        let message = run(&["plot", "loss", "-o", "x.png"])
            .unwrap_err()
            .to_string();
        assert!(message.contains("expected the `plot` feature"), "{message}");
    }
}
