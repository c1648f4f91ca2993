//! The merge driver: three versions of an encrypted file merged key by key.
//!
//! git calls `enseal git merge %O %A %B %P` with the base, ours (where the result goes)
//! and theirs. All three are decrypted in memory (plaintext never reaches a file), the
//! trees are merged ([`tree`]), and the result is encrypted under one side's data key:
//!
//! - **Keys**: a side that changed who can decrypt the file (a rotation, a recipient
//!   added or removed) while the other did not wins, data key and all, so a merge
//!   never undoes a revocation. Both sides changing the recipients differently is a
//!   conflict. Otherwise ours.
//! - **Ciphertexts**: values that did not change keep their ciphertexts, and values
//!   taken from theirs keep theirs' when both sides share the data key, so the merged
//!   file differs from each side only where the other side changed something.
//! - **Layout**: ours' when the merged tree has its shape, else theirs', else sops'
//!   layout written afresh.
//!
//! A value changed differently on both sides keeps ours' version; its key path is
//! reported and the driver exits 1, so git marks the file as conflicted.

pub mod tree;

use crate::cipher::value::Stash;
use crate::cipher::DataKey;
use crate::document::path::KeyPath;
use crate::document::Document;
use crate::file::{self, FileError, Loaded};
use crate::format::{EmitOptions, Format};
use crate::keys::{KeyEnv, KeyKind};
use crate::metadata::Metadata;
use crate::rotate::{key_ids, KeyId};

/// Why the files could not be merged at all (git is then told there is a conflict and
/// ours stays as it is).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// One side is encrypted and the other is not.
    #[error(
        "{0} is not encrypted while the other side is: resolve by hand (and keep it encrypted)"
    )]
    Mixed(&'static str),
    /// A version could not be opened.
    #[error("cannot open {side}: {source}")]
    Open {
        /// base, ours or theirs.
        side: &'static str,
        /// Why.
        source: FileError,
    },
    /// The merged tree could not be encrypted.
    #[error("cannot encrypt the merged file: {0}")]
    Seal(FileError),
}

/// What the merge produced.
#[derive(Debug)]
pub enum Outcome {
    /// No version is encrypted: the file is for git's own text merge.
    NotEncrypted,
    /// The merged, encrypted file (with ours' value where `conflicts` says).
    Merged {
        /// The file's bytes.
        output: Vec<u8>,
        /// Where both sides changed the same value differently (`(keys)`-free paths).
        conflicts: Vec<KeyPath>,
        /// Both sides changed the recipients differently: ours' are kept.
        keys_conflict: bool,
    },
}

/// The three versions (base empty when the file was added on both sides).
pub struct Versions<'a> {
    /// The common ancestor's bytes.
    pub base: &'a [u8],
    /// Ours.
    pub ours: &'a [u8],
    /// Theirs.
    pub theirs: &'a [u8],
}

/// One decrypted version.
struct Opened {
    loaded: Loaded,
    key: DataKey,
    stash: Stash,
    plain: Document,
}

/// Merges three versions of a file of `format`.
pub fn merge(
    v: &Versions<'_>,
    format: Format,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Result<Outcome, MergeError> {
    let encrypted = |b: &[u8]| !b.is_empty() && file::is_encrypted(b, format);
    let (o, t) = (encrypted(v.ours), encrypted(v.theirs));
    match (o, t) {
        (false, false) if !encrypted(v.base) => return Ok(Outcome::NotEncrypted),
        (false, _) => return Err(MergeError::Mixed("ours")),
        (_, false) => return Err(MergeError::Mixed("theirs")),
        (true, true) => {}
    }
    let mut keys: Vec<(Vec<crate::keys::KeyGroup>, DataKey)> = Vec::new();
    let mut open = |bytes: &[u8], side: &'static str| -> Result<Opened, MergeError> {
        let err = |source| MergeError::Open { side, source };
        let mut loaded = file::load(bytes, format).map_err(err)?;
        // Sides that share the wrapped key share the data key: unwrap it once.
        let key = match keys.iter().find(|(g, _)| *g == loaded.metadata.key_groups) {
            Some((_, k)) => k.clone(),
            None => {
                let k = file::data_key(&loaded.metadata, order, env).map_err(err)?;
                keys.push((loaded.metadata.key_groups.clone(), k.clone()));
                k
            }
        };
        let mut stash = Stash::default();
        file::decrypt_tree(&mut loaded, &key, false, Some(&mut stash)).map_err(err)?;
        let plain = loaded.doc.clone();
        Ok(Opened {
            loaded,
            key,
            stash,
            plain,
        })
    };
    let ours = open(v.ours, "ours")?;
    let theirs = open(v.theirs, "theirs")?;
    let base = if encrypted(v.base) {
        Some(open(v.base, "the base")?)
    } else {
        None
    };
    let empty = Document::default();
    let merged = tree::merge(
        base.as_ref().map_or(&empty, |b| &b.plain),
        &ours.plain,
        &theirs.plain,
    );

    // Whose keys the result is encrypted under.
    let access = |o: &Opened| Access::of(&o.loaded.metadata, &o.key);
    let (a_ours, a_theirs) = (access(&ours), access(&theirs));
    let a_base = base.as_ref().map(access);
    let take_theirs = a_ours != a_theirs && a_base.as_ref() == Some(&a_ours);
    let keys_conflict = a_ours.ids != a_theirs.ids
        && a_base
            .as_ref()
            .is_none_or(|b| *b != a_ours && *b != a_theirs);
    let (keeper, other) = if take_theirs {
        (theirs, ours)
    } else {
        (ours, theirs)
    };
    let mut stash = keeper.stash;
    if keeper.key.as_bytes() == other.key.as_bytes() {
        stash.absorb(other.stash);
    }
    // The layout: the keeper's when the merged tree fits it, else the other side's.
    let layout = [&keeper.loaded, &other.loaded]
        .into_iter()
        .find(|l| l.layout.as_ref().is_some_and(|lay| lay.fits(&merged.doc)));
    let mut metadata = keeper.loaded.metadata.clone();
    if let Some(source) = layout {
        metadata.layout_kept = source.metadata.layout_kept;
    }
    let result = Loaded {
        doc: merged.doc,
        metadata,
        layout: layout.and_then(|l| l.layout.clone()),
        frame: None,
    };
    let output = file::reencrypt(result, &keeper.key, &stash, format, &EmitOptions::default())
        .map_err(MergeError::Seal)?;
    Ok(Outcome::Merged {
        output,
        conflicts: merged.conflicts,
        keys_conflict,
    })
}

/// Who can decrypt a version: its recipients, threshold and data key.
#[derive(PartialEq)]
struct Access {
    ids: (Vec<Vec<KeyId>>, usize),
    key: [u8; 32],
}

impl Access {
    fn of(m: &Metadata, key: &DataKey) -> Access {
        let groups = m
            .key_groups
            .iter()
            .map(|g| {
                let mut ids = key_ids(g);
                ids.sort();
                ids
            })
            .collect();
        Access {
            ids: (groups, m.shamir_threshold),
            key: *key.as_bytes(),
        }
    }
}

impl Drop for Access {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}
