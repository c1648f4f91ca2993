//! How values were spelled in a plaintext, kept encrypted in the metadata so that
//! decryption can give back the author's bytes.
//!
//! An encrypted value holds only what sops encrypts: a number's value, a string's
//! text. `1.0`, `0x1F`, a `>` folded paragraph and a string with `\u00e9` escapes come
//! back from that as `1`, `31`, one long line and `é`. When a value's canonical
//! spelling differs from its source, the source text is recorded here, with the value
//! it spelled. The list is encrypted with the file's data key (sops ignores the
//! `enseal_spelling` field), and a recorded spelling is used only while the decrypted
//! value is still the one it spelled.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::cipher::value::Plain;
use crate::cipher::Cipher;
use crate::document::{Entry, Scalar, Value};
use crate::format::{json, Mode};

/// The additional data the record is encrypted with (no key path can collide: key
/// paths end with `:`).
const AAD: &str = "enseal_spelling";

/// One value whose source spelling is not its canonical one.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Spelling {
    /// The slot (leaf index in tree-walk order).
    pub slot: usize,
    /// The value's sops type tag (`str`, `int`, ...).
    pub kind: String,
    /// The value's plaintext as sops encrypts it.
    pub value: String,
    /// The source text of the value.
    pub source: String,
}

// Spellings are plaintext: show only the slot.
impl std::fmt::Debug for Spelling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spelling(slot {})", self.slot)
    }
}

impl Spelling {
    /// A record for `leaf` spelled `source` (text values only: bytes are never spelled).
    pub fn new(slot: usize, leaf: &Scalar, source: &str) -> Option<Spelling> {
        let value = String::from_utf8(leaf.to_plaintext()).ok()?;
        Some(Spelling {
            slot,
            kind: leaf.type_tag().to_string(),
            value,
            source: source.to_string(),
        })
    }

    /// Whether this spells `leaf`.
    pub fn spells(&self, leaf: &Scalar) -> bool {
        leaf.type_tag() == self.kind && *leaf.plaintext() == *self.value.as_bytes()
    }
}

/// The spelling of slot `slot`, if recorded (`list` is sorted by slot).
pub fn find(list: &[Spelling], slot: usize) -> Option<&Spelling> {
    list.binary_search_by_key(&slot, |s| s.slot)
        .ok()
        .map(|i| &list[i])
}

/// Encrypts a list into an `ENC[...]` string for the metadata.
pub fn seal(list: &[Spelling], cipher: &Cipher) -> String {
    let items = list
        .iter()
        .map(|s| {
            Value::Seq(vec![
                Value::Scalar(Scalar::Int(s.slot as i64)),
                Value::str(s.kind.clone()),
                Value::str(s.value.clone()),
                Value::str(s.source.clone()),
            ])
        })
        .collect();
    let doc = Value::Map(vec![Entry::Pair("v".into(), Value::Seq(items))]);
    let text =
        zeroize::Zeroizing::new(json::emit_value(&doc, &Default::default()).unwrap_or_default());
    cipher.encrypt(&text, AAD, "str", None)
}

/// Decrypts a list written by [`seal`]; `None` when it does not decrypt or parse (the
/// file then decrypts in canonical spellings).
pub fn open(sealed: &str, cipher: &Cipher) -> Option<Vec<Spelling>> {
    // The decrypted scalar wipes itself when dropped.
    let Ok(Plain::Scalar(Scalar::Str(ref text))) = cipher.decrypt(sealed, AAD, None) else {
        return None;
    };
    let parsed = json::parse(text.as_bytes(), Mode::Plain).ok()?;
    let items = match parsed.doc.branches.first()?.first()? {
        Entry::Pair(k, Value::Seq(items)) if k == "v" => items,
        _ => return None,
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Seq(fields) = item else {
            return None;
        };
        let [Value::Scalar(slot), Value::Scalar(Scalar::Str(kind)), Value::Scalar(Scalar::Str(value)), Value::Scalar(Scalar::Str(source))] =
            fields.as_slice()
        else {
            return None;
        };
        let slot = match slot {
            Scalar::Float(f) if *f >= 0.0 && f.fract() == 0.0 => *f as usize,
            Scalar::Int(i) if *i >= 0 => *i as usize,
            _ => return None,
        };
        out.push(Spelling {
            slot,
            kind: kind.clone(),
            value: value.clone(),
            source: source.clone(),
        });
    }
    out.sort_by_key(|s| s.slot);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::DataKey;

    #[test]
    fn a_sealed_list_opens_with_the_same_key_only() {
        let cipher = Cipher::new(&DataKey::generate());
        let list = vec![
            Spelling::new(3, &Scalar::Float(1.0), "1.0").unwrap(),
            Spelling::new(7, &Scalar::Str("a b\n".into()), ">\n  a\n  b\n").unwrap(),
        ];
        let sealed = seal(&list, &cipher);
        assert!(sealed.starts_with("ENC[AES256_GCM,data:"));
        assert_eq!(open(&sealed, &cipher), Some(list.clone()));
        assert_eq!(open(&sealed, &Cipher::new(&DataKey::generate())), None);
        assert!(list[0].spells(&Scalar::Float(1.0)));
        assert!(!list[0].spells(&Scalar::Float(2.0)));
        assert!(!list[0].spells(&Scalar::Int(1)));
        assert_eq!(find(&list, 7).map(|s| s.slot), Some(7));
        assert!(find(&list, 4).is_none());
        assert!(!format!("{list:?}").contains("1.0"));
    }
}
