//! Tampering is caught: any change to a value, IV, tag, the set of values, the MAC or
//! `lastmodified` makes `decrypt` fail, print nothing on stdout, and name the file.

use crate::common::Env;

const PLAIN: &str = "user: alice\npassword: hunter2-secret\napi:\n    token: tok-9f8e7d\n    port: 8443\nlist:\n    - first-item\n    - second-item\n";
const SECRETS: [&str; 5] = [
    "alice",
    "hunter2-secret",
    "tok-9f8e7d",
    "first-item",
    "second-item",
];

/// The ENC[...] string on the line that starts with `key:` (after indentation).
fn enc_of<'a>(text: &'a str, key: &str) -> &'a str {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}: ENC[")))
        .unwrap_or_else(|| panic!("no encrypted {key}"));
    line.split_once(": ").unwrap().1
}

/// Replaces one character inside `field` (`data:`, `iv:` or `tag:`) of `enc`.
fn flip(enc: &str, field: &str) -> String {
    let start = enc.find(field).unwrap() + field.len() + 1;
    let mut bytes = enc.as_bytes().to_vec();
    bytes[start] = if bytes[start] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn check_rejected(
    env: &Env,
    name: &str,
    contents: &str,
    code: i32,
    what: &str,
    key_path: Option<&str>,
) {
    env.write(name, contents);
    let run = env.enseal(&["decrypt", name]);
    assert_eq!(run.status, code, "{what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what}: plaintext printed");
    assert!(
        run.stderr.contains(name),
        "{what}: file not named: {}",
        run.stderr
    );
    if let Some(p) = key_path {
        assert!(
            run.stderr.contains(p),
            "{what}: key path {p} not named: {}",
            run.stderr
        );
    }
    for s in SECRETS {
        assert!(!run.stderr.contains(s), "{what}: secret in stderr");
    }
    assert!(!run.stderr.contains("panicked"), "{what}");
}

fn tamper_suite(env: &Env, original: &str, label: &str) {
    // Sanity: the untouched file decrypts.
    env.write("ok.yaml", original);
    env.enseal(&["decrypt", "ok.yaml"]).ok();

    for field in ["data:", "iv:", "tag:"] {
        let enc = enc_of(original, "password");
        let bad = original.replace(enc, &flip(enc, field));
        check_rejected(
            env,
            "t.yaml",
            &bad,
            25,
            &format!("{label}: {field}"),
            Some("password"),
        );
    }
    let token = enc_of(original, "token");
    let bad = original.replace(token, &flip(token, "data:"));
    check_rejected(
        env,
        "t.yaml",
        &bad,
        25,
        &format!("{label}: nested"),
        Some("api.token"),
    );

    // Swap two values: each is bound to its key path.
    let (u, p) = (enc_of(original, "user"), enc_of(original, "password"));
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
        Some("user"),
    );

    // Delete a value: the MAC no longer matches.
    let line = original.lines().find(|l| l.starts_with("user:")).unwrap();
    let deleted = original.replace(&format!("{line}\n"), "");
    check_rejected(
        env,
        "t.yaml",
        &deleted,
        51,
        &format!("{label}: delete"),
        None,
    );

    // Reorder list items: only the MAC sees it.
    let (a, b) = (enc_of_item(original, 0), enc_of_item(original, 1));
    let reordered = original
        .replacen(&a, "@@A@@", 1)
        .replacen(&b, &a, 1)
        .replacen("@@A@@", &b, 1);
    check_rejected(
        env,
        "t.yaml",
        &reordered,
        51,
        &format!("{label}: reorder"),
        None,
    );

    // lastmodified is the MAC's additional data.
    let lm = original
        .lines()
        .find(|l| l.contains("lastmodified:"))
        .unwrap();
    // Move the seconds by one (58 -> 59, 59 -> 58): still a valid time.
    let digit = lm.len() - 3;
    let mut changed = lm.to_string();
    let d = lm.as_bytes()[digit];
    changed.replace_range(digit..digit + 1, if d == b'9' { "8" } else { "9" });
    assert_ne!(changed, lm);
    check_rejected(
        env,
        "t.yaml",
        &original.replace(lm, &changed),
        51,
        &format!("{label}: lastmodified"),
        None,
    );

    // The MAC itself.
    let mac_line = original
        .lines()
        .find(|l| l.trim_start().starts_with("mac: ENC["))
        .unwrap();
    let mac = mac_line.split_once("mac: ").unwrap().1;
    check_rejected(
        env,
        "t.yaml",
        &original.replace(mac, &flip(mac, "data:")),
        51,
        &format!("{label}: mac"),
        None,
    );
}

fn enc_of_item(text: &str, n: usize) -> String {
    text.lines()
        .filter(|l| l.trim_start().starts_with("- ENC["))
        .nth(n)
        .unwrap()
        .trim_start()[2..]
        .to_string()
}

#[test]
fn files_written_by_enseal_and_by_sops() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    env.write("plain.yaml", PLAIN);
    let ours = env
        .enseal(&["encrypt", "--age", &r, "plain.yaml"])
        .ok()
        .stdout_str();
    tamper_suite(&env, &ours, "enseal");
    let theirs = env
        .sops(&["encrypt", "--age", &r, "plain.yaml"])
        .ok()
        .stdout_str();
    tamper_suite(&env, &theirs, "sops");
}

#[test]
fn tampered_json_value_is_rejected() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    env.write("p.json", "{\"db\": {\"password\": \"hunter2-secret\"}}");
    let enc = env
        .enseal(&["encrypt", "--age", &r, "p.json"])
        .ok()
        .stdout_str();
    let start = enc.find("ENC[AES256_GCM,data:").unwrap() + "ENC[AES256_GCM,data:".len();
    let mut bytes = enc.into_bytes();
    bytes[start] = if bytes[start] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bytes).unwrap();
    env.write("t.json", &bad);
    let run = env.enseal(&["decrypt", "t.json"]);
    assert_eq!(run.status, 25);
    assert!(
        run.stderr.contains("t.json") && run.stderr.contains("db.password"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}
