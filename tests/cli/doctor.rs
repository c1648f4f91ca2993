//! `enseal doctor` (keys, key files, .sops.yaml probes, git setup), `enseal completions`
//! and `enseal man`. The stopped-Vault case is in `vault.rs`, beside its server.

use std::collections::BTreeSet;

use clap::CommandFactory;

use crate::common::TestEnv;

#[test]
fn doctor_reports_a_missing_key() {
    let env = TestEnv::new();
    // A recipient whose identity this machine does not have.
    let (_, other) = {
        let scratch = TestEnv::new();
        scratch.age_identity("other.txt")
    };
    env.write(".sops.yaml", format!("creation_rules:\n  - age: {other}\n"));
    let run = env.enseal(&["doctor"]);
    let text = run.stdout_str();
    assert_eq!(run.status, 1, "{text}");
    assert!(
        text.contains("FAIL  age        no age identity found"),
        "{text}"
    );
    assert!(
        text.contains("fix: create one with `enseal keygen`"),
        "{text}"
    );
    assert!(
        text.contains("rule for any file: this machine cannot decrypt its files (opens 0 of the 1 group(s) needed)"),
        "{text}"
    );
    // After keygen the key is found, in the default file, with a safe mode.
    env.enseal(&["keygen"]).ok();
    let run = env.enseal(&["doctor"]);
    let text = run.stdout_str();
    assert!(
        text.contains("ok    age        1 identity from default file"),
        "{text}"
    );
    assert!(!text.contains("key file"), "{text}");
}

#[test]
fn doctor_reports_a_key_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let (env, r) = TestEnv::with_age_key();
    env.write(".sops.yaml", format!("creation_rules:\n  - age: {r}\n"));
    let key = env.vars().get("SOPS_AGE_KEY_FILE").cloned().unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = env.enseal(&["doctor"]);
    let text = run.stdout_str();
    // A warning, not a failure: everything works.
    assert_eq!(run.status, 0, "{text}");
    assert!(
        text.contains(&format!(
            "warn  key file   {key} can be read by every user (mode 0644)"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("fix: chmod 600 {key}")), "{text}");
    assert!(
        text.contains(&format!("ok    .sops.yaml rule for any file: this machine can decrypt its files (group 1 via age {r})")),
        "{text}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(env
        .enseal(&["doctor"])
        .stdout_str()
        .contains("can be read by its group (mode 0640)"));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(!env.enseal(&["doctor"]).stdout_str().contains("key file"));
}

#[test]
fn doctor_checks_the_git_setup() {
    let (env, r) = TestEnv::with_age_key();
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: secrets/.*\n    age: {r}\n"),
    );
    env.git(&["init", "-q"]).ok();
    let text = env.enseal(&["doctor"]).stdout_str();
    assert!(
        text.contains("warn  git        not set up in this repository: diff driver, merge driver, pre-commit hook"),
        "{text}"
    );
    assert!(text.contains("fix: enseal git setup"), "{text}");
    env.enseal(&["git", "setup"]).ok();
    let text = env.enseal(&["doctor"]).stdout_str();
    assert!(
        text.contains(
            "ok    git        diff and merge drivers and the pre-commit hook are installed"
        ),
        "{text}"
    );
}

/// Every command name, from the clap definitions.
fn commands() -> BTreeSet<String> {
    enseal::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

#[test]
fn completions_name_every_command() {
    let env = TestEnv::new();
    let names = commands();
    assert!(names.len() >= 25 && names.contains("doctor") && names.contains("exec-env"));
    for shell in ["bash", "zsh", "fish"] {
        let run = env.enseal(&["completions", shell]);
        assert_eq!(run.status, 0, "{shell}: {}", run.stderr);
        let text = run.stdout_str();
        for name in &names {
            assert!(text.contains(name.as_str()), "{shell}: no {name}");
        }
    }
    // bash can load it.
    let script = env.enseal(&["completions", "bash"]).stdout_str();
    env.write("enseal.bash", &script);
    let check = std::process::Command::new("bash")
        .args(["-c", "source ./enseal.bash && complete -p enseal"])
        .current_dir(env.work())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("enseal"));
    assert_eq!(env.enseal(&["completions", "tcsh"]).status, 2);
}

#[test]
fn man_pages_cover_every_command() {
    let env = TestEnv::new();
    let run = env.enseal(&["man"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = run.stdout_str();
    assert!(
        page.starts_with(".ie") || page.contains(".TH enseal 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for name in commands() {
        // roff spells a hyphen `\-`.
        let roff = name.replace('-', "\\-");
        assert!(page.contains(&roff), "the page does not name {name}");
    }
    env.enseal(&["man", "--dir", "man1"]).ok();
    let mut written: Vec<String> = std::fs::read_dir(env.work().join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = commands()
        .into_iter()
        .filter(|n| n != "help")
        .map(|n| format!("enseal-{n}.1"))
        .chain(["enseal.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    let encrypt = std::fs::read_to_string(env.work().join("man1/enseal-encrypt.1")).unwrap();
    assert!(
        encrypt.contains(".TH enseal-encrypt 1") && encrypt.contains("\\-\\-age"),
        "{encrypt}"
    );
}
