//! Detection rules: what a secret of each kind looks like.
//!
//! Rules are data (`rules.toml` beside this file, built in; more can come from the
//! config): an id, a description, a regex whose first capture group (or whole match)
//! is the secret, keywords that must occur in a line before the regex is tried (the
//! fast prefilter), an optional minimum entropy of the secret, a severity and a
//! confidence.

use regex::bytes::Regex;

/// How bad a leak of this kind is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Test or low-value material.
    Low,
    /// Limited scope.
    Medium,
    /// Broad access.
    High,
    /// Account-wide or production access.
    Critical,
}

impl Rule {
    /// A rule whose findings come from elsewhere than a regex (it has no keywords and
    /// no pattern, so the matcher never runs it).
    pub fn reporting(id: &str, description: &str, severity: Severity) -> Rule {
        Rule {
            id: id.to_string(),
            description: description.to_string(),
            pattern: String::new(),
            compiled: std::sync::OnceLock::new(),
            keywords: Vec::new(),
            entropy: None,
            severity,
            confidence: Confidence::High,
            value_checks: false,
        }
    }

    /// The compiled regex (`None` if the pattern does not compile: never for a rule
    /// that [`parse`] accepted).
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile(&self.pattern).ok())
            .as_ref()
    }
}

/// Compiles a pattern with ASCII classes and case folding: secrets are ASCII, and
/// Unicode-aware `\w` and `(?i)` make every regex many times larger to build and run.
fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(1 << 22)
        .build()
}

impl Severity {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// How sure a match of the rule is to be a real secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// A name and a random-looking value (the generic rule).
    Low,
    /// A shape shared with some non-secrets, or a name-bound shape.
    Medium,
    /// A distinctive prefix or structure.
    High,
}

impl Confidence {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    fn parse(s: &str) -> Option<Confidence> {
        Some(match s {
            "low" => Confidence::Low,
            "medium" => Confidence::Medium,
            "high" => Confidence::High,
            _ => return None,
        })
    }
}

/// One rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id (`github-pat`).
    pub id: String,
    /// What it finds.
    pub description: String,
    /// The pattern; capture group 1 (else the match) is the secret.
    pub pattern: String,
    /// Built on first use: most rules never run on a given repository (their
    /// keywords never occur), and building all of them costs more than a scan.
    compiled: std::sync::OnceLock<Option<Regex>>,
    /// Lower-case literals, one of which must occur on the line (empty: every line).
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret (bits per character).
    pub entropy: Option<f64>,
    /// How bad a leak is.
    pub severity: Severity,
    /// How sure a match is.
    pub confidence: Confidence,
    /// The secret must pass the generic value checks (mixed characters, not code, not
    /// a placeholder): for rules that key on a name rather than a shape.
    pub value_checks: bool,
}

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The TOML does not parse.
    #[error("{source_name}: {reason}")]
    Syntax {
        /// Where the rules came from.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// A rule is incomplete or invalid.
    #[error("{source_name}: rule {id:?}: {reason}")]
    Invalid {
        /// Where the rules came from.
        source_name: String,
        /// The rule.
        id: String,
        /// Why.
        reason: String,
    },
}

/// The built-in rules' source.
pub const BUILTIN: &str = include_str!("rules.toml");

/// Parses rules from TOML (`[[rule]]` tables). With `check`, every regex is compiled
/// now, so a bad one is reported at load (the built-in ones are checked by a test).
pub fn parse(text: &str, source_name: &str, check: bool) -> Result<Vec<Rule>, RuleError> {
    let doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| RuleError::Syntax {
                source_name: source_name.to_string(),
                reason: e.to_string(),
            })?;
    let Some(tables) = doc.get("rule").and_then(|r| r.as_array_of_tables()) else {
        return Ok(Vec::new());
    };
    let mut rules = Vec::new();
    for t in tables.iter() {
        let text = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let id = text("id").unwrap_or_default();
        let invalid = |reason: String| RuleError::Invalid {
            source_name: source_name.to_string(),
            id: id.clone(),
            reason,
        };
        if id.is_empty() {
            return Err(invalid("no id".into()));
        }
        let pattern = text("regex").ok_or_else(|| invalid("no regex".into()))?;
        let compiled = std::sync::OnceLock::new();
        if check {
            let regex = compile(&pattern).map_err(|e| invalid(format!("regex: {e}")))?;
            let _ = compiled.set(Some(regex));
        }
        let keywords = t
            .get("keywords")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str())
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let entropy = t
            .get("entropy")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
        let severity = match text("severity") {
            Some(s) => Severity::parse(&s).ok_or_else(|| invalid(format!("severity {s:?}")))?,
            None => Severity::High,
        };
        let confidence = match text("confidence") {
            Some(s) => Confidence::parse(&s).ok_or_else(|| invalid(format!("confidence {s:?}")))?,
            None => Confidence::High,
        };
        let value_checks = t
            .get("value_checks")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        rules.push(Rule {
            description: text("description").unwrap_or_else(|| id.clone()),
            id,
            pattern,
            compiled,
            keywords,
            entropy,
            severity,
            confidence,
            value_checks,
        });
    }
    Ok(rules)
}

/// The built-in rules.
pub fn builtin() -> Vec<Rule> {
    // Checked by a test: the built-in file always parses.
    parse(BUILTIN, "built-in rules", false).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_and_are_many() {
        let rules = parse(BUILTIN, "built-in", true).unwrap();
        assert!(rules.len() >= 150, "{} rules", rules.len());
        let mut ids = std::collections::HashSet::new();
        for r in &rules {
            assert!(ids.insert(&r.id), "duplicate id {}", r.id);
            assert!(
                !r.keywords.is_empty(),
                "{}: every built-in rule has keywords (the prefilter)",
                r.id
            );
        }
    }
}
