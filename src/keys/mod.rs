//! Master keys: what wraps the per-file data key (sops-format §6.2, §7).
//!
//! Each key type is a plain data struct holding exactly the fields sops writes
//! in the metadata block, plus an implementation of [`MasterKey`] for the types
//! enseal can use. Key types enseal cannot use yet are still read and written
//! back unchanged, so a file keeps every recipient it had.

pub mod age;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "gcp")]
pub mod gcp;
#[cfg(feature = "http")]
pub mod http;
pub mod local;
pub mod pgp;
#[cfg(feature = "vault")]
pub mod vault;

use std::fmt;

use zeroize::Zeroizing;

pub use self::age::AgeKey;
pub use self::pgp::PgpKey;

/// The kinds of master key, in the order sops loads them inside a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// AWS KMS.
    Kms,
    /// Google Cloud KMS.
    GcpKms,
    /// HuaweiCloud KMS (written by sops dev builds).
    Hckms,
    /// Azure Key Vault.
    AzureKv,
    /// HashiCorp Vault transit.
    HcVault,
    /// OpenPGP through gpg.
    Pgp,
    /// age (X25519 and SSH recipients).
    Age,
}

impl KeyKind {
    /// Whether keys of this kind are opened by a network service (a KMS, Vault), as
    /// opposed to a local identity (age, PGP).
    pub fn is_network(self) -> bool {
        !matches!(self, KeyKind::Age | KeyKind::Pgp)
    }

    /// The name used in `--decryption-order` and messages.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Kms => "kms",
            KeyKind::GcpKms => "gcp_kms",
            KeyKind::Hckms => "hckms",
            KeyKind::AzureKv => "azure_kv",
            KeyKind::HcVault => "hc_vault",
            KeyKind::Pgp => "pgp",
            KeyKind::Age => "age",
        }
    }

    /// Parses a `--decryption-order` item.
    pub fn from_name(name: &str) -> Option<KeyKind> {
        Some(match name.trim() {
            "kms" | "aws_kms" => KeyKind::Kms,
            "gcp_kms" | "gcpkms" => KeyKind::GcpKms,
            "hckms" => KeyKind::Hckms,
            "azure_kv" | "azkv" => KeyKind::AzureKv,
            "hc_vault" | "hcvault" | "vault" => KeyKind::HcVault,
            "pgp" => KeyKind::Pgp,
            "age" => KeyKind::Age,
            _ => return None,
        })
    }
}

/// sops' default decryption order: age first, then PGP, then the rest in load order.
pub const DEFAULT_DECRYPTION_ORDER: [KeyKind; 7] = [
    KeyKind::Age,
    KeyKind::Pgp,
    KeyKind::Kms,
    KeyKind::GcpKms,
    KeyKind::Hckms,
    KeyKind::AzureKv,
    KeyKind::HcVault,
];

/// A key of a file or rule that this build of enseal cannot wrap or unwrap with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusableKey {
    /// Its type.
    pub kind: KeyKind,
    /// Its type and identifier, as reports show it (`hc_vault https://…/keys/app`).
    pub id: String,
}

impl UnusableKey {
    /// Why it cannot be used.
    pub fn reason(&self) -> &'static str {
        match self.kind {
            KeyKind::Hckms => "enseal cannot use HuaweiCloud KMS keys yet (sops can)",
            _ => "this enseal was built without that key service (--no-default-features, as scripts/demo.sh builds it)",
        }
    }

    /// What to do about it.
    pub fn fix(&self) -> &'static str {
        match self.kind {
            KeyKind::Hckms => "use sops for files that need this key",
            _ => "install the full build: cargo install --path .",
        }
    }

    /// Reason and fix in one sentence, for errors.
    pub fn explain(&self) -> String {
        format!("{}; {}", self.reason(), self.fix())
    }
}

/// Why a master key could not wrap or unwrap the data key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No identity that matches this key was found.
    #[error("no matching identity: {0}")]
    NoIdentity(String),
    /// The key source is recognised but this build or machine cannot use it.
    #[error("{0}")]
    Unsupported(String),
    /// The wrapped key is malformed.
    #[error("malformed wrapped key: {0}")]
    Malformed(String),
    /// Wrapping or unwrapping failed.
    #[error("{0}")]
    Failed(String),
    /// An identity or key file could not be read or parsed.
    #[error("{path}: {reason}")]
    IdentityFile {
        /// The file (or variable) that failed.
        path: String,
        /// Why, without its contents.
        reason: String,
    },
}

/// Where key sources look for identities and tools. Built once per run from the
/// environment, so tests can point it elsewhere.
#[derive(Default)]
pub struct KeyEnv {
    /// Environment variables relevant to key lookup (`SOPS_AGE_KEY`, `GNUPGHOME`, `HOME`, ...).
    pub vars: std::collections::HashMap<String, String>,
    /// Lazily loaded age identities, shared by every age key of the file.
    pub(crate) age_identities: std::sync::OnceLock<age::Identities>,
}

impl KeyEnv {
    /// Captures the current process environment.
    pub fn from_process() -> KeyEnv {
        KeyEnv {
            vars: std::env::vars().collect(),
            age_identities: Default::default(),
        }
    }

    /// A variable, treating an empty value as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `ENSEAL_<name>` if set, else `SOPS_<name>`.
    pub fn sops_var(&self, name: &str) -> Option<&str> {
        self.var(&format!("ENSEAL_{name}"))
            .or_else(|| self.var(&format!("SOPS_{name}")))
    }
}

impl KeyEnv {
    /// An environment holding only `vars` (tests of the network key sources).
    #[cfg(all(test, any(feature = "aws", feature = "vault")))]
    pub(crate) fn with_vars(vars: &[(&str, &str)]) -> KeyEnv {
        KeyEnv {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    /// A copy of the variables for another thread (identities are loaded again there;
    /// network key sources need none).
    pub fn for_thread(&self) -> KeyEnv {
        KeyEnv {
            vars: self.vars.clone(),
            age_identities: Default::default(),
        }
    }
}

impl fmt::Debug for KeyEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The variables may hold inline private keys (SOPS_AGE_KEY): never print them.
        f.write_str("KeyEnv { .. }")
    }
}

/// A key that can wrap and unwrap a data key (or a Shamir share of one).
pub trait MasterKey {
    /// Which kind of key this is.
    fn kind(&self) -> KeyKind;
    /// A short identifier for reports: the recipient, fingerprint, ARN or URL.
    fn id(&self) -> String;
    /// Wraps `secret` for this key, storing the result (and `created_at` where the type has one).
    fn wrap(&mut self, secret: &[u8], env: &KeyEnv) -> Result<(), KeyError>;
    /// Recovers the wrapped secret.
    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError>;
    /// Whether the key holds a wrapped secret already.
    fn is_wrapped(&self) -> bool;
}

/// AWS KMS key entry (used by a later key source; kept so files round-trip).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KmsKey {
    /// Key ARN or alias ARN.
    pub arn: String,
    /// Role to assume, if any.
    pub role: String,
    /// Encryption context (sorted by key when written).
    pub context: Vec<(String, String)>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Base64 ciphertext blob.
    pub enc: String,
    /// AWS profile name ("" when unset; always written).
    pub aws_profile: String,
}

/// GCP KMS key entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcpKmsKey {
    /// `projects/P/locations/L/keyRings/R/cryptoKeys/K`.
    pub resource_id: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Base64 ciphertext.
    pub enc: String,
}

/// HuaweiCloud KMS key entry (sops dev builds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HckmsKey {
    /// `region:key-uuid`.
    pub key_id: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Ciphertext.
    pub enc: String,
}

/// Azure Key Vault key entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AzureKvKey {
    /// `https://<vault>.vault.azure.net`.
    pub vault_url: String,
    /// Key name.
    pub name: String,
    /// Key version.
    pub version: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Base64url ciphertext.
    pub enc: String,
}

/// HashiCorp Vault transit key entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultKey {
    /// `https://host:8200`.
    pub vault_address: String,
    /// Transit mount path.
    pub engine_path: String,
    /// Key name.
    pub key_name: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// `vault:v1:...` ciphertext.
    pub enc: String,
}

impl VaultKey {
    /// `address/v1/engine/keys/name`, the form `--hc-vault-transit` takes.
    pub fn uri(&self) -> String {
        format!(
            "{}/v1/{}/keys/{}",
            self.vault_address, self.engine_path, self.key_name
        )
    }
}

/// One key group: every key in it wraps the same secret (the data key, or the group's share).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyGroup {
    /// AWS KMS keys.
    pub kms: Vec<KmsKey>,
    /// GCP KMS keys.
    pub gcp_kms: Vec<GcpKmsKey>,
    /// HuaweiCloud KMS keys.
    pub hckms: Vec<HckmsKey>,
    /// Azure Key Vault keys.
    pub azure_kv: Vec<AzureKvKey>,
    /// Vault transit keys.
    pub hc_vault: Vec<VaultKey>,
    /// age recipients.
    pub age: Vec<AgeKey>,
    /// PGP keys.
    pub pgp: Vec<PgpKey>,
}

impl KeyGroup {
    /// True when the group holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.kms.is_empty()
            && self.gcp_kms.is_empty()
            && self.hckms.is_empty()
            && self.azure_kv.is_empty()
            && self.hc_vault.is_empty()
            && self.age.is_empty()
            && self.pgp.is_empty()
    }

    /// The keys enseal can use, for wrapping (every one) or unwrapping (in `order`).
    pub fn usable_keys_mut(&mut self) -> Vec<&mut dyn MasterKey> {
        let mut out: Vec<&mut dyn MasterKey> = Vec::new();
        #[cfg(feature = "aws")]
        out.extend(self.kms.iter_mut().map(|k| k as &mut dyn MasterKey));
        #[cfg(feature = "gcp")]
        out.extend(self.gcp_kms.iter_mut().map(|k| k as &mut dyn MasterKey));
        #[cfg(feature = "azure")]
        out.extend(self.azure_kv.iter_mut().map(|k| k as &mut dyn MasterKey));
        #[cfg(feature = "vault")]
        out.extend(self.hc_vault.iter_mut().map(|k| k as &mut dyn MasterKey));
        out.extend(self.pgp.iter_mut().map(|k| k as &mut dyn MasterKey));
        out.extend(self.age.iter_mut().map(|k| k as &mut dyn MasterKey));
        out
    }

    /// The usable keys sorted by `order` (kinds not listed come last, in load order).
    pub fn keys_in_order(&self, order: &[KeyKind]) -> Vec<&dyn MasterKey> {
        let mut keys: Vec<&dyn MasterKey> = Vec::new();
        #[cfg(feature = "aws")]
        keys.extend(self.kms.iter().map(|k| k as &dyn MasterKey));
        #[cfg(feature = "gcp")]
        keys.extend(self.gcp_kms.iter().map(|k| k as &dyn MasterKey));
        #[cfg(feature = "azure")]
        keys.extend(self.azure_kv.iter().map(|k| k as &dyn MasterKey));
        #[cfg(feature = "vault")]
        keys.extend(self.hc_vault.iter().map(|k| k as &dyn MasterKey));
        keys.extend(self.pgp.iter().map(|k| k as &dyn MasterKey));
        keys.extend(self.age.iter().map(|k| k as &dyn MasterKey));
        let rank = |k: KeyKind| order.iter().position(|o| *o == k).unwrap_or(order.len());
        keys.sort_by_key(|k| rank(k.kind()));
        keys
    }

    /// Keys of a type this build cannot use that hold no wrapped key yet.
    pub fn new_keys_enseal_cannot_wrap(&self) -> Vec<UnusableKey> {
        self.unusable_keys_where(true)
    }

    /// The keys this build cannot use (HuaweiCloud KMS, and the key services of features
    /// left out of the build), for reports.
    pub fn unusable_keys(&self) -> Vec<UnusableKey> {
        self.unusable_keys_where(false)
    }

    fn unusable_keys_where(&self, only_unwrapped: bool) -> Vec<UnusableKey> {
        let mut out = Vec::new();
        let mut add = |kind: KeyKind, id: String, enc: &str| {
            if !only_unwrapped || enc.is_empty() {
                out.push(UnusableKey { kind, id });
            }
        };
        #[cfg(not(feature = "aws"))]
        for k in &self.kms {
            add(KeyKind::Kms, format!("kms {}", k.arn), &k.enc);
        }
        #[cfg(not(feature = "gcp"))]
        for k in &self.gcp_kms {
            add(
                KeyKind::GcpKms,
                format!("gcp_kms {}", k.resource_id),
                &k.enc,
            );
        }
        for k in &self.hckms {
            add(KeyKind::Hckms, format!("hckms {}", k.key_id), &k.enc);
        }
        #[cfg(not(feature = "azure"))]
        for k in &self.azure_kv {
            let id = format!("azure_kv {}/keys/{}", k.vault_url, k.name);
            add(KeyKind::AzureKv, id, &k.enc);
        }
        #[cfg(not(feature = "vault"))]
        for k in &self.hc_vault {
            add(KeyKind::HcVault, format!("hc_vault {}", k.uri()), &k.enc);
        }
        out
    }
}
