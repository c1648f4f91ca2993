//! What a change did to a file, for the line `set`, `unset` and `edit` print after it:
//! key paths added, changed and removed (never a value), as text (colored on a terminal,
//! unless `NO_COLOR`) or JSON.
//!
//! The trees are compared as lists of `path = digest` lines with `similar`, so the report
//! follows the file's order and a value that moved with its key is not reported twice.

use sha2::{Digest, Sha256};
use similar::{capture_diff_slices, Algorithm, DiffOp};

use crate::document::path::{KeyPath, Step};
use crate::document::{Document, Entry, Value};

/// How a key path changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// New in the file.
    Added,
    /// There before and after, with another value.
    Changed,
    /// Gone.
    Removed,
}

/// One changed key path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// What happened.
    pub kind: Kind,
    /// The key path, as errors print it (`db.password`, `hosts[0]`).
    pub path: String,
}

/// The key paths that differ between two plaintext trees, in file order.
pub fn values(old: &Document, new: &Document) -> Vec<Change> {
    let (a, b) = (lines(old), lines(new));
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &a, &b) {
        match op {
            DiffOp::Delete {
                old_index, old_len, ..
            } => removed.extend(a[old_index..old_index + old_len].iter().map(|l| &l.0)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => added.extend(b[new_index..new_index + new_len].iter().map(|l| &l.0)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                removed.extend(a[old_index..old_index + old_len].iter().map(|l| &l.0));
                added.extend(b[new_index..new_index + new_len].iter().map(|l| &l.0));
            }
            DiffOp::Equal { .. } => {}
        }
    }
    let mut out: Vec<Change> = Vec::new();
    for path in &added {
        let kind = if removed.contains(path) {
            Kind::Changed
        } else {
            Kind::Added
        };
        out.push(Change {
            kind,
            path: path.to_string(),
        });
    }
    for path in removed.iter().filter(|p| !added.contains(p)) {
        out.push(Change {
            kind: Kind::Removed,
            path: path.to_string(),
        });
    }
    out
}

/// One line per leaf: its key path and a digest of its type and value (no plaintext).
fn lines(doc: &Document) -> Vec<(String, [u8; 32])> {
    let mut out = Vec::new();
    for (i, branch) in doc.branches.iter().enumerate() {
        let root = if doc.branches.len() > 1 {
            format!("document {}: ", i + 1)
        } else {
            String::new()
        };
        map(branch, &KeyPath::default(), &root, &mut out);
    }
    out
}

fn map(m: &[Entry], at: &KeyPath, root: &str, out: &mut Vec<(String, [u8; 32])>) {
    for e in m {
        if let Entry::Pair(k, v) = e {
            leaf(v, &at.child(Step::Key(k.clone())), root, out);
        }
    }
}

fn leaf(v: &Value, at: &KeyPath, root: &str, out: &mut Vec<(String, [u8; 32])>) {
    let mut h = Sha256::new();
    match v {
        Value::Map(m) if !m.is_empty() => return map(m, at, root, out),
        Value::Seq(items) if !items.is_empty() => {
            let values = items.iter().filter(|i| !matches!(i, Value::Comment(_)));
            for (i, item) in values.enumerate() {
                leaf(item, &at.child(Step::Index(i)), root, out);
            }
            return;
        }
        Value::Map(_) => h.update(b"{}"),
        Value::Seq(_) => h.update(b"[]"),
        Value::Null => h.update(b"null"),
        Value::Comment(_) => return,
        Value::Scalar(s) => {
            h.update(s.type_tag().as_bytes());
            h.update(b"\0");
            h.update(&*s.plaintext());
        }
    }
    out.push((format!("{root}{at}"), h.finalize().into()));
}

/// Whether to color output for a stream: a terminal, and `NO_COLOR` unset or empty
/// (no-color.org).
pub fn color(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

/// Whether to color what goes to standard error (see [`color`]).
pub fn stderr_color() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var("NO_COLOR").ok();
    color(std::io::stderr().is_terminal(), no_color.as_deref())
}

/// The text report: one line per change (`+`, `~`, `-`), or that nothing changed.
pub fn text(file: &str, changes: &[Change], color: bool) -> String {
    if changes.is_empty() {
        return format!("{file}: no value changed\n");
    }
    let count = |k: Kind| changes.iter().filter(|c| c.kind == k).count();
    let mut out = format!(
        "{file}: {} added, {} changed, {} removed\n",
        count(Kind::Added),
        count(Kind::Changed),
        count(Kind::Removed)
    );
    for c in changes {
        let (mark, code) = match c.kind {
            Kind::Added => ('+', "32"),
            Kind::Changed => ('~', "33"),
            Kind::Removed => ('-', "31"),
        };
        if color {
            out.push_str(&format!("  \x1b[{code}m{mark} {}\x1b[0m\n", c.path));
        } else {
            out.push_str(&format!("  {mark} {}\n", c.path));
        }
    }
    out
}

/// The JSON report: `{"file": …, "changes": [{"kind": "changed", "path": "db.password"}]}`.
pub fn json(file: &str, changes: &[Change]) -> String {
    let mut s = serde_json::json!({ "file": file, "changes": changes }).to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{self, Format, Mode};

    fn doc(yaml: &str) -> Document {
        format::parse(Format::Yaml, yaml.as_bytes(), Mode::Plain)
            .unwrap()
            .doc
    }

    #[test]
    fn added_changed_and_removed_paths_in_file_order() {
        let old = doc("a: 1\ndb:\n  user: app\n  password: old\nlist: [x, y]\ngone: true\n");
        let new = doc("a: 1\ndb:\n  user: app\n  password: new\n  host: h\nlist: [x, y, z]\n");
        let changes = values(&old, &new);
        let show: Vec<String> = changes
            .iter()
            .map(|c| format!("{:?} {}", c.kind, c.path))
            .collect();
        assert_eq!(
            show,
            [
                "Changed db.password",
                "Added db.host",
                "Added list[2]",
                "Removed gone"
            ]
        );
        let t = text("f.yaml", &changes, false);
        assert!(t.starts_with("f.yaml: 2 added, 1 changed, 1 removed\n  ~ db.password\n"));
        assert!(!t.contains("old") && !t.contains("new\n"));
        assert!(text("f.yaml", &changes, true).contains("\x1b[33m~ db.password\x1b[0m"));
        assert_eq!(text("f.yaml", &[], false), "f.yaml: no value changed\n");
        // A type change with the same text is a change.
        assert_eq!(
            values(&doc("p: 1\n"), &doc("p: '1'\n"))[0].kind,
            Kind::Changed
        );
    }

    #[test]
    fn colors_only_on_a_terminal_without_no_color() {
        assert!(color(true, None));
        assert!(color(true, Some("")));
        assert!(!color(true, Some("1")));
        assert!(!color(false, None));
    }
}
