//! A small YAML writer for rendered output (`| yaml`, Kubernetes manifests).
//!
//! Strings are written plain only when every YAML reader, 1.1 or 1.2, reads them back
//! as the same string: `yes`, `on`, `0x1F`, `1e3` or `~` are quoted. Anything else is
//! double-quoted with JSON escapes, which is valid YAML.

use super::template::Val;

/// Appends `v` as block YAML at `indent` (maps and lists on their own lines; a scalar
/// as one token).
pub fn write(v: &Val, indent: usize, out: &mut String) {
    match v {
        Val::Map(m) if !m.is_empty() => {
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(&scalar(k));
                out.push(':');
                nested(item, indent, out);
            }
        }
        Val::List(l) if !l.is_empty() => {
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str("- ");
                write(item, indent + 2, out);
            }
        }
        Val::Map(_) => out.push_str("{}"),
        Val::List(_) => out.push_str("[]"),
        Val::Str(s) => out.push_str(&scalar(s)),
        Val::Bytes(b) => out.push_str(&scalar(&String::from_utf8_lossy(b))),
        Val::Null | Val::Missing(..) => out.push_str("null"),
        other => out.push_str(&other.text().map(|t| t.to_string()).unwrap_or_default()),
    }
}

/// The value after `key:`: scalars on the same line, collections below.
fn nested(v: &Val, indent: usize, out: &mut String) {
    match v {
        Val::Map(m) if !m.is_empty() => {
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
            write(v, indent + 2, out);
        }
        Val::List(l) if !l.is_empty() => {
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
            write(v, indent + 2, out);
        }
        _ => {
            out.push(' ');
            write(v, indent, out);
        }
    }
}

/// A string as a YAML scalar: plain when that is safe, double-quoted otherwise.
pub fn scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let safe_char = |c: char| {
        c.is_ascii_alphanumeric() || "_-./@:+ ".contains(c) || !c.is_ascii() && !c.is_control()
    };
    if !s.chars().all(safe_char)
        || !(first.is_ascii_alphanumeric()
            || first == '_'
            || first == '/'
            || first == '.' && s.len() > 1
            || !first.is_ascii())
        || s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", ".nan", "-.inf",
        "+.inf",
    ];
    if WORDS.contains(&lower.as_str()) {
        return false;
    }
    // Anything a reader might take for a number (ints, floats, octal, hex, sexagesimal).
    let numberish = s
        .chars()
        .all(|c| c.is_ascii_hexdigit() || "xXoO._+-:".contains(c))
        && s.chars().any(|c| c.is_ascii_digit());
    !numberish
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_a_reader_would_retype() {
        for s in [
            "",
            "yes",
            "No",
            "ON",
            "y",
            "true",
            "null",
            "~",
            "123",
            "1e3",
            "0x1F",
            "0o17",
            "1_000",
            "12:30",
            "-1",
            ".5",
            "a: b",
            "a #b",
            "trailing ",
            "-dash",
            "*star",
            "&a",
            "!t",
            "%p",
            "@at",
            "`b",
            "'q",
            "\"q",
            "{x}",
            "[x]",
            "a\nb",
            "tab\t",
            "x:",
        ] {
            assert!(scalar(s).starts_with('"'), "{s:?} left plain");
            let back: String = serde_json::from_str(&scalar(s)).unwrap();
            assert_eq!(back, s);
        }
        for s in [
            "app",
            "http://api:8080",
            "a.example.com",
            "/etc/x",
            "p@ss",
            "käse",
            "a b",
            "v1.2.3",
        ] {
            assert_eq!(scalar(s), s);
        }
    }

    #[test]
    fn block_layout() {
        let v = Val::Map(vec![
            ("a".into(), Val::str("x")),
            ("list".into(), Val::List(vec![Val::str("1"), Val::Int(2)])),
            (
                "m".into(),
                Val::Map(vec![
                    ("k".into(), Val::Bool(true)),
                    (
                        "items".into(),
                        Val::List(vec![Val::Map(vec![
                            ("name".into(), Val::str("a")),
                            ("v".into(), Val::Null),
                        ])]),
                    ),
                ]),
            ),
            ("e".into(), Val::List(vec![])),
        ]);
        let mut out = String::new();
        write(&v, 0, &mut out);
        assert_eq!(
            out,
            "a: x\nlist:\n  - \"1\"\n  - 2\nm:\n  k: true\n  items:\n    - name: a\n      v: null\ne: []"
        );
    }
}
