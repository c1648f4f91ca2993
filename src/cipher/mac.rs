//! The sops MAC: SHA-512 over the leaf values in document order, stored encrypted
//! under the data key with `lastmodified` as additional data (sops-format §5).

use sha2::{Digest, Sha256, Sha512};

use super::value::{Cipher, Plain, ValueError};
use crate::document::Scalar;

/// Why the stored MAC does not vouch for the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    /// The file's `mac` field is empty.
    #[error("MAC mismatch: the file has no MAC (it may have been edited by hand); use --ignore-mac to decrypt anyway")]
    Missing,
    /// The stored MAC could not be decrypted (tampered, or `lastmodified` changed).
    #[error("cannot decrypt the MAC: {0} (was lastmodified or the mac changed?)")]
    Undecryptable(ValueError),
    /// The MAC decrypted but does not match the values.
    #[error("MAC mismatch: the values do not match the file's MAC (the file was tampered with or edited without enseal/sops)")]
    Mismatch,
    /// `lastmodified` is not an RFC 3339 time.
    #[error("lastmodified is not an RFC 3339 timestamp")]
    BadLastModified,
}

/// Starts a MAC hasher; `mac_only_encrypted` seeds it with SHA-256("sops") so the two
/// modes never produce the same MAC.
pub fn hasher(mac_only_encrypted: bool) -> Sha512 {
    let mut h = Sha512::new();
    if mac_only_encrypted {
        h.update(Sha256::digest(b"sops"));
    }
    h
}

/// The MAC as sops writes it: upper-case hex of the digest.
pub fn finish(hasher: Sha512) -> String {
    let digest = hasher.finalize();
    let mut out = String::with_capacity(128);
    for b in digest {
        out.push(
            char::from_digit((b >> 4) as u32, 16)
                .unwrap()
                .to_ascii_uppercase(),
        );
        out.push(
            char::from_digit((b & 15) as u32, 16)
                .unwrap()
                .to_ascii_uppercase(),
        );
    }
    out
}

/// The additional data of the MAC: `lastmodified` parsed and formatted again as
/// RFC 3339 with seconds precision, the way Go's `time.Format(time.RFC3339)` does
/// (fraction dropped, zero offset as `Z`, other offsets kept).
pub fn mac_aad(last_modified: &str) -> Result<String, MacError> {
    last_modified
        .parse::<jiff::Timestamp>()
        .map_err(|_| MacError::BadLastModified)?;
    // Valid RFC 3339: re-spell it without the fraction.
    let (date_time, offset) = split_offset(last_modified).ok_or(MacError::BadLastModified)?;
    let seconds = match date_time.find('.') {
        Some(dot) => &date_time[..dot],
        None => date_time,
    };
    let offset = if offset.eq_ignore_ascii_case("z") || offset == "+00:00" || offset == "-00:00" {
        "Z"
    } else {
        offset
    };
    Ok(format!(
        "{}{}",
        seconds.replacen(['t', ' '], "T", 1),
        offset
    ))
}

/// Splits `2024-01-02T03:04:05.5+02:00` into the date-time and the offset.
fn split_offset(s: &str) -> Option<(&str, &str)> {
    if let Some(stripped) = s.strip_suffix(['Z', 'z']) {
        return Some((stripped, &s[s.len() - 1..]));
    }
    let idx = s.len().checked_sub(6)?;
    let (dt, off) = s.split_at(idx);
    (off.starts_with(['+', '-']) && off.as_bytes()[3] == b':').then_some((dt, off))
}

/// Encrypts the MAC for storage.
pub fn seal(cipher: &Cipher, mac: &str, last_modified: &str) -> Result<String, MacError> {
    Ok(cipher.encrypt(mac.as_bytes(), &mac_aad(last_modified)?, "str", None))
}

/// Checks the stored (encrypted) MAC against the one computed from the values.
pub fn verify(
    cipher: &Cipher,
    stored: &str,
    computed: &str,
    last_modified: &str,
) -> Result<(), MacError> {
    if stored.is_empty() {
        return Err(MacError::Missing);
    }
    let aad = mac_aad(last_modified)?;
    match cipher.decrypt(stored, &aad, None) {
        Ok(Plain::Scalar(Scalar::Str(ref s))) if s == computed => Ok(()),
        Ok(_) => Err(MacError::Mismatch),
        Err(e) => Err(MacError::Undecryptable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::data_key::DataKey;

    #[test]
    fn empty_mac_is_sha512_of_nothing() {
        let mac = finish(hasher(false));
        assert!(mac.starts_with("CF83E135"));
        assert!(mac.ends_with("927DA3E"));
        assert_ne!(finish(hasher(true)), mac);
    }

    #[test]
    fn aad_is_reformatted_like_go() {
        assert_eq!(
            mac_aad("2026-11-22T10:08:07Z").unwrap(),
            "2026-11-22T10:08:07Z"
        );
        assert_eq!(
            mac_aad("2024-01-02T03:04:05.123+02:00").unwrap(),
            "2024-01-02T03:04:05+02:00"
        );
        assert_eq!(
            mac_aad("2024-01-02T03:04:05+00:00").unwrap(),
            "2024-01-02T03:04:05Z"
        );
        assert!(mac_aad("yesterday").is_err());
    }

    #[test]
    fn seal_and_verify() {
        let c = Cipher::new(&DataKey::from_slice(&[1; 32]).unwrap());
        let lm = "2026-01-01T00:00:00Z";
        let sealed = seal(&c, "ABC", lm).unwrap();
        assert_eq!(verify(&c, &sealed, "ABC", lm), Ok(()));
        assert_eq!(verify(&c, &sealed, "ABD", lm), Err(MacError::Mismatch));
        assert!(matches!(
            verify(&c, &sealed, "ABC", "2026-01-01T00:00:01Z"),
            Err(MacError::Undecryptable(_))
        ));
        assert_eq!(verify(&c, "", "ABC", lm), Err(MacError::Missing));
    }
}
