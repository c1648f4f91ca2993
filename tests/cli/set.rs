//! `enseal set` changes one value and nothing else: in git, `git diff --numstat` of the
//! encrypted file counts exactly three changed lines (the value, `lastmodified`, `mac`),
//! for files enseal wrote in their own layout and for files sops wrote in its layout.
//! sops reads the result.

use crate::common::{show, TestEnv};

/// Waits for the next second of the clock, so that `lastmodified` (whole seconds)
/// differs from the one written when the file was encrypted.
pub(crate) fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 5_000_000,
    ));
}

pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) plain: &'static str,
    pub(crate) index: &'static str,
    pub(crate) old: &'static str,
    pub(crate) new: &'static str,
}

pub(crate) const CASES: [Case; 5] = [
    Case {
        name: "app.yaml",
        plain: "# Database settings\ndb:\n  host: db.internal   # primary\n  password: 'old-pa55'\n\n  pool: 5\ntokens: [abc, \"def\"]\n",
        index: r#"["db"]["password"]"#,
        old: "'old-pa55'",
        new: "'n3w-pa55'",
    },
    Case {
        name: "app.json",
        plain: "{\n  \"db\": {\"host\": \"db.internal\", \"password\": \"old-pa55\"},\n  \"pool\": 5\n}\n",
        index: r#"["db"]["password"]"#,
        old: "\"old-pa55\"",
        new: "\"n3w-pa55\"",
    },
    Case {
        name: "app.toml",
        plain: "# settings\n[db]\nhost = \"db.internal\"\npassword = \"old-pa55\"\n\npool = 5\n",
        index: r#"["db"]["password"]"#,
        old: "\"old-pa55\"",
        new: "\"n3w-pa55\"",
    },
    Case {
        name: "app.env",
        plain: "# settings\nDB_HOST=db.internal\n\nDB_PASSWORD=old-pa55\n",
        index: r#"["DB_PASSWORD"]"#,
        old: "old-pa55",
        new: "n3w-pa55",
    },
    Case {
        name: "app.ini",
        plain: "[db]\nhost = db.internal\npassword = old-pa55\n",
        index: r#"["db"]["password"]"#,
        old: "old-pa55",
        new: "n3w-pa55",
    },
];

fn numstat(env: &TestEnv) -> String {
    env.git(&["diff", "--numstat"]).ok().stdout_str()
}

#[test]
fn one_value_changes_three_lines_in_files_enseal_wrote() {
    let (env, r) = TestEnv::with_age_key();
    env.git(&["init", "-q"]).ok();
    for c in &CASES {
        env.write(c.name, c.plain);
        env.enseal(&["encrypt", "--age", &r, "-i", c.name]).ok();
    }
    env.git(&["add", "."]).ok();
    env.git(&["commit", "-qm", "encrypted"]).ok();
    next_second();
    for c in &CASES {
        env.enseal(&["set", c.name, c.index, "\"n3w-pa55\""]).ok();
        let stat = numstat(&env);
        assert_eq!(
            stat,
            format!("3\t3\t{}\n", c.name),
            "{}:\n{}",
            c.name,
            env.git(&["diff"]).ok().stdout_str()
        );
        // enseal gives back the plaintext with only that value changed.
        let ours = env.enseal(&["decrypt", c.name]).ok().stdout;
        let want = c.plain.replacen(c.old, c.new, 1);
        assert!(ours == want.as_bytes(), "{}:\n{}", c.name, show(&ours));
        if c.name != "app.toml" {
            let theirs = env
                .sops(&["decrypt", "--extract", c.index, c.name])
                .ok()
                .stdout;
            assert_eq!(theirs, b"n3w-pa55", "{}: sops reads another value", c.name);
        }
        env.git(&["commit", "-qam", c.name]).ok();
    }
}

#[test]
fn files_sops_wrote_keep_sops_layout() {
    let (env, r) = TestEnv::with_age_key();
    env.git(&["init", "-q"]).ok();
    for c in CASES.iter().filter(|c| c.name != "app.toml") {
        env.write(c.name, c.plain);
        let enc = env.sops(&["encrypt", "--age", &r, c.name]).ok().stdout;
        env.write(c.name, enc);
    }
    env.git(&["add", "."]).ok();
    env.git(&["commit", "-qm", "encrypted by sops"]).ok();
    next_second();
    for c in CASES.iter().filter(|c| c.name != "app.toml") {
        let before = env.sops(&["decrypt", c.name]).ok().stdout;
        env.enseal(&["set", c.name, c.index, "\"n3w-pa55\""]).ok();
        assert_eq!(
            numstat(&env),
            format!("3\t3\t{}\n", c.name),
            "{}:\n{}",
            c.name,
            env.git(&["diff"]).ok().stdout_str()
        );
        let text = String::from_utf8(env.read(c.name)).unwrap();
        assert!(
            !text.contains("enseal_layout"),
            "{}: marked as kept",
            c.name
        );
        // Both tools decrypt it to sops' output with the one value changed.
        let after = env.sops(&["decrypt", c.name]).ok().stdout;
        let old = c.old.trim_matches(['\'', '"']);
        let want = String::from_utf8(before)
            .unwrap()
            .replacen(old, "n3w-pa55", 1);
        assert_eq!(show(&after), want, "{}", c.name);
        assert_eq!(show(&env.enseal(&["decrypt", c.name]).ok().stdout), want);
        env.git(&["commit", "-qam", c.name]).ok();
    }
}

#[test]
fn values_from_stdin_idempotent_runs_and_refusals() {
    let (env, r) = TestEnv::with_age_key();
    env.write("s.yaml", "a: old\nb: 1\n");
    env.enseal(&["encrypt", "--age", &r, "-i", "s.yaml"]).ok();
    env.enseal_stdin(
        &["set", "--value-stdin", "s.yaml", r#"["a"]"#],
        b"\"from-stdin\"\n",
    )
    .ok();
    let out = env
        .enseal(&["decrypt", "--extract", r#"["a"]"#, "s.yaml"])
        .ok();
    assert_eq!(out.stdout, b"from-stdin");
    let before = env.read("s.yaml");
    env.enseal(&[
        "set",
        "--idempotent",
        "s.yaml",
        r#"["a"]"#,
        "\"from-stdin\"",
    ])
    .ok();
    assert_eq!(env.read("s.yaml"), before, "--idempotent rewrote the file");
    // A value that is not JSON: a clear error without the value, the file untouched.
    let run = env.enseal(&["set", "s.yaml", r#"["a"]"#, "s3cret-word"]);
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("s.yaml") && run.stderr.contains("JSON"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    let run = env.enseal(&["set", "s.yaml", r#"["sops"]["mac"]"#, "\"x\""]);
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("metadata"), "{}", run.stderr);
    assert_eq!(env.read("s.yaml"), before);
    // A new key: the file stays readable by both tools.
    env.enseal(&["set", "s.yaml", r#"["c"]["d"]"#, "{\"e\": [1, 2]}"])
        .ok();
    let ours = env.enseal(&["decrypt", "s.yaml"]).ok().stdout;
    let theirs = env.sops(&["decrypt", "s.yaml"]).ok().stdout;
    assert_eq!(show(&ours), show(&theirs));
    assert!(show(&ours).contains("c:"), "{}", show(&ours));
}

/// `unset` removes one value; every other value keeps its ciphertext, and both tools
/// read the result.
#[test]
fn unset_removes_one_value_and_keeps_the_others() {
    let (env, r) = TestEnv::with_age_key();
    let plain = "db:\n  host: db.internal\n  password: old-pa55\nlist:\n  - a\n  - b\n";
    env.write("e.yaml", plain);
    env.enseal(&["encrypt", "--age", &r, "-i", "e.yaml"]).ok();
    env.write("s.yaml", plain);
    let by_sops = env.sops(&["encrypt", "--age", &r, "s.yaml"]).ok().stdout;
    env.write("s.yaml", by_sops);
    let enc_values = |t: &str| -> Vec<String> {
        regex::Regex::new(r"ENC\[AES256_GCM,data:[^\]]*type:(str|int)\]")
            .unwrap()
            .find_iter(t)
            .map(|m| m.as_str().to_string())
            // The MAC is renewed by every change, the seal by every change of shape.
            .filter(|v| {
                !t.contains(&format!("mac: {v}")) && !t.contains(&format!("enseal_seal: {v}"))
            })
            .collect()
    };
    for name in ["e.yaml", "s.yaml"] {
        let before = String::from_utf8(env.read(name)).unwrap();
        env.enseal(&["unset", name, r#"["db"]["password"]"#]).ok();
        env.enseal(&["unset", name, r#"["list"][0]"#]).ok();
        let after = String::from_utf8(env.read(name)).unwrap();
        let (old, new) = (enc_values(&before), enc_values(&after));
        assert_eq!(new.len(), old.len() - 2, "{name}");
        assert!(
            new.iter().all(|v| old.contains(v)),
            "{name}: a kept value changed its ciphertext"
        );
        let theirs = show(&env.sops(&["decrypt", name]).ok().stdout);
        assert!(
            !theirs.contains("old-pa55") && theirs.contains("db.internal"),
            "{theirs}"
        );
        assert!(
            theirs.contains("- b") && !theirs.contains("- a"),
            "{theirs}"
        );
        let ours = show(&env.enseal(&["decrypt", name]).ok().stdout);
        assert!(!ours.contains("old-pa55") && ours.contains("- b"), "{ours}");
        // Nothing there: an error naming the path, or nothing with --idempotent.
        let run = env.enseal(&["unset", name, r#"["db"]["password"]"#]);
        assert_ne!(run.status, 0);
        assert!(
            run.stderr.contains("db.password") && run.stderr.contains("no value"),
            "{}",
            run.stderr
        );
        let same = env.read(name);
        env.enseal(&["unset", "--idempotent", name, r#"["db"]["password"]"#])
            .ok();
        assert_eq!(env.read(name), same);
    }
}

/// A file another enseal is changing is refused with a clear message, untouched.
#[test]
fn a_file_being_changed_is_locked() {
    let (env, r) = TestEnv::with_age_key();
    env.write("s.yaml", "a: old\n");
    env.enseal(&["encrypt", "--age", &r, "-i", "s.yaml"]).ok();
    let before = env.read("s.yaml");
    // What another enseal holds while it changes the file.
    let held = std::fs::File::open(env.work().join("s.yaml")).unwrap();
    held.lock().unwrap();
    for args in [
        vec!["set", "s.yaml", r#"["a"]"#, "\"new\""],
        vec!["unset", "s.yaml", r#"["a"]"#],
        vec!["rotate", "-i", "s.yaml"],
    ] {
        let run = env.enseal(&args);
        assert_ne!(run.status, 0, "{args:?}");
        assert!(
            run.stderr.contains("s.yaml")
                && run.stderr.contains("another enseal is changing this file"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(env.read("s.yaml"), before, "{args:?}");
    }
    held.unlock().unwrap();
    env.enseal(&["set", "s.yaml", r#"["a"]"#, "\"new\""]).ok();
    assert_eq!(
        env.enseal(&["decrypt", "--extract", r#"["a"]"#, "s.yaml"])
            .ok()
            .stdout,
        b"new"
    );
}

/// Equal items of one list share a key path in sops' format; each keeps its own
/// ciphertext when another value changes (one IV for all would show which are equal,
/// and rewrite their lines).
#[test]
fn equal_list_items_keep_their_own_ciphertexts() {
    let (env, r) = TestEnv::with_age_key();
    env.write(
        "e.yaml",
        "list:\n  - same\n  - same\n  - other\n  - same\nkey: old\n",
    );
    env.enseal(&["encrypt", "--age", &r, "-i", "e.yaml"]).ok();
    let before = String::from_utf8(env.read("e.yaml")).unwrap();
    let items = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.trim_start().strip_prefix("- ENC["))
            .map(str::to_string)
            .collect()
    };
    let old = items(&before);
    assert_eq!(old.len(), 4);
    assert!(
        old[0] != old[1] && old[1] != old[3],
        "fresh IVs at encryption"
    );
    env.enseal(&["set", "e.yaml", r#"["key"]"#, "\"new\""]).ok();
    let after = String::from_utf8(env.read("e.yaml")).unwrap();
    assert_eq!(items(&after), old);
    // A fourth equal item gets a fresh IV of its own (a longer list does not fit the
    // kept layout: the file is laid out afresh, the ciphertexts stay).
    env.enseal(&["set", "e.yaml", r#"["list"][4]"#, "\"same\""])
        .ok();
    let more = items(&String::from_utf8(env.read("e.yaml")).unwrap());
    assert_eq!(&more[..4], &old[..]);
    assert!(!old.contains(&more[4]));
    let theirs = env.sops(&["decrypt", "e.yaml"]).ok().stdout_str();
    assert!(
        theirs.contains("- same\n    - same\n    - other\n    - same\n    - same\n"),
        "{theirs}"
    );
}

/// After a change, the key paths it touched (never a value): on standard error, colored
/// only on a terminal without NO_COLOR; `--json` on standard output; `--quiet` nothing.
#[test]
fn set_unset_and_edit_report_the_key_paths_they_changed() {
    let (mut env, r) = TestEnv::with_age_key();
    env.write(
        "s.yaml",
        "db:\n  user: app\n  password: old-pa55\nlist: [a]\n",
    );
    env.enseal(&["encrypt", "--age", &r, "-i", "s.yaml"]).ok();
    let run = env
        .enseal(&["set", "s.yaml", r#"["db"]["password"]"#, "\"n3w-pa55\""])
        .ok();
    assert_eq!(
        run.stderr,
        "s.yaml: 0 added, 1 changed, 0 removed\n  ~ db.password\n"
    );
    assert!(run.stdout.is_empty());
    let run = env
        .enseal(&[
            "set",
            "--json",
            "s.yaml",
            r#"["api"]"#,
            "{\"token\": \"t0k\"}",
        ])
        .ok();
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"file": "s.yaml", "changes": [{"kind": "added", "path": "api.token"}]})
    );
    assert!(run.stderr.is_empty());
    let run = env
        .enseal(&["unset", "-q", "s.yaml", r#"["list"][0]"#])
        .ok();
    assert!(run.stderr.is_empty() && run.stdout.is_empty());
    let run = env.enseal(&["unset", "s.yaml", r#"["api"]"#]).ok();
    assert_eq!(
        run.stderr,
        "s.yaml: 0 added, 0 changed, 1 removed\n  - api.token\n"
    );
    // edit: the same report once the file is written.
    env.set("EDITOR", "sed -i 's/user: app/user: root/'");
    let run = env.enseal(&["edit", "s.yaml"]).ok();
    assert!(
        run.stderr
            .ends_with("s.yaml: 0 added, 1 changed, 0 removed\n  ~ db.user\n"),
        "{}",
        run.stderr
    );
    for text in [show(&env.read("s.yaml")), run.stderr.clone()] {
        assert!(!text.contains("n3w-pa55") && !text.contains("root\n"));
    }
    // Colors on a terminal (script(1) gives one), none with NO_COLOR.
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = env.command(
            std::path::Path::new("script"),
            &[
                "-qec",
                &format!(
                    "{} set s.yaml '[\"db\"][\"user\"]' '\"app{}\"'",
                    env!("CARGO_BIN_EXE_enseal"),
                    no_color.map_or("1", |_| "2")
                ),
                "/dev/null",
            ],
        );
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(
        on_tty(None).contains("\x1b[33m~ db.user\x1b[0m"),
        "{:?}",
        on_tty(None)
    );
    let plain = on_tty(Some("1"));
    assert!(
        plain.contains("~ db.user") && !plain.contains('\x1b'),
        "{plain:?}"
    );
}
