//! The single integration-test binary: every module runs the real `enseal` binary,
//! and the interop modules run the real `sops` 3.11 beside it.

mod common;

#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/commands.rs"]
mod commands;
#[path = "cli/fixtures.rs"]
mod fixtures;
#[path = "cli/interop.rs"]
mod interop;
#[path = "cli/tamper.rs"]
mod tamper;
