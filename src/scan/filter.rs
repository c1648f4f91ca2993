//! What a regex match must also be to count as a secret: random enough, not a
//! placeholder or a documentation key, not a reference to a secret kept elsewhere
//! (`process.env.TOKEN`, `${DB_PASSWORD}`), not sops ciphertext.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::rules::Rule;

/// Markers that allow a line: enseal's own, and those of gitleaks and detect-secrets
/// (so allowlisted lines stay allowed for teams that switch).
const ALLOW_MARKERS: [&[u8]; 3] = [
    b"enseal:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
];

/// The markers' searchers, built once (building one costs more than a short search).
static ALLOW_FINDERS: LazyLock<Vec<Finder<'static>>> =
    LazyLock::new(|| ALLOW_MARKERS.iter().map(|m| Finder::new(*m)).collect());
static ENC: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"ENC[AES256_GCM"));

/// True when the line says its secret-like text is fine.
pub fn line_allows(line: &[u8]) -> bool {
    ALLOW_FINDERS.iter().any(|f| f.find(line).is_some())
}

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for b in s {
        counts[*b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a value as an example or a stand-in (compared in lower case).
const PLACEHOLDERS: [&str; 22] = [
    "example",
    "xxxxxx",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "dummy",
    "placeholder",
    "redacted",
    "insert",
    "sample",
    "fake",
    "lorem",
    "notreal",
    "not_real",
    "test_key",
    "testtoken",
];

/// True for values that stand in for a secret rather than being one.
pub fn is_placeholder(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    if PLACEHOLDERS.iter().any(|p| text.contains(p)) {
        return true;
    }
    // Templates and references: ${VAR}, {{ .Values.x }}, <your token>, %(name)s, $VAR.
    if ["${", "{{", "}}", "<", ">", "%(", "$("]
        .iter()
        .any(|t| text.contains(t))
        || v.first() == Some(&b'$')
    {
        return true;
    }
    // One character repeated, or a run like 0123456789 / abcdef.
    let distinct = {
        let mut seen = [false; 256];
        v.iter()
            .filter(|b| !std::mem::replace(&mut seen[**b as usize], true))
            .count()
    };
    distinct <= 2 || text.contains("123456789") || text.contains("abcdefgh")
}

/// True for `os.environ`, `process.env.API_KEY`, `var.db_password`,
/// `data.aws_ssm_parameter.x.value`: code that names a secret kept elsewhere.
pub fn is_code_reference(v: &[u8]) -> bool {
    let parts: Vec<&[u8]> = v.split(|b| *b == b'.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p[0].is_ascii_alphabetic() || p[0] == b'_')
                && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
}

/// A UUID (identifiers, not secrets, unless a provider rule says otherwise).
pub fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Checks for values found by their name rather than their shape: a random-looking
/// value that is neither a placeholder, nor code, nor an identifier.
pub fn plausible_value(v: &[u8]) -> bool {
    let (mut lower, mut upper, mut digit) = (false, false, false);
    for b in v {
        lower |= b.is_ascii_lowercase();
        upper |= b.is_ascii_uppercase();
        digit |= b.is_ascii_digit();
    }
    let classes = [lower, upper, digit].iter().filter(|c| **c).count();
    classes >= 2 && !is_code_reference(v) && !is_uuid(v) && !is_placeholder(v)
}

/// Whether a match of `rule` with secret `value` on `line` counts.
pub fn accepts(rule: &Rule, value: &[u8], line: &[u8]) -> bool {
    if let Some(min) = rule.entropy {
        // Hex carries 4 bits a character at most (base64 6): a random 32-character
        // hex string often measures 3.2 or less.
        let min = if value.iter().all(u8::is_ascii_hexdigit) {
            min * 0.85
        } else {
            min
        };
        if entropy(value) < min {
            return false;
        }
    }
    if rule.value_checks && !plausible_value(value) {
        return false;
    }
    if ENC.find(value).is_some() || (rule.value_checks && ENC.find(line).is_some()) {
        return false;
    }
    // Documentation keys (AWS's AKIAIOSFODNN7EXAMPLE) and stand-ins are never secrets.
    !is_placeholder(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_references_are_not_secrets() {
        for v in [
            &b"AKIAIOSFODNN7EXAMPLE"[..],
            b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            b"${DB_PASSWORD}",
            b"<your-github-token>",
            b"changeme-in-production",
            b"REPLACE_ME",
        ] {
            assert!(
                is_placeholder(v) || !plausible_value(v),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
        assert!(is_code_reference(b"process.env.OPENAI_API_KEY"));
        assert!(is_code_reference(b"data.aws_ssm_parameter.x.value"));
        assert!(!is_code_reference(b"vNXXqo2vykzB/KU6lYlgqhEVv/k8EI/5"));
        assert!(plausible_value(b"vNXXqo2vykzB/KU6lYlgqhEVv/k8EI/5"));
        assert!(plausible_value(b"4bb44b16642c75bba41fd597108781fc890ce158"));
        assert!(!plausible_value(b"3f2a1c4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"));
        assert!(entropy(b"aaaa") < 0.01);
        assert!((entropy(b"ab") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn allow_markers() {
        assert!(line_allows(b"token = \"abc\"  # enseal:allow"));
        assert!(line_allows(b"key = 1 // gitleaks:allow"));
        assert!(!line_allows(b"token = \"abc\""));
    }
}
