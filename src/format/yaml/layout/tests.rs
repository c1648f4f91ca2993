//! Layout tests: what parsing records and what writing back gives, without a cipher
//! (encrypted values are stand-in `ENC[...]` strings).

use super::*;
use crate::document::{Comment, Scalar};
use crate::format::yaml::{emit_in_layout, parse};
use crate::format::{EmitOptions, Layout, Parsed};

const ENC: &str = "ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]";

fn parsed(text: &str, mode: Mode) -> (Document, YamlLayout) {
    let Parsed { doc, layout, .. } = parse(text.as_bytes(), mode).unwrap();
    match layout {
        Some(Layout::Yaml(l)) => (doc, l),
        other => panic!("no YAML layout for:\n{text}\n{other:?}"),
    }
}

fn write(doc: &Document, meta: Option<&Value>, layout: &YamlLayout) -> String {
    String::from_utf8(emit_in_layout(doc, meta, &EmitOptions::default(), layout).unwrap()).unwrap()
}

/// Every string leaf (and comment) replaced by a stand-in ciphertext, as encryption does.
fn fake_encrypt(doc: &mut Document) {
    fn value(v: &mut Value) {
        match v {
            Value::Map(m) => map(m),
            Value::Seq(items) => items.iter_mut().for_each(value),
            // Empty strings stay empty, as sops leaves them.
            Value::Scalar(Scalar::Str(t)) if t.is_empty() => {}
            Value::Scalar(_) => *v = Value::str(ENC),
            Value::Comment(c) => *c = Comment(ENC.into()),
            Value::Null => {}
        }
    }
    fn map(m: &mut Map) {
        for e in m {
            match e {
                Entry::Pair(_, v) => value(v),
                Entry::Comment(c) => *c = Comment(ENC.into()),
            }
        }
    }
    doc.branches.iter_mut().for_each(map);
}

fn metadata() -> Value {
    Value::Map(vec![
        Entry::Pair("lastmodified".into(), Value::str("2026-01-01T00:00:00Z")),
        Entry::Pair("version".into(), Value::str("3.11.0")),
    ])
}

/// Plaintext -> "encrypted" file -> plaintext, checking the file reads back as the same
/// tree and comes back byte for byte.
fn round_trip(text: &str) -> String {
    let (plain, layout) = parsed(text, Mode::Plain);
    assert_eq!(write(&plain, None, &layout), text, "unchanged tree");
    let mut doc = plain.clone();
    fake_encrypt(&mut doc);
    let encrypted = write(&doc, Some(&metadata()), &layout);
    let (read, enc_layout) = parsed(&encrypted, Mode::Encrypted);
    assert!(
        read == doc,
        "the encrypted file reads back differently:\n{encrypted}"
    );
    let back = write(&plain, None, &enc_layout);
    assert_eq!(
        back, text,
        "decrypted bytes differ; encrypted file:\n{encrypted}"
    );
    encrypted
}

#[test]
fn styles_comments_and_markers_come_back_byte_for_byte() {
    for text in [
        "a: 1\n",
        "a: 1",
        "# top\n\nkey:   value   # trailing\nother: 'single'\n\n\nq: \"dou\\\"ble\"\n",
        "list: [a, \"b\", 'c', 42, {k: v, n: \"x\"}]\nmap: {app: web, tier: \"backend\"}\n",
        "x:\n  - a\n  # between\n  - b\n  # after\ny: z\n",
        "a:\n    b:\n        c: 1\n    # sinks into b\n",
        "%YAML 1.2\n---\na: 1\n...\n---\n# second\nb: two\n",
        "a: 1\n---\nb: 2\n",
        "lit: |\n  line one\n    indented\n\n  after blank\nnext: x\n",
        "strip: |-\n    s\nkeep: |+\n    k\n\n\nclip: |\n    c\n",
        "ind: |2\n    two extra\n  base\nz: 1\n",
        "folded: >\n  one two\n\n  three\nz: 1\n",
        "folded_strip: >-\n  one\nz: 1\n",
        "empty_block: |\nz: 1\n",
        "tagged: !!str 123\nanchored: &a plain\nnull_value:\ntilde: ~\n",
        "ümlaut: \"Grüße\"  # ☃ comment\nja: 日本語\n",
        "seq:\n- a\n- b: 1\n  c: 2\n",
    ] {
        round_trip(text);
    }
}

#[test]
fn the_sops_block_goes_before_the_first_key_in_the_files_indentation() {
    let enc = round_trip("# head\n\nserver:\n    port: 8080\n# foot\n");
    assert!(enc.starts_with("#"), "{enc}");
    let sops_at = enc.find("\nsops:\n    lastmodified:").unwrap();
    assert!(sops_at < enc.find("server:").unwrap(), "{enc}");
    let enc = round_trip("a:\n  b: 1\n---\nc: 2\n");
    assert_eq!(enc.matches("sops:\n  lastmodified:").count(), 2, "{enc}");
}

#[test]
fn encrypted_values_keep_their_style() {
    let enc = round_trip("a: x\nb: 'y'\nc: \"z\"\nd: [p, \"q\"]\ne: |\n  l\n");
    for line in [
        format!("a: {ENC}"),
        format!("b: '{ENC}'"),
        format!("c: \"{ENC}\""),
        format!("d: [\"{ENC}\", \"{}\\x5D\"]", &ENC[..ENC.len() - 1]),
        format!("e: |\n  {ENC}\n"),
    ] {
        assert!(enc.contains(&line), "{line} not in:\n{enc}");
    }
}

#[test]
fn fast_and_full_parsers_record_the_same_slots() {
    let text = "# c\na: 1\nb:\n  - x\n  # in list\n  - \"q\"\nc: |\n  l\n---\nd: e\n";
    let mut fast_rec = Recorder::new(Mode::Plain);
    assert!(super::super::fast::parse(text, &mut fast_rec).is_some());
    let mut full_rec = Recorder::new(Mode::Plain);
    super::super::parse::parse_documents(text, &mut full_rec).unwrap();
    assert_eq!(fast_rec.slots, full_rec.slots);
    assert_eq!(fast_rec.docs, full_rec.docs);
}

#[test]
fn changed_values_are_written_in_their_slot_or_the_file_is_laid_out_afresh() {
    let (mut doc, layout) = parsed("a: 1\nb: |\n  x\nc: [p]\n", Mode::Plain);
    doc.branches[0][0] = Entry::Pair("a".into(), Value::str("needs: quotes"));
    doc.branches[0][2] = Entry::Pair("c".into(), Value::Seq(vec![Value::str("a,b")]));
    assert_eq!(
        write(&doc, None, &layout),
        "a: \"needs: quotes\"\nb: |\n  x\nc: [\"a,b\"]\n"
    );
    // A value its block header cannot hold (no final line break under `|`).
    doc.branches[0][1] = Entry::Pair("b".into(), Value::str("no break"));
    assert_eq!(
        write(&doc, None, &layout),
        "a: 'needs: quotes'\nb: no break\nc:\n    - a,b\n"
    );
    // Another shape.
    doc.branches[0].push(Entry::Pair("new".into(), Value::str("v")));
    assert!(write(&doc, None, &layout).contains("new: v"));
}

#[test]
fn aliases_stay_while_their_anchor_is_in_clear() {
    let text = "base: &b\n  x: 1\nother:\n  <<: *b\n  y: 2\nref: *b\n";
    let (doc, layout) = parsed(text, Mode::Plain);
    assert_eq!(layout.alias_to_encrypted(&doc), None);
    assert_eq!(write(&doc, None, &layout), text);
    let mut enc = doc.clone();
    fake_encrypt(&mut enc);
    // Stand-ins are all equal: make the anchor's value differ from its copies.
    if let Entry::Pair(_, Value::Map(m)) = &mut enc.branches[0][0] {
        m[0] = Entry::Pair("x".into(), Value::str("ENC[AES256_GCM,data:other]"));
    }
    assert_eq!(layout.alias_to_encrypted(&enc), Some((4, 7)));
}

#[test]
fn layouts_that_cannot_be_kept_are_refused() {
    // A flow top-level map has no line for the sops block.
    let p = parse(b"{a: 1}\n", Mode::Plain).unwrap();
    assert!(p.layout.is_none());
}

#[test]
fn block_headers_are_found_past_blank_lines_and_comments() {
    let text = "k: |-  # note | here\n\n  body\n";
    let body = text.find("body").unwrap();
    assert_eq!(
        block_header(text, body),
        Some((text.find('\n').unwrap() + 1, "|-"))
    );
    assert_eq!(block_header("k: \"a|b\"\n  x\n", 10), None);
}

#[test]
fn debug_shows_sizes_only() {
    let (_, layout) = parsed("password: hunter2\n", Mode::Plain);
    let shown = format!("{layout:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}
