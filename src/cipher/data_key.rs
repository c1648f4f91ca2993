//! The per-file data key.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The 32-byte AES-256 key that encrypts every value of one file. Zeroized on drop,
/// never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; 32]);

impl DataKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> DataKey {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        DataKey(key)
    }

    /// Wraps existing key bytes; `None` unless exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<DataKey> {
        <[u8; 32]>::try_from(bytes).ok().map(DataKey)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_redacted() {
        let a = DataKey::generate();
        let b = DataKey::generate();
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_eq!(format!("{a:?}"), "DataKey(<redacted>)");
        assert!(DataKey::from_slice(&[0; 31]).is_none());
    }
}
