//! The experiment record: sources, dependencies, repositories.
//!
//! Sacred's `experiment` record is `{name, base_dir, mainfile, sources, dependencies,
//! repositories}`. Here the sources and the `Cargo.lock` are embedded in the binary by the
//! macro, the dependencies are the experiment package's transitive dependencies in that
//! lockfile, and the repositories come from the `git` command line. Git is the slow part:
//! [`repositories`] is separate so that the runtime can call it off the critical path.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use md5::{Digest, Md5};
use serde::Deserialize;

use crate::experiment::{BuildInfo, ExperimentInfo};
use crate::observer::{ExperimentRecord, Repository};

/// The red of Sacred's dirty-repository marker.
const COLOR_DIRTY: &str = "\x1b[31m";
/// Resets the colour.
const ENDC: &str = "\x1b[0m";

/// The whole experiment record, git included.
pub fn experiment_record(info: &ExperimentInfo, name: &str) -> ExperimentRecord {
    let build = &info.build;
    ExperimentRecord {
        name: name.to_owned(),
        base_dir: build.manifest_dir.to_owned(),
        mainfile: mainfile(build),
        sources: build.sources.to_vec(),
        dependencies: dependencies(build),
        repositories: repositories(Path::new(build.manifest_dir)),
    }
}

/// The main file relative to `base_dir`.
///
/// `file!()` is relative to the workspace root (`examples/quickstart.rs`, or
/// `member/src/main.rs` for a member in `<root>/member`). The leading components that name
/// the end of `base_dir` are stripped; a candidate that is an embedded source, or failing
/// that a file on disk, wins. Otherwise the path is kept as given.
fn mainfile(build: &BuildInfo) -> String {
    let base = Path::new(build.manifest_dir);
    let main = Path::new(build.main_file);
    if main.is_absolute() {
        return match main.strip_prefix(base) {
            Ok(rest) => slashed(rest),
            Err(_) => build.main_file.to_owned(),
        };
    }
    let parts: Vec<_> = main.components().collect();
    let candidates: Vec<PathBuf> = (0..parts.len())
        .filter(|&k| k == 0 || base.ends_with(parts[..k].iter().collect::<PathBuf>()))
        .map(|k| parts[k..].iter().collect())
        .collect();
    let is_source = |c: &PathBuf| build.sources.iter().any(|s| s.path == slashed(c));
    candidates
        .iter()
        .find(|c| is_source(c))
        .or_else(|| candidates.iter().find(|c| base.join(c).is_file()))
        .or_else(|| candidates.get(1))
        .map_or_else(|| build.main_file.to_owned(), |c| slashed(c))
}

/// A relative path with `/` separators.
fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `Cargo.lock` as far as this module reads it.
#[derive(Debug, Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

/// One `[[package]]` of `Cargo.lock`.
#[derive(Debug, Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    /// `"name"`, `"name version"` or `"name version (source)"`.
    #[serde(default)]
    dependencies: Vec<String>,
}

/// `name==version` of every package the experiment's package depends on, directly or not,
/// according to the embedded `Cargo.lock`: sorted case-insensitively, without duplicates,
/// without the package itself. Empty without a lockfile, when it cannot be read, or when
/// it does not list the package.
///
/// The lockfile does not say which dependencies are dev-, build- or platform-specific,
/// so those are listed too.
pub fn dependencies(build: &BuildInfo) -> Vec<String> {
    build
        .lockfile
        .map(|text| lockfile_dependencies(text, build.package, build.version))
        .unwrap_or_default()
}

/// [`dependencies`] of `package` `version` in the lockfile `text`.
fn lockfile_dependencies(text: &str, package: &str, version: &str) -> Vec<String> {
    let Ok(lock) = toml::from_str::<Lockfile>(text) else {
        return Vec::new();
    };
    let packages = &lock.package;
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    // The experiment's own package is a path package (no `source`) when there is a choice.
    let roots = by_name.get(package).map(Vec::as_slice).unwrap_or_default();
    let Some(&root) = roots
        .iter()
        .filter(|&&i| packages[i].version == version)
        .min_by_key(|&&i| packages[i].source.is_some())
    else {
        return Vec::new();
    };
    let resolve = |dep: &str| -> Option<usize> {
        let mut words = dep.split_whitespace();
        let name = words.next()?;
        let candidates = by_name.get(name)?;
        match words.next() {
            None => candidates.first().copied(),
            Some(v) => {
                let source = words
                    .next()
                    .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
                candidates.iter().copied().find(|&i| {
                    packages[i].version == v
                        && source.is_none_or(|s| packages[i].source.as_deref() == Some(s))
                })
            }
        }
    };
    let mut seen = BTreeSet::from([root]);
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        for dep in &packages[i].dependencies {
            if let Some(j) = resolve(dep)
                && seen.insert(j)
            {
                stack.push(j);
            }
        }
    }
    seen.remove(&root);
    let mut deps: Vec<String> = seen
        .into_iter()
        .map(|i| format!("{}=={}", packages[i].name, packages[i].version))
        .collect();
    deps.sort_by(|a, b| {
        a.to_lowercase()
            .cmp(&b.to_lowercase())
            .then_with(|| a.cmp(b))
    });
    deps.dedup();
    deps
}

/// The git repository that `dir` lies in: at most one entry. Empty when `git` is not
/// installed, `dir` is not in a repository, or the repository has no commit yet.
///
/// `url` is the `origin` remote's URL without credentials, or `git:/<toplevel>` like
/// Sacred's when there is no `origin`; `dirty` ignores untracked files; `diff` is
/// `git diff HEAD` of a dirty repository.
pub fn repositories(dir: &Path) -> Vec<Repository> {
    let Some(toplevel) = git(dir, &["rev-parse", "--show-toplevel"]) else {
        return Vec::new();
    };
    let toplevel = toplevel.trim_end_matches(['\n', '\r']).to_owned();
    let Some(commit) = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"]) else {
        return Vec::new();
    };
    let url = match git(dir, &["remote", "get-url", "origin"]) {
        Some(url) if !url.trim().is_empty() => strip_credentials(url.trim()),
        _ => format!("git:/{toplevel}"),
    };
    let status = git(dir, &["status", "--porcelain", "--untracked-files=no"]);
    let dirty = status.is_some_and(|s| !s.trim().is_empty());
    let diff = if dirty {
        git(dir, &["diff", "HEAD"]).unwrap_or_default()
    } else {
        String::new()
    };
    vec![Repository {
        url,
        commit: commit.trim().to_owned(),
        dirty,
        diff,
    }]
}

/// Runs `git -C dir ARGS` and returns its standard output, or `None` when git is missing
/// or fails. Variables that would point git elsewhere are removed, and git takes no
/// optional locks, so a user's concurrent git command is never blocked.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A remote URL without credentials: the user information of a URL with a scheme is
/// removed when it holds a password (`https://user:pass@host/x`) or when the scheme is not
/// ssh (`https://token@host/x`), since a bare user there is usually a token. An ssh user
/// (`ssh://git@host/x`, `git@host:x`) is not a secret and stays.
pub fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let ssh = scheme.eq_ignore_ascii_case("ssh")
        || scheme.eq_ignore_ascii_case("git+ssh")
        || scheme.eq_ignore_ascii_case("ssh+git");
    if ssh && !userinfo.contains(':') {
        return url.to_owned();
    }
    format!("{scheme}://{host}{path}")
}

/// Checks `-e/--enforce_clean`: a repository was found and none has uncommitted changes.
///
/// # Errors
/// The message says which repository is dirty, or that none was found, and what to do.
pub fn enforce_clean(repos: &[Repository]) -> Result<(), String> {
    if repos.is_empty() {
        return Err(
            "-e/--enforce_clean needs the experiment's sources to be in a git \
             repository with at least one commit, and none was found. Commit them to git, \
             or run without -e/--enforce_clean."
                .to_owned(),
        );
    }
    match repos.iter().find(|repo| repo.dirty) {
        Some(repo) => Err(format!(
            "the repository {} has uncommitted changes (its HEAD is {}). Commit or stash \
             them, or run without -e/--enforce_clean.",
            repo.url, repo.commit
        )),
        None => Ok(()),
    }
}

/// The text of the `print_dependencies` command, in Sacred's layout:
///
/// ```text
/// Dependencies:
///   rand                 == 0.10.0
///
/// Sources:
///   src/main.rs                                  4a37ecadbc18b2f4ffe17a047e1b9af5
///
/// Version Control:
/// M https://host/repo.git                          0123abcd…
///
/// ```
///
/// The `Version Control` section appears only when a repository was found; `M` marks a
/// dirty one, and with `color` its line is red. The text ends with an empty line, like
/// Sacred's; print it as is.
pub fn render_dependencies(record: &ExperimentRecord, color: bool) -> String {
    let mut out = String::from("Dependencies:\n");
    for dep in &record.dependencies {
        let (name, version) = dep.split_once("==").unwrap_or((dep, ""));
        let _ = writeln!(out, "  {name:<20} == {version}");
    }
    out.push_str("\nSources:\n");
    for source in &record.sources {
        let digest = md5_hex(source.content);
        let _ = writeln!(out, "  {:<43}  {digest}", source.path);
    }
    if !record.repositories.is_empty() {
        out.push_str("\nVersion Control:\n");
        for repo in &record.repositories {
            let line = format!("{:<43}  {}", repo.url, repo.commit);
            let _ = match (repo.dirty, color) {
                (true, true) => writeln!(out, "{COLOR_DIRTY}M {line}{ENDC}"),
                (true, false) => writeln!(out, "M {line}"),
                (false, _) => writeln!(out, "  {line}"),
            };
        }
    }
    out.push('\n');
    out
}

/// The md5 of `bytes`, in lowercase hex.
fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .fold(String::with_capacity(32), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::SourceFile;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "Zeta"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "alpha"
version = "0.1.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["Zeta", "bits 2.0.0"]

[[package]]
name = "bits"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "bits"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["alpha"]

[[package]]
name = "exp"
version = "0.3.0"
dependencies = [
 "alpha",
 "beta 0.5.0 (registry+https://github.com/rust-lang/crates.io-index)",
 "sacred",
]

[[package]]
name = "beta"
version = "0.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "beta"
version = "0.5.0"
source = "git+https://example.invalid/beta#abc"

[[package]]
name = "sacred"
version = "0.1.0"
dependencies = ["serde"]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "unrelated"
version = "9.9.9"
dependencies = ["bits 1.0.0"]
"#;

    fn build(lockfile: Option<&'static str>) -> BuildInfo {
        BuildInfo {
            package: "exp",
            version: "0.3.0",
            lockfile,
            ..BuildInfo::TEST
        }
    }

    #[test]
    fn dependencies_are_the_transitive_closure_sorted_case_insensitively() {
        assert_eq!(
            dependencies(&build(Some(LOCK))),
            [
                "alpha==0.1.0",
                "beta==0.5.0",
                "bits==2.0.0",
                "sacred==0.1.0",
                "serde==1.0.200",
                "Zeta==1.0.0",
            ]
        );
    }

    #[test]
    fn without_a_readable_lockfile_or_the_package_there_are_no_dependencies() {
        assert!(dependencies(&build(None)).is_empty());
        assert!(dependencies(&build(Some("not [ toml"))).is_empty());
        let other = BuildInfo {
            version: "0.4.0",
            ..build(Some(LOCK))
        };
        assert!(dependencies(&other).is_empty());
    }

    #[test]
    fn the_workspace_lockfile_lists_this_crates_dependencies() {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
            .unwrap_or_default();
        let core = BuildInfo {
            package: "sacred-core",
            version: env!("CARGO_PKG_VERSION"),
            lockfile: Some(lock.leak()),
            ..BuildInfo::TEST
        };
        let deps = dependencies(&core);
        assert!(
            deps.iter().any(|d| d.starts_with("serde_json==")),
            "{deps:?}"
        );
        assert!(deps.iter().any(|d| d.starts_with("toml==")), "{deps:?}");
        assert!(
            !deps.iter().any(|d| d.starts_with("sacred-core==")),
            "{deps:?}"
        );
        assert!(
            !deps.iter().any(|d| d.starts_with("trybuild==")),
            "{deps:?}"
        );
    }

    #[test]
    fn the_main_file_is_made_relative_to_the_manifest_dir() {
        let sources: &'static [SourceFile] = &[SourceFile {
            path: "src/main.rs",
            content: b"",
        }];
        let member = BuildInfo {
            manifest_dir: "/nonexistent/ws/member",
            main_file: "member/src/main.rs",
            sources,
            ..BuildInfo::TEST
        };
        assert_eq!(mainfile(&member), "src/main.rs");
        let root = BuildInfo {
            manifest_dir: "/nonexistent/ws",
            main_file: "examples/quickstart.rs",
            ..BuildInfo::TEST
        };
        assert_eq!(mainfile(&root), "examples/quickstart.rs");
        let nested = BuildInfo {
            manifest_dir: "/nonexistent/ws/crates/exp",
            main_file: "crates/exp/examples/run.rs",
            ..BuildInfo::TEST
        };
        assert_eq!(mainfile(&nested), "examples/run.rs");
        let absolute = BuildInfo {
            manifest_dir: "/nonexistent/ws",
            main_file: "/nonexistent/ws/src/main.rs",
            ..BuildInfo::TEST
        };
        assert_eq!(mainfile(&absolute), "src/main.rs");
        let elsewhere = BuildInfo {
            manifest_dir: "/nonexistent/ws",
            main_file: "/elsewhere/exp.rs",
            ..BuildInfo::TEST
        };
        assert_eq!(mainfile(&elsewhere), "/elsewhere/exp.rs");
    }

    #[test]
    fn the_record_gathers_the_build() {
        let sources: &'static [SourceFile] = &[SourceFile {
            path: "src/main.rs",
            content: b"fn main() {}\n",
        }];
        let info = ExperimentInfo {
            name: None,
            description: "",
            params: &[],
            named_configs: &[],
            seed_max: u64::MAX,
            build: BuildInfo {
                sources,
                main_file: "src/main.rs",
                ..build(Some(LOCK))
            },
        };
        let record = experiment_record(&info, "demo");
        assert_eq!(record.name, "demo");
        assert_eq!(record.base_dir, "/nonexistent");
        assert_eq!(record.mainfile, "src/main.rs");
        assert_eq!(record.sources, sources);
        assert_eq!(record.dependencies.len(), 6);
        assert!(record.repositories.is_empty());
    }

    #[test]
    fn credentials_are_stripped_from_urls() {
        for (url, expected) in [
            ("https://user:pass@host/x.git", "https://host/x.git"),
            ("https://token@host/x", "https://host/x"),
            ("http://u:p@host:8080/a/b?q=1", "http://host:8080/a/b?q=1"),
            ("https://a:b@c@host", "https://host"),
            ("https://host/x@y", "https://host/x@y"),
            ("https://host/x", "https://host/x"),
            ("ssh://git@host/x", "ssh://git@host/x"),
            ("ssh://git:secret@host/x", "ssh://host/x"),
            ("git@host:x", "git@host:x"),
            ("/srv/git/x", "/srv/git/x"),
        ] {
            assert_eq!(strip_credentials(url), expected, "{url}");
        }
    }

    /// Runs git in `dir` for a test, with an identity and no user or system config.
    fn git_in(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn have_git() -> bool {
        Command::new("git")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    #[test]
    fn git_repositories_are_found_with_their_state() {
        if !have_git() {
            eprintln!("git is not installed; skipped");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // Not a repository (the temporary directory is outside any).
        if git(dir, &["rev-parse", "--show-toplevel"]).is_none() {
            assert!(repositories(dir).is_empty());
        }

        git_in(dir, &["init", "-q"]);
        std::fs::create_dir(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
        // No commit yet.
        assert!(repositories(dir).is_empty());

        git_in(dir, &["add", "."]);
        git_in(dir, &["commit", "-q", "-m", "first"]);
        let head = git(dir, &["rev-parse", "HEAD"]).unwrap().trim().to_owned();
        let toplevel = git(dir, &["rev-parse", "--show-toplevel"]).unwrap();
        let clean = repositories(&dir.join("src"));
        assert_eq!(
            clean,
            [Repository {
                url: format!("git:/{}", toplevel.trim()),
                commit: head.clone(),
                dirty: false,
                diff: String::new(),
            }]
        );
        assert_eq!(enforce_clean(&clean), Ok(()));

        // An untracked file does not make it dirty.
        std::fs::write(dir.join("notes.txt"), "x").unwrap();
        assert!(!repositories(dir)[0].dirty);

        std::fs::write(dir.join("src/main.rs"), "fn main() { run() }\n").unwrap();
        git_in(
            dir,
            &[
                "remote",
                "add",
                "origin",
                "https://user:hunter2@example.invalid/exp.git",
            ],
        );
        let dirty = repositories(dir);
        assert_eq!(dirty.len(), 1);
        assert_eq!(dirty[0].url, "https://example.invalid/exp.git");
        assert_eq!(dirty[0].commit, head);
        assert!(dirty[0].dirty);
        assert!(
            dirty[0].diff.contains("+fn main() { run() }"),
            "{}",
            dirty[0].diff
        );
        let err = enforce_clean(&dirty).unwrap_err();
        assert!(err.contains("https://example.invalid/exp.git"), "{err}");
        assert!(err.contains("Commit or stash"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn enforce_clean_needs_a_repository() {
        let err = enforce_clean(&[]).unwrap_err();
        assert!(err.contains("git repository"), "{err}");
        assert!(err.contains("-e/--enforce_clean"), "{err}");
    }

    fn record(repositories: Vec<Repository>) -> ExperimentRecord {
        ExperimentRecord {
            name: "demo".into(),
            base_dir: "/ws".into(),
            mainfile: "src/main.rs".into(),
            sources: vec![
                SourceFile {
                    path: "src/main.rs",
                    content: b"",
                },
                SourceFile {
                    path: "src/model.rs",
                    content: b"abc",
                },
            ],
            dependencies: vec!["rand==0.10.0".into(), "serde_json==1.0.154".into()],
            repositories,
        }
    }

    #[test]
    fn print_dependencies_uses_sacreds_layout() {
        let text = render_dependencies(&record(Vec::new()), true);
        assert_eq!(
            text,
            "Dependencies:\n\
             \x20 rand                 == 0.10.0\n\
             \x20 serde_json           == 1.0.154\n\
             \n\
             Sources:\n\
             \x20 src/main.rs                                  d41d8cd98f00b204e9800998ecf8427e\n\
             \x20 src/model.rs                                 900150983cd24fb0d6963f7d28e17f72\n\
             \n"
        );
    }

    #[test]
    fn print_dependencies_marks_dirty_repositories() {
        let repos = vec![
            Repository {
                url: "https://example.invalid/exp.git".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                dirty: true,
                diff: "d".into(),
            },
            Repository {
                url: "git://ws".into(),
                commit: "89abcdef".into(),
                dirty: false,
                diff: String::new(),
            },
        ];
        let plain = render_dependencies(&record(repos.clone()), false);
        assert!(
            plain.ends_with(
                "\nVersion Control:\n\
                 M https://example.invalid/exp.git              0123456789abcdef0123456789abcdef01234567\n\
                 \x20 git://ws                                     89abcdef\n\
                 \n"
            ),
            "{plain}"
        );
        let colored = render_dependencies(&record(repos), true);
        assert!(
            colored.contains(
                "\n\x1b[31mM https://example.invalid/exp.git              0123456789abcdef0123456789abcdef01234567\x1b[0m\n"
            ),
            "{colored}"
        );
    }
}
