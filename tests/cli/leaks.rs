//! No plaintext escapes: every failing command below works on files whose values are
//! canaries, and neither its standard output nor its standard error holds one, nor
//! does any file left in the temp or runtime directory, nor any stray file beside the
//! inputs.

use std::path::{Path, PathBuf};

use crate::common::{Run, TestEnv};

/// Values that must never be seen outside a successful decryption.
const CANARIES: [&str; 4] = [
    "CANARY-7f3e-PLAINTEXT",
    "canary-pw-81d2",
    "CANARY-TOKEN-5511",
    "c4n4ry-multiline-line2",
];

const SECRETS: &str = "db:\n  user: CANARY-7f3e-PLAINTEXT\n  password: canary-pw-81d2\n  port: 5432\napi:\n  token: CANARY-TOKEN-5511\ncert: |\n  line1\n  c4n4ry-multiline-line2\n";

struct Leaks {
    env: TestEnv,
    runtime: tempfile::TempDir,
    tmp: PathBuf,
    cases: usize,
}

impl Leaks {
    fn new() -> Leaks {
        let (mut env, _) = TestEnv::with_age_key();
        let runtime = crate::common::private_runtime("enseal-test-leak-");
        let tmp = env.dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        env.set("XDG_RUNTIME_DIR", runtime.path().display().to_string());
        env.set("TMPDIR", tmp.display().to_string());
        env.write("plain.yaml", SECRETS);
        let out = env.enseal(&["encrypt", "plain.yaml"]).ok();
        env.write("s.enc.yaml", &out.stdout);
        std::fs::remove_file(env.work().join("plain.yaml")).unwrap();
        Leaks {
            env,
            runtime,
            tmp,
            cases: 0,
        }
    }

    /// A case that must fail without showing a canary anywhere.
    #[track_caller]
    fn fails_quietly(&mut self, what: &str, run: Run) {
        assert_ne!(run.status, 0, "{what} succeeded");
        assert!(!run.stderr.is_empty(), "{what}: no error message");
        for c in CANARIES {
            assert!(
                !run.stderr.contains(c),
                "{what}: {c} in stderr: {}",
                run.stderr
            );
            assert!(!run.stdout_str().contains(c), "{what}: {c} in stdout");
        }
        self.cases += 1;
    }
}

/// Every file under `dir` holding a canary.
fn files_with_canaries(dir: &Path, skip: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        if p.is_dir() {
            found.extend(files_with_canaries(&p, &[]));
        } else if let Ok(bytes) = std::fs::read(&p) {
            let text = String::from_utf8_lossy(&bytes);
            if CANARIES.iter().any(|c| text.contains(c)) {
                found.push(p.display().to_string());
            }
        }
    }
    found
}

#[test]
fn failing_commands_never_show_a_value() {
    let mut t = Leaks::new();
    let enc = String::from_utf8(t.env.read("s.enc.yaml")).unwrap();

    // Decryption failures.
    let mut keyless = TestEnv::new();
    keyless.set("SOPS_AGE_KEY_FILE", "/nonexistent");
    keyless.write("s.enc.yaml", &enc);
    t.fails_quietly("no key", keyless.enseal(&["decrypt", "s.enc.yaml"]));
    let (other_key, _) = t.env.age_identity("other.txt");
    let mut wrong = TestEnv::new();
    wrong.use_age_key(&other_key);
    wrong.write("s.enc.yaml", &enc);
    t.fails_quietly("wrong key", wrong.enseal(&["decrypt", "s.enc.yaml"]));
    let at = enc.find("password: ENC[AES256_GCM,data:").unwrap() + 31;
    let mut bad = enc.clone().into_bytes();
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    t.env.write("tampered.enc.yaml", &bad);
    t.fails_quietly(
        "tampered value",
        t.env.enseal(&["decrypt", "tampered.enc.yaml"]),
    );
    let mac_at = enc.find("mac: ENC[AES256_GCM,data:").unwrap() + 26;
    let mut bad = enc.clone().into_bytes();
    bad[mac_at] = if bad[mac_at] == b'A' { b'B' } else { b'A' };
    t.env.write("badmac.enc.yaml", &bad);
    t.fails_quietly("bad MAC", t.env.enseal(&["decrypt", "badmac.enc.yaml"]));
    t.fails_quietly(
        "extract a missing key",
        t.env
            .enseal(&["decrypt", "--extract", r#"["db"]["nope"]"#, "s.enc.yaml"]),
    );
    t.fails_quietly(
        "--format with a binary value",
        t.env.enseal_stdin(
            &["decrypt", "--format", "dotenv", "--input-type", "yaml", "-"],
            b"not: encrypted\n",
        ),
    );

    // Bad input to encrypt and set.
    t.env
        .write("broken.yaml", "a: ok\nb: [CANARY-7f3e-PLAINTEXT\n");
    t.fails_quietly(
        "encrypt broken YAML",
        t.env.enseal(&["encrypt", "broken.yaml"]),
    );
    t.env.write("broken.json", "{\"a\": \"canary-pw-81d2\",}");
    t.fails_quietly(
        "encrypt broken JSON",
        t.env.enseal(&["encrypt", "broken.json"]),
    );
    t.fails_quietly(
        "set invalid JSON",
        t.env.enseal(&[
            "set",
            "s.enc.yaml",
            r#"["db"]["password"]"#,
            "{CANARY-TOKEN-5511",
        ]),
    );
    t.fails_quietly(
        "unset a missing key",
        t.env.enseal(&["unset", "s.enc.yaml", r#"["db"]["nope"]"#]),
    );

    // An edit saved invalid, then abandoned.
    let editor = t.env.write(
        "editor.sh",
        "#!/bin/sh\nprintf 'db: {user: CANARY-7f3e-PLAINTEXT\\n' > \"$1\"\n",
    );
    crate::common::chmod(&editor, 0o755);
    t.env.set("EDITOR", editor.display().to_string());
    t.fails_quietly("edit saved invalid", t.env.enseal(&["edit", "s.enc.yaml"]));

    // Templates and programs.
    t.fails_quietly(
        "template type error",
        t.env.enseal_stdin(
            &["render", "-s", "s.enc.yaml", "-"],
            b"{{ .db.password | base64decode }}",
        ),
    );
    t.fails_quietly(
        "template writes a map",
        t.env
            .enseal_stdin(&["render", "-s", "s.enc.yaml", "-"], b"{{ .db }}"),
    );
    t.fails_quietly(
        "template missing key",
        t.env
            .enseal_stdin(&["render", "-s", "s.enc.yaml", "-"], b"{{ .db.pasword }}"),
    );
    t.env.write(
        "c.yaml",
        "db_user: CANARY-7f3e-PLAINTEXT\ndb:\n  user: canary-pw-81d2\n",
    );
    t.env.enseal(&["encrypt", "-i", "c.yaml"]).ok();
    t.fails_quietly(
        "exec-env name collision",
        t.env.enseal(&["exec-env", "c.yaml", "--", "true"]),
    );
    t.fails_quietly(
        "exec-env program missing",
        t.env
            .enseal(&["exec-env", "s.enc.yaml", "--", "/no/such/program"]),
    );
    t.fails_quietly(
        "rotate-value verify fails",
        t.env.enseal(&[
            "rotate-value",
            "s.enc.yaml",
            "db.password",
            "--generate",
            "hex:16",
            "--verify",
            "exit 1",
        ]),
    );
    assert!(t.cases >= 17);

    // Nothing holds a canary: not the runtime or temp directory, not a stray file.
    for dir in [t.runtime.path(), &t.tmp] {
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
    }
    let stray = files_with_canaries(&t.env.work(), &["broken.yaml", "broken.json", "editor.sh"]);
    assert!(stray.is_empty(), "plaintext left in {stray:?}");
    // The encrypted file is unchanged by all of it.
    assert_eq!(String::from_utf8(t.env.read("s.enc.yaml")).unwrap(), enc);
}
