//! `enseal scan`: plaintext secrets in files and standard input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::io::load_config;
use crate::cli::ScanArgs;
use crate::error::Error;
use crate::scan::{self, report, settings, walk, Scanner};

/// Scans; findings are an error (exit 1) after the report is written.
pub fn run(
    args: &ScanArgs,
    config_path: Option<&Path>,
    env: &crate::keys::KeyEnv,
) -> Result<(), Error> {
    let format = report::Format::parse(&args.format).ok_or_else(|| {
        Error::ScanFailed(format!(
            "unknown --format {:?}: use text, json or sarif",
            args.format
        ))
    })?;
    let cwd = std::env::current_dir().map_err(|e| Error::ScanFailed(e.to_string()))?;
    let config = load_config(config_path)
        .map_err(|e| Error::ScanFailed(e.to_string()))?
        .filter(|c| c.has_rules());
    let required = config.as_ref().map(|c| c.path_rules(&cwd));
    let settings = load_settings(args.scan_config.as_deref(), &cwd)?;
    let baseline_path = args.baseline.clone().or_else(|| settings.baseline.clone());
    let baseline = match &baseline_path {
        Some(p) => settings::baseline(p).map_err(|e| Error::ScanFailed(e.to_string()))?,
        None => Default::default(),
    };
    // Standard input and git sources are commit-sized: a quicker automaton to build.
    let small = args.staged
        || args.since.is_some()
        || (args.paths.len() == 1 && args.paths[0].as_os_str() == "-");
    let mut scanner = Scanner::with_settings(settings, small);
    let opts = walk::Options {
        max_size: args.max_file_size,
        no_ignore: args.no_ignore,
    };
    let git_source = args.staged || args.since.is_some() || args.history;
    let note_closed = |closed: usize| {
        if closed > 0 && format == report::Format::Text {
            eprintln!(
                "enseal: {closed} encrypted file{} could not be opened with the keys here: their values are not looked for",
                if closed == 1 { "" } else { "s" }
            );
        }
    };
    if !args.no_known && git_source {
        // The repository's encrypted files lend their values (keyed hashes) first.
        let roots: Vec<PathBuf> = crate::git::cli::Repo::discover(&cwd)
            .map(|r| vec![r.root])
            .unwrap_or_default();
        note_closed(walk::known_values(&roots, &opts, env, &mut scanner.known).closed);
    }
    if args.staged || args.since.is_some() || args.history {
        let repo =
            crate::git::cli::Repo::discover(&cwd).map_err(|e| Error::ScanFailed(e.to_string()))?;
        let outcome = if args.staged {
            scan::history::staged(&scanner, &repo, required.as_ref())
        } else if let Some(rev) = &args.since {
            scan::history::since(&scanner, &repo, rev, required.as_ref())
        } else {
            scan::history::history(&scanner, &repo, args.max_file_size)
        }
        .map_err(|e| Error::ScanFailed(e.to_string()))?;
        return finish(args, format, outcome, &baseline);
    }
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let mut paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if paths.is_empty() && !stdin {
        paths.push(PathBuf::from("."));
    }
    for p in &paths {
        if !p.exists() {
            return Err(Error::ScanFailed(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    let mut outcome = if paths.is_empty() {
        walk::Outcome::default()
    } else {
        walk::scan_paths(
            &scanner,
            &paths,
            &opts,
            required.as_ref(),
            &cwd,
            !args.no_known,
        )
    };
    if !args.no_known {
        // The encrypted files this walk read lend their values; then the plaintext
        // files are searched for them.
        let encrypted = std::mem::take(&mut outcome.encrypted);
        note_closed(walk::open_known(encrypted, env, &mut scanner.known).closed);
        walk::known_pass(&scanner, &mut outcome);
    }
    if stdin {
        let mut text = Vec::new();
        std::io::stdin()
            .read_to_end(&mut text)
            .map_err(|e| Error::ScanFailed(format!("<stdin>: {e}")))?;
        match walk::scan_text(
            &scanner,
            &args.stdin_name,
            Path::new(&args.stdin_name),
            &text,
            None,
        ) {
            Ok(found) => {
                outcome.files += 1;
                outcome.bytes += text.len() as u64;
                outcome.findings.extend(found);
            }
            Err(_) => outcome
                .skipped
                .push((args.stdin_name.clone(), "binary".into())),
        }
    }
    finish(args, format, outcome, &baseline)
}

/// Writes the report; findings are an error (exit 1).
fn finish(
    args: &ScanArgs,
    format: report::Format,
    mut outcome: walk::Outcome,
    baseline: &std::collections::HashSet<String>,
) -> Result<(), Error> {
    let before = outcome.findings.len();
    outcome
        .findings
        .retain(|f| !baseline.contains(&f.fingerprint));
    let accepted = before - outcome.findings.len();
    if accepted > 0 {
        eprintln!(
            "enseal: {accepted} finding{} accepted by the baseline",
            if accepted == 1 { "" } else { "s" }
        );
    }
    let rendered = match format {
        report::Format::Text => report::text(&outcome.findings),
        report::Format::Json => {
            let v = report::json(
                &outcome.findings,
                &outcome.skipped,
                outcome.files,
                outcome.bytes,
            );
            format!("{v:#}\n")
        }
        report::Format::Sarif => format!("{:#}\n", report::sarif(&outcome.findings)),
    };
    match &args.output {
        Some(path) => crate::fs::write_atomic(path, rendered.as_bytes(), 0o644)
            .map_err(|e| Error::ScanFailed(format!("{}: {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out
                .write_all(rendered.as_bytes())
                .and_then(|()| out.flush())
            {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(Error::ScanFailed(format!("<stdout>: {e}")));
                }
            }
        }
    }
    if format == report::Format::Text {
        for (path, why) in &outcome.skipped {
            eprintln!("enseal: skipped {path}: {why}");
        }
    }
    if outcome.findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Findings(outcome.findings.len()))
    }
}

/// The scanner settings: `--scan-config`, else `.enseal.toml` from the current
/// directory upwards, else none.
pub(super) fn load_settings(
    explicit: Option<&Path>,
    cwd: &Path,
) -> Result<settings::Settings, Error> {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| settings::find(cwd));
    match path {
        Some(p) => settings::load(&p).map_err(|e| Error::ScanFailed(e.to_string())),
        None => Ok(settings::Settings::default()),
    }
}
