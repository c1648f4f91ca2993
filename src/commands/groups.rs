//! `enseal groups add|delete`: change a file's key groups; the data key stays and is
//! split again among the groups (every key wraps its group's new share).

use super::decrypt::decryption_order;
use super::encrypt::cli_group;
use crate::cli::{GroupsAddArgs, GroupsCommand, GroupsDeleteArgs};
use crate::error::Error;
use crate::file;
use crate::format::Format;
use crate::keys::{KeyEnv, KeyGroup};
use crate::rotate;

/// Runs `groups add` or `groups delete`.
pub fn run(cmd: GroupsCommand, env: &KeyEnv) -> Result<(), Error> {
    match cmd {
        GroupsCommand::Add(args) => add(args, env),
        GroupsCommand::Delete(args) => delete(args, env),
    }
}

fn add(args: GroupsAddArgs, env: &KeyEnv) -> Result<(), Error> {
    // Only the flags name the new group: the SOPS_* variables are for `encrypt`.
    let group = cli_group(&args.keys, &KeyEnv::default())?.ok_or_else(|| {
        Error::Usage("groups add needs the keys of the new group (--age, --pgp, --kms, ...)".into())
    })?;
    change(
        &args.file,
        args.in_place,
        args.decryption_order.as_deref(),
        env,
        |groups, threshold| {
            groups.push(group);
            Ok(args.shamir_threshold.unwrap_or(threshold))
        },
    )
}

fn delete(args: GroupsDeleteArgs, env: &KeyEnv) -> Result<(), Error> {
    change(
        &args.file,
        args.in_place,
        args.decryption_order.as_deref(),
        env,
        |groups, threshold| {
            if args.index >= groups.len() {
                return Err(Error::Usage(format!(
                    "the file has {} key group(s): there is no group {}",
                    groups.len(),
                    args.index
                )));
            }
            if groups.len() == 1 {
                return Err(Error::Usage(
                    "this is the file's only key group: deleting it would leave nobody able to open the file".into(),
                ));
            }
            groups.remove(args.index);
            Ok(args.shamir_threshold.unwrap_or(threshold).min(groups.len()))
        },
    )
}

/// Opens the file, lets `edit` change its groups and threshold, and writes it.
fn change(
    path: &std::path::Path,
    in_place: bool,
    order: Option<&str>,
    env: &KeyEnv,
    edit: impl FnOnce(&mut Vec<KeyGroup>, usize) -> Result<usize, Error>,
) -> Result<(), Error> {
    let order = decryption_order(order, env)?;
    let shown = path.display().to_string();
    let _lock = if in_place {
        Some(Error::lock(path)?)
    } else {
        None
    };
    let file_err = |source| Error::File {
        path: shown.clone(),
        source,
    };
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    let format = Format::from_path(path);
    let loaded = file::load(&bytes, format).map_err(file_err)?;
    let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
    let mut groups = loaded.metadata.key_groups.clone();
    let threshold = edit(&mut groups, loaded.metadata.shamir_threshold)?;
    if groups.len() > 1 && threshold > groups.len() {
        return Err(Error::Usage(format!(
            "a threshold of {threshold} needs at least {threshold} key groups; the file would have {}",
            groups.len()
        )));
    }
    let lines = rotate::describe(
        &loaded.metadata.key_groups,
        &groups,
        loaded.metadata.shamir_threshold,
        threshold,
    );
    // Every key wraps its group's new share.
    for g in &mut groups {
        rotate::clear_wrapped(g);
    }
    let out =
        rotate::update_keys(loaded, &key, groups, threshold, format, env).map_err(file_err)?;
    eprintln!(
        "{shown}: the key groups change:\n{}",
        rotate::summary(&lines)
    );
    if in_place {
        crate::fs::write_atomic(path, &out, 0o600).map_err(|source| Error::Write {
            path: shown,
            source,
        })
    } else {
        use std::io::Write;
        std::io::stdout()
            .write_all(&out)
            .map_err(|source| Error::Write {
                path: "<stdout>".into(),
                source,
            })
    }
}
