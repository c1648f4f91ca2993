//! Which files a scan reads, read on every core.
//!
//! Directories are walked as git sees them (`.gitignore`, `.git/info/exclude` and the
//! global excludes respected, `.git` itself skipped), hidden files included (`.env` is
//! where secrets live). Binary files and files over the size limit are skipped and
//! listed, so a report says what it did not read.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::engine::Skip;
use super::{finding, Finding, Scanner, Severity, UNENCRYPTED_FILE};
use crate::config::PathRules;
use crate::format::Format;

/// Scan settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files larger than this are skipped (bytes).
    pub max_size: u64,
    /// Walk ignored files too.
    pub no_ignore: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_size: 10 << 20,
            no_ignore: false,
        }
    }
}

/// What a scan found and what it read.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The findings, sorted by file, line and column.
    pub findings: Vec<Finding>,
    /// Files not read, with why.
    pub skipped: Vec<(String, String)>,
    /// Files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Files that look encrypted, with their bytes (kept when asked, for the
    /// known-secret detector).
    pub encrypted: Vec<(PathBuf, Vec<u8>)>,
    /// The plaintext files read, as shown and as found (for a second, known-value pass).
    pub plain: Vec<(String, PathBuf)>,
}

/// Scans one file's bytes: the rules' findings, plus one for a plaintext file that a
/// creation rule says to encrypt. `Err` when the file is not text.
pub fn scan_text(
    scanner: &Scanner,
    shown: &str,
    full_path: &Path,
    text: &[u8],
    required: Option<&PathRules>,
) -> Result<Vec<Finding>, Skip> {
    if scanner.allow.path(shown) {
        return Ok(Vec::new());
    }
    let hits = scanner.scan(text)?;
    let mut found: Vec<Finding> = hits
        .iter()
        .map(|h| finding(scanner, shown, text, h))
        .collect();
    if let Some(rule) = required.and_then(|r| r.required_by(full_path)) {
        let format = Format::detect(full_path, None, text);
        if !crate::file::is_encrypted(text, format) {
            found.insert(
                0,
                Finding {
                    rule_id: UNENCRYPTED_FILE.into(),
                    description: format!(
                        "the creation rule `{rule}` in .sops.yaml says this file is encrypted, and it is not"
                    ),
                    severity: Severity::Critical,
                    confidence: super::Confidence::High,
                    path: shown.to_string(),
                    line: 1,
                    column: 1,
                    redacted: String::new(),
                    fingerprint: super::fingerprint(UNENCRYPTED_FILE, shown, b""),
                    commit: None,
                },
            );
        }
    }
    Ok(found)
}

/// The walk over `paths`: git's ignore files respected (unless `no_ignore`), hidden
/// files included, `.git` skipped. `None` for no paths.
fn walker(paths: &[PathBuf], opts: &Options) -> Option<ignore::WalkBuilder> {
    let (first, rest) = paths.split_first()?;
    let mut builder = ignore::WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    builder
        .hidden(false)
        .git_ignore(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    Some(builder)
}

/// Scans files and directories.
pub fn scan_paths(
    scanner: &Scanner,
    paths: &[PathBuf],
    opts: &Options,
    required: Option<&PathRules>,
    cwd: &Path,
    keep_for_known: bool,
) -> Outcome {
    let out = Mutex::new(Outcome::default());
    let Some(builder) = walker(paths, opts) else {
        return Outcome::default();
    };
    builder.build_parallel().run(|| {
        let out = &out;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ignore::WalkState::Continue;
            }
            let path = entry.path();
            let shown = path
                .strip_prefix("./")
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            let skip = |why: String| {
                lock(out).skipped.push((shown.clone(), why));
            };
            match entry.metadata() {
                Ok(m) if m.len() > opts.max_size => {
                    skip(format!(
                        "larger than {} bytes (--max-file-size)",
                        opts.max_size
                    ));
                    return ignore::WalkState::Continue;
                }
                Err(e) => {
                    skip(e.to_string());
                    return ignore::WalkState::Continue;
                }
                _ => {}
            }
            let text = match std::fs::read(path) {
                Ok(t) => t,
                Err(e) => {
                    skip(e.to_string());
                    return ignore::WalkState::Continue;
                }
            };
            let full = cwd.join(path);
            match scan_text(scanner, &shown, &full, &text, required) {
                Ok(found) => {
                    // Only the stores' formats hold values worth knowing.
                    let encrypted = keep_for_known
                        && Format::from_path(path) != Format::Binary
                        && crate::git::hook::looks_encrypted(&text);
                    let mut o = lock(out);
                    o.files += 1;
                    o.bytes += text.len() as u64;
                    o.findings.extend(found);
                    if encrypted {
                        o.encrypted.push((path.to_path_buf(), text));
                    } else if keep_for_known {
                        o.plain.push((shown, path.to_path_buf()));
                    }
                }
                Err(Skip::Binary) => skip("binary".into()),
            }
            ignore::WalkState::Continue
        })
    });
    let mut outcome = out.into_inner().unwrap_or_else(|e| e.into_inner());
    outcome
        .findings
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    outcome.skipped.sort();
    outcome
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the known-secret pre-pass did.
#[derive(Debug, Default)]
pub struct KnownReport {
    /// Encrypted files whose values were taken.
    pub opened: usize,
    /// Encrypted files no available key opens.
    pub closed: usize,
}

/// Finds the encrypted files under `paths` and adds the values of those a key at hand
/// opens to `known` (see [`open_known`]).
pub fn known_values(
    paths: &[PathBuf],
    opts: &Options,
    env: &crate::keys::KeyEnv,
    known: &mut super::known::Known,
) -> KnownReport {
    let Some(builder) = walker(paths, opts) else {
        return KnownReport::default();
    };
    // Read in parallel; only files that look encrypted are kept (few, small).
    let found = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            let path = entry.path();
            let small = entry
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() <= (1 << 20));
            if small && Format::from_path(path) != Format::Binary {
                if let Some(bytes) = read_if_encrypted(path) {
                    lock(found).push((path.to_path_buf(), bytes));
                }
            }
            ignore::WalkState::Continue
        })
    });
    open_known(
        found.into_inner().unwrap_or_else(|e| e.into_inner()),
        env,
        known,
    )
}

/// Decrypts files that look encrypted with the keys at hand and adds their values to
/// `known` (as keyed hashes). A file no key opens is counted, not an error.
pub fn open_known(
    files: Vec<(PathBuf, Vec<u8>)>,
    env: &crate::keys::KeyEnv,
    known: &mut super::known::Known,
) -> KnownReport {
    let mut report = KnownReport::default();
    let order = crate::keys::DEFAULT_DECRYPTION_ORDER.to_vec();
    for (path, bytes) in files {
        let format = Format::detect(&path, None, &bytes);
        let Ok(mut loaded) = crate::file::load(&bytes, format) else {
            continue;
        };
        let opened = crate::file::data_key(&loaded.metadata, &order, env)
            .ok()
            .and_then(|key| crate::file::decrypt_tree(&mut loaded, &key, true, None).ok());
        if opened.is_none() {
            report.closed += 1;
            continue;
        }
        report.opened += 1;
        for branch in &loaded.doc.branches {
            add_values(branch, known);
        }
    }
    report
}

/// The file's bytes if it looks encrypted. Every encrypted file holds an `ENC[...]`
/// value near its start, so a file without one in its first 8 KiB is not read further.
fn read_if_encrypted(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut bytes = vec![0u8; 8192];
    let mut n = 0;
    while n < bytes.len() {
        match f.read(&mut bytes[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return None,
        }
    }
    bytes.truncate(n);
    memchr::memmem::find(&bytes, b"ENC[AES256_GCM,")?;
    f.read_to_end(&mut bytes).ok()?;
    crate::git::hook::looks_encrypted(&bytes).then_some(bytes)
}

fn add_values(map: &[crate::document::Entry], known: &mut super::known::Known) {
    use crate::document::{Entry, Value};
    fn value(v: &Value, known: &mut super::known::Known) {
        match v {
            Value::Map(m) => add_values(m, known),
            Value::Seq(items) => items.iter().for_each(|i| value(i, known)),
            Value::Scalar(s) => known.add(&s.plaintext()),
            Value::Comment(_) | Value::Null => {}
        }
    }
    for e in map {
        if let Entry::Pair(_, v) = e {
            value(v, known);
        }
    }
}

/// The second pass of a path scan: once the encrypted files read by the first one have
/// lent their values, the plaintext files are searched for them (read again: only
/// when some value is known, so a tree no key opens costs nothing more).
pub fn known_pass(scanner: &Scanner, outcome: &mut Outcome) {
    if scanner.known.is_empty() {
        return;
    }
    let plain = std::mem::take(&mut outcome.plain);
    let found: Vec<Vec<Finding>> =
        crate::git::hook::par_map(&plain, |(shown, path)| match std::fs::read(path) {
            Ok(text) => scanner
                .scan_known(&text)
                .iter()
                .map(|h| finding(scanner, shown, &text, h))
                .collect(),
            Err(_) => Vec::new(),
        });
    outcome.findings.extend(found.into_iter().flatten());
    outcome
        .findings
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
}
