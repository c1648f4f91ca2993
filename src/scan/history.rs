//! Scanning what git holds: the staged changes, a range of commits, or every blob of
//! the history.
//!
//! Added lines are found with `git diff -U0` (hunk headers give their line numbers in
//! the new version); the whole new version of each file is scanned, so a secret that
//! spans lines (a PEM block) keeps its context, and findings are kept when they start on
//! an added line. The history is read blob by blob through one `git cat-file --batch`,
//! each blob once, scanned on every core as it streams in, and reported with the commit
//! that first introduced it.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use super::engine::Skip;
use super::walk::{scan_text, Outcome};
use super::Scanner;
use crate::config::PathRules;
use crate::git::cli::{GitError, Repo};

/// The lines a file gains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new file: every line.
    All,
    /// These (1-based, in the new version).
    Lines(HashSet<usize>),
}

impl Added {
    /// Whether `line` is added.
    pub fn has(&self, line: usize) -> bool {
        match self {
            Added::All => true,
            Added::Lines(set) => set.contains(&line),
        }
    }
}

/// The lines each file gains in `git diff -U0 <args>` (new-version line numbers).
pub fn added_lines(repo: &Repo, diff_args: &[&str]) -> Result<HashMap<String, Added>, GitError> {
    let mut args = vec!["diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames"];
    args.extend_from_slice(diff_args);
    let out = repo.git(&args)?;
    let mut added: HashMap<String, Added> = HashMap::new();
    let mut current: Option<String> = None;
    for line in out.split(|b| *b == b'\n') {
        if let Some(path) = line.strip_prefix(b"+++ ") {
            let path = String::from_utf8_lossy(path);
            current = path.strip_prefix("b/").map(unquote);
        } else if line.starts_with(b"@@ ") {
            // `@@ -a[,b] +c[,d] @@`: d lines from c (d absent: 1).
            let text = String::from_utf8_lossy(line);
            let Some(new) = text.split(' ').find(|w| w.starts_with('+')) else {
                continue;
            };
            let mut parts = new[1..].split(',');
            let start: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: usize = parts
                .next()
                .map_or(Some(1), |s| s.parse().ok())
                .unwrap_or(0);
            if let Some(path) = &current {
                if let Added::Lines(set) = added
                    .entry(path.clone())
                    .or_insert_with(|| Added::Lines(HashSet::new()))
                {
                    set.extend(start..start + count);
                }
            }
        }
    }
    Ok(added)
}

/// git quotes unusual paths (`"a\tb"`): undo the common escapes.
fn unquote(p: &str) -> String {
    let Some(inner) = p.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return p.to_string();
    };
    inner
        .replace("\\t", "\t")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

/// Scans files' new versions, keeping findings on their added lines.
fn scan_added(
    scanner: &Scanner,
    repo: &Repo,
    files: Vec<(String, Vec<u8>)>,
    added: &HashMap<String, Added>,
    required: Option<&PathRules>,
) -> Outcome {
    let mut outcome = Outcome::default();
    for (path, content) in files {
        let Some(lines) = added.get(&path) else {
            continue;
        };
        match scan_text(scanner, &path, &repo.root.join(&path), &content, required) {
            Ok(found) => {
                outcome.files += 1;
                outcome.bytes += content.len() as u64;
                outcome.findings.extend(
                    found
                        .into_iter()
                        .filter(|f| lines.has(f.line) || f.rule_id == super::UNENCRYPTED_FILE),
                );
            }
            Err(Skip::Binary) => outcome.skipped.push((path, "binary".into())),
        }
    }
    outcome
}

/// What the index adds: every line of a new file; for a changed one, the lines
/// `git diff --cached` adds (one diff for all of them).
pub fn staged_added(
    repo: &Repo,
    files: &[crate::git::hook::Staged],
) -> Result<HashMap<String, Added>, GitError> {
    let mut added: HashMap<String, Added> = files
        .iter()
        .filter(|f| f.head_blob.is_none())
        .map(|f| (f.path.clone(), Added::All))
        .collect();
    let changed: Vec<&str> = files
        .iter()
        .filter(|f| f.head_blob.is_some())
        .map(|f| f.path.as_str())
        .collect();
    if !changed.is_empty() {
        let mut args = vec!["--cached", "--"];
        args.extend(changed);
        added.extend(added_lines(repo, &args)?);
    }
    Ok(added)
}

/// The secrets the index adds (`--staged`).
pub fn staged(
    scanner: &Scanner,
    repo: &Repo,
    required: Option<&PathRules>,
) -> Result<Outcome, GitError> {
    let staging = crate::git::hook::staged(repo)?;
    let added = staged_added(repo, &staging.files)?;
    let files = staging
        .files
        .into_iter()
        .map(|f| (f.path, f.content))
        .collect();
    Ok(scan_added(scanner, repo, files, &added, required))
}

/// The secrets a range adds (`--since REV`): the lines `git diff REV HEAD` adds, in
/// HEAD's files.
pub fn since(
    scanner: &Scanner,
    repo: &Repo,
    rev: &str,
    required: Option<&PathRules>,
) -> Result<Outcome, GitError> {
    let added = added_lines(repo, &[rev, "HEAD"])?;
    let mut paths: Vec<&String> = added.keys().collect();
    paths.sort();
    let specs: Vec<String> = paths.iter().map(|p| format!("HEAD:{p}")).collect();
    let ids: Vec<&str> = specs.iter().map(String::as_str).collect();
    let contents = crate::git::hook::blobs(repo, &ids)?;
    let files = paths.into_iter().cloned().zip(contents).collect();
    Ok(scan_added(scanner, repo, files, &added, required))
}

/// Every blob of every commit, each once, with the commit that introduced it
/// (`--history`).
pub fn history(scanner: &Scanner, repo: &Repo, max_size: u64) -> Result<Outcome, GitError> {
    // Oldest first: the first commit a blob shows up in introduced it.
    let log = repo.git(&[
        "log",
        "--all",
        "--reverse",
        "--topo-order",
        "-m",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--format=commit %H",
        "--diff-filter=AMT",
    ])?;
    let mut first: HashMap<String, (String, String)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut commit = String::new();
    for line in log.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if let Some(c) = line.strip_prefix("commit ") {
            commit = c.trim().to_string();
        } else if let Some(raw) = line.strip_prefix(':') {
            // `100644 100644 <old> <new> M\t<path>`
            let Some((meta, path)) = raw.split_once('\t') else {
                continue;
            };
            let fields: Vec<&str> = meta.split(' ').collect();
            let [_, mode, _, blob, _] = fields[..] else {
                continue;
            };
            if !mode.starts_with("100") {
                continue;
            }
            if !first.contains_key(blob) {
                first.insert(blob.to_string(), (commit.clone(), unquote(path)));
                order.push(blob.to_string());
            }
        }
    }
    stream_blobs(scanner, repo, &order, &first, max_size)
}

/// Streams blobs out of `git cat-file --batch` and scans them on every core.
fn stream_blobs(
    scanner: &Scanner,
    repo: &Repo,
    order: &[String],
    first: &HashMap<String, (String, String)>,
    max_size: u64,
) -> Result<Outcome, GitError> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(&repo.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(GitError::Start)?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(GitError::Start(std::io::Error::other(
            "no pipes to git cat-file",
        )));
    };
    let input: Vec<u8> = order
        .iter()
        .flat_map(|id| format!("{id}\n").into_bytes())
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A bounded queue: memory stays at a few blobs whatever the history's size.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(String, Vec<u8>)>(threads * 4);
    let rx = std::sync::Mutex::new(rx);
    let results = std::sync::Mutex::new(Outcome::default());
    let (rx, results_ref) = (&rx, &results);
    std::thread::scope(move |scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(&input);
        });
        for _ in 0..threads {
            scope.spawn(move || loop {
                let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((blob, content)) = next else { break };
                let Some((commit, path)) = first.get(&blob) else {
                    continue;
                };
                let result = scan_text(scanner, path, Path::new(path), &content, None);
                let mut out = results_ref.lock().unwrap_or_else(|e| e.into_inner());
                if let Ok(found) = result {
                    out.files += 1;
                    out.bytes += content.len() as u64;
                    out.findings.extend(found.into_iter().map(|mut f| {
                        f.commit = Some(commit.clone());
                        f
                    }));
                }
            });
        }
        let mut reader = BufReader::new(stdout);
        let mut header = String::new();
        for _ in order {
            header.clear();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                break;
            }
            // `<id> blob <size>`
            let mut parts = header.split_whitespace();
            let (Some(id), Some(kind), Some(size)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(size) = size.parse::<u64>() else {
                continue;
            };
            let mut content = vec![0; size as usize];
            if reader.read_exact(&mut content).is_err() {
                break;
            }
            let mut nl = [0u8; 1];
            let _ = reader.read_exact(&mut nl);
            if kind != "blob" {
                continue;
            }
            if size > max_size {
                if let Some((_, path)) = first.get(id) {
                    results_ref
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .skipped
                        .push((path.clone(), format!("larger than {max_size} bytes")));
                }
                continue;
            }
            if tx.send((id.to_string(), content)).is_err() {
                break;
            }
        }
        drop(tx);
    });
    let _ = child.wait();
    let mut outcome = results.into_inner().unwrap_or_else(|e| e.into_inner());
    outcome
        .findings
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    Ok(outcome)
}
