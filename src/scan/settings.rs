//! A repository's own scanner settings, from `.enseal.toml` (found by walking up from
//! the current directory, as `.sops.yaml` is) or `--scan-config`:
//!
//! ```toml
//! [[scan.rule]]              # more rules, in the built-in rules' format
//! id = "acme-internal-token"
//! regex = '''\b(acme_[a-z0-9]{32})\b'''
//! keywords = ["acme_"]
//!
//! [scan.allow]
//! paths = ['^testdata/', '\.snap$']   # files never reported (regexes on the path)
//! regexes = ['^EXAMPLE']               # secrets matching one of these are not reported
//! stopwords = ["sandbox", "dummy"]     # nor secrets containing one of these words
//! ```
//!
//! A baseline (`--baseline FILE` or `scan.baseline = "FILE"`, a JSON report from an
//! earlier `--format json` run)
//! lists accepted findings by fingerprint (rule, file, a hash of the secret), so moving
//! a line does not bring one back.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regex::bytes::Regex;

use super::rules::{self, Rule};

/// The settings file's name.
pub const FILE_NAME: &str = ".enseal.toml";

/// Why settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A rule is invalid.
    #[error(transparent)]
    Rule(#[from] rules::RuleError),
}

/// What the repository allows.
#[derive(Debug, Default)]
pub struct Allow {
    /// Paths never reported.
    pub paths: Vec<Regex>,
    /// Secrets matching one of these are not reported.
    pub regexes: Vec<Regex>,
    /// Secrets containing one of these (lower case) are not reported.
    pub stopwords: Vec<String>,
}

impl Allow {
    /// Whether a secret is allowed.
    pub fn secret(&self, secret: &[u8]) -> bool {
        if self.regexes.iter().any(|r| r.is_match(secret)) {
            return true;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords
            .iter()
            .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    }

    /// Whether a file is allowed.
    pub fn path(&self, path: &str) -> bool {
        self.paths.iter().any(|r| r.is_match(path.as_bytes()))
    }
}

/// The scanner settings of a repository.
#[derive(Debug, Default)]
pub struct Settings {
    /// Where they came from (`None`: no file).
    pub path: Option<PathBuf>,
    /// Rules beyond the built-in ones.
    pub rules: Vec<Rule>,
    /// The allowlist.
    pub allow: Allow,
    /// A baseline file named by `scan.baseline` (relative to the settings file).
    pub baseline: Option<PathBuf>,
}

/// Finds `.enseal.toml` from `start` upwards.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .take(100)
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads settings from `path`.
pub fn load(path: &Path) -> Result<Settings, SettingsError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown).map(|mut s| {
        s.path = Some(path.to_path_buf());
        let dir = path.parent().unwrap_or(Path::new("."));
        s.baseline = s.baseline.map(|b| dir.join(b));
        s
    })
}

/// Parses settings text.
pub fn parse(text: &str, shown: &str) -> Result<Settings, SettingsError> {
    let invalid = |reason: String| SettingsError::Invalid {
        path: shown.to_string(),
        reason,
    };
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| invalid(e.to_string()))?;
    let Some(scan) = doc.get("scan") else {
        return Ok(Settings::default());
    };
    // The rules use the built-in format: re-read them as a `[[rule]]` document.
    let rules = match scan.get("rule").and_then(|r| r.as_array_of_tables()) {
        Some(tables) => {
            let mut sub = toml_edit::DocumentMut::new();
            sub.insert("rule", toml_edit::Item::ArrayOfTables(tables.clone()));
            rules::parse(&sub.to_string(), shown, true)?
        }
        None => Vec::new(),
    };
    let list = |key: &str| -> Vec<String> {
        scan.get("allow")
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let regexes = |key: &str| -> Result<Vec<Regex>, SettingsError> {
        list(key)
            .iter()
            .map(|p| Regex::new(p).map_err(|e| invalid(format!("scan.allow.{key}: {e}"))))
            .collect()
    };
    let baseline = scan
        .get("baseline")
        .and_then(|v| v.as_str())
        .map(PathBuf::from);
    Ok(Settings {
        path: None,
        baseline,
        rules,
        allow: Allow {
            paths: regexes("paths")?,
            regexes: regexes("regexes")?,
            stopwords: list("stopwords")
                .iter()
                .map(|w| w.to_ascii_lowercase())
                .collect(),
        },
    })
}

/// The fingerprints a baseline file (a JSON report) accepts.
pub fn baseline(path: &Path) -> Result<HashSet<String>, SettingsError> {
    let shown = path.display().to_string();
    let text = std::fs::read(path).map_err(|source| SettingsError::Read {
        path: shown.clone(),
        source,
    })?;
    let report: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| SettingsError::Invalid {
            path: shown.clone(),
            reason: format!("not a JSON report of `enseal scan --format json`: {e}"),
        })?;
    let Some(findings) = report.get("findings").and_then(|f| f.as_array()) else {
        return Err(SettingsError::Invalid {
            path: shown,
            reason: "no `findings` list: write a baseline with `enseal scan --format json -o FILE`"
                .into(),
        });
    };
    Ok(findings
        .iter()
        .filter_map(|f| {
            f.get("fingerprint")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_allowlists() {
        let s = parse(
            "[[scan.rule]]\nid = \"acme\"\nregex = '''\\b(acme_[a-z0-9]{8})\\b'''\nkeywords = [\"acme_\"]\n\n[scan.allow]\npaths = ['^testdata/']\nregexes = ['^EXAMPLE']\nstopwords = ['Sandbox']\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(s.rules.len(), 1);
        assert!(s.allow.path("testdata/x.env") && !s.allow.path("src/x.env"));
        assert!(s.allow.secret(b"EXAMPLEabc") && s.allow.secret(b"my-sandbox-key"));
        assert!(!s.allow.secret(b"q7Rt2ZkLm9XwP4vN"));
        assert!(parse("[[scan.rule]]\nid = \"x\"\nregex = '('\n", "t").is_err());
        assert!(parse("[scan.allow]\npaths = ['(']\n", "t").is_err());
        assert!(parse("", "t").unwrap().rules.is_empty());
    }
}
