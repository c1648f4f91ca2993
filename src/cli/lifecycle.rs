//! Arguments of the lifecycle commands: `rotate-value`, `status`, `revoke`,
//! `history`, `access`.

use std::path::PathBuf;

use clap::Args;

/// `rotate-value` options.
#[derive(Debug, Args)]
pub struct RotateValueArgs {
    /// The encrypted file.
    pub file: PathBuf,
    /// The key path: `db.password`, `hosts.0`, or `["db"]["pass.word"]`.
    pub key: String,
    /// How to make the new value: password:LEN[:luds], hex:N, base64:N, alnum:N, uuid,
    /// age-identity, ed25519 (default: the policy's generator for this key).
    #[arg(long, value_name = "SPEC")]
    pub generate: Option<String>,
    /// Run this (with `sh -c`) after writing the new value; keep the change only if it
    /// exits 0, else put the file back byte for byte. It gets ENSEAL_NEW_VALUE,
    /// ENSEAL_OLD_VALUE, ENSEAL_FILE and ENSEAL_KEY_PATH.
    #[arg(long, value_name = "CMD")]
    pub verify: Option<String>,
    /// Commit the change (refused when the file has changes of yours).
    #[arg(long)]
    pub commit: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `status` options.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Files or directories (default: the whole repository); the encrypted files git
    /// tracks there are read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Exit 1 when a value or data key is due or expired (for CI).
    #[arg(long)]
    pub check: bool,
    /// Output: text or json.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
    /// Only the rows that are due or expired.
    #[arg(long)]
    pub overdue: bool,
    /// Ages as of this time (RFC 3339 or YYYY-MM-DD) instead of now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Compare ciphertexts instead of decrypting old versions (no key needed; ages
    /// across data-key rotations are then approximate).
    #[arg(long)]
    pub no_decrypt: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `revoke` options.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// age recipients to revoke.
    #[arg(long, value_name = "RECIPIENT", value_delimiter = ',')]
    pub age: Vec<String>,
    /// PGP fingerprints to revoke.
    #[arg(long, value_name = "FINGERPRINT", value_delimiter = ',')]
    pub pgp: Vec<String>,
    /// AWS KMS key ARNs to revoke.
    #[arg(long, value_name = "ARN", value_delimiter = ',')]
    pub kms: Vec<String>,
    /// GCP KMS resource IDs to revoke.
    #[arg(long, value_name = "RESOURCE_ID", value_delimiter = ',')]
    pub gcp_kms: Vec<String>,
    /// Azure Key Vault key URLs to revoke.
    #[arg(long, value_name = "URL", value_delimiter = ',')]
    pub azure_kv: Vec<String>,
    /// Vault transit key URIs to revoke.
    #[arg(long, value_name = "URI", value_delimiter = ',')]
    pub hc_vault_transit: Vec<String>,
    /// Change the files and .sops.yaml but do not commit.
    #[arg(long)]
    pub no_commit: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `history` options.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The encrypted file.
    pub file: PathBuf,
    /// Only this key path (`db.password` or `["db"]["password"]`).
    pub key: Option<String>,
    /// Show the values of old revisions too (decrypted with your key).
    #[arg(long)]
    pub show_values: bool,
    /// Output: text or json.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
    /// Compare ciphertexts instead of decrypting (no key needed).
    #[arg(long, conflicts_with = "show_values")]
    pub no_decrypt: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `access` options.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Files or directories (default: the whole repository).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Check the [[access.rule]]s of .enseal.toml; exit 1 on a violation.
    #[arg(long)]
    pub check: bool,
    /// Output: text or json.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
}
