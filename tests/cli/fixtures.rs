//! Every encrypted file in ../shared/fixtures that has its keys decrypts to what the real
//! sops printed for it, byte for byte; the files that cannot decrypt fail cleanly.

use crate::common::{assert_same, generated, show, upstream, TestEnv};

/// One row of sops-generated/MANIFEST.tsv.
struct Case {
    id: String,
    encrypted: String,
    key_file: String,
    expected: String,
}

fn manifest() -> Vec<Case> {
    let text = std::fs::read_to_string(generated().join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, enc, key, exp) = (
        col("id"),
        col("encrypted"),
        col("key_file"),
        col("expected_decrypted"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                id: f[id].into(),
                encrypted: f[enc].into(),
                key_file: f[key].into(),
                expected: f[exp].into(),
            }
        })
        .collect()
}

#[test]
fn sops_generated_corpus_decrypts_byte_for_byte() {
    let base = generated();
    let cases = manifest();
    assert_eq!(cases.len(), 27, "MANIFEST.tsv rows");
    let mut failures = Vec::new();
    for case in &cases {
        let mut env = TestEnv::new();
        if case.key_file.ends_with(".asc") {
            // The -e cases: PGP only, as the expected output was produced (no age identity).
            env.set("SOPS_AGE_KEY_FILE", "/nonexistent/keys.txt");
            env.gpg_import(&base.join(&case.key_file));
        } else {
            env.use_age_key(&base.join(&case.key_file));
        }
        let file = base.join(&case.encrypted);
        let run = env.enseal(&["decrypt", file.to_str().unwrap()]);
        let expected = std::fs::read(base.join(&case.expected)).unwrap();
        if run.status != 0 {
            failures.push(format!("{}: exit {}: {}", case.id, run.status, run.stderr));
        } else if run.stdout != expected {
            failures.push(format!(
                "{}: output differs from sops\n--- enseal ---\n{}\n--- sops ---\n{}",
                case.id,
                show(&run.stdout),
                show(&expected)
            ));
        } else if !run.stderr.is_empty() {
            failures.push(format!("{}: unexpected stderr: {}", case.id, run.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn shamir_needs_both_groups() {
    let base = generated();
    for ext in ["yaml", "json", "env", "ini", "bin"] {
        let mut env = TestEnv::new();
        env.use_age_key(&base.join("keys/age1.txt"));
        let file = base.join(format!("encrypted/basic.b-shamir.enc.{ext}"));
        let run = env.enseal(&["decrypt", file.to_str().unwrap()]);
        assert_eq!(run.status, 128, "{ext}: {}", run.stderr);
        assert!(
            run.stderr.contains("Group 0: SUCCESS") && run.stderr.contains("Group 1: FAILED"),
            "{ext}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(&format!("basic.b-shamir.enc.{ext}")));
        assert!(run.stdout.is_empty());
    }
}

/// Upstream files with their expected plaintext (`expected/<path with _>.decrypted`).
const UPSTREAM: [&str; 13] = [
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
];

fn upstream_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.gpg_import(&upstream().join("v3.11.0/pgp/sops_functional_tests_key.asc"));
    env
}

fn expected_upstream(file: &str, suffix: &str) -> Vec<u8> {
    std::fs::read(
        upstream()
            .join("expected")
            .join(format!("{}{suffix}", file.replace('/', "_"))),
    )
    .unwrap()
}

#[test]
fn sops_upstream_files_decrypt_with_pgp() {
    let up = upstream();
    let env = upstream_env();
    let mut failures = Vec::new();
    for file in UPSTREAM {
        let run = env.enseal(&["decrypt", up.join(file).to_str().unwrap()]);
        let expected = expected_upstream(file, ".decrypted");
        if run.status != 0 {
            failures.push(format!("{file}: exit {}: {}", run.status, run.stderr));
        } else if run.stdout != expected {
            failures.push(format!(
                "{file}: output differs from sops\n--- enseal ---\n{}\n--- sops ---\n{}",
                show(&run.stdout),
                show(&expected)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn pre_3_6_clear_comments_are_kept_with_a_warning() {
    let env = upstream_env();
    let file = "v3.11.0/functional-tests/res/comments_unencrypted_comments.yaml";
    let run = env
        .enseal(&["decrypt", upstream().join(file).to_str().unwrap()])
        .ok();
    assert_same(file, &run.stdout, &expected_upstream(file, ".decrypted"));
    assert!(
        run.stderr.contains("warning")
            && run.stderr.contains("comments_unencrypted_comments.yaml")
            && run.stderr.contains("not encrypted"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_mac_fails_unless_ignored() {
    let env = upstream_env();
    let file = "v3.11.0/functional-tests/res/no_mac.yaml";
    let path = upstream().join(file);
    let run = env.enseal(&["decrypt", path.to_str().unwrap()]);
    assert_eq!(run.status, 51, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("no_mac.yaml") && run.stderr.contains("MAC"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    let run = env
        .enseal(&["decrypt", "--ignore-mac", path.to_str().unwrap()])
        .ok();
    assert_same(
        "no_mac.yaml --ignore-mac",
        &run.stdout,
        &expected_upstream(file, ".ignore-mac.decrypted"),
    );
}

#[test]
fn sops_1_files_fail_cleanly() {
    // Their keys (E529..., AWS KMS) are not available: sops exits 128 on both.
    let env = upstream_env();
    for file in [
        "v3.11.0/config/test_resources/example.yaml",
        "v3.11.0/stores/ini/test_resources/example.json",
    ] {
        let run = env.enseal(&["decrypt", upstream().join(file).to_str().unwrap()]);
        assert_ne!(run.status, 0, "{file}");
        assert!(run.status > 0, "{file}: killed by a signal");
        assert!(!run.stderr.contains("panicked"), "{file}: {}", run.stderr);
        let name = file.rsplit('/').next().unwrap();
        assert!(
            run.stderr.starts_with("enseal: ") && run.stderr.contains(name),
            "{file}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{file}: printed something");
    }
}

/// Each a-age fixture (one per store) decrypted with every `--output-type`: enseal must
/// print exactly what sops prints, or fail with sops' exit code when sops fails.
#[test]
fn output_type_conversions_match_sops() {
    let base = generated();
    let mut env = TestEnv::new();
    env.use_age_key(&base.join("keys/age1.txt"));
    let mut failures = Vec::new();
    let mut compared = 0;
    for ext in ["yaml", "json", "env", "ini", "bin"] {
        let file = base.join(format!("encrypted/basic.a-age.enc.{ext}"));
        let file = file.to_str().unwrap();
        for out in ["yaml", "json", "dotenv", "ini", "binary"] {
            let args = ["decrypt", "--output-type", out, file];
            let ours = env.enseal(&args);
            let theirs = env.sops(&args);
            compared += 1;
            if ours.status != theirs.status {
                failures.push(format!(
                    "{ext} -> {out}: enseal exit {} ({}), sops exit {} ({})",
                    ours.status,
                    ours.stderr.trim(),
                    theirs.status,
                    theirs.stderr.trim()
                ));
            } else if ours.stdout != theirs.stdout {
                failures.push(format!(
                    "{ext} -> {out}: output differs\n--- enseal ---\n{}\n--- sops ---\n{}",
                    show(&ours.stdout),
                    show(&theirs.stdout)
                ));
            } else if ours.status != 0 && !ours.stderr.contains(file) {
                failures.push(format!("{ext} -> {out}: file not named: {}", ours.stderr));
            }
        }
    }
    assert_eq!(compared, 25);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A name that says nothing about the format: `--input-type` decides.
#[test]
fn input_type_overrides_the_file_name() {
    let base = generated();
    let mut env = TestEnv::new();
    env.use_age_key(&base.join("keys/age1.txt"));
    for (ext, ty) in [
        ("yaml", "yaml"),
        ("json", "json"),
        ("env", "dotenv"),
        ("ini", "ini"),
    ] {
        let src = std::fs::read(base.join(format!("encrypted/basic.a-age.enc.{ext}"))).unwrap();
        env.write("secret.data", &src);
        let run = env
            .enseal(&["decrypt", "--input-type", ty, "secret.data"])
            .ok();
        let expected = std::fs::read(base.join(format!("expected/basic.a-age.dec.{ext}"))).unwrap();
        assert_same(&format!("--input-type {ty}"), &run.stdout, &expected);
        // From stdin, with the type given by --filename-override.
        let run = env
            .enseal_stdin(
                &["decrypt", "--filename-override", &format!("x.{ext}")],
                &src,
            )
            .ok();
        assert_same(&format!("stdin as .{ext}"), &run.stdout, &expected);
    }
}
