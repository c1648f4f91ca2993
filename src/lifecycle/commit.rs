//! Lifecycle changes as git commits, made with the user's own `git commit` (so their
//! identity, signing and hooks apply). A commit only ever holds the files enseal
//! changed: files with changes of the user's are refused before anything is touched.

use crate::git::cli::{GitError, Repo};

/// Paths among `paths` (repository-relative) with staged or unstaged changes.
pub fn dirty(repo: &Repo, paths: &[String]) -> Result<Vec<String>, GitError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec![
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=no",
        "--",
    ];
    args.extend(paths.iter().map(String::as_str));
    let out = repo.git(&args)?;
    Ok(out
        .split(|b| *b == 0)
        .filter(|e| e.len() > 3)
        .map(|e| String::from_utf8_lossy(&e[3..]).into_owned())
        .collect())
}

/// Commits exactly `paths` (their work tree contents) with `message`; returns the
/// new commit's id.
pub fn commit(repo: &Repo, paths: &[String], message: &str) -> Result<String, GitError> {
    let mut add = vec!["add", "--"];
    add.extend(paths.iter().map(String::as_str));
    repo.git(&add)?;
    let mut args = vec!["commit", "-q", "-F", "-", "--only", "--"];
    args.extend(paths.iter().map(String::as_str));
    repo.git_with_input(&args, message.as_bytes())?;
    let head = repo.git(&["rev-parse", "HEAD"])?;
    Ok(String::from_utf8_lossy(&head).trim().to_string())
}
