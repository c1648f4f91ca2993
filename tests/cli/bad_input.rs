//! A catalogue of bad inputs. Each gets the exact exit code (sops' code where sops has
//! one, checked against the real sops), a short error that starts with `enseal:` and
//! names the file, no panic, no plaintext, nothing on stdout, and no change on disk.

use crate::common::{chmod, TestEnv};

/// How the real sops behaves on the same input and arguments.
#[derive(Clone, Copy, Debug)]
enum Sops {
    /// Same exit code as enseal.
    Same,
    /// A known, deliberate difference: sops exits with this code.
    Differs(i32, &'static str),
}

struct Case {
    name: &'static str,
    /// The file to write (`None`: the file is prepared elsewhere or absent).
    file: Option<&'static str>,
    contents: Option<Vec<u8>>,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    code: i32,
    stderr_has: &'static str,
    /// Whether the message must name the file (false for pure argument errors).
    names_file: bool,
    sops: Sops,
}

impl Case {
    fn new<S: AsRef<str>>(
        name: &'static str,
        args: &[S],
        code: i32,
        stderr_has: &'static str,
    ) -> Case {
        Case {
            name,
            file: None,
            contents: None,
            args: args.iter().map(|s| s.as_ref().to_string()).collect(),
            stdin: None,
            code,
            stderr_has,
            names_file: true,
            sops: Sops::Same,
        }
    }

    /// The case's file: written with `contents` and appended to the arguments.
    fn file(mut self, file: &'static str, contents: impl AsRef<[u8]>) -> Case {
        self.file = Some(file);
        self.contents = Some(contents.as_ref().to_vec());
        self.args.push(file.into());
        self
    }

    /// An existing (or deliberately missing) file appended to the arguments.
    fn existing(mut self, file: &'static str) -> Case {
        self.file = Some(file);
        self.args.push(file.into());
        self
    }

    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Case {
        self.stdin = Some(bytes.into());
        self
    }

    fn no_file_name(mut self) -> Case {
        self.names_file = false;
        self
    }

    fn sops(mut self, sops: Sops) -> Case {
        self.sops = sops;
        self
    }
}

/// Values that must never appear in any output of a failing command.
const PLAINTEXT: [&str; 2] = ["secret-value-1", "secret-value-2"];

#[test]
fn catalogue() {
    let (env, r) = TestEnv::with_age_key();
    // A real encrypted file to break in various ways.
    env.write("plain.yaml", "a: secret-value-1\nb: 5\n");
    let good = env
        .enseal(&["encrypt", "--age", &r, "plain.yaml"])
        .ok()
        .stdout_str();
    env.write("good.yaml", &good);
    // enseal writes the `sops` block before the first key, which keeps its layout.
    let a_line = good.find("\na: ").unwrap() + 1;
    let sops_block = &good[good.find("sops:").unwrap()..a_line];
    let first_line = good[a_line..].lines().next().unwrap();
    // Breaks the first encrypted value (not the MAC in the `sops` block above it).
    let in_data = |from: &str, to: &str| {
        format!(
            "{}{}",
            &good[..a_line],
            good[a_line..].replacen(from, to, 1)
        )
    };
    let enc = |extra: &[&str]| -> Vec<String> {
        ["encrypt", "--age", r.as_str()]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };

    let cases = vec![
        // ---- plaintext that does not parse (sops exit 2)
        Case::new("malformed yaml", &enc(&[]), 2, "line 2").file("m.yaml", "a: [1, 2\nb: {"),
        Case::new("duplicate yaml key", &enc(&[]), 2, "already defined")
            .file("d.yaml", "a: 1\na: 2\n"),
        Case::new("unknown yaml anchor", &enc(&[]), 2, "anchor").file("al.yaml", "a: &x 1\nb: *y\n"),
        Case::new("yaml not utf-8", &enc(&[]), 2, "UTF-8").file("u8.yaml", b"\xff\xfe: x\n"),
        Case::new("top-level yaml list", &enc(&[]), 2, "mapping").file("l.yaml", "- a\n- b\n"),
        Case::new("only comments", &enc(&[]), 2, "no YAML document").file("c.yaml", "# c\n"),
        Case::new("malformed json", &enc(&[]), 2, "line 1").file("m.json", "{\"a\": tru}"),
        Case::new("json trailing comma", &enc(&[]), 2, "line 1").file("tc.json", "{\"a\": 1,}"),
        Case::new("json top-level array", &enc(&[]), 2, "object").file("a.json", "[1]"),
        Case::new("dotenv without =", &enc(&[]), 2, "line 2").file("x.env", "A=1\nnot a pair\n"),
        Case::new("ini without =", &enc(&[]), 2, "line 2").file("x.ini", "[s]\nnovalue\n"),
        Case::new("ini unclosed section", &enc(&[]), 2, "section").file("s.ini", "[s\nk = v\n"),
        // ---- parses, but sops cannot encrypt it (sops exit 23, "error encrypting tree")
        Case::new("non-string key", &enc(&[]), 23, "string").file("k.yaml", "a:\n    1: x\n"),
        Case::new("integer above i64", &enc(&[]), 23, "64-bit")
            .file("big.yaml", "a: 18446744073709551615\n"),
        // ---- empty input
        Case::new("empty yaml file", &enc(&[]), 92, "empty").file("e.yaml", ""),
        Case::new("empty json file", &enc(&[]), 92, "empty")
            .file("e.json", "")
            .sops(Sops::Differs(2, "sops: 'Could not unmarshal input data: EOF'")),
        Case::new("empty dotenv file", &enc(&[]), 92, "empty")
            .file("e.env", "")
            .sops(Sops::Differs(0, "sops encrypts a 0-byte .env to metadata only")),
        Case::new("empty ini file", &enc(&[]), 92, "empty")
            .file("e.ini", "")
            .sops(Sops::Differs(0, "sops encrypts a 0-byte .ini to metadata only")),
        // ---- already encrypted (203)
        Case::new("already encrypted", &enc(&[]), 203, "already").existing("good.yaml"),
        Case::new("dotenv sops_ key", &enc(&[]), 203, "already").file("s.env", "sops_x=1\n"),
        // ---- decrypting what is not a (valid) sops file
        Case::new("missing sops block", &["decrypt"], 1, "metadata not found")
            .file("no-sops.yaml", "a: 1\nb: two\n"),
        Case::new("empty encrypted file", &["decrypt"], 92, "empty")
            .file("e2.yaml", "")
            .sops(Sops::Differs(1, "sops: 'sops metadata not found'")),
        Case::new("truncated ENC", &["decrypt"], 25, "sops' encrypted format").file(
            "truncated.yaml",
            in_data("ENC[AES256_GCM,data:", "ENC[AES256_GCM,da"),
        ),
        Case::new("ENC cut short", &["decrypt"], 25, "a:").file(
            "cut.yaml",
            format!("a: \"ENC[AES256_GCM,data:\"\n{sops_block}"),
        ),
        // sops exits 1 when the file to decrypt does not parse ("Error unmarshalling input").
        Case::new("malformed yaml to decrypt", &["decrypt"], 1, "line").file("md.yaml", "a: [\n"),
        Case::new("malformed json to decrypt", &["decrypt"], 1, "line").file("md.json", "{\"a\": "),
        Case::new("plain value in encrypted file", &["decrypt"], 25, "expected an encrypted value")
            .file("plain-inside.yaml", good.replacen(first_line, "a: 42", 1))
            .sops(Sops::Differs(2, "sops panics: interface conversion")),
        Case::new("unknown type tag", &["decrypt"], 25, "unknown value type").file(
            "unknown-type.yaml",
            in_data("type:str]", "type:weird]"),
        ),
        Case::new("value not base64", &["decrypt"], 25, "base64").file(
            "b64.yaml",
            in_data("ENC[AES256_GCM,data:", "ENC[AES256_GCM,data:!!"),
        ),
        Case::new("foreign value", &["decrypt"], 25, "a:").file(
            "foreign.yaml",
            format!(
                "a: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n{sops_block}"
            ),
        ),
        Case::new("sops block without version", &["decrypt"], 1, "version").file(
            "good2.yaml",
            good.lines()
                .filter(|l| !l.trim_start().starts_with("version:"))
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        ),
        // ---- arguments
        Case::new("bad --extract", &["decrypt", "--extract", "[a]"], 91, "invalid path")
            .existing("good.yaml")
            .no_file_name(),
        Case::new("--extract missing key", &["decrypt", "--extract", "[\"zz\"]"], 1, "zz")
            .existing("good.yaml"),
        Case::new("missing file", &["decrypt"], 100, "nope.yaml").existing("nope.yaml"),
        Case::new("missing file to encrypt", &enc(&[]), 100, "nope.yaml").existing("nope.yaml"),
        Case::new("-i with stdin", &["decrypt", "-i"], 8, "--in-place")
            .stdin(good.clone())
            .no_file_name(),
        Case::new("-i with stdin (encrypt)", &enc(&["-i", "--filename-override", "x.yaml"]), 8, "--in-place")
            .stdin("a: 1\n")
            .no_file_name(),
        Case::new("stdin without a name", &enc(&[]), 8, "--filename-override")
            .stdin("a: 1\n")
            .no_file_name(),
        Case::new("-i with --output", &["decrypt", "-i", "--output", "x"], 8, "--in-place")
            .existing("good.yaml")
            .no_file_name(),
        Case::new("bad recipient", &["encrypt", "--age", "age1nope"], 1, "age1nope")
            .file("m2.yaml", "a: 1\n")
            .no_file_name(),
        Case::new(
            "two selectors",
            &enc(&["--encrypted-regex", "a", "--unencrypted-suffix", "b"]),
            8,
            "at most one",
        )
        .file("m3.yaml", "a: 1\n")
        .no_file_name(),
        Case::new("duplicate decryption order", &["decrypt", "--decryption-order", "age,age"], 112, "more than once")
            .existing("good.yaml")
            .no_file_name(),
        Case::new("bad selector regex", &enc(&["--encrypted-regex", "("]), 1, "encrypted_regex")
            .file("m4.yaml", "a: 1\n")
            .sops(Sops::Differs(0, "sops writes the invalid regex into the file")),
    ];

    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(&env, case) {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn run_case(env: &TestEnv, case: &Case) -> Result<(), String> {
    if let (Some(f), Some(c)) = (case.file, &case.contents) {
        env.write(f, c);
    }
    let path = case.file.map(|f| env.work().join(f));
    let before = path.as_ref().and_then(|p| std::fs::read(p).ok());
    let listing = env.listing();
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    let run = match &case.stdin {
        Some(input) => env.enseal_stdin(&args, input),
        None => env.enseal(&args),
    };
    let mut problems = Vec::new();
    if run.status != case.code {
        problems.push(format!("exit {} (expected {})", run.status, case.code));
    }
    if !run.stderr.contains(case.stderr_has) {
        problems.push(format!("stderr lacks {:?}", case.stderr_has));
    }
    if !run.stderr.starts_with("enseal: ") {
        problems.push("stderr does not start with `enseal: `".into());
    }
    if run.stderr.lines().count() > 2 && !run.stderr.contains("regex parse error") {
        problems.push("more than an error line and a hint".into());
    }
    if case.names_file && !run.stderr.contains(case.file.unwrap_or("<stdin>")) {
        problems.push("the file is not named".into());
    }
    if run.stderr.contains("panicked") || run.status == 101 {
        problems.push("panic".into());
    }
    if !run.stdout.is_empty() {
        problems.push("stdout not empty".into());
    }
    if PLAINTEXT.iter().any(|s| run.stderr.contains(s)) {
        problems.push("plaintext in stderr".into());
    }
    if path.as_ref().and_then(|p| std::fs::read(p).ok()) != before {
        problems.push("the file changed".into());
    }
    if env.listing() != listing {
        problems.push(format!("files appeared: {:?}", env.listing()));
    }
    // The same input and arguments through the real sops.
    let theirs = match &case.stdin {
        Some(input) => env.sops_stdin(&args, input),
        None => env.sops(&args),
    };
    let (sops_code, why) = match case.sops {
        Sops::Same => (case.code, "the same code as enseal"),
        Sops::Differs(code, why) => (code, why),
    };
    if theirs.status != sops_code {
        problems.push(format!(
            "sops exits {} (expected {sops_code}: {why}): {}",
            theirs.status,
            theirs.stderr.lines().next().unwrap_or_default()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n    stderr: {}",
            problems.join("; "),
            run.stderr.trim()
        ))
    }
}

#[test]
fn keys_that_cannot_open_the_file() {
    let mut env = TestEnv::new();
    let (_, r) = env.age_identity("k.txt");
    let (other, _) = env.age_identity("other.txt");
    env.write("s.yaml", "a: secret-value-2\n");
    let enc = env.enseal(&["encrypt", "--age", &r, "s.yaml"]).ok();
    env.write("s.enc.yaml", &enc.stdout);
    let check = |env: &TestEnv, what: &str, names: &str| {
        let run = env.enseal(&["decrypt", "s.enc.yaml"]);
        assert_eq!(run.status, 128, "{what}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("enseal: ") && run.stderr.contains("s.enc.yaml"),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("Group 0: FAILED"),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(names),
            "{what}: {names} not named: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{what}");
        assert!(!run.stderr.contains("secret-value-2"), "{what}");
        assert!(!run.stderr.contains("panicked"), "{what}");
        assert_eq!(
            env.sops(&["decrypt", "s.enc.yaml"]).status,
            128,
            "{what}: sops"
        );
    };

    env.use_age_key(&other);
    check(&env, "wrong key", &r);

    let missing = env.dir.path().join("missing-keys.txt");
    env.use_age_key(&missing);
    check(&env, "missing key file", "missing-keys.txt");

    // A directory where the key file should be: unreadable for everyone, root included.
    let dir = env.dir.path().join("key-dir");
    std::fs::create_dir(&dir).unwrap();
    env.use_age_key(&dir);
    check(&env, "key file is a directory", "key-dir");

    // A key file with mode 000. Root reads it anyway, so this case only runs when the
    // file really is unreadable to us.
    let (locked, _) = env.age_identity("locked.txt");
    chmod(&locked, 0o000);
    if std::fs::read(&locked).is_ok() {
        eprintln!("keys_that_cannot_open_the_file: running as root, the mode 000 case is skipped");
    } else {
        env.use_age_key(&locked);
        check(&env, "key file mode 000", "locked.txt");
    }
    chmod(&locked, 0o600);

    // Not a key at all.
    let junk = env.dir.path().join("junk-keys.txt");
    std::fs::write(&junk, "this is not an age identity\n").unwrap();
    env.use_age_key(&junk);
    check(&env, "key file without a key", "junk-keys.txt");
}

#[test]
fn garbage_never_panics() {
    let env = TestEnv::new();
    let samples: [&[u8]; 10] = [
        b"\xff\xfe\x00garbage",
        b"sops:\n  version: 1\n",
        b"a: &x [*x]\n",
        b"{\"sops\": {\"version\": 3}}",
        b"a: ENC[AES256_GCM,data:,iv:,tag:,type:]\nsops: {}\n",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"key: \"unterminated\n",
        b"- - - - - - -\n",
        b"sops_version=3.11.0\nsops_mac=ENC[\n",
        b"[sops]\nversion = 3.11.0\nmac = x\nlastmodified = yesterday\n",
    ];
    let deep = "[".repeat(100_000);
    let mut failures = Vec::new();
    for (i, s) in samples.iter().copied().chain([deep.as_bytes()]).enumerate() {
        for ext in ["yaml", "json", "env", "ini", "bin"] {
            let name = format!("g{i}.{ext}");
            env.write(&name, s);
            for args in [
                vec!["decrypt", name.as_str()],
                vec![
                    "encrypt",
                    "--age",
                    "age1f7788xkydpvc7s9wkfd90vxmz6h8cvkjp8x7etqud0jw34e0setqmmmsal",
                    name.as_str(),
                ],
            ] {
                let run = env.enseal(&args);
                if run.stderr.contains("panicked") || run.status == 101 || run.status < 0 {
                    failures.push(format!("{args:?}: exit {}: {}", run.status, run.stderr));
                }
                if args[0] == "decrypt" && run.status == 0 {
                    failures.push(format!("{args:?}: garbage decrypted"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
