//! The walk that encrypts or decrypts every selected leaf of a document and
//! computes the MAC on the way (sops-format §2.4, §3, §5).
//!
//! The walk order, the AAD (map keys joined by `:` plus a trailing `:`, lists add
//! nothing, comments use their container's path) and the MAC rules follow sops
//! exactly, including its quirk for lists: an encrypted comment inside a list
//! becomes a plain string item, which turns back into a comment (outside the MAC)
//! when it decrypts to `type:comment`.

use sha2::{Digest, Sha512};

use super::mac;
use super::select::Selection;
use super::value::{Cipher, Plain, Stash, ValueError};
use crate::document::path::{KeyPath, Step};
use crate::document::{Comment, Document, Entry, Map, Scalar, Value};

/// Why a tree could not be encrypted or decrypted. Names the key path, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// One value failed to decrypt.
    #[error("{path}: {source}")]
    Value {
        /// Where.
        path: KeyPath,
        /// Why.
        source: ValueError,
    },
    /// A value that should be encrypted is not a string (someone wrote plaintext into the file).
    #[error("{path}: expected an encrypted value but found a plain {kind}; was the file edited by hand?")]
    NotEncrypted {
        /// Where.
        path: KeyPath,
        /// The type found.
        kind: &'static str,
    },
    /// A map value decrypted to a comment.
    #[error("{path}: a map value decrypted to a comment")]
    CommentValue {
        /// Where.
        path: KeyPath,
    },
    /// An encrypted comment that does not decrypt: it was changed.
    #[error("an encrypted comment near {path} does not decrypt ({source}): the file was changed outside sops/enseal")]
    Comment {
        /// The key path it is under or before.
        path: KeyPath,
        /// Why.
        source: ValueError,
    },
    /// An encrypted comment would match `unencrypted_comment_regex` and so never decrypt.
    #[error("{path}: an encrypted comment matches unencrypted_comment_regex; choose a regex that cannot match ENC[...] text")]
    CommentMatchesRegex {
        /// Where.
        path: KeyPath,
    },
}

/// Whether a comment was written encrypted: one changed byte cannot take away every
/// mark of an `ENC[...]` value.
fn looks_encrypted(comment: &str) -> bool {
    let c = comment.trim();
    c.starts_with("ENC[")
        || c.contains("AES256_GCM")
        || c.contains("type:comment")
        || (c.contains("data:") && c.contains("iv:") && c.contains("tag:"))
}

/// What a decryption walk found besides the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptReport {
    /// The MAC computed over the decrypted values (upper-case hex).
    pub mac: String,
    /// Comments that did not decrypt and were kept as they are (files from sops < 3.6).
    pub clear_comments: usize,
}

/// Encrypts the selected leaves of `doc` in place and returns the MAC over the plaintext.
/// With a `stash`, unchanged values re-use their previous IV.
pub fn encrypt(
    doc: &mut Document,
    cipher: &Cipher,
    selection: &Selection,
    mac_only_encrypted: bool,
    stash: Option<&Stash>,
) -> Result<String, TreeError> {
    let mut walker = Walker::new(cipher, selection, mac_only_encrypted);
    let mut op = Encrypt { stash };
    for branch in &mut doc.branches {
        walker.map(&mut op, branch, None, false)?;
    }
    Ok(mac::finish(walker.hasher))
}

/// Decrypts the selected leaves of `doc` in place and returns the MAC over the result.
/// With a `stash`, every IV is remembered for a later re-encryption.
pub fn decrypt(
    doc: &mut Document,
    cipher: &Cipher,
    selection: &Selection,
    mac_only_encrypted: bool,
    stash: Option<&mut Stash>,
) -> Result<DecryptReport, TreeError> {
    let mut walker = Walker::new(cipher, selection, mac_only_encrypted);
    let mut op = Decrypt {
        stash,
        clear_comments: 0,
    };
    for branch in &mut doc.branches {
        walker.map(&mut op, branch, None, false)?;
    }
    Ok(DecryptReport {
        mac: mac::finish(walker.hasher),
        clear_comments: op.clear_comments,
    })
}

/// What is wrong with a value of an encrypted file, as seen without its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flaw {
    /// The value should be encrypted (by the file's selector) but is in clear: the file
    /// was partly decrypted, or a value was added by hand.
    Clear,
    /// The `ENC[...]` value is malformed.
    Malformed(ValueError),
}

/// Checks an encrypted file's values without its key: every value the file's
/// selector encrypts must be a well-formed `ENC[...]` string.
pub fn inspect(
    doc: &mut Document,
    selection: &Selection,
    mac_only_encrypted: bool,
) -> Vec<(KeyPath, Flaw)> {
    // The walk never encrypts or decrypts here: a throwaway key only builds it.
    let unused = Cipher::new(&super::DataKey::generate());
    let mut walker = Walker::new(&unused, selection, mac_only_encrypted);
    let mut op = Inspect { found: Vec::new() };
    for branch in &mut doc.branches {
        // Inspect never fails: it collects.
        let _ = walker.map(&mut op, branch, None, false);
    }
    op.found
}

struct Inspect {
    found: Vec<(KeyPath, Flaw)>,
}

impl Op for Inspect {
    fn scalar(
        &mut self,
        _w: &mut Walker<'_>,
        value: &mut Value,
        _slot: Slot,
        encrypted: bool,
        path: Option<&PathNode<'_>>,
    ) -> Result<(), TreeError> {
        if !encrypted {
            return Ok(());
        }
        let flaw = match value {
            // An empty value stays empty when encrypted (as in sops).
            Value::Scalar(Scalar::Str(text)) if text.is_empty() => None,
            Value::Scalar(Scalar::Str(text)) => match super::value::check_format(text) {
                Ok(()) => None,
                Err(ValueError::NotEncrypted) => Some(Flaw::Clear),
                Err(e) => Some(Flaw::Malformed(e)),
            },
            _ => Some(Flaw::Clear),
        };
        if let Some(flaw) = flaw {
            self.found.push((key_path(path), flaw));
        }
        Ok(())
    }

    fn comment(
        &mut self,
        _w: &mut Walker<'_>,
        _comment: &mut Comment,
        _slot: Slot,
        _encrypted: bool,
        _path: Option<&PathNode<'_>>,
    ) -> Result<Option<Value>, TreeError> {
        // Comments in clear are common in older sops files (and not secrets by design).
        Ok(None)
    }
}

/// A path kept on the stack as the walk descends, turned into a [`KeyPath`] only on error.
struct PathNode<'a> {
    parent: Option<&'a PathNode<'a>>,
    step: StepRef<'a>,
}

enum StepRef<'a> {
    Key(&'a str),
    Index(usize),
}

fn key_path(node: Option<&PathNode<'_>>) -> KeyPath {
    let mut steps = Vec::new();
    let mut cur = node;
    while let Some(n) = cur {
        steps.push(match n.step {
            StepRef::Key(k) => Step::Key(k.to_string()),
            StepRef::Index(i) => Step::Index(i),
        });
        cur = n.parent;
    }
    steps.reverse();
    KeyPath(steps)
}

/// Where a leaf sits, which decides what an encrypted comment turns into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    MapValue,
    SeqItem,
}

/// The per-leaf work of one direction.
trait Op {
    /// A scalar leaf (or list item string). Returns bytes for the MAC.
    fn scalar(
        &mut self,
        w: &mut Walker<'_>,
        value: &mut Value,
        slot: Slot,
        encrypted: bool,
        path: Option<&PathNode<'_>>,
    ) -> Result<(), TreeError>;

    /// A comment leaf. Returns its replacement, if any.
    fn comment(
        &mut self,
        w: &mut Walker<'_>,
        comment: &mut Comment,
        slot: Slot,
        encrypted: bool,
        path: Option<&PathNode<'_>>,
    ) -> Result<Option<Value>, TreeError>;
}

struct Walker<'c> {
    cipher: &'c Cipher,
    selection: &'c Selection,
    mac_only: bool,
    hasher: Sha512,
    /// The AAD of the current container: keys joined by `:` with a trailing `:`.
    aad: String,
    /// Pending comments per nesting level (only kept when a comment selector is used).
    comments: Vec<Vec<String>>,
    track_comments: bool,
}

impl<'c> Walker<'c> {
    fn new(cipher: &'c Cipher, selection: &'c Selection, mac_only: bool) -> Walker<'c> {
        Walker {
            cipher,
            selection,
            mac_only,
            hasher: mac::hasher(mac_only),
            aad: String::with_capacity(128),
            comments: Vec::new(),
            track_comments: selection.uses_comments(),
        }
    }

    /// The AAD for a leaf in the current container (`:` at the top level).
    fn aad(&self) -> &str {
        if self.aad.is_empty() {
            ":"
        } else {
            &self.aad
        }
    }

    fn decide(&self, path_matches: bool, is_comment: bool) -> bool {
        self.selection
            .should_encrypt(path_matches, &self.comments, is_comment)
    }

    fn feed_mac(&mut self, encrypted: bool, bytes: &[u8]) {
        if !self.mac_only || encrypted {
            self.hasher.update(bytes);
        }
    }

    fn push_level(&mut self) {
        if self.track_comments {
            self.comments.push(Vec::new());
        }
    }

    fn pop_level(&mut self) {
        if self.track_comments {
            self.comments.pop();
        }
    }

    fn note_comment(&mut self, text: &str) {
        if let Some(level) = self.comments.last_mut().filter(|_| self.track_comments) {
            level.push(text.to_string());
        }
    }

    fn clear_comments(&mut self) {
        if let Some(level) = self.comments.last_mut().filter(|_| self.track_comments) {
            level.clear();
        }
    }

    fn map<O: Op>(
        &mut self,
        op: &mut O,
        map: &mut Map,
        path: Option<&PathNode<'_>>,
        path_matches: bool,
    ) -> Result<(), TreeError> {
        self.push_level();
        for entry in map.iter_mut() {
            match entry {
                Entry::Comment(c) => {
                    self.note_comment(&c.0);
                    let encrypted = self.decide(path_matches, true);
                    if let Some(Value::Comment(new)) =
                        op.comment(self, c, Slot::MapValue, encrypted, path)?
                    {
                        *c = new;
                    }
                }
                Entry::Pair(key, value) => {
                    let len = self.aad.len();
                    self.aad.push_str(key);
                    self.aad.push(':');
                    let matches = path_matches || self.selection.key_matches(key);
                    let node = PathNode {
                        parent: path,
                        step: StepRef::Key(key),
                    };
                    self.value(op, value, Slot::MapValue, Some(&node), matches)?;
                    self.aad.truncate(len);
                    self.clear_comments();
                }
            }
        }
        self.pop_level();
        Ok(())
    }

    fn value<O: Op>(
        &mut self,
        op: &mut O,
        value: &mut Value,
        slot: Slot,
        path: Option<&PathNode<'_>>,
        path_matches: bool,
    ) -> Result<(), TreeError> {
        match value {
            Value::Map(m) => self.map(op, m, path, path_matches),
            Value::Seq(items) => {
                self.push_level();
                for (i, item) in items.iter_mut().enumerate() {
                    let node = PathNode {
                        parent: path,
                        step: StepRef::Index(i),
                    };
                    if let Value::Comment(c) = item {
                        self.note_comment(&c.0);
                        let encrypted = self.decide(path_matches, true);
                        if let Some(new) =
                            op.comment(self, c, Slot::SeqItem, encrypted, Some(&node))?
                        {
                            *item = new;
                        }
                    } else {
                        self.value(op, item, Slot::SeqItem, Some(&node), path_matches)?;
                        self.clear_comments();
                    }
                }
                self.pop_level();
                Ok(())
            }
            Value::Null => Ok(()),
            Value::Scalar(_) => {
                let encrypted = self.decide(path_matches, false);
                op.scalar(self, value, slot, encrypted, path)
            }
            // A comment as a map value cannot come from a store; treat it like a list comment.
            Value::Comment(c) => {
                let encrypted = self.decide(path_matches, true);
                if let Some(new) = op.comment(self, c, Slot::SeqItem, encrypted, path)? {
                    *value = new;
                }
                Ok(())
            }
        }
    }
}

struct Encrypt<'s> {
    stash: Option<&'s Stash>,
}

impl Op for Encrypt<'_> {
    fn scalar(
        &mut self,
        w: &mut Walker<'_>,
        value: &mut Value,
        _slot: Slot,
        encrypted: bool,
        _path: Option<&PathNode<'_>>,
    ) -> Result<(), TreeError> {
        let Value::Scalar(scalar) = value else {
            return Ok(());
        };
        let plain = scalar.plaintext();
        w.feed_mac(encrypted, &plain);
        if encrypted {
            let text = if plain.is_empty() {
                String::new()
            } else {
                w.cipher
                    .encrypt(&plain, w.aad(), scalar.type_tag(), self.stash)
            };
            *value = Value::str(text);
        }
        Ok(())
    }

    fn comment(
        &mut self,
        w: &mut Walker<'_>,
        comment: &mut Comment,
        slot: Slot,
        encrypted: bool,
        path: Option<&PathNode<'_>>,
    ) -> Result<Option<Value>, TreeError> {
        if !encrypted {
            return Ok(None);
        }
        let text = if comment.0.is_empty() {
            String::new()
        } else {
            w.cipher
                .encrypt(comment.0.as_bytes(), w.aad(), "comment", self.stash)
        };
        if let Some(re) = w.selection.unencrypted_comment_regex() {
            if re.is_match(&text) {
                return Err(TreeError::CommentMatchesRegex {
                    path: key_path(path),
                });
            }
        }
        // In a map the result stays a comment line (`#ENC[...]`); in a list sops turns it
        // into a plain string item (`- ENC[...]`).
        Ok(Some(match slot {
            Slot::MapValue => Value::Comment(Comment(text)),
            Slot::SeqItem => Value::str(text),
        }))
    }
}

struct Decrypt<'s> {
    stash: Option<&'s mut Stash>,
    clear_comments: usize,
}

impl Op for Decrypt<'_> {
    fn scalar(
        &mut self,
        w: &mut Walker<'_>,
        value: &mut Value,
        slot: Slot,
        encrypted: bool,
        path: Option<&PathNode<'_>>,
    ) -> Result<(), TreeError> {
        let Value::Scalar(scalar) = value else {
            return Ok(());
        };
        if !encrypted {
            w.feed_mac(false, &scalar.plaintext());
            return Ok(());
        }
        let Scalar::Str(text) = scalar else {
            return Err(TreeError::NotEncrypted {
                path: key_path(path),
                kind: scalar.type_tag(),
            });
        };
        let plain = w
            .cipher
            .decrypt(text, w.aad(), self.stash.as_deref_mut())
            .map_err(|source| TreeError::Value {
                path: key_path(path),
                source,
            })?;
        *value = match plain {
            Plain::Scalar(s) => {
                w.feed_mac(true, &s.plaintext());
                Value::Scalar(s)
            }
            // An encrypted list comment is stored as a string item; comments stay out of the MAC.
            Plain::Comment(c) if slot == Slot::SeqItem => Value::Comment(c),
            Plain::Comment(_) => {
                return Err(TreeError::CommentValue {
                    path: key_path(path),
                })
            }
        };
        Ok(())
    }

    fn comment(
        &mut self,
        w: &mut Walker<'_>,
        comment: &mut Comment,
        _slot: Slot,
        encrypted: bool,
        _path: Option<&PathNode<'_>>,
    ) -> Result<Option<Value>, TreeError> {
        if !encrypted || comment.0.is_empty() {
            return Ok(None);
        }
        match w
            .cipher
            .decrypt(&comment.0, w.aad(), self.stash.as_deref_mut())
        {
            Ok(Plain::Comment(c)) => Ok(Some(Value::Comment(c))),
            Ok(Plain::Scalar(Scalar::Str(ref mut s))) => {
                Ok(Some(Value::Comment(Comment(std::mem::take(s)))))
            }
            // A comment that was encrypted and no longer decrypts was changed: sops
            // keeps it as text (comments are outside its MAC), which would let a changed
            // ciphertext through. enseal refuses it.
            Err(source) if looks_encrypted(&comment.0) => Err(TreeError::Comment {
                path: key_path(_path),
                source,
            }),
            // Comments written in clear by sops < 3.6 (or by hand) stay as they are.
            Ok(_) | Err(_) => {
                self.clear_comments += 1;
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::data_key::DataKey;
    use crate::cipher::select::Selector;

    fn doc() -> Document {
        Document {
            branches: vec![vec![
                Entry::Comment(Comment(" top".into())),
                Entry::Pair("a".into(), Value::str("x")),
                Entry::Pair("n".into(), Value::Scalar(Scalar::Int(5))),
                Entry::Pair("e".into(), Value::str("")),
                Entry::Pair("z".into(), Value::Null),
                Entry::Pair(
                    "l".into(),
                    Value::Seq(vec![
                        Value::Comment(Comment(" in list".into())),
                        Value::Scalar(Scalar::Bool(true)),
                        Value::Map(vec![Entry::Pair("k".into(), Value::str("v"))]),
                    ]),
                ),
                Entry::Pair("p_unencrypted".into(), Value::str("clear")),
            ]],
        }
    }

    #[test]
    fn round_trip_with_matching_mac() {
        let c = Cipher::new(&DataKey::generate());
        let sel = Selection::new(&Selector::default()).unwrap();
        let mut d = doc();
        let mac_enc = encrypt(&mut d, &c, &sel, false, None).unwrap();
        let m = &d.branches[0];
        assert!(matches!(&m[0], Entry::Comment(Comment(t)) if t.starts_with("ENC[")));
        assert!(matches!(&m[1], Entry::Pair(_, v) if v.as_str().unwrap().contains("type:str")));
        assert!(matches!(&m[2], Entry::Pair(_, v) if v.as_str().unwrap().contains("type:int")));
        assert!(matches!(&m[3], Entry::Pair(_, v) if v.as_str() == Some("")));
        assert!(matches!(&m[4], Entry::Pair(_, Value::Null)));
        // The list comment became a string item.
        assert!(
            matches!(&m[5], Entry::Pair(_, Value::Seq(items)) if items[0].as_str().unwrap().contains("type:comment"))
        );
        assert!(matches!(&m[6], Entry::Pair(_, v) if v.as_str() == Some("clear")));

        let report = decrypt(&mut d, &c, &sel, false, None).unwrap();
        assert_eq!(report.clear_comments, 0);
        assert_eq!(d, doc());
        assert_eq!(report.mac, mac_enc);
    }

    #[test]
    fn values_are_bound_to_their_path() {
        let c = Cipher::new(&DataKey::generate());
        let sel = Selection::new(&Selector::default()).unwrap();
        let mut d = doc();
        encrypt(&mut d, &c, &sel, false, None).unwrap();
        // Swap the values of `a` and `n`.
        let m = &mut d.branches[0];
        let (Entry::Pair(_, a), Entry::Pair(_, n)) = (m[1].clone(), m[2].clone()) else {
            unreachable!()
        };
        m[1] = Entry::Pair("a".into(), n);
        m[2] = Entry::Pair("n".into(), a);
        let err = decrypt(&mut d, &c, &sel, false, None).unwrap_err();
        assert!(matches!(
            err,
            TreeError::Value {
                source: ValueError::Auth,
                ..
            }
        ));
        assert_eq!(err.to_string().split(':').next(), Some("a"));
    }

    #[test]
    fn plain_value_in_encrypted_file_is_an_error() {
        let c = Cipher::new(&DataKey::generate());
        let sel = Selection::new(&Selector::default()).unwrap();
        let mut d = Document {
            branches: vec![vec![Entry::Pair(
                "b".into(),
                Value::Map(vec![Entry::Pair("c".into(), Value::Scalar(Scalar::Int(5)))]),
            )]],
        };
        let err = decrypt(&mut d, &c, &sel, false, None).unwrap_err();
        assert_eq!(
            err,
            TreeError::NotEncrypted {
                path: KeyPath(vec![Step::Key("b".into()), Step::Key("c".into())]),
                kind: "int"
            }
        );
    }

    #[test]
    fn mac_only_encrypted_skips_clear_values() {
        let c = Cipher::new(&DataKey::generate());
        let sel = Selection::new(&Selector::default()).unwrap();
        let mut a = doc();
        let mut b = doc();
        if let Entry::Pair(_, v) = &mut b.branches[0][6] {
            *v = Value::str("changed");
        }
        let mac_a = encrypt(&mut a, &c, &sel, true, None).unwrap();
        let mac_b = encrypt(&mut b, &c, &sel, true, None).unwrap();
        assert_eq!(mac_a, mac_b);
    }
}
