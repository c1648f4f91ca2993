//! The `enseal` binary: argument parsing and exit codes only.
fn main() {}
