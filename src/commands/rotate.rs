//! `enseal rotate`: a new data key, every value encrypted again, recipients changed.

use super::decrypt::decryption_order;
use super::io::{read_input, write_output};
use super::walk;
use crate::cli::RotateArgs;
use crate::config;
use crate::error::Error;
use crate::file;
use crate::keys::{KeyEnv, KeyGroup, KeyKind};
use crate::rotate::{self, Changes};

/// Rotates the input and writes the result (stdout, `--output` or `-i`); with -r,
/// every encrypted file a creation rule covers below a directory, in place.
pub fn run(
    args: RotateArgs,
    config_path: Option<&std::path::Path>,
    env: &KeyEnv,
) -> Result<(), Error> {
    let changes = changes(&args)?;
    if args.commit || args.due {
        return super::lifecycle::rotate_commit(&args, changes, env);
    }
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    if args.recursive {
        let config = super::io::load_config(config_path)?.ok_or_else(|| {
            Error::Usage(
                "rotate -r finds files through the creation rules of a .sops.yaml (none found)"
                    .into(),
            )
        })?;
        let cwd = std::env::current_dir().map_err(|source| Error::Read {
            path: ".".into(),
            source,
        })?;
        let roots: Vec<std::path::PathBuf> = args.input.file.iter().cloned().collect();
        let files = walk::expand(&roots, true, Some(&config), &cwd)?;
        let jobs = args.jobs.unwrap_or_else(walk::default_jobs);
        let failed = walk::run_all(&files, jobs, |path| {
            let _lock = Error::lock(path)?;
            let bytes = std::fs::read(path).map_err(|source| Error::Read {
                path: path.display().to_string(),
                source,
            })?;
            let format = crate::format::Format::from_path(path);
            let out = rotate_bytes(&bytes, format, &changes, &order, args.ignore_mac, env)
                .map_err(|source| Error::File {
                    path: path.display().to_string(),
                    source,
                })?;
            crate::fs::write_atomic(path, &out.0, 0o600).map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?;
            let shown = path.display().to_string();
            Ok(super::io::report_keys(
                &shown,
                "rotated",
                &out.1,
                args.report,
            ))
        });
        if failed > 0 {
            return Err(Error::Usage(format!(
                "{failed} of {} file(s) could not be rotated",
                files.len()
            )));
        }
        return Ok(());
    }
    let _lock = match (&args.input.file, args.input.in_place) {
        (Some(path), true) => Some(Error::lock(path)?),
        _ => None,
    };
    if args.report.json && !args.input.in_place && args.input.output.is_none() {
        return Err(Error::Usage(
            "rotate --json prints its report on standard output: write the file with -i or --output".into(),
        ));
    }
    let input = read_input(&args.input)?;
    let file_err = |source| Error::File {
        path: input.display(),
        source,
    };
    let (out, lines) = rotate_bytes(
        &input.bytes,
        input.input_format,
        &changes,
        &order,
        args.ignore_mac,
        env,
    )
    .map_err(file_err)?;
    write_output(&args.input, &input, &out)?;
    if args.report.json {
        super::io::report_keys(&input.display(), "rotated", &lines, args.report);
    } else if !lines.is_empty() && !args.report.quiet {
        eprintln!(
            "{}: the key groups change:\n{}",
            input.display(),
            rotate::summary(&lines)
        );
    }
    Ok(())
}

/// Rotates one encrypted file's bytes.
fn rotate_bytes(
    bytes: &[u8],
    format: crate::format::Format,
    changes: &Changes,
    order: &[KeyKind],
    ignore_mac: bool,
    env: &KeyEnv,
) -> Result<(Vec<u8>, Vec<rotate::KeyChange>), crate::file::FileError> {
    let mut loaded = file::load(bytes, format)?;
    let key = file::data_key(&loaded.metadata, order, env)?;
    file::decrypt_tree(&mut loaded, &key, ignore_mac, None)?;
    drop(key);
    rotate::rotate(loaded, changes, format, env)
}

/// The recipient changes the flags ask for.
fn changes(args: &RotateArgs) -> Result<Changes, Error> {
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
    let azure = |u: &String| {
        config::azure_key(u).ok_or_else(|| {
            Error::Usage(format!(
                "invalid Azure Key Vault URL {u:?}: expected https://VAULT/keys/NAME[/VERSION]"
            ))
        })
    };
    let mut remove: Vec<crate::rotate::KeyId> = Vec::new();
    for a in &args.rm_kms {
        remove.push((KeyKind::Kms, config::kms_key(a, "").arn));
    }
    for r in &args.rm_gcp_kms {
        remove.push((KeyKind::GcpKms, r.clone()));
    }
    for u in &args.rm_azure_kv {
        let k = azure(u)?;
        remove.push((
            KeyKind::AzureKv,
            format!("{}/keys/{}/{}", k.vault_url, k.name, k.version),
        ));
    }
    let changes = Changes {
        add: KeyGroup {
            age: args.add_age.iter().cloned().map(config::age_key).collect(),
            pgp: args.add_pgp.iter().cloned().map(config::pgp_key).collect(),
            kms: args
                .add_kms
                .iter()
                .map(|a| config::kms_key(a, ""))
                .collect(),
            gcp_kms: args
                .add_gcp_kms
                .iter()
                .map(|r| crate::keys::GcpKmsKey {
                    resource_id: r.clone(),
                    ..Default::default()
                })
                .collect(),
            azure_kv: args
                .add_azure_kv
                .iter()
                .map(azure)
                .collect::<Result<_, _>>()?,
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
            .chain(remove)
            .collect(),
    };
    Ok(changes)
}
