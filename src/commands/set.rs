//! `enseal set`: change one value of an encrypted file in place.

use std::io::Read;

use super::decrypt::decryption_order;
use crate::cipher::value::Stash;
use crate::cli::{SetArgs, UnsetArgs};
use crate::document::path::parse_index_path;
use crate::edit::{self, set::parse_value};
use crate::error::Error;
use crate::file;
use crate::format::EmitOptions;
use crate::keys::KeyEnv;

/// Sets the value and rewrites the file atomically (its mode kept).
pub fn run(args: SetArgs, env: &KeyEnv) -> Result<(), Error> {
    let path = parse_index_path(&args.index)?;
    let shown = args.file.display().to_string();
    // The value text may be a secret: it is zeroized and never printed.
    let text = zeroize::Zeroizing::new(value_text(&args)?);
    let value = parse_value(&text).map_err(|source| Error::Set {
        path: shown.clone(),
        source,
    })?;
    let target = Target {
        file: &args.file,
        input_type: args.input_type.as_deref(),
        ignore_mac: args.ignore_mac,
        decryption_order: args.decryption_order.as_deref(),
        idempotent: args.idempotent,
        report: args.report,
    };
    modify(&target, env, |branch| edit::set(branch, &path, value))
}

/// Removes the value and rewrites the file atomically.
pub fn run_unset(args: UnsetArgs, env: &KeyEnv) -> Result<(), Error> {
    let path = parse_index_path(&args.index)?;
    let target = Target {
        file: &args.file,
        input_type: args.input_type.as_deref(),
        ignore_mac: args.ignore_mac,
        decryption_order: args.decryption_order.as_deref(),
        idempotent: args.idempotent,
        report: args.report,
    };
    let idempotent = args.idempotent;
    modify(&target, env, |branch| match edit::unset(branch, &path) {
        Ok(()) => Ok(true),
        Err(edit::SetError::NotFound(_)) if idempotent => Ok(false),
        Err(e) => Err(e),
    })
}

/// The file a change applies to and how to open it.
struct Target<'a> {
    file: &'a std::path::Path,
    input_type: Option<&'a str>,
    ignore_mac: bool,
    decryption_order: Option<&'a str>,
    idempotent: bool,
    report: crate::cli::ReportArgs,
}

/// Opens the file, lets `change` edit its first document (it returns whether anything
/// changed), and writes it back re-encrypted with the same data key and IVs.
fn modify(
    t: &Target<'_>,
    env: &KeyEnv,
    change: impl FnOnce(&mut crate::document::Map) -> Result<bool, edit::SetError>,
) -> Result<(), Error> {
    let order = decryption_order(t.decryption_order, env)?;
    let shown = t.file.display().to_string();
    let _lock = Error::lock(t.file)?;
    let bytes = std::fs::read(t.file).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    let format = super::io::input_format(t.file, t.input_type, &bytes);
    let file_err = |source| Error::File {
        path: shown.clone(),
        source,
    };
    let mut loaded = file::load(&bytes, format).map_err(file_err)?;
    let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
    let mut stash = Stash::default();
    file::decrypt_tree(&mut loaded, &key, t.ignore_mac, Some(&mut stash)).map_err(file_err)?;
    let before = (!t.report.quiet).then(|| loaded.doc.clone());
    // Like sops, `set` and `unset` work on the first document of a YAML stream.
    let Some(branch) = loaded.doc.branches.first_mut() else {
        return Err(Error::Usage(format!("{shown}: the file holds no document")));
    };
    let changed = change(branch).map_err(|source| Error::Set {
        path: shown.clone(),
        source,
    })?;
    let changes = before
        .map(|b| crate::summary::values(&b, &loaded.doc))
        .unwrap_or_default();
    if !changed && t.idempotent {
        return super::io::report_changes(&shown, &changes, t.report);
    }
    let out =
        file::reencrypt(loaded, &key, &stash, format, &EmitOptions::default()).map_err(file_err)?;
    crate::fs::write_atomic(t.file, &out, 0o600).map_err(|source| Error::Write {
        path: shown.clone(),
        source,
    })?;
    super::io::report_changes(&shown, &changes, t.report)
}

/// The value's JSON text: the argument, the file it names, or standard input.
fn value_text(args: &SetArgs) -> Result<String, Error> {
    if args.value_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|source| Error::Read {
                path: "<stdin>".into(),
                source,
            })?;
        return Ok(s);
    }
    let Some(value) = &args.value else {
        return Err(Error::Usage(
            "set needs a value (JSON, like '\"text\"'), or --value-stdin".into(),
        ));
    };
    if args.value_file {
        return std::fs::read_to_string(value).map_err(|source| Error::Read {
            path: value.clone(),
            source,
        });
    }
    Ok(value.clone())
}
