//! The format-neutral document tree every store parses into and emits from.
//!
//! It mirrors the sops tree: an ordered map of items where an item is either a
//! `key: value` pair or a comment, lists that may also hold comments, and typed
//! scalars. Keeping comments as items (rather than trivia) is what lets the
//! cipher encrypt them the way sops does (`#ENC[...,type:comment]`).

pub mod number;
pub mod path;

use std::fmt;

/// A whole file: one branch per YAML document; every other store has exactly one.
#[derive(Clone, PartialEq, Default)]
pub struct Document {
    /// The top-level maps, in file order.
    pub branches: Vec<Map>,
}

/// An ordered map. Duplicate keys are allowed (JSON and dotenv keep them, as sops does).
pub type Map = Vec<Entry>;

/// One item of a map.
#[derive(Clone, PartialEq)]
pub enum Entry {
    /// `key: value`.
    Pair(String, Value),
    /// A comment line, in document order among the pairs.
    Comment(Comment),
}

/// A value in the tree.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// An ordered map.
    Map(Map),
    /// A list. Its items may be [`Value::Comment`] (YAML comments inside lists).
    Seq(Vec<Value>),
    /// A typed scalar.
    Scalar(Scalar),
    /// A comment; only ever appears as a list item.
    Comment(Comment),
    /// `null` / `~` / empty value: never encrypted, never in the MAC.
    Null,
}

/// The text of a comment without its leading `#` (YAML/dotenv keep the following space).
#[derive(Clone, PartialEq, Eq)]
pub struct Comment(pub String);

/// A typed leaf value, with the types sops distinguishes.
#[derive(Clone, PartialEq)]
pub enum Scalar {
    /// UTF-8 text.
    Str(String),
    /// Bytes that are not valid UTF-8 (binary store, or a decrypted `str`/`bytes` value
    /// holding such bytes). Encrypted with type `str` like any string.
    Bytes(Vec<u8>),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float (every JSON number is one).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A timestamp, kept as its RFC 3339 text as sops writes it
    /// (`2024-01-02T00:00:00Z`, fractional seconds only when non-zero).
    Time(String),
}

// Decrypted values and comments live in these: wiped when dropped, wherever the tree
// goes (a copy made by growing a String is outside this reach).
impl Drop for Scalar {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl Scalar {
    /// Overwrites the value with zeros (strings and bytes end up empty).
    pub fn wipe(&mut self) {
        use zeroize::Zeroize;
        match self {
            Scalar::Str(s) | Scalar::Time(s) => s.zeroize(),
            Scalar::Bytes(b) => b.zeroize(),
            Scalar::Int(i) => i.zeroize(),
            Scalar::Float(f) => f.zeroize(),
            Scalar::Bool(b) => b.zeroize(),
        }
    }
}

impl Drop for Comment {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Scalar {
    /// The sops type tag written in `ENC[...,type:<tag>]`.
    pub fn type_tag(&self) -> &'static str {
        match self {
            Scalar::Str(_) | Scalar::Bytes(_) => "str",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Bool(_) => "bool",
            Scalar::Time(_) => "time",
        }
    }

    /// The bytes sops encrypts and feeds to the MAC, borrowed when the value is text.
    pub fn plaintext(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Scalar::Str(s) | Scalar::Time(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
            Scalar::Bytes(b) => std::borrow::Cow::Borrowed(b),
            other => std::borrow::Cow::Owned(other.to_plaintext()),
        }
    }

    /// The bytes sops encrypts and feeds to the MAC for this value (sops-format §2.3).
    pub fn to_plaintext(&self) -> Vec<u8> {
        match self {
            Scalar::Str(s) => s.as_bytes().to_vec(),
            Scalar::Bytes(b) => b.clone(),
            Scalar::Int(i) => i.to_string().into_bytes(),
            Scalar::Float(f) => number::format_plain(*f).into_bytes(),
            Scalar::Bool(true) => b"True".to_vec(),
            Scalar::Bool(false) => b"False".to_vec(),
            Scalar::Time(t) => t.as_bytes().to_vec(),
        }
    }

    /// The value as a string, if it is one (UTF-8 text only).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl Value {
    /// A string scalar.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Scalar(Scalar::Str(s.into()))
    }

    /// The string inside a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Scalar(s) => s.as_str(),
            _ => None,
        }
    }

    /// The entries of a map value.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Looks up the first pair with this key in a map value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| map_get(m, key))
    }
}

/// The value of the first pair named `key` in `map`.
pub fn map_get<'a>(map: &'a Map, key: &str) -> Option<&'a Value> {
    map.iter().find_map(|e| match e {
        Entry::Pair(k, v) if k == key => Some(v),
        _ => None,
    })
}

/// Removes every pair named `key` from `map`, returning the first one's value.
pub fn map_remove(map: &mut Map, key: &str) -> Option<Value> {
    let mut found = None;
    map.retain_mut(|e| match e {
        Entry::Pair(k, v) if k == key => {
            if found.is_none() {
                found = Some(std::mem::replace(v, Value::Null));
            }
            false
        }
        _ => true,
    });
    found
}

// Values may hold decrypted secrets: `Debug` shows the shape, never the text.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Map(m) => f.debug_list().entries(m.iter()).finish(),
            Value::Seq(s) => f.debug_list().entries(s.iter()).finish(),
            Value::Scalar(s) => s.fmt(f),
            Value::Comment(_) => f.write_str("Comment(..)"),
            Value::Null => f.write_str("Null"),
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Pair(k, v) => write!(f, "{k:?}: {v:?}"),
            Entry::Comment(_) => f.write_str("Comment(..)"),
        }
    }
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(<redacted>)", self.type_tag())
    }
}

impl fmt::Debug for Comment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Comment(<redacted>)")
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("branches", &self.branches)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_values() {
        let v = Value::Map(vec![
            Entry::Pair("password".into(), Value::str("hunter2")),
            Entry::Comment(Comment("secret note".into())),
        ]);
        let shown = format!("{v:?}");
        assert!(shown.contains("password"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("secret note"));
    }

    #[test]
    fn wiping_clears_every_kind_of_value() {
        let mut all = [
            Scalar::Str("hunter2".into()),
            Scalar::Bytes(vec![1, 2, 3]),
            Scalar::Time("2026-01-01T00:00:00Z".into()),
            Scalar::Int(7),
            Scalar::Float(1.5),
            Scalar::Bool(true),
        ];
        for s in &mut all {
            s.wipe();
        }
        assert_eq!(all[0].as_str(), Some(""));
        assert!(matches!(&all[1], Scalar::Bytes(b) if b.is_empty()));
        assert!(matches!(&all[2], Scalar::Time(t) if t.is_empty()));
        assert!(matches!(all[3], Scalar::Int(0)));
        assert!(matches!(all[4], Scalar::Float(f) if f == 0.0));
        assert!(matches!(all[5], Scalar::Bool(false)));
    }

    #[test]
    fn plaintext_serialisation_matches_sops() {
        assert_eq!(Scalar::Bool(true).to_plaintext(), b"True");
        assert_eq!(Scalar::Bool(false).to_plaintext(), b"False");
        assert_eq!(Scalar::Int(-7).to_plaintext(), b"-7");
        assert_eq!(Scalar::Float(1e10).to_plaintext(), b"10000000000");
        assert_eq!(Scalar::Float(1.0).to_plaintext(), b"1");
    }

    #[test]
    fn map_remove_takes_all_duplicates() {
        let mut m = vec![
            Entry::Pair("a".into(), Value::str("1")),
            Entry::Pair("sops".into(), Value::str("x")),
            Entry::Pair("sops".into(), Value::str("y")),
        ];
        assert_eq!(map_remove(&mut m, "sops"), Some(Value::str("x")));
        assert_eq!(m.len(), 1);
    }
}
