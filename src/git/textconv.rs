//! The diff driver: what `git diff`, `git log -p` and `git show` display for an
//! encrypted file.
//!
//! With a key: the plaintext, as `enseal decrypt` prints it, then who can decrypt the
//! file (so a recipient added or removed shows in the diff too). `lastmodified` and
//! `mac` are left out: they change on every write and say nothing to a reviewer.
//!
//! Without a key: the file's structure with every encrypted value shown as a short
//! fingerprint of its ciphertext (public anyway), so a diff still says which values
//! changed. Rendering never fails: a file that cannot be read at all is shown as is.
//!
//! git may keep textconv output in a cache (`diff.<driver>.cachetextconv`, stored as
//! notes in the repository): enseal's setup never turns that on, since the cache would
//! hold plaintext.

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::cipher::value::is_encrypted;
use crate::document::{Comment, Document, Entry, Scalar, Value};
use crate::file::{self, FileError};
use crate::format::{EmitOptions, Format};
use crate::keys::{KeyEnv, KeyKind};
use crate::metadata::Metadata;

/// The text git shows for `bytes` (the file named `name`).
pub fn render(bytes: &[u8], name: &Path, order: &[KeyKind], env: &KeyEnv) -> Vec<u8> {
    let format = Format::detect(name, None, bytes);
    if !file::is_encrypted(bytes, format) {
        return bytes.to_vec();
    }
    let Ok(mut loaded) = file::load(bytes, format) else {
        return bytes.to_vec();
    };
    let mut notes = Vec::new();
    let plain = match file::data_key(&loaded.metadata, order, env) {
        Ok(key) => {
            let opened = match file::decrypt_tree(&mut loaded, &key, false, None) {
                Err(FileError::Mac(_)) => {
                    notes.push(
                        "the MAC does not match: this version was changed outside enseal/sops"
                            .to_string(),
                    );
                    let mut again = file::load(bytes, format).ok();
                    let ok = again
                        .as_mut()
                        .is_some_and(|l| file::decrypt_tree(l, &key, true, None).is_ok());
                    match (ok, again) {
                        (true, Some(l)) => Some(l),
                        _ => None,
                    }
                }
                Ok(_) => Some(loaded),
                Err(_) => None,
            };
            match opened {
                Some(l) => file::emit(
                    format,
                    &l.doc,
                    None,
                    &EmitOptions::default(),
                    l.plaintext_layout(),
                )
                .ok()
                .map(|text| (text, l.metadata)),
                None => None,
            }
        }
        Err(_) => None,
    };
    let (mut out, metadata) = match plain {
        Some(found) => found,
        None => {
            let Ok(mut loaded) = file::load(bytes, format) else {
                return bytes.to_vec();
            };
            notes.push(
                "no key to decrypt this file here: encrypted values are shown as fingerprints \
                 of their ciphertexts (a changed fingerprint is a changed value)"
                    .to_string(),
            );
            mask(&mut loaded.doc);
            match file::emit(
                format,
                &loaded.doc,
                None,
                &EmitOptions::default(),
                loaded.layout.as_ref(),
            ) {
                Ok(text) => (text, loaded.metadata),
                Err(_) => return bytes.to_vec(),
            }
        }
    };
    if !out.ends_with(b"\n") && !out.is_empty() {
        out.push(b'\n');
    }
    let mut tail = String::new();
    for n in &notes {
        let _ = writeln!(tail, "# enseal: {n}");
    }
    tail.push_str(&access_lines(&metadata));
    let mut shown = Vec::with_capacity(out.len() + tail.len());
    // Notes first would shift every line of the diff: they go last, with the keys.
    shown.extend_from_slice(&out);
    shown.extend_from_slice(tail.as_bytes());
    shown
}

/// Who can decrypt the file, one line per key.
fn access_lines(m: &Metadata) -> String {
    let mut out = String::from("# enseal: who can decrypt this file (from its metadata)\n");
    for (i, group) in m.key_groups.iter().enumerate() {
        for (kind, id) in crate::rotate::key_ids(group) {
            let _ = writeln!(out, "#   group {}: {} {id}", i + 1, kind.name());
        }
    }
    if m.key_groups.len() > 1 {
        let needed = if m.shamir_threshold == 0 {
            m.key_groups.len()
        } else {
            m.shamir_threshold
        };
        let _ = writeln!(out, "#   {needed} of {} groups needed", m.key_groups.len());
    }
    out
}

/// Replaces every encrypted value and comment by a fingerprint of its ciphertext.
fn mask(doc: &mut Document) {
    for branch in &mut doc.branches {
        for entry in branch {
            match entry {
                Entry::Pair(_, v) => mask_value(v),
                Entry::Comment(c) => mask_comment(c),
            }
        }
    }
}

fn mask_value(v: &mut Value) {
    match v {
        Value::Map(m) => {
            for entry in m {
                match entry {
                    Entry::Pair(_, v) => mask_value(v),
                    Entry::Comment(c) => mask_comment(c),
                }
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(mask_value),
        Value::Scalar(Scalar::Str(s)) if is_encrypted(s) => {
            *s = format!("<encrypted {}>", fingerprint(s));
        }
        Value::Comment(c) => mask_comment(c),
        _ => {}
    }
}

fn mask_comment(c: &mut Comment) {
    let text = c.0.trim();
    if is_encrypted(text) {
        c.0 = format!(" <encrypted comment {}>", fingerprint(text));
    }
}

fn fingerprint(ciphertext: &str) -> String {
    let digest = Sha256::digest(ciphertext.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_and_comments_only() {
        let mut doc = Document {
            branches: vec![vec![
                Entry::Comment(Comment(
                    "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:comment]".into(),
                )),
                Entry::Pair(
                    "a".into(),
                    Value::Scalar(Scalar::Str(
                        "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]".into(),
                    )),
                ),
                Entry::Pair(
                    "b_unencrypted".into(),
                    Value::Scalar(Scalar::Str("clear".into())),
                ),
            ]],
        };
        mask(&mut doc);
        let Entry::Pair(_, Value::Scalar(Scalar::Str(a))) = &doc.branches[0][1] else {
            panic!()
        };
        assert!(a.starts_with("<encrypted ") && a.len() == "<encrypted 12345678>".len());
        let Entry::Comment(c) = &doc.branches[0][0] else {
            panic!()
        };
        assert!(c.0.contains("<encrypted comment "));
        let Entry::Pair(_, Value::Scalar(Scalar::Str(b))) = &doc.branches[0][2] else {
            panic!()
        };
        assert_eq!(b, "clear");
    }
}
