//! Scalar resolution as go-yaml v3 does it (the types sops sees), and the Go
//! timestamp formats it accepts.
//!
//! YAML 1.2 core schema with yaml.v3's own choices: `yes`/`no`/`on`/`off` stay
//! strings, `0x`/`0o`/`0b` and leading-zero octal integers, `_` separators,
//! integers beyond int64 become floats (or an error up to uint64, as in sops),
//! and unquoted dates become timestamps.

use crate::document::{number, Scalar, Value};

/// What a plain scalar resolves to.
pub enum Resolved {
    /// A value.
    Value(Value),
    /// The merge key `<<`.
    Merge,
    /// An integer between int64 and uint64 (sops cannot encrypt it).
    Uint64,
}

/// Resolves an untagged plain scalar.
pub fn resolve_plain(s: &str) -> Resolved {
    resolve_typed(s).unwrap_or_else(|| Resolved::Value(Value::str(s)))
}

/// Resolves an untagged plain scalar; `None` when it is a string (the caller keeps
/// its own copy of the text instead of a new one).
pub fn resolve_typed(s: &str) -> Option<Resolved> {
    resolve_inner(s)
}

fn resolve_inner(s: &str) -> Option<Resolved> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Resolved::Value(Value::Null)),
        "true" | "True" | "TRUE" => {
            return Some(Resolved::Value(Value::Scalar(Scalar::Bool(true))))
        }
        "false" | "False" | "FALSE" => {
            return Some(Resolved::Value(Value::Scalar(Scalar::Bool(false))))
        }
        ".nan" | ".NaN" | ".NAN" => return Some(float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(float(f64::NEG_INFINITY)),
        "-0" | "-0.0" => return Some(float(-0.0)),
        "<<" => return Some(Resolved::Merge),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() || first == b'+' || first == b'-' {
        if let Some(t) = timestamp(s) {
            return Some(Resolved::Value(Value::Scalar(Scalar::Time(t))));
        }
        let plain: String = s.chars().filter(|c| *c != '_').collect();
        if let Some(i) = go_parse_int(&plain) {
            return Some(Resolved::Value(Value::Scalar(Scalar::Int(i))));
        }
        if go_parse_uint(&plain).is_some() {
            return Some(Resolved::Uint64);
        }
        if is_yaml_float(&plain) {
            if let Ok(f) = plain.parse::<f64>() {
                return Some(float(f));
            }
        }
    } else if first == b'.' {
        if let Ok(f) = s.parse::<f64>() {
            if is_yaml_float(s) {
                return Some(float(f));
            }
        }
    }
    None
}

fn float(f: f64) -> Resolved {
    Resolved::Value(Value::Scalar(Scalar::Float(f)))
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b` or leading-`0` octal.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = go_parse_magnitude(digits)?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// Go `strconv.ParseUint(s, 0, 64)` (no sign allowed).
fn go_parse_uint(s: &str) -> Option<u64> {
    go_parse_magnitude(s)
}

fn go_parse_magnitude(s: &str) -> Option<u64> {
    let (radix, digits) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, r)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Parses the timestamp forms yaml.v3 accepts and formats them as Go's RFC 3339 with
/// nanoseconds (`2024-01-02T00:00:00Z`; fraction without trailing zeros; offset kept).
pub fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // Quick check: YYYY-
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut p = Cursor { b, i: 5 };
    let month = p.num(1, 2)?;
    p.lit(b'-')?;
    let day = p.num(1, 2)?;
    let year: u32 = s[..4].parse().ok()?;
    if p.i == b.len() {
        return format_time(year, month, day, 0, 0, 0, "", "Z");
    }
    let sep = b[p.i];
    let spaced = sep == b' ';
    if !(sep == b'T' || sep == b't' || spaced) {
        return None;
    }
    p.i += 1;
    let hour = p.num(1, 2)?;
    p.lit(b':')?;
    let minute = p.num(1, 2)?;
    p.lit(b':')?;
    let second = p.num(1, 2)?;
    let mut frac = "";
    if p.i < b.len() && b[p.i] == b'.' {
        let start = p.i + 1;
        p.i += 1;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
        if p.i == start || p.i - start > 9 {
            return None;
        }
        frac = &s[start..p.i];
    }
    let zone = if p.i == b.len() {
        if !spaced && sep != b'T' && sep != b't' {
            return None;
        }
        if spaced {
            "Z"
        } else {
            // RFC 3339 forms need a zone.
            return None;
        }
    } else if spaced {
        return None;
    } else if b[p.i] == b'Z' && p.i + 1 == b.len() {
        "Z"
    } else if matches!(b[p.i], b'+' | b'-') && b.len() - p.i == 6 && b[p.i + 3] == b':' {
        let z = &s[p.i..];
        if !z[1..3].bytes().all(|c| c.is_ascii_digit())
            || !z[4..].bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        if z == "+00:00" || z == "-00:00" {
            "Z"
        } else {
            z
        }
    } else {
        return None;
    };
    format_time(year, month, day, hour, minute, second, frac, zone)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() && self.i - start < max {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    fn lit(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }
}

#[allow(clippy::too_many_arguments)]
fn format_time(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    frac: &str,
    zone: &str,
) -> Option<String> {
    // Validate the calendar date and clock (Go rejects Feb 30, hour 24, ...).
    jiff::civil::DateTime::new(
        year as i16,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .ok()?;
    let frac = frac.trim_end_matches('0');
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{frac}{zone}"
    ))
}

/// True when a string would not read back as a string if written plain
/// (yaml.v3 then double-quotes it). Includes yaml 1.1 booleans (`yes`, `on`, ...).
pub fn needs_quotes_to_stay_string(s: &str) -> bool {
    // Past five characters, only a digit, sign, dot or `~`/`<` can start something that
    // resolves to another type (the longest word that does is `false`).
    if s.len() > 5 && s.as_bytes()[0].is_ascii_alphabetic() {
        return false;
    }
    if matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    ) {
        return true;
    }
    if is_base60_float(s) {
        return true;
    }
    !matches!(
        resolve_plain(s),
        Resolved::Value(Value::Scalar(Scalar::Str(_)))
    )
}

/// yaml.v3 quotes YAML 1.1 sexagesimal floats like `190:20:30.15`.
fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        if b.get(i).is_some_and(|c| (b'0'..=b'5').contains(c))
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            i += 2;
        } else if b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Formats a float for YAML output.
pub fn float_text(f: f64) -> String {
    number::format_yaml(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Value {
        match resolve_plain(s) {
            Resolved::Value(v) => v,
            Resolved::Merge => Value::str("<<merge>>"),
            Resolved::Uint64 => Value::str("<<uint64>>"),
        }
    }

    #[test]
    fn yaml_v3_resolution() {
        assert_eq!(r("0x1F"), Value::Scalar(Scalar::Int(31)));
        assert_eq!(r("0o17"), Value::Scalar(Scalar::Int(15)));
        assert_eq!(r("017"), Value::Scalar(Scalar::Int(15)));
        assert_eq!(r("1_000"), Value::Scalar(Scalar::Int(1000)));
        assert_eq!(r("+5"), Value::Scalar(Scalar::Int(5)));
        assert_eq!(r("08"), Value::Scalar(Scalar::Float(8.0)));
        assert_eq!(r("1e10"), Value::Scalar(Scalar::Float(1e10)));
        assert_eq!(r("1.0"), Value::Scalar(Scalar::Float(1.0)));
        assert_eq!(r(".5"), Value::Scalar(Scalar::Float(0.5)));
        assert_eq!(
            r("99999999999999999999999"),
            Value::Scalar(Scalar::Float(1e23))
        );
        assert_eq!(r("18446744073709551615"), Value::str("<<uint64>>"));
        assert_eq!(r("yes"), Value::str("yes"));
        assert_eq!(r("True"), Value::Scalar(Scalar::Bool(true)));
        assert_eq!(r("~"), Value::Null);
        assert_eq!(r("<<"), Value::str("<<merge>>"));
        assert_eq!(r("1.2.3"), Value::str("1.2.3"));
        assert_eq!(r("-"), Value::str("-"));
    }

    #[test]
    fn timestamps_like_go() {
        assert_eq!(
            timestamp("2024-01-02").as_deref(),
            Some("2024-01-02T00:00:00Z")
        );
        assert_eq!(
            timestamp("2024-01-02T03:04:05Z").as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
        assert_eq!(
            timestamp("2024-1-2 3:4:5").as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
        assert_eq!(
            timestamp("2024-01-02T03:04:05.500+02:00").as_deref(),
            Some("2024-01-02T03:04:05.5+02:00")
        );
        assert_eq!(timestamp("2024-01-02 03:04:05.123+02:00"), None);
        assert_eq!(timestamp("2024-02-30"), None);
        assert_eq!(timestamp("2024-01-02T03:04:05"), None);
        assert_eq!(timestamp("12024-01-02"), None);
    }

    #[test]
    fn quoting_decisions() {
        for s in [
            "123",
            "yes",
            "null",
            "~",
            "2024-01-01",
            "1.5",
            "0x10",
            "true",
            "y",
            "1:20",
            "",
        ] {
            assert!(needs_quotes_to_stay_string(s), "{s}");
        }
        for s in ["hello", "a b", "1.2.3", "-", "x1"] {
            assert!(!needs_quotes_to_stay_string(s), "{s}");
        }
    }
}
