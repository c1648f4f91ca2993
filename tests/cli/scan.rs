//! `enseal scan` on a generated corpus with ground truth (`../shared/bench/gen.py`,
//! scored by `../shared/bench/score.py`), and its behaviour around enseal files,
//! `.gitignore`, standard input, exit codes and report formats.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{show, TestEnv};

fn bench_dir() -> PathBuf {
    crate::common::shared().join("../bench")
}

/// Planted secrets: at least 98% found, each on its own line; no decoy reported
/// (placeholders, AWS's example keys, hashes, lockfile integrity strings, UUIDs,
/// public keys, sops ciphertext, references like `process.env.TOKEN`).
#[test]
fn corpus_recall_and_no_decoys() {
    let env = TestEnv::new();
    let out = Command::new("python3")
        .arg(bench_dir().join("gen.py"))
        .args(["corpus", "--out"])
        .arg(env.work())
        .args(["--mb", "4", "--secrets", "300", "--seed", "11"])
        .output()
        .expect("python3 is needed for the corpus generator");
    assert!(out.status.success(), "{}", show(&out.stderr));
    let run = env.enseal(&["scan", "--format", "sarif", "-o", "report.sarif", "corpus"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let score = Command::new("python3")
        .arg(bench_dir().join("score.py"))
        .args(["--report", "report.sarif", "--truth", "corpus.truth.tsv"])
        .args(["--decoys", "corpus.decoys.tsv", "--root", "corpus"])
        .args(["--json", "score.json", "--misses", "20"])
        .current_dir(env.work())
        .output()
        .unwrap();
    assert!(score.status.success(), "{}", show(&score.stderr));
    let s: serde_json::Value = serde_json::from_slice(&env.read("score.json")).unwrap();
    let recall = s["recall"].as_f64().unwrap();
    assert!(recall >= 0.98, "recall {recall}:\n{}", show(&score.stdout));
    assert_eq!(s["decoy_hits"], 0, "{}", show(&score.stdout));
    assert_eq!(s["other_fp"], 0, "{}", show(&score.stdout));
    assert_eq!(s["found_exact_line"], s["found"], "{}", show(&score.stdout));
}

/// Ciphertext is never a finding; a plaintext file a creation rule says to encrypt
/// always is; `.gitignore` is respected; binaries are skipped with a note.
#[test]
fn enseal_files_gitignore_and_binaries() {
    let (env, r) = TestEnv::with_age_key();
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {r}\n"),
    );
    env.write(
        "secrets/app.yaml",
        "db:\n  password: Qx7vN2kLm9RtZp4WsY8c\napi_token: ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n",
    );
    env.enseal(&["encrypt", "-i", "secrets/app.yaml"]).ok();
    env.write("secrets/plain.yaml", "note: nothing secret\n");
    env.write(
        "ignored/leak.env",
        "GITHUB_TOKEN=ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n",
    );
    env.write(".gitignore", "ignored/\n");
    env.write(
        "blob.bin",
        b"\x00\x01ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d",
    );
    let run = env.enseal(&["scan", "--format", "json"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["path"], "secrets/plain.yaml");
    assert_eq!(findings[0]["rule"], "enseal-unencrypted-file");
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["path"], "blob.bin");
    // With --no-ignore the ignored file is read.
    let run = env.enseal(&["scan", "--no-ignore", "--format", "json", "ignored"]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["findings"][0]["rule"], "github-pat");
    // Reports never hold the secret.
    assert!(!show(&run.stdout).contains("prOSuvHrA9"));
}

/// Exit codes (0 clean, 1 findings, 2 errors), standard input, text and SARIF output.
#[test]
fn exit_codes_stdin_and_formats() {
    let env = TestEnv::new();
    env.write("clean/readme.md", "nothing to see\n");
    env.enseal(&["scan", "clean"]).ok();
    let run = env.enseal(&["scan", "missing-dir"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    let run = env.enseal(&["scan", "--format", "xml"]);
    assert_eq!(run.status, 2, "{}", run.stderr);

    let leak = "line one\nexport STRIPE_SECRET_KEY=\"sk_live_OQUiWzpAEdNT9iPTxjZ094Qf\"\n";
    let run = env.enseal_stdin(&["scan", "--stdin-name", "pasted.sh", "-"], leak.as_bytes());
    assert_eq!(run.status, 1, "{}", run.stderr);
    let text = run.stdout_str();
    assert!(
        text.starts_with("pasted.sh:2:27: critical stripe-secret-key: "),
        "{text}"
    );
    assert!(!text.contains("OQUiWzpAEdNT9"), "{text}");

    let run = env.enseal_stdin(&["scan", "--format", "sarif", "-"], leak.as_bytes());
    let sarif: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "stripe-secret-key");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(27))
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "stripe-secret-key"
    );
}

/// The SARIF report validates against the official SARIF 2.1.0 JSON schema (draft 4),
/// checked by the `jsonschema` package: scripts/setup-test-deps.sh installs both.
#[test]
fn sarif_validates_against_the_schema() {
    let peers = std::env::var_os("ENSEAL_PEERS_BIN")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin"));
    let schema = std::env::var_os("ENSEAL_SARIF_SCHEMA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/sarif-schema-2.1.0.json")
        });
    assert!(
        schema.is_file() && peers.join("python").is_file(),
        "the SARIF schema and jsonschema are needed: run `bash scripts/setup-test-deps.sh`"
    );
    let env = TestEnv::new();
    env.write(
        "src/app config.py",
        "GITHUB_TOKEN = \"ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\"\nclient_secret = \"vNXXqo2vykzB/KU6lYlgqhEVv/k8EI/5\"\n",
    );
    env.write(
        ".env",
        "DATABASE_URL=postgres://svc:rD9IjMNFJ*1yc9mjKE@db.internal:5432/app\n",
    );
    let run = env.enseal(&["scan", "--format", "sarif", "-o", "out.sarif"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_slice(&env.read("out.sarif")).unwrap();
    assert_eq!(report["runs"][0]["results"].as_array().unwrap().len(), 3);
    let check = Command::new(peers.join("python"))
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             log = json.load(open(sys.argv[2]))\n\
             errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))\n\
             for e in errors: print(list(e.absolute_path), e.message)\n\
             sys.exit(1 if errors else 0)",
        ])
        .arg(&schema)
        .arg(env.work().join("out.sarif"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "SARIF schema errors:\n{}{}",
        show(&check.stdout),
        show(&check.stderr)
    );
    // A path with a space is a valid URI reference.
    assert!(show(&env.read("out.sarif")).contains("src/app%20config.py"));
}

/// `--history` reports a secret that was added and later removed, with the commit
/// that introduced it; `--since` and `--staged` see only what is added.
#[test]
fn history_since_and_staged() {
    let env = TestEnv::new();
    env.git(&["init", "-q", "-b", "main"]).ok();
    env.write("app.py", "import os\n\nTIMEOUT = 30\n");
    env.git(&["add", "."]).ok();
    env.git(&["commit", "-qm", "start"]).ok();
    env.write(
        "app.py",
        "import os\n\nTIMEOUT = 30\nGITHUB_TOKEN = \"ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\"\n",
    );
    env.git(&["commit", "-qam", "add a token"]).ok();
    let leak = env
        .git(&["rev-parse", "HEAD"])
        .ok()
        .stdout_str()
        .trim()
        .to_string();
    env.write(
        "app.py",
        "import os\n\nTIMEOUT = 30\nGITHUB_TOKEN = os.environ[\"GITHUB_TOKEN\"]\n",
    );
    env.git(&["commit", "-qam", "read it from the environment"])
        .ok();
    // The work tree is clean...
    env.enseal(&["scan", "."]).ok();
    // ...the history is not.
    let run = env.enseal(&["scan", "--history", "--format", "json"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["path"], "app.py");
    assert_eq!(findings[0]["line"], 4);
    assert_eq!(findings[0]["commit"], leak.as_str());
    let text = env.enseal(&["scan", "--history"]).stdout_str();
    assert!(
        text.contains(&format!("(commit {})", &leak[..12])),
        "{text}"
    );

    // --since: only what the range adds.
    env.write(
        "deploy.sh",
        "export STRIPE_KEY=\"sk_live_OQUiWzpAEdNT9iPTxjZ094Qf\"\n",
    );
    env.git(&["add", "."]).ok();
    env.git(&["commit", "-qm", "deploy"]).ok();
    let run = env.enseal(&["scan", "--since", "HEAD~1"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stdout_str().starts_with("deploy.sh:1:"),
        "{}",
        run.stdout_str()
    );
    assert!(!run.stdout_str().contains("app.py"));

    // --staged: an old secret in a changed file is not the commit's doing.
    env.write(
        "notes.md",
        "token: ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n\nmore text\n",
    );
    env.git(&["add", "notes.md"]).ok();
    env.git(&["commit", "-qm", "notes", "--no-verify"]).ok();
    env.write(
        "notes.md",
        "token: ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n\nmore text\nslack: xoxb-2847561930-4827361950284-q7Rt2ZkLm9XwP4vN8sJd3HcY\n",
    );
    env.git(&["add", "notes.md"]).ok();
    let run = env.enseal(&["scan", "--staged", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule"], "slack-bot-token");
    assert_eq!(findings[0]["line"], 4);
}

/// `.enseal.toml`: a custom rule, allowlisted paths, regexes and stop words; a baseline
/// accepts known findings by fingerprint, so moving their line does not bring them back.
#[test]
fn settings_and_baseline() {
    let env = TestEnv::new();
    env.write(
        ".enseal.toml",
        "[[scan.rule]]\nid = \"acme-token\"\ndescription = \"ACME internal token\"\nregex = '''\\b(acme_[a-z0-9]{24})\\b'''\nkeywords = [\"acme_\"]\nseverity = \"high\"\n\n[scan.allow]\npaths = ['^testdata/']\nstopwords = ['sandbox']\n",
    );
    env.write("app.cfg", "token = acme_q7rt2zklm9xwp4vn8sjd3hcy\n");
    env.write(
        "testdata/fixture.env",
        "GITHUB_TOKEN=ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n",
    );
    env.write(
        "ci.env",
        "SANDBOX_SECRET=Sandbox9Q7Rt2ZkLm9XwP4vN8sJd3HcY\n",
    );
    let run = env.enseal(&["scan", "--format", "json", "-o", "base.json"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_slice(&env.read("base.json")).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["acme-token"], "{report:#}");
    // The baseline accepts it, also after it moved down a line.
    env.write(
        "app.cfg",
        "# settings\ntoken = acme_q7rt2zklm9xwp4vn8sjd3hcy\n",
    );
    let run = env.enseal(&["scan", "--baseline", "base.json", "app.cfg"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout_str(), run.stderr);
    assert!(
        run.stderr.contains("1 finding accepted by the baseline"),
        "{}",
        run.stderr
    );
    // A new secret is still reported.
    env.write("more.cfg", "token = acme_z8xw4vn2q7rt5zklm9sjd3hc\n");
    let run = env.enseal(&["scan", "--baseline", "base.json", "app.cfg", "more.cfg"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stdout_str()
            .starts_with("more.cfg:1:9: high acme-token"),
        "{}",
        run.stdout_str()
    );
    // Bad settings are an error (exit 2) naming the file.
    env.write(".enseal.toml", "[scan.allow]\npaths = ['(']\n");
    let run = env.enseal(&["scan", "app.cfg"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains(".enseal.toml"), "{}", run.stderr);
}

/// A value of an encrypted file found in clear elsewhere, whatever its shape (no rule
/// knows this password); base64-encoded too. Without the key, no such finding, and a
/// note says why.
#[test]
fn known_values_of_encrypted_files() {
    let (mut env, r) = TestEnv::with_age_key();
    env.write(
        "secrets.yaml",
        "db:\n  password: Winter-Harbor-1987\n  port: 5432\n",
    );
    env.enseal(&["encrypt", "--age", &r, "-i", "secrets.yaml"])
        .ok();
    env.write(
        "tests/conftest.py",
        "FIXTURE = {\"user\": \"app\", \"login\": \"Winter-Harbor-1987\"}\n",
    );
    env.write("k8s/secret.yaml", "data:\n  pw: V2ludGVyLUhhcmJvci0xOTg3\n");
    let run = env.enseal(&["scan", "--format", "json"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("tests/conftest.py".into(), "enseal-known-secret".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("k8s/secret.yaml".into(), "enseal-known-secret".into())),
        "{found:?}"
    );
    assert!(!show(&run.stdout).contains("Winter-Harbor"));
    // --no-known, or no key: the password has no shape a rule knows.
    let run = env.enseal(&["scan", "--no-known", "tests"]);
    assert_eq!(run.status, 0, "{}", run.stdout_str());
    env.set(
        "SOPS_AGE_KEY_FILE",
        env.dir.path().join("none.txt").display().to_string(),
    );
    let run = env.enseal(&["scan", "tests", "secrets.yaml"]);
    assert_eq!(run.status, 0, "{}", run.stdout_str());
    assert!(
        run.stderr.contains("1 encrypted file could not be opened"),
        "{}",
        run.stderr
    );
}
