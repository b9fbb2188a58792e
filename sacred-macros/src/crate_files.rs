//! The files of the experiment's crate that the expansion embeds: its sources, and the
//! dependency graph read from the `Cargo.lock` it was built with.
//!
//! They are found when the macro expands and embedded with `include_bytes!` and
//! `include_str!`, which make cargo rebuild the crate when one of them changes, so the
//! run record always matches the binary. Nothing here is an error: a directory that
//! cannot be read or a missing `CARGO_MANIFEST_DIR` only means fewer files.

use std::path::{Component, Path, PathBuf};

use crate::linked::{self, Graph};

/// One source file to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourcePath {
    /// The path relative to the crate's manifest directory, with `/` separators; the
    /// absolute path when the file lies outside that directory.
    pub(crate) relative: String,
    /// The absolute path, for `include_bytes!`.
    pub(crate) absolute: String,
}

/// What one expansion embeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CrateFiles {
    /// The sources, sorted by relative path, without duplicates.
    pub(crate) sources: Vec<SourcePath>,
    /// The absolute path of the `Cargo.lock` above the manifest directory, if any.
    pub(crate) lockfile: Option<String>,
    /// The packages of that lockfile that may be compiled into the binary (see
    /// [`crate::linked`]); `None` without a readable lockfile listing the crate.
    pub(crate) graph: Option<Graph>,
}

impl CrateFiles {
    /// The files of the crate being compiled: `CARGO_MANIFEST_DIR` names it, and the file
    /// holding the macro call is added (an example or test outside `src/`).
    pub(crate) fn of_current_crate() -> Self {
        let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
            return Self::default();
        };
        let Ok(dir) = std::path::absolute(PathBuf::from(dir)) else {
            return Self::default();
        };
        let call_file = call_site_file();
        let mut files = Self::find(&dir, call_file.as_deref());
        let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
        let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
        // An example, test or bench gets the dev-dependencies it names.
        let dev_user = call_file
            .as_deref()
            .filter(|file| !file.starts_with(dir.join("src")))
            .and_then(|file| std::fs::read_to_string(file).ok());
        files.graph = files.lockfile.as_deref().and_then(|lockfile| {
            linked::graph(&linked::Build {
                lockfile: Path::new(lockfile),
                manifest_dir: &dir,
                package: &package,
                version: &version,
                dev_user: dev_user.as_deref(),
                cargo_home: linked::cargo_home(),
            })
        });
        files
    }

    /// The files of the crate whose `Cargo.toml` is in `manifest_dir` (absolute), plus
    /// `call_file` (absolute) when given.
    pub(crate) fn find(manifest_dir: &Path, call_file: Option<&Path>) -> Self {
        Self {
            sources: sources(manifest_dir, call_file),
            lockfile: lockfile(manifest_dir).and_then(|p| p.to_str().map(str::to_owned)),
            graph: None,
        }
    }
}

/// The file that holds the macro call, as an absolute path; `None` outside a macro
/// expansion (unit tests) or when the call is not in a file on disk.
pub(crate) fn call_site_file() -> Option<PathBuf> {
    if !proc_macro::is_available() {
        return None;
    }
    let path = proc_macro::Span::call_site().local_file()?;
    // rustc's paths are relative to its working directory, which is ours.
    std::path::absolute(path).ok()
}

/// Every `.rs` file under `src/`, `build.rs` when present, and `call_file`: sorted by
/// relative path, deduplicated, skipping `target/` and hidden directories and any path
/// that is not UTF-8 (it could not be written in `include_bytes!`).
fn sources(manifest_dir: &Path, call_file: Option<&Path>) -> Vec<SourcePath> {
    let mut files = Vec::new();
    rust_files_under(&manifest_dir.join("src"), &mut files);
    let build_script = manifest_dir.join("build.rs");
    if build_script.is_file() {
        files.push(build_script);
    }
    if let Some(file) = call_file.filter(|file| file.is_file()) {
        files.push(file.to_path_buf());
    }
    let mut sources: Vec<SourcePath> = files
        .iter()
        .filter_map(|file| {
            Some(SourcePath {
                relative: relative_path(manifest_dir, file)?,
                absolute: file.to_str()?.to_owned(),
            })
        })
        .collect();
    sources.sort_by(|a, b| a.relative.cmp(&b.relative));
    sources.dedup_by(|a, b| a.relative == b.relative);
    sources
}

/// Adds the `.rs` files under `dir` to `out`, recursively. Symbolic links to files are
/// followed; symbolic links to directories are not, so a link cycle cannot loop.
fn rust_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            if name != "target" {
                rust_files_under(&path, out);
            }
        } else if name.ends_with(".rs") && path.is_file() {
            out.push(path);
        }
    }
}

/// `file` relative to `dir` with `/` separators, or `file` itself when it lies outside;
/// `None` when the path is not UTF-8.
fn relative_path(dir: &Path, file: &Path) -> Option<String> {
    let Ok(rest) = file.strip_prefix(dir) else {
        return file.to_str().map(str::to_owned);
    };
    let parts = rest
        .components()
        .map(|part| match part {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(parts.join("/"))
}

/// The first `Cargo.lock` in `dir` or a directory above it.
fn lockfile(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|lock| lock.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TempDir;

    fn relative(files: &CrateFiles) -> Vec<&str> {
        files.sources.iter().map(|s| s.relative.as_str()).collect()
    }

    #[test]
    fn sources_are_the_rust_files_of_src_build_rs_and_the_calling_file() {
        let tmp = TempDir::new();
        let krate = tmp.0.join("member");
        tmp.write("member/Cargo.toml", "");
        tmp.write("member/src/main.rs", "");
        tmp.write("member/src/model/mod.rs", "");
        tmp.write("member/src/model/layer.rs", "");
        tmp.write("member/src/notes.md", "");
        tmp.write("member/src/.hidden/skip.rs", "");
        tmp.write("member/src/target/skip.rs", "");
        tmp.write("member/build.rs", "");
        tmp.write("member/other.rs", "");
        let example = tmp.write("member/examples/demo.rs", "");
        tmp.write("member/tests/skip.rs", "");

        let files = CrateFiles::find(&krate, Some(&example));
        assert_eq!(
            relative(&files),
            [
                "build.rs",
                "examples/demo.rs",
                "src/main.rs",
                "src/model/layer.rs",
                "src/model/mod.rs",
            ]
        );
        for source in &files.sources {
            assert_eq!(Path::new(&source.absolute), krate.join(&source.relative));
        }
    }

    #[test]
    fn the_calling_file_in_src_is_listed_once() {
        let tmp = TempDir::new();
        let main = tmp.write("src/main.rs", "");
        let files = CrateFiles::find(&tmp.0, Some(&main));
        assert_eq!(relative(&files), ["src/main.rs"]);
    }

    #[test]
    fn a_calling_file_outside_the_crate_keeps_its_absolute_path() {
        let tmp = TempDir::new();
        tmp.write("krate/src/lib.rs", "");
        let outside = tmp.write("shared/exp.rs", "");
        let files = CrateFiles::find(&tmp.0.join("krate"), Some(&outside));
        let outside = outside.to_str().unwrap();
        assert_eq!(relative(&files), [outside, "src/lib.rs"]);
    }

    #[test]
    fn a_missing_directory_gives_no_sources_and_no_error() {
        let tmp = TempDir::new();
        let missing = tmp.0.join("nothing/here");
        let files = CrateFiles::find(&missing, Some(&missing.join("main.rs")));
        assert!(files.sources.is_empty());
    }

    #[test]
    fn the_lockfile_is_found_in_the_manifest_dir_or_above() {
        let tmp = TempDir::new();
        tmp.write("ws/member/src/main.rs", "");
        // A directory above the temporary one may hold a Cargo.lock; none inside it does.
        let above = lockfile(&tmp.0.join("ws/member"));
        assert!(
            above.as_ref().is_none_or(|p| !p.starts_with(&tmp.0)),
            "{above:?}"
        );
        let lock = tmp.write("ws/Cargo.lock", "version = 4\n");
        let files = CrateFiles::find(&tmp.0.join("ws/member"), None);
        assert_eq!(files.lockfile.as_deref(), lock.to_str());
        let own = tmp.write("ws/member/Cargo.lock", "version = 4\n");
        let files = CrateFiles::find(&tmp.0.join("ws/member"), None);
        assert_eq!(files.lockfile.as_deref(), own.to_str());
    }

    #[test]
    fn outside_a_macro_expansion_there_is_no_call_site_file() {
        assert_eq!(call_site_file(), None);
    }
}
