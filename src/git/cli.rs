//! Running `git` itself. The drivers are called by git, so git is always there; using
//! its command line (not a library) reads the repository exactly as the user's git
//! does: `core.hooksPath`, worktrees, `safe.directory`, the index format.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why a git command failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git could not be started.
    #[error("cannot run git: {0}")]
    Start(std::io::Error),
    /// git exited with a failure.
    #[error("`git {args}` failed: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// git's message.
        stderr: String,
    },
    /// Not inside a git work tree.
    #[error("not inside a git repository (run this in one)")]
    NotARepository,
}

/// A git work tree.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The top of the work tree.
    pub root: PathBuf,
}

impl Repo {
    /// The repository containing `dir`.
    pub fn discover(dir: &Path) -> Result<Repo, GitError> {
        let out = run_in(dir, &["rev-parse", "--show-toplevel"], None)
            .map_err(|_| GitError::NotARepository)?;
        let root = String::from_utf8_lossy(&out).trim().to_string();
        if root.is_empty() {
            return Err(GitError::NotARepository);
        }
        Ok(Repo {
            root: PathBuf::from(root),
        })
    }

    /// Runs git at the top of the work tree; returns its standard output.
    pub fn git(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        run_in(&self.root, args, None)
    }

    /// Runs git with `input` on its standard input.
    pub fn git_with_input(&self, args: &[&str], input: &[u8]) -> Result<Vec<u8>, GitError> {
        run_in(&self.root, args, Some(input))
    }

    /// A path git names (`--git-path hooks` follows `core.hooksPath`), made absolute.
    pub fn git_path(&self, name: &str) -> Result<PathBuf, GitError> {
        let out = self.git(&["rev-parse", "--git-path", name])?;
        let p = PathBuf::from(String::from_utf8_lossy(&out).trim());
        Ok(if p.is_absolute() {
            p
        } else {
            self.root.join(p)
        })
    }

    /// A repository-local config value.
    pub fn config_get(&self, key: &str) -> Option<String> {
        self.git(&["config", "--local", "--get", key])
            .ok()
            .map(|v| String::from_utf8_lossy(&v).trim_end().to_string())
    }

    /// Sets a repository-local config value.
    pub fn config_set(&self, key: &str, value: &str) -> Result<(), GitError> {
        self.git(&["config", "--local", key, value]).map(drop)
    }

    /// Removes a repository-local config section, if there is one.
    pub fn config_remove_section(&self, section: &str) {
        let _ = self.git(&["config", "--local", "--remove-section", section]);
    }
}

fn run_in(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Start)?;
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("piped");
        // Fed from a thread: git may fill its output pipe before reading all input.
        let input = input.to_vec();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().map_err(GitError::Start)?;
        let _ = feeder.join();
        return finish(args, out);
    }
    let out = child.wait_with_output().map_err(GitError::Start)?;
    finish(args, out)
}

fn finish(args: &[&str], out: std::process::Output) -> Result<Vec<u8>, GitError> {
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}
