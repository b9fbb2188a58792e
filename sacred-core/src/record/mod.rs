//! The experiment record: sources, dependencies, repositories, and Sacred's `meta`.
//!
//! Sacred's `experiment` record is `{name, base_dir, mainfile, sources, dependencies,
//! repositories}`. Here the sources are embedded in the binary by the macro
//! ([`experiment_record`]), the dependencies are the packages compiled into the binary,
//! from the graph of `Cargo.lock` the macro embedded ([`dependencies`]), and the
//! repositories come from the `git` command line ([`git`]). Git is the slow part: it is probed once per run, by the pump
//! thread, not on the experiment's thread.

mod dependencies;
mod git;
mod meta;
mod render;

use std::path::{Path, PathBuf};

use crate::experiment::{BuildInfo, ExperimentInfo};
use crate::observer::ExperimentRecord;

use dependencies::{Dependency, linked};
pub(crate) use git::{enforce_clean, repositories};
pub(crate) use meta::meta;
pub(crate) use render::render_dependencies;

/// The experiment record without its repositories: git is probed separately, by
/// [`repositories`], off the experiment's thread (or before the run for
/// `-e/--enforce_clean`).
pub(crate) fn experiment_record(info: &ExperimentInfo, name: &str) -> ExperimentRecord {
    let build = &info.build;
    let linked = linked(build);
    ExperimentRecord {
        name: name.to_owned(),
        base_dir: build.manifest_dir.to_owned(),
        mainfile: mainfile(build),
        sources: build.sources.to_vec(),
        dependencies: linked.iter().map(Dependency::requirement).collect(),
        direct_dependencies: linked
            .iter()
            .filter(|d| d.direct)
            .map(Dependency::requirement)
            .collect(),
        repositories: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::SourceFile;

    fn build() -> BuildInfo {
        BuildInfo {
            package: "exp",
            version: "0.3.0",
            dependencies: dependencies::tests::GRAPH,
            ..BuildInfo::TEST
        }
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
            own_logging: None,
            build: BuildInfo {
                sources,
                main_file: "src/main.rs",
                ..build()
            },
        };
        let record = experiment_record(&info, "demo");
        assert_eq!(record.name, "demo");
        assert_eq!(record.base_dir, "/nonexistent");
        assert_eq!(record.mainfile, "src/main.rs");
        assert_eq!(record.sources, sources);
        assert_eq!(record.dependencies.len(), 7);
        assert_eq!(
            record.direct_dependencies,
            ["alpha==0.1.0", "bits==2.0.0", "delta==0.2.0", "feat==0.1.0"]
        );
        assert!(record.repositories.is_empty());
    }

    #[test]
    fn the_record_never_runs_git() {
        // The manifest dir of this crate is in a git repository; the record still has no
        // repositories: they are probed once, by the pump thread.
        let info = ExperimentInfo {
            name: None,
            description: "",
            params: &[],
            named_configs: &[],
            seed_max: u64::MAX,
            own_logging: None,
            build: BuildInfo {
                manifest_dir: env!("CARGO_MANIFEST_DIR"),
                ..build()
            },
        };
        assert!(experiment_record(&info, "demo").repositories.is_empty());
    }
}
