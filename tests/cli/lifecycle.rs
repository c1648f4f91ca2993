//! Rotation and lifecycle in real git repositories with backdated commits: `status`
//! ages (sops' own rotations and edits included), `rotate-value --verify`, `revoke`,
//! `history`, `access`, `rotate --due`, the audit log.

use std::path::Path;

use crate::common::{generated, TestEnv};

const DAY: i64 = 86_400;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;

/// A repository in the test environment's work directory.
struct Repo {
    env: TestEnv,
    recipient: String,
}

impl Repo {
    fn new() -> Repo {
        let (mut env, recipient) = TestEnv::with_age_key();
        env.set("GIT_AUTHOR_NAME", "Ada")
            .set("GIT_AUTHOR_EMAIL", "ada@example.com")
            .set("GIT_COMMITTER_NAME", "Ada")
            .set("GIT_COMMITTER_EMAIL", "ada@example.com");
        env.git(&["init", "-q", "-b", "main"]).ok();
        Repo { env, recipient }
    }

    /// Commits everything with author and committer time `t`.
    fn commit_at(&mut self, t: i64, message: &str) {
        let date = format!("@{t} +0000");
        self.env
            .set("GIT_COMMITTER_DATE", &date)
            .set("GIT_AUTHOR_DATE", &date);
        self.env.git(&["add", "-A"]).ok();
        self.env.git(&["commit", "-q", "-m", message]).ok();
        self.env
            .unset("GIT_COMMITTER_DATE")
            .unset("GIT_AUTHOR_DATE");
    }

    fn head(&self) -> String {
        self.env
            .git(&["rev-parse", "HEAD"])
            .ok()
            .stdout_str()
            .trim()
            .to_string()
    }

    fn commits(&self) -> usize {
        self.env
            .git(&["rev-list", "--count", "HEAD"])
            .ok()
            .stdout_str()
            .trim()
            .parse()
            .unwrap()
    }

    fn set(&self, file: &str, index: &str, json: &str) {
        self.env.enseal(&["set", file, index, json]).ok();
    }

    fn status_json(&self, now: &str) -> serde_json::Value {
        let run = self
            .env
            .enseal(&["status", "--format", "json", "--now", now]);
        assert!(run.status == 0 || run.status == 1, "{}", run.stderr);
        serde_json::from_slice(&run.stdout).unwrap()
    }
}

fn row<'a>(status: &'a serde_json::Value, file: &str, key: &str) -> &'a serde_json::Value {
    status["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["file"] == file && r["key"] == key)
        .unwrap_or_else(|| panic!("no row for {file} {key}: {status}"))
}

/// Acceptance 1: a scripted history gives exact ages, due and expired flags; data-key
/// rotations (enseal's and sops') do not reset value ages; a sops edit that draws new
/// IVs for every value changes only the value it changed; renames are followed.
#[test]
fn status_ages_from_a_backdated_history() {
    let mut r = Repo::new();
    let env = &r.env;
    env.write(
        ".enseal.toml",
        "[[policy]]\npath_regex = '^secrets/'\nkey_regex = 'password$'\nrotate_after = \"30d\"\ngenerator = \"password:24\"\n\n[[policy]]\nkey_regex = '^api\\.token$'\nexpires = \"2026-03-01\"\n\n[[policy]]\nrotate_after = \"90d\"\ndata_key_rotate_after = \"45d\"\n",
    );
    env.write(
        "app.yaml",
        "db:\n  password: pw-1\n  user: app\napi:\n  token: tok-1\nhosts:\n  - a\n  - b\n",
    );
    env.enseal(&["encrypt", "-i", "app.yaml"]).ok();
    r.commit_at(T0, "add app.yaml");
    // Day 10: a value changes (enseal set keeps the other ciphertexts).
    r.set("app.yaml", r#"["api"]["token"]"#, "\"tok-2\"");
    r.commit_at(T0 + 10 * DAY, "new token");
    // Day 20: enseal rotates the data key: every ciphertext changes, no value.
    r.env.enseal(&["rotate", "-i", "app.yaml"]).ok();
    r.commit_at(T0 + 20 * DAY, "rotate");
    // Day 25: sops rotates the data key.
    r.env.sops(&["rotate", "-i", "app.yaml"]).ok();
    r.commit_at(T0 + 25 * DAY, "sops rotate");
    // Day 30: sops changes one list item (it draws new IVs for every value).
    r.env
        .sops(&["set", "app.yaml", r#"["hosts"][1]"#, "\"c\""])
        .ok();
    r.commit_at(T0 + 30 * DAY, "sops set");
    // Day 40: renamed into secrets/.
    std::fs::create_dir(r.env.work().join("secrets")).unwrap();
    r.env.git(&["mv", "app.yaml", "secrets/app.yaml"]).ok();
    r.commit_at(T0 + 40 * DAY, "move");

    let now = "2026-03-02T12:00:00Z"; // day 60.5
    let now_s = T0 + 60 * DAY + 12 * 3600;
    let s = r.status_json(now);
    let f = "secrets/app.yaml";
    let age = |key: &str| row(&s, f, key)["age"].as_i64().unwrap();
    assert_eq!(age("db.password"), now_s - T0);
    assert_eq!(age("db.user"), now_s - T0);
    assert_eq!(age("api.token"), now_s - (T0 + 10 * DAY));
    assert_eq!(age("hosts[0]"), now_s - T0);
    assert_eq!(age("hosts[1]"), now_s - (T0 + 30 * DAY));
    assert_eq!(age("(data key)"), now_s - (T0 + 25 * DAY));
    // Policies: password 30d (due), api.token expired on 2026-03-01, others 90d, data key 45d.
    let flags = |key: &str| {
        let r = row(&s, f, key);
        (r["due"].as_bool().unwrap(), r["expired"].as_bool().unwrap())
    };
    assert_eq!(flags("db.password"), (true, false));
    assert_eq!(flags("api.token"), (false, true));
    assert_eq!(flags("db.user"), (false, false));
    assert_eq!(flags("hosts[1]"), (false, false));
    assert_eq!(flags("(data key)"), (false, false));
    assert_eq!(row(&s, f, "db.password")["generator"], "password:24");
    assert_eq!(row(&s, f, "db.password")["rotate_after"], 30 * DAY);
    assert_eq!(s["overdue"], 2);
    assert!(s["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["exact"] == true));
    // The commit that last changed each one.
    let log = r.env.git(&["log", "--format=%H %s"]).ok().stdout_str();
    let commit_of = |subject: &str| {
        log.lines()
            .find(|l| l.ends_with(subject))
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(row(&s, f, "hosts[1]")["commit"], commit_of(" sops set"));
    assert_eq!(
        row(&s, f, "(data key)")["commit"],
        commit_of(" sops rotate")
    );

    // --check fails on overdue values; on day 20 nothing is overdue yet.
    let run = r.env.enseal(&["status", "--check", "--now", now]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("2 values or data keys overdue"),
        "{}",
        run.stderr
    );
    let run = r.env.enseal(&["status", "--check", "--now", "2026-01-21"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // The text report names the state, never a value.
    let text = r.env.enseal(&["status", "--now", now]).stdout_str();
    assert!(text.contains("db.password") && text.contains("DUE") && text.contains("EXPIRED"));
    assert!(!text.contains("pw-1") && !text.contains("tok-2"));

    // Without a key: from ciphertexts. The same ages where the data key did not change.
    let mut keyless = TestEnv::new();
    keyless.set("SOPS_AGE_KEY_FILE", "/nonexistent");
    let run = r
        .env
        .enseal(&["status", "--no-decrypt", "--format", "json", "--now", now]);
    let s2: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(row(&s2, f, "db.password")["exact"], false);
    assert_eq!(row(&s2, f, "api.token")["age"], now_s - (T0 + 10 * DAY));
    drop(keyless);

    // rotate --due: the due password gets a generated value, in one commit.
    let before = r.commits();
    r.env.enseal(&["rotate", "--due", "--commit"]).ok();
    assert_eq!(r.commits(), before + 1);
    let msg = r.env.git(&["log", "-1", "--format=%B"]).ok().stdout_str();
    assert!(
        msg.contains("secrets/app.yaml: new value for db.password"),
        "{msg}"
    );
    assert!(msg.contains("Enseal-Rotation: due"));
    let pw = r
        .env
        .enseal(&["decrypt", "--extract", r#"["db"]["password"]"#, f])
        .ok()
        .stdout_str();
    assert_eq!(pw.len(), 24);
    assert!(!msg.contains(&pw));
}

/// Acceptance 2: a failing `--verify` leaves the file byte-identical and no commit; a
/// passing one makes one commit with the new value.
#[test]
fn rotate_value_verify_rolls_back_or_commits() {
    let mut r = Repo::new();
    r.env
        .write("s.yaml", "db:\n  password: old-pw\n  user: app\n");
    r.env.enseal(&["encrypt", "-i", "s.yaml"]).ok();
    r.commit_at(T0, "add");
    let before = r.env.read("s.yaml");
    let head = r.head();
    let seen = r.env.dir.path().join("seen");
    let run = r.env.enseal(&[
        "rotate-value",
        "s.yaml",
        "db.password",
        "--generate",
        "hex:16",
        "--commit",
        "--verify",
        &format!(
            "echo \"$ENSEAL_OLD_VALUE $ENSEAL_KEY_PATH ${{#ENSEAL_NEW_VALUE}}\" > '{}'; exit 3",
            seen.display()
        ),
    ]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("s.yaml: the check for the new db.password failed (exit 3)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        r.env.read("s.yaml"),
        before,
        "the file is not byte-identical"
    );
    assert_eq!(r.head(), head);
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        "old-pw db.password 32\n"
    );
    assert!(r.env.listing().iter().all(|n| !n.starts_with(".enseal")));

    // A new second, so that `lastmodified` changes too.
    crate::set::next_second();
    let run = r.env.enseal(&[
        "rotate-value",
        "s.yaml",
        "db.password",
        "--generate",
        "hex:16",
        "--commit",
        "--verify",
        "test ${#ENSEAL_NEW_VALUE} = 32 && test \"$ENSEAL_OLD_VALUE\" = old-pw",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(r.commits(), 2);
    let new = r
        .env
        .enseal(&["decrypt", "--extract", r#"["db"]["password"]"#, "s.yaml"])
        .ok()
        .stdout_str();
    assert_eq!(new.len(), 32);
    assert!(new.bytes().all(|b| b.is_ascii_hexdigit()));
    let shown = r
        .env
        .git(&["show", "--stat", "--format=%B", "HEAD"])
        .ok()
        .stdout_str();
    assert!(
        shown.contains("enseal: rotate db.password in s.yaml"),
        "{shown}"
    );
    assert!(
        shown.contains(" s.yaml | "),
        "only the file is in the commit: {shown}"
    );
    assert!(!shown.contains(&new));
    // The other value kept its ciphertext: one value line, lastmodified and mac changed.
    let numstat = r
        .env
        .git(&["diff", "--numstat", "HEAD~1", "HEAD"])
        .ok()
        .stdout_str();
    assert_eq!(numstat.trim(), "3\t3\ts.yaml");
    // A file with changes of the user's is refused before anything happens.
    r.set("s.yaml", r#"["db"]["user"]"#, "\"bob\"");
    let dirty = r.env.read("s.yaml");
    let run = r.env.enseal(&[
        "rotate-value",
        "s.yaml",
        "db.password",
        "--generate",
        "uuid",
        "--commit",
    ]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("s.yaml has changes of yours"),
        "{}",
        run.stderr
    );
    assert_eq!(r.env.read("s.yaml"), dirty);
    // No generator and no policy.
    let run = r.env.enseal(&["rotate-value", "s.yaml", "db.password"]);
    assert!(run.stderr.contains("no --generate given"), "{}", run.stderr);
}

/// Acceptance 3: after `revoke`, the revoked key opens no current file, the others
/// open all of them, .sops.yaml no longer names it, and one commit lists the files.
#[test]
fn revoke_removes_a_recipient_everywhere() {
    let mut r = Repo::new();
    let (k2, r2) = r.env.age_identity("k2.txt");
    let (k3, r3) = r.env.age_identity("k3.txt");
    let me = r.recipient.clone();
    r.env.write(
        ".sops.yaml",
        format!("# keys\ncreation_rules:\n  - path_regex: ^prod/\n    age: {me},{r2}\n  - path_regex: .*\n    key_groups:\n      - age:\n          - {me}\n          - {r2}\n          - {r3}\n"),
    );
    for (name, body) in [
        ("prod/a.yaml", "a: 1\nb: two\n"),
        ("prod/b.env", "TOKEN=x\n"),
        ("dev/c.json", "{\"k\": \"v\"}\n"),
    ] {
        r.env.write(name, body);
        r.env.enseal(&["encrypt", "-i", name]).ok();
    }
    r.env.write("dev/other.yaml", "not: secret\n");
    r.commit_at(T0, "add");
    let opens = |key: &Path, file: &str| {
        let mut e = TestEnv::new();
        e.use_age_key(key);
        std::fs::create_dir_all(e.work().join(Path::new(file).parent().unwrap())).unwrap();
        std::fs::copy(r.env.work().join(file), e.work().join(file)).unwrap();
        e.enseal(&["decrypt", file]).status == 0
    };
    let files = ["prod/a.yaml", "prod/b.env", "dev/c.json"];
    assert!(files.iter().all(|f| opens(&k2, f)));

    // rotate --commit: new data keys for two files in one commit listing their key paths.
    crate::set::next_second();
    r.env
        .enseal(&["rotate", "--commit", "prod/a.yaml", "prod/b.env"])
        .ok();
    assert_eq!(r.commits(), 2);
    let shown = r
        .env
        .git(&["show", "--stat", "--format=%B", "HEAD"])
        .ok()
        .stdout_str();
    assert!(
        shown.starts_with("enseal: rotate the data key of 2 files\n"),
        "{shown}"
    );
    assert!(
        shown.contains("  prod/a.yaml: a, b\n") && shown.contains("  prod/b.env: TOKEN\n"),
        "{shown}"
    );
    assert!(shown.contains("2 files changed"), "{shown}");
    assert!(opens(&k2, "prod/a.yaml"), "rotate keeps the recipients");
    // A file with changes of the user's: refused before anything is written.
    r.set("prod/a.yaml", r#"["b"]"#, "\"three\"");
    let dirty = r.env.read("prod/a.yaml");
    let b_before = r.env.read("prod/b.env");
    let run = r
        .env
        .enseal(&["rotate", "--commit", "prod/a.yaml", "prod/b.env"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("prod/a.yaml has changes of yours"),
        "{}",
        run.stderr
    );
    assert_eq!(r.env.read("prod/a.yaml"), dirty);
    assert_eq!(r.env.read("prod/b.env"), b_before);
    r.env.git(&["checkout", "--", "prod/a.yaml"]).ok();

    let run = r.env.enseal(&["revoke", "--age", &r2]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for f in files {
        assert!(!opens(&k2, f), "the revoked key still opens {f}");
        let me_key = r.env.dir.path().join("age-key.txt");
        assert!(
            opens(&me_key, f),
            "{f} no longer opens with the remaining key"
        );
    }
    assert!(opens(&k3, "dev/c.json"));
    let config = String::from_utf8(r.env.read(".sops.yaml")).unwrap();
    assert!(!config.contains(&r2), "{config}");
    assert!(config.starts_with("# keys\n") && config.contains(&format!("age: {me}\n")));
    let shown = r
        .env
        .git(&["show", "--stat", "--format=%B", "HEAD"])
        .ok()
        .stdout_str();
    assert!(
        shown.contains(&format!("enseal: revoke age {r2}")),
        "{shown}"
    );
    for f in files {
        assert!(
            shown.contains(&format!("  {f}: ")),
            "{f} not listed: {shown}"
        );
    }
    assert!(shown.contains(".sops.yaml"));
    assert!(!shown.contains("dev/other.yaml"));
    assert_eq!(r.commits(), 3);
    assert!(r.env.git(&["status", "--porcelain"]).ok().stdout.is_empty());
    // Again: nothing left to revoke.
    let run = r.env.enseal(&["revoke", "--age", &r2]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("nothing to revoke"));
}

/// Acceptance 4a: `history` on a file with 10 commits lists each key path's changes.
#[test]
fn history_lists_each_change() {
    let mut r = Repo::new();
    r.env.write("h.yaml", "a: 1\nb: one\n");
    r.env.enseal(&["encrypt", "-i", "h.yaml"]).ok();
    r.commit_at(T0, "c1");
    let steps: [(&str, &str); 9] = [
        ("set b", r#"["b"] "two""#),
        ("add c", r#"["c"] "x""#),
        ("rotate", ""),
        ("set a", r#"["a"] 2"#),
        ("unset c", "unset c"),
        ("set b again", r#"["b"] "three""#),
        ("sops rotate", "sops"),
        ("add d.e", r#"["d"] {"e": "y"}"#),
        ("set d.e", r#"["d"]["e"] "z""#),
    ];
    for (i, (msg, op)) in steps.iter().enumerate() {
        match *op {
            "" => {
                r.env.enseal(&["rotate", "-i", "h.yaml"]).ok();
            }
            "sops" => {
                r.env.sops(&["rotate", "-i", "h.yaml"]).ok();
            }
            "unset c" => {
                r.env.enseal(&["unset", "h.yaml", r#"["c"]"#]).ok();
            }
            op => {
                let (index, value) = op.split_once(' ').unwrap();
                r.set("h.yaml", index, value);
            }
        }
        r.commit_at(T0 + (i as i64 + 1) * DAY, msg);
    }
    assert_eq!(r.commits(), 10);
    let run = r
        .env
        .enseal(&["history", "h.yaml", "--format", "json"])
        .ok();
    let h: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let got: Vec<(i64, String, String)> = h["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (c["time"].as_i64().unwrap() - T0) / DAY,
                c["key"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(i64, String, String)> = [
        (0, "a", "added"),
        (0, "b", "added"),
        (1, "b", "changed"),
        (2, "c", "added"),
        (3, "a", "rekeyed"),
        (3, "b", "rekeyed"),
        (3, "c", "rekeyed"),
        (4, "a", "changed"),
        (5, "c", "removed"),
        (6, "b", "changed"),
        (7, "a", "rekeyed"),
        (7, "b", "rekeyed"),
        (8, "d.e", "added"),
        (9, "d.e", "changed"),
    ]
    .iter()
    .map(|(d, k, kind)| (*d, k.to_string(), kind.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(h["exact"], true);
    // One key path, with values; the text report has no values unless asked.
    let text = r.env.enseal(&["history", "h.yaml", "b"]).ok().stdout_str();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(!text.contains("three"));
    let text = r
        .env
        .enseal(&["history", "h.yaml", "b", "--show-values"])
        .ok()
        .stdout_str();
    let values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("  = ").nth(1))
        .collect();
    assert_eq!(values, ["one", "two", "three"]);
}

/// Acceptance 4b: `access` matches the metadata of a repository with mixed key groups
/// (age, PGP, a Shamir threshold), and `--check` applies the access rules.
#[test]
fn access_matrix_from_metadata() {
    let mut r = Repo::new();
    r.env.gpg_import(&generated().join("keys/pgp-secret.asc"));
    let fp = std::fs::read_to_string(generated().join("keys/pgp-fingerprint.txt"))
        .unwrap()
        .trim()
        .to_string();
    let (_, r2) = r.env.age_identity("k2.txt");
    let me = r.recipient.clone();
    r.env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^single\n    age: {me}\n  - path_regex: ^mixed\n    age: {me}\n    pgp: {fp}\n  - path_regex: ^groups\n    shamir_threshold: 2\n    key_groups:\n      - age: [{me}]\n      - age: [{r2}]\n        pgp: [{fp}]\n"),
    );
    for name in ["single.yaml", "mixed.env", "groups.json"] {
        r.env.write(
            name,
            if name.ends_with(".json") {
                "{\"a\": \"b\"}\n"
            } else if name.ends_with(".env") {
                "A=b\n"
            } else {
                "a: b\n"
            },
        );
        r.env.enseal(&["encrypt", "-i", name]).ok();
    }
    r.commit_at(T0, "add");
    // No key is needed.
    let mut keyless = TestEnv::new();
    keyless.set("SOPS_AGE_KEY_FILE", "/nonexistent");
    let run = r.env.enseal(&["access", "--format", "json"]).ok();
    let a: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let file = |name: &str| {
        a["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        file("single.yaml")["groups"],
        serde_json::json!([[["age", me]]])
    );
    assert_eq!(file("single.yaml")["threshold"], 1);
    assert_eq!(
        file("mixed.env")["groups"],
        serde_json::json!([[["pgp", fp], ["age", me]]])
    );
    assert_eq!(file("groups.json")["threshold"], 2);
    assert_eq!(
        file("groups.json")["groups"],
        serde_json::json!([[["age", me]], [["pgp", fp], ["age", r2]]])
    );
    let text = r.env.enseal(&["access"]).ok().stdout_str();
    assert!(text.contains(&format!("age {me}")) && text.contains(&format!("pgp {fp}")));
    assert!(
        text.lines()
            .any(|l| l.starts_with("groups.json") && l.contains("2/2")),
        "{text}"
    );
    // Access rules.
    r.env.write(
        ".enseal.toml",
        format!("[[access.rule]]\npath_regex = '^(mixed|groups)'\ndeny = ['{fp}']\n\n[[access.rule]]\nrequire = ['{r2}']\n"),
    );
    let run = r.env.enseal(&["access", "--check"]);
    assert_eq!(run.status, 1);
    let out = run.stdout_str();
    let violations: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("violation: "))
        .collect();
    assert_eq!(violations.len(), 4, "{out}");
    assert!(out.contains(&format!(
        "violation: mixed.env: lists the denied {fp} (access rule 1)"
    )));
    assert!(out.contains(&format!(
        "violation: single.yaml: does not list the required {r2} (access rule 2)"
    )));
    assert!(run.stderr.contains("4 access rule violations"));
    drop(keyless);
}

/// The audit log: one JSON line per operation, with the outcome, never a value.
#[test]
fn audit_log_records_operations_without_values() {
    let mut r = Repo::new();
    r.env.write("s.yaml", "db:\n  password: hunter2-XYZZY\n");
    r.env.enseal(&["encrypt", "-i", "s.yaml"]).ok();
    r.env
        .write(".enseal.toml", "[audit]\nlog = 'audit/enseal.jsonl'\n");
    std::fs::create_dir(r.env.work().join("audit")).unwrap();
    r.env.enseal(&["decrypt", "s.yaml"]).ok();
    r.set("s.yaml", r#"["db"]["password"]"#, "\"n3w-XYZZY\"");
    r.env.enseal(&["exec-env", "s.yaml", "--", "true"]).ok();
    assert_eq!(
        r.env
            .enseal(&["decrypt", "--extract", r#"["nope"]"#, "s.yaml"])
            .status,
        1
    );
    r.env.write("t.tmpl", "{{ .db.password }}");
    r.env.enseal(&["render", "-s", "s.yaml", "t.tmpl"]).ok();
    r.commit_at(T0, "add");
    r.env
        .enseal(&[
            "rotate-value",
            "s.yaml",
            "db.password",
            "--generate",
            "alnum:12",
            "--commit",
        ])
        .ok();
    let log = String::from_utf8(r.env.read("audit/enseal.jsonl")).unwrap();
    assert!(!log.contains("XYZZY"));
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let commands: Vec<&str> = records
        .iter()
        .map(|r| r["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "decrypt",
            "set",
            "exec-env",
            "decrypt",
            "render",
            "rotate-value"
        ]
    );
    assert_eq!(
        records[1]["keys"],
        serde_json::json!([r#"["db"]["password"]"#])
    );
    assert_eq!(records[3]["ok"], false);
    assert!(records[3]["error"]
        .as_str()
        .unwrap()
        .contains("no value at nope"));
    assert_eq!(records[3]["exit"], 1);
    for rec in &records {
        assert_eq!(rec["user"], "ada@example.com");
        assert!(!rec["host"].as_str().unwrap().is_empty());
        assert!(rec["time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(
        crate::common::mode(&r.env.work().join("audit/enseal.jsonl")),
        0o600
    );
    // ENSEAL_AUDIT_LOG wins over the settings.
    let other = r.env.dir.path().join("other.jsonl");
    r.env.set("ENSEAL_AUDIT_LOG", other.display().to_string());
    r.env.enseal(&["decrypt", "s.yaml"]).ok();
    assert_eq!(std::fs::read_to_string(&other).unwrap().lines().count(), 1);
}
