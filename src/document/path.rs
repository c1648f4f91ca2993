//! Key paths: how a location in the tree is named in errors and selected by `--extract`.

use std::fmt;

use super::{map_get, Map, Value};

/// One step into the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A location in the tree, printed as `a.b[0].c` in error messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Step>);

impl KeyPath {
    /// The path with one more step.
    pub fn child(&self, step: Step) -> KeyPath {
        let mut steps = self.0.clone();
        steps.push(step);
        KeyPath(steps)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Why an `--extract` / `set` path could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {path:?}: {reason}; expected a form like '[\"key\"][0][\"sub\"]'")]
pub struct PathSyntaxError {
    /// The path as given.
    pub path: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses the sops index syntax: `["a"]["b"][0]`, with `'` or `"` quotes around keys.
pub fn parse_index_path(input: &str) -> Result<KeyPath, PathSyntaxError> {
    let err = |reason| PathSyntaxError {
        path: input.to_string(),
        reason,
    };
    let bytes = input.as_bytes();
    let mut i = 0;
    let mut steps = Vec::new();
    while i < bytes.len() {
        if bytes[i] != b'[' {
            return Err(err("each component must start with '['"));
        }
        i += 1;
        match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                i += 1;
                let mut key = Vec::new();
                loop {
                    match bytes.get(i) {
                        None => return Err(err("unterminated quoted key")),
                        Some(b'\\') if bytes.get(i + 1).is_some() => {
                            key.push(bytes[i + 1]);
                            i += 2;
                        }
                        Some(&c) if c == q => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            key.push(c);
                            i += 1;
                        }
                    }
                }
                let key = String::from_utf8(key).map_err(|_| err("key is not valid UTF-8"))?;
                steps.push(Step::Key(key));
            }
            Some(c) if c.is_ascii_digit() => {
                let start = i;
                while bytes.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                let n = input[start..i]
                    .parse()
                    .map_err(|_| err("list index is too large"))?;
                steps.push(Step::Index(n));
            }
            _ => return Err(err("expected a quoted key or a list index after '['")),
        }
        if bytes.get(i) != Some(&b']') {
            return Err(err("missing ']'"));
        }
        i += 1;
    }
    if steps.is_empty() {
        return Err(err("the path is empty"));
    }
    Ok(KeyPath(steps))
}

/// Follows `path` from a top-level map. Comments inside lists do not count as items.
pub fn lookup<'a>(root: &'a Map, path: &KeyPath) -> Option<&'a Value> {
    let mut steps = path.0.iter();
    let mut current = match steps.next()? {
        Step::Key(k) => map_get(root, k)?,
        Step::Index(_) => return None,
    };
    for step in steps {
        current = match (step, current) {
            (Step::Key(k), Value::Map(m)) => map_get(m, k)?,
            (Step::Index(n), Value::Seq(items)) => items
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .nth(*n)?,
            _ => return None,
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Entry;

    #[test]
    fn parses_sops_index_syntax() {
        let p = parse_index_path(r#"["a"]['b'][0]["c\"d"]"#).unwrap();
        assert_eq!(
            p.0,
            vec![
                Step::Key("a".into()),
                Step::Key("b".into()),
                Step::Index(0),
                Step::Key("c\"d".into())
            ]
        );
        assert_eq!(p.to_string(), "a.b[0].c\"d");
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "a", "[\"a\"", "[a]", "[\"a\"]x", "[\"a"] {
            assert!(parse_index_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lookup_skips_list_comments() {
        let root = vec![Entry::Pair(
            "l".into(),
            Value::Seq(vec![
                Value::Comment(crate::document::Comment("c".into())),
                Value::str("x"),
            ]),
        )];
        let p = parse_index_path("[\"l\"][0]").unwrap();
        assert_eq!(lookup(&root, &p), Some(&Value::str("x")));
    }
}
