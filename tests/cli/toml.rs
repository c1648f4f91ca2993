//! The TOML store end to end: every fixture in `fixtures/toml/` encrypts to TOML that
//! another parser (Python's `tomllib`) reads, with every value and comment encrypted,
//! and decrypts back byte for byte; files in place keep their layout; and a `.toml`
//! file that sops encrypted (as binary, sops has no TOML store) still decrypts.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{show, TestEnv};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/toml");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 5, "fixtures/toml holds {} files", out.len());
    out
}

/// The file's leaves as `path<TAB>type<TAB>text` lines, read by Python's tomllib (a TOML
/// parser that is not enseal's).
fn leaves_by_tomllib(bytes: &[u8]) -> Vec<String> {
    let script = r#"
import sys, tomllib
def walk(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, path + [k])
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, path + [str(i)])
    else:
        print(".".join(path) + "\t" + type(v).__name__ + "\t" + str(v).replace("\n", "\\n"))
walk(tomllib.loads(sys.stdin.read()), [])
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/setup-test-deps.sh installs it)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "tomllib refuses the file: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        show(bytes)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Table headers and the keys of `key = value` lines, in order (multi-line values may
/// take fewer lines once encrypted, so line numbers are not compared).
fn skeleton(text: &str) -> Vec<String> {
    let mut in_multiline = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if in_multiline {
            in_multiline = !(t.contains("\"\"\"") || t.contains("'''"));
            continue;
        }
        if t.starts_with('[') {
            out.push(t.to_string());
        } else if let Some((key, value)) = t.split_once('=') {
            let key = key.trim();
            let bare = key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c));
            let quoted = key.len() > 1 && key.starts_with('"') && key.ends_with('"');
            if !key.is_empty() && (bare || quoted) {
                out.push(key.to_string());
                let v = value.trim_start();
                in_multiline = (v.starts_with("\"\"\"") && !v[3..].contains("\"\"\""))
                    || (v.starts_with("'''") && !v[3..].contains("'''"));
            }
        }
    }
    out
}

#[test]
fn fixtures_round_trip_byte_for_byte_as_valid_toml() {
    let (env, r) = TestEnv::with_age_key();
    for (name, plain) in fixtures() {
        env.write(&name, &plain);
        let enc = env.enseal(&["encrypt", "--age", &r, &name]).ok().stdout;
        let leaves = leaves_by_tomllib(&enc);
        let data: Vec<&String> = leaves.iter().filter(|l| !l.starts_with("sops.")).collect();
        assert!(!data.is_empty(), "{name}: no values");
        for leaf in &data {
            // Empty strings stay empty, as in sops.
            assert!(
                leaf.contains("\tstr\tENC[AES256_GCM,data:") || leaf.ends_with("\tstr\t"),
                "{name}: a value is not encrypted: {}",
                leaf.split('\t').next().unwrap()
            );
        }
        let text = String::from_utf8(enc.clone()).unwrap();
        let plain_text = String::from_utf8(plain.clone()).unwrap();
        let comments = plain_text
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count();
        assert!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("#ENC[AES256_GCM"))
                .count()
                >= comments,
            "{name}: a whole-line comment stayed in clear"
        );
        assert!(
            leaves.iter().any(|l| l.starts_with("sops.mac\t")),
            "{name}: no [sops] table"
        );
        // The same table headers and keys in the same order: nothing moved.
        let body = text.split("\n[sops]").next().unwrap();
        assert_eq!(skeleton(body), skeleton(&plain_text), "{name}");

        env.write(&format!("enc-{name}"), &enc);
        let dec = env.enseal(&["decrypt", &format!("enc-{name}")]).ok().stdout;
        assert!(
            dec == plain,
            "{name}: decrypted text differs:\n{}",
            show(&dec)
        );
    }
}

#[test]
fn a_changed_value_changes_only_its_line() {
    let (env, r) = TestEnv::with_age_key();
    let plain =
        b"# settings\nname = \"svc\"\nport = 8080\n\n[db]\npassword = 'old'\nhost = \"db\"\n";
    env.write("app.toml", plain);
    let first = env
        .enseal(&["encrypt", "--age", &r, "app.toml"])
        .ok()
        .stdout;
    // Decrypt, change one value, encrypt again: everything but that line is new
    // ciphertext (fresh IVs), yet every line stays where it was.
    env.write(
        "app.toml",
        String::from_utf8_lossy(plain).replace("'old'", "'new'"),
    );
    let second = env
        .enseal(&["encrypt", "--age", &r, "app.toml"])
        .ok()
        .stdout;
    let (a, b) = (
        String::from_utf8(first).unwrap(),
        String::from_utf8(second).unwrap(),
    );
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(skeleton(&a.join("\n")), skeleton(&b.join("\n")));
    for (x, y) in a.iter().zip(&b).take(7) {
        assert_eq!(x.starts_with("#ENC["), y.starts_with("#ENC["), "{x} / {y}");
    }
    assert!(b[5].starts_with("password = 'ENC[AES256_GCM"), "{}", b[5]);
}

#[test]
fn converts_to_and_from_other_formats() {
    let (env, r) = TestEnv::with_age_key();
    env.write(
        "app.toml",
        "title = \"x\"\nports = [1, 2]\n\n[db]\nuser = \"u\"\n",
    );
    let enc = env
        .enseal(&["encrypt", "--age", &r, "app.toml"])
        .ok()
        .stdout;
    env.write("app.enc.toml", &enc);
    let yaml = env
        .enseal(&["decrypt", "--output-type", "yaml", "app.enc.toml"])
        .ok()
        .stdout;
    assert_eq!(
        show(&yaml),
        "title: x\nports:\n    - 1\n    - 2\ndb:\n    user: u\n"
    );
    env.write("app.yaml", &yaml);
    let back = env
        .enseal(&["encrypt", "--age", &r, "--output-type", "toml", "app.yaml"])
        .ok()
        .stdout;
    env.write("back.toml", &back);
    let plain = env.enseal(&["decrypt", "back.toml"]).ok().stdout;
    assert_eq!(
        show(&plain),
        "title = \"x\"\nports = [1, 2]\n\n[db]\nuser = \"u\"\n"
    );
}

#[test]
fn a_toml_file_sops_encrypted_as_binary_still_decrypts() {
    let (env, r) = TestEnv::with_age_key();
    let plain = b"token = \"abc\"\n";
    env.write("secrets.toml", plain);
    let enc = env
        .sops(&["encrypt", "--age", &r, "secrets.toml"])
        .ok()
        .stdout;
    assert!(enc.starts_with(b"{"), "sops wrote: {}", show(&enc));
    env.write("enc.toml", &enc);
    let dec = env.enseal(&["decrypt", "enc.toml"]).ok().stdout;
    assert_eq!(dec, plain);
}

#[test]
fn bad_toml_gets_a_clear_error_without_the_text() {
    let (env, r) = TestEnv::with_age_key();
    env.write("bad.toml", "ok = 1\nsecret = \"hunter2\n");
    let run = env.enseal(&["encrypt", "--age", &r, "bad.toml"]);
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("bad.toml") && run.stderr.contains("line 2"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert_eq!(env.read("bad.toml"), b"ok = 1\nsecret = \"hunter2\n");
}
