//! The experiment's dependencies, read from the `Cargo.lock` embedded in its binary.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use crate::experiment::BuildInfo;

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
pub(crate) fn dependencies(build: &BuildInfo) -> Vec<String> {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) const LOCK: &str = r#"
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
}
