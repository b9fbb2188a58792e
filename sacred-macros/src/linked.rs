//! Which packages of `Cargo.lock` are compiled into the experiment's binary.
//!
//! `Cargo.lock` lists every package the workspace could need, on any platform, with any
//! feature: `windows-sys` and `wasm-bindgen` on Linux, optional dependencies no feature
//! turns on, test-only crates, proc macros. Cargo knows which of them a build links, but a
//! macro cannot ask it (and `cargo metadata` would need the target, which a macro is not
//! told). So the expansion reads the lockfile and, for each package it reaches, the
//! package's own `Cargo.toml` (from a `vendor/` directory beside the lockfile, cargo's
//! registry cache, a git checkout, or the path its dependent names), and emits each package's normal dependency declarations (optional or
//! not, with the features they ask for) and the features that turn dependencies on. A
//! declaration for some targets only carries its condition as `cfg!(…)` (or a comparison
//! with the target triple), so the compiler decides it for the very target it builds, and
//! the experiment's own features are emitted as `cfg!(feature = …)`. At run time,
//! `sacred-core` resolves the features from there, as cargo does, and lists the packages
//! reached.
//!
//! Left out: build-dependencies, dev-dependencies (except those an example, test or bench
//! experiment names in its file, as cargo passes them there), proc-macro packages and what
//! only they reach. Where a manifest cannot be found or read, all of its package's
//! dependencies in the lockfile count as on: the list may then say too much, never too
//! little.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use proc_macro2::TokenStream;
use quote::quote;
use toml::{Table, Value};

/// When a dependency declaration applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    /// Always.
    True,
    /// The tokens inside a `cfg(…)`, as the manifest writes them.
    Cfg(String),
    /// The target triple is this one.
    Triple(String),
}

impl Cond {
    /// A constant `bool` expression for the condition.
    pub(crate) fn tokens(&self) -> TokenStream {
        match self {
            Cond::True => quote!(true),
            Cond::Cfg(inner) => match inner.parse::<TokenStream>() {
                Ok(predicate) => quote!(::core::cfg!(#predicate)),
                Err(_) => quote!(true),
            },
            Cond::Triple(triple) => quote!(::sacred::__private::target_is(#triple)),
        }
    }
}

/// The packages that may be compiled in, with what decides whether they are; package 0
/// is the experiment's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Graph {
    /// The packages.
    pub(crate) packages: Vec<Package>,
    /// The experiment's own features, each on when `cfg!(feature = …)` holds.
    pub(crate) root_features: Vec<String>,
    /// The manifests of path packages that were read: the expansion includes them, so
    /// cargo rebuilds the experiment when one changes.
    pub(crate) tracked: Vec<String>,
}

/// One package of the graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) version: String,
    /// The features that turn dependencies on, directly or through other features, with
    /// their items as the manifest writes them; features that turn nothing on are left
    /// out (asking for them changes nothing here).
    pub(crate) features: Vec<(String, Vec<String>)>,
    /// Its normal dependency declarations.
    pub(crate) deps: Vec<Dep>,
}

/// One dependency declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dep {
    /// The key features name it by (`dep:key`, `key/feature`).
    pub(crate) key: String,
    /// The package it resolves to, an index into [`Graph::packages`].
    pub(crate) to: usize,
    /// When the declaration applies (its `[target.…]`).
    pub(crate) cond: Cond,
    pub(crate) optional: bool,
    pub(crate) default_features: bool,
    pub(crate) features: Vec<String>,
}

/// One `[[package]]` of `Cargo.lock`.
#[derive(Debug)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    dependencies: Vec<String>,
}

/// Which table declares a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Build,
    Dev,
}

/// One dependency declaration of a manifest.
#[derive(Debug, Clone)]
struct Decl {
    /// The dependency's key (its name in the code).
    key: String,
    /// The package it names (`package = …`, else the key).
    package: String,
    kind: Kind,
    optional: bool,
    /// The `[target.…]` spec, if any.
    platform: Option<String>,
    /// `path = …`, resolved against the manifest's directory.
    path: Option<PathBuf>,
    /// `default-features` (true unless turned off).
    default_features: bool,
    /// `features = […]`.
    features: Vec<String>,
    /// `version = …`, to pick between two versions of one package.
    version: Option<String>,
}

/// A manifest read from disk.
#[derive(Debug)]
struct Manifest {
    table: Table,
    dir: PathBuf,
}

impl Manifest {
    fn read(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        let table = text.parse::<Table>().ok()?;
        Some(Self {
            table,
            dir: path.parent()?.to_path_buf(),
        })
    }

    fn package_name(&self) -> Option<&str> {
        self.table.get("package")?.get("name")?.as_str()
    }

    fn is_proc_macro(&self) -> bool {
        let Some(lib) = self.table.get("lib") else {
            return false;
        };
        ["proc-macro", "proc_macro"]
            .iter()
            .any(|key| lib.get(key).and_then(Value::as_bool) == Some(true))
    }

    /// Every dependency declaration, top-level and per target.
    fn declarations(&self, workspace: Option<&Manifest>) -> Vec<Decl> {
        const TABLES: [(&str, Kind); 5] = [
            ("dependencies", Kind::Normal),
            ("build-dependencies", Kind::Build),
            ("build_dependencies", Kind::Build),
            ("dev-dependencies", Kind::Dev),
            ("dev_dependencies", Kind::Dev),
        ];
        let mut decls = Vec::new();
        let mut add = |table: &Table, kind: Kind, platform: Option<&str>| {
            for (key, value) in table {
                decls.push(self.declaration(key, value, kind, platform, workspace));
            }
        };
        for (name, kind) in TABLES {
            if let Some(table) = self.table.get(name).and_then(Value::as_table) {
                add(table, kind, None);
            }
        }
        if let Some(targets) = self.table.get("target").and_then(Value::as_table) {
            for (spec, tables) in targets {
                for (name, kind) in TABLES {
                    if let Some(table) = tables.get(name).and_then(Value::as_table) {
                        add(table, kind, Some(spec));
                    }
                }
            }
        }
        decls
    }

    fn declaration(
        &self,
        key: &str,
        value: &Value,
        kind: Kind,
        platform: Option<&str>,
        workspace: Option<&Manifest>,
    ) -> Decl {
        let field = |name: &str| value.get(name);
        // `dep = { workspace = true }`: the rest is in the workspace's table.
        let inherited = (field("workspace").and_then(Value::as_bool) == Some(true))
            .then(|| {
                let ws = workspace?;
                let entry = ws.table.get("workspace")?.get("dependencies")?.get(key)?;
                Some((ws, entry))
            })
            .flatten();
        let package = field("package")
            .or_else(|| inherited.and_then(|(_, e)| e.get("package")))
            .and_then(Value::as_str)
            .unwrap_or(key);
        let path = match (field("path").and_then(Value::as_str), inherited) {
            (Some(path), _) => Some(self.dir.join(path)),
            (None, Some((ws, entry))) => entry
                .get("path")
                .and_then(Value::as_str)
                .map(|p| ws.dir.join(p)),
            (None, None) => None,
        };
        let from_both = |name: &str| -> Vec<&Value> {
            [value.get(name), inherited.and_then(|(_, e)| e.get(name))]
                .into_iter()
                .flatten()
                .collect()
        };
        let features = from_both("features")
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let default_features = ["default-features", "default_features"]
            .iter()
            .flat_map(|name| from_both(name))
            .all(|v| v.as_bool() != Some(false));
        let version = value
            .as_str()
            .or_else(|| field("version").and_then(Value::as_str))
            .or_else(|| inherited.and_then(|(_, e)| e.as_str().or(e.get("version")?.as_str())))
            .map(str::to_owned);
        Decl {
            key: key.to_owned(),
            package: package.to_owned(),
            kind,
            optional: field("optional").and_then(Value::as_bool) == Some(true),
            platform: platform.map(str::to_owned),
            path,
            default_features,
            features,
            version,
        }
    }

    /// The `[features]` table.
    fn features(&self) -> Vec<(String, Vec<String>)> {
        self.table
            .get("features")
            .and_then(Value::as_table)
            .map(|t| {
                t.iter()
                    .map(|(name, items)| {
                        let items = items
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (name.clone(), items)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The features of `features` that turn a dependency on or ask a dependency for a feature,
/// directly or through other features. `optional` are the keys of optional dependencies
/// (an item naming one turns it on).
fn features_that_matter(
    features: Vec<(String, Vec<String>)>,
    optional: &BTreeSet<&str>,
) -> Vec<(String, Vec<String>)> {
    let direct =
        |item: &str| item.starts_with("dep:") || item.contains('/') || optional.contains(item);
    let mut matter: BTreeSet<String> = features
        .iter()
        .filter(|(_, items)| items.iter().any(|i| direct(i)))
        .map(|(name, _)| name.clone())
        .collect();
    loop {
        let more: Vec<String> = features
            .iter()
            .filter(|(name, items)| {
                !matter.contains(name) && items.iter().any(|i| matter.contains(i))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        matter.extend(more);
    }
    features
        .into_iter()
        .filter(|(name, _)| matter.contains(name))
        .map(|(name, items)| {
            let items = items
                .into_iter()
                .filter(|i| direct(i) || matter.contains(i))
                .collect();
            (name, items)
        })
        .collect()
}

/// Whether `text` names the crate `krate` in a path (`krate::…`) or `extern crate krate`,
/// as a whole identifier.
fn names_crate(text: &str, krate: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(krate).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = &text[at + krate.len()..];
        before.is_none_or(|c| !is_ident(c))
            && (after.starts_with("::") || text[..at].trim_end().ends_with("extern crate"))
    })
}

/// The condition of a `[target.SPEC]` table.
fn platform_cond(spec: &str) -> Cond {
    match spec
        .trim()
        .strip_prefix("cfg(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        Some(inner) if inner.parse::<TokenStream>().is_ok() => Cond::Cfg(inner.to_owned()),
        Some(_) => Cond::True,
        None => Cond::Triple(spec.trim().to_owned()),
    }
}

/// Where cargo keeps downloaded packages: `$CARGO_HOME`, else `~/.cargo`.
pub(crate) fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

/// The registry manifests read so far in this process. A registry package's manifest never
/// changes, and an IDE keeps the macro loaded and expands it again and again: parsing
/// some hundred manifests is most of an expansion's time.
fn cached_manifest(path: &Path) -> Option<Arc<Manifest>> {
    static CACHE: Mutex<Option<HashMap<PathBuf, Arc<Manifest>>>> = Mutex::new(None);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(manifest) = cache.get(path) {
        return Some(Arc::clone(manifest));
    }
    let manifest = Arc::new(Manifest::read(path)?);
    cache.insert(path.to_path_buf(), Arc::clone(&manifest));
    Some(manifest)
}

/// The manifest of a registry package: `registry/src/<index>/<name>-<version>/Cargo.toml`.
fn registry_manifest(home: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let indexes = std::fs::read_dir(home.join("registry/src")).ok()?;
    indexes
        .flatten()
        .map(|index| index.path().join(format!("{name}-{version}/Cargo.toml")))
        .find(|path| path.is_file())
}

/// The manifest of a git package: in `git/checkouts/<repo>/<short commit>/`, the
/// `Cargo.toml` (at most three directories down) whose package is `name`.
fn git_manifest(home: &Path, name: &str, source: &str) -> Option<Manifest> {
    let commit = source.rsplit_once('#')?.1;
    let short = commit.get(..7)?;
    let repos = std::fs::read_dir(home.join("git/checkouts")).ok()?;
    for repo in repos.flatten() {
        let checkout = repo.path().join(short);
        if checkout.is_dir()
            && let Some(found) = find_package(&checkout, name, 3)
        {
            return Some(found);
        }
    }
    None
}

/// The manifest of the workspace `dir` belongs to: the nearest `Cargo.toml` at or above it
/// with a `[workspace]` table.
fn workspace_of(dir: &Path) -> Option<Manifest> {
    dir.ancestors()
        .filter_map(|d| Manifest::read(&d.join("Cargo.toml")))
        .find(|m| m.table.contains_key("workspace"))
}

/// The manifest of package `name` in `dir` or below, down to `depth` directories.
fn find_package(dir: &Path, name: &str, depth: usize) -> Option<Manifest> {
    if let Some(manifest) = Manifest::read(&dir.join("Cargo.toml"))
        && manifest.package_name() == Some(name)
    {
        return Some(manifest);
    }
    if depth == 0 {
        return None;
    }
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && name != "target"
        })
        .find_map(|e| find_package(&e.path(), name, depth - 1))
}

/// Reads `Cargo.lock`'s packages.
fn read_lock(path: &Path) -> Option<Vec<Locked>> {
    let table = std::fs::read_to_string(path).ok()?.parse::<Table>().ok()?;
    let packages = table.get("package")?.as_array()?;
    Some(
        packages
            .iter()
            .filter_map(|p| {
                let text = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_owned);
                Some(Locked {
                    name: text("name")?,
                    version: text("version")?,
                    source: text("source"),
                    dependencies: p
                        .get("dependencies")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect(),
    )
}

/// What the graph is built from.
pub(crate) struct Build<'a> {
    /// The `Cargo.lock` the crate is built with.
    pub(crate) lockfile: &'a Path,
    /// The directory of the experiment crate's `Cargo.toml`.
    pub(crate) manifest_dir: &'a Path,
    /// The experiment's package name.
    pub(crate) package: &'a str,
    /// The experiment's package version.
    pub(crate) version: &'a str,
    /// For an experiment in an example, test or bench (which get dev-dependencies): the
    /// text of its file. A dev-dependency counts when the file names its crate (`name::`),
    /// as only a crate that is named is linked.
    pub(crate) dev_user: Option<&'a str>,
    /// Where cargo keeps downloaded packages (`$CARGO_HOME`).
    pub(crate) cargo_home: Option<PathBuf>,
}

/// What the walk needs of a package's manifest.
struct Known {
    proc_macro: bool,
    decls: Vec<Decl>,
    features: Vec<(String, Vec<String>)>,
}

/// The lockfile's packages and where their manifests are.
struct Packages<'a> {
    build: &'a Build<'a>,
    locked: Vec<Locked>,
    by_name: HashMap<String, Vec<usize>>,
    root: usize,
    workspace: Option<Manifest>,
    /// Path packages' directories, learnt from their dependents' `path = …`.
    paths: HashMap<String, PathBuf>,
    known: HashMap<usize, Option<Known>>,
    tracked: BTreeSet<String>,
}

impl Packages<'_> {
    /// The package a lockfile dependency (`name`, `name version` or `name version
    /// (source)`) names.
    fn resolve(&self, dep: &str) -> Option<usize> {
        let mut words = dep.split_whitespace();
        let candidates = self.by_name.get(words.next()?)?;
        match words.next() {
            None => candidates.first().copied(),
            Some(version) => {
                let source = words
                    .next()
                    .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
                candidates.iter().copied().find(|&i| {
                    self.locked[i].version == version
                        && source.is_none_or(|s| self.locked[i].source.as_deref() == Some(s))
                })
            }
        }
    }

    /// The manifest of package `i`, if it can be found.
    fn manifest(&mut self, i: usize) -> Option<Arc<Manifest>> {
        let p = &self.locked[i];
        match p.source.as_deref() {
            None => {
                let dir = if i == self.root {
                    Some(self.build.manifest_dir.to_path_buf())
                } else {
                    self.paths.get(&p.name).cloned()
                };
                let manifest = dir
                    .and_then(|d| find_package(&d, &p.name, 0))
                    .or_else(|| find_package(self.build.lockfile.parent()?, &p.name, 2))?;
                if let Some(path) = manifest.dir.join("Cargo.toml").to_str() {
                    self.tracked.insert(path.to_owned());
                }
                Some(Arc::new(manifest))
            }
            Some(source) if source.starts_with("git+") => {
                git_manifest(self.build.cargo_home.as_deref()?, &p.name, source).map(Arc::new)
            }
            Some(_) => {
                // A vendored copy (`cargo vendor`) beside the lockfile, else cargo's cache.
                let vendored = self.build.lockfile.parent().and_then(|ws| {
                    [format!("{}-{}", p.name, p.version), p.name.clone()]
                        .iter()
                        .map(|dir| ws.join("vendor").join(dir).join("Cargo.toml"))
                        .find(|path| path.is_file())
                });
                let path = vendored.or_else(|| {
                    registry_manifest(self.build.cargo_home.as_deref()?, &p.name, &p.version)
                })?;
                cached_manifest(&path)
            }
        }
    }

    /// What the walk needs of package `i`'s manifest, read once.
    fn known(&mut self, i: usize) -> Option<&Known> {
        if !self.known.contains_key(&i) {
            let known = self.manifest(i).map(|m| {
                // `dep.workspace = true` refers to the package's own workspace, which is not
                // the experiment's for a path dependency from elsewhere.
                let own = (self.locked[i].source.is_none())
                    .then(|| workspace_of(&m.dir))
                    .flatten();
                let decls = m.declarations(own.as_ref().or(self.workspace.as_ref()));
                for decl in &decls {
                    if let Some(path) = &decl.path {
                        self.paths
                            .entry(decl.package.clone())
                            .or_insert_with(|| path.clone());
                    }
                }
                let optional: BTreeSet<&str> = decls
                    .iter()
                    .filter(|d| d.optional)
                    .map(|d| d.key.as_str())
                    .collect();
                let features = features_that_matter(m.features(), &optional);
                Known {
                    proc_macro: m.is_proc_macro(),
                    decls,
                    features,
                }
            });
            self.known.insert(i, known);
        }
        self.known.get(&i).and_then(Option::as_ref)
    }

    /// The lockfile package that the declaration `decl` of package `i` resolves to: among
    /// `i`'s dependencies in the lockfile, the one of that name (and, when there are two,
    /// of a version that the declaration's requirement starts like).
    fn target(&self, i: usize, decl: &Decl) -> Option<usize> {
        let candidates: Vec<usize> = self.locked[i]
            .dependencies
            .iter()
            .filter_map(|dep| self.resolve(dep))
            .filter(|&j| self.locked[j].name == decl.package)
            .collect();
        if candidates.len() <= 1 {
            return candidates.first().copied();
        }
        let wanted = decl
            .version
            .as_deref()
            .map(|v| v.trim_start_matches(['^', '~', '=', ' ']))
            .unwrap_or_default();
        candidates
            .iter()
            .copied()
            .find(|&j| self.locked[j].version.starts_with(wanted))
            .or(candidates.first().copied())
    }

    /// The dependency declarations of package `i` that can link something, with the
    /// lockfile packages they resolve to. Without a manifest, every dependency of the
    /// lockfile, as always on.
    fn deps(&mut self, i: usize) -> Vec<(usize, Decl)> {
        let dev_user = self.build.dev_user.filter(|_| i == self.root);
        let Some(known) = self.known(i) else {
            let deps = self.locked[i].dependencies.clone();
            return deps
                .iter()
                .filter_map(|dep| self.resolve(dep))
                .map(|j| (j, Decl::always(&self.locked[j].name)))
                .collect();
        };
        let decls: Vec<Decl> = known
            .decls
            .iter()
            .filter(|d| {
                d.kind == Kind::Normal
                    || (d.kind == Kind::Dev
                        && dev_user.is_some_and(|text| names_crate(text, &d.key.replace('-', "_"))))
            })
            .cloned()
            .collect();
        decls
            .into_iter()
            .filter_map(|d| Some((self.target(i, &d)?, d)))
            .collect()
    }
}

impl Decl {
    /// A plain, unconditional dependency on `package`.
    fn always(package: &str) -> Self {
        Decl {
            key: package.to_owned(),
            package: package.to_owned(),
            kind: Kind::Normal,
            optional: false,
            platform: None,
            path: None,
            default_features: true,
            features: Vec::new(),
            version: None,
        }
    }
}

/// The packages that may be compiled into the experiment's binary, with their dependency
/// declarations and features; `None` when the lockfile cannot be read or does not list the
/// experiment's package.
pub(crate) fn graph(build: &Build<'_>) -> Option<Graph> {
    let locked = read_lock(build.lockfile)?;
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in locked.iter().enumerate() {
        by_name.entry(p.name.clone()).or_default().push(i);
    }
    let root = by_name
        .get(build.package)?
        .iter()
        .copied()
        .filter(|&i| locked[i].version == build.version)
        .min_by_key(|&i| locked[i].source.is_some())?;
    let workspace = build
        .lockfile
        .parent()
        .and_then(|dir| Manifest::read(&dir.join("Cargo.toml")));
    let mut packages = Packages {
        build,
        locked,
        by_name,
        root,
        workspace,
        paths: HashMap::new(),
        known: HashMap::new(),
        tracked: BTreeSet::new(),
    };
    let mut walk = Walk::default();
    walk.add(root, &packages.locked);
    while let Some(i) = walk.queue.pop_front() {
        let at = walk.index[&i];
        let mut out = Vec::new();
        for (j, decl) in packages.deps(i) {
            if packages.known(j).is_some_and(|k| k.proc_macro) {
                continue;
            }
            out.push(Dep {
                to: walk.add(j, &packages.locked),
                cond: decl.platform.as_deref().map_or(Cond::True, platform_cond),
                key: decl.key,
                optional: decl.optional,
                default_features: decl.default_features,
                features: decl.features,
            });
        }
        let features = packages
            .known(i)
            .map(|k| k.features.clone())
            .unwrap_or_default();
        let package = &mut walk.graph.packages[at];
        package.deps = out;
        package.features = features;
    }
    let mut graph = walk.graph;
    let root = &graph.packages[0];
    // The experiment's features: those of its table, and the implicit feature of each
    // optional dependency.
    let mut root_features: BTreeSet<String> =
        root.features.iter().map(|(name, _)| name.clone()).collect();
    root_features.extend(
        root.deps
            .iter()
            .filter(|d| d.optional)
            .map(|d| d.key.clone()),
    );
    graph.root_features = root_features.into_iter().collect();
    graph.tracked = packages.tracked.into_iter().collect();
    Some(graph)
}

/// The graph being built, breadth first from the experiment's package.
#[derive(Default)]
struct Walk {
    graph: Graph,
    /// Lockfile index → graph index.
    index: HashMap<usize, usize>,
    /// Lockfile indices whose dependencies are still to be read.
    queue: VecDeque<usize>,
}

impl Walk {
    /// The graph index of lockfile package `j`, added (and queued) the first time.
    fn add(&mut self, j: usize, locked: &[Locked]) -> usize {
        if let Some(&at) = self.index.get(&j) {
            return at;
        }
        self.graph.packages.push(Package {
            name: locked[j].name.clone(),
            version: locked[j].version.clone(),
            ..Package::default()
        });
        let at = self.graph.packages.len() - 1;
        self.index.insert(j, at);
        self.queue.push_back(j);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TempDir;

    const REGISTRY: &str = "registry+https://github.com/rust-lang/crates.io-index";

    /// A workspace `ws` with the experiment `exp` and a path member `util`, and a cargo
    /// home whose registry cache holds the manifests of the registry packages.
    fn workspace() -> TempDir {
        let tmp = TempDir::new();
        let lock = format!(
            r#"
version = 4

[[package]]
name = "exp"
version = "0.3.0"
dependencies = ["util", "serde", "winapi", "opt", "tester", "codegen-build"]

[[package]]
name = "util"
version = "0.1.0"
dependencies = ["libc", "derive"]

[[package]]
name = "serde"
version = "1.0.0"
source = "{REGISTRY}"

[[package]]
name = "winapi"
version = "0.3.9"
source = "{REGISTRY}"

[[package]]
name = "opt"
version = "1.0.0"
source = "{REGISTRY}"

[[package]]
name = "tester"
version = "1.0.0"
source = "{REGISTRY}"

[[package]]
name = "codegen-build"
version = "1.0.0"
source = "{REGISTRY}"

[[package]]
name = "libc"
version = "0.2.0"
source = "{REGISTRY}"

[[package]]
name = "derive"
version = "1.0.0"
source = "{REGISTRY}"
dependencies = ["syn"]

[[package]]
name = "syn"
version = "2.0.0"
source = "{REGISTRY}"

[[package]]
name = "gone"
version = "9.0.0"
source = "{REGISTRY}"
"#
        );
        tmp.write("ws/Cargo.lock", &lock);
        tmp.write(
            "ws/Cargo.toml",
            "[workspace]\nmembers = [\"exp\", \"util\"]\n\n[workspace.dependencies]\nutil = { path = \"util\" }\n",
        );
        tmp.write(
            "ws/exp/Cargo.toml",
            r#"
[package]
name = "exp"
version = "0.3.0"

[features]
extra = ["dep:opt"]

[dependencies]
util = { workspace = true }
serde = { version = "1", default-features = false, features = ["std"] }
opt = { version = "1", optional = true }

[target.'cfg(windows)'.dependencies]
winapi = "0.3"

[dev-dependencies]
tester = "1"

[build-dependencies]
codegen-build = "1"
"#,
        );
        tmp.write(
            "ws/util/Cargo.toml",
            r#"
[package]
name = "util"
version = "0.1.0"

[dependencies]
derive = "1"

[target.x86_64-unknown-linux-gnu.dependencies]
libc = "0.2"
"#,
        );
        let registry = "home/registry/src/index.example-0123";
        tmp.write(
            &format!("{registry}/derive-1.0.0/Cargo.toml"),
            "[package]\nname = \"derive\"\n[lib]\nproc-macro = true\n[dependencies.syn]\nversion = \"2\"\n",
        );
        tmp.write(
            &format!("{registry}/serde-1.0.0/Cargo.toml"),
            "[package]\nname = \"serde\"\n[features]\nstd = []\ndefault = [\"std\"]\nderive = [\"dep:serde_derive\"]\n[dependencies.serde_derive]\nversion = \"1\"\noptional = true\n",
        );
        tmp
    }

    fn graph_of(tmp: &TempDir, dev_user: Option<&str>) -> Graph {
        graph(&Build {
            lockfile: &tmp.0.join("ws/Cargo.lock"),
            manifest_dir: &tmp.0.join("ws/exp"),
            package: "exp",
            version: "0.3.0",
            dev_user,
            cargo_home: Some(tmp.0.join("home")),
        })
        .unwrap_or_else(|| panic!("no graph"))
    }

    fn names(graph: &Graph) -> Vec<&str> {
        graph.packages.iter().map(|p| p.name.as_str()).collect()
    }

    fn dep<'g>(graph: &'g Graph, from: &str, key: &str) -> &'g Dep {
        let package = graph.packages.iter().find(|p| p.name == from).unwrap();
        package.deps.iter().find(|d| d.key == key).unwrap()
    }

    #[test]
    fn the_graph_keeps_normal_dependencies_with_their_conditions_and_features() {
        let tmp = workspace();
        let graph = graph_of(&tmp, None);
        // No dev- or build-dependency, no proc macro (nor what only it reaches), nothing
        // the experiment does not reach.
        assert_eq!(
            names(&graph),
            ["exp", "opt", "serde", "util", "winapi", "libc"]
        );
        assert_eq!(dep(&graph, "exp", "util").cond, Cond::True);
        assert_eq!(
            dep(&graph, "exp", "winapi").cond,
            Cond::Cfg("windows".into())
        );
        assert_eq!(
            dep(&graph, "util", "libc").cond,
            Cond::Triple("x86_64-unknown-linux-gnu".into())
        );
        let serde = dep(&graph, "exp", "serde");
        assert!(!serde.default_features);
        assert_eq!(serde.features, ["std"]);
        assert!(dep(&graph, "exp", "opt").optional);
        // Features that turn nothing on are left out; `extra` and the implicit `opt` are
        // the experiment's features.
        assert_eq!(
            graph.packages[0].features,
            [("extra".to_owned(), vec!["dep:opt".to_owned()])]
        );
        assert_eq!(graph.root_features, ["extra", "opt"]);
        let serde = graph.packages.iter().find(|p| p.name == "serde").unwrap();
        assert_eq!(
            serde.features,
            [("derive".to_owned(), vec!["dep:serde_derive".to_owned()])]
        );
        // The path packages' manifests are tracked for rebuilds.
        assert_eq!(graph.tracked.len(), 2, "{:?}", graph.tracked);
    }

    #[test]
    fn an_example_gets_the_dev_dependencies_it_names() {
        let tmp = workspace();
        let graph = graph_of(&tmp, Some("use tester::check;\nfn main() {}\n"));
        assert!(names(&graph).contains(&"tester"), "{:?}", names(&graph));
        let graph = graph_of(&tmp, Some("// not_tester::x, tester_two::y\n"));
        assert!(!names(&graph).contains(&"tester"), "{:?}", names(&graph));
    }

    #[test]
    fn a_package_whose_manifest_is_missing_keeps_all_its_lockfile_dependencies() {
        let tmp = workspace();
        std::fs::remove_file(tmp.0.join("ws/util/Cargo.toml")).unwrap();
        let graph = graph_of(&tmp, None);
        // `util` is unknown: `derive` (a proc macro) is still dropped, as its own manifest
        // says; `libc` is kept, unconditionally.
        assert_eq!(dep(&graph, "util", "libc").cond, Cond::True);
        assert!(!names(&graph).contains(&"derive"));
    }

    #[test]
    fn a_vendored_manifest_is_read_as_the_registry_one() {
        let tmp = workspace();
        let cached = "home/registry/src/index.example-0123/serde-1.0.0/Cargo.toml";
        let text = std::fs::read_to_string(tmp.0.join(cached)).unwrap();
        std::fs::remove_file(tmp.0.join(cached)).unwrap();
        tmp.write("ws/vendor/serde/Cargo.toml", &text);
        let graph = graph_of(&tmp, None);
        let serde = graph.packages.iter().find(|p| p.name == "serde").unwrap();
        assert_eq!(serde.features.len(), 1, "{serde:?}");
        // Read twice (an IDE expands again): the same graph.
        assert_eq!(graph_of(&tmp, None), graph);
    }

    #[test]
    fn conditions_become_constant_expressions() {
        assert_eq!(Cond::True.tokens().to_string(), "true");
        assert_eq!(
            Cond::Cfg("any(unix, windows)".into()).tokens().to_string(),
            ":: core :: cfg ! (any (unix , windows))"
        );
        assert_eq!(
            Cond::Triple("x86_64-pc-windows-gnu".into())
                .tokens()
                .to_string(),
            ":: sacred :: __private :: target_is (\"x86_64-pc-windows-gnu\")"
        );
        assert_eq!(
            platform_cond("cfg(not(miri))"),
            Cond::Cfg("not(miri)".into())
        );
        assert_eq!(
            platform_cond("cfg(unclosed"),
            Cond::Triple("cfg(unclosed".into())
        );
    }

    #[test]
    fn a_crate_is_named_by_a_path_or_extern_crate() {
        assert!(names_crate("use anyhow::Result;", "anyhow"));
        assert!(names_crate("extern crate anyhow;", "anyhow"));
        assert!(!names_crate("my_anyhow::x", "anyhow"));
        assert!(!names_crate("anyhow", "anyhow"));
    }
}
