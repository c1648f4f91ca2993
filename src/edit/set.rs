//! `set`: put a value at a key path, as `sops set` does.
//!
//! Missing map keys are created, an index past the end of a list appends, and a
//! scalar in the way of a deeper path is replaced by a map or list. The value is JSON
//! (numbers are floats, as sops reads them).

use crate::document::path::{KeyPath, Step};
use crate::document::{Entry, Map, Value};
use crate::format::{json, FormatError, Mode};

/// Why a value could not be set. Never carries the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetError {
    /// The path starts with a list index, but a document's top level is a map.
    #[error("{0}: the top level is a map: start the path with a key, like '[\"key\"]'")]
    IndexAtTop(KeyPath),
    /// The value is not JSON.
    #[error("the value is not valid JSON ({0}); a string needs quotes, like '\"text\"'")]
    NotJson(FormatError),
    /// The value is a key name that would hold the metadata.
    #[error("the top-level key `sops` holds the file's metadata and cannot be set")]
    Metadata,
    /// `unset` of a path that holds nothing.
    #[error("{0}: there is no value here")]
    NotFound(KeyPath),
}

/// Parses a `set` value written as JSON.
pub fn parse_value(text: &str) -> Result<Value, SetError> {
    // The JSON store reads objects: wrap the value in one.
    let wrapped = zeroize::Zeroizing::new(format!("{{\"v\":{text}\n}}"));
    let mut parsed = json::parse(wrapped.as_bytes(), Mode::Plain).map_err(|e| {
        SetError::NotJson(match e {
            // The wrapping added one line and `{"v":` before the value.
            FormatError::Syntax { line, column, .. } => FormatError::syntax(
                line,
                if line == 1 {
                    column.saturating_sub(5).max(1)
                } else {
                    column
                },
                "invalid JSON",
            ),
            other => other,
        })
    })?;
    let root = parsed.doc.branches.pop().unwrap_or_default();
    Ok(root
        .into_iter()
        .find_map(|e| match e {
            Entry::Pair(k, v) if k == "v" => Some(v),
            _ => None,
        })
        .unwrap_or(Value::Null))
}

/// Sets `value` at `path` in a document's top-level map. Returns whether anything
/// changed (an equal value already there is left alone).
pub fn set(root: &mut Map, path: &KeyPath, value: Value) -> Result<bool, SetError> {
    let Some((first, rest)) = path.0.split_first() else {
        return Err(SetError::IndexAtTop(path.clone()));
    };
    let Step::Key(key) = first else {
        return Err(SetError::IndexAtTop(path.clone()));
    };
    if key == "sops" {
        return Err(SetError::Metadata);
    }
    let slot = map_slot(root, key);
    Ok(set_in(slot, rest, value))
}

/// Removes the value at `path` (a map entry or a list item), as `sops unset` does.
pub fn unset(root: &mut Map, path: &KeyPath) -> Result<(), SetError> {
    let not_found = || SetError::NotFound(path.clone());
    let Some((last, parents)) = path.0.split_last() else {
        return Err(not_found());
    };
    if matches!(path.0.first(), Some(Step::Key(k)) if k == "sops") {
        return Err(SetError::Metadata);
    }
    // Walk to the container of the last step.
    let mut container: Option<&mut Value> = None;
    for (i, step) in parents.iter().enumerate() {
        let next = match (i, step, container) {
            (0, Step::Key(k), _) => root.iter_mut().find_map(|e| match e {
                Entry::Pair(name, v) if name == k => Some(v),
                _ => None,
            }),
            (_, Step::Key(k), Some(Value::Map(m))) => m.iter_mut().find_map(|e| match e {
                Entry::Pair(name, v) if name == k => Some(v),
                _ => None,
            }),
            (_, Step::Index(n), Some(Value::Seq(items))) => items
                .iter_mut()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .nth(*n),
            _ => None,
        };
        container = Some(next.ok_or_else(not_found)?);
    }
    let removed = match (container, last) {
        (None, Step::Key(k)) => remove_key(root, k),
        (Some(Value::Map(m)), Step::Key(k)) => remove_key(m, k),
        (Some(Value::Seq(items)), Step::Index(n)) => {
            item_index(items, *n).map(|i| items.remove(i)).is_some()
        }
        _ => false,
    };
    if removed {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// Where the `n`-th item of a list is: comments inside lists are not items (as in
/// `--extract`).
fn item_index(items: &[Value], n: usize) -> Option<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, v)| !matches!(v, Value::Comment(_)))
        .nth(n)
        .map(|(i, _)| i)
}

fn remove_key(map: &mut Map, key: &str) -> bool {
    let before = map.len();
    map.retain(|e| !matches!(e, Entry::Pair(k, _) if k == key));
    map.len() != before
}

/// The value of `key` in `map`, created (null) at the end when missing.
fn map_slot<'a>(map: &'a mut Map, key: &str) -> &'a mut Value {
    let at = map
        .iter()
        .position(|e| matches!(e, Entry::Pair(k, _) if k == key));
    let at = match at {
        Some(i) => i,
        None => {
            map.push(Entry::Pair(key.to_string(), Value::Null));
            map.len() - 1
        }
    };
    match &mut map[at] {
        Entry::Pair(_, v) => v,
        Entry::Comment(_) => unreachable!("`at` points at a pair"),
    }
}

fn set_in(current: &mut Value, steps: &[Step], value: Value) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        if *current == value {
            return false;
        }
        *current = value;
        return true;
    };
    match step {
        Step::Key(k) => {
            if !matches!(current, Value::Map(_)) {
                *current = Value::Map(Map::new());
            }
            let Value::Map(m) = current else {
                unreachable!("just made a map")
            };
            set_in(map_slot(m, k), rest, value)
        }
        Step::Index(n) => {
            if !matches!(current, Value::Seq(_)) {
                *current = Value::Seq(Vec::new());
            }
            let Value::Seq(items) = current else {
                unreachable!("just made a list")
            };
            let at = match item_index(items, *n) {
                Some(i) => i,
                None => {
                    items.push(Value::Null);
                    items.len() - 1
                }
            };
            set_in(&mut items[at], rest, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::path::parse_index_path;
    use crate::document::{Comment, Scalar};

    fn path(s: &str) -> KeyPath {
        parse_index_path(s).unwrap()
    }

    #[test]
    fn sets_creates_and_appends_like_sops() {
        let mut root = vec![
            Entry::Pair("a".into(), Value::str("x")),
            Entry::Pair(
                "l".into(),
                Value::Seq(vec![Value::Comment(Comment("c".into())), Value::str("p")]),
            ),
        ];
        assert!(set(&mut root, &path(r#"["a"]"#), Value::str("y")).unwrap());
        assert!(!set(&mut root, &path(r#"["a"]"#), Value::str("y")).unwrap());
        assert!(set(&mut root, &path(r#"["l"][0]"#), Value::str("q")).unwrap());
        assert!(set(&mut root, &path(r#"["l"][9]"#), Value::str("r")).unwrap());
        assert!(set(&mut root, &path(r#"["new"]["deep"][0]"#), Value::str("z")).unwrap());
        assert!(set(&mut root, &path(r#"["a"]["x"]"#), Value::str("w")).unwrap());
        let l = crate::document::map_get(&root, "l").unwrap();
        assert_eq!(
            *l,
            Value::Seq(vec![
                Value::Comment(Comment("c".into())),
                Value::str("q"),
                Value::str("r")
            ])
        );
        assert_eq!(
            crate::document::path::lookup(&root, &path(r#"["new"]["deep"][0]"#)),
            Some(&Value::str("z"))
        );
        assert_eq!(
            crate::document::path::lookup(&root, &path(r#"["a"]["x"]"#)),
            Some(&Value::str("w"))
        );
        assert!(set(&mut root, &path(r#"["sops"]"#), Value::Null).is_err());
        assert!(set(&mut root, &path("[0]"), Value::Null).is_err());
    }

    #[test]
    fn unset_removes_entries_and_items() {
        let mut root = vec![
            Entry::Pair("a".into(), Value::str("x")),
            Entry::Pair(
                "m".into(),
                Value::Map(vec![
                    Entry::Pair("k".into(), Value::str("v")),
                    Entry::Pair(
                        "l".into(),
                        Value::Seq(vec![Value::str("p"), Value::str("q")]),
                    ),
                ]),
            ),
        ];
        unset(&mut root, &path(r#"["m"]["l"][0]"#)).unwrap();
        assert_eq!(
            crate::document::path::lookup(&root, &path(r#"["m"]["l"][0]"#)),
            Some(&Value::str("q"))
        );
        unset(&mut root, &path(r#"["m"]["k"]"#)).unwrap();
        unset(&mut root, &path(r#"["a"]"#)).unwrap();
        assert_eq!(root.len(), 1);
        assert!(matches!(
            unset(&mut root, &path(r#"["nope"]"#)),
            Err(SetError::NotFound(_))
        ));
        assert!(matches!(
            unset(&mut root, &path(r#"["m"]["l"][5]"#)),
            Err(SetError::NotFound(_))
        ));
        assert!(matches!(
            unset(&mut root, &path(r#"["sops"]"#)),
            Err(SetError::Metadata)
        ));
    }

    #[test]
    fn values_are_json() {
        assert_eq!(parse_value("\"s3cret\"").unwrap(), Value::str("s3cret"));
        assert_eq!(parse_value("5").unwrap(), Value::Scalar(Scalar::Float(5.0)));
        assert!(matches!(
            parse_value("{\"k\": true}").unwrap(),
            Value::Map(_)
        ));
        assert_eq!(parse_value("null").unwrap(), Value::Null);
        let err = parse_value("s3cret").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(parse_value("1 2").is_err());
    }
}
