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

/// Where every token starts.
const TOKEN_START: &[u8] = b"ENC[AES256_GCM,";

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
    token_at(s.as_bytes(), 0).is_some_and(|(end, _)| end == s.len())
}

/// The token starting at `at`, as (end, type): `ENC[AES256_GCM,data:B64,iv:B64,tag:B64,
/// type:[a-z]*]` with any number of base64 characters in each field.
fn token_at(bytes: &[u8], at: usize) -> Option<(usize, std::ops::Range<usize>)> {
    let b64 = |c: &u8| BASE64[*c as usize];
    let mut i = expect(bytes, at, TOKEN_START)?;
    i = skip(bytes, expect(bytes, i, b"data:")?, b64);
    i = skip(bytes, expect(bytes, i, b",iv:")?, b64);
    i = skip(bytes, expect(bytes, i, b",tag:")?, b64);
    let kind = expect(bytes, i, b",type:")?;
    let end = skip(bytes, kind, u8::is_ascii_lowercase);
    (bytes.get(end) == Some(&b']')).then_some((end + 1, kind..end))
}

/// The standard base64 alphabet with padding, as a table (the scan is the hot part).
static BASE64: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
        c += 1;
    }
    t
};

/// The index after `word` if it is at `at`.
fn expect(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    bytes[at..].starts_with(word).then_some(at + word.len())
}

/// The index of the first byte from `at` on that is not `allowed`.
fn skip(bytes: &[u8], at: usize, allowed: impl Fn(&u8) -> bool) -> usize {
    bytes[at..]
        .iter()
        .position(|c| !allowed(c))
        .map_or(bytes.len(), |n| at + n)
}

/// The digest of a whole encrypted file, `ENC[...]` insides and `last_modified`
/// masked.
pub fn frame_digest(file: &[u8], last_modified: &str) -> [u8; 32] {
    // Masked into one buffer, then hashed in large pieces: hashing the short gaps
    // between tokens one by one costs several times the hash itself.
    let mut masked = Vec::with_capacity(file.len() / 2);
    let mut at = 0;
    for start in memchr::memmem::find_iter(file, TOKEN_START) {
        if start < at {
            continue;
        }
        let Some((end, kind)) = token_at(file, start) else {
            continue;
        };
        masked.extend_from_slice(&file[at..start]);
        masked.extend_from_slice(b"ENC[");
        masked.extend_from_slice(&file[kind]);
        masked.push(b']');
        at = end;
    }
    masked.extend_from_slice(&file[at..]);
    // The time has `-` and `:`, so it never spans a masked token.
    let mut h = Sha256::new();
    h.update(DOMAIN);
    let mut at = 0;
    if !last_modified.is_empty() {
        for found in memchr::memmem::find_iter(&masked, last_modified.as_bytes()) {
            h.update(&masked[at..found]);
            h.update(b"\0lastmodified\0");
            at = found + last_modified.len();
        }
    }
    h.update(&masked[at..]);
    h.finalize().into()
}

/// Encrypts a frame digest for the metadata.
pub fn seal(cipher: &Cipher, digest: &[u8; 32]) -> String {
    cipher.encrypt(hex(digest).as_bytes(), AAD, "str", None)
}

/// Checks a stored seal against the digest of the file it came in.
pub fn verify(cipher: &Cipher, sealed: &str, digest: &[u8; 32]) -> Result<(), SealError> {
    match cipher.decrypt(sealed, AAD, None) {
        Ok(Plain::Scalar(Scalar::Str(ref s))) if *s == hex(digest) => Ok(()),
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
