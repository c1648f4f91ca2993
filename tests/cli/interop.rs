//! Interoperability with the real sops 3.11: what enseal encrypts, sops decrypts to the
//! same bytes enseal prints, and the reverse, over fixed cases and random documents.

use enseal::document::{Comment, Document, Entry, Scalar, Value};
use enseal::format::{self, EmitOptions, Format};
use proptest::prelude::*;

use crate::common::{shared, Env};

/// Encrypts `name` with both tools (extra args for each), decrypts every result with both,
/// and checks all four plaintexts are the same bytes. Returns that plaintext.
fn both_ways(env: &Env, name: &str, enseal_args: &[&str], sops_args: &[&str]) -> Vec<u8> {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "bin"));
    let by_enseal = format!("{stem}.by-enseal.{ext}");
    let by_sops = format!("{stem}.by-sops.{ext}");

    let mut args = vec!["encrypt"];
    args.extend_from_slice(enseal_args);
    args.push(name);
    let enc = env.enseal(&args).ok();
    env.write(&by_enseal, &enc.stdout);

    let mut args = vec!["encrypt"];
    args.extend_from_slice(sops_args);
    args.push(name);
    let enc = env.sops(&args).ok();
    env.write(&by_sops, &enc.stdout);

    let a = env.sops(&["decrypt", &by_enseal]).ok().stdout;
    let b = env.enseal(&["decrypt", &by_enseal]).ok().stdout;
    let c = env.sops(&["decrypt", &by_sops]).ok().stdout;
    let d = env.enseal(&["decrypt", &by_sops]).ok().stdout;
    let show = |x: &[u8]| String::from_utf8_lossy(x).into_owned();
    assert!(
        a == b,
        "{name}: sops and enseal disagree on enseal's file:\n{}\n---\n{}",
        show(&a),
        show(&b)
    );
    assert!(
        c == d,
        "{name}: sops and enseal disagree on sops' file:\n{}\n---\n{}",
        show(&c),
        show(&d)
    );
    assert!(
        a == c,
        "{name}: the two encryptions decrypt differently:\n{}\n---\n{}",
        show(&a),
        show(&c)
    );
    a
}

fn input(name: &str) -> Vec<u8> {
    std::fs::read(shared().join("sops-generated/input").join(name)).unwrap()
}

#[test]
fn every_format_one_recipient() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    for name in [
        "basic.yaml",
        "edge.yaml",
        "multidoc.yaml",
        "basic.json",
        "basic.env",
        "basic.ini",
        "basic.bin",
    ] {
        env.write(name, input(name));
        both_ways(&env, name, &["--age", &r], &["--age", &r]);
    }
}

#[test]
fn three_recipients_each_can_decrypt() {
    let mut env = Env::new();
    let ids: Vec<_> = (0..3)
        .map(|i| env.age_identity(&format!("k{i}.txt")))
        .collect();
    let all = ids
        .iter()
        .map(|(_, r)| r.clone())
        .collect::<Vec<_>>()
        .join(",");
    env.write("s.yaml", input("basic.yaml"));
    let enc = env.enseal(&["encrypt", "--age", &all, "s.yaml"]).ok();
    env.write("s.enc.yaml", &enc.stdout);
    let text = enc.stdout_str();
    for (_, r) in &ids {
        assert!(text.contains(r.as_str()));
    }
    let mut outputs = Vec::new();
    for (key, _) in &ids {
        env.use_age_key(key);
        outputs.push(env.sops(&["decrypt", "s.enc.yaml"]).ok().stdout);
        outputs.push(env.enseal(&["decrypt", "s.enc.yaml"]).ok().stdout);
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
    env.use_age_key(&ids[2].0);
    both_ways(&env, "s.yaml", &["--age", &all], &["--age", &all]);
}

#[test]
fn ssh_ed25519_recipient() {
    let mut env = Env::new();
    let key = env.dir.path().join("id_ed25519");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen is needed (scripts/setup-test-deps.sh installs openssh-client)");
    assert!(st.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public = public.trim();
    env.set("SOPS_AGE_SSH_PRIVATE_KEY_FILE", key.display().to_string());
    env.write("s.json", input("basic.json"));
    both_ways(&env, "s.json", &["--age", public], &["--age", public]);
}

#[test]
fn selectors_and_mac_only() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    env.write("a.yaml", input("basic.yaml"));
    let out = both_ways(
        &env,
        "a.yaml",
        &["--age", &r, "--encrypted-regex", "^(password|key)$"],
        &["--age", &r, "--encrypted-regex", "^(password|key)$"],
    );
    assert!(!out.is_empty());
    let enc = std::fs::read_to_string(env.work().join("a.by-enseal.yaml")).unwrap();
    assert!(
        enc.contains("string: hello world"),
        "unselected values stay clear"
    );
    assert!(enc.contains("encrypted_regex: ^(password|key)$"));

    env.write("b.json", input("basic.json"));
    both_ways(
        &env,
        "b.json",
        &["--age", &r, "--unencrypted-suffix", "_unencrypted"],
        &["--age", &r, "--unencrypted-suffix", "_unencrypted"],
    );

    // mac_only_encrypted only works through .sops.yaml for sops subcommands.
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - age: {r}\n    mac_only_encrypted: true\n"),
    );
    env.write("c.env", input("basic.env"));
    both_ways(&env, "c.env", &[], &[]);
    let enc = std::fs::read_to_string(env.work().join("c.by-enseal.env")).unwrap();
    assert!(enc.contains("sops_mac_only_encrypted=true"));
    // A clear value may change without breaking the MAC.
    let edited = enc.replace(
        "PASSWORD_unencrypted=visible-in-clear",
        "PASSWORD_unencrypted=changed",
    );
    env.write("c.edited.env", edited);
    let ours = env.enseal(&["decrypt", "c.edited.env"]).ok().stdout;
    let theirs = env.sops(&["decrypt", "c.edited.env"]).ok().stdout;
    assert!(ours == theirs);
}

#[test]
fn creation_rules_and_key_groups() {
    let mut env = Env::new();
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    let both = env.dir.path().join("both.txt");
    let text = std::fs::read_to_string(&k1).unwrap() + &std::fs::read_to_string(&k2).unwrap();
    std::fs::write(&both, text).unwrap();
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - path_regex: ^prod/\n    shamir_threshold: 2\n    key_groups:\n      - age: [{r1}]\n      - age: [{r2}]\n  - path_regex: \\.yaml$\n    age: {r1}\n    encrypted_regex: ^password$\n"
        ),
    );
    env.use_age_key(&both);
    env.write("prod/s.ini", input("basic.ini"));
    both_ways(&env, "prod/s.ini", &[], &[]);
    let enc = std::fs::read_to_string(env.work().join("prod/s.by-enseal.ini")).unwrap();
    assert!(enc.contains("shamir_threshold") && enc.contains("key_groups__list_1"));
    // One group alone is not enough.
    env.use_age_key(&k1);
    assert_eq!(env.enseal(&["decrypt", "prod/s.by-enseal.ini"]).status, 128);
    assert_ne!(env.sops(&["decrypt", "prod/s.by-enseal.ini"]).status, 0);

    env.use_age_key(&k1);
    env.write("dev.yaml", input("basic.yaml"));
    both_ways(&env, "dev.yaml", &[], &[]);
    let enc = std::fs::read_to_string(env.work().join("dev.by-enseal.yaml")).unwrap();
    assert!(enc.contains("encrypted_regex: ^password$"));
    assert!(!enc.contains(&r2));
    // A config with rules that match nothing is an error for both tools.
    env.write("other.json", "{}");
    assert_ne!(env.enseal(&["encrypt", "other.json"]).status, 0);
    assert_ne!(env.sops(&["encrypt", "other.json"]).status, 0);
}

// ---------------------------------------------------------------- random documents

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_-]{0,10}",
        "[a-z]{1,4}[ .][a-z]{1,4}",
        "[àéîõüßñ日本語κλ]{1,4}",
    ]
    .prop_filter("reserved", |k| k != "sops" && k != "<<")
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        "\\PC{0,12}",
        "[a-z ]{0,8}\n[a-z ]{0,8}\n?",
        Just(String::new()),
        "(yes|no|on|null|true|~|0x1F|1e3|2024-01-02|- x|a: b|#c| lead|trail )",
    ]
}

fn scalar(json: bool) -> BoxedStrategy<Value> {
    let float = if json {
        (-1e25f64..1e25).boxed()
    } else {
        prop_oneof![(-1e25f64..1e25), Just(f64::INFINITY), Just(1e-7), Just(0.5)].boxed()
    };
    prop_oneof![
        4 => text().prop_map(Value::str),
        2 => any::<i64>().prop_map(|i| Value::Scalar(Scalar::Int(i))),
        1 => float.prop_map(|f| Value::Scalar(Scalar::Float(f))),
        1 => any::<bool>().prop_map(|b| Value::Scalar(Scalar::Bool(b))),
        1 => Just(Value::Null),
    ]
    .boxed()
}

fn comment() -> impl Strategy<Value = Comment> {
    "[ a-zA-Z0-9,.:✓-]{0,16}".prop_map(|t| Comment(format!(" {}", t.trim())))
}

fn map_of(inner: BoxedStrategy<Value>, comments: bool) -> BoxedStrategy<Vec<Entry>> {
    let entry = if comments {
        prop_oneof![
            5 => (key(), inner).prop_map(|(k, v)| Entry::Pair(k, v)),
            1 => comment().prop_map(Entry::Comment),
        ]
        .boxed()
    } else {
        (key(), inner).prop_map(|(k, v)| Entry::Pair(k, v)).boxed()
    };
    proptest::collection::vec(entry, 0..5)
        .prop_map(|entries| {
            let mut seen = std::collections::HashSet::new();
            let mut out: Vec<Entry> = entries
                .into_iter()
                .filter(|e| match e {
                    Entry::Pair(k, _) => seen.insert(k.clone()),
                    Entry::Comment(_) => true,
                })
                .collect();
            // sops bug: a comment ending a map right after a nested list or map is read back
            // by yaml.v3 as part of that collection, so sops cannot decrypt its own output
            // (it prints the ENC[...] text). enseal keeps it in the map; leave such documents out.
            let last_pair = out.iter().rposition(|e| matches!(e, Entry::Pair(..)));
            if let Some(i) = last_pair {
                if let Entry::Pair(_, Value::Seq(v)) = &out[i] {
                    if !v.is_empty() {
                        out.truncate(i + 1);
                    }
                } else if let Entry::Pair(_, Value::Map(m)) = &out[i] {
                    if !m.is_empty() {
                        out.truncate(i + 1);
                    }
                }
            }
            out
        })
        .boxed()
}

fn document(json: bool) -> BoxedStrategy<Document> {
    let comments = !json;
    let value = scalar(json).prop_recursive(3, 32, 5, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Seq),
            map_of(inner, comments).prop_map(Value::Map),
        ]
    });
    map_of(value.boxed(), comments)
        .prop_filter("at least one pair", |m| {
            m.iter().any(|e| matches!(e, Entry::Pair(..)))
        })
        .prop_map(|m| Document { branches: vec![m] })
        .boxed()
}

fn random_round_trip(format: Format, ext: &str, doc: &Document, env: &Env, recipient: &str) {
    let bytes = format::emit(format, doc, None, &EmitOptions::default()).unwrap();
    let name = format!("doc.{ext}");
    env.write(&name, &bytes);
    // Both tools must accept the input the same way; skip documents sops itself rejects.
    let probe = env.sops(&["encrypt", "--age", recipient, &name]);
    if probe.status != 0 {
        assert_ne!(
            env.enseal(&["encrypt", "--age", recipient, &name]).status,
            0,
            "sops rejected, enseal accepted:\n{}",
            String::from_utf8_lossy(&bytes)
        );
        return;
    }
    both_ways(env, &name, &["--age", recipient], &["--age", recipient]);
}

fn random_env() -> (Env, String) {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    (env, r)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_yaml_documents_both_ways(doc in document(false)) {
        let (env, r) = random_env();
        random_round_trip(Format::Yaml, "yaml", &doc, &env, &r);
    }

    #[test]
    fn random_json_documents_both_ways(doc in document(true)) {
        let (env, r) = random_env();
        random_round_trip(Format::Json, "json", &doc, &env, &r);
    }
}

#[test]
fn stdin_with_filename_override() {
    let mut env = Env::new();
    let (key, r) = env.age_identity("k.txt");
    env.use_age_key(&key);
    let enc = env
        .enseal_stdin(
            &["encrypt", "--age", &r, "--filename-override", "x.env"],
            b"A=1\n#c\n",
        )
        .ok();
    assert!(enc.stdout_str().contains("sops_version="));
    env.write("x.enc.env", &enc.stdout);
    let theirs = env.sops(&["decrypt", "x.enc.env"]).ok();
    assert_eq!(theirs.stdout_str(), "A=1\n#c\n");
}
