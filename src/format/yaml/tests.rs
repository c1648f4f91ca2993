//! YAML store tests against the shared sops fixtures.

use super::*;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

fn round(text: &str) -> String {
    let p = parse(text.as_bytes()).unwrap();
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
