//! What the `#[experiment]` macro describes: the static tables of an experiment and the
//! trait that ties them to the generated config struct.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::run::Run;

/// One parameter of the experiment function, as the macro saw it.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The parameter's name, which is also its config key.
    pub name: &'static str,
    /// The parameter's type, as written in the source (`u32`, `Vec<f64>`, `Optimizer`).
    pub ty: &'static str,
    /// The `///` doc comment on the parameter, trimmed; empty when there is none.
    pub doc: &'static str,
    /// Whether the parameter has a `#[default(…)]`. Without one a run must set it, unless
    /// its type's table gives every field a default (an ingredient).
    pub has_default: bool,
    /// The table of the parameter's type, when it has one (`#[config]`, `#[ingredient]`).
    pub nested: fn() -> Option<&'static crate::schema::ConfigType>,
}

impl Param {
    /// A parameter whose type has no table.
    pub const fn plain(
        name: &'static str,
        ty: &'static str,
        doc: &'static str,
        has_default: bool,
    ) -> Self {
        Self {
            name,
            ty,
            doc,
            has_default,
            nested: no_table,
        }
    }

    /// The table of the parameter's type, when it has one.
    pub fn config_type(&self) -> Option<&'static crate::schema::ConfigType> {
        (self.nested)()
    }

    /// Whether a run must set the parameter: it has no default, and its type's table
    /// does not give every field one. A `seed` is never required (it is drawn).
    pub fn is_required(&self) -> bool {
        !self.has_default
            && self.name != crate::seed::SEED_KEY
            && !self
                .config_type()
                .is_some_and(crate::schema::ConfigType::is_defaulted)
    }
}

/// The `nested` of a parameter whose type has no table.
fn no_table() -> Option<&'static crate::schema::ConfigType> {
    None
}

/// A named config: a set of config values selected on the command line by `with NAME`.
#[derive(Debug, Clone, Copy)]
pub struct NamedConfig {
    /// The name used after `with`.
    pub name: &'static str,
    /// The `///` doc comment of the named config's function; empty when there is none.
    pub doc: &'static str,
    /// Builds the values. Dotted keys (`"optimizer.lr"`) reach into nested values.
    pub build: fn() -> Result<serde_json::Value, String>,
}

/// The static description of an experiment: everything except the config's values.
#[derive(Debug, Clone, Copy)]
pub struct ExperimentInfo {
    /// `#[experiment(name = "…")]`; `None` means the binary's name.
    pub name: Option<&'static str>,
    /// The experiment function's doc comment.
    pub description: &'static str,
    /// The config parameters in declaration order (the `&Run` parameter is not one of them;
    /// a user-declared `seed` parameter is).
    pub params: &'static [Param],
    /// Named configs, in declaration order.
    pub named_configs: &'static [NamedConfig],
    /// The largest seed the `seed` field's type can hold (`u32::MAX` for a `u32` seed).
    /// Drawn seeds stay below both this and 2^53.
    pub seed_max: u64,
    /// Why the experiment is taken to set up its own `tracing` subscriber or `log` logger
    /// (`` `#[experiment(logging = "own")]` ``, or a setup found in its code: ``
    /// `env_logger` in src/main.rs ``); `None` when it does not. A run then leaves both
    /// process-wide slots to it and installs neither of sacred's; see
    /// [`logging`](crate::logging).
    pub own_logging: Option<&'static str>,
    /// Where and what the experiment's code is, captured at compile time.
    pub build: BuildInfo,
}

/// What the experiment's binary was built from, captured at compile time by the macro.
#[derive(Debug, Clone, Copy)]
pub struct BuildInfo {
    /// The experiment crate's package name (`CARGO_PKG_NAME`).
    pub package: &'static str,
    /// The experiment crate's version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// The directory of the experiment crate's `Cargo.toml` (`CARGO_MANIFEST_DIR`): the
    /// run's `base_dir`.
    pub manifest_dir: &'static str,
    /// The file holding the `#[experiment]` function, as `file!()` gives it.
    pub main_file: &'static str,
    /// Every `.rs` file of the experiment's crate, with its contents at build time.
    pub sources: &'static [crate::observer::SourceFile],
    /// The packages of the crate's `Cargo.lock` that may be compiled into the binary, and
    /// when each edge between them holds for the target being built.
    pub dependencies: DependencyGraph,
}

/// The experiment's dependency graph as the macro found it in `Cargo.lock` and the
/// packages' manifests, with what the compiler decided for the target it built: package 0
/// is the experiment's own. `sacred-core` resolves the features from there, as cargo does,
/// to find the packages compiled in.
#[derive(Debug, Clone, Copy)]
pub struct DependencyGraph {
    /// The packages that may be compiled in.
    pub packages: &'static [GraphPackage],
    /// The experiment's own features, each with whether it is on in this build.
    pub root_features: &'static [(&'static str, bool)],
}

impl DependencyGraph {
    /// No packages: no lockfile was found.
    pub const EMPTY: DependencyGraph = DependencyGraph {
        packages: &[],
        root_features: &[],
    };
}

/// One package of a [`DependencyGraph`].
#[derive(Debug, Clone, Copy)]
pub struct GraphPackage {
    /// Its name, as `Cargo.lock` writes it.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
    /// Its features that turn dependencies on, with their items as its manifest writes
    /// them (`dep:x`, `x/feature`, `x?/feature`, another feature).
    pub features: &'static [(&'static str, &'static [&'static str])],
    /// Its normal dependency declarations.
    pub deps: &'static [DependencyDecl],
}

/// One dependency declaration of a [`GraphPackage`].
#[derive(Debug, Clone, Copy)]
pub struct DependencyDecl {
    /// The key features name it by.
    pub key: &'static str,
    /// The package it resolves to, an index into [`DependencyGraph::packages`].
    pub to: u32,
    /// Whether it applies to the target the binary was compiled for.
    pub on: bool,
    /// `optional = true`: only a feature turns it on.
    pub optional: bool,
    /// Whether it asks for the dependency's default features.
    pub default_features: bool,
    /// The features it asks for.
    pub features: &'static [&'static str],
}

/// Whether the binary is compiled for the target triple `triple`, for the dependencies that
/// a manifest declares for one triple (`[target.x86_64-pc-windows-msvc.dependencies]`).
pub const fn target_is(triple: &str) -> bool {
    let (a, b) = (triple.as_bytes(), crate::host::TARGET.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl BuildInfo {
    /// A build of nothing, for tests of code that does not look at the build.
    #[doc(hidden)]
    pub const TEST: BuildInfo = BuildInfo {
        package: "test",
        version: "0.0.0",
        manifest_dir: "/nonexistent",
        main_file: "src/main.rs",
        sources: &[],
        dependencies: DependencyGraph::EMPTY,
    };
}

/// A default value the macro evaluated for one parameter, already serialised.
#[derive(Debug, Clone)]
pub struct DefaultValue {
    /// The parameter's name.
    pub name: &'static str,
    /// The serialised default, or why serialising it failed.
    pub value: Result<serde_json::Value, String>,
}

impl DefaultValue {
    /// Serialises a typed default. The type parameter is the parameter's declared type, so a
    /// default of the wrong type is a compile error at the default's expression.
    pub fn new<T: Serialize>(name: &'static str, value: T) -> Self {
        let value = serde_json::to_value(&value).map_err(|e| e.to_string());
        Self { name, value }
    }
}

/// How a run of the experiment function ended, before lifecycle handling.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionOutcome {
    /// The function returned; `None` for `()`.
    Returned(Option<serde_json::Value>),
    /// The function returned `Err`: the error's message and its chain of causes.
    Failed(Failure),
}

/// An error returned by the experiment function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error's `Display` text.
    pub message: String,
    /// The `Display` texts of its sources, outermost first (may be empty).
    pub causes: Vec<String>,
}

/// The outcome for a returned value: `()` and `null` are no result.
pub(crate) fn returned<T: Serialize>(value: T) -> FunctionOutcome {
    match serde_json::to_value(&value) {
        Ok(serde_json::Value::Null) => FunctionOutcome::Returned(None),
        Ok(v) => FunctionOutcome::Returned(Some(v)),
        Err(e) => FunctionOutcome::Failed(Failure {
            message: format!("the result could not be serialised: {e}"),
            causes: Vec::new(),
        }),
    }
}

/// An experiment: implemented by the config struct that `#[experiment]` generates.
///
/// The struct has one field per config parameter plus `seed`; the impl is constant tables
/// and one call into the user's function.
pub trait Experiment: Serialize + DeserializeOwned + Sized {
    /// The static description.
    const INFO: ExperimentInfo;

    /// The parameters' defaults, serialised, in declaration order.
    fn defaults() -> Vec<DefaultValue>;

    /// Runs the experiment function with this config.
    fn call(self, run: &Run) -> FunctionOutcome;
}
