//! Float formatting exactly as the Go standard library does it.
//!
//! sops is written in Go, so the bytes it encrypts, hashes into the MAC and
//! prints all come from `strconv.FormatFloat` with different verbs. Getting one
//! digit or exponent sign wrong changes the MAC, so each verb is reproduced here
//! from Rust's shortest round-trip digits (`{:e}`), which are the same digits
//! Go's shortest mode produces.

/// Shortest decimal digits of a finite float: (negative, digits, decimal point position).
///
/// `1.5e-7` gives `(false, "15", -6)`: the value is `0.digits × 10^dp`.
fn shortest_digits(f: f64) -> (bool, String, i32) {
    let s = format!("{:e}", f);
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (mantissa, exp) = s.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (neg, digits, exp + 1)
}

fn special(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("+Inf")
    } else if f == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// Fixed notation from shortest digits (Go `%f` with precision -1).
fn fixed(neg: bool, digits: &str, dp: i32) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    let nd = digits.len() as i32;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..-dp {
            out.push('0');
        }
        out.push_str(digits);
    } else if dp >= nd {
        out.push_str(digits);
        for _ in 0..dp - nd {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// Exponent notation from shortest digits (Go `%e` with precision -1): `1.5e-07`.
fn exponent(neg: bool, digits: &str, dp: i32, e: char) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let exp = dp - 1;
    out.push(e);
    out.push(if exp < 0 { '-' } else { '+' });
    let abs = exp.unsigned_abs();
    if abs < 10 {
        out.push('0');
    }
    out.push_str(&abs.to_string());
    out
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)`: what sops encrypts and hashes for floats.
///
/// `1e10` → `10000000000`, `1.5e-7` → `0.00000015`, `-0.0` → `-0`, infinities `+Inf`/`-Inf`.
pub fn format_plain(f: f64) -> String {
    if let Some(s) = special(f) {
        return s.to_string();
    }
    let (neg, digits, dp) = shortest_digits(f);
    fixed(neg, &digits, dp)
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)` (upper-case exponent letter when `upper`).
///
/// Go's shortest `%g` uses exponent form when the decimal exponent is below -4 or at
/// least 6, hence `1000000` → `1e+06` and `123456` → `123456`.
pub fn format_g(f: f64, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s.to_string();
    }
    let (neg, digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        exponent(neg, &digits, dp, if upper { 'E' } else { 'e' })
    } else {
        fixed(neg, &digits, dp)
    }
}

/// A float as yaml.v3 writes it: `%g`, with `.inf`, `-.inf` and `.nan`.
pub fn format_yaml(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f == f64::INFINITY {
        ".inf".into()
    } else if f == f64::NEG_INFINITY {
        "-.inf".into()
    } else {
        format_g(f, false)
    }
}

/// A float as Go's `encoding/json` writes it, or `None` for NaN and infinities (JSON has none).
///
/// Fixed notation unless the magnitude is below 1e-6 or at least 1e21; exponents are
/// written without a leading zero (`1e-7`, `1e+21`).
pub fn format_json(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (neg, digits, dp) = shortest_digits(f);
        let mut s = exponent(neg, &digits, dp, 'e');
        // Go trims `e-07` to `e-7` (but keeps `e+21`).
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        Some(s)
    } else {
        Some(format_plain(f))
    }
}

/// Parses a float the way Go's `strconv.ParseFloat` accepts sops plaintexts
/// (`+Inf`, `-Inf`, `NaN`, plain decimals and exponents).
pub fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" | "+Infinity" | "Infinity" => Some(f64::INFINITY),
        "-Inf" | "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        // Only digits, sign, point and exponent: Rust would also take "infinity" in any
        // case, and Go's underscores need a base prefix that sops never writes.
        _ if s
            .bytes()
            .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c)) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_matches_go_f_minus_one() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (1e10, "10000000000"),
            (1.5e-7, "0.00000015"),
            (1e21, "1000000000000000000000"),
            (-0.0, "-0"),
            (0.0, "0"),
            (3.25, "3.25"),
            (2.5, "2.5"),
            (1e23, "100000000000000000000000"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (f, want) in cases {
            assert_eq!(format_plain(*f), *want, "{f}");
        }
    }

    #[test]
    fn g_matches_go() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (1e10, "1e+10"),
            (1000000.0, "1e+06"),
            (123456.0, "123456"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0"),
            (1234567.0, "1.234567e+06"),
            (1e100, "1e+100"),
            (3.25, "3.25"),
        ];
        for (f, want) in cases {
            assert_eq!(format_g(*f, false), *want, "{f}");
        }
        assert_eq!(format_g(1e10, true), "1E+10");
        assert_eq!(format_g(1e-5, true), "1E-05");
        assert_eq!(format_yaml(f64::NAN), ".nan");
        assert_eq!(format_yaml(f64::NEG_INFINITY), "-.inf");
    }

    #[test]
    fn json_matches_go() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (1e-7, "1e-7"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (9007199254740993.0, "9007199254740992"),
            (1e-10, "1e-10"),
        ];
        for (f, want) in cases {
            assert_eq!(format_json(*f).unwrap(), *want, "{f}");
        }
        assert_eq!(format_json(f64::NAN), None);
    }

    #[test]
    fn parse_accepts_sops_spellings() {
        assert_eq!(parse_float("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_float("-Inf"), Some(f64::NEG_INFINITY));
        assert!(parse_float("NaN").unwrap().is_nan());
        assert_eq!(parse_float("10000000000"), Some(1e10));
        assert_eq!(parse_float("0.00000015"), Some(1.5e-7));
        assert_eq!(parse_float("1e5"), Some(1e5));
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float(""), None);
    }
}
