//! YAML store tests against the shared sops fixtures.

use super::*;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

fn round(text: &str) -> String {
    let p = parse(text.as_bytes(), crate::format::Mode::Plain).unwrap();
    String::from_utf8(emit(&p.doc, p.metadata.as_ref(), &EmitOptions::default()).unwrap()).unwrap()
}

#[test]
fn sops_written_files_round_trip_byte_for_byte() {
    let dir = format!("{SHARED}/sops-generated/encrypted");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(round(&text), text, "{}", path.display());
        }
    }
}

#[test]
fn sops_decrypted_outputs_round_trip() {
    for dir in [
        format!("{SHARED}/sops-generated/expected"),
        format!("{SHARED}/sops-upstream/expected"),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".yaml") || name.contains(".yaml.") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(round(&text), text, "{name}");
            }
        }
    }
}

#[test]
fn inputs_normalise_like_sops() {
    for (input, expected) in [
        ("basic.yaml", "basic.a-age.dec.yaml"),
        ("edge.yaml", "edge.a-age.dec.yaml"),
        ("multidoc.yaml", "multidoc.a-age.dec.yaml"),
    ] {
        let text =
            std::fs::read_to_string(format!("{SHARED}/sops-generated/input/{input}")).unwrap();
        let want = std::fs::read_to_string(format!("{SHARED}/sops-generated/expected/{expected}"))
            .unwrap();
        assert_eq!(round(&text), want, "{input}");
    }
}

/// Every YAML text the fast path accepts must give exactly the full parser's tree.
fn same_tree(text: &str, must_be_fast: bool) {
    let full = super::parse::parse_documents(
        text,
        &mut super::layout::Recorder::new(crate::format::Mode::Plain),
    );
    match super::fast::parse(
        text,
        &mut super::layout::Recorder::new(crate::format::Mode::Plain),
    ) {
        Some(fast) => assert!(
            full.as_ref().ok() == Some(&fast),
            "fast path differs on:\n{text}"
        ),
        None => assert!(!must_be_fast, "fast path refused:\n{text}"),
    }
}

#[test]
fn fast_path_agrees_with_the_full_parser_on_fixtures() {
    for dir in [
        "sops-generated/encrypted",
        "sops-generated/expected",
        "sops-generated/input",
        "sops-upstream/expected",
    ] {
        for entry in std::fs::read_dir(format!("{SHARED}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".yaml") || name.contains(".yaml.") {
                let text = std::fs::read_to_string(&path).unwrap();
                same_tree(
                    &text,
                    dir == "sops-generated/encrypted" && !name.starts_with("edge"),
                );
            }
        }
    }
    for text in [
        "a: 1\nb:\n  c: x\n  d:\n    - 1\n    - k: v\n      j: w\n# end\n",
        "a: |\n    x\n\n    y\n\nb: |+\n  kept\n\n\nc: |-\n  s\n",
        "# top\na: 1\n---\n# two\nb: 2\n",
        "a:\n    # inside\n    b: 1\n    # end of a\nc: 2\n",
        "l:\n  - a\n  # between\n  - b\n  # after\nm: {}\nn: []\nz:\n",
        "a: \"2024-01-02\"\nb: 2024-01-02\nc: 0x1F\nd: -7\ne: yes\n",
    ] {
        same_tree(text, true);
    }
    for text in [
        "a: [1, 2]\n",
        "a: &x 1\nb: *x\n",
        "a: 'q'\n",
        "a: b # c\n",
        "a: x\n  y\n",
        "a:\n- x\n",
        "a: 1\na: 2\n",
    ] {
        same_tree(text, false);
    }
}

mod random {
    use super::super::{emit, EmitOptions};
    use crate::document::{Comment, Document, Entry, Scalar, Value};
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            "[a-zA-Z0-9 ._/=+-]{0,12}".prop_map(Value::str),
            "[ -~]{0,12}".prop_map(Value::str),
            any::<i64>().prop_map(|i| Value::Scalar(Scalar::Int(i))),
            any::<bool>().prop_map(|b| Value::Scalar(Scalar::Bool(b))),
            "[a-z]{1,5}\n[a-z ]{0,5}\n{0,2}".prop_map(Value::str),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Seq),
                proptest::collection::vec(("[a-z]{1,6}", inner, any::<bool>()), 0..4).prop_map(
                    |v| {
                        let mut seen = std::collections::HashSet::new();
                        let mut m = Vec::new();
                        for (k, val, comment) in v {
                            if comment {
                                m.push(Entry::Comment(Comment(" note".into())));
                            }
                            if seen.insert(k.clone()) {
                                m.push(Entry::Pair(k, val));
                            }
                        }
                        Value::Map(m)
                    }
                ),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn fast_path_agrees_on_random_documents(entries in proptest::collection::vec(("[a-z]{1,6}", value()), 1..5), indent in 2usize..5) {
            let mut seen = std::collections::HashSet::new();
            let map: Vec<Entry> = entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).map(|(k, v)| Entry::Pair(k, v)).collect();
            let doc = Document { branches: vec![map] };
            let text = String::from_utf8(emit(&doc, None, &EmitOptions { indent: Some(indent) }).unwrap()).unwrap();
            super::same_tree(&text, false);
        }
    }
}
