//! Command behaviour: keygen, the local-key default, filestatus, --extract, in-place writes.

use crate::common::Env;

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn keygen_writes_0600_and_never_overwrites() {
    let env = Env::new();
    let run = env.enseal(&["keygen"]).ok();
    let recipient = run.stdout_str().trim().to_string();
    assert!(recipient.starts_with("age1"));
    let path = env.home().join(".config/sops/age/keys.txt");
    let contents = std::fs::read_to_string(&path).unwrap();
    assert!(contents.contains(&format!("# public key: {recipient}")));
    assert!(contents.contains("AGE-SECRET-KEY-1"));
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    // The secret never reaches the terminal.
    assert!(!run.stderr.contains("AGE-SECRET-KEY") && !run.stdout_str().contains("AGE-SECRET-KEY"));

    let again = env.enseal(&["keygen"]);
    assert_eq!(again.status, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
}

#[test]
fn encrypt_uses_the_local_key_when_nothing_is_configured() {
    let env = Env::new();
    let recipient = env.enseal(&["keygen"]).ok().stdout_str().trim().to_string();
    env.write("app.yaml", "db:\n    password: s3cret\n");
    let enc = env.enseal(&["encrypt", "app.yaml"]).ok();
    assert!(enc.stdout_str().contains(&recipient));
    env.write("app.enc.yaml", &enc.stdout);
    let dec = env.enseal(&["decrypt", "app.enc.yaml"]).ok();
    assert_eq!(dec.stdout_str(), "db:\n    password: s3cret\n");
    // sops finds the same key file.
    assert_eq!(
        env.sops(&["decrypt", "app.enc.yaml"]).ok().stdout_str(),
        dec.stdout_str()
    );
}

#[test]
fn no_key_anywhere_is_a_clear_error() {
    let env = Env::new();
    env.write("a.yaml", "a: 1\n");
    let run = env.enseal(&["encrypt", "a.yaml"]);
    assert_eq!(run.status, 111);
    assert!(run.stderr.contains("enseal keygen"), "{}", run.stderr);
}

#[test]
fn filestatus_extract_in_place_and_output() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    env.write(
        "s.yaml",
        "db:\n    user: admin\n    password: pw\nlist:\n    - one\n    - two\nnum: 3\n",
    );
    assert_eq!(
        env.enseal(&["filestatus", "s.yaml"]).ok().stdout_str(),
        "{\"encrypted\":false}\n"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            env.work().join("s.yaml"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
    }
    env.enseal(&["encrypt", "--age", &r, "-i", "s.yaml"]).ok();
    #[cfg(unix)]
    assert_eq!(mode(&env.work().join("s.yaml")), 0o640);
    assert_eq!(
        env.enseal(&["filestatus", "s.yaml"]).ok().stdout_str(),
        "{\"encrypted\":true}\n"
    );
    // No temp files left next to it.
    let names: Vec<String> = std::fs::read_dir(env.work())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");

    let extract = |path: &str| {
        env.enseal(&["decrypt", "--extract", path, "s.yaml"])
            .ok()
            .stdout_str()
    };
    assert_eq!(extract("[\"db\"][\"password\"]"), "pw");
    assert_eq!(extract("[\"list\"][1]"), "two");
    assert_eq!(extract("[\"db\"]"), "user: admin\npassword: pw\n");
    assert_eq!(extract("[\"num\"]"), "3\n");
    let theirs = env
        .sops(&["decrypt", "--extract", "[\"db\"]", "s.yaml"])
        .ok()
        .stdout_str();
    assert_eq!(extract("[\"db\"]"), theirs);

    env.enseal(&["decrypt", "--output", "out.yaml", "s.yaml"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(env.work().join("out.yaml")).unwrap(),
        "db:\n    user: admin\n    password: pw\nlist:\n    - one\n    - two\nnum: 3\n"
    );
    env.enseal(&["decrypt", "-i", "s.yaml"]).ok();
    assert!(std::fs::read_to_string(env.work().join("s.yaml"))
        .unwrap()
        .starts_with("db:\n    user: admin"));
}

#[test]
fn help_shows_examples() {
    let env = Env::new();
    for cmd in ["encrypt", "decrypt", "keygen", "filestatus"] {
        let run = env.enseal(&[cmd, "--help"]).ok();
        assert!(run.stdout_str().contains("Example"), "{cmd}");
    }
}
