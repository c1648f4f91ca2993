//! The GitHub Action (`action.yml`, composite): its shape, and its steps run here
//! through `scripts/action.sh` as the runner would run them, with the same variables.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::TestEnv;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scripts/action.sh STEP` in `dir` with `vars`, enseal on PATH, GITHUB_OUTPUT set.
fn step(env: &TestEnv, step: &str, vars: &[(&str, &str)]) -> (Output, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_enseal")).parent().unwrap();
    let outputs = env.work().join("github-output");
    let _ = std::fs::remove_file(&outputs);
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/action.sh"))
        .arg(step)
        .current_dir(env.work())
        .env_clear()
        .env("HOME", env.home())
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", env.work())
        .env("ACTION_PATH", repo());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out, std::fs::read_to_string(&outputs).unwrap_or_default())
}

#[test]
fn the_action_is_a_composite_whose_steps_are_the_script() {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let action: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    for input in [
        "command",
        "args",
        "age-key",
        "working-directory",
        "upload-sarif",
    ] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "input {input}"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs
        .iter()
        .any(|r| r.contains("scripts/action.sh\" install")));
    assert!(runs.iter().any(|r| r.contains("scripts/action.sh\" run")));
    assert!(steps
        .iter()
        .any(|s| s["uses"].as_str() == Some("github/codeql-action/upload-sarif@v3")));
    // The key goes in through the environment, never into a command line.
    assert!(text.contains("SOPS_AGE_KEY: ${{ inputs.age-key }}"));
    assert!(!text.contains("run: enseal"));
}

#[test]
fn the_action_renders_and_runs_with_a_key_from_a_secret() {
    let (env, r) = TestEnv::with_age_key();
    let key = std::fs::read_to_string(env.vars().get("SOPS_AGE_KEY_FILE").unwrap()).unwrap();
    env.write("app.yaml", "db:\n  user: app\n  password: s3cret-pa55\n");
    env.enseal(&["encrypt", "--age", &r, "-i", "app.yaml"]).ok();
    env.write(
        "my app.tmpl",
        "url=postgres://{{ .db.user }}:{{ .db.password }}@db\n",
    );
    // Installed already: nothing is built.
    let (out, _) = step(&env, "install", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("enseal 0.1.0 is installed"));
    let (out, _) = step(
        &env,
        "run",
        &[
            ("INPUT_COMMAND", "render"),
            (
                "INPUT_ARGS",
                "-s app.yaml 'my app.tmpl' -o out.env --mode 0400",
            ),
            ("SOPS_AGE_KEY", &key),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(env.work().join("out.env")).unwrap(),
        "url=postgres://app:s3cret-pa55@db\n"
    );
    // Arguments are split, never evaluated.
    let (out, _) = step(
        &env,
        "run",
        &[
            ("INPUT_COMMAND", "exec-env"),
            (
                "INPUT_ARGS",
                "app.yaml -- sh -c 'test \"$DB_USER\" = app' $(touch pwned)",
            ),
            ("SOPS_AGE_KEY", &key),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!env.work().join("pwned").exists());
    // Without the key the command fails, naming what is missing.
    let (out, _) = step(
        &env,
        "run",
        &[
            ("INPUT_COMMAND", "decrypt"),
            ("INPUT_ARGS", "app.yaml"),
            ("SOPS_AGE_KEY", ""),
        ],
    );
    assert_eq!(out.status.code(), Some(128));
    let (out, _) = step(&env, "run", &[("INPUT_COMMAND", "rm")]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_action_scans_into_sarif_and_reports_findings() {
    let env = TestEnv::new();
    env.write("clean.txt", "nothing to see\n");
    let (out, outputs) = step(
        &env,
        "run",
        &[("INPUT_COMMAND", "scan"), ("INPUT_ARGS", "clean.txt")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(outputs.contains("findings=false"), "{outputs}");
    env.write(
        "leak.env",
        "GITHUB_TOKEN=ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n",
    );
    let (out, outputs) = step(
        &env,
        "run",
        &[("INPUT_COMMAND", "scan"), ("INPUT_ARGS", ".")],
    );
    // The step succeeds so that the upload runs; a later step fails the job.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(outputs.contains("findings=true"), "{outputs}");
    let sarif_path = outputs
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("sarif-file="))
        .filter(|p| !p.is_empty())
        .unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r.to_string().contains("leak.env")));
    assert!(!sarif
        .to_string()
        .contains("ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d"));
    // Without the upload, scan is the plain command with its exit status.
    let (out, _) = step(
        &env,
        "run",
        &[
            ("INPUT_COMMAND", "scan"),
            ("INPUT_ARGS", "."),
            ("INPUT_UPLOAD_SARIF", "false"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}
