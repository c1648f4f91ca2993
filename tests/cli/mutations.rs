//! Random single-byte mutations of encrypted files: each must be refused or decrypt to
//! exactly the original plaintext. Anything else is a forgery.
//!
//! Files enseal wrote (`fixtures/sealed`, every format, layout and key setup) carry the
//! seal, which covers what the sops MAC leaves out: zero forgeries. Files sops wrote
//! have no seal, so key names over clear or empty values and other unauthenticated
//! parts can change (docs/security.md); for those the test checks what sops' MAC does
//! promise: every encrypted value is intact.
//!
//! In process (the library's `file::decrypt`), so that 10,000 decryptions take seconds.

use std::path::{Path, PathBuf};

use enseal::document::path::{lookup, KeyPath, Step};
use enseal::document::{Entry, Map, Value};
use enseal::file::{self, DecryptRequest};
use enseal::format::{EmitOptions, Format};
use enseal::keys::{KeyEnv, DEFAULT_DECRYPTION_ORDER};
use rand::{Rng, SeedableRng};

const N: usize = 10_000;

struct Case {
    path: PathBuf,
    bytes: Vec<u8>,
    request: DecryptRequest,
    original: Vec<u8>,
}

/// A key environment with only the shared test keys (both identities).
fn keys(home: &Path) -> KeyEnv {
    let mut env = KeyEnv::from_process();
    env.vars.clear();
    env.vars.insert("HOME".into(), home.display().to_string());
    env.vars.insert(
        "SOPS_AGE_KEY_FILE".into(),
        crate::common::generated()
            .join("keys/age-both.txt")
            .display()
            .to_string(),
    );
    env
}

fn case(path: PathBuf, env: &KeyEnv) -> Case {
    let bytes = std::fs::read(&path).unwrap();
    let format = Format::detect(&path, None, &bytes);
    let request = DecryptRequest {
        input_format: format,
        output_format: format,
        ignore_mac: false,
        extract: None,
        decryption_order: DEFAULT_DECRYPTION_ORDER.to_vec(),
        emit: EmitOptions::default(),
    };
    let original = file::decrypt(&bytes, &request, env)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .output
        .to_vec();
    Case {
        path,
        bytes,
        request,
        original,
    }
}

struct Tally {
    refused: usize,
    same: usize,
    /// (case index, description)
    forged: Vec<(usize, String)>,
    /// Mutated bytes of each forgery, to examine.
    forged_bytes: Vec<Vec<u8>>,
    per_case: Vec<usize>,
}

/// `N` mutations spread over `cases`, one random byte each, replaced by another value.
fn mutate(cases: &[Case], env: &KeyEnv, seed: u64) -> Tally {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut t = Tally {
        refused: 0,
        same: 0,
        forged: Vec::new(),
        forged_bytes: Vec::new(),
        per_case: vec![0; cases.len()],
    };
    for i in 0..N {
        let c = &cases[i % cases.len()];
        t.per_case[i % cases.len()] += 1;
        let at = rng.gen_range(0..c.bytes.len());
        let mut mutated = c.bytes.clone();
        let old = mutated[at];
        while mutated[at] == old {
            mutated[at] = rng.gen();
        }
        match file::decrypt(&mutated, &c.request, env) {
            Err(_) => t.refused += 1,
            Ok(d) if d.output.as_slice() == c.original.as_slice() => t.same += 1,
            Ok(_) => {
                t.forged.push((
                    i % cases.len(),
                    format!(
                        "{} byte {at}: {:?} -> {:?}",
                        c.path.display(),
                        old as char,
                        mutated[at] as char
                    ),
                ));
                t.forged_bytes.push(mutated);
            }
        }
    }
    t
}

#[test]
fn no_single_byte_mutation_of_a_file_enseal_wrote_is_accepted_as_something_else() {
    let home = tempfile::tempdir().unwrap();
    let env = keys(home.path());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sealed");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "sh"))
        .collect();
    paths.sort();
    let cases: Vec<_> = paths.into_iter().map(|p| case(p, &env)).collect();
    // Every format, both layouts, Shamir groups and clear values are there.
    let names: Vec<String> = cases
        .iter()
        .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for part in [
        ".kept.yaml",
        ".sops.yaml",
        ".kept.json",
        ".sops.json",
        ".kept.ini",
        ".sops.ini",
        ".env",
        ".toml",
        ".bin",
        ".shamir.",
        ".regex.",
        "multidoc.",
    ] {
        assert!(names.iter().any(|n| n.contains(part)), "no fixture {part}");
    }
    for c in &cases {
        let text = String::from_utf8_lossy(&c.bytes);
        assert!(
            text.contains("enseal_seal"),
            "{}: not sealed",
            c.path.display()
        );
    }
    let t = mutate(&cases, &env, 0x5eed_2026);
    eprintln!(
        "enseal-written: {N} mutations over {} files: {} refused, {} decrypt to the original, {} forgeries",
        cases.len(),
        t.refused,
        t.same,
        t.forged.len()
    );
    let list: Vec<_> = t.forged.iter().map(|(_, d)| d.as_str()).collect();
    assert!(list.is_empty(), "accepted forgeries:\n{}", list.join("\n"));
    assert_eq!(t.refused + t.same, N);
    assert!(
        t.refused > N * 9 / 10,
        "most mutations are refused ({})",
        t.refused
    );
    assert!(t.per_case.iter().all(|n| *n >= N / cases.len()));
}

/// The encrypted values of a loaded (still encrypted) tree, by key path.
fn encrypted_paths(map: &Map, at: &KeyPath, out: &mut Vec<KeyPath>) {
    for e in map {
        if let Entry::Pair(k, v) = e {
            walk(v, &at.child(Step::Key(k.clone())), out);
        }
    }
}

fn walk(v: &Value, at: &KeyPath, out: &mut Vec<KeyPath>) {
    match v {
        Value::Map(m) => encrypted_paths(m, at, out),
        Value::Seq(items) => {
            let values = items.iter().filter(|i| !matches!(i, Value::Comment(_)));
            for (i, item) in values.enumerate() {
                walk(item, &at.child(Step::Index(i)), out);
            }
        }
        Value::Scalar(s) if s.as_str().is_some_and(|t| t.starts_with("ENC[AES256_GCM,")) => {
            out.push(at.clone())
        }
        _ => {}
    }
}

/// The decrypted first branch of a file.
fn open(bytes: &[u8], c: &Case, env: &KeyEnv) -> Map {
    let mut loaded = file::load(bytes, c.request.input_format).unwrap();
    let key = file::data_key(&loaded.metadata, &DEFAULT_DECRYPTION_ORDER, env).unwrap();
    file::decrypt_tree(&mut loaded, &key, false, None).unwrap();
    loaded.doc.branches.into_iter().next().unwrap_or_default()
}

#[test]
fn mutations_of_files_sops_wrote_never_change_an_encrypted_value() {
    let home = tempfile::tempdir().unwrap();
    let env = keys(home.path());
    let base = crate::common::generated().join("encrypted");
    let mut cases = Vec::new();
    // mac_only_encrypted leaves clear values outside the MAC by design.
    for variant in ["a-age", "b-shamir", "c-encrypted-regex"] {
        for ext in ["yaml", "json", "env", "ini", "bin"] {
            cases.push(case(base.join(format!("basic.{variant}.enc.{ext}")), &env));
        }
    }
    let t = mutate(&cases, &env, 0x5eed_2026);
    eprintln!(
        "sops-written: {N} mutations over {} files: {} refused, {} decrypt to the original, {} change unauthenticated parts",
        cases.len(),
        t.refused,
        t.same,
        t.forged.len()
    );
    assert_eq!(t.refused + t.same + t.forged.len(), N);
    assert!(
        t.refused > N * 9 / 10,
        "most mutations are refused ({})",
        t.refused
    );
    // What the MAC promises still holds: every value that was encrypted is still there,
    // under its key path, with its plaintext.
    for ((i, what), bytes) in t.forged.iter().zip(&t.forged_bytes) {
        let c = &cases[*i];
        let original = open(&c.bytes, c, &env);
        let forged = open(bytes, c, &env);
        let mut paths = Vec::new();
        let loaded = file::load(&c.bytes, c.request.input_format).unwrap();
        for branch in &loaded.doc.branches {
            encrypted_paths(branch, &KeyPath::default(), &mut paths);
        }
        assert!(!paths.is_empty(), "{what}");
        for p in &paths {
            assert_eq!(
                lookup(&forged, p),
                lookup(&original, p),
                "{what}: the encrypted value at {p} changed"
            );
        }
    }
}
