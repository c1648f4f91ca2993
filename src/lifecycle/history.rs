//! A secrets file's history, read from git: every committed version (renames
//! followed), what each key path held in it (as a digest, never the value), and the
//! changes between versions: added, changed, removed, re-keyed.
//!
//! Values are compared decrypted when a key is at hand, so a new data key (every
//! ciphertext changes) or a tool that draws new IVs on every save (sops' `edit`) is
//! not mistaken for a new value. Without a key the ciphertexts are compared, and a
//! version whose data key changed (no wrapped key in common with the previous one)
//! counts as re-keyed only; such results are marked inexact.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};

use crate::document::path::{KeyPath, Step};
use crate::document::{Entry, Map, Value};
use crate::file;
use crate::format::Format;
use crate::git::cli::{GitError, Repo};
use crate::keys::{KeyEnv, KeyKind};
use crate::metadata::Metadata;

/// One committed version of a file.
#[derive(Debug, Clone)]
pub struct Version {
    /// The commit.
    pub commit: String,
    /// Committer time, Unix seconds.
    pub time: i64,
    /// Author name and email.
    pub author: String,
    /// The file's path in that commit (it may have been renamed since).
    pub path: String,
    /// The file's bytes; empty when the commit deleted it.
    pub bytes: Vec<u8>,
    /// The commit deleted the file.
    pub deleted: bool,
}

/// The versions of `path` (relative to the repository top), oldest first, following
/// renames.
pub fn versions(repo: &Repo, path: &str) -> Result<Vec<Version>, GitError> {
    let out = repo.git(&[
        "log",
        "--follow",
        "-M",
        "--format=%x1e%H%x1f%ct%x1f%an <%ae>",
        "--name-status",
        "--",
        path,
    ])?;
    let text = String::from_utf8_lossy(&out);
    let mut versions = Vec::new();
    for record in text.split('\u{1e}').filter(|r| !r.trim().is_empty()) {
        let mut lines = record.lines();
        let header = lines.next().unwrap_or_default();
        let fields: Vec<&str> = header.split('\u{1f}').collect();
        let [commit, time, author] = fields[..] else {
            continue;
        };
        let Some(status) = lines.find(|l| !l.trim().is_empty()) else {
            continue;
        };
        let parts: Vec<&str> = status.split('\t').collect();
        let Some(file) = parts.last() else { continue };
        versions.push(Version {
            commit: commit.to_string(),
            time: time.parse().unwrap_or(0),
            author: author.to_string(),
            path: file.to_string(),
            bytes: Vec::new(),
            deleted: parts[0].starts_with('D'),
        });
    }
    versions.reverse();
    let specs: Vec<String> = versions
        .iter()
        .map(|v| format!("{}:{}", v.commit, v.path))
        .collect();
    let wanted: Vec<&str> = versions
        .iter()
        .zip(&specs)
        .filter(|(v, _)| !v.deleted)
        .map(|(_, s)| s.as_str())
        .collect();
    let mut blobs = crate::git::hook::blobs(repo, &wanted)?.into_iter();
    for v in versions.iter_mut().filter(|v| !v.deleted) {
        v.bytes = blobs.next().unwrap_or_default();
    }
    Ok(versions)
}

/// What one version holds.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Each key path (`db.password`, `hosts[0]`) with a digest of its value, in file
    /// order.
    pub values: Vec<(String, [u8; 32])>,
    /// A digest of the data key (with a key), else of the wrapped keys.
    pub data_key: [u8; 32],
    /// The wrapped copies of the data key (`enc` fields).
    pub wrapped: BTreeSet<String>,
    /// The values were compared decrypted.
    pub exact: bool,
    /// The version did not parse or had no metadata (a plaintext commit, say).
    pub unreadable: bool,
    /// The metadata, when the version parsed.
    pub metadata: Option<Metadata>,
}

/// Decrypts versions, reusing data keys: the same wrapped keys give the same key.
pub struct Reader<'a> {
    env: &'a KeyEnv,
    order: Vec<KeyKind>,
    keys: HashMap<String, Option<crate::cipher::data_key::DataKey>>,
    /// Read without a key: ciphertexts are compared.
    pub keyless: bool,
}

impl<'a> Reader<'a> {
    /// A reader using the keys of `env`; `keyless` never tries them.
    pub fn new(env: &'a KeyEnv, order: Vec<KeyKind>, keyless: bool) -> Reader<'a> {
        Reader {
            env,
            order,
            keys: HashMap::new(),
            keyless,
        }
    }

    /// What `bytes` (a version of a file in `format`) holds.
    pub fn snapshot(&mut self, bytes: &[u8], format: Format) -> Snapshot {
        let Ok(mut loaded) = file::load(bytes, format) else {
            return Snapshot {
                unreadable: true,
                ..Snapshot::default()
            };
        };
        let wrapped = wrapped(&loaded.metadata, format);
        let id: String = wrapped.iter().cloned().collect::<Vec<_>>().join("\n");
        let key = if self.keyless {
            None
        } else {
            self.keys
                .entry(id.clone())
                .or_insert_with(|| file::data_key(&loaded.metadata, &self.order, self.env).ok())
                .clone()
        };
        let mut exact = false;
        let data_key = match &key {
            Some(k) => {
                if file::decrypt_tree(&mut loaded, k, true, None).is_ok() {
                    exact = true;
                }
                digest(k.as_bytes())
            }
            None => digest(id.as_bytes()),
        };
        let mut values = Vec::new();
        if let Some(first) = loaded.doc.branches.first() {
            leaves(first, &KeyPath::default(), &mut values);
        }
        Snapshot {
            values,
            data_key,
            wrapped,
            exact,
            unreadable: false,
            metadata: Some(loaded.metadata),
        }
    }

    /// Whether the data key changed from `a` to `b`.
    pub fn rekeyed(a: &Snapshot, b: &Snapshot) -> bool {
        if a.exact && b.exact {
            a.data_key != b.data_key
        } else {
            // No key: a new data key shares no wrapped copy with the old one
            // (`updatekeys` adds or drops copies of the same key).
            a.wrapped.is_disjoint(&b.wrapped)
        }
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The `enc` strings of every key in the metadata.
fn wrapped(meta: &Metadata, format: Format) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Map(m) => {
                for e in m {
                    if let Entry::Pair(k, v) = e {
                        match (k.as_str(), v.as_str()) {
                            ("enc", Some(s)) => {
                                out.insert(s.to_string());
                            }
                            _ => walk(v, out),
                        }
                    }
                }
            }
            Value::Seq(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(&meta.to_value(format), &mut out);
    out
}

fn leaves(map: &Map, at: &KeyPath, out: &mut Vec<(String, [u8; 32])>) {
    for e in map {
        if let Entry::Pair(k, v) = e {
            leaf(v, &at.child(Step::Key(k.clone())), out);
        }
    }
}

fn leaf(v: &Value, at: &KeyPath, out: &mut Vec<(String, [u8; 32])>) {
    match v {
        Value::Map(m) => leaves(m, at, out),
        Value::Seq(items) => {
            let mut i = 0;
            for item in items {
                if !matches!(item, Value::Comment(_)) {
                    leaf(item, &at.child(Step::Index(i)), out);
                    i += 1;
                }
            }
        }
        Value::Scalar(s) => {
            let mut h = Sha256::new();
            h.update(s.type_tag().as_bytes());
            h.update([0]);
            h.update(s.plaintext());
            out.push((at.to_string(), h.finalize().into()));
        }
        Value::Null => out.push((at.to_string(), digest(b"\0null"))),
        Value::Comment(_) => {}
    }
}

/// What happened to a key path in a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// It appeared.
    Added,
    /// Its value changed.
    Changed,
    /// It went away.
    Removed,
    /// Only its encryption changed (a new data key).
    Rekeyed,
}

impl Kind {
    /// The word used in reports.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Changed => "changed",
            Kind::Removed => "removed",
            Kind::Rekeyed => "re-keyed",
        }
    }
}

/// One change of one key path.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// The key path.
    pub key: String,
    /// What happened.
    pub kind: Kind,
    /// Index into the versions.
    #[serde(skip)]
    pub version: usize,
}

/// The life of a file: its versions, their snapshots, and each key path's changes.
pub struct Life {
    /// The versions, oldest first.
    pub versions: Vec<Version>,
    /// What each version holds.
    pub snapshots: Vec<Snapshot>,
    /// Every change, in order.
    pub changes: Vec<Change>,
    /// Every comparison was made on decrypted values.
    pub exact: bool,
}

/// Reads `path`'s life from git.
pub fn life(
    repo: &Repo,
    path: &str,
    format: Format,
    reader: &mut Reader<'_>,
) -> Result<Life, GitError> {
    let versions = versions(repo, path)?;
    let snapshots: Vec<Snapshot> = versions
        .iter()
        .map(|v| {
            if v.deleted {
                Snapshot {
                    unreadable: true,
                    ..Snapshot::default()
                }
            } else {
                reader.snapshot(&v.bytes, format)
            }
        })
        .collect();
    let mut changes = Vec::new();
    let mut exact = true;
    let mut prev: Option<&Snapshot> = None;
    for (i, s) in snapshots.iter().enumerate() {
        if s.unreadable {
            // A deletion or a version that is not an encrypted file: everything goes.
            if let Some(p) = prev {
                changes.extend(p.values.iter().map(|(k, _)| Change {
                    key: k.clone(),
                    kind: Kind::Removed,
                    version: i,
                }));
            }
            prev = None;
            continue;
        }
        exact &= s.exact;
        let old: HashMap<&str, &[u8; 32]> = prev
            .map(|p| p.values.iter().map(|(k, d)| (k.as_str(), d)).collect())
            .unwrap_or_default();
        let rekeyed = prev.is_some_and(|p| Reader::rekeyed(p, s));
        let comparable = prev.is_some_and(|p| p.exact && s.exact);
        for (k, d) in &s.values {
            let kind = match old.get(k.as_str()) {
                None => Some(Kind::Added),
                Some(o) if *o != d && (comparable || !rekeyed) => Some(Kind::Changed),
                Some(_) if rekeyed => Some(Kind::Rekeyed),
                Some(_) => None,
            };
            if let Some(kind) = kind {
                changes.push(Change {
                    key: k.clone(),
                    kind,
                    version: i,
                });
            }
        }
        if let Some(p) = prev {
            let now: BTreeSet<&str> = s.values.iter().map(|(k, _)| k.as_str()).collect();
            changes.extend(
                p.values
                    .iter()
                    .filter(|(k, _)| !now.contains(k.as_str()))
                    .map(|(k, _)| Change {
                        key: k.clone(),
                        kind: Kind::Removed,
                        version: i,
                    }),
            );
        }
        prev = Some(s);
    }
    Ok(Life {
        versions,
        snapshots,
        changes,
        exact,
    })
}
