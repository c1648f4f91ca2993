//! Flattening of the metadata tree into `key__map_x__list_0` names, for the stores
//! that only hold flat key/value pairs (dotenv and INI), as sops does (sops-format §6.5).

use super::FormatError;
use crate::document::{number, Entry, Map, Scalar, Value};

const MAP: &str = "__map_";
const LIST: &str = "__list_";

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Str(t) | Scalar::Time(t) => t.clone(),
        Scalar::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Scalar::Int(i) => i.to_string(),
        // Only shamir_threshold is numeric; sops writes it as a decimal integer.
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Scalar::Float(f) => number::format_plain(*f),
        Scalar::Bool(b) => b.to_string(),
    }
}

fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Map(m) => {
            for e in m {
                if let Entry::Pair(k, v) = e {
                    walk(&format!("{prefix}{MAP}{k}"), v, out);
                }
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(&format!("{prefix}{LIST}{i}"), v, out);
            }
        }
        // Nulls (empty key lists inside groups) are dropped.
        Value::Null | Value::Comment(_) => {}
        Value::Scalar(s) => out.push((prefix.to_string(), scalar_text(s).replace('\n', "\\n"))),
    }
}

/// Flattens the metadata map into `(name, value)` pairs, newlines escaped as `\n`,
/// sorted by name.
pub fn flatten(metadata: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Map(m) = metadata {
        for e in m {
            if let Entry::Pair(k, v) = e {
                match v {
                    Value::Map(_) | Value::Seq(_) => {
                        let mut nested = Vec::new();
                        walk("", v, &mut nested);
                        out.extend(nested.into_iter().map(|(n, v)| (format!("{k}{n}"), v)));
                    }
                    other => walk(k, other, &mut out),
                }
            }
        }
    }
    out.sort();
    out
}

enum Token {
    Key(String),
    Index(usize),
}

/// Splits `a__map_b__list_0` into its steps.
fn tokenize(name: &str) -> Result<Vec<Token>, FormatError> {
    let mut tokens = Vec::new();
    let mut rest = name;
    let mut kind_is_list = false;
    loop {
        let next = [rest.find(MAP), rest.find(LIST)]
            .into_iter()
            .flatten()
            .min();
        let (part, after) = match next {
            Some(i) => (&rest[..i], Some(i)),
            None => (rest, None),
        };
        if kind_is_list {
            let n = part.parse().map_err(|_| {
                FormatError::Shape(format!("sops metadata key {name:?} has a bad list index"))
            })?;
            if n > 10_000 {
                return Err(FormatError::Shape(format!(
                    "sops metadata key {name:?} has a list index that is too large"
                )));
            }
            tokens.push(Token::Index(n));
        } else {
            tokens.push(Token::Key(part.to_string()));
        }
        match after {
            None => return Ok(tokens),
            Some(i) => {
                kind_is_list = rest[i..].starts_with(LIST);
                rest = &rest[i + if kind_is_list { LIST.len() } else { MAP.len() }..];
            }
        }
    }
}

fn insert(node: &mut Value, tokens: &[Token], value: &str) {
    let Some((first, rest)) = tokens.split_first() else {
        *node = Value::str(value);
        return;
    };
    match first {
        Token::Key(k) => {
            if !matches!(node, Value::Map(_)) {
                *node = Value::Map(Map::new());
            }
            let Value::Map(m) = node else { unreachable!() };
            let pos = m
                .iter()
                .position(|e| matches!(e, Entry::Pair(n, _) if n == k));
            let idx = match pos {
                Some(i) => i,
                None => {
                    m.push(Entry::Pair(k.clone(), Value::Null));
                    m.len() - 1
                }
            };
            if let Entry::Pair(_, child) = &mut m[idx] {
                insert(child, rest, value);
            }
        }
        Token::Index(i) => {
            if !matches!(node, Value::Seq(_)) {
                *node = Value::Seq(Vec::new());
            }
            let Value::Seq(items) = node else {
                unreachable!()
            };
            if items.len() <= *i {
                items.resize(*i + 1, Value::Null);
            }
            insert(&mut items[*i], rest, value);
        }
    }
}

/// Rebuilds the metadata tree from flattened pairs (`\n` escapes turned back into newlines).
pub fn unflatten(pairs: &[(String, String)]) -> Result<Value, FormatError> {
    let mut root = Value::Map(Map::new());
    for (name, value) in pairs {
        let tokens = tokenize(name)?;
        insert(&mut root, &tokens, &value.replace("\\n", "\n"));
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::Selector;
    use crate::format::Format;
    use crate::keys::{AgeKey, KeyGroup, KmsKey};
    use crate::metadata::Metadata;

    #[test]
    fn round_trips_through_metadata() {
        let m = Metadata {
            layout_kept: false,
            layout_spelling: None,
            seal: None,
            shamir_threshold: 2,
            key_groups: vec![
                KeyGroup {
                    age: vec![AgeKey {
                        recipient: "age1a".into(),
                        enc: "-----BEGIN\nx\n".into(),
                    }],
                    ..Default::default()
                },
                KeyGroup {
                    kms: vec![KmsKey {
                        arn: "arn:x".into(),
                        context: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
                        created_at: "2026-01-01T00:00:00Z".into(),
                        enc: "e".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            ],
            last_modified: "2026-01-01T00:00:00Z".into(),
            mac: "ENC[x]".into(),
            selector: Some(Selector::EncryptedRegex("^a".into())),
            mac_only_encrypted: true,
            version: "3.11.0".into(),
        };
        let flat = flatten(&m.to_value(Format::Dotenv));
        let names: Vec<&str> = flat.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"key_groups__list_0__map_age__list_0__map_enc"));
        assert!(names.contains(&"key_groups__list_1__map_kms__list_0__map_context__map_a"));
        assert!(names.contains(&"key_groups__list_1__map_kms__list_0__map_aws_profile"));
        assert!(flat.contains(&("shamir_threshold".into(), "2".into())));
        assert!(flat.contains(&("mac_only_encrypted".into(), "true".into())));
        assert!(flat.iter().all(|(_, v)| !v.contains('\n')));
        let back = Metadata::from_value(&unflatten(&flat).unwrap(), Format::Dotenv).unwrap();
        let mut want = m.clone();
        want.key_groups[1].kms[0].context.sort();
        assert_eq!(back, want);
    }

    #[test]
    fn bad_names_are_errors() {
        assert!(unflatten(&[("a__list_x".into(), "1".into())]).is_err());
        assert!(unflatten(&[("a__list_99999999".into(), "1".into())]).is_err());
    }
}
