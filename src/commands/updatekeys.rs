//! `enseal updatekeys`: apply the creation rules' current keys to existing files.
//!
//! With `-y` the files are worked on in parallel (`-j`); without it each file's
//! changes are shown and confirmed on the terminal, one file after the other.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::decrypt::decryption_order;
use super::io::load_config;
use super::walk;
use crate::cli::UpdatekeysArgs;
use crate::config::Config;
use crate::error::Error;
use crate::file;
use crate::keys::{KeyEnv, KeyKind};
use crate::rotate;

/// Updates every file; a file that is up to date is left alone. Fails (after doing
/// the others) when any file failed.
pub fn run(args: UpdatekeysArgs, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let config = load_config(config_path)?.ok_or_else(|| {
        Error::Usage("updatekeys needs a .sops.yaml with creation rules (none found)".into())
    })?;
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let files = walk::expand(&args.files, args.recursive, Some(&config), &cwd)?;
    let ctx = Context {
        config: &config,
        cwd: &cwd,
        order: &order,
        env,
        input_type: args.input_type.as_deref(),
        report: args.report,
    };
    let failed = if args.yes {
        let jobs = args.jobs.unwrap_or_else(walk::default_jobs);
        walk::run_all(&files, jobs, |path| ctx.update(path, None))
    } else {
        let mut failed = 0;
        for path in &files {
            match ctx.update(path, Some(&confirm)) {
                Ok(line) if line.is_empty() => {}
                Ok(line) => eprintln!("{}: {line}", path.display()),
                Err(e) => {
                    failed += 1;
                    eprintln!("enseal: {e}");
                }
            }
        }
        failed
    };
    if failed > 0 {
        return Err(Error::Usage(format!(
            "{failed} of {} file(s) could not be updated",
            files.len()
        )));
    }
    Ok(())
}

struct Context<'a> {
    config: &'a Config,
    cwd: &'a Path,
    order: &'a [KeyKind],
    env: &'a KeyEnv,
    input_type: Option<&'a str>,
    report: crate::cli::ReportArgs,
}

type Confirm = dyn Fn(&str, &str) -> Result<bool, Error>;

impl Context<'_> {
    /// Updates one file; `confirm` (without -y) is shown the changes first.
    fn update(&self, path: &Path, confirm: Option<&Confirm>) -> Result<String, Error> {
        let shown = path.display().to_string();
        let file_err = |source| Error::File {
            path: shown.clone(),
            source,
        };
        let _lock = Error::lock(path)?;
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: shown.clone(),
            source,
        })?;
        let format = super::io::input_format(path, self.input_type, &bytes);
        let loaded = file::load(&bytes, format).map_err(file_err)?;
        let rule = self.config.rule_for(path, self.cwd)?;
        let lines = rotate::describe(
            &loaded.metadata.key_groups,
            &rule.key_groups,
            loaded.metadata.shamir_threshold,
            rule.shamir_threshold,
        );
        let report = |result: &str, changes: &[rotate::KeyChange]| {
            super::io::report_keys(&shown, result, changes, self.report)
        };
        if lines.is_empty() {
            return Ok(report("already up to date", &[]));
        }
        let summary = rotate::summary(&lines);
        if let Some(ask) = confirm {
            if !ask(&shown, &summary)? {
                return Ok(report("left unchanged", &[]));
            }
        }
        let key = file::data_key(&loaded.metadata, self.order, self.env).map_err(file_err)?;
        let out = rotate::update_keys(
            loaded,
            &key,
            rule.key_groups,
            rule.shamir_threshold,
            format,
            self.env,
        )
        .map_err(file_err)?;
        crate::fs::write_atomic(path, &out, 0o600).map_err(|source| Error::Write {
            path: shown.clone(),
            source,
        })?;
        Ok(report("updated", &lines))
    }
}

/// Shows the changes and asks on the terminal; without one (a script), refuses: -y.
fn confirm(file: &str, summary: &str) -> Result<bool, Error> {
    let stdin = std::io::stdin();
    eprintln!("{file}: the key groups change:\n{summary}");
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
