//! Every encrypted file in ../shared/fixtures decrypts to its expected output, byte for byte.

use crate::common::{shared, Env};

/// One row of sops-generated/MANIFEST.tsv.
struct Case {
    id: String,
    encrypted: String,
    key_file: String,
    expected: String,
}

fn manifest() -> Vec<Case> {
    let text = std::fs::read_to_string(shared().join("sops-generated/MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                id: f[0].into(),
                encrypted: f[3].into(),
                key_file: f[4].into(),
                expected: f[7].into(),
            }
        })
        .collect()
}

#[test]
fn sops_generated_corpus_decrypts_byte_for_byte() {
    let base = shared().join("sops-generated");
    let cases = manifest();
    assert_eq!(cases.len(), 27);
    for case in cases {
        let mut env = Env::new();
        if case.id.ends_with("-e") {
            // PGP only, as the expected output was produced (no age identity).
            env.set("SOPS_AGE_KEY_FILE", "/nonexistent");
            env.gpg_import(&base.join("keys/pgp-secret.asc"));
        } else {
            env.use_age_key(&base.join(&case.key_file));
        }
        let run = env.enseal(&["decrypt", base.join(&case.encrypted).to_str().unwrap()]);
        assert_eq!(run.status, 0, "{}: {}", case.id, run.stderr);
        let expected = std::fs::read(base.join(&case.expected)).unwrap();
        assert!(
            run.stdout == expected,
            "{}: output differs from sops",
            case.id
        );
    }
}

#[test]
fn shamir_needs_both_groups() {
    let base = shared().join("sops-generated");
    let mut env = Env::new();
    env.use_age_key(&base.join("keys/age1.txt"));
    let run = env.enseal(&[
        "decrypt",
        base.join("encrypted/basic.b-shamir.enc.yaml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(run.status, 128, "{}", run.stderr);
    assert!(run.stderr.contains("Group 1: FAILED"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn sops_upstream_files_decrypt_with_pgp() {
    let up = shared().join("sops-upstream");
    let mut env = Env::new();
    env.gpg_import(&up.join("v3.11.0/pgp/sops_functional_tests_key.asc"));
    for file in [
        "v3.11.0/example.yaml",
        "v3.11.0/example.json",
        "v3.11.0/example.ini",
        "v3.11.0/example.txt",
        "v3.11.0/functional-tests/res/comments.enc.yaml",
        "v3.11.0/functional-tests/res/multiple_keys.yaml",
        "v3.11.0/examples/all_in_one/config/secret.enc.json",
        "v3.11.0/examples/per_file/config.enc/static_github.json",
        "v3.13.2/functional-tests/res/format.enc.yaml",
        "v3.13.2/functional-tests/res/format.enc.json",
        "v3.13.2/functional-tests/res/format.enc.env",
        "v3.13.2/functional-tests/res/format.enc.ini",
        "v3.13.2/functional-tests/res/format-2.enc.ini",
    ] {
        let run = env.enseal(&["decrypt", up.join(file).to_str().unwrap()]);
        assert_eq!(run.status, 0, "{file}: {}", run.stderr);
        let expected = std::fs::read(
            up.join("expected")
                .join(format!("{}.decrypted", file.replace('/', "_"))),
        )
        .unwrap();
        assert!(run.stdout == expected, "{file}: output differs from sops");
    }
}

#[test]
fn pre_3_6_clear_comments_are_kept_with_a_warning() {
    let up = shared().join("sops-upstream");
    let mut env = Env::new();
    env.gpg_import(&up.join("v3.11.0/pgp/sops_functional_tests_key.asc"));
    let file = up.join("v3.11.0/functional-tests/res/comments_unencrypted_comments.yaml");
    let run = env.enseal(&["decrypt", file.to_str().unwrap()]).ok();
    let expected = std::fs::read(up.join(
        "expected/v3.11.0_functional-tests_res_comments_unencrypted_comments.yaml.decrypted",
    ))
    .unwrap();
    assert!(run.stdout == expected);
    assert!(run.stderr.contains("not encrypted"), "{}", run.stderr);
}

#[test]
fn missing_mac_fails_unless_ignored() {
    let up = shared().join("sops-upstream");
    let mut env = Env::new();
    env.gpg_import(&up.join("v3.11.0/pgp/sops_functional_tests_key.asc"));
    let file = up.join("v3.11.0/functional-tests/res/no_mac.yaml");
    let run = env.enseal(&["decrypt", file.to_str().unwrap()]);
    assert_eq!(run.status, 51);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("no_mac.yaml") && run.stderr.contains("MAC"),
        "{}",
        run.stderr
    );
    let run = env
        .enseal(&["decrypt", "--ignore-mac", file.to_str().unwrap()])
        .ok();
    let expected = std::fs::read(
        up.join("expected/v3.11.0_functional-tests_res_no_mac.yaml.ignore-mac.decrypted"),
    )
    .unwrap();
    assert!(run.stdout == expected);
}

#[test]
fn sops_1_files_fail_cleanly() {
    let up = shared().join("sops-upstream/v3.11.0");
    let env = Env::new();
    for file in [
        "config/test_resources/example.yaml",
        "stores/ini/test_resources/example.json",
    ] {
        let run = env.enseal(&["decrypt", up.join(file).to_str().unwrap()]);
        assert_ne!(run.status, 0, "{file}");
        assert!(!run.stderr.contains("panicked"), "{file}: {}", run.stderr);
        assert!(
            run.stderr.contains(file.rsplit('/').next().unwrap()),
            "{file}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn output_type_conversions_match_sops() {
    let base = shared().join("sops-generated");
    let mut env = Env::new();
    env.use_age_key(&base.join("keys/age1.txt"));
    let file = base.join("encrypted/basic.a-age.enc.yaml");
    for out in ["json", "yaml"] {
        let ours = env
            .enseal(&["decrypt", "--output-type", out, file.to_str().unwrap()])
            .ok();
        let theirs = env
            .sops(&["decrypt", "--output-type", out, file.to_str().unwrap()])
            .ok();
        assert!(
            ours.stdout == theirs.stdout,
            "yaml -> {out}:\n{}\n---\n{}",
            ours.stdout_str(),
            theirs.stdout_str()
        );
    }
    // A flat file converts to dotenv and INI too.
    let flat = base.join("encrypted/basic.a-age.enc.env");
    for out in ["json", "yaml", "dotenv"] {
        let ours = env
            .enseal(&["decrypt", "--output-type", out, flat.to_str().unwrap()])
            .ok();
        let theirs = env
            .sops(&["decrypt", "--output-type", out, flat.to_str().unwrap()])
            .ok();
        assert!(
            ours.stdout == theirs.stdout,
            "dotenv -> {out}:\n{}\n---\n{}",
            ours.stdout_str(),
            theirs.stdout_str()
        );
    }
    let ini = base.join("encrypted/basic.a-age.enc.ini");
    for out in ["json", "yaml", "ini"] {
        let ours = env
            .enseal(&["decrypt", "--output-type", out, ini.to_str().unwrap()])
            .ok();
        let theirs = env
            .sops(&["decrypt", "--output-type", out, ini.to_str().unwrap()])
            .ok();
        assert!(
            ours.stdout == theirs.stdout,
            "ini -> {out}:\n{}\n---\n{}",
            ours.stdout_str(),
            theirs.stdout_str()
        );
    }
}
