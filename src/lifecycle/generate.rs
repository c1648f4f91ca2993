//! New secret values: `password:LEN[:classes]`, `hex:N`, `base64:N`, `alnum:N`,
//! `uuid`, `age-identity`, `ed25519`. Randomness comes from the operating system.

use base64::Engine as _;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use zeroize::Zeroizing;

/// A generator spec that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GeneratorError {
    /// Unknown or malformed.
    #[error("{0:?} is not a generator: use password:LEN[:classes], hex:N, base64:N, alnum:N, uuid, age-identity or ed25519")]
    Unknown(String),
    /// A length out of range.
    #[error("{0:?}: the length must be from 8 to 4096")]
    Length(String),
    /// Password classes other than l, u, d, s.
    #[error(
        "{0:?}: password classes are letters from l (lower), u (upper), d (digits), s (symbols)"
    )]
    Classes(String),
}

/// How to make a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    /// A password of `len` characters with at least one of each class.
    Password {
        /// Length.
        len: usize,
        /// Lower, upper, digits, symbols.
        classes: [bool; 4],
    },
    /// `n` random bytes as lower-case hex (2n characters).
    Hex(usize),
    /// `n` random bytes as standard base64.
    Base64(usize),
    /// `n` letters and digits.
    Alnum(usize),
    /// A random (v4) UUID.
    Uuid,
    /// A new age X25519 identity (`AGE-SECRET-KEY-1…`).
    AgeIdentity,
    /// A new Ed25519 private key, PKCS#8 PEM (what `openssl pkey` reads).
    Ed25519,
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
// No quotes, backslash or space: values pasted into shells and config files survive.
const SYMBOLS: &[u8] = b"!#%+-.:=@^_~";

impl Generator {
    /// Parses a spec.
    pub fn parse(spec: &str) -> Result<Generator, GeneratorError> {
        let mut parts = spec.split(':');
        let kind = parts.next().unwrap_or_default();
        let len = |p: Option<&str>| -> Result<usize, GeneratorError> {
            let n: usize = p
                .ok_or_else(|| GeneratorError::Unknown(spec.into()))?
                .parse()
                .map_err(|_| GeneratorError::Unknown(spec.into()))?;
            if (8..=4096).contains(&n) {
                Ok(n)
            } else {
                Err(GeneratorError::Length(spec.into()))
            }
        };
        let g = match kind {
            "password" => {
                let n = len(parts.next())?;
                let classes = match parts.next() {
                    None => [true; 4],
                    Some(c) if !c.is_empty() && c.chars().all(|x| "luds".contains(x)) => [
                        c.contains('l'),
                        c.contains('u'),
                        c.contains('d'),
                        c.contains('s'),
                    ],
                    Some(_) => return Err(GeneratorError::Classes(spec.into())),
                };
                Generator::Password { len: n, classes }
            }
            "hex" => Generator::Hex(len(parts.next())?),
            "base64" => Generator::Base64(len(parts.next())?),
            "alnum" => Generator::Alnum(len(parts.next())?),
            "uuid" => Generator::Uuid,
            "age-identity" => Generator::AgeIdentity,
            "ed25519" => Generator::Ed25519,
            _ => return Err(GeneratorError::Unknown(spec.into())),
        };
        if parts.next().is_some() {
            return Err(GeneratorError::Unknown(spec.into()));
        }
        Ok(g)
    }

    /// A new value.
    pub fn generate(&self) -> Zeroizing<String> {
        let mut rng = OsRng;
        Zeroizing::new(match self {
            Generator::Password { len, classes } => password(*len, classes, &mut rng),
            Generator::Hex(n) => {
                let bytes = random_bytes(*n);
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            }
            Generator::Base64(n) => {
                base64::engine::general_purpose::STANDARD.encode(&*random_bytes(*n))
            }
            Generator::Alnum(n) => {
                let set: Vec<u8> = [LOWER, UPPER, DIGITS].concat();
                (0..*n)
                    .map(|_| set[rng.gen_range(0..set.len())] as char)
                    .collect()
            }
            Generator::Uuid => {
                let mut b = random_bytes(16);
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )
            }
            Generator::AgeIdentity => {
                use age::secrecy::ExposeSecret;
                age::x25519::Identity::generate()
                    .to_string()
                    .expose_secret()
                    .to_string()
            }
            Generator::Ed25519 => {
                // PKCS#8 v1 for Ed25519 (RFC 8410): a fixed prefix and the 32-byte seed.
                let mut der = Zeroizing::new(vec![
                    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04,
                    0x22, 0x04, 0x20,
                ]);
                der.extend_from_slice(&random_bytes(32));
                let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*der));
                format!(
                    "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                    &*b64
                )
            }
        })
    }
}

impl std::fmt::Display for Generator {
    /// The spec it was parsed from.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Generator::Password { len, classes } if classes.iter().all(|c| *c) => {
                write!(f, "password:{len}")
            }
            Generator::Password { len, classes } => {
                let c: String = "luds"
                    .chars()
                    .zip(classes)
                    .filter(|(_, on)| **on)
                    .map(|(c, _)| c)
                    .collect();
                write!(f, "password:{len}:{c}")
            }
            Generator::Hex(n) => write!(f, "hex:{n}"),
            Generator::Base64(n) => write!(f, "base64:{n}"),
            Generator::Alnum(n) => write!(f, "alnum:{n}"),
            Generator::Uuid => f.write_str("uuid"),
            Generator::AgeIdentity => f.write_str("age-identity"),
            Generator::Ed25519 => f.write_str("ed25519"),
        }
    }
}

fn random_bytes(n: usize) -> Zeroizing<Vec<u8>> {
    let mut b = Zeroizing::new(vec![0u8; n]);
    OsRng.fill_bytes(&mut b);
    b
}

fn password(len: usize, classes: &[bool; 4], rng: &mut OsRng) -> String {
    let sets: Vec<&[u8]> = [LOWER, UPPER, DIGITS, SYMBOLS]
        .into_iter()
        .zip(classes)
        .filter(|(_, on)| **on)
        .map(|(s, _)| s)
        .collect();
    let all: Vec<u8> = sets.concat();
    // One of each class first, the rest from all, then shuffled.
    let mut chars: Vec<u8> = sets.iter().map(|s| s[rng.gen_range(0..s.len())]).collect();
    while chars.len() < len {
        chars.push(all[rng.gen_range(0..all.len())]);
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.gen_range(0..=i));
    }
    let s = String::from_utf8(chars.clone()).expect("ASCII");
    zeroize::Zeroize::zeroize(&mut chars);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generator() {
        let p = Generator::parse("password:32").unwrap().generate();
        assert_eq!(p.len(), 32);
        assert!(
            p.bytes().any(|c| c.is_ascii_lowercase()) && p.bytes().any(|c| c.is_ascii_uppercase())
        );
        assert!(p.bytes().any(|c| c.is_ascii_digit()) && p.bytes().any(|c| SYMBOLS.contains(&c)));
        let p = Generator::parse("password:12:ld").unwrap().generate();
        assert!(p
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(
            Generator::parse("password:16").unwrap().generate(),
            Generator::parse("password:16").unwrap().generate()
        );
        let h = Generator::parse("hex:16").unwrap().generate();
        assert!(h.len() == 32 && h.bytes().all(|c| c.is_ascii_hexdigit()));
        let b = Generator::parse("base64:30").unwrap().generate();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&*b)
                .unwrap()
                .len(),
            30
        );
        let a = Generator::parse("alnum:20").unwrap().generate();
        assert!(a.len() == 20 && a.bytes().all(|c| c.is_ascii_alphanumeric()));
        let u = Generator::parse("uuid").unwrap().generate();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let id = Generator::parse("age-identity").unwrap().generate();
        assert!(id.parse::<age::x25519::Identity>().is_ok());
        let k = Generator::parse("ed25519").unwrap().generate();
        assert!(k.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
        for spec in ["password:32", "password:12:ld", "hex:16", "uuid", "ed25519"] {
            assert_eq!(Generator::parse(spec).unwrap().to_string(), spec);
        }
        for bad in [
            "",
            "password",
            "password:4",
            "password:12:x",
            "hex:abc",
            "uuid:3",
            "rsa:2048",
        ] {
            assert!(Generator::parse(bad).is_err(), "{bad}");
        }
    }
}
