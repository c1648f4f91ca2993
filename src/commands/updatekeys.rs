//! `enseal updatekeys`: apply the creation rules' current keys to existing files.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::decrypt::decryption_order;
use super::io::load_config;
use crate::cli::UpdatekeysArgs;
use crate::error::Error;
use crate::file;
use crate::format::Format;
use crate::keys::KeyEnv;
use crate::rotate;

/// Updates each file in turn; a file that is up to date is left alone.
pub fn run(args: UpdatekeysArgs, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let config = load_config(config_path)?.ok_or_else(|| {
        Error::Usage("updatekeys needs a .sops.yaml with creation rules (none found)".into())
    })?;
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    for path in &args.files {
        let shown = path.display().to_string();
        let file_err = |source| Error::File {
            path: shown.clone(),
            source,
        };
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: shown.clone(),
            source,
        })?;
        let format = match &args.input_type {
            Some(name) => Format::from_name(name),
            None => Format::from_path(path),
        };
        let loaded = file::load(&bytes, format).map_err(file_err)?;
        let rule = config.rule_for(path, &cwd)?;
        let lines = rotate::describe(
            &loaded.metadata.key_groups,
            &rule.key_groups,
            loaded.metadata.shamir_threshold,
            rule.shamir_threshold,
        );
        if lines.is_empty() {
            eprintln!("{shown}: already up to date");
            continue;
        }
        eprintln!(
            "{shown}: the key groups change:\n{}",
            rotate::summary(&lines)
        );
        if !args.yes && !confirm()? {
            eprintln!("{shown}: left unchanged");
            continue;
        }
        let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
        let out = rotate::update_keys(
            loaded,
            &key,
            rule.key_groups,
            rule.shamir_threshold,
            format,
            env,
        )
        .map_err(file_err)?;
        crate::fs::write_atomic(path, &out, 0o600).map_err(|source| Error::Write {
            path: shown.clone(),
            source,
        })?;
        eprintln!("{shown}: updated");
    }
    Ok(())
}

/// Asks on the terminal; without one (a script), the answer is no: use -y there.
fn confirm() -> Result<bool, Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Usage(
            "updatekeys asks before writing; standard input is not a terminal, so pass -y".into(),
        ));
    }
    eprint!("Is this okay? (y/n) ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|source| Error::Read {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
