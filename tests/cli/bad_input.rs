//! A catalogue of bad inputs: each gets a clear one-line error naming the file, the
//! exit code sops uses, no panic, no plaintext, and the file on disk unchanged.

use crate::common::Env;

struct Case {
    name: &'static str,
    file: &'static str,
    contents: &'static str,
    args: &'static [&'static str],
    code: i32,
    stderr_has: &'static str,
}

const ENC_VALUE: &str = "ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]";

#[test]
fn catalogue() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    // A real encrypted file to break in various ways.
    env.write("good.yaml", "a: secret-value-1\nb: 5\n");
    let good = env
        .enseal(&["encrypt", "--age", &r, "good.yaml"])
        .ok()
        .stdout_str();
    env.write("good.yaml", &good);
    let leaked = |s: &str| s.contains("secret-value-1");

    let truncated = good.replacen("ENC[AES256_GCM,data:", "ENC[AES256_GCM,da", 1);
    let plain_inside = good.replacen(good.lines().next().unwrap(), "a: 42", 1);
    let unknown_type = good.replacen("type:str]", "type:weird]", 1);
    let no_sops = "a: 1\nb: two\n".to_string();
    let owned: Vec<(String, String)> = vec![
        ("truncated.yaml".into(), truncated),
        ("plain-inside.yaml".into(), plain_inside),
        ("unknown-type.yaml".into(), unknown_type),
        ("no-sops.yaml".into(), no_sops),
        (
            "bad-enc.yaml".into(),
            format!("a: {ENC_VALUE}\n") + &good[good.find("sops:").unwrap()..],
        ),
    ];
    for (f, c) in &owned {
        env.write(f, c);
    }

    let cases = [
        Case {
            name: "malformed yaml",
            file: "m.yaml",
            contents: "a: [1, 2\nb: {",
            args: &["encrypt"],
            code: 2,
            stderr_has: "line",
        },
        Case {
            name: "duplicate yaml key",
            file: "d.yaml",
            contents: "a: 1\na: 2\n",
            args: &["encrypt"],
            code: 2,
            stderr_has: "already defined",
        },
        Case {
            name: "top-level list",
            file: "l.yaml",
            contents: "- a\n- b\n",
            args: &["encrypt"],
            code: 2,
            stderr_has: "mapping",
        },
        Case {
            name: "malformed json",
            file: "m.json",
            contents: "{\"a\": tru}",
            args: &["encrypt"],
            code: 2,
            stderr_has: "line 1",
        },
        Case {
            name: "json top-level array",
            file: "a.json",
            contents: "[1]",
            args: &["encrypt"],
            code: 2,
            stderr_has: "object",
        },
        Case {
            name: "dotenv without =",
            file: "x.env",
            contents: "A=1\nnot a pair\n",
            args: &["encrypt"],
            code: 2,
            stderr_has: "line 2",
        },
        Case {
            name: "ini without =",
            file: "x.ini",
            contents: "[s]\nnovalue\n",
            args: &["encrypt"],
            code: 2,
            stderr_has: "line 2",
        },
        Case {
            name: "empty file",
            file: "e.yaml",
            contents: "",
            args: &["encrypt"],
            code: 92,
            stderr_has: "empty",
        },
        Case {
            name: "non-string key",
            file: "k.yaml",
            contents: "1: a\n",
            args: &["encrypt"],
            code: 2,
            stderr_has: "string",
        },
        Case {
            name: "already encrypted",
            file: "good.yaml",
            contents: "",
            args: &["encrypt"],
            code: 203,
            stderr_has: "already",
        },
        Case {
            name: "dotenv sops_ key",
            file: "s.env",
            contents: "sops_x=1\n",
            args: &["encrypt"],
            code: 203,
            stderr_has: "already",
        },
        Case {
            name: "missing sops block",
            file: "no-sops.yaml",
            contents: "",
            args: &["decrypt"],
            code: 1,
            stderr_has: "metadata not found",
        },
        Case {
            name: "truncated ENC",
            file: "truncated.yaml",
            contents: "",
            args: &["decrypt"],
            code: 25,
            stderr_has: "sops' encrypted format",
        },
        Case {
            name: "plain value in encrypted file",
            file: "plain-inside.yaml",
            contents: "",
            args: &["decrypt"],
            code: 25,
            stderr_has: "expected an encrypted value",
        },
        Case {
            name: "unknown type tag",
            file: "unknown-type.yaml",
            contents: "",
            args: &["decrypt"],
            code: 25,
            stderr_has: "unknown value type",
        },
        Case {
            name: "value under another key",
            file: "bad-enc.yaml",
            contents: "",
            args: &["decrypt"],
            code: 25,
            stderr_has: "a:",
        },
        Case {
            name: "bad --extract",
            file: "good.yaml",
            contents: "",
            args: &["decrypt", "--extract", "[a]"],
            code: 91,
            stderr_has: "invalid path",
        },
        Case {
            name: "--extract missing key",
            file: "good.yaml",
            contents: "",
            args: &["decrypt", "--extract", "[\"zz\"]"],
            code: 1,
            stderr_has: "zz",
        },
        Case {
            name: "missing file",
            file: "nope.yaml",
            contents: "",
            args: &["decrypt"],
            code: 100,
            stderr_has: "nope.yaml",
        },
        Case {
            name: "in-place with output",
            file: "good.yaml",
            contents: "",
            args: &["decrypt", "-i", "--output", "x"],
            code: 8,
            stderr_has: "--in-place",
        },
        Case {
            name: "bad recipient",
            file: "m2.yaml",
            contents: "a: 1\n",
            args: &["encrypt", "--age", "age1nope"],
            code: 1,
            stderr_has: "age1nope",
        },
        Case {
            name: "two selectors",
            file: "m3.yaml",
            contents: "a: 1\n",
            args: &[
                "encrypt",
                "--encrypted-regex",
                "a",
                "--unencrypted-suffix",
                "b",
            ],
            code: 8,
            stderr_has: "at most one",
        },
        Case {
            name: "duplicate decryption order",
            file: "good.yaml",
            contents: "",
            args: &["decrypt", "--decryption-order", "age,age"],
            code: 112,
            stderr_has: "more than once",
        },
        Case {
            name: "bad selector regex",
            file: "m4.yaml",
            contents: "a: 1\n",
            args: &["encrypt", "--encrypted-regex", "("],
            code: 1,
            stderr_has: "encrypted_regex",
        },
    ];
    for case in cases {
        if !case.contents.is_empty() || case.name == "empty file" {
            env.write(case.file, case.contents);
        }
        let path = env.work().join(case.file);
        let before = std::fs::read(&path).ok();
        let mut args: Vec<&str> = case.args.to_vec();
        if case.args[0] == "encrypt" && !case.args.contains(&"--age") {
            args.extend(["--age", r.as_str()]);
        }
        args.push(case.file);
        let run = env.enseal(&args);
        assert_eq!(run.status, case.code, "{}: {}", case.name, run.stderr);
        assert!(
            run.stderr.contains(case.stderr_has),
            "{}: {}",
            case.name,
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{}: {}",
            case.name,
            run.stderr
        );
        assert!(
            !leaked(&run.stderr) && !leaked(&run.stdout_str()),
            "{}: plaintext leaked",
            case.name
        );
        assert!(run.stdout.is_empty(), "{}: stdout not empty", case.name);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("enseal: "),
            "{}: {}",
            case.name,
            run.stderr
        );
        if case.name != "missing file"
            && !case
                .args
                .iter()
                .any(|a| a.starts_with("--decryption") || *a == "[a]")
        {
            assert!(
                run.stderr.contains(case.file) || case.code == 8 || case.name == "bad recipient",
                "{}: file not named: {}",
                case.name,
                run.stderr
            );
        }
        assert_eq!(
            std::fs::read(&path).ok(),
            before,
            "{}: file changed",
            case.name
        );
    }
}

#[test]
fn wrong_key_and_unreadable_key_file() {
    let mut env = Env::new();
    let (_, r) = env.age_identity("k.txt");
    let (other, _) = env.age_identity("other.txt");
    env.write("s.yaml", "a: secret-value-2\n");
    let enc = env.enseal(&["encrypt", "--age", &r, "s.yaml"]).ok();
    env.write("s.enc.yaml", &enc.stdout);

    env.use_age_key(&other);
    let run = env.enseal(&["decrypt", "s.enc.yaml"]);
    assert_eq!(run.status, 128, "{}", run.stderr);
    assert!(run.stderr.contains("s.enc.yaml") && run.stderr.contains("Group 0: FAILED"));
    assert!(run.stdout.is_empty() && !run.stderr.contains("secret-value-2"));

    env.set(
        "SOPS_AGE_KEY_FILE",
        env.dir.path().join("missing.txt").display().to_string(),
    );
    let run = env.enseal(&["decrypt", "s.enc.yaml"]);
    assert_eq!(run.status, 128);
    assert!(run.stderr.contains("missing.txt"), "{}", run.stderr);

    // A key file that cannot be read (as root every file is readable: then use a directory).
    let unreadable = env.dir.path().join("unreadable-key");
    std::fs::create_dir(&unreadable).unwrap();
    env.set("SOPS_AGE_KEY_FILE", unreadable.display().to_string());
    let run = env.enseal(&["decrypt", "s.enc.yaml"]);
    assert_eq!(run.status, 128, "{}", run.stderr);
    assert!(run.stderr.contains("unreadable-key"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn garbage_never_panics() {
    let env = Env::new();
    let samples: [&[u8]; 8] = [
        b"\xff\xfe\x00garbage",
        b"sops:\n  version: 1\n",
        b"a: &x [*x]\n",
        b"{\"sops\": {\"version\": 3}}",
        b"a: ENC[AES256_GCM,data:,iv:,tag:,type:]\nsops: {}\n",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"key: \"unterminated\n",
        b"- - - - - - -\n",
    ];
    for (i, s) in samples.iter().enumerate() {
        for ext in ["yaml", "json", "env", "ini"] {
            let name = format!("g{i}.{ext}");
            env.write(&name, s);
            for cmd in ["decrypt", "encrypt"] {
                let run = env.enseal(&[
                    cmd,
                    "--age",
                    "age1f7788xkydpvc7s9wkfd90vxmz6h8cvkjp8x7etqud0jw34e0setqmmmsal",
                    &name,
                ]);
                if cmd == "decrypt" {
                    let run = env.enseal(&[cmd, &name]);
                    assert_ne!(run.status, 0, "{name}");
                    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
                }
                assert!(
                    !run.stderr.contains("panicked"),
                    "{name} {cmd}: {}",
                    run.stderr
                );
            }
        }
    }
}
