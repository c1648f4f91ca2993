//! INI store with go-ini v1 semantics, as sops' INI store (sops-format §8.4).
//!
//! The tree is one top-level entry per section (`DEFAULT` first, holding keys that
//! come before any header); each section maps keys to strings. A comment block
//! above a section header is the section's first item; a comment block above a key
//! (and an inline `; comment`) sits right after that key, which is where go-ini
//! keeps it. Output aligns `=` within each section, as go-ini's pretty format does.
//! Metadata is the `[sops]` section, flattened.

use super::{dotenv::value_text, flatten, FormatError, Parsed};
use crate::document::{map_get, Comment, Document, Entry, Map, Value};

const DEFAULT: &str = "DEFAULT";

struct Section {
    name: String,
    comment: Option<String>,
    /// Key, value, comment attached to the key.
    keys: Vec<(String, String, Option<String>)>,
}

/// sops strips the comment marker and following spaces from the first line.
fn strip_comment_char(c: &str) -> String {
    if let Some(rest) = c.strip_prefix(';') {
        rest.trim_start_matches([';', ' ']).to_string()
    } else if let Some(rest) = c.strip_prefix('#') {
        rest.trim_start_matches(['#', ' ']).to_string()
    } else {
        c.to_string()
    }
}

fn has_surrounding(s: &str, q: char) -> bool {
    s.len() >= 2 && s.starts_with(q) && s.ends_with(q)
}

/// Parses sections; reads a value (and an inline comment) the way go-ini does.
fn parse_sections(text: &str) -> Result<Vec<Section>, FormatError> {
    let mut sections = vec![Section {
        name: DEFAULT.into(),
        comment: None,
        keys: Vec::new(),
    }];
    let mut pending = String::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim_end_matches('\r').trim_start();
        i += 1;
        if line.is_empty() {
            continue;
        }
        if line.starts_with(';') || line.starts_with('#') {
            if !pending.is_empty() {
                pending.push('\n');
            }
            pending.push_str(line);
            continue;
        }
        if line.starts_with('[') {
            let close = line
                .find(']')
                .ok_or_else(|| FormatError::syntax(lineno, 1, "unclosed section header"))?;
            let name = line[1..close].trim().to_string();
            let comment = (!pending.is_empty()).then(|| std::mem::take(&mut pending));
            if name == DEFAULT {
                if comment.is_some() {
                    sections[0].comment = comment;
                }
                continue;
            }
            sections.push(Section {
                name,
                comment,
                keys: Vec::new(),
            });
            continue;
        }
        let delim = line.find(['=', ':']).ok_or_else(|| {
            FormatError::syntax(
                lineno,
                1,
                "expected key = value, a [section] or a ; comment",
            )
        })?;
        let key = line[..delim].trim().to_string();
        if key.is_empty() {
            return Err(FormatError::syntax(lineno, 1, "empty key name"));
        }
        let raw = line[delim + 1..].trim_start();
        let value = if let Some(body) = raw.strip_prefix("\"\"\"") {
            // Multi-line value up to the closing """.
            match body.find("\"\"\"") {
                Some(end) => body[..end].to_string(),
                None => {
                    let mut v = body.to_string();
                    loop {
                        let next = lines.get(i).ok_or_else(|| {
                            FormatError::syntax(lineno, 1, "unterminated \"\"\" value")
                        })?;
                        i += 1;
                        v.push('\n');
                        match next.find("\"\"\"") {
                            Some(end) => {
                                v.push_str(&next[..end]);
                                break v;
                            }
                            None => v.push_str(next.trim_end_matches('\r')),
                        }
                    }
                }
            }
        } else if let Some(body) = raw.strip_prefix('`') {
            match body.rfind('`') {
                Some(end) => body[..end].to_string(),
                None => return Err(FormatError::syntax(lineno, 1, "unterminated ` value")),
            }
        } else {
            let mut v = raw.trim().to_string();
            if let Some(c) = v.find(['#', ';']) {
                pending.push_str(&v[c..]);
                v = v[..c].trim().to_string();
            }
            if has_surrounding(&v, '"') || has_surrounding(&v, '\'') {
                v = v[1..v.len() - 1].to_string();
            }
            v
        };
        let comment = (!pending.is_empty()).then(|| std::mem::take(&mut pending));
        let section = sections.last_mut().expect("DEFAULT always exists");
        // go-ini keeps one key per name: the last value wins, in the first position.
        match section.keys.iter_mut().find(|(k, _, _)| *k == key) {
            Some(existing) => {
                existing.1 = value;
                if comment.is_some() {
                    existing.2 = comment;
                }
            }
            None => section.keys.push((key, value, comment)),
        }
    }
    Ok(sections)
}

/// Parses INI sections; the `[sops]` section becomes the metadata.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = super::text_of(bytes)?;
    let mut map = Map::new();
    let mut metadata = None;
    for s in parse_sections(text)? {
        if s.name == "sops" {
            let pairs: Vec<(String, String)> = s.keys.into_iter().map(|(k, v, _)| (k, v)).collect();
            metadata = Some(flatten::unflatten(&pairs)?);
            continue;
        }
        let mut items = Map::new();
        if let Some(c) = s.comment {
            items.push(Entry::Comment(Comment(strip_comment_char(&c))));
        }
        for (k, v, c) in s.keys {
            items.push(Entry::Pair(k, Value::str(v)));
            if let Some(c) = c {
                items.push(Entry::Comment(Comment(strip_comment_char(&c))));
            }
        }
        map.push(Entry::Pair(s.name, Value::Map(items)));
    }
    Ok(Parsed {
        layout: None,
        doc: Document {
            branches: vec![map],
        },
        metadata,
    })
}

fn write_comment(out: &mut String, comment: &str) {
    for line in comment.split('\n') {
        if line.starts_with(';') || line.starts_with('#') {
            out.push_str(&line[..1]);
            out.push(' ');
            out.push_str(line[1..].trim());
        } else {
            out.push_str("; ");
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// A value quoted the way go-ini writes it when it would not read back as is.
fn quote_value(v: &str) -> String {
    if v.contains(['\n', '`']) {
        format!("\"\"\"{v}\"\"\"")
    } else if v.contains(['#', ';']) {
        format!("`{v}`")
    } else if v.trim() != v {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

struct OutSection<'a> {
    name: &'a str,
    comment: Option<&'a str>,
    keys: Vec<(String, String, Option<String>)>,
}

/// Emits INI sections, with a `[sops]` section last when `metadata` is given.
pub fn emit(doc: &Document, metadata: Option<&Value>) -> Result<Vec<u8>, FormatError> {
    let empty = Map::new();
    let branch = doc.branches.first().unwrap_or(&empty);
    let mut sections = Vec::new();
    for e in branch {
        let Entry::Pair(name, value) = e else {
            continue;
        };
        let Value::Map(items) = value else {
            return Err(FormatError::Emit(format!(
                "INI needs a section (a map) at the top level; {name:?} is not one"
            )));
        };
        let mut s = OutSection {
            name,
            comment: None,
            keys: Vec::new(),
        };
        for (i, item) in items.iter().enumerate() {
            match item {
                Entry::Comment(c) if i == 0 => s.comment = Some(&c.0),
                Entry::Comment(c) => {
                    if let Some(last) = s.keys.last_mut() {
                        last.2 = Some(c.0.clone());
                    }
                }
                Entry::Pair(k, v) => {
                    let text = match v {
                        Value::Scalar(sc) => value_text(sc),
                        Value::Null => "<nil>".into(),
                        _ => {
                            return Err(FormatError::Emit(format!(
                                "cannot write the nested value of {name}.{k} in an INI file"
                            )))
                        }
                    };
                    s.keys.push((k.clone(), text, None));
                }
            }
        }
        sections.push(s);
    }
    if let Some(m) = metadata {
        sections.push(OutSection {
            name: "sops",
            comment: None,
            keys: flatten::flatten(m)
                .into_iter()
                .map(|(k, v)| (k, v, None))
                .collect(),
        });
    }
    let mut out = String::new();
    let mut first = true;
    for s in &sections {
        let is_default = s.name == DEFAULT;
        if is_default && s.keys.is_empty() && s.comment.is_none() {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        if let Some(c) = s.comment {
            write_comment(&mut out, c);
        }
        if !is_default {
            out.push('[');
            out.push_str(s.name);
            out.push_str("]\n");
        }
        let align = s.keys.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
        for (k, v, c) in &s.keys {
            if let Some(c) = c {
                write_comment(&mut out, c);
            }
            out.push_str(k);
            for _ in k.len()..align {
                out.push(' ');
            }
            out.push_str(" = ");
            out.push_str(&quote_value(v));
            out.push('\n');
        }
    }
    Ok(out.into_bytes())
}

/// The value of `key` in `section`, for tests and tools.
pub fn get<'a>(doc: &'a Document, section: &str, key: &str) -> Option<&'a Value> {
    doc.branches
        .first()
        .and_then(|b| map_get(b, section))
        .and_then(|s| s.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

    fn round(text: &str) -> String {
        let p = parse(text.as_bytes()).unwrap();
        String::from_utf8(emit(&p.doc, p.metadata.as_ref()).unwrap()).unwrap()
    }

    /// The `[sops]` section's lines are in random order in sops' output: compare sorted.
    fn normalised(text: &str) -> (String, Vec<String>) {
        match text.split_once("[sops]\n") {
            Some((data, meta)) => {
                let mut lines: Vec<String> = meta
                    .lines()
                    .map(|l| {
                        let (k, v) = l.split_once('=').unwrap();
                        format!("{}={}", k.trim_end(), v.trim_start())
                    })
                    .collect();
                lines.sort();
                (data.to_string(), lines)
            }
            None => (text.to_string(), Vec::new()),
        }
    }

    #[test]
    fn fixtures_round_trip() {
        for name in [
            "a-age",
            "b-shamir",
            "c-encrypted-regex",
            "d-mac-only",
            "e-pgp-age",
        ] {
            let enc = std::fs::read_to_string(format!(
                "{BASE}/sops-generated/encrypted/basic.{name}.enc.ini"
            ))
            .unwrap();
            assert_eq!(normalised(&round(&enc)), normalised(&enc), "{name}");
            let dec = std::fs::read_to_string(format!(
                "{BASE}/sops-generated/expected/basic.{name}.dec.ini"
            ))
            .unwrap();
            assert_eq!(round(&dec), dec, "{name}");
        }
        let input =
            std::fs::read_to_string(format!("{BASE}/sops-generated/input/basic.ini")).unwrap();
        let want = std::fs::read_to_string(format!(
            "{BASE}/sops-generated/expected/basic.a-age.dec.ini"
        ))
        .unwrap();
        assert_eq!(round(&input), want);
    }

    #[test]
    fn metadata_with_multiline_values() {
        let text = std::fs::read_to_string(format!(
            "{BASE}/sops-upstream/v3.13.2/functional-tests/res/format-2.enc.ini"
        ))
        .unwrap();
        let p = parse(text.as_bytes()).unwrap();
        let m = p.metadata.unwrap();
        let enc = m.get("pgp").and_then(|l| match l {
            Value::Seq(items) => items[0].get("enc"),
            _ => None,
        });
        assert!(enc.and_then(Value::as_str).unwrap().contains("\n"));
    }

    #[test]
    fn go_ini_value_rules() {
        let p = parse(b"top = 1\n[s]\na = \"quoted\"\nb = x ; note\nb = y\nc: z\n").unwrap();
        assert_eq!(
            get(&p.doc, "DEFAULT", "top").and_then(Value::as_str),
            Some("1")
        );
        assert_eq!(
            get(&p.doc, "s", "a").and_then(Value::as_str),
            Some("quoted")
        );
        assert_eq!(get(&p.doc, "s", "b").and_then(Value::as_str), Some("y"));
        assert_eq!(get(&p.doc, "s", "c").and_then(Value::as_str), Some("z"));
        assert!(matches!(
            parse(b"[s]\nnovalue\n").unwrap_err(),
            FormatError::Syntax { line: 2, .. }
        ));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_near_ini(s in "[\\[\\]a-z=:;#\"` \n]{0,80}") {
            if let Ok(p) = parse(s.as_bytes()) {
                let _ = emit(&p.doc, p.metadata.as_ref());
            }
        }
    }
}
