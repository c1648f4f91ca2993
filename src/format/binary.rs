//! Binary store: any file that is not YAML, JSON, dotenv or INI. The whole content
//! is one value, `data`, and the encrypted form is a JSON envelope
//! `{"data": "ENC[...]", "sops": {...}}` (sops-format §8.5).

use super::{json, EmitOptions, FormatError, Mode, Parsed};
use crate::document::{Document, Entry, Scalar, Value};

/// Plain mode: the bytes become the `data` value; encrypted mode: the JSON envelope.
pub fn parse(bytes: &[u8], mode: Mode) -> Result<Parsed, FormatError> {
    match mode {
        Mode::Encrypted => json::parse(bytes, Mode::Encrypted),
        Mode::Plain => {
            let data = match std::str::from_utf8(bytes) {
                Ok(s) => Scalar::Str(s.to_string()),
                Err(_) => Scalar::Bytes(bytes.to_vec()),
            };
            Ok(Parsed {
                layout: None,
                doc: Document {
                    branches: vec![vec![Entry::Pair("data".into(), Value::Scalar(data))]],
                },
                metadata: None,
            })
        }
    }
}

/// Without metadata: the raw bytes of the `data` value; with metadata: the JSON envelope.
pub fn emit(
    doc: &Document,
    metadata: Option<&Value>,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FormatError> {
    if metadata.is_some() {
        return json::emit(doc, metadata, opts);
    }
    if doc.branches.len() != 1 {
        return Err(FormatError::Emit(
            "binary output needs exactly one document; use --output-type to pick a structured format".into(),
        ));
    }
    match crate::document::map_get(&doc.branches[0], "data") {
        Some(Value::Scalar(Scalar::Str(s))) => Ok(s.as_bytes().to_vec()),
        Some(Value::Scalar(Scalar::Bytes(b))) => Ok(b.clone()),
        Some(_) => Err(FormatError::Emit(
            "the 'data' key does not hold a string; use --output-type to pick a structured format".into(),
        )),
        None => Err(FormatError::Emit(
            "no 'data' key to write as a binary file; use --output-type to pick a structured format".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bytes_round_trip() {
        for input in [&b"hello\nworld\n"[..], &[0xff, 0x00, 0x80][..], &b""[..]] {
            let p = parse(input, Mode::Plain).unwrap();
            assert_eq!(emit(&p.doc, None, &EmitOptions::default()).unwrap(), input);
        }
    }

    #[test]
    fn needs_a_string_data_key() {
        let doc = Document {
            branches: vec![vec![Entry::Pair("other".into(), Value::str("x"))]],
        };
        assert!(emit(&doc, None, &EmitOptions::default()).is_err());
    }

    #[test]
    fn envelope_fixtures_round_trip() {
        let base = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/sops-generated/encrypted"
        );
        for name in ["a-age", "b-shamir", "d-mac-only"] {
            let enc = std::fs::read(format!("{base}/basic.{name}.enc.bin")).unwrap();
            let p = parse(&enc, Mode::Encrypted).unwrap();
            assert_eq!(
                emit(&p.doc, p.metadata.as_ref(), &EmitOptions::default()).unwrap(),
                enc
            );
        }
    }
}
