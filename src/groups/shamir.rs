//! Shamir secret sharing over GF(2^8), compatible with sops (HashiCorp Vault's scheme).
//!
//! Arithmetic uses the AES polynomial x^8+x^4+x^3+x+1. Each byte of the secret is
//! the constant term of its own random polynomial of degree `threshold - 1`. A share
//! is the polynomial values at x followed by the byte x itself (`[y…, x]`); sops uses
//! x = 1, 2, 3… for groups 0, 1, 2…. Multiplication is shift-and-xor without
//! data-dependent branches or table lookups, so timing does not depend on the secret.

use rand::RngCore;
use zeroize::Zeroizing;

/// Why shares could not be made or combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    /// The parameters are out of range.
    #[error("{0}")]
    Parameters(&'static str),
    /// The shares are inconsistent.
    #[error("{0}")]
    Shares(&'static str),
}

/// Multiplies in GF(2^8) mod 0x11B, in constant time.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        // Masks instead of branches.
        product ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    product
}

/// The multiplicative inverse (a^254); `inv(0)` is 0 and never used.
fn inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e > 0 {
        if e & 1 == 1 {
            result = mul(result, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    result
}

/// Splits `secret` into `parts` shares, any `threshold` of which recover it.
pub fn split(
    secret: &[u8],
    parts: usize,
    threshold: usize,
) -> Result<Vec<Zeroizing<Vec<u8>>>, ShamirError> {
    if parts < threshold {
        return Err(ShamirError::Parameters(
            "the threshold cannot exceed the number of key groups",
        ));
    }
    if parts > 255 {
        return Err(ShamirError::Parameters("at most 255 key groups"));
    }
    if threshold < 2 {
        return Err(ShamirError::Parameters("threshold must be at least 2"));
    }
    if secret.is_empty() {
        return Err(ShamirError::Parameters("cannot split an empty secret"));
    }
    let mut shares: Vec<Zeroizing<Vec<u8>>> = (0..parts)
        .map(|i| {
            let mut s = Zeroizing::new(vec![0u8; secret.len() + 1]);
            s[secret.len()] = (i + 1) as u8;
            s
        })
        .collect();
    let mut coeffs = Zeroizing::new(vec![0u8; threshold]);
    for (byte_index, &byte) in secret.iter().enumerate() {
        coeffs[0] = byte;
        rand::rngs::OsRng.fill_bytes(&mut coeffs[1..]);
        for share in shares.iter_mut() {
            let x = share[secret.len()];
            // Horner's rule from the highest coefficient.
            let mut y = 0u8;
            for &c in coeffs.iter().rev() {
                y = mul(y, x) ^ c;
            }
            share[byte_index] = y;
        }
    }
    Ok(shares)
}

/// Recovers the secret from shares by Lagrange interpolation at x = 0.
pub fn combine(shares: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, ShamirError> {
    if shares.len() < 2 {
        return Err(ShamirError::Shares("at least two shares are needed"));
    }
    let len = shares[0].len();
    if len < 2 || shares.iter().any(|s| s.len() != len) {
        return Err(ShamirError::Shares(
            "shares differ in length or are too short",
        ));
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if *x == 0 || xs[..i].contains(x) {
            return Err(ShamirError::Shares("duplicate or zero share coordinate"));
        }
    }
    // Lagrange basis values at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is xor.
    let basis: Vec<u8> = (0..xs.len())
        .map(|i| {
            let mut num = 1u8;
            let mut den = 1u8;
            for (j, &xj) in xs.iter().enumerate() {
                if i != j {
                    num = mul(num, xj);
                    den = mul(den, xj ^ xs[i]);
                }
            }
            mul(num, inv(den))
        })
        .collect();
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (k, out) in secret.iter_mut().enumerate() {
        for (share, &l) in shares.iter().zip(&basis) {
            *out ^= mul(share[k], l);
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Carry-less multiplication reduced mod 0x11B, the slow obvious way.
    fn slow_mul(a: u8, b: u8) -> u8 {
        let mut p: u16 = 0;
        for i in 0..8 {
            if b >> i & 1 == 1 {
                p ^= (a as u16) << i;
            }
        }
        for i in (8..16).rev() {
            if p >> i & 1 == 1 {
                p ^= 0x11b << (i - 8);
            }
        }
        p as u8
    }

    #[test]
    fn field_arithmetic_is_the_aes_field() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(mul(a, b), slow_mul(a, b));
            }
            if a != 0 {
                assert_eq!(mul(a, inv(a)), 1);
            }
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(split(b"k", 2, 1).is_err());
        assert!(split(b"k", 2, 3).is_err());
        assert!(split(b"", 2, 2).is_err());
        assert!(combine(&[&[1, 1]]).is_err());
        assert!(combine(&[&[1, 1], &[2, 1]]).is_err());
        assert!(combine(&[&[1, 1], &[2, 2, 2]]).is_err());
    }

    proptest! {
        #[test]
        fn any_threshold_subset_recovers(secret in proptest::collection::vec(any::<u8>(), 1..40),
                                         parts in 2usize..6, t in 2usize..6, seed in any::<u64>()) {
            let t = t.min(parts);
            let shares = split(&secret, parts, t).unwrap();
            // Pick a rotating subset of size t.
            let start = (seed as usize) % parts;
            let subset: Vec<&[u8]> = (0..t).map(|i| &shares[(start + i) % parts][..]).collect();
            prop_assert_eq!(&combine(&subset).unwrap()[..], &secret[..]);
            if t > 2 {
                let fewer: Vec<&[u8]> = subset[..t - 1].to_vec();
                // Fewer shares interpolate a different value (with overwhelming probability).
                prop_assume!(secret.len() >= 8);
                prop_assert_ne!(&combine(&fewer).unwrap()[..], &secret[..]);
            }
        }
    }
}
