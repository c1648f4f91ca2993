//! PGP master keys through the `gpg` binary. Placeholder until the key source lands.

use zeroize::Zeroizing;

use super::{KeyEnv, KeyError, KeyKind, MasterKey};

/// A PGP entry: fingerprint, creation time and the armored message wrapping the data key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PgpKey {
    /// Uppercase hex fingerprint without spaces.
    pub fingerprint: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// ASCII-armored OpenPGP message (trailing newline trimmed).
    pub enc: String,
}

impl MasterKey for PgpKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Pgp
    }
    fn id(&self) -> String {
        self.fingerprint.clone()
    }
    fn wrap(&mut self, _secret: &[u8], _env: &KeyEnv) -> Result<(), KeyError> {
        Err(KeyError::Unsupported("pgp is not implemented yet".into()))
    }
    fn unwrap(&self, _env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        Err(KeyError::Unsupported("pgp is not implemented yet".into()))
    }
}
