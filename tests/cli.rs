//! The single integration-test binary (one link on a 2-core CI). Every module runs the
//! real `enseal` binary in a hermetic [`common::TestEnv`]; most also run the real
//! `sops` 3.11 beside it (scripts/setup-test-deps.sh installs it, scripts/test.sh points
//! `ENSEAL_SOPS` at it).

mod common;

#[path = "cli/action.rs"]
mod action;
#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/cli.rs"]
mod cli;
#[path = "cli/cloud.rs"]
mod cloud;
#[path = "cli/doctor.rs"]
mod doctor;
#[path = "cli/edit.rs"]
mod edit;
#[path = "cli/faults.rs"]
mod faults;
#[path = "cli/fixtures.rs"]
mod fixtures;
#[path = "cli/git.rs"]
mod git;
#[path = "cli/inject.rs"]
mod inject;
#[path = "cli/interop.rs"]
mod interop;
#[path = "cli/kms.rs"]
mod kms;
#[path = "cli/layout.rs"]
mod layout;
#[path = "cli/leaks.rs"]
mod leaks;
#[path = "cli/lifecycle.rs"]
mod lifecycle;
#[path = "cli/mutations.rs"]
mod mutations;
#[path = "cli/readme.rs"]
mod readme;
#[path = "cli/rotate.rs"]
mod rotate;
#[path = "cli/scan.rs"]
mod scan;
#[path = "cli/set.rs"]
mod set;
#[path = "cli/tamper.rs"]
mod tamper;
#[path = "cli/toml.rs"]
mod toml;
#[path = "cli/vault.rs"]
mod vault;

/// Every file under tests/ is part of this binary (jj's guard against forgotten tests).
#[test]
fn no_forgotten_test_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(root.join("cli.rs")).unwrap();
    for entry in std::fs::read_dir(root.join("cli")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            this.contains(&format!("#[path = \"cli/{name}\"]")),
            "tests/cli/{name} is not declared in tests/cli.rs"
        );
    }
}
