//! The experiment's dependencies: the packages compiled into its binary, from the graph
//! the macro embedded (see `sacred-macros/src/linked.rs` for how it is found).

use std::collections::BTreeSet;

use crate::experiment::{BuildInfo, DependencyGraph, GraphPackage};

/// One package compiled into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dependency {
    /// Its name, as `Cargo.lock` writes it.
    pub(crate) name: &'static str,
    /// Its version.
    pub(crate) version: &'static str,
    /// Whether the experiment's own package depends on it directly.
    pub(crate) direct: bool,
}

impl Dependency {
    /// Sacred's form: `name==version`.
    pub(crate) fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// Every package compiled into the binary, without the experiment's own: sorted
/// case-insensitively (then by version), without duplicates. Empty when the macro found no
/// lockfile.
///
/// Features are resolved as cargo resolves them for one target: from the experiment's
/// features that are on, each declaration that applies to the target turns its package on
/// when it is not optional (or a feature turns it on), with the features it asks for;
/// the features of a package are the union of all asked for.
pub(crate) fn linked(build: &BuildInfo) -> Vec<Dependency> {
    let graph = build.dependencies;
    if graph.packages.is_empty() {
        return Vec::new();
    }
    let mut resolver = Resolver::new(graph);
    resolver.activate(0);
    for (feature, on) in graph.root_features {
        if *on {
            resolver.feature(0, feature);
        }
    }
    let direct: Vec<bool> = (0..graph.packages.len())
        .map(|to| {
            graph.packages[0]
                .deps
                .iter()
                .enumerate()
                .any(|(d, decl)| decl.to as usize == to && resolver.used[0][d])
        })
        .collect();
    let mut deps: Vec<Dependency> = (1..graph.packages.len())
        .filter(|&i| resolver.active[i])
        .map(|i| Dependency {
            name: graph.packages[i].name,
            version: graph.packages[i].version,
            direct: direct[i],
        })
        .collect();
    deps.sort_by(|a, b| {
        (a.name.to_lowercase(), a.name, a.version).cmp(&(b.name.to_lowercase(), b.name, b.version))
    });
    deps.dedup();
    deps
}

/// Cargo's feature resolution over a [`DependencyGraph`], for one target.
struct Resolver {
    graph: DependencyGraph,
    /// Packages compiled in.
    active: Vec<bool>,
    /// Per package, per declaration: in use.
    used: Vec<Vec<bool>>,
    /// Per package: the features on.
    features: Vec<BTreeSet<&'static str>>,
}

impl Resolver {
    fn new(graph: DependencyGraph) -> Self {
        Self {
            graph,
            active: vec![false; graph.packages.len()],
            used: graph
                .packages
                .iter()
                .map(|p| vec![false; p.deps.len()])
                .collect(),
            features: vec![BTreeSet::new(); graph.packages.len()],
        }
    }

    fn package(&self, p: usize) -> Option<&'static GraphPackage> {
        self.graph.packages.get(p)
    }

    /// Package `p` is compiled in: so are its non-optional dependencies for this target.
    fn activate(&mut self, p: usize) {
        let Some(package) = self.package(p) else {
            return;
        };
        if std::mem::replace(&mut self.active[p], true) {
            return;
        }
        for (d, decl) in package.deps.iter().enumerate() {
            if !decl.optional {
                self.use_decl(p, d);
            }
        }
    }

    /// Declaration `d` of package `p` is in use (when it applies to this target): its
    /// package is compiled in, with the features it asks for, and those that features of
    /// `p` asked for with `key?/feature`.
    fn use_decl(&mut self, p: usize, d: usize) {
        let Some(decl) = self.package(p).and_then(|package| package.deps.get(d)) else {
            return;
        };
        if !decl.on || std::mem::replace(&mut self.used[p][d], true) {
            return;
        }
        let to = decl.to as usize;
        self.activate(to);
        if decl.default_features {
            self.feature(to, "default");
        }
        for feature in decl.features {
            self.feature(to, feature);
        }
        let weak: Vec<&'static str> = self
            .items_on(p)
            .filter_map(|item| item.strip_prefix(decl.key)?.strip_prefix("?/"))
            .collect();
        for feature in weak {
            self.feature(to, feature);
        }
    }

    /// The items of the features of `p` that are on.
    fn items_on(&self, p: usize) -> impl Iterator<Item = &'static str> + use<'_> {
        let table = self.package(p).map_or(&[][..], |package| package.features);
        table
            .iter()
            .filter(move |(name, _)| self.features[p].contains(name))
            .flat_map(|(_, items)| items.iter().copied())
    }

    /// The declarations of `p` named `key`.
    fn decls_named(&self, p: usize, key: &str) -> Vec<usize> {
        self.package(p)
            .map(|package| {
                package
                    .deps
                    .iter()
                    .enumerate()
                    .filter(|(_, decl)| decl.key == key)
                    .map(|(d, _)| d)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Feature `feature` of package `p` is on.
    fn feature(&mut self, p: usize, feature: &'static str) {
        let Some(package) = self.package(p) else {
            return;
        };
        if !self.features[p].insert(feature) {
            return;
        }
        let items = package
            .features
            .iter()
            .find(|(name, _)| *name == feature)
            .map(|(_, items)| *items);
        let Some(items) = items else {
            // No such feature in the table: the implicit feature of an optional
            // dependency, or one that turns nothing on.
            for d in self.decls_named(p, feature) {
                self.use_decl(p, d);
            }
            return;
        };
        for item in items {
            if let Some(key) = item.strip_prefix("dep:") {
                for d in self.decls_named(p, key) {
                    self.use_decl(p, d);
                }
            } else if let Some((key, sub)) = item.split_once('/') {
                let (key, weak) = match key.strip_suffix('?') {
                    Some(key) => (key, true),
                    None => (key, false),
                };
                for d in self.decls_named(p, key) {
                    if !weak {
                        self.use_decl(p, d);
                    }
                    if self.used[p][d] {
                        let to = package.deps[d].to as usize;
                        self.feature(to, sub);
                    }
                }
            } else {
                self.feature(p, item);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::experiment::DependencyDecl;

    const fn decl(key: &'static str, to: u32) -> DependencyDecl {
        DependencyDecl {
            key,
            to,
            on: true,
            optional: false,
            default_features: true,
            features: &[],
        }
    }

    const fn package(
        name: &'static str,
        version: &'static str,
        features: &'static [(&'static str, &'static [&'static str])],
        deps: &'static [DependencyDecl],
    ) -> GraphPackage {
        GraphPackage {
            name,
            version,
            features,
            deps,
        }
    }

    /// exp → alpha → Zeta; exp → windows-only (off: another target) → gamma;
    /// exp → delta → bits 1; exp → bits 2; exp → opt (optional, its feature `extra` off);
    /// exp → feat (with feature `more`, which turns on feat → hidden, optional);
    /// alpha → weak? (`alpha`'s default asks `lazy?/x`: lazy stays off).
    pub(crate) const GRAPH: DependencyGraph = DependencyGraph {
        packages: &[
            package(
                "exp",
                "0.3.0",
                &[("extra", &["dep:opt"])],
                &[
                    decl("alpha", 1),
                    DependencyDecl {
                        on: false,
                        ..decl("windows-only", 3)
                    },
                    decl("delta", 5),
                    decl("bits", 6),
                    DependencyDecl {
                        optional: true,
                        ..decl("opt", 8)
                    },
                    DependencyDecl {
                        default_features: false,
                        features: &["more"],
                        ..decl("feat", 9)
                    },
                ],
            ),
            package(
                "alpha",
                "0.1.0",
                &[("default", &["lazy?/x"])],
                &[
                    decl("Zeta", 2),
                    DependencyDecl {
                        optional: true,
                        ..decl("lazy", 11)
                    },
                ],
            ),
            package("Zeta", "1.0.0", &[], &[decl("exp", 0)]),
            package("windows-only", "0.5.0", &[], &[decl("gamma", 4)]),
            package("gamma", "2.0.0", &[], &[]),
            package("delta", "0.2.0", &[], &[decl("bits", 7)]),
            package("bits", "2.0.0", &[], &[]),
            package("bits", "1.0.0", &[], &[]),
            package("opt", "1.0.0", &[], &[]),
            package(
                "feat",
                "0.1.0",
                &[("more", &["hidden/std"]), ("default", &["dep:never"])],
                &[
                    DependencyDecl {
                        optional: true,
                        ..decl("hidden", 10)
                    },
                    DependencyDecl {
                        optional: true,
                        ..decl("never", 12)
                    },
                ],
            ),
            package("hidden", "0.1.0", &[], &[]),
            package("lazy", "0.1.0", &[], &[]),
            package("never", "0.1.0", &[], &[]),
        ],
        root_features: &[("extra", false), ("opt", false)],
    };

    fn build(dependencies: DependencyGraph) -> BuildInfo {
        BuildInfo {
            package: "exp",
            version: "0.3.0",
            dependencies,
            ..BuildInfo::TEST
        }
    }

    fn shown(deps: &[Dependency]) -> Vec<(String, bool)> {
        deps.iter().map(|d| (d.requirement(), d.direct)).collect()
    }

    #[test]
    fn the_packages_compiled_in_sorted_with_the_direct_ones_marked() {
        let deps = linked(&build(GRAPH));
        let expected = [
            ("alpha==0.1.0", true),
            ("bits==1.0.0", false),
            ("bits==2.0.0", true),
            ("delta==0.2.0", true),
            ("feat==0.1.0", true),
            ("hidden==0.1.0", false),
            ("Zeta==1.0.0", false),
        ];
        let expected: Vec<(String, bool)> = expected
            .iter()
            .map(|(r, d)| ((*r).to_owned(), *d))
            .collect();
        assert_eq!(shown(&deps), expected);
    }

    #[test]
    fn a_feature_of_the_experiment_turns_its_optional_dependency_on() {
        for features in [
            &[("extra", true), ("opt", false)][..],
            &[("extra", false), ("opt", true)][..],
        ] {
            let graph = DependencyGraph {
                root_features: features,
                ..GRAPH
            };
            let deps = linked(&build(graph));
            assert!(
                shown(&deps).contains(&("opt==1.0.0".to_owned(), true)),
                "{features:?}: {deps:?}"
            );
        }
    }

    #[test]
    fn without_a_graph_there_are_no_dependencies() {
        assert!(linked(&build(DependencyGraph::EMPTY)).is_empty());
    }
}
