//! `enseal hook pre-commit`: the check git runs before each commit.

use std::path::Path;

use super::io::load_config;
use crate::cli::HookCommand;
use crate::error::Error;
use crate::git::cli::Repo;
use crate::git::hook;

/// Runs a hook check.
pub fn run(cmd: HookCommand, config_path: Option<&Path>) -> Result<(), Error> {
    match cmd {
        HookCommand::PreCommit => pre_commit(config_path),
    }
}

fn pre_commit(config_path: Option<&Path>) -> Result<(), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let repo = Repo::discover(&cwd)?;
    let staging = hook::staged(&repo)?;
    if staging.files.is_empty() {
        return Ok(());
    }
    let config = load_config(config_path)?.filter(|c| c.has_rules());
    let rules = config.as_ref().map(|c| c.path_rules(&cwd));
    let findings = hook::check(
        &staging.files,
        Some(&staging.unstaged),
        rules.as_ref(),
        &repo,
    )?;
    for f in &findings {
        eprintln!("enseal: {f}");
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Blocked(findings.len()))
    }
}
