//! Key rotation and key updates on encrypted files.
//!
//! - [`update_keys`]: a file gets the key groups its creation rule names now. The data
//!   key stays, so no value changes: keys that were already there keep their wrapped
//!   copy, new ones get theirs, removed ones are dropped (with several groups the Shamir
//!   shares are made anew and every key wraps its group's share again).
//! - [`rotate`]: a new data key, every value encrypted again, and recipients added or
//!   removed. A removed recipient cannot open the file any more, including its history
//!   from this commit on.
//!
//! Both keep the file's layout (docs/layout.md).

use std::fmt::Write as _;

use crate::cipher::mac;
use crate::cipher::select::Selection;
use crate::cipher::tree;
use crate::cipher::{Cipher, DataKey};
use crate::file::{self, FileError, Loaded};
use crate::format::{self, EmitOptions, Format};
use crate::groups;
use crate::keys::{KeyEnv, KeyGroup, KeyKind};

/// One key as it is compared: its kind and identifier (recipient, fingerprint, URI, ...).
pub type KeyId = (KeyKind, String);

/// The identifiers of every key of a group, usable by enseal or not.
pub fn key_ids(g: &KeyGroup) -> Vec<KeyId> {
    let mut out = Vec::new();
    out.extend(g.kms.iter().map(|k| (KeyKind::Kms, k.arn.clone())));
    out.extend(
        g.gcp_kms
            .iter()
            .map(|k| (KeyKind::GcpKms, k.resource_id.clone())),
    );
    out.extend(g.hckms.iter().map(|k| (KeyKind::Hckms, k.key_id.clone())));
    out.extend(g.azure_kv.iter().map(|k| {
        let id = format!("{}/keys/{}/{}", k.vault_url, k.name, k.version);
        (KeyKind::AzureKv, id)
    }));
    out.extend(g.hc_vault.iter().map(|k| (KeyKind::HcVault, k.uri())));
    out.extend(g.pgp.iter().map(|k| (KeyKind::Pgp, k.fingerprint.clone())));
    out.extend(g.age.iter().map(|k| (KeyKind::Age, k.recipient.clone())));
    out
}

/// One change to a file's key groups. Displayed as a line (`Group 1: +age age1…`),
/// serialized for `--json` (`{"change": "added", "group": 1, "kind": "age", "key": …}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum KeyChange {
    /// A key joins a group (1-based).
    Added {
        /// The group, counted from 1.
        group: usize,
        /// The key type (`age`, `pgp`, `kms`, …).
        kind: &'static str,
        /// The recipient, fingerprint, ARN or URL.
        key: String,
    },
    /// A key leaves a group.
    Removed {
        /// The group, counted from 1.
        group: usize,
        /// The key type.
        kind: &'static str,
        /// The recipient, fingerprint, ARN or URL.
        key: String,
    },
    /// The Shamir threshold changes.
    Threshold {
        /// Before.
        from: usize,
        /// After.
        to: usize,
    },
}

impl std::fmt::Display for KeyChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyChange::Added { group, kind, key } => write!(f, "Group {group}: +{kind} {key}"),
            KeyChange::Removed { group, kind, key } => write!(f, "Group {group}: -{kind} {key}"),
            KeyChange::Threshold { from, to } => write!(f, "shamir_threshold: {from} -> {to}"),
        }
    }
}

/// What changes from `old` to `new` groups, one entry per key; empty when nothing does.
pub fn describe(old: &[KeyGroup], new: &[KeyGroup], old_t: usize, new_t: usize) -> Vec<KeyChange> {
    let mut out = Vec::new();
    for i in 0..old.len().max(new.len()) {
        let before = old.get(i).map(key_ids).unwrap_or_default();
        let after = new.get(i).map(key_ids).unwrap_or_default();
        for k in after.iter().filter(|k| !before.contains(k)) {
            out.push(KeyChange::Added {
                group: i + 1,
                kind: k.0.name(),
                key: k.1.clone(),
            });
        }
        for k in before.iter().filter(|k| !after.contains(k)) {
            out.push(KeyChange::Removed {
                group: i + 1,
                kind: k.0.name(),
                key: k.1.clone(),
            });
        }
    }
    if new.len() > 1 && old_t != new_t {
        out.push(KeyChange::Threshold {
            from: old_t,
            to: new_t,
        });
    }
    out
}

/// `new` with the wrapped copies of the keys `old` already had in the same group.
fn carry_wrapped(old: &[KeyGroup], mut new: Vec<KeyGroup>) -> Vec<KeyGroup> {
    for (n, o) in new.iter_mut().zip(old) {
        for k in &mut n.age {
            if let Some(prev) = o.age.iter().find(|p| p.recipient == k.recipient) {
                k.clone_from(prev);
            }
        }
        for k in &mut n.pgp {
            if let Some(prev) = o.pgp.iter().find(|p| p.fingerprint == k.fingerprint) {
                k.clone_from(prev);
            }
        }
        for k in &mut n.hc_vault {
            if let Some(prev) = o.hc_vault.iter().find(|p| {
                (&p.vault_address, &p.engine_path, &p.key_name)
                    == (&k.vault_address, &k.engine_path, &k.key_name)
            }) {
                k.clone_from(prev);
            }
        }
        for k in &mut n.kms {
            if let Some(prev) = o.kms.iter().find(|p| p.arn == k.arn) {
                k.clone_from(prev);
            }
        }
        for k in &mut n.gcp_kms {
            if let Some(prev) = o.gcp_kms.iter().find(|p| p.resource_id == k.resource_id) {
                k.clone_from(prev);
            }
        }
        for k in &mut n.azure_kv {
            if let Some(prev) = o.azure_kv.iter().find(|p| {
                (&p.vault_url, &p.name, &p.version) == (&k.vault_url, &k.name, &k.version)
            }) {
                k.clone_from(prev);
            }
        }
    }
    new
}

/// Gives a loaded file the key groups `new` (threshold `threshold`) for the same data
/// key, and returns the file's new bytes. Values, `lastmodified` and the MAC stay.
pub fn update_keys(
    loaded: Loaded,
    data_key: &DataKey,
    new: Vec<KeyGroup>,
    threshold: usize,
    format: Format,
    env: &KeyEnv,
) -> Result<Vec<u8>, FileError> {
    let Loaded {
        doc,
        mut metadata,
        layout,
        ..
    } = loaded;
    let same_split = new.len() == 1 && metadata.key_groups.len() == 1;
    let mut groups = if same_split {
        // The keys wrap the data key itself: the ones already there stay as they are.
        carry_wrapped(&metadata.key_groups, new)
    } else {
        new
    };
    if same_split {
        groups::wrap_missing(&mut groups, data_key, env)?;
    } else {
        groups::wrap(&mut groups, threshold, data_key, env)?;
    }
    metadata.key_groups = groups;
    metadata.shamir_threshold = threshold;
    file::emit_sealed(
        format,
        &doc,
        &mut metadata,
        &EmitOptions::default(),
        layout.as_ref(),
        &Cipher::new(data_key),
    )
}

/// Recipients to add to the first group and to remove from every group.
#[derive(Debug, Default)]
pub struct Changes {
    /// Keys to add (not wrapped yet).
    pub add: KeyGroup,
    /// Keys to remove.
    pub remove: Vec<KeyId>,
}

/// Encrypts a decrypted file (`loaded`, tree in plaintext) under a new data key with its
/// groups changed by `changes`; returns the file's new bytes and a line per change.
pub fn rotate(
    mut loaded: Loaded,
    changes: &Changes,
    format: Format,
    env: &KeyEnv,
) -> Result<(Vec<u8>, Vec<KeyChange>), FileError> {
    let old = loaded.metadata.key_groups.clone();
    let mut groups = old.clone();
    for g in &mut groups {
        let keep = |id: &KeyId| !changes.remove.contains(id);
        g.age.retain(|k| keep(&(KeyKind::Age, k.recipient.clone())));
        g.pgp
            .retain(|k| keep(&(KeyKind::Pgp, k.fingerprint.clone())));
        g.hc_vault.retain(|k| keep(&(KeyKind::HcVault, k.uri())));
        g.kms.retain(|k| keep(&(KeyKind::Kms, k.arn.clone())));
        g.gcp_kms
            .retain(|k| keep(&(KeyKind::GcpKms, k.resource_id.clone())));
        g.azure_kv.retain(|k| {
            let id = format!("{}/keys/{}/{}", k.vault_url, k.name, k.version);
            keep(&(KeyKind::AzureKv, id))
        });
    }
    if let Some(first) = groups.first_mut() {
        let present = key_ids(first);
        let add = &changes.add;
        first.age.extend(
            add.age
                .iter()
                .filter(|k| !present.contains(&(KeyKind::Age, k.recipient.clone())))
                .cloned(),
        );
        first.pgp.extend(
            add.pgp
                .iter()
                .filter(|k| !present.contains(&(KeyKind::Pgp, k.fingerprint.clone())))
                .cloned(),
        );
        let new = |kind: KeyKind, id: String| !present.contains(&(kind, id));
        first.hc_vault.extend(
            add.hc_vault
                .iter()
                .filter(|k| new(KeyKind::HcVault, k.uri()))
                .cloned(),
        );
        first.kms.extend(
            add.kms
                .iter()
                .filter(|k| new(KeyKind::Kms, k.arn.clone()))
                .cloned(),
        );
        first.gcp_kms.extend(
            add.gcp_kms
                .iter()
                .filter(|k| new(KeyKind::GcpKms, k.resource_id.clone()))
                .cloned(),
        );
        first.azure_kv.extend(add.azure_kv.iter().cloned());
    }
    if groups.iter().any(KeyGroup::is_empty) {
        return Err(FileError::Groups(groups::GroupsError::Invalid(
            "removing these keys would leave a key group empty: nobody could open the file".into(),
        )));
    }
    let lines = describe(
        &old,
        &groups,
        loaded.metadata.shamir_threshold,
        loaded.metadata.shamir_threshold,
    );
    // A new data key: every key wraps it (or its share) anew.
    let data_key = DataKey::generate();
    for g in &mut groups {
        clear_wrapped(g);
    }
    groups::wrap(
        &mut groups,
        loaded.metadata.shamir_threshold,
        &data_key,
        env,
    )?;
    let cipher = Cipher::new(&data_key);
    let m = &mut loaded.metadata;
    m.key_groups = groups;
    let selection = Selection::new(&m.effective_selector())?;
    let fits = loaded.layout.as_ref().is_some_and(|l| l.fits(&loaded.doc));
    if !fits {
        loaded.layout = None;
        m.layout_kept = false;
    }
    // Spellings are sealed with the data key: seal them again under the new one.
    let spellings = loaded
        .layout
        .as_ref()
        .map(|l| l.spellings_still_true(&loaded.doc, l.spellings()))
        .unwrap_or_default();
    let mac = tree::encrypt(
        &mut loaded.doc,
        &cipher,
        &selection,
        m.mac_only_encrypted,
        None,
    )
    .map_err(FileError::Encrypt)?;
    m.last_modified = file::now_rfc3339();
    m.mac = mac::seal(&cipher, &mac, &m.last_modified)?;
    m.layout_spelling = (m.layout_kept && !spellings.is_empty())
        .then(|| format::spelling::seal(&spellings, &cipher));
    let out = file::emit_sealed(
        format,
        &loaded.doc,
        &mut loaded.metadata,
        &EmitOptions::default(),
        loaded.layout.as_ref(),
        &cipher,
    )?;
    Ok((out, lines))
}

/// Forgets every key's wrapped copy (before the data key or the shares change).
pub fn clear_wrapped(g: &mut KeyGroup) {
    g.age.iter_mut().for_each(|k| k.enc.clear());
    g.pgp.iter_mut().for_each(|k| k.enc.clear());
    g.hc_vault.iter_mut().for_each(|k| k.enc.clear());
    g.kms.iter_mut().for_each(|k| k.enc.clear());
    g.gcp_kms.iter_mut().for_each(|k| k.enc.clear());
    g.azure_kv.iter_mut().for_each(|k| k.enc.clear());
    g.hckms.iter_mut().for_each(|k| k.enc.clear());
}

/// A summary for reports: `n value(s) re-encrypted` etc. are the commands' business;
/// this only joins change lines.
pub fn summary(lines: &[KeyChange]) -> String {
    summary_in(lines, crate::summary::stderr_color())
}

/// [`summary`] with colors on or off: added keys green, removed ones red.
pub fn summary_in(lines: &[KeyChange], color: bool) -> String {
    let mut s = String::new();
    for l in lines {
        let code = match l {
            KeyChange::Added { .. } => Some("32"),
            KeyChange::Removed { .. } => Some("31"),
            KeyChange::Threshold { .. } => None,
        };
        let _ = match code.filter(|_| color) {
            Some(c) => writeln!(s, "  \x1b[{c}m{l}\x1b[0m"),
            None => writeln!(s, "  {l}"),
        };
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_summary_colors_added_and_removed_keys_only_when_asked() {
        use super::KeyChange;
        let lines = vec![
            KeyChange::Added {
                group: 1,
                kind: "age",
                key: "age1new".into(),
            },
            KeyChange::Removed {
                group: 1,
                kind: "age",
                key: "age1old".into(),
            },
            KeyChange::Threshold { from: 1, to: 2 },
        ];
        assert_eq!(
            super::summary_in(&lines, false),
            "  Group 1: +age age1new\n  Group 1: -age age1old\n  shamir_threshold: 1 -> 2\n"
        );
        let colored = super::summary_in(&lines, true);
        assert!(colored.contains("\x1b[32mGroup 1: +age age1new\x1b[0m"));
        assert!(colored.contains("\x1b[31mGroup 1: -age age1old\x1b[0m"));
        assert!(colored.contains("  shamir_threshold: 1 -> 2\n"));
    }
}
