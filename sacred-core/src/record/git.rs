//! The git repository the experiment's sources lie in: its place and `origin` read from
//! the `.git` directory, its state from the `git` command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::observer::Repository;

/// The git repository that `dir` lies in: at most one entry. Empty when `git` is not
/// installed, `dir` is not in a repository, or the repository has no commit yet.
///
/// `url` is the `origin` remote's URL without credentials, or `git:/<toplevel>` like
/// Sacred's when there is no `origin`; `dirty` ignores untracked files; `diff` is
/// `git diff HEAD` of a dirty repository.
///
/// A run's start waits for this, so it costs one `git status` and, at the same time,
/// one `git diff HEAD`: the top level and the remote are read from the files of the
/// `.git` directory (a process each would cost as much as the status).
pub(crate) fn repositories(dir: &Path) -> Vec<Repository> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(place) = find_repository(&dir) else {
        return Vec::new();
    };
    let (status, diff) = std::thread::scope(|scope| {
        let diff = scope.spawn(|| git(&dir, &["diff", "HEAD"]));
        let status = git(
            &dir,
            &[
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=no",
            ],
        );
        (status, diff.join().ok().flatten())
    });
    let Some(status) = status else {
        return Vec::new();
    };
    let mut commit = None;
    let mut dirty = false;
    for line in status.lines() {
        match line.strip_prefix("# branch.oid ") {
            Some(oid) => commit = Some(oid.trim()),
            None => dirty |= !line.starts_with('#') && !line.trim().is_empty(),
        }
    }
    // `(initial)`: the repository has no commit yet.
    let Some(commit) = commit.filter(|oid| oid.bytes().all(|b| b.is_ascii_hexdigit())) else {
        return Vec::new();
    };
    let url = match origin_url(&place) {
        Some(url) if !url.trim().is_empty() => crate::secret::strip_credentials(url.trim()),
        _ => format!("git:/{}", place.toplevel.display()),
    };
    vec![Repository {
        url,
        commit: commit.to_owned(),
        dirty,
        diff: if dirty {
            diff.unwrap_or_default()
        } else {
            String::new()
        },
    }]
}

/// Where a repository lies.
#[derive(Debug, PartialEq)]
struct Place {
    /// The working tree's top directory.
    toplevel: PathBuf,
    /// The directory holding the repository's config: `.git`, or the main repository's
    /// for a linked worktree.
    common_dir: PathBuf,
}

/// The repository `dir` lies in, found as git finds it: the nearest directory upwards
/// with a `.git` directory, or a `.git` file naming one (`gitdir: PATH`, a worktree or a
/// submodule).
fn find_repository(dir: &Path) -> Option<Place> {
    dir.ancestors().find_map(|toplevel| {
        let dot_git = toplevel.join(".git");
        let git_dir = if dot_git.is_dir() {
            dot_git
        } else {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = Path::new(text.strip_prefix("gitdir:")?.trim());
            toplevel.join(target)
        };
        // A linked worktree's own directory names the shared one in `commondir`.
        let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(common) => git_dir.join(common.trim()),
            Err(_) => git_dir,
        };
        Some(Place {
            toplevel: toplevel.to_path_buf(),
            common_dir,
        })
    })
}

/// The URL of the `origin` remote, as `git remote get-url origin` gives it but without
/// `insteadOf` rewriting (as Sacred reads it). A config that includes other files is
/// left to git itself.
fn origin_url(place: &Place) -> Option<String> {
    let config = std::fs::read_to_string(place.common_dir.join("config")).ok()?;
    if config.contains("[include") {
        return git(&place.toplevel, &["remote", "get-url", "origin"]);
    }
    config_value(&config, "remote", "origin", "url")
}

/// The first value of `KEY` in the section `[SECTION "SUBSECTION"]` of a git config
/// file. Section and key names are matched without regard to case, the subsection
/// exactly; quotes are removed and comments dropped.
fn config_value(config: &str, section: &str, subsection: &str, key: &str) -> Option<String> {
    let mut inside = false;
    for line in config.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or_default();
            inside = match header.split_once(char::is_whitespace) {
                Some((name, sub)) => {
                    name.eq_ignore_ascii_case(section) && sub.trim().trim_matches('"') == subsection
                }
                None => false,
            };
            continue;
        }
        if !inside {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case(key) {
            return Some(unquote(value.trim()));
        }
    }
    None
}

/// A git config value without its quotes, its escapes resolved and a trailing comment
/// dropped.
fn unquote(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut quoted = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            },
            '#' | ';' if !quoted => break,
            c => out.push(c),
        }
    }
    out.trim_end().to_owned()
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

/// Checks `-e/--enforce_clean`: a repository was found and none has uncommitted changes.
///
/// # Errors
/// The message says which repository is dirty, or that none was found, and what to do.
pub(crate) fn enforce_clean(repos: &[Repository]) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_linked_worktree_reads_the_main_repository_s_remote() {
        if !have_git() {
            eprintln!("git is not installed; skipped");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let main = tmp.path().join("main");
        std::fs::create_dir(&main).unwrap();
        git_in(&main, &["init", "-q"]);
        std::fs::write(main.join("a.rs"), "fn a() {}\n").unwrap();
        git_in(&main, &["add", "."]);
        git_in(&main, &["commit", "-q", "-m", "first"]);
        git_in(
            &main,
            &["remote", "add", "origin", "git@example.invalid:exp.git"],
        );
        let linked = tmp.path().join("linked");
        git_in(&main, &["worktree", "add", "-q", linked.to_str().unwrap()]);
        let head = git(&main, &["rev-parse", "HEAD"])
            .unwrap()
            .trim()
            .to_owned();

        let repos = repositories(&linked);
        assert_eq!(repos.len(), 1, "{repos:?}");
        assert_eq!(repos[0].url, "git@example.invalid:exp.git");
        assert_eq!(repos[0].commit, head);
        assert!(!repos[0].dirty);
        let place = find_repository(&linked).unwrap();
        assert_eq!(place.toplevel, linked);
    }

    #[test]
    fn config_values_are_read_as_git_reads_them() {
        let config = "[core]\n\tbare = false\n\
                      [remote \"upstream\"]\n\turl = https://example.invalid/up.git\n\
                      [Remote \"origin\"] # the main one\n\
                      \tfetch = +refs/heads/*:refs/remotes/origin/*\n\
                      \tURL = \"https://example.invalid/a b.git\" ; quoted\n\
                      \turl = https://example.invalid/second.git\n";
        assert_eq!(
            config_value(config, "remote", "origin", "url").as_deref(),
            Some("https://example.invalid/a b.git")
        );
        assert_eq!(
            config_value(config, "remote", "upstream", "url").as_deref(),
            Some("https://example.invalid/up.git")
        );
        assert_eq!(config_value(config, "remote", "ORIGIN", "url"), None);
        assert_eq!(config_value(config, "remote", "fork", "url"), None);
        assert_eq!(unquote(r#"a\"b\\c # note"#), r#"a"b\c"#);
    }

    #[test]
    fn enforce_clean_needs_a_repository() {
        let err = enforce_clean(&[]).unwrap_err();
        assert!(err.contains("git repository"), "{err}");
        assert!(err.contains("-e/--enforce_clean"), "{err}");
    }
}
