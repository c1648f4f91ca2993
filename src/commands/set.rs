//! `enseal set`: change one value of an encrypted file in place.

use std::io::Read;

use super::decrypt::decryption_order;
use crate::cipher::value::Stash;
use crate::cli::SetArgs;
use crate::document::path::parse_index_path;
use crate::edit::{self, set::parse_value};
use crate::error::Error;
use crate::file;
use crate::format::{EmitOptions, Format};
use crate::keys::KeyEnv;

/// Sets the value and rewrites the file atomically (its mode kept).
pub fn run(args: SetArgs, env: &KeyEnv) -> Result<(), Error> {
    let path = parse_index_path(&args.index)?;
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let shown = args.file.display().to_string();
    // The value text may be a secret: it is zeroized and never printed.
    let text = zeroize::Zeroizing::new(value_text(&args)?);
    let value = parse_value(&text).map_err(|source| Error::Set {
        path: shown.clone(),
        source,
    })?;
    let bytes = std::fs::read(&args.file).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    let format = match &args.input_type {
        Some(name) => Format::from_name(name),
        None => Format::from_path(&args.file),
    };
    let file_err = |source| Error::File {
        path: shown.clone(),
        source,
    };
    let mut loaded = file::load(&bytes, format).map_err(file_err)?;
    let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
    let mut stash = Stash::default();
    file::decrypt_tree(&mut loaded, &key, args.ignore_mac, Some(&mut stash)).map_err(file_err)?;
    // Like sops, `set` works on the first document of a YAML stream.
    let Some(branch) = loaded.doc.branches.first_mut() else {
        return Err(Error::Usage(format!("{shown}: the file holds no document")));
    };
    let changed = edit::set(branch, &path, value).map_err(|source| Error::Set {
        path: shown.clone(),
        source,
    })?;
    if !changed && args.idempotent {
        return Ok(());
    }
    let out =
        file::reencrypt(loaded, &key, &stash, format, &EmitOptions::default()).map_err(file_err)?;
    crate::fs::write_atomic(&args.file, &out, 0o600).map_err(|source| Error::Write {
        path: shown,
        source,
    })
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
