//! Tampering is caught: any change to a value, IV, tag, the set or order of values, the MAC
//! or `lastmodified` makes `decrypt` fail with 25 (a value) or 51 (the MAC), print nothing on
//! stdout, write nothing, name the file (and the key path), and never show a plaintext value.

use crate::common::TestEnv;

/// The plaintext values planted in every file; none may ever reach stderr.
const SECRETS: [&str; 5] = [
    "alice-the-user",
    "hunter2-secret",
    "tok-9f8e7d",
    "first-item",
    "second-item",
];

const YAML: &str = "user: alice-the-user\npassword: hunter2-secret\napi:\n    token: tok-9f8e7d\n    port: 8443\nlist:\n    - first-item\n    - second-item\n";

/// The byte range of the `ENC[...]` on the first line for which `pred` holds.
fn enc_span(text: &str, pred: impl Fn(&str) -> bool) -> (usize, usize) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if pred(line) {
            if let Some(s) = line.find("ENC[AES256_GCM,") {
                let e = line[s..].find(']').unwrap() + s + 1;
                return (offset + s, offset + e);
            }
        }
        offset += line.len();
    }
    panic!("no ENC[...] on a matching line in:\n{text}");
}

/// Changes the first character of `field` (`data:`, `iv:`, `tag:`) inside the ENC span.
fn flip(text: &str, span: (usize, usize), field: &str) -> String {
    let at = span.0 + text[span.0..span.1].find(field).unwrap() + field.len();
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Moves the seconds of `lastmodified` by one: still a valid time, a different MAC AAD.
fn bump_lastmodified(text: &str) -> String {
    let lm = text.find("lastmodified").expect("lastmodified");
    let z = lm + text[lm..].find('Z').unwrap();
    let digit = z - 1;
    let mut bytes = text.as_bytes().to_vec();
    assert!(bytes[digit].is_ascii_digit(), "{text}");
    bytes[digit] = if bytes[digit] == b'9' { b'8' } else { b'9' };
    String::from_utf8(bytes).unwrap()
}

fn is_mac_line(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches('"');
    (t.starts_with("mac") || t.starts_with("sops_mac")) && !t.starts_with("mac_only")
}

/// Runs `decrypt` on `contents` and checks it is refused the right way.
#[track_caller]
fn check_rejected(env: &TestEnv, name: &str, contents: &str, code: i32, what: &str, path: &[&str]) {
    env.write(name, contents);
    let run = env.enseal(&["decrypt", name]);
    assert_eq!(run.status, code, "{what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what}: something printed on stdout");
    assert!(
        run.stderr.starts_with("enseal: ") && run.stderr.contains(name),
        "{what}: file not named: {}",
        run.stderr
    );
    for p in path {
        assert!(
            run.stderr.contains(p),
            "{what}: key path {p} not named: {}",
            run.stderr
        );
    }
    for s in SECRETS {
        assert!(!run.stderr.contains(s), "{what}: plaintext {s} in stderr");
    }
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

/// The full YAML suite on one encrypted file (written by enseal or by sops).
fn yaml_suite(env: &TestEnv, original: &str, label: &str) {
    // The untouched file decrypts.
    env.write("ok.yaml", original);
    let plain = env.enseal(&["decrypt", "ok.yaml"]).ok().stdout_str();
    assert_eq!(plain, YAML);

    let password = enc_span(original, |l| l.starts_with("password:"));
    for field in ["data:", "iv:", "tag:"] {
        check_rejected(
            env,
            "t.yaml",
            &flip(original, password, field),
            25,
            &format!("{label}: password {field}"),
            &["password"],
        );
    }
    let token = enc_span(original, |l| l.trim_start().starts_with("token:"));
    check_rejected(
        env,
        "t.yaml",
        &flip(original, token, "data:"),
        25,
        &format!("{label}: nested value"),
        &["api", "token"],
    );
    let item = enc_span(original, |l| l.trim_start().starts_with("- ENC["));
    check_rejected(
        env,
        "t.yaml",
        &flip(original, item, "tag:"),
        25,
        &format!("{label}: list item"),
        &["list"],
    );

    // Swap two values: each is bound to its key path by the AAD.
    let user = enc_span(original, |l| l.starts_with("user:"));
    let (u, p) = (&original[user.0..user.1], &original[password.0..password.1]);
    let swapped = original
        .replacen(u, "@@U@@", 1)
        .replacen(p, u, 1)
        .replacen("@@U@@", p, 1);
    check_rejected(
        env,
        "t.yaml",
        &swapped,
        25,
        &format!("{label}: swap"),
        &["user"],
    );

    // Delete a value: every remaining value is intact, the MAC is not.
    let line = original.lines().find(|l| l.starts_with("user:")).unwrap();
    check_rejected(
        env,
        "t.yaml",
        &original.replacen(&format!("{line}\n"), "", 1),
        51,
        &format!("{label}: delete"),
        &[],
    );

    // Reorder list items: they have the same AAD, only the MAC sees the order.
    let items: Vec<&str> = original
        .lines()
        .filter(|l| l.trim_start().starts_with("- ENC["))
        .collect();
    let (a, b) = (items[0].trim_start(), items[1].trim_start());
    let reordered = original
        .replacen(a, "@@A@@", 1)
        .replacen(b, a, 1)
        .replacen("@@A@@", b, 1);
    check_rejected(
        env,
        "t.yaml",
        &reordered,
        51,
        &format!("{label}: reorder"),
        &[],
    );

    check_rejected(
        env,
        "t.yaml",
        &bump_lastmodified(original),
        51,
        &format!("{label}: lastmodified"),
        &[],
    );
    let mac = enc_span(original, is_mac_line);
    for field in ["data:", "iv:", "tag:"] {
        check_rejected(
            env,
            "t.yaml",
            &flip(original, mac, field),
            51,
            &format!("{label}: mac {field}"),
            &[],
        );
    }

    // Refused output is never written: not to --output, not in place.
    let bad = flip(original, password, "data:");
    env.write("t.yaml", &bad);
    let run = env.enseal(&["decrypt", "--output", "never.yaml", "t.yaml"]);
    assert_eq!(run.status, 25);
    assert!(
        !env.work().join("never.yaml").exists(),
        "{label}: --output written"
    );
    let before = env.listing();
    let run = env.enseal(&["decrypt", "-i", "t.yaml"]);
    assert_eq!(run.status, 25);
    assert_eq!(
        env.read("t.yaml"),
        bad.as_bytes(),
        "{label}: -i changed the file"
    );
    assert_eq!(env.listing(), before, "{label}: files left behind");
}

#[test]
fn yaml_files_written_by_enseal_and_by_sops() {
    let (env, r) = TestEnv::with_age_key();
    env.write("plain.yaml", YAML);
    let ours = env
        .enseal(&["encrypt", "--age", &r, "plain.yaml"])
        .ok()
        .stdout_str();
    yaml_suite(&env, &ours, "enseal");
    let theirs = env
        .sops(&["encrypt", "--age", &r, "plain.yaml"])
        .ok()
        .stdout_str();
    yaml_suite(&env, &theirs, "sops");
}

/// Per store: (file name, plaintext, the line holding the password, the key path words
/// enseal must name, the line of another value to delete).
struct Store {
    name: &'static str,
    plain: &'static str,
    password_line: fn(&str) -> bool,
    path: &'static [&'static str],
    delete_line: Option<fn(&str) -> bool>,
}

const STORES: [Store; 4] = [
    Store {
        name: "t.json",
        plain: "{\n  \"user\": \"alice-the-user\",\n  \"db\": {\n    \"password\": \"hunter2-secret\"\n  },\n  \"list\": [\n    \"first-item\",\n    \"second-item\"\n  ]\n}\n",
        password_line: |l| l.contains("\"password\": \"ENC["),
        path: &["db", "password"],
        delete_line: None,
    },
    Store {
        name: "t.env",
        plain: "USER=alice-the-user\nPASSWORD=hunter2-secret\nTOKEN=tok-9f8e7d\n",
        password_line: |l| l.starts_with("PASSWORD="),
        path: &["PASSWORD"],
        delete_line: Some(|l| l.starts_with("USER=")),
    },
    Store {
        name: "t.ini",
        plain: "[db]\nuser = alice-the-user\npassword = hunter2-secret\n\n[api]\ntoken = tok-9f8e7d\n",
        password_line: |l| l.starts_with("password"),
        path: &["db", "password"],
        delete_line: Some(|l| l.starts_with("user")),
    },
    Store {
        name: "t.bin",
        plain: "binary hunter2-secret\n",
        password_line: |l| l.contains("\"data\": \"ENC["),
        path: &["data"],
        delete_line: None,
    },
];

#[test]
fn other_stores_written_by_enseal_and_by_sops() {
    let (env, r) = TestEnv::with_age_key();
    for store in STORES {
        let ext = store.name.rsplit('.').next().unwrap();
        let plain_name = format!("plain.{ext}");
        env.write(&plain_name, store.plain);
        for tool in ["enseal", "sops"] {
            let args = ["encrypt", "--age", &r, &plain_name];
            let enc = if tool == "enseal" {
                env.enseal(&args)
            } else {
                env.sops(&args)
            }
            .ok()
            .stdout_str();
            let label = format!("{tool} {ext}");
            // The untouched file decrypts, to what sops prints (a JSON file enseal wrote:
            // to its input, whose layout enseal keeps).
            env.write(store.name, &enc);
            let ours = env.enseal(&["decrypt", store.name]).ok().stdout;
            let expected = if tool == "enseal" && matches!(ext, "json" | "yaml" | "ini") {
                store.plain.as_bytes().to_vec()
            } else {
                env.sops(&["decrypt", store.name]).ok().stdout
            };
            assert!(ours == expected, "{label}");

            let password = enc_span(&enc, store.password_line);
            for field in ["data:", "iv:", "tag:"] {
                check_rejected(
                    &env,
                    store.name,
                    &flip(&enc, password, field),
                    25,
                    &format!("{label}: value {field}"),
                    store.path,
                );
            }
            let mac = enc_span(&enc, is_mac_line);
            check_rejected(
                &env,
                store.name,
                &flip(&enc, mac, "data:"),
                51,
                &format!("{label}: mac"),
                &[],
            );
            check_rejected(
                &env,
                store.name,
                &bump_lastmodified(&enc),
                51,
                &format!("{label}: lastmodified"),
                &[],
            );
            if let Some(pred) = store.delete_line {
                let line = enc
                    .split_inclusive('\n')
                    .find(|l| pred(l))
                    .unwrap()
                    .to_string();
                check_rejected(
                    &env,
                    store.name,
                    &enc.replacen(&line, "", 1),
                    51,
                    &format!("{label}: delete"),
                    &[],
                );
            }
        }
    }
}

#[test]
fn ignore_mac_still_checks_every_value() {
    // --ignore-mac skips the MAC only: a tampered value is still refused.
    let (env, r) = TestEnv::with_age_key();
    env.write("plain.yaml", YAML);
    let enc = env
        .enseal(&["encrypt", "--age", &r, "plain.yaml"])
        .ok()
        .stdout_str();
    env.write("t.yaml", bump_lastmodified(&enc));
    let run = env.enseal(&["decrypt", "--ignore-mac", "t.yaml"]).ok();
    assert_eq!(run.stdout_str(), YAML);
    let password = enc_span(&enc, |l| l.starts_with("password:"));
    env.write("t.yaml", flip(&enc, password, "tag:"));
    let run = env.enseal(&["decrypt", "--ignore-mac", "t.yaml"]);
    assert_eq!(run.status, 25, "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// sops keeps an encrypted comment that no longer decrypts as text (comments are
/// outside its MAC), with a warning. enseal refuses it: a changed byte anywhere in an
/// encrypted comment, its `ENC[` mark included, is a changed file. A comment that was
/// never encrypted (sops < 3.6) is still read as it is.
#[test]
fn a_changed_encrypted_comment_is_refused() {
    let base = crate::common::generated();
    let mut env = TestEnv::new();
    env.use_age_key(&base.join("keys/age1.txt"));
    let original = std::fs::read_to_string(base.join("encrypted/basic.a-age.enc.env")).unwrap();
    let first = original.lines().next().unwrap();
    assert!(first.starts_with("#ENC[AES256_GCM,data:"), "{first}");
    for (what, at) in [
        ("the ENC mark", 3),
        ("the data", 25),
        ("the tag", first.find("tag:").unwrap() + 6),
    ] {
        let mut bytes = original.clone().into_bytes();
        bytes[at] = if bytes[at] == b'Q' { b'R' } else { b'Q' };
        env.write("m.env", &bytes);
        let run = env.enseal(&["decrypt", "m.env"]);
        assert_eq!(run.status, 25, "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains("an encrypted comment near"),
            "{what}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
        // sops lets it through, as a comment holding the changed ciphertext.
        let sops = env.sops(&["decrypt", "m.env"]);
        assert_eq!(sops.status, 0, "{what}");
    }
    // A clear comment (as sops < 3.6 wrote them) is kept, with a warning.
    env.write("old.env", original.replacen(first, "# a clear comment", 1));
    let run = env.enseal(&["decrypt", "old.env"]).ok();
    assert!(run.stdout_str().starts_with("# a clear comment\n"));
    assert!(run.stderr.contains("1 comment(s) were not encrypted"));
}

/// The seal covers what the sops MAC leaves out: in a file enseal wrote, a renamed clear
/// key, a changed null, a changed clear comment, a changed recipient line or a removed
/// seal is refused (51, or 1 for the metadata); sops, which ignores the seal, reads the
/// same bytes. A file sops wrote has no seal and reads as sops reads it.
#[test]
fn the_seal_refuses_what_the_mac_leaves_out() {
    let (env, r) = TestEnv::with_age_key();
    let plain = "# settings\nhost: db.internal\npassword: hunter2-secret\nempty: {}\nnothing: null\nlist:\n    - first-item\n";
    env.write("p.yaml", plain);
    let args = ["--age", &r, "--encrypted-regex", "^password$", "p.yaml"];
    let ours = env
        .enseal(&[&["encrypt"], &args[..]].concat())
        .ok()
        .stdout_str();
    let theirs = env
        .sops(&[&["encrypt"], &args[..]].concat())
        .ok()
        .stdout_str();
    assert!(ours.contains("enseal_seal: ENC[AES256_GCM,") && !theirs.contains("enseal_seal"));
    for (what, from, to) in [
        ("a renamed clear key", "host:", "hosT:"),
        ("a renamed empty map", "empty:", "empTy:"),
        ("a renamed null", "nothing:", "nothinG:"),
        ("a changed version", "version: 3.11.0", "version: 3.11.1"),
        ("a changed selector", "^password$", "^passwor(d)$"),
    ] {
        let forged = ours.replacen(from, to, 1);
        assert_ne!(forged, ours, "{what}");
        check_rejected(&env, "f.yaml", &forged, 51, what, &[]);
        let run = env.enseal(&["decrypt", "f.yaml"]);
        assert!(
            run.stderr.contains("seal mismatch"),
            "{what}: {}",
            run.stderr
        );
        // sops takes it, as it takes the same change in its own file.
        assert_eq!(env.sops(&["decrypt", "f.yaml"]).status, 0, "{what}");
        env.write("s.yaml", theirs.replacen(from, to, 1));
        if from != "^password$" {
            assert_eq!(
                env.enseal(&["decrypt", "s.yaml"]).status,
                0,
                "{what}: sops' file"
            );
        }
        // --ignore-mac reads it anyway.
        let anyway = env
            .enseal(&["decrypt", "--ignore-mac", "f.yaml"])
            .ok()
            .stdout_str();
        assert!(anyway.contains("hunter2-secret"), "{what}");
    }
    // A removed seal line in a file that keeps its layout is noticed too.
    let kept = ours.contains("enseal_layout: kept");
    assert!(kept, "{ours}");
    let unsealed: String = ours
        .lines()
        .filter(|l| !l.contains("enseal_seal"))
        .map(|l| format!("{l}\n"))
        .collect();
    check_rejected(&env, "u.yaml", &unsealed, 1, "a removed seal", &[]);
    assert!(env
        .enseal(&["decrypt", "u.yaml"])
        .stderr
        .contains("enseal_seal: missing"));
    // A value-only change keeps the seal: set changes the value, lastmodified and mac.
    env.write("v.yaml", &ours);
    env.enseal(&["set", "v.yaml", r#"["password"]"#, "\"new-secret\""])
        .ok();
    let after = env.read("v.yaml");
    let after = String::from_utf8(after).unwrap();
    let seal = |t: &str| {
        t.lines()
            .find(|l| l.contains("enseal_seal"))
            .map(str::to_string)
    };
    assert_eq!(seal(&after), seal(&ours));
    let changed: Vec<_> = ours
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(_, b)| b.trim_start().split(':').next().unwrap().to_string())
        .collect();
    // lastmodified too, unless both writes fell in the same second.
    assert!(
        changed.iter().any(|k| k == "password")
            && changed
                .iter()
                .all(|k| ["password", "lastmodified", "mac"].contains(&k.as_str())),
        "{changed:?}"
    );
    // A change of shape gets a new seal that holds.
    env.enseal(&["set", "v.yaml", r#"["added"]"#, "\"x\""]).ok();
    let again = String::from_utf8(env.read("v.yaml")).unwrap();
    assert_ne!(seal(&again), seal(&after));
    assert!(env
        .enseal(&["decrypt", "v.yaml"])
        .ok()
        .stdout_str()
        .contains("added: x"));
}
