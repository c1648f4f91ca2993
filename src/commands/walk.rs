//! Finding the encrypted files of a repository for the bulk commands, and running a
//! job over them on several threads with a per-file report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::config::Config;
use crate::error::Error;
use crate::format::Format;

/// The files named, with directories walked when `recursive`: every file below them
/// that holds sops metadata and (with a `config`) that a creation rule covers. `.git`
/// and other hidden directories are skipped.
pub fn expand(
    paths: &[PathBuf],
    recursive: bool,
    config: Option<&Config>,
    cwd: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            if !recursive {
                return Err(Error::Usage(format!(
                    "{} is a directory: pass -r to work on the encrypted files below it",
                    p.display()
                )));
            }
            walk(p, config, cwd, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    config: Option<&Config>,
    cwd: &Path,
    out: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| Error::Read {
            path: dir.display().to_string(),
            source,
        })?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() {
            if !hidden {
                walk(&path, config, cwd, out)?;
            }
        } else if !hidden
            && config.is_none_or(|c| c.rule_for(&path, cwd).is_ok())
            && std::fs::read(&path)
                .is_ok_and(|b| crate::file::is_encrypted(&b, Format::from_path(&path)))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs `job` over `files` on `jobs` threads; each result line is printed as it comes.
/// A progress bar joins them on a terminal once the run has taken a second
/// (`ENSEAL_PROGRESS_AFTER`; indicatif; nothing when standard error is not a terminal). Returns how many files failed.
pub fn run_all<F>(files: &[PathBuf], jobs: usize, job: F) -> usize
where
    F: Fn(&Path) -> Result<String, Error> + Sync,
{
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let total = files.len();
    let tty = std::io::stderr().is_terminal() && total > 1;
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files, {elapsed}") {
        bar.set_style(style);
    }
    let started = std::time::Instant::now();
    // ENSEAL_PROGRESS_AFTER (seconds) moves the one-second mark; 0 shows it at once.
    let after = std::env::var("ENSEAL_PROGRESS_AFTER")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs_f64,
        );
    let shown = Mutex::new(false);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let result = job(path);
                let mut on = shown.lock().unwrap_or_else(|e| e.into_inner());
                if tty && !*on && started.elapsed() >= after {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    *on = true;
                }
                let line = match result {
                    // Nothing to say (-q, --json): the bar still counts it.
                    Ok(line) if line.is_empty() => {
                        bar.inc(1);
                        continue;
                    }
                    Ok(line) => format!("{}: {line}", path.display()),
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        format!("enseal: {e}")
                    }
                };
                // Above the bar when it shows; a plain line otherwise.
                if *on {
                    bar.suspend(|| eprintln!("{line}"));
                } else {
                    eprintln!("{line}");
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    failed.into_inner()
}

/// The default number of threads: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
