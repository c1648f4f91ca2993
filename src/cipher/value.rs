//! One encrypted value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` (sops-format §2).
//!
//! sops uses AES-256-GCM with a 32-byte IV, which ring and aws-lc-rs cannot do
//! (they fix the nonce at 96 bits), hence RustCrypto's `AesGcm<Aes256, U32>`.
//! The cipher is built once per file: the key schedule costs more than sealing a
//! short value.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use zeroize::Zeroizing;

use super::data_key::DataKey;
use crate::document::{number, Comment, Scalar};

const PREFIX: &str = "ENC[AES256_GCM,data:";
const IV_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// A decrypted value, typed by its `type:` tag.
#[derive(Clone, PartialEq)]
pub enum Plain {
    /// A data value.
    Scalar(Scalar),
    /// A comment (`type:comment`).
    Comment(Comment),
}

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plain::Scalar(s) => s.fmt(f),
            Plain::Comment(c) => c.fmt(f),
        }
    }
}

/// Why one value could not be decrypted. Never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The string is not an `ENC[...]` value.
    #[error(
        "the value is not in sops' encrypted format (ENC[AES256_GCM,data:…,iv:…,tag:…,type:…])"
    )]
    NotEncrypted,
    /// A field is not valid base64.
    #[error("the {0} field of the encrypted value is not valid base64")]
    Base64(&'static str),
    /// The IV length is not one enseal can use.
    #[error("unsupported IV length {0} (expected 32 bytes)")]
    IvLength(usize),
    /// The tag is not 16 bytes.
    #[error("the authentication tag has {0} bytes, expected 16")]
    TagLength(usize),
    /// Authentication failed: wrong key, tampered value, or value moved to another key path.
    #[error(
        "authentication failed (wrong data key, tampered value, or value moved from another key)"
    )]
    Auth,
    /// The `type:` tag is unknown.
    #[error("unknown value type {0:?}")]
    UnknownType(String),
    /// The plaintext does not parse as its declared type.
    #[error("the decrypted value is not a valid {0}")]
    BadTyped(&'static str),
}

/// The parts of an `ENC[...]` string, still encoded.
struct Parts<'a> {
    data: &'a str,
    iv: &'a str,
    tag: &'a str,
    kind: &'a str,
}

/// Splits an `ENC[...]` string as sops' pattern does (fields in order, type up to the last `]`).
/// Base64 has no commas, so each field ends at the next comma.
fn split(value: &str) -> Option<Parts<'_>> {
    // Commas only separate fields (base64 has none); memchr beats `str::find` here.
    let comma = |s: &str| memchr::memchr(b',', s.as_bytes());
    let rest = value.strip_prefix(PREFIX)?;
    let at = comma(rest)?;
    let data = &rest[..at];
    let rest = rest[at..].strip_prefix(",iv:")?;
    let at = comma(rest)?;
    let iv = &rest[..at];
    let rest = rest[at..].strip_prefix(",tag:")?;
    let at = comma(rest)?;
    let tag = &rest[..at];
    let rest = rest[at..].strip_prefix(",type:")?;
    let end = memchr::memrchr(b']', rest.as_bytes())?;
    let kind = &rest[..end];
    if data.is_empty() || iv.is_empty() || tag.is_empty() || kind.is_empty() {
        return None;
    }
    Some(Parts {
        data,
        iv,
        tag,
        kind,
    })
}

/// True when `value` looks like an `ENC[...]` value (cheap check, no decoding).
pub fn is_encrypted(value: &str) -> bool {
    split(value).is_some()
}

/// The length of the plaintext an `ENC[...]` value holds, from the length of its
/// base64 data (AES-GCM adds nothing to the length), without decoding.
pub fn data_len(value: &str) -> Option<usize> {
    let data = split(value)?.data.as_bytes();
    if data.len() % 4 != 0 {
        return None;
    }
    let pad = data.iter().rev().take_while(|b| **b == b'=').count().min(2);
    Some(data.len() / 4 * 3 - pad)
}

/// Checks what can be checked of an `ENC[...]` value without its key: the fields,
/// their base64, the IV and tag lengths and the type. A value that passes may still
/// fail to authenticate.
pub fn check_format(value: &str) -> Result<(), ValueError> {
    let parts = split(value).ok_or(ValueError::NotEncrypted)?;
    let decoded = |field: &str, name| {
        B64.decode(field)
            .map(|b| b.len())
            .map_err(|_| ValueError::Base64(name))
    };
    decoded(parts.data, "data")?;
    match decoded(parts.iv, "iv")? {
        12 | 16 | 32 => {}
        n => return Err(ValueError::IvLength(n)),
    }
    match decoded(parts.tag, "tag")? {
        TAG_LEN => {}
        n => return Err(ValueError::TagLength(n)),
    }
    match parts.kind {
        "str" | "int" | "float" | "bool" | "time" | "bytes" | "comment" => Ok(()),
        other => Err(ValueError::UnknownType(other.to_string())),
    }
}

/// Re-used IVs keyed by (AAD, type, plaintext), so a value that did not change keeps
/// its exact ciphertext when a file is re-encrypted with the same data key (sops' "stash").
///
/// Values with the same key path and plaintext (equal items of one list: sops' list
/// items share their list's path) each get their own IV back, in file order; an extra
/// one gets a fresh IV. One IV for all of them would show on every write which items
/// are equal, and change the lines of all but one.
#[derive(Default)]
pub struct Stash(HashMap<(String, &'static str, Vec<u8>), Ivs>);

/// The IVs of one (path, type, plaintext), and how many re-encryption took so far.
#[derive(Default)]
struct Ivs {
    ivs: Vec<[u8; IV_LEN]>,
    taken: std::cell::Cell<usize>,
}

impl Ivs {
    fn take(&self) -> Option<[u8; IV_LEN]> {
        let n = self.taken.get();
        let iv = self.ivs.get(n).copied()?;
        self.taken.set(n + 1);
        Some(iv)
    }
}

impl Drop for Stash {
    fn drop(&mut self) {
        // The keys hold plaintexts.
        for ((_, _, mut plain), _) in self.0.drain() {
            zeroize::Zeroize::zeroize(&mut plain);
        }
    }
}

impl Stash {
    /// Adds `other`'s IVs for the values this stash has none for. Both must come from
    /// files under the same data key (the merge driver joins ours and theirs).
    // Not the entry API: a key already present must be zeroized, not dropped inside it.
    #[allow(clippy::map_entry)]
    pub fn absorb(&mut self, mut other: Stash) {
        for (key, iv) in other.0.drain() {
            if self.0.contains_key(&key) {
                let (_, _, mut plain) = key;
                zeroize::Zeroize::zeroize(&mut plain);
            } else {
                self.0.insert(key, iv);
            }
        }
    }
}

impl fmt::Debug for Stash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stash({} entries)", self.0.len())
    }
}

/// AES-256-GCM under one file's data key.
pub struct Cipher {
    gcm32: AesGcm<Aes256, U32>,
    key: DataKey,
}

impl Cipher {
    /// Builds the cipher for a data key.
    pub fn new(key: &DataKey) -> Cipher {
        Cipher {
            gcm32: AesGcm::new(GenericArray::from_slice(key.as_bytes())),
            key: key.clone(),
        }
    }

    /// Encrypts `plaintext` with a fresh random IV (or the stashed one) into an `ENC[...]` string.
    pub fn encrypt(
        &self,
        plaintext: &[u8],
        aad: &str,
        type_tag: &str,
        stash: Option<&Stash>,
    ) -> String {
        let iv = stash
            .and_then(|s| {
                let key = (aad.to_string(), static_tag(type_tag), plaintext.to_vec());
                let iv = s.0.get(&key).and_then(Ivs::take);
                let (_, _, mut plain) = key;
                zeroize::Zeroize::zeroize(&mut plain);
                iv
            })
            .unwrap_or_else(|| {
                // ThreadRng is a CSPRNG (ChaCha12) seeded and reseeded from the OS: one
                // getrandom call per value cost more than the encryption itself.
                let mut iv = [0u8; IV_LEN];
                rand::thread_rng().fill_bytes(&mut iv);
                iv
            });
        self.encrypt_with_iv(plaintext, aad, type_tag, &iv)
    }

    /// Encrypts with a given 32-byte IV (deterministic; tests and the stash).
    pub fn encrypt_with_iv(
        &self,
        plaintext: &[u8],
        aad: &str,
        type_tag: &str,
        iv: &[u8; IV_LEN],
    ) -> String {
        let mut buf = Zeroizing::new(plaintext.to_vec());
        let tag = self
            .gcm32
            .encrypt_in_place_detached(GenericArray::from_slice(iv), aad.as_bytes(), &mut buf)
            .expect("AES-GCM encryption only fails for inputs over 64 GiB");
        let mut out = String::with_capacity(PREFIX.len() + buf.len() * 4 / 3 + 110);
        out.push_str(PREFIX);
        push_base64(&mut out, &buf);
        out.push_str(",iv:");
        push_base64(&mut out, iv);
        out.push_str(",tag:");
        push_base64(&mut out, &tag);
        out.push_str(",type:");
        out.push_str(type_tag);
        out.push(']');
        out
    }

    /// Decrypts an `ENC[...]` string. An empty string decrypts to an empty string, as in sops.
    /// When `stash` is given, the IV is remembered for re-encryption.
    pub fn decrypt(
        &self,
        value: &str,
        aad: &str,
        stash: Option<&mut Stash>,
    ) -> Result<Plain, ValueError> {
        if value.is_empty() {
            return Ok(Plain::Scalar(Scalar::Str(String::new())));
        }
        let parts = split(value).ok_or(ValueError::NotEncrypted)?;
        let mut buf = Zeroizing::new(
            B64.decode(parts.data)
                .map_err(|_| ValueError::Base64("data"))?,
        );
        // IV and tag are short: decode them on the stack.
        let mut iv_buf = [0u8; 64];
        let iv_len = B64
            .decode_slice(parts.iv, &mut iv_buf)
            .map_err(|_| ValueError::Base64("iv"))?;
        let iv = &iv_buf[..iv_len];
        let mut tag_buf = [0u8; 64];
        let tag_len = B64
            .decode_slice(parts.tag, &mut tag_buf)
            .map_err(|_| ValueError::Base64("tag"))?;
        if tag_len != TAG_LEN {
            return Err(ValueError::TagLength(tag_len));
        }
        let tag = GenericArray::from_slice(&tag_buf[..TAG_LEN]);
        let aad_bytes = aad.as_bytes();
        // sops writes 32-byte IVs; other lengths only come from hand-made files, so those
        // get a cipher built on demand.
        let result = match iv.len() {
            32 => self.gcm32.decrypt_in_place_detached(
                GenericArray::from_slice(iv),
                aad_bytes,
                &mut buf,
                tag,
            ),
            12 => AesGcm::<Aes256, U12>::new(GenericArray::from_slice(self.key.as_bytes()))
                .decrypt_in_place_detached(GenericArray::from_slice(iv), aad_bytes, &mut buf, tag),
            16 => AesGcm::<Aes256, U16>::new(GenericArray::from_slice(self.key.as_bytes()))
                .decrypt_in_place_detached(GenericArray::from_slice(iv), aad_bytes, &mut buf, tag),
            n => return Err(ValueError::IvLength(n)),
        };
        result.map_err(|_| ValueError::Auth)?;
        if let (Some(stash), Ok(iv)) = (stash, <[u8; IV_LEN]>::try_from(iv)) {
            let key = (aad.to_string(), static_tag(parts.kind), buf.to_vec());
            match stash.0.get_mut(&key) {
                Some(entry) => {
                    entry.ivs.push(iv);
                    let (_, _, mut plain) = key;
                    zeroize::Zeroize::zeroize(&mut plain);
                }
                None => {
                    stash.0.insert(
                        key,
                        Ivs {
                            ivs: vec![iv],
                            taken: Default::default(),
                        },
                    );
                }
            }
        }
        // Strings take the decrypted buffer as is: no second copy of the plaintext.
        if parts.kind == "str" {
            let bytes = std::mem::take(&mut *buf);
            return Ok(Plain::Scalar(match String::from_utf8(bytes) {
                Ok(s) => Scalar::Str(s),
                Err(e) => Scalar::Bytes(e.into_bytes()),
            }));
        }
        typed(parts.kind, &buf)
    }
}

/// Appends the base64 of `bytes`. Short inputs (IVs, tags, most values) are encoded on
/// the stack: the crate's `encode_string` goes through a chunked writer that costs more
/// than the encoding itself at these sizes.
fn push_base64(out: &mut String, bytes: &[u8]) {
    let mut stack = [0u8; 256];
    match B64.encode_slice(bytes, &mut stack) {
        Ok(n) => out.push_str(std::str::from_utf8(&stack[..n]).unwrap_or_default()),
        Err(_) => B64.encode_string(bytes, out),
    }
}

/// A `time` value: an RFC 3339 timestamp as sops writes them, or one of TOML's local
/// forms (date, time of day, date and time without an offset).
fn is_time(t: &str) -> bool {
    t.parse::<jiff::Timestamp>().is_ok()
        || t.parse::<jiff::civil::DateTime>().is_ok()
        || t.parse::<jiff::civil::Date>().is_ok()
        || t.parse::<jiff::civil::Time>().is_ok()
}

/// Maps a type tag to its static spelling (for stash keys); unknown tags never reach here.
fn static_tag(tag: &str) -> &'static str {
    match tag {
        "str" => "str",
        "int" => "int",
        "float" => "float",
        "bool" => "bool",
        "time" => "time",
        "comment" => "comment",
        _ => "bytes",
    }
}

/// Parses decrypted bytes by their type tag, as sops does (§2.3).
fn typed(kind: &str, bytes: &[u8]) -> Result<Plain, ValueError> {
    let text = || std::str::from_utf8(bytes).ok();
    Ok(match kind {
        "str" => Plain::Scalar(match text() {
            Some(s) => Scalar::Str(s.to_string()),
            None => Scalar::Bytes(bytes.to_vec()),
        }),
        "bytes" => Plain::Scalar(match text() {
            Some(s) => Scalar::Str(s.to_string()),
            None => Scalar::Bytes(bytes.to_vec()),
        }),
        "int" => Plain::Scalar(Scalar::Int(
            text()
                .and_then(parse_go_int)
                .ok_or(ValueError::BadTyped("int"))?,
        )),
        "float" => Plain::Scalar(Scalar::Float(
            text()
                .and_then(number::parse_float)
                .ok_or(ValueError::BadTyped("float"))?,
        )),
        "bool" => Plain::Scalar(Scalar::Bool(
            text()
                .and_then(parse_go_bool)
                .ok_or(ValueError::BadTyped("bool"))?,
        )),
        "time" => {
            let t = text().ok_or(ValueError::BadTyped("time"))?;
            if !is_time(t) {
                return Err(ValueError::BadTyped("time"));
            }
            Plain::Scalar(Scalar::Time(t.to_string()))
        }
        "comment" => Plain::Comment(Comment(
            text().ok_or(ValueError::BadTyped("comment"))?.to_string(),
        )),
        other => return Err(ValueError::UnknownType(other.to_string())),
    })
}

/// Go `strconv.Atoi`: optional sign, decimal digits.
fn parse_go_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> Cipher {
        Cipher::new(&DataKey::from_slice(&[7u8; 32]).unwrap())
    }

    #[test]
    fn round_trips_every_type() {
        let c = cipher();
        let cases = [
            (Scalar::Str("héllo".into()), "str"),
            (Scalar::Int(-42), "int"),
            (Scalar::Float(1e10), "float"),
            (Scalar::Bool(true), "bool"),
            (Scalar::Time("2024-01-02T00:00:00Z".into()), "time"),
        ];
        for (value, tag) in cases {
            let enc = c.encrypt(&value.to_plaintext(), "a:b:", value.type_tag(), None);
            assert!(enc.starts_with(PREFIX) && enc.ends_with(&format!("type:{tag}]")));
            assert_eq!(c.decrypt(&enc, "a:b:", None).unwrap(), Plain::Scalar(value));
        }
        let enc = c.encrypt(b" note", ":", "comment", None);
        assert_eq!(
            c.decrypt(&enc, ":", None).unwrap(),
            Plain::Comment(Comment(" note".into()))
        );
    }

    #[test]
    fn wrong_aad_or_tampering_fails_authentication() {
        let c = cipher();
        let enc = c.encrypt(b"secret", "a:", "str", None);
        assert_eq!(c.decrypt(&enc, "b:", None), Err(ValueError::Auth));
        let other = Cipher::new(&DataKey::from_slice(&[8u8; 32]).unwrap());
        assert_eq!(other.decrypt(&enc, "a:", None), Err(ValueError::Auth));
        // Flip one base64 character of the data field.
        let i = PREFIX.len();
        let mut bytes = enc.into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(c.decrypt(&tampered, "a:", None).is_err());
    }

    #[test]
    fn rejects_malformed_values() {
        let c = cipher();
        for bad in [
            "plain",
            "ENC[AES256_GCM,data:,iv:AA==,tag:AA==,type:str]",
            "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==]",
            "ENC[AES256_GCM,data:!!,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
            "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]",
        ] {
            assert!(c.decrypt(bad, "a:", None).is_err(), "{bad}");
        }
        let enc = c.encrypt(b"x", "a:", "weird", None);
        assert_eq!(
            c.decrypt(&enc, "a:", None),
            Err(ValueError::UnknownType("weird".into()))
        );
    }

    #[test]
    fn stash_reuses_iv_for_unchanged_values() {
        let c = cipher();
        let enc = c.encrypt(b"v", "k:", "str", None);
        let mut stash = Stash::default();
        c.decrypt(&enc, "k:", Some(&mut stash)).unwrap();
        assert_eq!(c.encrypt(b"v", "k:", "str", Some(&stash)), enc);
        assert_ne!(c.encrypt(b"w", "k:", "str", Some(&stash)), enc);
        assert_ne!(c.encrypt(b"v", "other:", "str", Some(&stash)), enc);
    }

    #[test]
    fn equal_values_at_one_path_keep_their_own_ivs() {
        let c = cipher();
        let (a, b) = (
            c.encrypt(b"v", "list:", "str", None),
            c.encrypt(b"v", "list:", "str", None),
        );
        assert_ne!(a, b);
        let mut stash = Stash::default();
        c.decrypt(&a, "list:", Some(&mut stash)).unwrap();
        c.decrypt(&b, "list:", Some(&mut stash)).unwrap();
        assert_eq!(c.encrypt(b"v", "list:", "str", Some(&stash)), a);
        assert_eq!(c.encrypt(b"v", "list:", "str", Some(&stash)), b);
        // A third equal item is new: a fresh IV, not a copy of either.
        let third = c.encrypt(b"v", "list:", "str", Some(&stash));
        assert!(third != a && third != b);
    }

    #[test]
    fn go_number_parsing() {
        assert_eq!(parse_go_int("+5"), Some(5));
        assert_eq!(parse_go_int("-7"), Some(-7));
        assert_eq!(parse_go_int("1_0"), None);
        assert_eq!(parse_go_int(""), None);
        assert_eq!(parse_go_bool("T"), Some(true));
        assert_eq!(parse_go_bool("yes"), None);
    }
}
