//! Scan reports: text for people, JSON for scripts, SARIF 2.1.0 for code scanning
//! (GitHub, GitLab, Azure DevOps). No report holds a secret: only its redacted form and
//! a fingerprint.

use serde_json::{json, Value};

use super::{Finding, Severity};

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `path:line:col: severity rule: description (redacted)`.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            _ => return None,
        })
    }
}

/// The text report: one line per finding.
pub fn text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}:{}:{}: {} {}: {}",
            f.path,
            f.line,
            f.column,
            f.severity.name(),
            f.rule_id,
            f.description
        ));
        if !f.redacted.is_empty() {
            out.push_str(&format!(" [{}]", f.redacted));
        }
        if let Some(c) = &f.commit {
            out.push_str(&format!(" (commit {})", &c[..c.len().min(12)]));
        }
        out.push('\n');
    }
    out
}

/// The JSON report.
pub fn json(findings: &[Finding], skipped: &[(String, String)], files: usize, bytes: u64) -> Value {
    json!({
        "findings": findings.iter().map(|f| json!({
            "path": f.path,
            "line": f.line,
            "column": f.column,
            "rule": f.rule_id,
            "description": f.description,
            "severity": f.severity.name(),
            "confidence": f.confidence.name(),
            "secret": f.redacted,
            "fingerprint": f.fingerprint,
            "commit": f.commit,
        })).collect::<Vec<_>>(),
        "skipped": skipped.iter().map(|(p, why)| json!({"path": p, "reason": why})).collect::<Vec<_>>(),
        "files": files,
        "bytes": bytes,
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` scale (0-10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A file path as a SARIF URI reference (relative, `/`-separated, percent-encoded).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF 2.1.0 log: the rules that fired, then the results.
pub fn sarif(findings: &[Finding]) -> Value {
    let mut rules: Vec<&Finding> = Vec::new();
    for f in findings {
        if !rules.iter().any(|r| r.rule_id == f.rule_id) {
            rules.push(f);
        }
    }
    let rule_index = |id: &str| rules.iter().position(|r| r.rule_id == id).unwrap_or(0);
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "enseal",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/enseal/enseal",
                    "rules": rules.iter().map(|r| json!({
                        "id": r.rule_id,
                        "shortDescription": {"text": r.description},
                        "defaultConfiguration": {"level": level(r.severity)},
                        "properties": {
                            "security-severity": security_severity(r.severity),
                            "precision": match r.confidence {
                                super::Confidence::High => "high",
                                super::Confidence::Medium => "medium",
                                super::Confidence::Low => "low",
                            },
                            "tags": ["security", "secret"],
                        },
                    })).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": findings.iter().map(|f| json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_index(&f.rule_id),
                "level": level(f.severity),
                "message": {"text": if f.redacted.is_empty() {
                    f.description.clone()
                } else {
                    format!("{} ({})", f.description, f.redacted)
                }},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }],
                "partialFingerprints": {"enseal/v1": f.fingerprint},
                "properties": match &f.commit {
                    Some(c) => json!({"commit": c}),
                    None => json!({}),
                },
            })).collect::<Vec<_>>(),
        }]
    })
}
