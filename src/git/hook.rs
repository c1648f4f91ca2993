//! The pre-commit check: what is about to be committed (the index, not the work tree)
//! must not hold secrets in clear. It needs no key:
//!
//! - a file a creation rule says to encrypt (its first matching rule has a
//!   `path_regex`) must be encrypted;
//! - an encrypted file must be whole: metadata that loads, a MAC, keys, every value its
//!   selector encrypts in well-formed `ENC[...]` form (none decrypted by hand), no
//!   merge conflict markers;
//! - a plaintext file must not be a decrypted copy of an encrypted one: a file that was
//!   encrypted in HEAD, a `*.dec.*`-style name, or a file with the same keys and value
//!   lengths as an encrypted file beside it (AES-GCM keeps lengths, so a decrypted copy
//!   matches exactly while an example file with placeholders does not).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::cli::{GitError, Repo};
use crate::cipher::select::Selection;
use crate::cipher::tree::{self, Flaw};
use crate::cipher::value;
use crate::config::PathRules;
use crate::document::path::{KeyPath, Step};
use crate::document::{Document, Entry, Value};
use crate::file::{self, FileError, Loaded};
use crate::format::{Format, FormatError};

/// One staged file.
#[derive(Debug)]
pub struct Staged {
    /// Its path in the repository.
    pub path: String,
    /// Its blob in HEAD, when the index modifies a file HEAD has.
    pub head_blob: Option<String>,
    /// The staged content.
    pub content: Vec<u8>,
}

/// Something that must not be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file.
    pub path: String,
    /// The line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong (never a value).
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.problem)?,
            None => write!(f, "{}: {}", self.path, self.problem)?,
        }
        write!(f, "\n    fix: {}", self.fix)
    }
}

const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// What is staged, and which files the work tree changes beyond that.
#[derive(Debug)]
pub struct Staging {
    /// The files the index adds or changes.
    pub files: Vec<Staged>,
    /// The paths whose work tree copy differs from the index (`\0`-separated).
    pub unstaged: Vec<u8>,
}

/// The files the index adds or changes (not deletions, symlinks or submodules), with
/// their staged content.
pub fn staged(repo: &Repo) -> Result<Staging, GitError> {
    // Both listings at once: two git processes on two cores.
    let (raw, unstaged) = std::thread::scope(|scope| {
        let unstaged = scope.spawn(|| unstaged_paths(repo));
        let raw = repo.git(&[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--diff-filter=ACMT",
        ]);
        (raw, unstaged.join())
    });
    let raw = raw?;
    let unstaged = unstaged.unwrap_or_else(|_| Ok(Vec::new()))?;
    let mut fields = raw.split(|b| *b == 0);
    let mut entries = Vec::new();
    while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
        // `:100644 100644 <old> <new> M`
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let [_, new_mode, old, new, _status] = parts[..] else {
            continue;
        };
        if !new_mode.starts_with("100") {
            continue;
        }
        let head_blob = (!old.chars().all(|c| c == '0')).then(|| old.to_string());
        entries.push((
            String::from_utf8_lossy(path).into_owned(),
            head_blob,
            new.to_string(),
        ));
    }
    let wanted: Vec<(&str, &str)> = entries
        .iter()
        .map(|(path, _, id)| (path.as_str(), id.as_str()))
        .collect();
    let contents = index_contents(repo, &wanted, &unstaged)?;
    let files = entries
        .into_iter()
        .zip(contents)
        .map(|((path, head_blob, _), content)| Staged {
            path,
            head_blob,
            content,
        })
        .collect();
    Ok(Staging { files, unstaged })
}

/// The index's version of files, in order. A file whose work tree copy git sees as
/// unchanged from the index is read from the work tree: the same bytes, without
/// inflating a loose object per file (the cost of a commit of a thousand new files is
/// otherwise mostly there). The others come from one `git cat-file --batch`.
fn index_contents(
    repo: &Repo,
    files: &[(&str, &str)],
    unstaged: &[u8],
) -> Result<Vec<Vec<u8>>, GitError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let changed: std::collections::HashSet<&[u8]> = unstaged
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out: Vec<Option<Vec<u8>>> = files
        .iter()
        .map(|(path, _)| {
            if changed.contains(path.as_bytes()) {
                return None;
            }
            let full = repo.root.join(path);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.is_file() => std::fs::read(&full).ok(),
                _ => None,
            }
        })
        .collect();
    let missing: Vec<usize> = (0..files.len()).filter(|i| out[*i].is_none()).collect();
    let ids: Vec<&str> = missing.iter().map(|i| files[*i].1).collect();
    for (i, content) in missing.into_iter().zip(blobs(repo, &ids)?) {
        out[i] = Some(content);
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

/// The files whose work tree copy differs from the index (`\0`-separated).
fn unstaged_paths(repo: &Repo) -> Result<Vec<u8>, GitError> {
    repo.git(&["diff", "--name-only", "-z", "--no-ext-diff"])
}

/// The contents of blobs, in order, through one `git cat-file --batch`.
pub fn blobs(repo: &Repo, ids: &[&str]) -> Result<Vec<Vec<u8>>, GitError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = ids.join("\n").into_bytes();
    input.push(b'\n');
    let out = repo.git_with_input(&["cat-file", "--batch"], &input)?;
    let mut result = Vec::with_capacity(ids.len());
    let mut rest = &out[..];
    for _ in ids {
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
            result.push(Vec::new());
            continue;
        };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        rest = &rest[nl + 1..];
        // `<id> blob <size>`, or `<id> missing`.
        let size = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|_| header.contains(" blob "));
        match size {
            Some(n) if n <= rest.len() => {
                result.push(rest[..n].to_vec());
                rest = rest.get(n + 1..).unwrap_or_default();
            }
            _ => result.push(Vec::new()),
        }
    }
    Ok(result)
}

/// Checks staged files. `rules` are the creation rules (if any); `repo` is asked for
/// HEAD versions and neighbouring files only when a plaintext file needs a closer look.
/// `unstaged` is [`Staging::unstaged`] when known (it is asked of git otherwise).
pub fn check(
    files: &[Staged],
    unstaged: Option<&[u8]>,
    rules: Option<&PathRules>,
    repo: &Repo,
) -> Result<Vec<Finding>, GitError> {
    let results = par_map(files, |f| check_one(f, rules, &repo.root));
    let mut findings = Vec::new();
    let mut plain = Vec::new();
    for (f, (found, candidate)) in files.iter().zip(results) {
        findings.extend(found);
        if let Some(format) = candidate {
            plain.push((f, format));
        }
    }
    if !plain.is_empty() {
        findings.extend(decrypted_copies(&plain, unstaged, repo)?);
    }
    Ok(findings)
}

/// `f` over `items` on every core, results in order (files are independent).
pub fn par_map<T: Sync, R: Send + Default>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(64);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// One file's findings; `Some(format)` when it is a plaintext file of a structured
/// format that needs the look for a decrypted copy.
fn check_one(f: &Staged, rules: Option<&PathRules>, root: &Path) -> (Vec<Finding>, Option<Format>) {
    let mut findings = Vec::new();
    let format = Format::detect(Path::new(&f.path), None, &f.content);
    let required = rules.and_then(|r| r.required_by(&root.join(&f.path)));
    if format == Format::Binary && required.is_none() {
        return (findings, None);
    }
    match file::load(&f.content, format) {
        Ok(mut loaded) => check_encrypted(f, &mut loaded, &mut findings),
        Err(FileError::MetadataNotFound(_)) => match required {
            Some(rule) => findings.push(Finding {
                path: f.path.clone(),
                line: None,
                problem: format!(
                    "the creation rule `{rule}` in .sops.yaml covers this file, but it is staged unencrypted"
                ),
                fix: format!(
                    "git restore --staged {p}; enseal encrypt -i {p}; git add {p}",
                    p = f.path
                ),
            }),
            None if format != Format::Binary => return (findings, Some(format)),
            None => {}
        },
        Err(FileError::Metadata(e)) => findings.push(broken(f, None, &e.to_string())),
        Err(FileError::Load { source, .. } | FileError::Parse { source, .. }) => {
            let line = match &source {
                FormatError::Syntax { line, .. } => Some(*line),
                _ => None,
            };
            if looks_encrypted(&f.content) {
                findings.push(broken(f, line, &format!("it does not parse ({source})")));
            } else if let Some(rule) = required {
                findings.push(Finding {
                    path: f.path.clone(),
                    line,
                    problem: format!(
                        "the creation rule `{rule}` in .sops.yaml covers this file, but it is staged unencrypted (and does not parse: {source})"
                    ),
                    fix: format!("fix it, then: enseal encrypt -i {p}; git add {p}", p = f.path),
                });
            }
        }
        Err(other) => findings.push(broken(f, None, &other.to_string())),
    }
    (findings, None)
}

fn broken(f: &Staged, line: Option<usize>, why: &str) -> Finding {
    Finding {
        path: f.path.clone(),
        line,
        problem: format!("the encrypted file is broken: {why}"),
        fix: format!(
            "restore it (`git checkout HEAD -- {p}`) and make the change with `enseal edit {p}`",
            p = f.path
        ),
    }
}

/// A sops metadata block in any store's spelling (a cheap test, no parsing).
pub fn looks_encrypted(content: &[u8]) -> bool {
    use memchr::memmem::find;
    find(content, b"ENC[AES256_GCM,").is_some()
        && (find(content, b"\nsops:").is_some()
            || content.starts_with(b"sops:")
            || find(content, b"\"sops\"").is_some()
            || find(content, b"[sops]").is_some()
            || find(content, b"sops_mac=").is_some())
}

fn check_encrypted(f: &Staged, loaded: &mut Loaded, findings: &mut Vec<Finding>) {
    if let Some(line) = conflict_marker(&f.content) {
        findings.push(broken(f, Some(line), "it holds merge conflict markers"));
        return;
    }
    // Only needed to point at a line: most files have nothing to point at.
    let text = || String::from_utf8_lossy(&f.content);
    let m = &loaded.metadata;
    if m.mac.is_empty() {
        findings.push(broken(f, None, "its metadata has no MAC"));
    } else if let Err(e) = value::check_format(&m.mac) {
        let line = text()
            .lines()
            .position(|l| l.contains(&m.mac))
            .map(|i| i + 1);
        findings.push(broken(f, line, &format!("its MAC is malformed ({e})")));
    }
    if m.key_groups.iter().all(|g| g.is_empty()) {
        findings.push(broken(
            f,
            None,
            "its metadata names no keys: nobody can decrypt it",
        ));
    }
    let Ok(selection) = Selection::new(&m.effective_selector()) else {
        findings.push(broken(f, None, "its selector regex is invalid"));
        return;
    };
    let mac_only = m.mac_only_encrypted;
    for (path, flaw) in tree::inspect(&mut loaded.doc, &selection, mac_only) {
        let line = line_of(&text(), &path);
        findings.push(match flaw {
            Flaw::Clear => Finding {
                path: f.path.clone(),
                line,
                problem: format!(
                    "{path} is in clear in an encrypted file (partly decrypted, or added by hand)"
                ),
                fix: format!(
                    "restore the file (`git checkout HEAD -- {p}`) and set the value with `enseal set` or `enseal edit {p}`",
                    p = f.path
                ),
            },
            Flaw::Malformed(e) => broken(f, line, &format!("{path}: {e}")),
        });
    }
}

/// The line of the first merge conflict marker (`<<<<<<<` or `>>>>>>>` starting a line).
fn conflict_marker(content: &[u8]) -> Option<usize> {
    let at = [&b"<<<<<<<"[..], b">>>>>>>"]
        .iter()
        .flat_map(|m| memchr::memmem::find_iter(content, m))
        .filter(|&i| i == 0 || content[i - 1] == b'\n')
        .min()?;
    Some(content[..at].iter().filter(|b| **b == b'\n').count() + 1)
}

/// The line where a key path's value is written, found by looking for each key in
/// turn (good enough to point at the line in any store).
fn line_of(text: &str, path: &KeyPath) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    for step in &path.0 {
        let Step::Key(key) = step else { continue };
        let at = lines[from..].iter().position(|l| defines(l, key))?;
        from += at + 1;
        found = Some(from);
    }
    found
}

fn defines(line: &str, key: &str) -> bool {
    let t = line.trim_start().trim_start_matches("- ");
    let after = |rest: &str| {
        let rest = rest.trim_start();
        rest.starts_with(':') || rest.starts_with('=')
    };
    t.strip_prefix(key).is_some_and(after)
        || t.strip_prefix(&format!("\"{key}\"")).is_some_and(after)
        || t.strip_prefix(&format!("'{key}'")).is_some_and(after)
        || t == format!("[{key}]")
}

/// Plaintext files that are decrypted copies of encrypted ones.
fn decrypted_copies(
    plain: &[(&Staged, Format)],
    unstaged: Option<&[u8]>,
    repo: &Repo,
) -> Result<Vec<Finding>, GitError> {
    let mut findings = Vec::new();
    // Encrypted in HEAD, staged in clear.
    let was: Vec<&(&Staged, Format)> = plain
        .iter()
        .filter(|(f, _)| f.head_blob.is_some())
        .collect();
    let ids: Vec<&str> = was
        .iter()
        .filter_map(|(f, _)| f.head_blob.as_deref())
        .filter(|id| *id != ZERO_ID)
        .collect();
    let heads = blobs(repo, &ids)?;
    let mut flagged = std::collections::HashSet::new();
    for ((f, format), head) in was.iter().zip(&heads) {
        if file::is_encrypted(head, *format) {
            flagged.insert(f.path.clone());
            findings.push(Finding {
                path: f.path.clone(),
                line: None,
                problem: "the file is encrypted in HEAD but staged decrypted".into(),
                fix: format!(
                    "git restore --staged {p} (and `git checkout HEAD -- {p}` or `enseal encrypt -i {p}`); change values with `enseal edit {p}`",
                    p = f.path
                ),
            });
        }
    }
    for (f, _) in plain {
        let name = Path::new(&f.path)
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let copy_name = [
            ".dec.",
            ".decrypted.",
            ".plain.",
            ".plaintext.",
            ".cleartext.",
        ]
        .iter()
        .any(|m| name.contains(m))
            || name.ends_with(".dec")
            || name.ends_with(".decrypted");
        if copy_name && flagged.insert(f.path.clone()) {
            findings.push(Finding {
                path: f.path.clone(),
                line: None,
                problem: "the name says this is a decrypted copy".into(),
                fix: format!(
                    "git restore --staged {p}; delete it or add the pattern to .gitignore",
                    p = f.path
                ),
            });
        }
    }
    // Same keys and value lengths as an encrypted file in the same directory.
    let rest: Vec<&(&Staged, Format)> = plain
        .iter()
        .filter(|(f, _)| !flagged.contains(&f.path))
        .collect();
    let mut by_dir: BTreeMap<String, Vec<&(&Staged, Format)>> = BTreeMap::new();
    for item in rest {
        let dir = Path::new(&item.0.path)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        by_dir.entry(dir).or_default().push(item);
    }
    let listed;
    let unstaged = match unstaged {
        Some(u) => u,
        None if by_dir.is_empty() => &[][..],
        None => {
            listed = unstaged_paths(repo)?;
            &listed[..]
        }
    };
    for (dir, items) in by_dir {
        let neighbours = encrypted_neighbours(repo, &dir, unstaged)?;
        for (f, format) in items {
            let Ok(parsed) = crate::format::parse(*format, &f.content, crate::format::Mode::Plain)
            else {
                continue;
            };
            let shape = shape(&parsed.doc, false);
            if shape.is_empty() {
                continue;
            }
            if let Some((other, _)) = neighbours
                .iter()
                .find(|(p, (fmt, s))| **p != f.path && fmt == format && *s == shape)
            {
                findings.push(Finding {
                    path: f.path.clone(),
                    line: None,
                    problem: format!(
                        "it has the same keys and value lengths as the encrypted {other}: a decrypted copy"
                    ),
                    fix: format!(
                        "git restore --staged {p}; delete it (or add it to .gitignore); change {other} with `enseal edit {other}`",
                        p = f.path
                    ),
                });
            }
        }
    }
    Ok(findings)
}

/// Encrypted files in the index directly in `dir`, with their shapes.
fn encrypted_neighbours(
    repo: &Repo,
    dir: &str,
    unstaged: &[u8],
) -> Result<HashMap<String, (Format, Shape)>, GitError> {
    let spec = if dir.is_empty() {
        ".".to_string()
    } else {
        dir.to_string()
    };
    let listing = repo.git(&["ls-files", "-s", "-z", "--", &spec])?;
    let mut entries = Vec::new();
    for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        // `<mode> <id> <stage>\t<path>`
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let in_dir = Path::new(path)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
            == dir;
        let format = Format::from_path(Path::new(path));
        if !in_dir || format == Format::Binary || !meta.starts_with("100") {
            continue;
        }
        if let Some(id) = meta.split(' ').nth(1) {
            entries.push((path.to_string(), id.to_string(), format));
        }
    }
    let wanted: Vec<(&str, &str)> = entries
        .iter()
        .map(|(path, id, _)| (path.as_str(), id.as_str()))
        .collect();
    let contents = index_contents(repo, &wanted, unstaged)?;
    let pairs: Vec<_> = entries.into_iter().zip(contents).collect();
    let shapes = par_map(&pairs, |((_, _, format), content)| {
        file::load(content, *format)
            .ok()
            .map(|loaded| shape(&loaded.doc, true))
    });
    Ok(pairs
        .into_iter()
        .zip(shapes)
        .filter_map(|(((path, _, format), _), shape)| Some((path, (format, shape?))))
        .collect())
}

/// Every value's key path with the length of its plaintext, sorted.
type Shape = Vec<(String, usize)>;

/// A file's [`Shape`]; for an encrypted file the lengths are read from the ciphertexts
/// (AES-GCM adds nothing to a length).
fn shape(doc: &Document, encrypted: bool) -> Shape {
    fn walk(v: &Value, at: String, encrypted: bool, out: &mut Vec<(String, usize)>) {
        match v {
            Value::Map(m) => walk_map(m, &at, encrypted, out),
            Value::Seq(items) => {
                for (i, item) in items
                    .iter()
                    .filter(|v| !matches!(v, Value::Comment(_)))
                    .enumerate()
                {
                    walk(item, format!("{at}[{i}]"), encrypted, out);
                }
            }
            Value::Scalar(s) => {
                let len = match s.as_str() {
                    Some(text) if encrypted && value::is_encrypted(text) => {
                        value::data_len(text).unwrap_or(usize::MAX)
                    }
                    _ => s.plaintext().len(),
                };
                out.push((at, len));
            }
            Value::Null => out.push((at, 0)),
            Value::Comment(_) => {}
        }
    }
    fn walk_map(m: &[Entry], at: &str, encrypted: bool, out: &mut Vec<(String, usize)>) {
        for e in m {
            if let Entry::Pair(k, v) = e {
                walk(v, format!("{at}/{k}"), encrypted, out);
            }
        }
    }
    let mut out = Vec::new();
    for branch in &doc.branches {
        walk_map(branch, "", encrypted, &mut out);
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_by_key_path() {
        let yaml = "a:\n  b: 1\nc:\n  b: ENC\n";
        let p = KeyPath(vec![Step::Key("c".into()), Step::Key("b".into())]);
        assert_eq!(line_of(yaml, &p), Some(4));
        let json = "{\n  \"c\": {\n    \"b\": 1\n  }\n}\n";
        assert_eq!(line_of(json, &p), Some(3));
        let ini = "[c]\nb = 2\n";
        assert_eq!(line_of(ini, &p), Some(2));
        assert_eq!(conflict_marker(b"a: 1\n<<<<<<< HEAD\n"), Some(2));
        assert_eq!(conflict_marker(b"a: '<<<<<<<'\n"), None);
    }
}
