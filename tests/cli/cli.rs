//! Command behaviour: keygen, the local-key default, filestatus, --extract, in-place and
//! --output writes (atomic, mode kept, nothing left behind), standard input.

use crate::common::{chmod, mode, TestEnv};

const PLAIN: &str =
    "db:\n    user: admin\n    password: pw-secret\nlist:\n    - one\n    - two\nnum: 3\n";

#[test]
fn keygen_writes_0600_and_never_overwrites() {
    let env = TestEnv::new();
    let run = env.enseal(&["keygen"]).ok();
    let recipient = run.stdout_str().trim().to_string();
    assert!(
        recipient.starts_with("age1") && recipient.len() == 62,
        "{recipient}"
    );
    assert_eq!(
        run.stdout_str(),
        format!("{recipient}\n"),
        "stdout is the recipient only"
    );
    let path = env.home().join(".config/sops/age/keys.txt");
    let contents = std::fs::read_to_string(&path).unwrap();
    assert!(contents.contains(&format!("# public key: {recipient}\n")));
    assert_eq!(
        contents
            .lines()
            .filter(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .count(),
        1
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    // The secret never reaches the terminal.
    assert!(!run.stderr.contains("AGE-SECRET-KEY") && !run.stdout_str().contains("AGE-SECRET-KEY"));

    let again = env.enseal(&["keygen"]);
    assert_eq!(again.status, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("keys.txt"),
        "{}",
        again.stderr
    );
    assert!(again.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
    assert_eq!(mode(&path), 0o600);

    // -o: anywhere else, same rules.
    let other = env.dir.path().join("ci-key.txt");
    let run = env.enseal(&["keygen", "-o", other.to_str().unwrap()]).ok();
    assert_ne!(run.stdout_str().trim(), recipient);
    assert_eq!(mode(&other), 0o600);
    assert_eq!(
        env.enseal(&["keygen", "-o", other.to_str().unwrap()])
            .status,
        1
    );
}

#[test]
fn keygen_key_works_with_sops() {
    // sops reads the same default file, ~/.config/sops/age/keys.txt.
    let env = TestEnv::new();
    let recipient = env.enseal(&["keygen"]).ok().stdout_str().trim().to_string();
    env.write("a.yaml", "a: 1\n");
    let enc = env.sops(&["encrypt", "--age", &recipient, "a.yaml"]).ok();
    env.write("a.enc.yaml", &enc.stdout);
    assert_eq!(
        env.sops(&["decrypt", "a.enc.yaml"]).ok().stdout_str(),
        "a: 1\n"
    );
    assert_eq!(
        env.enseal(&["decrypt", "a.enc.yaml"]).ok().stdout_str(),
        "a: 1\n"
    );
}

#[test]
fn encrypt_uses_the_local_key_when_nothing_is_configured() {
    let env = TestEnv::new();
    let recipient = env.enseal(&["keygen"]).ok().stdout_str().trim().to_string();
    env.write("app.yaml", PLAIN);
    let enc = env.enseal(&["encrypt", "app.yaml"]).ok();
    let text = enc.stdout_str();
    assert!(text.contains(&format!("recipient: {recipient}")), "{text}");
    assert!(!text.contains("pw-secret"));
    env.write("app.enc.yaml", &enc.stdout);
    let dec = env.enseal(&["decrypt", "app.enc.yaml"]).ok();
    assert_eq!(dec.stdout_str(), PLAIN);
    // sops finds the same key file.
    assert_eq!(
        env.sops(&["decrypt", "app.enc.yaml"]).ok().stdout_str(),
        PLAIN
    );
}

#[test]
fn no_key_anywhere_is_a_clear_error() {
    let env = TestEnv::new();
    env.write("a.yaml", "a: 1\n");
    let run = env.enseal(&["encrypt", "a.yaml"]);
    assert_eq!(run.status, 111, "{}", run.stderr);
    assert!(
        run.stderr.contains("a.yaml") && run.stderr.contains("enseal keygen"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert_eq!(env.listing(), ["a.yaml"]);
}

#[test]
fn filestatus() {
    let (env, r) = TestEnv::with_age_key();
    for (name, plain) in [
        ("s.yaml", PLAIN),
        ("s.json", "{\"a\": 1}"),
        ("s.env", "A=1\n"),
        ("s.ini", "[s]\na = 1\n"),
        ("s.bin", "raw"),
    ] {
        env.write(name, plain);
        let status = |env: &TestEnv| env.enseal(&["filestatus", name]).ok().stdout_str();
        assert_eq!(status(&env), "{\"encrypted\":false}\n", "{name}");
        let theirs = env.sops(&["filestatus", name]);
        if name == "s.bin" {
            // sops cannot even load a plaintext binary file here (exit 1: it expects the
            // JSON envelope); enseal answers false.
            assert_eq!(theirs.status, 1, "{}", theirs.stderr);
        } else {
            assert_eq!(status(&env), theirs.ok().stdout_str(), "{name}");
        }
        env.enseal(&["encrypt", "--age", &r, "-i", name]).ok();
        assert_eq!(status(&env), "{\"encrypted\":true}\n", "{name}");
        assert_eq!(
            status(&env),
            env.sops(&["filestatus", name]).ok().stdout_str(),
            "{name}"
        );
    }
    // --input-type for a name that says nothing.
    std::fs::rename(env.work().join("s.yaml"), env.work().join("s.data")).unwrap();
    let run = env
        .enseal(&["filestatus", "--input-type", "yaml", "s.data"])
        .ok();
    assert_eq!(run.stdout_str(), "{\"encrypted\":true}\n");
    let missing = env.enseal(&["filestatus", "nope.yaml"]);
    assert_ne!(missing.status, 0);
    assert!(missing.stderr.contains("nope.yaml"), "{}", missing.stderr);
}

#[test]
fn extract_a_string_a_map_and_a_list_element() {
    let (env, r) = TestEnv::with_age_key();
    env.write("s.yaml", PLAIN);
    env.enseal(&["encrypt", "--age", &r, "-i", "s.yaml"]).ok();
    for (path, expected) in [
        ("[\"db\"][\"password\"]", "pw-secret"),
        ("[\"list\"][1]", "two"),
        ("[\"db\"]", "user: admin\npassword: pw-secret\n"),
        ("[\"list\"]", "- one\n- two\n"),
        ("[\"num\"]", "3\n"),
    ] {
        let ours = env.enseal(&["decrypt", "--extract", path, "s.yaml"]).ok();
        assert_eq!(ours.stdout_str(), expected, "{path}");
        let theirs = env.sops(&["decrypt", "--extract", path, "s.yaml"]).ok();
        assert_eq!(ours.stdout, theirs.stdout, "{path}: differs from sops");
    }
    // JSON prints a map as JSON.
    env.write("s.json", "{\"db\": {\"password\": \"pw\", \"port\": 5432}}");
    env.enseal(&["encrypt", "--age", &r, "-i", "s.json"]).ok();
    for path in ["[\"db\"]", "[\"db\"][\"port\"]", "[\"db\"][\"password\"]"] {
        let ours = env.enseal(&["decrypt", "--extract", path, "s.json"]).ok();
        let theirs = env.sops(&["decrypt", "--extract", path, "s.json"]).ok();
        assert_eq!(ours.stdout_str(), theirs.stdout_str(), "{path}");
    }
}

#[test]
fn in_place_keeps_the_mode_and_leaves_nothing_behind() {
    let (env, r) = TestEnv::with_age_key();
    let file = env.write("s.yaml", PLAIN);
    chmod(&file, 0o640);
    let listing = env.listing();

    let run = env.enseal(&["encrypt", "--age", &r, "-i", "s.yaml"]).ok();
    assert!(run.stdout.is_empty(), "-i prints nothing");
    assert_eq!(mode(&file), 0o640);
    assert_eq!(env.listing(), listing, "temp files left behind");
    let encrypted = String::from_utf8(env.read("s.yaml")).unwrap();
    assert!(encrypted.contains("ENC[AES256_GCM") && !encrypted.contains("pw-secret"));

    let run = env.enseal(&["decrypt", "-i", "s.yaml"]).ok();
    assert!(run.stdout.is_empty());
    assert_eq!(mode(&file), 0o640);
    assert_eq!(env.listing(), listing, "temp files left behind");
    assert_eq!(env.read("s.yaml"), PLAIN.as_bytes());
}

#[test]
fn output_writes_a_new_private_file() {
    let (env, r) = TestEnv::with_age_key();
    env.write("s.yaml", PLAIN);
    let run = env
        .enseal(&["encrypt", "--age", &r, "--output", "s.enc.yaml", "s.yaml"])
        .ok();
    assert!(run.stdout.is_empty());
    assert_eq!(
        env.read("s.yaml"),
        PLAIN.as_bytes(),
        "the input is untouched"
    );
    let run = env
        .enseal(&["decrypt", "--output", "out.yaml", "s.enc.yaml"])
        .ok();
    assert!(run.stdout.is_empty());
    assert_eq!(env.read("out.yaml"), PLAIN.as_bytes());
    // A new plaintext file is private.
    assert_eq!(mode(&env.work().join("out.yaml")), 0o600);
    assert_eq!(env.listing(), ["out.yaml", "s.enc.yaml", "s.yaml"]);
    // An existing target is replaced and keeps its mode.
    chmod(&env.work().join("out.yaml"), 0o644);
    env.enseal(&[
        "decrypt",
        "--output",
        "out.yaml",
        "--output-type",
        "json",
        "s.enc.yaml",
    ])
    .ok();
    assert!(String::from_utf8(env.read("out.yaml"))
        .unwrap()
        .starts_with("{\n\t\"db\": {"));
    assert_eq!(mode(&env.work().join("out.yaml")), 0o644);
    assert_eq!(env.listing(), ["out.yaml", "s.enc.yaml", "s.yaml"]);
}

#[test]
fn stdin_needs_a_name_and_uses_it() {
    let (env, r) = TestEnv::with_age_key();
    let run = env
        .enseal_stdin(
            &["encrypt", "--age", &r, "--filename-override", "app.env"],
            b"A=1\nB=two\n",
        )
        .ok();
    let text = run.stdout_str();
    assert!(
        text.starts_with("A=ENC[AES256_GCM") && text.contains("sops_version="),
        "{text}"
    );
    env.write("app.enc.env", &run.stdout);
    assert_eq!(
        env.enseal(&["decrypt", "app.enc.env"]).ok().stdout_str(),
        "A=1\nB=two\n"
    );
    // The override also picks the .sops.yaml rule.
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - path_regex: \\.env$\n    age: {r}\n    encrypted_regex: ^B$\n"
        ),
    );
    let run = env
        .enseal_stdin(
            &["encrypt", "--filename-override", "app.env"],
            b"A=1\nB=two\n",
        )
        .ok();
    assert!(
        run.stdout_str().starts_with("A=1\nB=ENC["),
        "{}",
        run.stdout_str()
    );
    let run = env.enseal_stdin(&["encrypt", "--filename-override", "app.json"], b"{}");
    assert_eq!(run.status, 1, "no rule for app.json: {}", run.stderr);
}

#[test]
fn help_and_version() {
    let env = TestEnv::new();
    for cmd in ["encrypt", "decrypt", "keygen", "filestatus"] {
        let run = env.enseal(&[cmd, "--help"]).ok();
        assert!(run.stdout_str().contains("Example"), "{cmd}");
    }
    let run = env.enseal(&["--version"]).ok();
    assert!(run.stdout_str().starts_with("enseal "));
    let run = env.enseal(&["frobnicate"]);
    assert_eq!(run.status, 2, "clap usage error");
    assert!(!run.stderr.contains("panicked"));
}
