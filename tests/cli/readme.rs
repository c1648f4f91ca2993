//! The README's 60-second tour runs as written: its `sh` blocks, in order, in a fresh
//! HOME with nothing but enseal (and git) on PATH, print what the README says they print.

use std::path::Path;
use std::process::Command;

/// The `sh` code blocks of the README section that starts with `heading`.
fn blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme.find(heading).expect("section");
    let rest = &readme[start + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut out = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```sh" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push(block.join("\n"));
        }
    }
    out
}

#[test]
fn the_readme_tour_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let tour = blocks(&readme, "## 60-second tour");
    assert_eq!(tour.len(), 3, "the tour has three blocks");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_enseal")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -euo pipefail\n{}\n", tour.join("\n"));
    let started = std::time::Instant::now();
    let out = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", &home)
        .env("PATH", path)
        .env("EDITOR", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the tour failed:\n{stdout}\n{stderr}");
    eprintln!("tour: {:?}", started.elapsed());
    for expected in [
        "user: ENC[AES256_GCM,data:",
        // --extract prints a string raw, without a line break, as sops does.
        "\ns3cret",
        "secrets/app.yaml",
        "DATABASE_URL=postgres://app:n3w-s3cret@db/app\n",
        "user is app\n",
        "ok    .sops.yaml rule `secrets/.*`: this machine can decrypt its files",
        "ok    git        diff and merge drivers and the pre-commit hook are installed",
    ] {
        assert!(
            stdout.contains(expected),
            "no {expected:?} in:\n{stdout}\n{stderr}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // The file in the repository is encrypted, and holds the new value.
    let file = std::fs::read_to_string(dir.path().join("tour/secrets/app.yaml")).unwrap();
    assert!(!file.contains("s3cret") && file.contains("enseal_seal"));
}
