//! Files keep their own layout. Every JSON fixture in `fixtures/json/` encrypts in its
//! own indentation and key order (values replaced, a `sops` member appended), sops
//! decrypts it to the same data, and enseal decrypts it back to the original bytes. The
//! dotenv fixtures keep their blank lines the same way.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{show, TestEnv};

fn fixtures(dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 5,
        "fixtures/{} holds {} files",
        dir.display(),
        out.len()
    );
    out
}

/// The data of a JSON text as Python's json module reads it (canonical, sorted keys),
/// without the `sops` member.
fn data_of(bytes: &[u8]) -> String {
    let script = "import json,sys\nd=json.loads(sys.stdin.read())\nd.pop('sops',None)\nprint(json.dumps(d,sort_keys=True))";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "not JSON:\n{}", show(bytes));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_fixtures_keep_their_layout_and_sops_reads_them() {
    let (env, r) = TestEnv::with_age_key();
    for (name, plain) in fixtures("json", "json") {
        env.write(&name, &plain);
        let enc = env.enseal(&["encrypt", "--age", &r, &name]).ok().stdout;
        let text = String::from_utf8(enc.clone()).unwrap();
        assert!(text.contains("\"enseal_layout\": \"kept\""), "{name}");
        // Same lines up to the sops member (one-line files stay one line).
        let plain_text = String::from_utf8(plain.clone()).unwrap();
        let before_sops = text.split("\"sops\": {").next().unwrap();
        assert_eq!(
            before_sops.lines().count().max(1),
            plain_text.lines().count().max(1),
            "{name}: lines moved:\n{text}"
        );
        env.write(&format!("enc-{name}"), &enc);
        let ours = env.enseal(&["decrypt", &format!("enc-{name}")]).ok().stdout;
        assert!(
            ours == plain,
            "{name}: enseal gives back other bytes:\n{}",
            show(&ours)
        );
        let theirs = env.sops(&["decrypt", &format!("enc-{name}")]).ok().stdout;
        assert_eq!(
            data_of(&theirs),
            data_of(&plain),
            "{name}: sops reads other data"
        );
    }
}

/// A file sops wrote (no layout marker) still decrypts to exactly what sops prints.
#[test]
fn sops_json_files_decrypt_to_sops_output() {
    let (env, r) = TestEnv::with_age_key();
    for (name, plain) in fixtures("json", "json") {
        env.write(&name, &plain);
        let enc = env.sops(&["encrypt", "--age", &r, &name]).ok().stdout;
        env.write(&format!("s-{name}"), &enc);
        let ours = env.enseal(&["decrypt", &format!("s-{name}")]).ok().stdout;
        let theirs = env.sops(&["decrypt", &format!("s-{name}")]).ok().stdout;
        assert!(
            ours == theirs,
            "{name}:\n{}\n---\n{}",
            show(&ours),
            show(&theirs)
        );
    }
}

/// dotenv files keep their blank lines through enseal; sops reads enseal's files to its
/// usual output (the same lines without the blank ones).
#[test]
fn dotenv_fixtures_round_trip_byte_for_byte() {
    let (env, r) = TestEnv::with_age_key();
    for (name, plain) in fixtures("dotenv", "env") {
        env.write(&name, &plain);
        let enc = env.enseal(&["encrypt", "--age", &r, &name]).ok().stdout;
        let text = String::from_utf8(enc.clone()).unwrap();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("sops_"))
        {
            let value = line.split_once('=').map_or(line, |(_, v)| v);
            assert!(
                value.is_empty() || value.starts_with("ENC[") || line.starts_with("#ENC["),
                "{name}: a line stayed in clear: {}",
                line.split('=').next().unwrap_or("")
            );
        }
        env.write(&format!("enc-{name}"), &enc);
        let ours = env.enseal(&["decrypt", &format!("enc-{name}")]).ok().stdout;
        assert!(ours == plain, "{name}:\n{}", show(&ours));
        let theirs = env.sops(&["decrypt", &format!("enc-{name}")]).ok().stdout;
        let without_blanks: String = String::from_utf8_lossy(&plain)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(show(&theirs), without_blanks, "{name}");
    }
}

/// Every YAML fixture (Kubernetes, Helm, compose, CI workflows, Ansible, OpenAPI, ...)
/// encrypts in its own layout and decrypts back to the same bytes; sops decrypts
/// enseal's file to exactly what it prints for its own encryption of the input.
#[test]
fn yaml_fixtures_round_trip_byte_for_byte_and_sops_reads_them() {
    let (env, r) = TestEnv::with_age_key();
    let mut all = fixtures("yaml", "yaml");
    all.extend(fixtures("yaml", "yml"));
    assert!(all.len() >= 20, "{} YAML fixtures", all.len());
    for (name, plain) in all {
        env.write(&name, &plain);
        let enc = env.enseal(&["encrypt", "--age", &r, &name]).ok();
        assert!(enc.stderr.is_empty(), "{name}: {}", enc.stderr);
        let text = String::from_utf8(enc.stdout.clone()).unwrap();
        assert!(
            text.contains("\n  enseal_layout: kept\n")
                || text.contains("    enseal_layout: kept\n"),
            "{name}: layout not kept"
        );
        // Document markers stay where they were.
        let plain_text = String::from_utf8(plain.clone()).unwrap();
        for line in plain_text.lines() {
            if line == "---" || line == "..." {
                assert!(
                    text.lines().any(|l| l == line),
                    "{name}: lost a line: {line:?}"
                );
            }
        }
        let enc_name = format!("enc-{name}");
        env.write(&enc_name, &enc.stdout);
        let ours = env.enseal(&["decrypt", &enc_name]).ok().stdout;
        assert!(
            ours == plain,
            "{name}: enseal gives back other bytes:\n{}",
            show(&ours)
        );
        let theirs = env.sops(&["decrypt", &enc_name]).ok().stdout;
        let by_sops = env.sops(&["encrypt", "--age", &r, &name]).ok().stdout;
        env.write(&format!("sops-{name}"), &by_sops);
        let reference = env.sops(&["decrypt", &format!("sops-{name}")]).ok().stdout;
        assert!(
            theirs == reference,
            "{name}: sops reads enseal's file differently:\n{}\n--- sops' own ---\n{}",
            show(&theirs),
            show(&reference)
        );
    }
}

/// Every INI fixture encrypts in its own layout (same lines, only value and comment texts
/// replaced, a `[sops]` section marked `enseal_layout = kept` appended) and decrypts back
/// to the same bytes; sops decrypts enseal's file to exactly what it prints for its own
/// encryption of the input.
#[test]
fn ini_fixtures_round_trip_byte_for_byte_and_sops_reads_them() {
    let (env, r) = TestEnv::with_age_key();
    for (name, plain) in fixtures("ini", "ini") {
        env.write(&name, &plain);
        let enc = env.enseal(&["encrypt", "--age", &r, &name]).ok();
        assert!(enc.stderr.is_empty(), "{name}: {}", enc.stderr);
        let text = String::from_utf8(enc.stdout.clone()).unwrap();
        let (data, meta) = text
            .rsplit_once("[sops]\n")
            .unwrap_or_else(|| panic!("{name}: no [sops] section:\n{text}"));
        assert!(
            meta.lines()
                .any(|l| l.split_once('=').map(|(k, v)| (k.trim(), v.trim()))
                    == Some(("enseal_layout", "kept"))),
            "{name}: layout not kept"
        );
        // Line for line the same file: headers where they were, no value or comment left
        // in clear.
        let plain_text = String::from_utf8(plain.clone()).unwrap();
        assert_eq!(
            data.lines().count(),
            plain_text.lines().count() + usize::from(plain_text.ends_with('\n')),
            "{name}: lines moved:\n{data}"
        );
        for (ours, theirs) in data.lines().zip(plain_text.lines()) {
            let line = theirs.trim();
            if line.starts_with('[') {
                assert_eq!(ours, theirs, "{name}");
            } else if line.starts_with([';', '#']) {
                let words = line.trim_start_matches([';', '#', ' ']);
                assert!(
                    words.len() < 6 || !ours.contains(words),
                    "{name}: comment in clear"
                );
            } else if let Some((_, v)) = line.split_once(['=', ':']) {
                let v = v
                    .split([';', '#'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"');
                assert!(v.len() < 6 || !ours.contains(v), "{name}: value in clear");
            }
        }
        let enc_name = format!("enc-{name}");
        env.write(&enc_name, &enc.stdout);
        let ours = env.enseal(&["decrypt", &enc_name]).ok().stdout;
        assert!(
            ours == plain,
            "{name}: enseal gives back other bytes:\n{}",
            show(&ours)
        );
        let theirs = env.sops(&["decrypt", &enc_name]).ok().stdout;
        let by_sops = env.sops(&["encrypt", "--age", &r, &name]).ok().stdout;
        env.write(&format!("sops-{name}"), &by_sops);
        let reference = env.sops(&["decrypt", &format!("sops-{name}")]).ok().stdout;
        assert!(
            theirs == reference,
            "{name}: sops reads enseal's file differently:\n{}\n--- sops' own ---\n{}",
            show(&theirs),
            show(&reference)
        );
    }
}
