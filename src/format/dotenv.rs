//! dotenv store, as sops' (sops-format §8.3): lines split on `\n` only, `#` in column
//! 0 starts a comment, the key is everything before the first `=` (spaces included),
//! the value everything after it verbatim, with `\n` as the one escape. Metadata
//! lives in `sops_`-prefixed lines.
//!
//! sops drops blank lines; enseal remembers where they were ([`DotenvLayout`]) and puts
//! them back when it writes the same file, so an encrypted file and its plaintext keep
//! their line structure. sops-written files have no blank lines, so their output is
//! unchanged.

use super::{flatten, FormatError, Parsed};
use crate::document::{number, Comment, Document, Entry, Map, Scalar, Value};

const PREFIX: &str = "sops_";

/// Where the blank lines of a dotenv file were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DotenvLayout {
    /// Blank lines before each entry (comment or pair), in order.
    blank_before: Vec<usize>,
    /// Blank lines after the last entry (before the `sops_` lines, if any).
    blank_after: usize,
}

/// Parses dotenv lines; `sops_*` lines become the metadata.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = super::text_of(bytes)?;
    let mut map = Map::new();
    let mut meta = Vec::new();
    let mut layout = DotenvLayout::default();
    let mut blanks = 0;
    // The empty piece after a final line break is not a blank line.
    let body = text.strip_suffix('\n').unwrap_or(text);
    for (i, line) in body.split('\n').enumerate() {
        if line.is_empty() {
            blanks += 1;
            continue;
        }
        if !line.starts_with(PREFIX) {
            layout.blank_before.push(std::mem::take(&mut blanks));
        }
        if let Some(c) = line.strip_prefix('#') {
            map.push(Entry::Comment(Comment(c.to_string())));
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| {
            FormatError::syntax(
                i + 1,
                1,
                "invalid dotenv line: expected KEY=value or a # comment",
            )
        })?;
        match key.strip_prefix(PREFIX) {
            Some(name) => meta.push((name.to_string(), value.to_string())),
            None => map.push(Entry::Pair(
                key.to_string(),
                Value::str(value.replace("\\n", "\n")),
            )),
        }
    }
    layout.blank_after = blanks;
    let metadata = if meta.is_empty() {
        None
    } else {
        Some(flatten::unflatten(&meta)?)
    };
    Ok(Parsed {
        layout: Some(super::Layout::Dotenv(layout)),
        doc: Document {
            branches: vec![map],
        },
        metadata,
    })
}

/// A non-string value as sops writes it in dotenv/INI (Go `ValToString`).
pub fn value_text(v: &Scalar) -> String {
    match v {
        Scalar::Str(s) => s.clone(),
        Scalar::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Float(f) => {
            let g = number::format_g(*f, true);
            if g.contains('.') || g.contains('E') || !f.is_finite() {
                g
            } else {
                format!("{g}.0")
            }
        }
        // Go formats times with seconds precision here.
        Scalar::Time(t) => match t.find('.') {
            Some(dot) => {
                let zone = t[dot..].find(['Z', '+', '-']);
                format!("{}{}", &t[..dot], zone.map(|z| &t[dot + z..]).unwrap_or(""))
            }
            None => t.clone(),
        },
    }
}

/// Emits dotenv lines, with sorted `sops_` lines when `metadata` is given, and the blank
/// lines of `layout` when it was read from a file with the same entries.
pub fn emit(
    doc: &Document,
    metadata: Option<&Value>,
    layout: Option<&DotenvLayout>,
) -> Result<Vec<u8>, FormatError> {
    let empty = Map::new();
    let branch = doc.branches.first().unwrap_or(&empty);
    let layout = layout.filter(|l| l.blank_before.len() == branch.len());
    // Bytes, not a String: values from the binary store may hold invalid UTF-8, which
    // sops writes through unchanged.
    let mut out: Vec<u8> = Vec::with_capacity(branch.len() * 48);
    for (i, e) in branch.iter().enumerate() {
        if let Some(l) = layout {
            out.extend(std::iter::repeat_n(b'\n', l.blank_before[i]));
        }
        match e {
            Entry::Comment(c) => {
                out.push(b'#');
                out.extend_from_slice(c.0.as_bytes());
            }
            Entry::Pair(k, v) => {
                out.extend_from_slice(k.as_bytes());
                out.push(b'=');
                match v {
                    Value::Scalar(Scalar::Str(s)) => {
                        out.extend_from_slice(s.replace('\n', "\\n").as_bytes())
                    }
                    Value::Scalar(Scalar::Bytes(b)) => {
                        for &byte in b {
                            if byte == b'\n' {
                                out.extend_from_slice(b"\\n");
                            } else {
                                out.push(byte);
                            }
                        }
                    }
                    Value::Scalar(s) => out.extend_from_slice(value_text(s).as_bytes()),
                    // sops prints Go's "<nil>" for a null.
                    Value::Null => out.extend_from_slice(b"<nil>"),
                    _ => {
                        return Err(FormatError::Emit(format!(
                            "cannot use complex value in dotenv file; offending key {k}"
                        )))
                    }
                }
            }
        }
        out.push(b'\n');
    }
    if let Some(l) = layout {
        out.extend(std::iter::repeat_n(b'\n', l.blank_after));
    }
    if let Some(m) = metadata {
        for (k, v) in flatten::flatten(m) {
            out.extend_from_slice(format!("{PREFIX}{k}={v}\n").as_bytes());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/sops-generated"
    );

    fn round(text: &str) -> String {
        let p = parse(text.as_bytes()).unwrap();
        String::from_utf8(emit(&p.doc, p.metadata.as_ref(), None).unwrap()).unwrap()
    }

    fn layout_of(p: &Parsed) -> Option<&DotenvLayout> {
        match p.layout.as_ref() {
            Some(crate::format::Layout::Dotenv(l)) => Some(l),
            _ => None,
        }
    }

    #[test]
    fn blank_lines_come_back_in_the_same_file() {
        let meta = Value::Map(vec![Entry::Pair("version".into(), Value::str("3.11.0"))]);
        for text in [
            "# db\nA=1\n\nB=2\n",
            "\n\nA=1\n\n\n# end\n\n",
            "A=1\nB=\n",
            "A=x\r\nB=y\r\n",
        ] {
            let p = parse(text.as_bytes()).unwrap();
            let out = emit(&p.doc, None, layout_of(&p)).unwrap();
            assert_eq!(String::from_utf8_lossy(&out), text, "{text:?}");
            // With the sops_ lines appended and read back: the same text without them.
            let with = emit(&p.doc, Some(&meta), layout_of(&p)).unwrap();
            let again = parse(&with).unwrap();
            assert!(again.metadata.is_some());
            let out = emit(&again.doc, None, layout_of(&again)).unwrap();
            assert_eq!(String::from_utf8_lossy(&out), text, "{text:?}");
        }
        // Another shape (a key added) falls back to sops' layout.
        let p = parse(b"A=1\n\nB=2\n").unwrap();
        let mut doc = p.doc.clone();
        doc.branches[0].push(Entry::Pair("C".into(), Value::str("3")));
        let out = emit(&doc, None, layout_of(&p)).unwrap();
        assert_eq!(out, b"A=1\nB=2\nC=3\n");
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
            let enc =
                std::fs::read_to_string(format!("{BASE}/encrypted/basic.{name}.enc.env")).unwrap();
            assert_eq!(round(&enc), enc, "{name}");
            let dec =
                std::fs::read_to_string(format!("{BASE}/expected/basic.{name}.dec.env")).unwrap();
            assert_eq!(round(&dec), dec, "{name}");
        }
        let input = std::fs::read_to_string(format!("{BASE}/input/basic.env")).unwrap();
        assert_eq!(
            round(&input),
            std::fs::read_to_string(format!("{BASE}/expected/basic.a-age.dec.env")).unwrap()
        );
    }

    #[test]
    fn rules() {
        assert_eq!(round("A=1\n\n#c\nB = x=y \n"), "A=1\n#c\nB = x=y \n");
        let err = parse(b"A=1\n  # indented\n").unwrap_err();
        assert!(matches!(err, FormatError::Syntax { line: 2, .. }));
        assert!(parse(b"A=1\nsops_version=3.11.0\n")
            .unwrap()
            .metadata
            .is_some());
        assert_eq!(value_text(&Scalar::Float(1.0)), "1.0");
        assert_eq!(value_text(&Scalar::Float(1e10)), "1E+10");
        assert_eq!(value_text(&Scalar::Float(1e-5)), "1E-05");
        assert_eq!(value_text(&Scalar::Float(123456.0)), "123456.0");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }
    }
}
