//! The seal: enseal's check on what the sops MAC leaves out.
//!
//! The MAC covers the values only. Key names over clear values, list lengths, value
//! types, clear comments, the layout of a file that keeps its author's, and the
//! metadata (recipients, selectors, version) are outside it: sops accepts a file
//! whose clear key `port` became `porT`. enseal files carry `enseal_seal`, an
//! `ENC[...]` under the data key holding a SHA-256 of the whole file with two kinds
//! of bytes masked:
//!
//! - the inside of every `ENC[...]` token (values, comments, the MAC, the seal
//!   itself): each is authenticated by AES-GCM when it is decrypted, and masking it
//!   keeps the seal unchanged when only values change, so `set` still changes three
//!   lines (the value, `lastmodified`, `mac`);
//! - the `lastmodified` time, which is the MAC's additional data.
//!
//! A token keeps its type in the mask, so `type:int` to `type:str` breaks the seal.
//! sops ignores the field (and drops it when it rewrites a file); files without it
//! are read as sops files. `mac_only_encrypted` files get no seal: their clear parts
//! are meant to be edited without the key.

use std::sync::LazyLock;

use regex::bytes::Regex;
use sha2::{Digest, Sha256};

use super::value::{Plain, ValueError};
use super::Cipher;
use crate::document::Scalar;

/// The additional data the seal is encrypted with (no key path can collide: key
/// paths end with `:`).
const AAD: &str = "enseal_seal";

/// Stands in for the seal while the file is first laid out; masks like a real one.
pub const PLACEHOLDER: &str = "ENC[AES256_GCM,data:,iv:,tag:,type:str]";

/// Domain separation for the digest (a new scheme gets a new tag).
const DOMAIN: &[u8] = b"enseal-seal-v1\0";

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:([a-z]*)\]",
    )
    .expect("static regex")
});

/// Why a seal does not vouch for a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The seal does not decrypt under the data key.
    #[error("cannot decrypt the enseal seal: {0}")]
    Undecryptable(ValueError),
    /// The seal decrypts but the file's frame differs.
    #[error("seal mismatch: key names, structure, clear values' types, comments, layout or metadata changed outside enseal/sops (the file was tampered with or edited by hand)")]
    Mismatch,
    /// The sealed spellings record does not decrypt.
    #[error("cannot decrypt the enseal_spelling record (the file was tampered with)")]
    Spellings,
    /// Writing the seal changed what it covers (a bug: reported, never written).
    #[error("internal error: the seal does not cover the file it was written into")]
    Unstable,
}

/// Whether `s` has the shape of an `ENC[...]` token as the mask reads it.
pub fn is_token(s: &str) -> bool {
    TOKEN
        .find(s.as_bytes())
        .is_some_and(|m| m.start() == 0 && m.end() == s.len())
}

/// The digest of a whole encrypted file, `ENC[...]` insides and `last_modified`
/// masked.
pub fn frame_digest(file: &[u8], last_modified: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    let mut at = 0;
    for caps in TOKEN.captures_iter(file) {
        let whole = caps.get(0).expect("group 0");
        mask_time(&mut h, &file[at..whole.start()], last_modified.as_bytes());
        h.update(b"ENC[");
        h.update(&caps[1]);
        h.update(b"]");
        at = whole.end();
    }
    mask_time(&mut h, &file[at..], last_modified.as_bytes());
    h.finalize().into()
}

/// Feeds `bytes` with every occurrence of `time` replaced by a marker.
fn mask_time(h: &mut Sha256, bytes: &[u8], time: &[u8]) {
    if time.is_empty() {
        h.update(bytes);
        return;
    }
    let mut at = 0;
    for found in memchr::memmem::find_iter(bytes, time) {
        if found < at {
            continue;
        }
        h.update(&bytes[at..found]);
        h.update(b"\0lastmodified\0");
        at = found + time.len();
    }
    h.update(&bytes[at..]);
}

/// Encrypts a frame digest for the metadata.
pub fn seal(cipher: &Cipher, digest: &[u8; 32]) -> String {
    cipher.encrypt(hex(digest).as_bytes(), AAD, "str", None)
}

/// Checks a stored seal against the digest of the file it came in.
pub fn verify(cipher: &Cipher, sealed: &str, digest: &[u8; 32]) -> Result<(), SealError> {
    match cipher.decrypt(sealed, AAD, None) {
        Ok(Plain::Scalar(Scalar::Str(s))) if s == hex(digest) => Ok(()),
        Ok(_) => Err(SealError::Mismatch),
        Err(e) => Err(SealError::Undecryptable(e)),
    }
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::DataKey;

    const LM: &str = "2026-11-30T10:00:00Z";

    fn file(value_token: &str, lm: &str) -> String {
        format!("port: 5432\npassword: {value_token}\nsops:\n    lastmodified: \"{lm}\"\n    mac: {PLACEHOLDER}\n")
    }

    #[test]
    fn values_and_time_are_masked_everything_else_counts() {
        let c = Cipher::new(&DataKey::generate());
        let a = c.encrypt(b"one", "password:", "str", None);
        let b = c.encrypt(b"two", "password:", "str", None);
        let d = frame_digest(file(&a, LM).as_bytes(), LM);
        assert_eq!(
            d,
            frame_digest(
                file(&b, "2027-01-01T00:00:00Z").as_bytes(),
                "2027-01-01T00:00:00Z"
            )
        );
        let typed = c.encrypt(b"1", "password:", "int", None);
        assert_ne!(d, frame_digest(file(&typed, LM).as_bytes(), LM));
        let renamed = file(&a, LM).replace("port", "porT");
        assert_ne!(d, frame_digest(renamed.as_bytes(), LM));
        // A token broken into text is not masked.
        let broken = file(&a, LM).replacen("ENC[AES256_GCM,data:", "ENC[AES256_GCM,dat:", 1);
        assert_ne!(d, frame_digest(broken.as_bytes(), LM));
    }

    #[test]
    fn a_seal_opens_with_its_key_and_digest_only() {
        let c = Cipher::new(&DataKey::generate());
        let d = frame_digest(b"x", LM);
        let s = seal(&c, &d);
        assert!(is_token(&s) && is_token(PLACEHOLDER));
        assert!(!is_token(&format!("{s} ")));
        assert_eq!(verify(&c, &s, &d), Ok(()));
        assert_eq!(
            verify(&c, &s, &frame_digest(b"y", LM)),
            Err(SealError::Mismatch)
        );
        let other = Cipher::new(&DataKey::generate());
        assert!(matches!(
            verify(&other, &s, &d),
            Err(SealError::Undecryptable(_))
        ));
        // The MAC's additional data is not the seal's: a MAC cannot pass for a seal.
        let mac = c.encrypt(hex(&d).as_bytes(), LM, "str", None);
        assert!(verify(&c, &mac, &d).is_err());
    }
}
