//! Secrets over time, with git as the database: a rotation is a commit, a secret's
//! age is the time since the commit that last changed it, and the history is the
//! audit trail.
//!
//! - [`policy`]: rotation policies, access rules and the audit log in `.enseal.toml`.
//! - [`duration`]: `90d` and friends.
//! - [`generate`]: new values (`password:32`, `hex:16`, `age-identity`…).
//! - [`history`]: a file's versions from git and what changed in each.
//! - [`status`]: ages, due and expired values and data keys.
//! - [`access`]: who can decrypt what, from the metadata alone.
//! - [`commit`]: committing what enseal changed, and nothing else.
//! - [`audit`]: the opt-in audit log.
//! - [`revoke`]: taking a key out of `.sops.yaml`, layout kept.

pub mod access;
pub mod audit;
pub mod commit;
pub mod duration;
pub mod generate;
pub mod history;
pub mod policy;
pub mod revoke;
pub mod status;

pub use revoke::revoke_in_config;

/// Why a lifecycle command refused or failed. Names files and key paths, never values.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// Files to be committed have changes of the user's.
    #[error("{} ha{} changes of yours (staged or not): commit or stash them first, so that enseal's commit holds only its own change", .0.join(", "), if .0.len() == 1 { "s" } else { "ve" })]
    Dirty(Vec<String>),
    /// `--verify` failed: the file was put back.
    #[error("{file}: the check for the new {key} failed ({status}); the file is back as it was, byte for byte, and nothing was committed")]
    VerifyFailed {
        /// The file.
        file: String,
        /// The key path.
        key: String,
        /// How the check ended.
        status: String,
    },
    /// No generator given and no policy has one.
    #[error("{file}: {key}: no --generate given and no [[policy]] in .enseal.toml has a generator for it")]
    NoGenerator {
        /// The file.
        file: String,
        /// The key path.
        key: String,
    },
    /// `status --check` found overdue values.
    #[error("{0} value{s} or data key{s} overdue (listed above)", s = if *.0 == 1 { "" } else { "s" })]
    Overdue(usize),
    /// `access --check` found violations.
    #[error("{0} access rule violation{s} (listed above)", s = if *.0 == 1 { "" } else { "s" })]
    Violations(usize),
    /// `revoke` found the recipient nowhere.
    #[error("{0} is in no encrypted file tracked here and not in .sops.yaml: nothing to revoke")]
    NotFound(String),
    /// A file outside the repository.
    #[error("{0}: not inside this git repository")]
    Outside(String),
    /// `.enseal.toml` is invalid.
    #[error("{path}: {source}")]
    Settings {
        /// The file.
        path: String,
        /// Why.
        source: policy::PolicyError,
    },
    /// A bad `--now`.
    #[error("--now {0:?}: use RFC 3339 (2026-06-01T00:00:00Z) or a day (2026-06-01)")]
    Now(String),
    /// A bad generator spec.
    #[error(transparent)]
    Generator(#[from] generate::GeneratorError),
    /// A key path that is not in the file.
    #[error("{file}: no value at key path {key}")]
    NoSuchKey {
        /// The file.
        file: String,
        /// The key path.
        key: String,
    },
    /// `.sops.yaml` could not be changed.
    #[error("{path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}
