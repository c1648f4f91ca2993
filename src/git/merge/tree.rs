//! Three-way merge of decrypted trees, key by key.
//!
//! A map is a list of items: a key with the comments written just above it (so a
//! comment moves, stays or goes with its key), plus the comments after the last key.
//! Items are matched by key across base, ours and theirs:
//!
//! - a side that left an item as it was in the base takes the other side's version
//!   (changed, added or deleted);
//! - two maps changed on both sides are merged the same way, one level down;
//! - anything else changed on both sides, differently, is a conflict: ours is kept
//!   there and the key path is reported.
//!
//! Lists are values like any other (merged whole): their items have no identity to
//! match them by. Keys theirs added go after the key that precedes them in theirs.

use crate::document::path::{KeyPath, Step};
use crate::document::{Comment, Document, Entry, Map, Value};

/// The merged tree and the key paths where both sides changed the same value.
#[derive(Debug, Default)]
pub struct Merged {
    /// The merged document (ours where there were conflicts).
    pub doc: Document,
    /// Where both sides changed the same thing differently.
    pub conflicts: Vec<KeyPath>,
}

/// Merges `ours` and `theirs`, both descended from `base`.
pub fn merge(base: &Document, ours: &Document, theirs: &Document) -> Merged {
    let mut conflicts = Vec::new();
    let doc = if ours == theirs || theirs == base {
        ours.clone()
    } else if ours == base {
        theirs.clone()
    } else if ours.branches.len() == theirs.branches.len()
        && base.branches.len() == ours.branches.len()
    {
        let branches = (0..ours.branches.len())
            .map(|i| {
                merge_map(
                    &base.branches[i],
                    &ours.branches[i],
                    &theirs.branches[i],
                    &KeyPath(Vec::new()),
                    &mut conflicts,
                )
            })
            .collect();
        Document { branches }
    } else {
        // Documents added or removed on both sides of a YAML stream.
        conflicts.push(KeyPath(Vec::new()));
        ours.clone()
    };
    Merged { doc, conflicts }
}

/// A key with the comments just above it; the comments after the last key have no key.
#[derive(Clone, PartialEq)]
struct Item {
    key: Option<String>,
    comments: Vec<Comment>,
    value: Option<Value>,
}

fn items(map: &Map) -> Vec<Item> {
    let mut out = Vec::new();
    let mut comments = Vec::new();
    for entry in map {
        match entry {
            Entry::Comment(c) => comments.push(c.clone()),
            Entry::Pair(k, v) => out.push(Item {
                key: Some(k.clone()),
                comments: std::mem::take(&mut comments),
                value: Some(v.clone()),
            }),
        }
    }
    if !comments.is_empty() {
        out.push(Item {
            key: None,
            comments,
            value: None,
        });
    }
    out
}

fn entries(items: Vec<Item>) -> Map {
    let mut map = Vec::new();
    for item in items {
        map.extend(item.comments.into_iter().map(Entry::Comment));
        if let (Some(k), Some(v)) = (item.key, item.value) {
            map.push(Entry::Pair(k, v));
        }
    }
    map
}

/// Duplicate keys (JSON and dotenv allow them) make matching by key ambiguous.
fn has_duplicates(items: &[Item]) -> bool {
    let mut seen = std::collections::HashSet::new();
    items.iter().any(|i| !seen.insert(&i.key))
}

fn find<'a>(items: &'a [Item], key: &Option<String>) -> Option<&'a Item> {
    items.iter().find(|i| &i.key == key)
}

fn merge_map(
    base: &Map,
    ours: &Map,
    theirs: &Map,
    at: &KeyPath,
    conflicts: &mut Vec<KeyPath>,
) -> Map {
    if ours == theirs || theirs == base {
        return ours.clone();
    }
    if ours == base {
        return theirs.clone();
    }
    let (b, o, t) = (items(base), items(ours), items(theirs));
    if has_duplicates(&b) || has_duplicates(&o) || has_duplicates(&t) {
        conflicts.push(at.clone());
        return ours.clone();
    }
    let path_of = |key: &Option<String>| match key {
        Some(k) => at.child(Step::Key(k.clone())),
        None => at.clone(),
    };
    let mut merged: Vec<Item> = Vec::new();
    // Ours' items, in ours' order: kept, changed, or dropped.
    for mine in &o {
        let old = find(&b, &mine.key);
        let other = find(&t, &mine.key);
        match (old, other) {
            (Some(old), Some(other)) => {
                merged.push(merge_item(old, mine, other, &path_of(&mine.key), conflicts));
            }
            // Theirs deleted it: gone if ours left it as it was.
            (Some(old), None) => {
                if old != mine {
                    conflicts.push(path_of(&mine.key));
                    merged.push(mine.clone());
                }
            }
            // Added on both sides.
            (None, Some(other)) => {
                if other != mine {
                    let both_maps = matches!(
                        (&mine.value, &other.value),
                        (Some(Value::Map(_)), Some(Value::Map(_)))
                    );
                    if both_maps {
                        let empty = Item {
                            key: mine.key.clone(),
                            comments: Vec::new(),
                            value: Some(Value::Map(Vec::new())),
                        };
                        merged.push(merge_item(
                            &empty,
                            mine,
                            other,
                            &path_of(&mine.key),
                            conflicts,
                        ));
                        continue;
                    }
                    conflicts.push(path_of(&mine.key));
                }
                merged.push(mine.clone());
            }
            (None, None) => merged.push(mine.clone()),
        }
    }
    // Ours deleted an item theirs changed: a conflict (it stays deleted).
    for old in &b {
        if find(&o, &old.key).is_none() {
            if let Some(other) = find(&t, &old.key) {
                if other != old {
                    conflicts.push(path_of(&old.key));
                }
            }
        }
    }
    // Theirs' additions, each after the item that precedes it in theirs.
    for (i, other) in t.iter().enumerate() {
        if find(&b, &other.key).is_some() || find(&o, &other.key).is_some() {
            continue;
        }
        // After the nearest item before it that is in the result, else before the
        // nearest one after it, else last (the comments after the last key stay last).
        let after = t[..i]
            .iter()
            .rev()
            .find_map(|prev| merged.iter().position(|m| m.key == prev.key))
            .map(|p| p + 1);
        let before = || {
            t[i + 1..].iter().find_map(|next| {
                merged
                    .iter()
                    .position(|m| m.key == next.key && m.key.is_some())
            })
        };
        let end = if other.key.is_some() && merged.last().is_some_and(|m| m.key.is_none()) {
            merged.len() - 1
        } else {
            merged.len()
        };
        let at = after.or_else(before).unwrap_or(end);
        let at = if other.key.is_some() { at.min(end) } else { at };
        merged.insert(at, other.clone());
    }
    entries(merged)
}

fn merge_item(
    base: &Item,
    ours: &Item,
    theirs: &Item,
    at: &KeyPath,
    conflicts: &mut Vec<KeyPath>,
) -> Item {
    let comments = match pick(&base.comments, &ours.comments, &theirs.comments) {
        Some(c) => c.clone(),
        None => {
            conflicts.push(at.clone());
            ours.comments.clone()
        }
    };
    let value = match (&base.value, &ours.value, &theirs.value) {
        (Some(b), Some(o), Some(t)) => Some(merge_value(b, o, t, at, conflicts)),
        _ => ours.value.clone(),
    };
    Item {
        key: ours.key.clone(),
        comments,
        value,
    }
}

fn merge_value(
    base: &Value,
    ours: &Value,
    theirs: &Value,
    at: &KeyPath,
    conflicts: &mut Vec<KeyPath>,
) -> Value {
    if let Some(v) = pick(base, ours, theirs) {
        return v.clone();
    }
    match (base, ours, theirs) {
        (Value::Map(b), Value::Map(o), Value::Map(t)) => {
            Value::Map(merge_map(b, o, t, at, conflicts))
        }
        // A map on both sides that was something else before.
        (_, Value::Map(o), Value::Map(t)) => {
            Value::Map(merge_map(&Vec::new(), o, t, at, conflicts))
        }
        _ => {
            conflicts.push(at.clone());
            ours.clone()
        }
    }
}

/// The side that changed, when at most one did (or both the same way).
fn pick<'a, T: PartialEq>(base: &'a T, ours: &'a T, theirs: &'a T) -> Option<&'a T> {
    if ours == theirs || theirs == base {
        Some(ours)
    } else if ours == base {
        Some(theirs)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
