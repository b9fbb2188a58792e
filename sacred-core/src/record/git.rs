//! The git repository the experiment's sources lie in, from the `git` command line.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::observer::Repository;

/// The git repository that `dir` lies in: at most one entry. Empty when `git` is not
/// installed, `dir` is not in a repository, or the repository has no commit yet.
///
/// `url` is the `origin` remote's URL without credentials, or `git:/<toplevel>` like
/// Sacred's when there is no `origin`; `dirty` ignores untracked files; `diff` is
/// `git diff HEAD` of a dirty repository.
pub(crate) fn repositories(dir: &Path) -> Vec<Repository> {
    // The four questions are asked at once: a run's start waits for the slowest, not for
    // their sum.
    let (toplevel, commit, url, status) = std::thread::scope(|scope| {
        let ask = |args: &'static [&'static str]| scope.spawn(move || git(dir, args));
        let toplevel = ask(&["rev-parse", "--show-toplevel"]);
        let commit = ask(&["rev-parse", "--verify", "--quiet", "HEAD"]);
        let url = ask(&["remote", "get-url", "origin"]);
        let status = ask(&["status", "--porcelain", "--untracked-files=no"]);
        (
            toplevel.join().ok().flatten(),
            commit.join().ok().flatten(),
            url.join().ok().flatten(),
            status.join().ok().flatten(),
        )
    });
    let Some(toplevel) = toplevel else {
        return Vec::new();
    };
    let toplevel = toplevel.trim_end_matches(['\n', '\r']).to_owned();
    let Some(commit) = commit else {
        return Vec::new();
    };
    let url = match url {
        Some(url) if !url.trim().is_empty() => crate::secret::strip_credentials(url.trim()),
        _ => format!("git:/{toplevel}"),
    };
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
    fn enforce_clean_needs_a_repository() {
        let err = enforce_clean(&[]).unwrap_err();
        assert!(err.contains("git repository"), "{err}");
        assert!(err.contains("-e/--enforce_clean"), "{err}");
    }
}
