//! The values a template works with: a decrypted tree's values, plus "missing",
//! which stays a value until something needs it (so `| default` can replace it)
//! and then becomes an error naming the key path.

use std::fmt;
use std::rc::Rc;

use zeroize::Zeroizing;

use super::ast::Pos;
use crate::document::{self, number, Entry, Scalar};

/// A template value. Text is zeroized when dropped.
#[derive(Clone, PartialEq)]
pub enum Val {
    /// Something looked up that is not there, and where in the template it was
    /// looked up (set once known).
    Missing(Missing, Pos),
    /// `null` / an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A decimal.
    Float(f64),
    /// UTF-8 text.
    Str(Zeroizing<String>),
    /// Bytes that are not UTF-8 (binary files, `base64decode`).
    Bytes(Zeroizing<Vec<u8>>),
    /// A list.
    List(Vec<Val>),
    /// A map, in file order.
    Map(Vec<(String, Val)>),
}

// Values are secrets: Debug shows the kind only.
impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Missing(m, _) => write!(f, "Missing({m:?})"),
            other => f.write_str(other.kind()),
        }
    }
}

/// What a missing value was looked up as.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// A key path in a secrets file.
    Key {
        /// The file.
        file: String,
        /// The path.
        path: String,
    },
    /// An environment variable.
    Env(String),
    /// `.x` with no default file.
    NoDefault(String),
}

impl Val {
    /// Text.
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(Zeroizing::new(s.into()))
    }

    /// The kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Missing(..) => "a missing value",
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Int(_) | Val::Float(_) => "a number",
            Val::Str(_) => "a string",
            Val::Bytes(_) => "binary data",
            Val::List(_) => "a list",
            Val::Map(_) => "a map",
        }
    }

    /// Go's truth: false, 0, null and empty things are false.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Missing(..) | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Int(i) => *i != 0,
            Val::Float(f) => *f != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::Bytes(b) => !b.is_empty(),
            Val::List(l) => !l.is_empty(),
            Val::Map(m) => !m.is_empty(),
        }
    }

    /// The text of a scalar as it is written out; `None` for lists, maps, missing
    /// values and non-UTF-8 bytes.
    pub fn text(&self) -> Option<Zeroizing<String>> {
        Some(Zeroizing::new(match self {
            Val::Null => String::new(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Float(f) => number::format_plain(*f),
            Val::Str(s) => s.to_string(),
            Val::Bytes(b) => String::from_utf8(b.to_vec()).ok()?,
            Val::Missing(..) | Val::List(_) | Val::Map(_) => return None,
        }))
    }

    /// The bytes written for a scalar (binary data as it is).
    pub fn bytes(&self) -> Option<Zeroizing<Vec<u8>>> {
        match self {
            Val::Bytes(b) => Some(b.clone()),
            other => other.text().map(|t| Zeroizing::new(t.as_bytes().to_vec())),
        }
    }

    /// The value under `key` (a map key, or a list index written as a number).
    pub fn field(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Val::List(l) => key.parse::<usize>().ok().and_then(|i| l.get(i)),
            _ => None,
        }
    }

    /// Whether binary data is anywhere inside (JSON and YAML cannot hold it).
    pub fn has_binary(&self) -> bool {
        match self {
            Val::Bytes(b) => std::str::from_utf8(b).is_err(),
            Val::List(l) => l.iter().any(Val::has_binary),
            Val::Map(m) => m.iter().any(|(_, v)| v.has_binary()),
            _ => false,
        }
    }

    /// Converts a decrypted document value (comments dropped).
    pub fn from_document(v: &document::Value) -> Val {
        match v {
            document::Value::Map(m) => Val::from_map(m),
            document::Value::Seq(items) => Val::List(
                items
                    .iter()
                    .filter(|i| !matches!(i, document::Value::Comment(_)))
                    .map(Val::from_document)
                    .collect(),
            ),
            document::Value::Scalar(s) => match s {
                Scalar::Str(t) | Scalar::Time(t) => Val::str(t.clone()),
                Scalar::Bytes(b) => match String::from_utf8(b.clone()) {
                    Ok(t) => Val::str(t),
                    Err(e) => Val::Bytes(Zeroizing::new(e.into_bytes())),
                },
                Scalar::Int(i) => Val::Int(*i),
                Scalar::Float(f) => Val::Float(*f),
                Scalar::Bool(b) => Val::Bool(*b),
            },
            document::Value::Comment(_) | document::Value::Null => Val::Null,
        }
    }

    /// Converts a document map (comments dropped).
    pub fn from_map(m: &document::Map) -> Val {
        Val::Map(
            m.iter()
                .filter_map(|e| match e {
                    Entry::Pair(k, v) => Some((k.clone(), Val::from_document(v))),
                    Entry::Comment(_) => None,
                })
                .collect(),
        )
    }
}

impl serde::Serialize for Val {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Val::Missing(..) | Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Int(i) => s.serialize_i64(*i),
            Val::Float(f) => s.serialize_f64(*f),
            Val::Str(t) => s.serialize_str(t),
            Val::Bytes(b) => s.serialize_str(&String::from_utf8_lossy(b)),
            Val::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Val::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Where a value came from: a file and a key path, for error messages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// The secrets file.
    pub file: String,
    /// The key path inside it, `a.b[0]` style.
    pub path: String,
}

impl Origin {
    /// The top level of `file`.
    pub fn file(file: &str) -> Origin {
        Origin {
            file: file.to_string(),
            path: String::new(),
        }
    }

    /// The origin one step further down.
    pub fn child(&self, key: &str, list: bool) -> Origin {
        let path = match (self.path.is_empty(), list) {
            (_, true) => format!("{}[{key}]", self.path),
            (true, false) => key.to_string(),
            (false, false) => format!("{}.{key}", self.path),
        };
        Origin {
            file: self.file.clone(),
            path,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{} {}", self.file, self.path)
        }
    }
}

/// A value with where it came from (literals and results of functions have none).
#[derive(Debug, Clone)]
pub struct Item {
    /// The value.
    pub val: Val,
    /// Its origin in a secrets file.
    pub origin: Option<Origin>,
}

impl Item {
    /// A value computed in the template.
    pub fn computed(val: Val) -> Item {
        Item { val, origin: None }
    }

    /// Places a missing value that has no place yet at `pos`.
    pub fn located(mut self, pos: Pos) -> Item {
        if let Val::Missing(_, at) = &mut self.val {
            if *at == Pos::default() {
                *at = pos;
            }
        }
        self
    }

    /// The origin as it appears in messages.
    pub fn at(&self) -> Option<String> {
        self.origin.as_ref().map(Origin::to_string)
    }

    /// Steps into `key`, keeping track of the path; a key that is not there gives a
    /// missing value naming the full path.
    pub fn field(&self, key: &str) -> Item {
        lookup(&self.val, self.origin.as_ref(), &[key])
    }

    /// Steps down `keys`, cloning only the value found.
    pub fn path<S: AsRef<str>>(&self, keys: &[S]) -> Item {
        lookup(&self.val, self.origin.as_ref(), keys)
    }
}

/// The value at `keys` below `root` (whose origin is `origin`), cloning only that
/// value; a key that is not there gives a missing value naming the full path.
pub fn lookup<S: AsRef<str>>(root: &Val, origin: Option<&Origin>, keys: &[S]) -> Item {
    let mut origin = origin.cloned();
    let mut cur = root;
    for key in keys {
        let key = key.as_ref();
        let list = matches!(cur, Val::List(_));
        origin = origin.map(|o| o.child(key, list));
        if let Val::Missing(..) = cur {
            break;
        }
        match cur.field(key) {
            Some(found) => cur = found,
            None => {
                let val = Val::Missing(
                    Missing::Key {
                        file: origin.as_ref().map(|o| o.file.clone()).unwrap_or_default(),
                        path: origin
                            .as_ref()
                            .map(|o| o.path.clone())
                            .unwrap_or_else(|| key.to_string()),
                    },
                    Pos::default(),
                );
                return Item { val, origin };
            }
        }
    }
    Item {
        val: cur.clone(),
        origin,
    }
}

/// A decrypted secrets file as a template sees it.
pub type FileRoot = Rc<Val>;
