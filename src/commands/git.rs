//! `enseal git …`: the drivers git calls and the setup that wires them in.

use std::io::Write;
use std::path::Path;

use super::decrypt::decryption_order;
use crate::cli::{GitCommand, GitMergeArgs, GitTextconvArgs};
use crate::error::Error;
use crate::format::Format;
use crate::git::merge::{self, Outcome, Versions};
use crate::keys::KeyEnv;

/// Runs a `git` subcommand.
pub fn run(cmd: GitCommand, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    match cmd {
        GitCommand::Setup(args) => super::git_setup::run(&args, config_path),
        GitCommand::Textconv(args) => textconv(&args, env),
        GitCommand::Merge(args) => merge(&args, env),
        GitCommand::CleanCheck => super::git_setup::clean_check(config_path),
    }
}

/// Prints the file as git should show it; never fails once the file is read.
fn textconv(args: &GitTextconvArgs, env: &KeyEnv) -> Result<(), Error> {
    let bytes = read(&args.file)?;
    let order = decryption_order(None, env).unwrap_or_default();
    let shown = zeroize::Zeroizing::new(crate::git::textconv::render(
        &bytes, &args.file, &order, env,
    ));
    let mut out = std::io::stdout().lock();
    match out.write_all(&shown).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "<stdout>".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Merges the three versions into `ours`; a conflict is an error (exit 1), which git
/// reports as a conflicted file.
fn merge(args: &GitMergeArgs, env: &KeyEnv) -> Result<(), Error> {
    let shown = args.path.display().to_string();
    let base = read(&args.base)?;
    let ours = read(&args.ours)?;
    let theirs = read(&args.theirs)?;
    let format = Format::detect(&args.path, None, &ours);
    let order = decryption_order(None, env)?;
    let versions = Versions {
        base: &base,
        ours: &ours,
        theirs: &theirs,
    };
    let outcome =
        merge::merge(&versions, format, &order, env).map_err(|source| Error::MergeFailed {
            path: shown.clone(),
            source,
        })?;
    match outcome {
        Outcome::NotEncrypted => text_merge(args, &shown),
        Outcome::Merged {
            output,
            conflicts,
            keys_conflict,
        } => {
            crate::fs::write_atomic(&args.ours, &output, 0o600).map_err(|source| Error::Write {
                path: args.ours.display().to_string(),
                source,
            })?;
            if conflicts.is_empty() && !keys_conflict {
                return Ok(());
            }
            Err(Error::MergeConflict {
                path: shown,
                paths: conflicts.iter().map(|p| p.to_string()).collect(),
                keys: keys_conflict,
            })
        }
    }
}

/// No version is encrypted (the attributes matched a plain file): git's own line merge.
fn text_merge(args: &GitMergeArgs, shown: &str) -> Result<(), Error> {
    let status = std::process::Command::new("git")
        .args(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs"])
        .arg(&args.ours)
        .arg(&args.base)
        .arg(&args.theirs)
        .status()
        .map_err(|source| Error::Read {
            path: "git merge-file".into(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::MergeConflict {
            path: shown.to_string(),
            paths: Vec::new(),
            keys: false,
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })
}
