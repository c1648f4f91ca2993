//! Git integration in real repositories: `enseal git setup`, the merge driver (against
//! the same scenario without it), the diff driver, the pre-commit hook through real
//! `git commit`, and `git clean-check`.

use crate::common::{show, Run, TestEnv};

const PLAIN: &str = "# service settings\ndb:\n  user: app\n  password: old-pa55\n  host: db.internal\napi:\n  token: t0k3n\n  timeout: 30\n";

/// A repository with a `.sops.yaml` rule for `secrets/` and one encrypted file
/// committed on `main`.
fn repo(with_setup: bool) -> (TestEnv, String) {
    let (env, r) = TestEnv::with_age_key();
    env.git(&["init", "-q", "-b", "main"]).ok();
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: {r}\n"),
    );
    env.write("secrets/app.yaml", PLAIN);
    env.enseal(&["encrypt", "-i", "secrets/app.yaml"]).ok();
    if with_setup {
        env.enseal(&["git", "setup"]).ok();
    }
    env.git(&["add", "."]).ok();
    env.git(&["commit", "-qm", "secrets"]).ok();
    (env, r)
}

fn extract(env: &TestEnv, file: &str, path: &str) -> String {
    show(
        &env.enseal(&["decrypt", "--extract", path, file])
            .ok()
            .stdout,
    )
    .trim_end()
    .to_string()
}

/// Branch `a` runs `a_cmd`, branch `b` runs `b_cmd` (each a tool invocation on
/// secrets/app.yaml), then `a` merges `b`.
fn branches(
    env: &TestEnv,
    a: &[&[&str]],
    b: &[&[&str]],
    tool: fn(&TestEnv, &[&str]) -> Run,
) -> Run {
    env.git(&["checkout", "-q", "-b", "a"]).ok();
    for args in a {
        tool(env, args).ok();
    }
    env.git(&["commit", "-qam", "a"]).ok();
    env.git(&["checkout", "-q", "main"]).ok();
    env.git(&["checkout", "-q", "-b", "b"]).ok();
    for args in b {
        tool(env, args).ok();
    }
    env.git(&["commit", "-qam", "b"]).ok();
    env.git(&["checkout", "-q", "a"]).ok();
    env.git(&["merge", "--no-edit", "b"])
}

fn enseal(env: &TestEnv, args: &[&str]) -> Run {
    env.enseal(args)
}

fn sops(env: &TestEnv, args: &[&str]) -> Run {
    env.sops(args)
}

const SET_PASSWORD: &[&str] = &[
    "set",
    "secrets/app.yaml",
    r#"["db"]["password"]"#,
    "\"n3w-pa55\"",
];
const SET_TIMEOUT: &[&str] = &["set", "secrets/app.yaml", r#"["api"]["timeout"]"#, "60"];
const SET_PASSWORD_2: &[&str] = &[
    "set",
    "secrets/app.yaml",
    r#"["db"]["password"]"#,
    "\"th31r-pa55\"",
];

/// Two branches change neighbouring keys: with the driver git merges cleanly and the
/// result holds both changes; with sops alone the same merge conflicts.
#[test]
fn different_keys_merge_with_the_driver_and_conflict_without() {
    let (env, _) = repo(true);
    let run = branches(&env, &[SET_PASSWORD], &[SET_TIMEOUT], enseal);
    assert_eq!(run.status, 0, "{}\n{}", run.stderr, run.stdout_str());
    assert_eq!(
        extract(&env, "secrets/app.yaml", r#"["db"]["password"]"#),
        "n3w-pa55"
    );
    assert_eq!(
        extract(&env, "secrets/app.yaml", r#"["api"]["timeout"]"#),
        "60"
    );
    // The merged file is whole: sops decrypts it and checks its MAC.
    let theirs = env.sops(&["decrypt", "secrets/app.yaml"]).ok();
    assert!(show(&theirs.stdout).contains("password: n3w-pa55"));
    // Values nobody changed kept their ciphertexts.
    let before = show(&env.git(&["show", "main:secrets/app.yaml"]).ok().stdout);
    let after = show(&env.read("secrets/app.yaml"));
    let token = |t: &str| {
        t.lines()
            .find(|l| l.contains("token:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(token(&before), token(&after));

    // The same two changes made with sops, in a repository without the driver.
    let (env, _) = repo(false);
    let set_password = [
        "set",
        "secrets/app.yaml",
        r#"["db"]["password"]"#,
        "\"n3w-pa55\"",
    ];
    let set_timeout = ["set", "secrets/app.yaml", r#"["api"]["timeout"]"#, "60"];
    let run = branches(&env, &[&set_password], &[&set_timeout], sops);
    assert_ne!(run.status, 0, "sops files merged without conflict?");
    assert!(
        run.stdout_str().contains("CONFLICT"),
        "{}",
        run.stdout_str()
    );
}

/// Both branches change the same key: git reports a conflict, the driver names the
/// key path, and the file keeps ours' value, still encrypted and whole.
#[test]
fn the_same_key_changed_twice_is_a_conflict_naming_it() {
    let (env, _) = repo(true);
    let run = branches(
        &env,
        &[SET_PASSWORD, SET_TIMEOUT],
        &[SET_PASSWORD_2],
        enseal,
    );
    assert_ne!(run.status, 0);
    assert!(
        run.stdout_str().contains("CONFLICT"),
        "{}",
        run.stdout_str()
    );
    assert!(run.stderr.contains("db.password"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("n3w-pa55") && !run.stderr.contains("th31r"),
        "{}",
        run.stderr
    );
    assert_eq!(
        extract(&env, "secrets/app.yaml", r#"["db"]["password"]"#),
        "n3w-pa55"
    );
    assert_eq!(
        extract(&env, "secrets/app.yaml", r#"["api"]["timeout"]"#),
        "60"
    );
    // No plaintext in the work tree: the file is encrypted.
    let text = show(&env.read("secrets/app.yaml"));
    assert!(
        text.contains("ENC[AES256_GCM") && !text.contains("<<<<<<<"),
        "{text}"
    );
}

/// A branch that removed a recipient (a new data key) merges with one that changed a
/// value: the result has the value and the removal; the old key cannot open it.
#[test]
fn a_revocation_survives_the_merge() {
    let (mut env, r) = repo(true);
    let (old_key, old) = env.age_identity("leaver.txt");
    // Both keys can open the file on main.
    env.enseal(&["rotate", "-i", "--add-age", &old, "secrets/app.yaml"])
        .ok();
    env.git(&["commit", "-qam", "add leaver"]).ok();
    let rm_leaver: &[&str] = &["rotate", "-i", "--rm-age", &old, "secrets/app.yaml"];
    let run = branches(&env, &[SET_PASSWORD], &[rm_leaver], enseal);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        extract(&env, "secrets/app.yaml", r#"["db"]["password"]"#),
        "n3w-pa55"
    );
    let text = show(&env.read("secrets/app.yaml"));
    assert!(text.contains(&r) && !text.contains(&old), "{text}");
    env.use_age_key(&old_key);
    let run = env.enseal(&["decrypt", "secrets/app.yaml"]);
    assert_ne!(run.status, 0, "the removed recipient still opens the merge");
}

/// `git diff` and `git log -p` show plaintext changes; without a key they still work
/// and show which values changed.
#[test]
fn diffs_show_plaintext_and_work_without_a_key() {
    let (mut env, _) = repo(true);
    env.enseal(SET_PASSWORD).ok();
    let diff = env.git(&["diff"]).ok().stdout_str();
    assert!(diff.contains("-  password: old-pa55"), "{diff}");
    assert!(diff.contains("+  password: n3w-pa55"), "{diff}");
    assert!(!diff.contains("ENC["), "{diff}");
    env.git(&["commit", "-qam", "new password"]).ok();
    let log = env.git(&["log", "-p", "-1"]).ok().stdout_str();
    assert!(log.contains("+  password: n3w-pa55"), "{log}");
    // A recipient added shows as a line of its own.
    let (_, other) = env.age_identity("other.txt");
    env.enseal(&["rotate", "-i", "--add-age", &other, "secrets/app.yaml"])
        .ok();
    let diff = env.git(&["diff"]).ok().stdout_str();
    assert!(
        diff.contains(&format!("+#   group 1: age {other}")),
        "{diff}"
    );
    env.git(&["checkout", "secrets/app.yaml"]).ok();
    // No key: the diff still works, values as fingerprints.
    env.unset("SOPS_AGE_KEY_FILE");
    env.set(
        "SOPS_AGE_KEY_FILE",
        env.dir.path().join("none.txt").display().to_string(),
    );
    let log = env.git(&["log", "-p", "-1"]).ok().stdout_str();
    assert!(log.contains("<encrypted "), "{log}");
    assert!(log.contains("password: <encrypted"), "{log}");
    assert!(!log.contains("n3w-pa55"));
}

/// The hook, through real `git commit`: a plaintext file under a rule, a decrypted
/// copy, a broken encrypted file and a decrypted tracked file are refused; a normal
/// encrypted change goes through.
#[test]
fn the_hook_blocks_plaintext_and_broken_files() {
    let (env, _) = repo(true);
    let commit = |msg: &str| env.git(&["commit", "-qm", msg]);
    // A normal encrypted change.
    env.enseal(SET_PASSWORD).ok();
    env.git(&["add", "-A"]).ok();
    commit("password").ok();

    // A new plaintext file where the rule says secrets go.
    env.write("secrets/new.yaml", "token: s3cret-in-clear\n");
    env.git(&["add", "-A"]).ok();
    let run = commit("plaintext");
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("secrets/new.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("staged unencrypted"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    env.git(&["reset", "-q"]).ok();
    std::fs::remove_file(env.work().join("secrets/new.yaml")).unwrap();

    // Decrypted copies: by name, and by shape (same keys and value lengths).
    let plain = env.enseal(&["decrypt", "secrets/app.yaml"]).ok().stdout;
    env.write("app.dec.yaml", &plain);
    env.git(&["add", "app.dec.yaml"]).ok();
    let run = commit("copy");
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("app.dec.yaml") && run.stderr.contains("decrypted copy"),
        "{}",
        run.stderr
    );
    env.git(&["reset", "-q"]).ok();
    std::fs::remove_file(env.work().join("app.dec.yaml")).unwrap();
    env.write("secrets/app-backup.yml", &plain);
    env.git(&["add", "secrets/app-backup.yml"]).ok();
    let run = commit("shape");
    assert_ne!(run.status, 0);
    assert!(
        run.stderr
            .contains("same keys and value lengths as the encrypted secrets/app.yaml"),
        "{}",
        run.stderr
    );
    env.git(&["reset", "-q"]).ok();
    std::fs::remove_file(env.work().join("secrets/app-backup.yml")).unwrap();
    // A secret in a plain file (the scanner, on the lines the commit adds).
    env.write("deploy/run.sh", "curl -H x https://api.example.com\nexport GH_TOKEN=ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n");
    env.git(&["add", "deploy/run.sh"]).ok();
    let run = commit("script");
    assert_ne!(run.status, 0);
    assert!(
        run.stderr
            .contains("deploy/run.sh:2: GitHub personal access token"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("prOSuv"), "{}", run.stderr);
    env.git(&["reset", "-q"]).ok();
    std::fs::remove_file(env.work().join("deploy/run.sh")).unwrap();
    // An example file with placeholders is fine.
    env.write(
        "secrets/app.example.yml",
        PLAIN
            .replace("old-pa55", "CHANGE_ME")
            .replace("t0k3n", "CHANGE_ME"),
    );
    env.git(&["add", "secrets/app.example.yml"]).ok();
    commit("example").ok();

    // A tracked encrypted file decrypted in place.
    env.enseal(&["decrypt", "-i", "secrets/app.yaml"]).ok();
    env.git(&["add", "secrets/app.yaml"]).ok();
    let run = commit("decrypted");
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("secrets/app.yaml"), "{}", run.stderr);
    env.git(&["checkout", "HEAD", "--", "secrets/app.yaml"])
        .ok();

    // Broken: one value decrypted by hand, one ciphertext cut short.
    let text = show(&env.read("secrets/app.yaml"));
    let token_line = text.lines().find(|l| l.contains("token:")).unwrap();
    let hand = text.replace(token_line, "  token: put-in-by-hand");
    env.write("secrets/app.yaml", &hand);
    env.git(&["add", "secrets/app.yaml"]).ok();
    let run = commit("by hand");
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("api.token is in clear"),
        "{}",
        run.stderr
    );
    let line = hand
        .lines()
        .position(|l| l.contains("put-in-by-hand"))
        .unwrap()
        + 1;
    assert!(
        run.stderr.contains(&format!("secrets/app.yaml:{line}:")),
        "{}",
        run.stderr
    );
    // A cut ciphertext, in a value and in the MAC.
    let cut_token = token_line.replacen(",iv:", "X,iv:", 1);
    let mac_line = text.lines().find(|l| l.contains("mac: ENC[")).unwrap();
    for cut in [
        text.replace(token_line, &cut_token),
        text.replace(mac_line, &mac_line.replacen(",iv:", "X,iv:", 1)),
    ] {
        env.write("secrets/app.yaml", &cut);
        env.git(&["add", "secrets/app.yaml"]).ok();
        let run = commit("cut");
        assert_ne!(run.status, 0);
        assert!(
            run.stderr.contains("the encrypted file is broken"),
            "{}",
            run.stderr
        );
    }
    env.git(&["checkout", "HEAD", "--", "secrets/app.yaml"])
        .ok();
    assert!(env
        .git(&["status", "--porcelain", "secrets"])
        .ok()
        .stdout
        .is_empty());
}

/// setup is idempotent, keeps an existing hook (run first) and `--uninstall` puts it
/// back; `core.hooksPath` is where the hook goes when set.
#[test]
fn setup_chains_an_existing_hook_and_uninstalls() {
    let (env, _) = repo(false);
    let hooks = env.work().join(".githooks");
    std::fs::create_dir(&hooks).unwrap();
    env.git(&["config", "core.hooksPath", ".githooks"]).ok();
    let marker = env.dir.path().join("old-hook-ran");
    std::fs::write(
        hooks.join("pre-commit"),
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    crate::common::chmod(&hooks.join("pre-commit"), 0o755);
    let first = env.enseal(&["git", "setup"]).ok().stdout_str();
    assert!(first.contains("kept as"), "{first}");
    let attrs = show(&env.read(".gitattributes"));
    assert!(
        attrs.contains("secrets/**/*.yaml diff=enseal merge=enseal"),
        "{attrs}"
    );
    // Again: nothing changes.
    env.enseal(&["git", "setup"]).ok();
    assert_eq!(show(&env.read(".gitattributes")), attrs);
    assert!(hooks.join("pre-commit.enseal-chained").exists());
    // The old hook runs, then enseal's check.
    env.write("secrets/new.yaml", "a: 1\n");
    env.git(&["add", "-A"]).ok();
    let run = env.git(&["commit", "-qm", "x"]);
    assert_ne!(run.status, 0);
    assert!(marker.exists(), "the chained hook did not run");
    env.git(&["reset", "-q"]).ok();
    std::fs::remove_file(env.work().join("secrets/new.yaml")).unwrap();
    // Uninstall: the old hook is back, the block and the drivers are gone.
    env.enseal(&["git", "setup", "--uninstall"]).ok();
    let hook = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    assert!(hook.contains("touch"), "{hook}");
    assert!(!env.work().join(".gitattributes").exists());
    let cfg = env.git(&["config", "--local", "--list"]).ok().stdout_str();
    assert!(!cfg.contains("enseal"), "{cfg}");
}

/// Encrypted files outside every rule's patterns still get the drivers (a line each).
#[test]
fn setup_covers_encrypted_files_outside_the_rules() {
    let (env, r) = repo(false);
    env.write("ops/db.json", "{\"password\": \"x\"}\n");
    // Encrypted by hand, outside the rules (a config without rules).
    let no_rules = env.dir.path().join("no-rules.yaml");
    std::fs::write(&no_rules, "").unwrap();
    let no_rules = no_rules.display().to_string();
    env.enseal(&[
        "encrypt",
        "--config",
        &no_rules,
        "--age",
        &r,
        "-i",
        "ops/db.json",
    ])
    .ok();
    env.git(&["add", "-A"]).ok();
    env.git(&["commit", "-qm", "ops"]).ok();
    env.enseal(&["git", "setup"]).ok();
    let attrs = show(&env.read(".gitattributes"));
    assert!(
        attrs.contains("/ops/db.json diff=enseal merge=enseal"),
        "{attrs}"
    );
    let check = env
        .git(&[
            "check-attr",
            "diff",
            "--",
            "ops/db.json",
            "secrets/app.yaml",
        ])
        .ok();
    assert_eq!(
        check.stdout_str(),
        "ops/db.json: diff: enseal\nsecrets/app.yaml: diff: enseal\n"
    );
}

/// clean-check lists untracked plaintext copies until they are ignored.
#[test]
fn clean_check_lists_untracked_plaintext() {
    let (env, _) = repo(true);
    env.enseal(&["git", "clean-check"]).ok();
    let plain = env.enseal(&["decrypt", "secrets/app.yaml"]).ok().stdout;
    env.write("secrets/app.dec.yaml", &plain);
    let run = env.enseal(&["git", "clean-check"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stdout_str().contains("secrets/app.dec.yaml"),
        "{}",
        run.stdout_str()
    );
    env.write(".gitignore", "*.dec.yaml\n");
    env.enseal(&["git", "clean-check"]).ok();
}
