//! The secret scanner: plaintext secrets in files (and, through the hook, in what is
//! about to be committed).
//!
//! - [`rules`]: the rule set (built-in `rules.toml`, more from the config).
//! - [`engine`]: the matcher (keyword prefilter, then regexes on candidate lines).
//! - [`known`]: the repository's own encrypted values, found in clear.
//! - [`filter`]: placeholders, references, entropy, allow markers.
//! - [`settings`]: a repository's rules, allowlists and baseline (`.enseal.toml`).
//! - [`walk`]: which files to read (`.gitignore` respected, binaries and huge files
//!   skipped with a note), in parallel.
//! - [`history`]: staged changes, commit ranges and the whole history as sources.
//! - [`report`]: text, JSON and SARIF 2.1.0.
//!
//! sops ciphertext is never a finding; a plaintext file a `.sops.yaml` creation rule
//! says to encrypt always is (rule `enseal-unencrypted-file`).

pub mod engine;
pub mod filter;
pub mod history;
pub mod known;
pub mod report;
pub mod rules;
pub mod settings;
pub mod walk;

use sha2::{Digest, Sha256};

pub use engine::{Hit, Scanner};
pub use rules::{Confidence, Rule, Severity};

/// One finding, ready to report. Holds no secret: only a redacted form and a
/// fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// How bad.
    pub severity: Severity,
    /// How sure.
    pub confidence: Confidence,
    /// The file (as given or found).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The secret cut to its first characters (`ghp_…`, 40 chars).
    pub redacted: String,
    /// A stable id of (rule, file, secret): the secret enters only through a hash.
    pub fingerprint: String,
    /// The commit that introduced it (history scans).
    pub commit: Option<String>,
}

/// The id of findings of the known-secret detector.
pub const KNOWN_SECRET: &str = "enseal-known-secret";

/// The id of the finding for a plaintext file that a creation rule says to encrypt.
pub const UNENCRYPTED_FILE: &str = "enseal-unencrypted-file";

/// Turns a hit in `text` (the file `path`) into a finding.
pub fn finding(scanner: &Scanner, path: &str, text: &[u8], hit: &Hit) -> Finding {
    let rule = &scanner.rules[hit.rule];
    let secret = &text[hit.start..hit.end];
    Finding {
        rule_id: rule.id.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        confidence: rule.confidence,
        path: path.to_string(),
        line: hit.line,
        column: hit.column,
        redacted: redact(secret),
        fingerprint: fingerprint(&rule.id, path, secret),
        commit: None,
    }
}

/// The first few characters of a secret and its length: enough to recognise it,
/// not enough to use it.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars = text.chars().count();
    // Short secrets show less: a quarter, at most 4 characters.
    let shown = (chars / 4).clamp(1, 4);
    let head: String = text.chars().take(shown).collect();
    format!("{head}… ({chars} chars)")
}

/// `sha256(rule, file, sha256(secret))`, hex, cut to 32 characters.
pub fn fingerprint(rule: &str, path: &str, secret: &[u8]) -> String {
    let inner = Sha256::digest(secret);
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(inner);
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
