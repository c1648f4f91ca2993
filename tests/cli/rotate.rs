//! `updatekeys` and `rotate` with the real sops beside enseal: a recipient added to
//! `.sops.yaml` can open the file after `updatekeys` and no value ciphertext changes;
//! after `rotate --rm-age` the removed key opens nothing (tried with that key, in both
//! tools) and every value has a new ciphertext.

use crate::common::{show, TestEnv};

const PLAIN: &str =
    "# app\ndb:\n  password: s3cret-pa55   # rotate me\n  port: 5432\ntoken: 'abc'\n";

/// The `ENC[...]` values of a file (and its MAC), in order.
fn values(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"ENC\[AES256_GCM,data:[^\]]*\]").unwrap();
    re.find_iter(text).map(|m| m.as_str().to_string()).collect()
}

/// The value lines outside the `sops` block (the block is first in a kept YAML file).
fn data_lines(text: &str) -> Vec<String> {
    let mut in_sops = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line == "sops:" {
            in_sops = true;
            continue;
        }
        if in_sops && (line.starts_with(' ') || line.is_empty()) {
            continue;
        }
        in_sops = false;
        out.push(line.to_string());
    }
    out
}

#[test]
fn updatekeys_adds_a_recipient_without_touching_values() {
    let mut env = TestEnv::new();
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    env.use_age_key(&k1);
    env.write(".sops.yaml", format!("creation_rules:\n  - age: {r1}\n"));
    env.write("s.yaml", PLAIN);
    env.enseal(&["encrypt", "-i", "s.yaml"]).ok();
    let before = String::from_utf8(env.read("s.yaml")).unwrap();
    // Nothing to do yet.
    let run = env.enseal(&["updatekeys", "-y", "s.yaml"]).ok();
    assert!(run.stderr.contains("already up to date"), "{}", run.stderr);
    assert_eq!(String::from_utf8(env.read("s.yaml")).unwrap(), before);
    // Without -y and without a terminal: refused, file untouched.
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - age: {r1},{r2}\n"),
    );
    let run = env.enseal(&["updatekeys", "s.yaml"]);
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("-y") && run.stderr.contains(&format!("+age {r2}")),
        "{}",
        run.stderr
    );
    assert_eq!(String::from_utf8(env.read("s.yaml")).unwrap(), before);

    let run = env.enseal(&["updatekeys", "-y", "s.yaml"]).ok();
    assert!(
        run.stderr.contains(&format!("Group 1: +age {r2}")),
        "{}",
        run.stderr
    );
    let after = String::from_utf8(env.read("s.yaml")).unwrap();
    assert_eq!(data_lines(&after), data_lines(&before), "values changed");
    let mac = |t: &str| {
        t.lines()
            .find(|l| l.trim_start().starts_with("mac: "))
            .map(str::to_string)
    };
    assert!(mac(&after).is_some());
    assert_eq!(mac(&after), mac(&before), "the MAC changed");
    // The new key alone opens it, in both tools; the old key still does.
    env.use_age_key(&k2);
    assert_eq!(show(&env.enseal(&["decrypt", "s.yaml"]).ok().stdout), PLAIN);
    assert!(show(&env.sops(&["decrypt", "s.yaml"]).ok().stdout).contains("s3cret-pa55"));
    env.use_age_key(&k1);
    assert_eq!(show(&env.enseal(&["decrypt", "s.yaml"]).ok().stdout), PLAIN);
}

#[test]
fn rotate_removes_a_recipient_for_good_and_renews_every_value() {
    let mut env = TestEnv::new();
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    let (k3, r3) = env.age_identity("k3.txt");
    env.use_age_key(&k1);
    env.write("s.yaml", PLAIN);
    let recipients = format!("{r1},{r2}");
    env.enseal(&["encrypt", "--age", &recipients, "-i", "s.yaml"])
        .ok();
    let before = String::from_utf8(env.read("s.yaml")).unwrap();
    // A file sops wrote rotates the same way.
    env.write("t.yaml", PLAIN);
    let by_sops = env
        .sops(&["encrypt", "--age", &recipients, "t.yaml"])
        .ok()
        .stdout;
    env.write("t.yaml", by_sops);

    for name in ["s.yaml", "t.yaml"] {
        env.use_age_key(&k1);
        let run = env
            .enseal(&["rotate", "-i", "--rm-age", &r2, "--add-age", &r3, name])
            .ok();
        assert!(
            run.stderr.contains(&format!("-age {r2}"))
                && run.stderr.contains(&format!("+age {r3}")),
            "{}",
            run.stderr
        );
        let text = String::from_utf8(env.read(name)).unwrap();
        assert!(
            !text.contains(&r2),
            "{name}: the removed recipient is still listed"
        );
        // The removed key opens nothing, in either tool.
        env.use_age_key(&k2);
        assert_eq!(env.enseal(&["decrypt", name]).status, 128, "{name}");
        assert_ne!(env.sops(&["decrypt", name]).status, 0, "{name}");
        // The kept and the added keys do.
        for k in [&k1, &k3] {
            env.use_age_key(k);
            let ours = show(&env.enseal(&["decrypt", name]).ok().stdout);
            assert!(ours.contains("s3cret-pa55"), "{name}");
            let theirs = show(&env.sops(&["decrypt", name]).ok().stdout);
            assert!(theirs.contains("s3cret-pa55"), "{name}");
        }
    }
    // enseal's file keeps its layout and gives back its plaintext exactly; every value
    // has a new ciphertext (a new data key).
    env.use_age_key(&k1);
    assert_eq!(show(&env.enseal(&["decrypt", "s.yaml"]).ok().stdout), PLAIN);
    let after = String::from_utf8(env.read("s.yaml")).unwrap();
    let (old, new) = (values(&before), values(&after));
    assert_eq!(old.len(), new.len());
    assert!(
        old.iter().all(|v| !new.contains(v)),
        "a ciphertext survived the rotation"
    );
    // Removing the last recipient is refused, the file untouched.
    let run = env.enseal(&["rotate", "-i", "--rm-age", &format!("{r1},{r3}"), "s.yaml"]);
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("empty"), "{}", run.stderr);
    assert_eq!(String::from_utf8(env.read("s.yaml")).unwrap(), after);
}
