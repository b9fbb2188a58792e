//! The process environment a command runs in: variables, working directory and where its
//! output goes. Tests build one with captured output; `main` uses the real process's.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::observer::{Observer, ObserverFactory};

/// Where a stream of output goes.
#[derive(Debug, Clone)]
enum Sink {
    Stdout,
    Stderr,
    Buffer(Arc<Mutex<Vec<u8>>>),
}

impl Sink {
    fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout => {
                crate::capture::write_stdout(&String::from_utf8_lossy(bytes));
                Ok(())
            }
            Sink::Stderr => {
                crate::capture::write_stderr(&String::from_utf8_lossy(bytes));
                Ok(())
            }
            Sink::Buffer(buf) => {
                buf.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn text(&self) -> String {
        match self {
            Sink::Buffer(buf) => {
                String::from_utf8_lossy(&buf.lock().unwrap_or_else(PoisonError::into_inner))
                    .into_owned()
            }
            Sink::Stdout | Sink::Stderr => String::new(),
        }
    }
}

/// Observers handed to the next run started in an environment.
type PendingObservers = Arc<Mutex<Vec<Box<dyn Observer>>>>;

/// The environment of one command: variables, working directory, output streams, whether
/// standard output is a terminal (for colours), and whether this is the real process (which
/// then handles SIGINT and SIGTERM and captures its file descriptors).
///
/// The generated `main` uses [`Env::from_process`]. Tests use [`Env::captured`], which
/// keeps what the command prints and reads only the variables it is given:
///
/// ```
/// use sacred_core::Env;
///
/// let env = Env::captured(std::env::temp_dir()).with_var("SACRED_CAPTURED_ENV", "HOME");
/// assert_eq!(env.var("SACRED_CAPTURED_ENV"), Some("HOME"));
/// env.out("Configuration:\n");
/// assert_eq!(env.stdout_text(), "Configuration:\n");
/// ```
///
/// `sacred::run_from::<Config, _, _>(["train", "with", "lr=0.1"], &env)` runs an
/// experiment in it (see the `sacred` crate).
#[derive(Clone)]
pub struct Env {
    vars: BTreeMap<String, String>,
    cwd: PathBuf,
    stdout: Sink,
    stderr: Sink,
    terminal: bool,
    process: bool,
    observers: PendingObservers,
    factory: Option<Arc<dyn ObserverFactory>>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("vars", &self.vars)
            .field("cwd", &self.cwd)
            .field("terminal", &self.terminal)
            .field("process", &self.process)
            .field("factory", &self.factory.is_some())
            .finish_non_exhaustive()
    }
}

impl Env {
    /// The real process: its environment variables, working directory, standard output and
    /// error, and whether standard output is a terminal.
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self {
            vars,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            stdout: Sink::Stdout,
            stderr: Sink::Stderr,
            terminal: io::stdout().is_terminal(),
            process: true,
            observers: PendingObservers::default(),
            factory: None,
        }
    }

    /// An environment for tests: no variables, the given working directory, output kept in
    /// memory (read it with [`Env::stdout_text`] and [`Env::stderr_text`]), not a terminal.
    /// Runs in it install no signal handlers, and capture no output unless `-C` asks for it
    /// (file descriptors are shared by every thread of a test process).
    pub fn captured(cwd: impl Into<PathBuf>) -> Self {
        Self {
            vars: BTreeMap::new(),
            cwd: cwd.into(),
            stdout: Sink::Buffer(Arc::default()),
            stderr: Sink::Buffer(Arc::default()),
            terminal: false,
            process: false,
            observers: PendingObservers::default(),
            factory: None,
        }
    }

    /// Adds an observer to the next run started in this environment, beside those the
    /// command line asks for.
    #[must_use]
    pub fn with_observer(self, observer: impl Observer + 'static) -> Self {
        crate::sync::lock(&self.observers).push(Box::new(observer));
        self
    }

    /// Registers the builder of observers that live outside the runtime (`-m/--mongo_db`).
    #[must_use]
    pub fn with_factory(mut self, factory: Arc<dyn ObserverFactory>) -> Self {
        self.factory = Some(factory);
        self
    }

    /// The registered builder of MongoDB observers, stores and readers, for `-m`.
    ///
    /// # Errors
    /// None is registered (a binary built without the `mongo` feature): a usage error that
    /// starts with `what`, the argument that asked for MongoDB (its password masked), and
    /// names the feature to enable.
    pub(crate) fn mongo_factory(
        &self,
        what: &str,
    ) -> Result<&Arc<dyn ObserverFactory>, crate::Error> {
        self.factory.as_ref().ok_or_else(|| {
            crate::Error::usage(format!(
                "{what}: this binary was built without MongoDB support; expected the `mongo` \
                 feature of sacred: sacred = {{ version = \"…\", features = [\"mongo\"] }}"
            ))
        })
    }

    /// Takes the observers added with [`Env::with_observer`].
    pub(crate) fn take_observers(&self) -> Vec<Box<dyn Observer>> {
        std::mem::take(&mut *crate::sync::lock(&self.observers))
    }

    /// Whether this is the real process (from [`Env::from_process`]).
    pub fn is_process(&self) -> bool {
        self.process
    }

    /// Sets a variable.
    #[must_use]
    pub fn with_var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// Says whether standard output is a terminal.
    #[must_use]
    pub fn with_terminal(mut self, terminal: bool) -> Self {
        self.terminal = terminal;
        self
    }

    /// A variable's value.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// The working directory, against which relative paths are resolved.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Resolves a path given by the user against the working directory.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        self.cwd.join(path)
    }

    /// Whether output may be coloured: standard output is a terminal and `NO_COLOR` is unset
    /// or empty.
    pub fn color(&self) -> bool {
        self.terminal && self.var("NO_COLOR").is_none_or(str::is_empty)
    }

    /// Writes to standard output. Errors (a closed pipe) are ignored, as `print!` would not.
    pub fn out(&self, text: &str) {
        let _ = self.stdout.write_all(text.as_bytes());
    }

    /// Writes to standard error. Errors are ignored.
    pub fn err(&self, text: &str) {
        let _ = self.stderr.write_all(text.as_bytes());
    }

    /// What was written to standard output, for an environment made by [`Env::captured`].
    pub fn stdout_text(&self) -> String {
        self.stdout.text()
    }

    /// What was written to standard error, for an environment made by [`Env::captured`].
    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }
}

/// Converts process arguments to strings, naming the first one that is not valid UTF-8.
///
/// # Errors
/// A usage error when an argument is not valid UTF-8.
pub(crate) fn args_to_strings<I>(args: I) -> Result<Vec<String>, crate::Error>
where
    I: IntoIterator<Item = OsString>,
{
    args.into_iter()
        .map(|a| {
            a.into_string().map_err(|bad| {
                crate::Error::usage(format!(
                    "argument {:?} is not valid UTF-8; expected text",
                    bad
                ))
            })
        })
        .collect()
}
