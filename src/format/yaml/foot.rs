//! Where yaml.v3 (and so sops) puts a comment that ends a nested collection.
//!
//! A comment after the last entry of a nested map or list, with nothing of that
//! collection following it, is a *foot comment* to yaml.v3: it belongs to the last
//! node before it, so it sinks into the last entry's value when that value is a
//! non-empty collection, down to the innermost one. sops then encrypts it with that
//! collection's key path as additional data and writes it there. enseal must do the
//! same, or sops could not decrypt the comments of a file enseal wrote (observed with
//! sops 3.11: `a: {b: [1]}` followed by `  # c` and a dedent is written under `b`).
//!
//! The document root keeps its own trailing comments: yaml.v3 makes them document
//! foot comments, and sops writes them at the end of the document.

use crate::document::{Comment, Document, Entry, Value};

/// One move of trailing comments: in the collection at `path` (entry or item indexes
/// from the document's root map), the last `count` items go to the end of its last child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    branch: usize,
    path: Vec<usize>,
    count: usize,
}

/// Moves every nested collection's trailing comments to where yaml.v3 attaches them,
/// and returns the moves made, in order.
pub fn sink_foot_comments(doc: &mut Document) -> Vec<Move> {
    let mut moves = Vec::new();
    for (branch, root) in doc.branches.iter_mut().enumerate() {
        let mut path = Vec::new();
        for (i, entry) in root.iter_mut().enumerate() {
            if let Entry::Pair(_, value) = entry {
                path.push(i);
                sink_value(value, branch, &mut path, &mut moves);
                path.pop();
            }
        }
    }
    moves
}

/// Makes on `doc` the moves found on a tree of the same shape (its encrypted twin).
pub fn replay(doc: &mut Document, moves: &[Move]) {
    for m in moves {
        let Some(root) = doc.branches.get_mut(m.branch) else {
            continue;
        };
        let Some((first, rest)) = m.path.split_first() else {
            continue;
        };
        let Some(Entry::Pair(_, value)) = root.get_mut(*first) else {
            continue;
        };
        if let Some(value) = descend(value, rest) {
            move_tail(value, m.count);
        }
    }
}

/// The value at `path` (entry or item indexes) below `value`.
fn descend<'a>(value: &'a mut Value, path: &[usize]) -> Option<&'a mut Value> {
    let Some((&i, rest)) = path.split_first() else {
        return Some(value);
    };
    let child = match value {
        Value::Map(map) => match map.get_mut(i)? {
            Entry::Pair(_, v) => v,
            Entry::Comment(_) => return None,
        },
        Value::Seq(items) => items.get_mut(i)?,
        _ => return None,
    };
    descend(child, rest)
}

/// Whether a comment could move once the file is encrypted: sops writes an encrypted
/// comment inside a list as a string item, so a list that ends in a comment can then
/// take the foot comments of the collection around it.
pub fn may_move_when_encrypted(doc: &Document) -> bool {
    // A cheap over-approximation: some list ends in a comment and some nested
    // collection ends in comments.
    #[derive(Default)]
    struct Seen {
        list_ends_in_comment: bool,
        collection_ends_in_comment: bool,
    }
    fn walk(v: &Value, seen: &mut Seen) {
        match v {
            Value::Map(map) => {
                seen.collection_ends_in_comment |= matches!(map.last(), Some(Entry::Comment(_)));
                for e in map {
                    if let Entry::Pair(_, v) = e {
                        walk(v, seen);
                    }
                }
            }
            Value::Seq(items) => {
                let ends = matches!(items.last(), Some(Value::Comment(_)));
                seen.list_ends_in_comment |= ends;
                seen.collection_ends_in_comment |= ends;
                items.iter().for_each(|v| walk(v, seen));
            }
            _ => {}
        }
    }
    let mut seen = Seen::default();
    for root in &doc.branches {
        for e in root {
            if let Entry::Pair(_, v) = e {
                walk(v, &mut seen);
            }
        }
    }
    seen.list_ends_in_comment && seen.collection_ends_in_comment
}

fn sink_value(value: &mut Value, branch: usize, path: &mut Vec<usize>, moves: &mut Vec<Move>) {
    let tail = match value {
        Value::Map(map) => {
            let tail = map
                .iter()
                .rev()
                .take_while(|e| matches!(e, Entry::Comment(_)))
                .count();
            match map.iter().rev().nth(tail) {
                Some(Entry::Pair(_, last)) if tail > 0 && has_last_node(last) => tail,
                _ => 0,
            }
        }
        Value::Seq(items) => {
            let tail = items
                .iter()
                .rev()
                .take_while(|v| matches!(v, Value::Comment(_)))
                .count();
            if tail > 0 && tail < items.len() && has_last_node(&items[items.len() - tail - 1]) {
                tail
            } else {
                0
            }
        }
        _ => return,
    };
    if tail > 0 {
        moves.push(Move {
            branch,
            path: path.clone(),
            count: tail,
        });
        move_tail(value, tail);
    }
    match value {
        Value::Map(map) => {
            for (i, entry) in map.iter_mut().enumerate() {
                if let Entry::Pair(_, v) = entry {
                    path.push(i);
                    sink_value(v, branch, path, moves);
                    path.pop();
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i);
                sink_value(item, branch, path, moves);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A list or map with a last node that can take a foot comment: at least one item that
/// is not a comment, and no comments after the last item at any depth along the chain of
/// last items (yaml.v3 has then given the innermost block its foot comment already, and
/// the outer comments stay outside as the foot of the key: observed with sops 3.11).
fn has_last_node(value: &Value) -> bool {
    let last = match value {
        Value::Map(m) => match m.last() {
            Some(Entry::Pair(_, v)) => v,
            _ => return false,
        },
        Value::Seq(items) => match items.last() {
            Some(Value::Comment(_)) | None => return false,
            Some(v) => v,
        },
        _ => return false,
    };
    match last {
        Value::Map(m) if !m.is_empty() => has_last_node(last),
        Value::Seq(items) if !items.is_empty() => has_last_node(last),
        _ => true,
    }
}

/// Moves the last `count` items (comments) of a collection to the end of its new last item.
fn move_tail(collection: &mut Value, count: usize) {
    match collection {
        Value::Map(map) => {
            let at = map.len().saturating_sub(count);
            let moved: Vec<Entry> = map.drain(at..).collect();
            if let Some(Entry::Pair(_, last)) = map.last_mut() {
                append(
                    last,
                    moved.into_iter().filter_map(|e| match e {
                        Entry::Comment(c) => Some(c),
                        Entry::Pair(..) => None,
                    }),
                );
            }
        }
        Value::Seq(items) => {
            let at = items.len().saturating_sub(count);
            let moved: Vec<Value> = items.drain(at..).collect();
            if let Some(last) = items.last_mut() {
                append(
                    last,
                    moved.into_iter().filter_map(|v| match v {
                        Value::Comment(c) => Some(c),
                        _ => None,
                    }),
                );
            }
        }
        _ => {}
    }
}

/// Appends comments at the end of a map or list.
fn append(collection: &mut Value, comments: impl Iterator<Item = Comment>) {
    match collection {
        Value::Map(m) => m.extend(comments.map(Entry::Comment)),
        Value::Seq(items) => items.extend(comments.map(Value::Comment)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::{emit, parse};
    use crate::format::EmitOptions;

    fn round(text: &str) -> String {
        let p = parse(text.as_bytes(), crate::format::Mode::Plain).unwrap();
        String::from_utf8(emit(&p.doc, p.metadata.as_ref(), &EmitOptions::default()).unwrap())
            .unwrap()
    }

    // Each case is what sops 3.11 writes for the input (checked by hand with the real
    // binary; the random interop test in tests/cli/interop.rs checks it at scale).
    #[test]
    fn trailing_comments_sink_like_sops() {
        for (input, want) in [
            (
                "a:\n  b:\n    c:\n      - 1\n  # f\nx: 1\n",
                "a:\n    b:\n        c:\n            - 1\n            # f\nx: 1\n",
            ),
            (
                "a:\n  b:\n    c: 1\n    d: 2\n  # f\nx: 1\n",
                "a:\n    b:\n        c: 1\n        d: 2\n        # f\nx: 1\n",
            ),
            (
                "a:\n  - x: 1\n    y:\n      - 2\n  # f\nb: 2\n",
                "a:\n    - x: 1\n      \"y\":\n        - 2\n        # f\nb: 2\n",
            ),
            // A comment followed by a sibling is that sibling's head comment: it stays.
            (
                "a:\n  b:\n    - 1\n  # h\n  k: v\n",
                "a:\n    b:\n        - 1\n    # h\n    k: v\n",
            ),
            // The root's trailing comments stay at the root.
            (
                "a:\n  b:\n    - 1\n# end\n",
                "a:\n    b:\n        - 1\n# end\n",
            ),
            // A nested map that ends in its own comment keeps the outer one outside.
            (
                "a:\n  b:\n    c: 1\n    # f4\n  # f2\nx: 1\n",
                "a:\n    b:\n        c: 1\n        # f4\n    # f2\nx: 1\n",
            ),
            // An empty collection has no node to take the comment.
            (
                "a:\n  b: {}\n  # f\nx: 1\n",
                "a:\n    b: {}\n    # f\nx: 1\n",
            ),
        ] {
            assert_eq!(round(input), want, "{input}");
        }
    }
}
