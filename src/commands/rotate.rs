//! `enseal rotate`: a new data key, every value encrypted again, recipients changed.

use super::decrypt::decryption_order;
use super::io::{read_input, write_output};
use crate::cli::RotateArgs;
use crate::config;
use crate::error::Error;
use crate::file;
use crate::keys::{KeyEnv, KeyGroup, KeyKind};
use crate::rotate::{self, Changes};

/// Rotates the input and writes the result (stdout, `--output` or `-i`).
pub fn run(args: RotateArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let input = read_input(&args.input)?;
    let file_err = |source| Error::File {
        path: input.display(),
        source,
    };
    for r in args.add_age.iter().chain(&args.rm_age) {
        crate::keys::local::parse_recipient(r).map_err(|e| Error::Recipient {
            recipient: r.clone(),
            reason: e.to_string(),
        })?;
    }
    let vault = |u: &String| {
        config::vault_key(u).ok_or_else(|| {
            Error::Usage(format!(
                "invalid Vault transit URI {u:?}: expected https://HOST:PORT/v1/ENGINE/keys/NAME"
            ))
        })
    };
    let changes = Changes {
        add: KeyGroup {
            age: args.add_age.iter().cloned().map(config::age_key).collect(),
            pgp: args.add_pgp.iter().cloned().map(config::pgp_key).collect(),
            hc_vault: args
                .add_hc_vault_transit
                .iter()
                .map(vault)
                .collect::<Result<_, _>>()?,
            ..Default::default()
        },
        remove: args
            .rm_age
            .iter()
            .map(|r| (KeyKind::Age, r.clone()))
            .chain(args.rm_pgp.iter().map(|f| (KeyKind::Pgp, f.to_uppercase())))
            .chain(
                args.rm_hc_vault_transit
                    .iter()
                    .map(|u| vault(u).map(|k| (KeyKind::HcVault, k.uri())))
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .collect(),
    };
    let mut loaded = file::load(&input.bytes, input.input_format).map_err(file_err)?;
    let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
    file::decrypt_tree(&mut loaded, &key, args.ignore_mac, None).map_err(file_err)?;
    drop(key);
    let (out, lines) =
        rotate::rotate(loaded, &changes, input.input_format, env).map_err(file_err)?;
    if !lines.is_empty() {
        eprintln!(
            "{}: the key groups change:\n{}",
            input.display(),
            rotate::summary(&lines)
        );
    }
    write_output(&args.input, &input, &out)
}
