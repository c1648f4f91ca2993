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

/// Three key groups (age, age, PGP) with threshold 2, both ways with sops; a file whose
/// key in one group is broken still opens through the other two, in both tools.
#[test]
fn three_groups_threshold_two_with_a_broken_group() {
    let shared = crate::common::generated().join("keys");
    let mut env = TestEnv::new();
    env.gpg_import(&shared.join("pgp-secret.asc"));
    let fp = std::fs::read_to_string(shared.join("pgp-fingerprint.txt")).unwrap();
    let fp = fp.trim();
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    let both = format!(
        "{}\n{}",
        std::fs::read_to_string(&k1).unwrap(),
        std::fs::read_to_string(&k2).unwrap()
    );
    env.write("both.txt", both);
    let both_path = env.work().join("both.txt");
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: ['{r1}']\n      - age: ['{r2}']\n      - pgp: ['{fp}']\n"),
    );
    env.write("s.yaml", PLAIN);
    let ours = env.enseal(&["encrypt", "s.yaml"]).ok().stdout;
    let theirs = env.sops(&["encrypt", "s.yaml"]).ok().stdout;
    for (name, enc) in [("e.yaml", &ours), ("t.yaml", &theirs)] {
        let text = String::from_utf8(enc.clone()).unwrap();
        assert!(
            text.contains("shamir_threshold: 2") && text.contains("key_groups:"),
            "{text}"
        );
        env.write(name, enc);
        // One age key and the PGP key: two groups.
        env.use_age_key(&k1);
        assert!(show(&env.enseal(&["decrypt", name]).ok().stdout).contains("s3cret-pa55"));
        assert!(show(&env.sops(&["decrypt", name]).ok().stdout).contains("s3cret-pa55"));
        // Break the PGP group's wrapped share: the two age groups still make two.
        let broken = break_pgp(&text);
        assert_ne!(broken, text);
        env.write(&format!("broken-{name}"), &broken);
        env.set("SOPS_AGE_KEY_FILE", both_path.display().to_string());
        let b = format!("broken-{name}");
        if name == "e.yaml" {
            // enseal's seal covers the metadata: the hand-edited file is refused after
            // the data key is recovered, and opens only with --ignore-mac.
            let run = env.enseal(&["decrypt", &b]);
            assert_eq!(run.status, 51, "{}", run.stderr);
            assert!(run.stderr.contains("seal mismatch"), "{}", run.stderr);
            assert!(!run.stdout_str().contains("s3cret-pa55"));
        }
        assert!(
            show(&env.enseal(&["decrypt", "--ignore-mac", &b]).ok().stdout).contains("s3cret-pa55"),
            "{name}"
        );
        assert!(
            show(&env.sops(&["decrypt", &b]).ok().stdout).contains("s3cret-pa55"),
            "{name}"
        );
        // With one age key only, the broken group leaves one of two: refused, and the
        // report says which group failed and why.
        env.use_age_key(&k1);
        let run = env.enseal(&["decrypt", &b]);
        assert_eq!(run.status, 128, "{name}");
        assert!(
            run.stderr.contains("Group 2: FAILED") && run.stderr.contains(&format!("pgp {fp}")),
            "{}",
            run.stderr
        );
    }
}

/// The text with the first data line of its PGP message garbled (armor kept).
fn break_pgp(text: &str) -> String {
    let mut out = Vec::new();
    let mut state = 0; // 0: before the message, 1: in its headers, 2: done
    for line in text.lines() {
        let t = line.trim_start();
        if state == 0 && t == "-----BEGIN PGP MESSAGE-----" {
            state = 1;
        } else if state == 1 && !t.is_empty() && !t.contains(':') {
            let indent = &line[..line.len() - t.len()];
            out.push(format!(
                "{indent}{}{}",
                "A".repeat(16),
                &t[16.min(t.len())..]
            ));
            state = 2;
            continue;
        }
        out.push(line.to_string());
    }
    out.join("\n") + "\n"
}

/// `updatekeys -r` finds the encrypted files its creation rules cover below a directory
/// (skipping plaintext, uncovered and hidden files) and updates them in parallel.
#[test]
fn updatekeys_walks_a_repository() {
    let mut env = TestEnv::new();
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    env.use_age_key(&k1);
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {r1}\n"),
    );
    std::fs::create_dir_all(env.work().join("secrets/prod/.cache")).unwrap();
    std::fs::create_dir_all(env.work().join("docs")).unwrap();
    let mut encrypted = Vec::new();
    for i in 0..12 {
        let name = format!("secrets/{}s{i}.yaml", if i % 2 == 0 { "prod/" } else { "" });
        env.write(&name, PLAIN);
        env.enseal(&["encrypt", "-i", &name]).ok();
        encrypted.push(name);
    }
    env.write("secrets/plain.yaml", "not: encrypted\n");
    env.write("secrets/prod/.cache/old.yaml", PLAIN);
    env.write("docs/readme.yaml", PLAIN);
    let untouched: Vec<Vec<u8>> = [
        "secrets/plain.yaml",
        "secrets/prod/.cache/old.yaml",
        "docs/readme.yaml",
    ]
    .iter()
    .map(|f| env.read(f))
    .collect();
    let run = env.enseal(&["updatekeys", "-y", "secrets"]);
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("-r"), "{}", run.stderr);
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {r1},{r2}\n"),
    );
    let run = env.enseal(&["updatekeys", "-y", "-r", "-j", "4", "."]).ok();
    assert_eq!(
        run.stderr.matches(": updated").count(),
        12,
        "{}",
        run.stderr
    );
    env.use_age_key(&k2);
    for name in &encrypted {
        assert_eq!(
            show(&env.enseal(&["decrypt", name]).ok().stdout),
            PLAIN,
            "{name}"
        );
    }
    for (f, before) in [
        "secrets/plain.yaml",
        "secrets/prod/.cache/old.yaml",
        "docs/readme.yaml",
    ]
    .iter()
    .zip(untouched)
    {
        assert_eq!(env.read(f), before, "{f} was changed");
    }
    // Every file checks out, and a damaged one is named (nothing of the plaintext shown).
    let run = env.enseal(&["decrypt", "--check", "-r", "secrets"]).ok();
    assert_eq!(
        run.stderr.matches("ok (decrypts, MAC matches)").count(),
        12,
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let victim = env.work().join(&encrypted[3]);
    let text = std::fs::read_to_string(&victim).unwrap();
    std::fs::write(
        &victim,
        text.replacen(
            "port: ENC[AES256_GCM,data:",
            "port: ENC[AES256_GCM,data:AA",
            1,
        ),
    )
    .unwrap();
    let run = env.enseal(&["decrypt", "--check", "-r", "secrets"]);
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains(&encrypted[3]) && run.stderr.contains("1 of 12"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    std::fs::write(&victim, text).unwrap();
    // rotate -r gives every file a new data key; k2 still opens them all.
    let before = String::from_utf8(env.read(&encrypted[0])).unwrap();
    let run = env.enseal(&["rotate", "-i", "-r", "secrets"]).ok();
    assert_eq!(
        run.stderr.matches(": rotated").count(),
        12,
        "{}",
        run.stderr
    );
    assert_ne!(String::from_utf8(env.read(&encrypted[0])).unwrap(), before);
    env.use_age_key(&k2);
    env.enseal(&["decrypt", "--check", "-r", "secrets"]).ok();
    // A second run has nothing to do.
    env.use_age_key(&k1);
    let run = env.enseal(&["updatekeys", "-y", "-r", "secrets"]).ok();
    assert_eq!(
        run.stderr.matches("already up to date").count(),
        12,
        "{}",
        run.stderr
    );
}

/// `groups add` adds a break-glass group and splits the key again; `groups delete`
/// removes one; sops reads every result.
#[test]
fn groups_add_and_delete() {
    let mut env = TestEnv::new();
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    let (k3, r3) = env.age_identity("k3.txt");
    env.use_age_key(&k1);
    env.write("s.yaml", PLAIN);
    env.enseal(&["encrypt", "--age", &r1, "-i", "s.yaml"]).ok();
    // A second group: with no threshold given, both groups are needed.
    let run = env
        .enseal(&["groups", "add", "-i", "--age", &r2, "s.yaml"])
        .ok();
    assert!(
        run.stderr.contains(&format!("Group 2: +age {r2}")),
        "{}",
        run.stderr
    );
    let text = String::from_utf8(env.read("s.yaml")).unwrap();
    assert!(text.contains("key_groups:"), "{text}");
    assert_eq!(env.enseal(&["decrypt", "s.yaml"]).status, 128);
    let pair = |a: &std::path::Path, b: &std::path::Path| {
        format!(
            "{}\n{}",
            std::fs::read_to_string(a).unwrap(),
            std::fs::read_to_string(b).unwrap()
        )
    };
    env.write("k12.txt", pair(&k1, &k2));
    env.set(
        "SOPS_AGE_KEY_FILE",
        env.work().join("k12.txt").display().to_string(),
    );
    assert_eq!(show(&env.enseal(&["decrypt", "s.yaml"]).ok().stdout), PLAIN);
    assert!(show(&env.sops(&["decrypt", "s.yaml"]).ok().stdout).contains("s3cret-pa55"));
    // A third group and a threshold of two: one key alone no longer opens it.
    env.enseal(&[
        "groups",
        "add",
        "-i",
        "--age",
        &r3,
        "--shamir-secret-sharing-threshold",
        "2",
        "s.yaml",
    ])
    .ok();
    env.use_age_key(&k3);
    assert_eq!(env.enseal(&["decrypt", "s.yaml"]).status, 128);
    // A threshold above the number of groups is refused.
    let run = env.enseal(&[
        "groups",
        "delete",
        "s.yaml",
        "0",
        "--shamir-secret-sharing-threshold",
        "3",
    ]);
    assert_ne!(run.status, 0);
    // Deleting the first group leaves k2 and k3, and the threshold two of them.
    env.set(
        "SOPS_AGE_KEY_FILE",
        env.work().join("k12.txt").display().to_string(),
    );
    env.enseal(&["groups", "delete", "-i", "s.yaml", "0"]).ok();
    let text = String::from_utf8(env.read("s.yaml")).unwrap();
    assert!(!text.contains(&r1), "{text}");
    env.use_age_key(&k1);
    assert_eq!(env.enseal(&["decrypt", "s.yaml"]).status, 128);
    assert_ne!(env.sops(&["decrypt", "s.yaml"]).status, 0);
    let both = pair(&k2, &k3);
    env.write("both.txt", both);
    env.set(
        "SOPS_AGE_KEY_FILE",
        env.work().join("both.txt").display().to_string(),
    );
    assert_eq!(show(&env.enseal(&["decrypt", "s.yaml"]).ok().stdout), PLAIN);
    assert!(show(&env.sops(&["decrypt", "s.yaml"]).ok().stdout).contains("s3cret-pa55"));
}

/// Work over many files shows a progress bar on a terminal (script(1) gives one) once
/// it has taken ENSEAL_PROGRESS_AFTER seconds (default 1), and none off a terminal.
#[test]
fn many_files_show_progress_only_on_a_terminal() {
    let (env, r) = TestEnv::with_age_key();
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: s/.*\n    age: {r}\n"),
    );
    for i in 0..6 {
        env.write(&format!("s/{i}.yaml"), format!("v: {i}\n"));
        env.enseal(&["encrypt", "-i", &format!("s/{i}.yaml")]).ok();
    }
    let plain = env.enseal(&["rotate", "-i", "-r", "s"]);
    assert_eq!(plain.status, 0, "{}", plain.stderr);
    assert!(
        !plain.stderr.contains("files") && !plain.stderr.contains('\x1b'),
        "{}",
        plain.stderr
    );
    assert_eq!(plain.stderr.lines().count(), 6, "{}", plain.stderr);
    let tty = |after: &str| {
        let mut cmd = env.command(
            std::path::Path::new("script"),
            &[
                "-qec",
                &format!("{} rotate -i -r s", env!("CARGO_BIN_EXE_enseal")),
                "/dev/null",
            ],
        );
        cmd.env("ENSEAL_PROGRESS_AFTER", after).env("TERM", "xterm");
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let shown = tty("0");
    assert!(shown.contains("/6 files"), "{shown:?}");
    assert_eq!(
        shown.matches("s/").count(),
        6,
        "every file's line still shows: {shown:?}"
    );
    let quick = tty("600");
    assert!(!quick.contains("/6 files"), "{quick:?}");
}

/// `rotate` and `updatekeys` report the keys they added and removed per file: lines on
/// standard error by default, JSON lines on standard output with --json, nothing with -q.
#[test]
fn rotate_and_updatekeys_report_key_changes_for_scripts() {
    let (env, r) = TestEnv::with_age_key();
    let (_, r2) = env.age_identity("second.txt");
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: s/.*\n    age: {r}\n"),
    );
    for i in 0..2 {
        env.write(&format!("s/{i}.yaml"), format!("v: {i}\n"));
        env.enseal(&["encrypt", "-i", &format!("s/{i}.yaml")]).ok();
    }
    let run = env
        .enseal(&["rotate", "-i", "--add-age", &r2, "s/0.yaml"])
        .ok();
    assert_eq!(
        run.stderr,
        format!("s/0.yaml: the key groups change:\n  Group 1: +age {r2}\n\n")
    );
    let run = env
        .enseal(&["rotate", "-i", "--json", "--rm-age", &r2, "s/0.yaml"])
        .ok();
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"file": "s/0.yaml", "result": "rotated",
            "keys": [{"change": "removed", "group": 1, "kind": "age", "key": r2}]})
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let refused = env.enseal(&["rotate", "--json", "s/0.yaml"]);
    assert_eq!(refused.status, 8, "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
    let quiet = env.enseal(&["rotate", "-i", "-r", "-q", "s"]).ok();
    assert!(
        quiet.stderr.is_empty() && quiet.stdout.is_empty(),
        "{}",
        quiet.stderr
    );
    // updatekeys: the rule now names both keys.
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: s/.*\n    age: {r},{r2}\n"),
    );
    let run = env
        .enseal(&[
            "updatekeys",
            "-y",
            "--json",
            "-j",
            "1",
            "s/0.yaml",
            "s/1.yaml",
        ])
        .ok();
    let lines: Vec<serde_json::Value> = run
        .stdout_str()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(l["result"], "updated");
        assert_eq!(
            l["keys"][0],
            serde_json::json!({"change": "added", "group": 1, "kind": "age", "key": r2})
        );
    }
    let again = env.enseal(&["updatekeys", "-y", "-q", "s/0.yaml"]).ok();
    assert!(again.stderr.is_empty() && again.stdout.is_empty());
    let again = env.enseal(&["updatekeys", "-y", "s/0.yaml"]).ok();
    assert_eq!(again.stderr, "s/0.yaml: already up to date\n");
}
