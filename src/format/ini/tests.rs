//! Tests of the INI store: go-ini's reading rules, sops' layout, and files that keep
//! their own layout through encryption and decryption.

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
    let input = std::fs::read_to_string(format!("{BASE}/sops-generated/input/basic.ini")).unwrap();
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

fn layout_of(p: &Parsed) -> &IniLayout {
    match p.layout.as_ref() {
        Some(crate::format::Layout::Ini(l)) => l,
        other => panic!("no INI layout: {other:?}"),
    }
}

/// `doc` with its values and comments replaced as encryption does (every `step`-th
/// leaf, the others left in clear), each by a distinct text so that pairing shows.
fn seal(doc: &Document, step: usize) -> Document {
    let mut sealed = doc.clone();
    let mut n = 0;
    for e in sealed.branches.iter_mut().flatten() {
        if let Entry::Pair(_, Value::Map(entries)) = e {
            for x in entries {
                n += 1;
                if n % step != 0 {
                    continue;
                }
                match x {
                    Entry::Comment(c) => c.0 = format!("ENC[AES256_GCM,data:c{n},type:comment]"),
                    Entry::Pair(_, v) => {
                        *v = Value::str(format!("ENC[AES256_GCM,data:v{n},type:str]"))
                    }
                }
            }
        }
    }
    sealed
}

fn meta() -> Value {
    Value::Map(vec![Entry::Pair("version".into(), Value::str("3.11.0"))])
}

/// Encrypts `text` in its layout and decrypts it again; returns the encrypted text.
fn kept(text: &str, step: usize) -> String {
    let p = parse(text.as_bytes()).unwrap();
    assert!(p.layout.is_some(), "no layout for {text:?}");
    let sealed = seal(&p.doc, step);
    let enc =
        String::from_utf8(emit_in_layout(&sealed, Some(&meta()), layout_of(&p)).unwrap()).unwrap();
    let again = parse(enc.as_bytes()).unwrap();
    assert!(again.doc == sealed, "{text:?} reads back otherwise:\n{enc}");
    assert_eq!(again.metadata, Some(meta()), "{text:?}");
    let back = emit_in_layout(&p.doc, None, layout_of(&again)).unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), text, "encrypted:\n{enc}");
    enc
}

const KEPT: [&str; 10] = [
    "; ini file comment\n[database]\n; comment on host\nhost = db.example.com\nport=5432\npassword   =   s3cr3t\nempty =\nunicode = héllo ☃\n\n[service]\nratio = 1.0\n",
    "[q]\nd = \"double quoted\"\ns = 'single'\nb = `back;tick # x`\nt = \"\"\"triple\"\"\"\nm = \"\"\"line one\nline two\n  line three\"\"\"\nspaced   =    padded value   \n",
    "# hash comment\n;; two markers\n\n   ; indented after a blank\ntop = 1\nother = 2 # inline\n[s]\n\n;;;;;;;\n; banner\n;;;;;;;\n\n; para\n\nk: v\n",
    "a = 1\n[DEFAULT]\nb = 2\n[x]\nc = 3\n[DEFAULT]\nd = 4\n",
    "[s]\nk = v",
    "; c\r\n[s]\r\nk = v\r\n; multi\r\n\t; line\r\nm = \"\"\"a\r\nb\"\"\"\r\n",
    "[s]\nnone =\nspace = \nquoted = \"\"\ninline = ; note\n",
    "\n\n[s]\nk=v\n\n\n",
    ";\n[s]\n#\nk = v\n[empty]\n",
    "[s]\n\t# git style\n\tname = A. Person\n\temail = a@example.com\n[t]\n\tk = \"x\" ; why\n",
];

#[test]
fn layout_round_trips_byte_for_byte() {
    for text in KEPT {
        for step in [1, 2, 3] {
            kept(text, step);
        }
    }
}

#[test]
fn only_value_and_comment_texts_change() {
    let enc = kept("; a\n\n;  b\n[s]\nk = v ; c\n", 1);
    assert_eq!(
        enc,
        "; ENC[AES256_GCM,data:c1,type:comment]\n\n \n[s]\n\
         k = ENC[AES256_GCM,data:v2,type:str] ; ENC[AES256_GCM,data:c3,type:comment]\n\
         \n[sops]\nversion = 3.11.0\n"
    );
    // Without a final line break, and with CRLF: the `[sops]` section in the file's own
    // line breaks, cut again on the way back.
    assert!(kept("[s]\nk = v", 1)
        .ends_with("k = ENC[AES256_GCM,data:v1,type:str]\n[sops]\nversion = 3.11.0\n"));
    assert!(kept("[s]\r\nk = v\r\n", 1).ends_with("str]\r\n\r\n[sops]\r\nversion = 3.11.0\r\n"));
    // Secrets are gone from the encrypted text.
    let enc = kept(KEPT[0], 1);
    for secret in ["s3cr3t", "ini file", "héllo", "5432"] {
        assert!(!enc.contains(secret), "{secret} in\n{enc}");
    }
}

#[test]
fn no_layout_when_text_outside_the_tree_would_stay_in_clear() {
    for text in [
        "[s]\nk = 1\nk = 2\n",
        "[s]\nk = 1\n; dropped by go-ini\n",
        "[s]\nk = `v` ignored\n",
        "[s]\nk = \"\"\"v\"\"\" ignored\n",
        "[s] ignored\nk = v\n",
        "[s]\n; above\nk = v ; inline\n",
        "; one\n[DEFAULT]\n; two\n[DEFAULT]\nk = v\n",
        // A blank line ending in a space inside a block reads like a ghost line.
        "[s]\n; a\n  \n; b\nk = v\n",
        // A multi-line value with mixed line breaks cannot come back exactly.
        "[s]\nm = \"\"\"a\r\nb\nc\"\"\"\n",
    ] {
        let p = parse(text.as_bytes()).unwrap();
        assert!(p.layout.is_none(), "{text:?}");
    }
}

#[test]
fn another_shape_is_laid_out_as_sops_does() {
    let p = parse(b"[s]\nk   =   v\n").unwrap();
    let mut doc = p.doc.clone();
    if let Some(Entry::Pair(_, Value::Map(m))) = doc.branches[0].get_mut(1) {
        m.push(Entry::Pair("new".into(), Value::str("x")));
    }
    let l = layout_of(&p);
    assert!(l.fits(&p.doc) && !l.fits(&doc));
    let out = emit_in_layout(&doc, Some(&meta()), l).unwrap();
    assert_eq!(out, emit(&doc, Some(&meta())).unwrap());
}

#[test]
fn a_value_that_no_longer_fits_its_quoting_is_quoted_again() {
    let p = parse(b"[s]\nk = v\nm = x\n").unwrap();
    let mut doc = p.doc.clone();
    if let Some(Entry::Pair(_, Value::Map(m))) = doc.branches[0].get_mut(1) {
        m[0] = Entry::Pair("k".into(), Value::str(" a;b "));
        m[1] = Entry::Pair("m".into(), Value::str("two\nlines"));
    }
    let out = emit_in_layout(&doc, None, layout_of(&p)).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "[s]\nk = ` a;b `\nm = \"\"\"two\nlines\"\"\"\n"
    );
}

#[test]
fn errors_and_debug_never_show_a_value() {
    match parse(b"[s]\nk = \"\"\"s3cr3t\n").unwrap_err() {
        FormatError::Syntax { line, message, .. } => {
            assert_eq!(line, 2);
            assert!(!message.contains("s3cr3t"));
        }
        other => panic!("{other:?}"),
    }
    let p = parse(b"[s]\npassword = s3cr3t\n").unwrap();
    let shown = format!("{:?}", p.layout);
    assert!(
        shown.contains("IniLayout(") && !shown.contains("s3cr3t"),
        "{shown}"
    );
}

/// One line of an INI file, for the property tests.
const LINE: &str = "[ \t]{0,2}(\\[[a-c]\\]|[;#][;# ]{0,2}[a-z]{0,3}|[a-f] ?[=:] ?(v|\"q\"|'s'|`b;`|\"\"\"t\"\"\"|\"\"\"m|)( ?[;#] ?c)?|m\"\"\"|)[ ]?";

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

    /// Files made of typical lines (blocks of comments, quotes, inline comments,
    /// multi-line values, blank and ghost-like lines) keep their layout byte for byte.
    #[test]
    fn line_soup_round_trips(
        lines in proptest::collection::vec(LINE, 0..12),
        crlf in any::<bool>(),
        final_break in any::<bool>(),
        step in 1usize..4,
    ) {
        let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
        if final_break {
            text.push('\n');
        }
        if let Ok(p) = parse(text.as_bytes()) {
            if p.layout.is_some() {
                kept(&text, step);
            }
        }
    }

    /// Whatever keeps its layout comes back byte for byte, in clear or encrypted.
    #[test]
    fn kept_layouts_round_trip(s in "[\\[\\]a-z=:;#\"'` \t\r\n]{0,80}", step in 1usize..4) {
        if let Ok(p) = parse(s.as_bytes()) {
            if p.layout.is_some() && p.metadata.is_none() {
                kept(&s, step);
            }
        }
    }
}
