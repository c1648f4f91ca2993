//! `enseal decrypt`: recover the data key, decrypt, check the MAC, print or write.

use std::path::Path;

use super::io::{emit_options, load_config, read_input, write_output};
use crate::cli::DecryptArgs;
use crate::document::path::parse_index_path;
use crate::error::Error;
use crate::file::{self, DecryptRequest};
use crate::keys::{KeyEnv, KeyKind, DEFAULT_DECRYPTION_ORDER};

/// Parses `--decryption-order` / `SOPS_DECRYPTION_ORDER`; unlisted kinds follow in sops' order.
pub(super) fn decryption_order(flag: Option<&str>, env: &KeyEnv) -> Result<Vec<KeyKind>, Error> {
    let Some(spec) = flag.or_else(|| env.sops_var("DECRYPTION_ORDER")) else {
        return Ok(DEFAULT_DECRYPTION_ORDER.to_vec());
    };
    let mut order = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind = KeyKind::from_name(name).ok_or_else(|| {
            Error::Usage(format!(
                "unknown key type {name:?} in --decryption-order (use age, pgp, kms, gcp_kms, azure_kv, hc_vault)"
            ))
        })?;
        if order.contains(&kind) {
            return Err(Error::DuplicateDecryptionOrder(name.to_string()));
        }
        order.push(kind);
    }
    for kind in DEFAULT_DECRYPTION_ORDER {
        if !order.contains(&kind) {
            order.push(kind);
        }
    }
    Ok(order)
}

/// Checks that files decrypt with a matching MAC, one line per file; nothing of the
/// plaintext is printed. Fails when any file does not.
fn check(args: &DecryptArgs, env: &KeyEnv, order: Vec<crate::keys::KeyKind>) -> Result<(), Error> {
    let Some(path) = args.input.file.clone() else {
        return Err(Error::Usage(
            "--check needs a file or, with -r, a directory".into(),
        ));
    };
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let files = super::walk::expand(&[path], args.recursive, None, &cwd)?;
    let failed = super::walk::run_all(&files, super::walk::default_jobs(), |p| {
        let shown = p.display().to_string();
        let bytes = std::fs::read(p).map_err(|source| Error::Read {
            path: shown.clone(),
            source,
        })?;
        let format = super::io::input_format(p, args.input.input_type.as_deref(), &bytes);
        let file_err = |source| Error::File {
            path: shown.clone(),
            source,
        };
        let mut loaded = file::load(&bytes, format).map_err(file_err)?;
        let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
        file::decrypt_tree(&mut loaded, &key, false, None).map_err(file_err)?;
        Ok("ok (decrypts, MAC matches)".to_string())
    });
    if failed > 0 {
        return Err(Error::Usage(format!(
            "{failed} of {} file(s) failed the check",
            files.len()
        )));
    }
    Ok(())
}

/// `--format`: the values as variables for another tool.
fn as_variables(args: &DecryptArgs, format: &str, env: &KeyEnv) -> Result<(), Error> {
    use crate::inject::env::Charset;
    use crate::inject::output::{self, OutputFormat, SecretMeta};
    let format = OutputFormat::from_name(format).ok_or_else(|| {
        Error::Usage(format!(
            "--format {format:?}: use dotenv, export, json or k8s-secret (--output-type for yaml, json, dotenv, ini)"
        ))
    })?;
    if args.input.in_place {
        return Err(Error::Usage(
            "--format cannot replace the encrypted file (-i); use --output".into(),
        ));
    }
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let input = read_input(&args.input)?;
    let root = crate::inject::secrets::open_bytes(&input.bytes, input.input_format, &order, env)
        .map_err(|source| Error::File {
            path: input.display(),
            source,
        })?;
    let k8s = format == OutputFormat::K8sSecret;
    let mut naming = super::exec::naming(
        &args.naming,
        if k8s {
            Charset::Kubernetes
        } else {
            Charset::Env
        },
    );
    // Secret keys are usually the files' own keys: their case is kept.
    naming.keep_case |= k8s;
    let vars = crate::inject::env::variables(&root, &naming).map_err(|source| Error::Env {
        path: input.display(),
        source,
    })?;
    let meta = SecretMeta {
        name: args
            .secret_name
            .clone()
            .unwrap_or_else(|| secret_name(&input.display())),
        namespace: args.namespace.clone(),
    };
    let bytes = output::write(&vars, format, &meta).map_err(|source| Error::Env {
        path: input.display(),
        source,
    })?;
    write_output(&args.input, &input, &bytes)
}

/// A Kubernetes object name from a file name: `prod-db.enc.yaml` → `prod-db`.
fn secret_name(file: &str) -> String {
    let base = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = base
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() {
        "secrets".into()
    } else {
        name.chars().take(253).collect()
    }
}

/// Decrypts the input and writes the plaintext.
pub fn run(args: DecryptArgs, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    if args.check {
        let order = decryption_order(args.decryption_order.as_deref(), env)?;
        return check(&args, env, order);
    }
    if let Some(format) = &args.format {
        return as_variables(&args, format, env);
    }
    let extract = args.extract.as_deref().map(parse_index_path).transpose()?;
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let input = read_input(&args.input)?;
    let config = load_config(config_path).ok().flatten();
    let request = DecryptRequest {
        input_format: input.input_format,
        output_format: input.output_format,
        ignore_mac: args.ignore_mac,
        extract,
        decryption_order: order,
        emit: emit_options(args.input.indent, config.as_ref(), input.output_format),
    };
    let result = file::decrypt(&input.bytes, &request, env).map_err(|source| Error::File {
        path: input.display(),
        source,
    })?;
    if result.clear_comments > 0 {
        eprintln!(
            "warning: {}: {} comment(s) were not encrypted and are kept as they are (file written by sops < 3.6?)",
            input.display(),
            result.clear_comments
        );
    }
    write_output(&args.input, &input, &result.output)
}
