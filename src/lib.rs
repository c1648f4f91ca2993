//! enseal: per-value encrypted secrets files, byte-compatible with sops v3.
//!
//! The library holds everything; `main.rs` only parses arguments and maps errors to
//! exit codes. Library modules return data and typed errors and never print:
//!
//! - [`document`]: the format-neutral tree (ordered maps, lists, comments, typed scalars).
//! - [`format`]: one store per file format (YAML, JSON, dotenv, INI, binary).
//! - [`cipher`]: the `ENC[...]` value cipher, the MAC and the tree walk that applies them.
//! - [`metadata`]: the `sops` block.
//! - [`keys`]: master keys that wrap the data key (age, PGP, ...).
//! - [`groups`]: key groups and Shamir splitting.
//! - [`config`]: `.sops.yaml` creation rules.
//! - [`file`]: whole-file encrypt/decrypt pipelines.
//! - [`edit`]: changing an encrypted file: `edit` in the user's editor, `set`, `unset`.
//! - [`git`]: the diff and merge drivers, the pre-commit checks, `enseal git setup`.
//! - [`scan`]: the secret scanner (rules, matcher, reports).
//! - [`inject`]: secrets into other programs: templates, environment variables, files.
//! - [`rotate`]: a new data key (`rotate`) or new recipients (`updatekeys`).
//! - [`lifecycle`]: rotation as commits, secret ages from git, policies, revocation, access, audit.
//! - [`fs`]: atomic writes.
//! - [`cli`], [`commands`], [`error`]: the command line, one module per subcommand, exit codes.
#![deny(missing_docs)]

pub mod cipher;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod document;
pub mod edit;
pub mod error;
pub mod file;
pub mod format;
pub mod fs;
pub mod git;
pub mod groups;
pub mod inject;
pub mod keys;
pub mod lifecycle;
pub mod metadata;
pub mod rotate;
pub mod scan;
pub mod summary;
