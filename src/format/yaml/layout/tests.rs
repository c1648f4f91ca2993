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
    let (plain, mut layout) = parsed(text, Mode::Plain);
    let spellings = layout.spellings_of(&plain);
    layout.spellings = spellings.clone();
    assert_eq!(write(&plain, None, &layout), text, "unchanged tree");
    let mut doc = plain.clone();
    fake_encrypt(&mut doc);
    let encrypted = write(&doc, Some(&metadata()), &layout);
    let (read, mut enc_layout) = parsed(&encrypted, Mode::Encrypted);
    enc_layout.spellings = spellings;
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

/// Random YAML in the styles people write: 2-4 space indents, quoted and plain values,
/// flow collections, block scalars, comments (whole-line and trailing), blank lines,
/// several documents, no final newline.
mod random {
    use super::*;
    use proptest::prelude::*;

    struct Gen {
        state: u64,
        unit: usize,
        out: String,
        keys: usize,
    }

    impl Gen {
        /// xorshift64*: one proptest seed gives one document.
        fn next(&mut self, n: u64) -> u64 {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.next(from.len() as u64) as usize]
        }

        fn key(&mut self) -> String {
            self.keys += 1;
            let suffix = self.pick(&["", "_id", "-x", ".y"]);
            format!("k{}{suffix}", self.keys)
        }

        fn scalar(&mut self, flow: bool) -> String {
            let w = self.pick(&[
                "web",
                "db.internal",
                "s3cret pass",
                "it's",
                "a: b",
                "#x",
                "日本",
                "v1.2",
            ]);
            match self.next(9) {
                0 => format!("'{}'", w.replace('\'', "''")),
                1 => format!("\"{}\"", w.replace('"', "\\\"")),
                2 => "\"tab\\there \\u00e9\"".into(),
                3 => self.pick(&["42", "-7", "0x1F", "1_000", "0o17"]).into(),
                4 => self.pick(&["1.50", "1e3", "-0.0", ".5", "3.14"]).into(),
                5 => self.pick(&["true", "false", "yes", "~", "null"]).into(),
                6 => "2024-01-02T03:04:05Z".into(),
                7 if !flow => "\"\"".into(),
                _ => self
                    .pick(&["plain", "with-dash", "path/to/x", "ENV_VAR"])
                    .into(),
            }
        }

        fn flow(&mut self, depth: usize) -> String {
            let n = self.next(4) as usize;
            if self.next(2) == 0 || depth > 1 {
                let items: Vec<String> = (0..n).map(|_| self.scalar(true)).collect();
                format!("[{}]", items.join(", "))
            } else {
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let k = self.key();
                        format!("{k}: {}", self.scalar(true))
                    })
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        }

        fn pad(&mut self, col: usize) {
            self.out.push_str(&" ".repeat(col));
        }

        fn comment(&mut self, col: usize) {
            if self.next(4) == 0 {
                self.pad(col);
                let n = self.next(100);
                self.out.push_str(&format!("# note {n}\n"));
            }
            if self.next(6) == 0 {
                self.out.push('\n');
            }
        }

        fn trailing(&mut self) {
            if self.next(5) == 0 {
                self.out.push_str("   # trailing");
            }
            self.out.push('\n');
        }

        fn block(&mut self, col: usize) {
            let header = self.pick(&["|", "|-", "|+", ">", ">-"]);
            self.out.push_str(header);
            self.out.push('\n');
            for i in 0..1 + self.next(3) {
                if i > 0 && self.next(4) == 0 {
                    self.out.push('\n');
                }
                self.pad(col);
                // Only later lines may be more indented (the first sets the indentation).
                let line = if i == 0 {
                    self.pick(&["first line", "second: x", "last"])
                } else {
                    self.pick(&["first line", "second: x", "  indented", "last"])
                };
                self.out.push_str(line);
                self.out.push('\n');
            }
        }

        fn map(&mut self, col: usize, depth: usize) {
            for _ in 0..1 + self.next(4) {
                self.comment(col);
                self.pad(col);
                let k = self.key();
                self.out.push_str(&k);
                self.out.push(':');
                self.value(col, depth);
            }
        }

        fn value(&mut self, col: usize, depth: usize) {
            match self.next(if depth > 2 { 4 } else { 7 }) {
                0 | 1 => {
                    let v = self.scalar(false);
                    self.out.push(' ');
                    self.out.push_str(&v);
                    self.trailing();
                }
                2 => {
                    let v = self.flow(depth);
                    self.out.push(' ');
                    self.out.push_str(&v);
                    self.trailing();
                }
                3 => {
                    self.out.push(' ');
                    self.block(col + self.unit);
                }
                4 => {
                    self.out.push('\n');
                    self.map(col + self.unit, depth + 1);
                }
                _ => {
                    self.out.push('\n');
                    let dash = col + if self.next(2) == 0 { 0 } else { self.unit };
                    for _ in 0..1 + self.next(3) {
                        self.comment(dash);
                        self.pad(dash);
                        self.out.push_str("- ");
                        if self.next(3) == 0 && depth < 3 {
                            let k = self.key();
                            self.out.push_str(&k);
                            self.out.push(':');
                            self.value(dash + 2, depth + 1);
                        } else {
                            let v = self.scalar(false);
                            self.out.push_str(&v);
                            self.trailing();
                        }
                    }
                }
            }
        }
    }

    fn document(seed: u64) -> String {
        let mut g = Gen {
            state: seed | 1,
            unit: 2,
            out: String::new(),
            keys: 0,
        };
        g.unit = 2 + g.next(3) as usize;
        if g.next(4) == 0 {
            g.out.push_str("# head\n\n");
        }
        g.map(0, 0);
        if g.next(3) == 0 {
            g.out.push_str("---\n");
            g.map(0, 0);
        }
        if g.next(4) == 0 {
            g.out.pop(); // no final newline
        }
        g.out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn random_documents_round_trip_through_encryption(seed in any::<u64>()) {
            let text = document(seed);
            let p = parse(text.as_bytes(), Mode::Plain);
            prop_assert!(p.is_ok(), "generated YAML does not parse:\n{}", text);
            prop_assert!(matches!(p.unwrap().layout, Some(Layout::Yaml(_))), "no layout for:\n{}", text);
            round_trip(&text);
        }
    }
}
