//! age master keys (X25519 and SSH recipients). Placeholder until the key source lands.

use zeroize::Zeroizing;

use super::{KeyEnv, KeyError, KeyKind, MasterKey};

/// An age recipient entry: `recipient` as given, `enc` the armored age file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgeKey {
    /// `age1…` or an SSH public key line.
    pub recipient: String,
    /// ASCII-armored age file wrapping the data key (ends with a newline).
    pub enc: String,
}

/// The age identities found for this run.
pub struct Identities;

impl MasterKey for AgeKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Age
    }
    fn id(&self) -> String {
        self.recipient.clone()
    }
    fn wrap(&mut self, _secret: &[u8], _env: &KeyEnv) -> Result<(), KeyError> {
        Err(KeyError::Unsupported("age is not implemented yet".into()))
    }
    fn unwrap(&self, _env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        Err(KeyError::Unsupported("age is not implemented yet".into()))
    }
}
