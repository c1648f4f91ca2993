//! Killed mid-write: `encrypt -i`, `edit`, `set`, `rotate -i -r` over many files and
//! `updatekeys -y -r` are SIGKILLed at spread-out moments. Every file is then either
//! exactly as it was or a complete new version that decrypts (MAC checked) to the
//! expected plaintext; never partial.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::TestEnv;

/// A plaintext with enough values that writing it takes a moment.
fn big_yaml(seed: usize) -> String {
    let mut s = String::new();
    for i in 0..400 {
        s.push_str(&format!(
            "key{i}:\n  user: user-{seed}-{i}\n  password: pw-{seed}-{i}-abcdefghijklmnop\n"
        ));
    }
    s
}

/// Runs `args` and SIGKILLs it after `delay` (if still running).
fn run_and_kill(env: &TestEnv, args: &[&str], delay: Duration) {
    let mut child = env
        .command(Path::new(env!("CARGO_BIN_EXE_enseal")), args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// How long `args` takes when left alone (the kill delays are spread over it).
fn duration_of(env: &TestEnv, args: &[&str]) -> Duration {
    let start = Instant::now();
    env.enseal(args).ok();
    start.elapsed()
}

/// The plaintext of an encrypted file, or `None` if it does not decrypt.
fn plaintext(env: &TestEnv, file: &str) -> Option<Vec<u8>> {
    let run = env.enseal(&["decrypt", file]);
    (run.status == 0).then_some(run.stdout)
}

/// Kills `args` at `rounds` moments spread over its normal run time (plus a few
/// before it could start writing), restoring the files from `reset` each round, and
/// checks each file with `check`.
fn kill_rounds(
    env: &TestEnv,
    args: &[&str],
    rounds: usize,
    reset: &dyn Fn(),
    check: &dyn Fn(usize),
) -> (usize, Duration) {
    reset();
    let full = duration_of(env, args);
    for round in 0..rounds {
        reset();
        // From 0 to 120% of the full run.
        let delay = full.mul_f64(round as f64 * 1.2 / rounds as f64);
        run_and_kill(env, args, delay);
        check(round);
    }
    (rounds, full)
}

#[test]
fn encrypt_set_edit_killed_leave_old_or_new() {
    let (mut env, _) = TestEnv::with_age_key();
    let editor = env.write(
        "editor.sh",
        "#!/bin/sh\nsed -i 's/pw-0-3-abcdefghijklmnop/edited/' \"$1\"\n",
    );
    crate::common::chmod(&editor, 0o755);
    env.set("EDITOR", editor.display().to_string());
    // The plaintext copies of the killed edits go to a runtime directory of the test's
    // own (on /dev/shm when there is one), so that what they leave can be checked.
    let runtime = crate::common::private_runtime("enseal-test-kill-");
    env.set("XDG_RUNTIME_DIR", runtime.path().display().to_string());
    let plain = big_yaml(0);
    let encrypted_once = {
        env.write("s.yaml", &plain);
        env.enseal(&["encrypt", "-i", "s.yaml"]).ok();
        env.read("s.yaml")
    };

    // encrypt -i: the plaintext file, or a complete encrypted file of it.
    let reset = || {
        env.write("p.yaml", &plain);
    };
    let check = |round: usize| {
        let now = env.read("p.yaml");
        if now != plain.as_bytes() {
            assert_eq!(
                plaintext(&env, "p.yaml").as_deref(),
                Some(plain.as_bytes()),
                "encrypt round {round}: partial file"
            );
        }
    };
    let (n, t) = kill_rounds(&env, &["encrypt", "-i", "p.yaml"], 25, &reset, &check);
    eprintln!("encrypt -i: {n} kills over {t:?}");

    // set: the old file, or the new one with exactly one value changed.
    let expected_new = plain.replace("pw-0-7-abcdefghijklmnop", "changed");
    let reset = || {
        env.write("s.yaml", &encrypted_once);
    };
    let check = |round: usize| {
        let now = env.read("s.yaml");
        if now != encrypted_once {
            let got = plaintext(&env, "s.yaml")
                .unwrap_or_else(|| panic!("set round {round}: partial file"));
            assert_eq!(
                String::from_utf8(got).unwrap(),
                expected_new,
                "set round {round}"
            );
        }
    };
    let (n, t) = kill_rounds(
        &env,
        &["set", "s.yaml", r#"["key7"]["password"]"#, "\"changed\""],
        25,
        &reset,
        &check,
    );
    eprintln!("set: {n} kills over {t:?}");

    // edit, with an editor that changes a value: killed while the editor runs or while
    // enseal saves.
    let edited = plain.replace("pw-0-3-abcdefghijklmnop", "edited");
    let check = |round: usize| {
        let now = env.read("s.yaml");
        if now != encrypted_once {
            let got = plaintext(&env, "s.yaml")
                .unwrap_or_else(|| panic!("edit round {round}: partial file"));
            assert_eq!(
                String::from_utf8(got).unwrap(),
                edited,
                "edit round {round}"
            );
        }
    };
    let (n, t) = kill_rounds(&env, &["edit", "s.yaml"], 25, &reset, &check);
    eprintln!("edit: {n} kills over {t:?}");
    // A SIGKILL cannot clean up: the next edit sweeps what the killed ones left.
    let left = std::fs::read_dir(runtime.path()).unwrap().count();
    reset();
    env.enseal(&["edit", "s.yaml"]).ok();
    let after: Vec<_> = std::fs::read_dir(runtime.path()).unwrap().collect();
    assert!(
        after.is_empty(),
        "{left} left by the kills, {after:?} after the next edit"
    );
    eprintln!("edit: the next edit swept {left} plaintext copies left by SIGKILL");
}

#[test]
fn rotate_and_updatekeys_of_many_files_killed_leave_each_old_or_new() {
    let (env, me) = TestEnv::with_age_key();
    let (_, other) = env.age_identity("k2.txt");
    const FILES: usize = 30;
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {me}\n"),
    );
    let mut plains = Vec::new();
    let mut originals = Vec::new();
    for i in 0..FILES {
        let name = format!("secrets/s{i:02}.yaml");
        let plain = big_yaml(i);
        env.write(&name, &plain);
        env.enseal(&["encrypt", "-i", &name]).ok();
        crate::common::chmod(&env.work().join(&name), 0o600);
        originals.push(env.read(&name));
        plains.push(plain);
    }
    let reset = || {
        for (i, bytes) in originals.iter().enumerate() {
            env.write(&format!("secrets/s{i:02}.yaml"), bytes);
        }
    };
    let check = |what: &str, round: usize, must_list: Option<&str>| {
        let mut changed = 0;
        for (i, original) in originals.iter().enumerate() {
            let name = format!("secrets/s{i:02}.yaml");
            let now = env.read(&name);
            if now == *original {
                continue;
            }
            changed += 1;
            let got = plaintext(&env, &name)
                .unwrap_or_else(|| panic!("{what} round {round}: {name} is partial"));
            assert_eq!(got, plains[i].as_bytes(), "{what} round {round}: {name}");
            if let Some(r) = must_list {
                assert!(
                    String::from_utf8_lossy(&now).contains(r),
                    "{what}: {name} half updated"
                );
            }
        }
        changed
    };
    // How many files each round left changed: some rounds must have stopped midway.
    let mixes = std::cell::RefCell::new(Vec::new());
    let (n, t) = kill_rounds(
        &env,
        &["rotate", "-i", "-r", "secrets"],
        20,
        &reset,
        &|round| {
            mixes.borrow_mut().push(check("rotate", round, None));
        },
    );
    eprintln!(
        "rotate -i -r ({FILES} files): {n} kills over {t:?}, files changed per round: {:?}",
        mixes.borrow()
    );
    assert!(
        mixes.borrow().iter().any(|&c| c > 0 && c < FILES),
        "no kill landed in the middle of the rotation: {:?}",
        mixes.borrow()
    );

    // updatekeys: the rule now names a second recipient.
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {me},{other}\n"),
    );
    let (n, t) = kill_rounds(
        &env,
        &["updatekeys", "-y", "-r", "secrets"],
        20,
        &reset,
        &|round| {
            check("updatekeys", round, Some(&other));
        },
    );
    eprintln!("updatekeys -y -r ({FILES} files): {n} kills over {t:?}");
    // Temp files a SIGKILL left beside the files had the files' own mode (0600) from
    // the start.
    for entry in std::fs::read_dir(env.work().join("secrets")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".enseal-") {
            assert_eq!(
                crate::common::mode(&p) & 0o077,
                0,
                "{name} is readable by others"
            );
        }
    }
}

/// A write that fails partway (the file size limit, `ulimit -f`, makes `write` fail
/// with EFBIG at a chosen offset, as a full disk fails with ENOSPC): the command
/// reports the file it could not write, the file is byte-identical, and no temp file
/// is left.
#[test]
fn a_failed_write_leaves_the_file_as_it_was() {
    let (env, _) = TestEnv::with_age_key();
    let plain = big_yaml(1);
    env.write("enc.yaml", &plain);
    env.enseal(&["encrypt", "-i", "enc.yaml"]).ok();
    let encrypted = env.read("enc.yaml");
    assert!(
        encrypted.len() > 64 * 1024,
        "the file must span many blocks"
    );
    let enseal = env!("CARGO_BIN_EXE_enseal");
    let cases: [(&str, &str); 3] = [
        ("encrypt -i", "p.yaml"),
        ("set", "enc.yaml"),
        ("rotate -i", "enc.yaml"),
    ];
    let mut failures = 0;
    for (what, file) in cases {
        // Limits of 1 to 64 blocks (dash counts 512 bytes): the write fails at that offset.
        for blocks in [1, 8, 64] {
            env.write("p.yaml", &plain);
            env.write("enc.yaml", &encrypted);
            let before = env.read(file);
            let args = match what {
                "encrypt -i" => format!("encrypt -i {file}"),
                "set" => format!("set {file} '[\"key1\"][\"user\"]' '\"x\"'"),
                _ => format!("rotate -i {file}"),
            };
            let script = format!("ulimit -f {blocks}; trap '' XFSZ; exec '{enseal}' {args}");
            let out = env
                .command(Path::new("/bin/sh"), &["-c", &script])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_ne!(
                out.status.code(),
                Some(0),
                "{what} with {blocks} blocks succeeded"
            );
            assert!(
                stderr.contains(&format!("{file}: cannot write")),
                "{what} ({blocks} blocks): {stderr}"
            );
            assert_eq!(
                env.read(file),
                before,
                "{what} ({blocks} blocks) changed the file"
            );
            for name in env.listing() {
                assert!(
                    !name.starts_with(".enseal"),
                    "{what} ({blocks} blocks) left {name}"
                );
            }
            failures += 1;
        }
    }
    assert_eq!(failures, 9);
}

/// Read-only files and directories: a clear error naming the file (exit 3), the file
/// unchanged, nothing left behind. enseal writes by renaming a new file into place,
/// which a read-only file would not stop: it checks, as a plain write would be refused.
/// Run as a user that modes apply to (`nobody` when the suite runs as root).
#[test]
fn read_only_files_and_directories_are_refused_clearly() {
    use std::os::unix::fs::PermissionsExt;
    let (env, r) = TestEnv::with_age_key();
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    // The key must be readable by the other user.
    for e in std::fs::read_dir(env.home()).unwrap().flatten() {
        if e.path().is_file() {
            mode(&e.path(), 0o644);
        }
    }
    let key = env.vars().get("SOPS_AGE_KEY_FILE").cloned().unwrap();
    mode(Path::new(&key), 0o644);
    let plain = "user: app\npassword: s3cret-pa55\n";
    let mut env = env;
    env.set("EDITOR", "false");
    let listing = |dir: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    // A writable directory with a read-only file: encrypt -i and set are refused.
    let rw = env.work().join("rw");
    std::fs::create_dir(&rw).unwrap();
    mode(&rw, 0o777);
    std::fs::write(rw.join("plain.yaml"), plain).unwrap();
    mode(&rw.join("plain.yaml"), 0o444);
    let enc = env
        .enseal(&["encrypt", "--age", &r, "rw/plain.yaml"])
        .ok()
        .stdout;
    std::fs::write(rw.join("enc.yaml"), &enc).unwrap();
    mode(&rw.join("enc.yaml"), 0o444);
    let before = listing(&rw);
    for (args, file) in [
        (
            vec!["encrypt", "--age", &r, "-i", "rw/plain.yaml"],
            "rw/plain.yaml",
        ),
        (
            vec!["set", "rw/enc.yaml", r#"["user"]"#, "\"other\""],
            "rw/enc.yaml",
        ),
        (vec!["rotate", "-i", "rw/enc.yaml"], "rw/enc.yaml"),
        // Before the editor runs (it would fail the test if it did).
        (vec!["edit", "rw/enc.yaml"], "rw/enc.yaml"),
    ] {
        let run = env.enseal_unprivileged(&args);
        assert_eq!(run.status, 3, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(file) && run.stderr.contains("read-only"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("s3cret-pa55") && run.stdout.is_empty());
    }
    assert_eq!(
        std::fs::read_to_string(rw.join("plain.yaml")).unwrap(),
        plain
    );
    assert_eq!(std::fs::read(rw.join("enc.yaml")).unwrap(), enc);
    assert_eq!(listing(&rw), before, "nothing left behind");
    // A read-only directory with writable files: the new file cannot be made there.
    let ro = env.work().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("plain.yaml"), plain).unwrap();
    std::fs::write(ro.join("enc.yaml"), &enc).unwrap();
    mode(&ro.join("plain.yaml"), 0o666);
    mode(&ro.join("enc.yaml"), 0o666);
    mode(&ro, 0o555);
    for (args, file) in [
        (
            vec!["encrypt", "--age", &r, "-i", "ro/plain.yaml"],
            "ro/plain.yaml",
        ),
        (
            vec!["set", "ro/enc.yaml", r#"["user"]"#, "\"other\""],
            "ro/enc.yaml",
        ),
        (vec!["edit", "ro/enc.yaml"], "ro/enc.yaml"),
        (
            vec![
                "encrypt",
                "--age",
                &r,
                "--output",
                "ro/new.yaml",
                "rw/plain.yaml",
            ],
            "ro/new.yaml",
        ),
    ] {
        let run = env.enseal_unprivileged(&args);
        assert_eq!(run.status, 3, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(file) && run.stderr.contains("directory must be writable"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(ro.join("plain.yaml")).unwrap(),
        plain
    );
    assert_eq!(std::fs::read(ro.join("enc.yaml")).unwrap(), enc);
    assert_eq!(listing(&ro), ["enc.yaml", "plain.yaml"]);
    mode(&ro, 0o755);
}
