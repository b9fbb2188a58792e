//! The `print_dependencies` command's text, in Sacred's layout.

use std::fmt::Write as _;

use crate::ansi::{RED, paint};
use crate::digest::md5_hex;
use crate::observer::ExperimentRecord;

/// The text of the `print_dependencies` command, in Sacred's layout:
///
/// ```text
/// Dependencies:
/// * rand                 == 0.10.0
///   rand_core            == 0.10.0
///
/// Sources:
///   src/main.rs                                  4a37ecadbc18b2f4ffe17a047e1b9af5
///
/// Version Control:
/// M https://host/repo.git                          0123abcd…
///
/// ```
///
/// A `*` in place of the first space marks the experiment's direct dependencies among all
/// the packages compiled in. The `Version Control`
/// section appears only when a repository was found; `M` marks a dirty one, and with `color` its line is red. The text ends with an empty line, like
/// Sacred's; print it as is.
pub(crate) fn render_dependencies(record: &ExperimentRecord, color: bool) -> String {
    let mut out = String::from("Dependencies:\n");
    for dep in &record.dependencies {
        let (name, version) = dep.split_once("==").unwrap_or((dep, ""));
        let mark = if record.direct_dependencies.contains(dep) {
            '*'
        } else {
            ' '
        };
        let _ = writeln!(out, "{mark} {name:<20} == {version}");
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
            // Sacred's dirty-repository marker, red with `color`.
            let _ = if repo.dirty {
                writeln!(out, "{}", paint(&format!("M {line}"), RED, color))
            } else {
                writeln!(out, "  {line}")
            };
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::{Repository, SourceFile};

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
            direct_dependencies: vec!["rand==0.10.0".into()],
            repositories,
        }
    }

    #[test]
    fn print_dependencies_uses_sacreds_layout() {
        let text = render_dependencies(&record(Vec::new()), true);
        assert_eq!(
            text,
            "Dependencies:\n\
             * rand                 == 0.10.0\n\
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
