//! The known-secret detector: the values of the repository's own encrypted files,
//! found verbatim (or base64- or URL-encoded) anywhere in plaintext, whatever their
//! shape: a production password pasted into a test catches no rule, but it is a value
//! enseal already protects.
//!
//! Only a keyed hash of each value (SHA-256 under a random key made for this run, cut
//! to 16 bytes) is kept; the values themselves are dropped once hashed and never
//! printed. Text is cut into tokens at quotes, spaces and the usual separators, and a
//! token is hashed only when its length is one a known value has.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// Values shorter than this are too common to report (`true`, `8080`, `admin`).
pub const MIN_LEN: usize = 8;

/// The keyed hashes of known secret values.
pub struct Known {
    key: [u8; 32],
    hashes: HashSet<[u8; 16]>,
    lengths: HashSet<usize>,
}

impl std::fmt::Debug for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Known({} hashes)", self.hashes.len())
    }
}

impl Drop for Known {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl Default for Known {
    fn default() -> Known {
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        Known {
            key,
            hashes: HashSet::new(),
            lengths: HashSet::new(),
        }
    }
}

impl Known {
    /// Whether no value is known.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// How many forms of values are known.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    fn hash(&self, bytes: &[u8]) -> [u8; 16] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(bytes);
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize()[..16]);
        out
    }

    /// Adds a value (and its base64 and URL-encoded forms). Short and low-variety
    /// values are left out: they would match ordinary words and numbers.
    pub fn add(&mut self, value: &[u8]) {
        let value = trim(value);
        if value.len() < MIN_LEN || super::filter::entropy(value) < 2.5 {
            return;
        }
        use base64::Engine;
        let forms = [
            value.to_vec(),
            base64::engine::general_purpose::STANDARD
                .encode(value)
                .into_bytes(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(value)
                .into_bytes(),
            percent_encode(value),
        ];
        for form in forms {
            let form = trim_padding(&form);
            self.lengths.insert(form.len());
            let h = self.hash(form);
            self.hashes.insert(h);
        }
    }

    /// The byte ranges of `text` holding a known value.
    pub fn find(&self, text: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        if self.is_empty() {
            return found;
        }
        let mut check = |start: usize, token: &[u8]| {
            let t = trim_padding(token);
            if self.lengths.contains(&t.len()) && self.hashes.contains(&self.hash(t)) {
                found.push((start, start + t.len()));
                return true;
            }
            false
        };
        for (start, token) in tokens(text, is_outer_separator) {
            if check(start, token) {
                continue;
            }
            // `user:password@host`, `KEY=value`: the parts too.
            for (inner, part) in tokens(token, is_inner_separator) {
                check(start + inner, part);
            }
        }
        found
    }
}

fn is_outer_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"'`,;()[]{}<>|\\".contains(&b)
}

fn is_inner_separator(b: u8) -> bool {
    b"=:@&?#".contains(&b)
}

/// Maximal runs of non-separator bytes, with their offsets.
fn tokens(text: &[u8], sep: fn(u8) -> bool) -> impl Iterator<Item = (usize, &[u8])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < text.len() && sep(text[i]) {
            i += 1;
        }
        if i >= text.len() {
            return None;
        }
        let start = i;
        while i < text.len() && !sep(text[i]) {
            i += 1;
        }
        Some((start, &text[start..i]))
    })
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// base64 padding differs between writers: compare without it.
fn trim_padding(v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|b| *b != b'=').map_or(0, |e| e + 1);
    &v[..end]
}

fn percent_encode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 3);
    for &b in v {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_verbatim_and_encoded() {
        let mut k = Known::default();
        k.add(b"n3w-Pa55/word+x");
        k.add(b"short");
        k.add(b"aaaaaaaaaaaa");
        assert!(!k.is_empty());
        let hay = b"conn = \"postgres://app:n3w-Pa55/word+x@db:5432/x\"";
        let hits = k.find(hay);
        assert_eq!(hits.len(), 1);
        assert_eq!(&hay[hits[0].0..hits[0].1], b"n3w-Pa55/word+x");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(b"n3w-Pa55/word+x");
        assert_eq!(k.find(format!("auth: {b64}").as_bytes()).len(), 1);
        assert_eq!(k.find(b"p=n3w-Pa55%2Fword%2Bx&q=1").len(), 1);
        assert!(k.find(b"short aaaaaaaaaaaa n3w-Pa55/word").is_empty());
        assert!(!format!("{k:?}").contains("Pa55"));
    }
}
