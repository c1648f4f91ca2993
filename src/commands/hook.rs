//! `enseal hook pre-commit`: the check git runs before each commit.

use std::path::Path;

use super::io::load_config;
use crate::cli::HookCommand;
use crate::error::Error;
use crate::git::cli::Repo;
use crate::git::hook;
use crate::scan;

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
    let mut findings = hook::check(
        &staging.files,
        Some(&staging.unstaged),
        rules.as_ref(),
        &repo,
    )?;
    findings.extend(secrets(&repo, &staging.files, &findings)?);
    for f in &findings {
        eprintln!("enseal: {f}");
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Blocked(findings.len()))
    }
}

/// Plaintext secrets on the lines the commit adds (files already reported are not
/// scanned again; ciphertext is never a finding).
fn secrets(
    repo: &Repo,
    files: &[hook::Staged],
    already: &[hook::Finding],
) -> Result<Vec<hook::Finding>, Error> {
    let reported: std::collections::HashSet<&str> =
        already.iter().map(|f| f.path.as_str()).collect();
    // Encrypted files hold ciphertext, and their clear values are clear on purpose
    // (the file's selector): only plaintext files are scanned.
    let todo: Vec<&hook::Staged> = files
        .iter()
        .filter(|f| !reported.contains(f.path.as_str()) && !hook::looks_encrypted(&f.content))
        .collect();
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let added = scan::history::staged_added(repo, files)?;
    let bytes: usize = todo.iter().map(|f| f.content.len()).sum();
    let settings = super::scan::load_settings(None, &repo.root)?;
    let baseline = match &settings.baseline {
        Some(p) => scan::settings::baseline(p).map_err(|e| Error::ScanFailed(e.to_string()))?,
        None => Default::default(),
    };
    let scanner = scan::Scanner::with_settings(settings, bytes < 4 << 20);
    let found = hook::par_map(&todo, |f| {
        let Some(lines) = added.get(&f.path) else {
            return Vec::new();
        };
        let full = repo.root.join(&f.path);
        let found =
            scan::walk::scan_text(&scanner, &f.path, &full, &f.content, None).unwrap_or_default();
        found
            .into_iter()
            .filter(|s| lines.has(s.line) && !baseline.contains(&s.fingerprint))
            .map(|s| hook::Finding {
                path: s.path,
                line: Some(s.line),
                problem: format!("{} in clear ({}, rule {})", s.description, s.redacted, s.rule_id),
                fix: "keep it in an encrypted file (`enseal edit secrets.yaml`, or `enseal set FILE INDEX --value-stdin`) and remove it here; if it is not a secret, add `enseal:allow` to the line".to_string(),
            })
            .collect::<Vec<_>>()
    });
    Ok(found.into_iter().flatten().collect())
}
