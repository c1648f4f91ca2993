//! Who can decrypt what, read from the metadata alone (no key needed), and the
//! `[[access.rule]]` checks.

use crate::keys::KeyKind;
use crate::metadata::Metadata;
use crate::rotate::key_ids;

use super::policy::AccessRule;

/// The keys of one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileAccess {
    /// The file, relative to the repository top.
    pub file: String,
    /// Groups needed to decrypt (1 without Shamir).
    pub threshold: usize,
    /// Each key group's keys: (`age`, `age1…`), (`pgp`, fingerprint)…
    pub groups: Vec<Vec<(String, String)>>,
}

impl FileAccess {
    /// The access of a file with `metadata`.
    pub fn of(file: &str, metadata: &Metadata) -> FileAccess {
        FileAccess {
            file: file.to_string(),
            threshold: metadata
                .shamir_threshold
                .max(1)
                .min(metadata.key_groups.len().max(1)),
            groups: metadata
                .key_groups
                .iter()
                .map(|g| {
                    key_ids(g)
                        .into_iter()
                        .map(|(kind, id)| (kind_name(kind).to_string(), id))
                        .collect()
                })
                .collect(),
        }
    }

    /// The groups (1-based) that list `id`.
    pub fn groups_of(&self, id: &str) -> Vec<usize> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.iter().any(|(_, k)| k == id))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// Whether `id` alone can decrypt the file (it is in enough groups).
    pub fn alone(&self, id: &str) -> bool {
        self.groups_of(id).len() >= self.threshold
    }
}

fn kind_name(kind: KeyKind) -> &'static str {
    kind.name()
}

/// Every key of the files, in first-seen order: the matrix's columns.
pub fn recipients(files: &[FileAccess]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for f in files {
        for g in &f.groups {
            for k in g {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        }
    }
    out
}

/// A file that breaks an access rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The file.
    pub file: String,
    /// The rule (1-based, in file order).
    pub rule: usize,
    /// `denied` (listed but must not be) or `missing` (required but not listed).
    pub problem: &'static str,
    /// The recipient.
    pub recipient: String,
}

/// Checks every file against every rule that covers it.
pub fn check(files: &[FileAccess], rules: &[AccessRule]) -> Vec<Violation> {
    let mut out = Vec::new();
    for f in files {
        for (i, rule) in rules.iter().enumerate() {
            if !rule.path_regex.as_ref().is_none_or(|r| r.is_match(&f.file)) {
                continue;
            }
            for d in &rule.deny {
                if !f.groups_of(d).is_empty() {
                    out.push(Violation {
                        file: f.file.clone(),
                        rule: i + 1,
                        problem: "denied",
                        recipient: d.clone(),
                    });
                }
            }
            for r in &rule.require {
                if f.groups_of(r).is_empty() {
                    out.push(Violation {
                        file: f.file.clone(),
                        rule: i + 1,
                        problem: "missing",
                        recipient: r.clone(),
                    });
                }
            }
        }
    }
    out
}
