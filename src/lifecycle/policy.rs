//! Lifecycle settings in `.enseal.toml` (beside the scanner's): rotation policies,
//! access rules and the audit log.
//!
//! ```toml
//! [[policy]]                       # the first policy that matches decides each field
//! path_regex = '^secrets/prod/'    # the file (relative to the repository top)
//! key_regex = 'password$'          # the key path (`db.password`, `hosts[0]`)
//! rotate_after = "90d"             # h, d, w or y
//! expires = "2027-01-31"           # must be rotated before this day
//! generator = "password:32"        # what `rotate --due` puts in its place
//!
//! [[policy]]
//! path_regex = '^secrets/'
//! data_key_rotate_after = "180d"   # a new data key at least this often
//!
//! [[access.rule]]                  # checked by `enseal access --check`
//! path_regex = '^secrets/prod/'
//! deny = ["age1contractor…"]       # recipients (or fingerprints, ARNs…) never allowed
//! require = ["age1breakglass…"]    # recipients every matching file must list
//!
//! [audit]
//! log = "/var/log/enseal/audit.jsonl"   # or ENSEAL_AUDIT_LOG
//! ```

use regex::Regex;

use super::duration::{parse_duration, DurationError};
use super::generate::{Generator, GeneratorError};

/// One `[[policy]]`.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Files it applies to (all when absent).
    pub path_regex: Option<Regex>,
    /// Key paths it applies to (all when absent).
    pub key_regex: Option<Regex>,
    /// Maximum age of a value, in seconds.
    pub rotate_after: Option<i64>,
    /// The day by which a value must have been rotated, as `YYYY-MM-DD`.
    pub expires: Option<jiff::civil::Date>,
    /// How to make a new value.
    pub generator: Option<Generator>,
    /// Maximum age of a file's data key, in seconds.
    pub data_key_rotate_after: Option<i64>,
}

/// One `[[access.rule]]`.
#[derive(Debug, Clone)]
pub struct AccessRule {
    /// Files it applies to.
    pub path_regex: Option<Regex>,
    /// Recipients that must not be able to decrypt.
    pub deny: Vec<String>,
    /// Recipients that must be able to decrypt.
    pub require: Vec<String>,
}

/// All lifecycle settings.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    /// Rotation policies, in order.
    pub policies: Vec<Policy>,
    /// Access rules.
    pub access: Vec<AccessRule>,
    /// Where the audit log goes, if anywhere.
    pub audit_log: Option<String>,
}

/// Why the settings are invalid.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not TOML.
    #[error("{0}")]
    Syntax(String),
    /// A field with a bad value.
    #[error("{what}: {reason}")]
    Field {
        /// Which field (`policy[2].rotate_after`).
        what: String,
        /// Why.
        reason: String,
    },
}

/// The policy fields that decide one value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Maximum age, seconds.
    pub rotate_after: Option<i64>,
    /// Rotate before this day.
    pub expires: Option<jiff::civil::Date>,
    /// The generator, as written.
    pub generator: Option<Generator>,
}

impl Lifecycle {
    /// Parses the lifecycle parts of `.enseal.toml`.
    pub fn parse(text: &str) -> Result<Lifecycle, PolicyError> {
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| PolicyError::Syntax(e.to_string()))?;
        let mut out = Lifecycle::default();
        if let Some(tables) = doc.get("policy").and_then(|p| p.as_array_of_tables()) {
            for (i, t) in tables.iter().enumerate() {
                let what = |f: &str| format!("policy[{}].{f}", i + 1);
                let field = |f: &str, reason: String| PolicyError::Field {
                    what: what(f),
                    reason,
                };
                let text = |f: &str| t.get(f).and_then(|v| v.as_str()).map(str::to_string);
                let regex = |f: &str| {
                    text(f)
                        .map(|r| Regex::new(&r).map_err(|e| field(f, e.to_string())))
                        .transpose()
                };
                let duration = |f: &str| {
                    text(f)
                        .map(|d| {
                            parse_duration(&d).map_err(|e: DurationError| field(f, e.to_string()))
                        })
                        .transpose()
                };
                let expires = text("expires")
                    .map(|d| {
                        d.parse::<jiff::civil::Date>().map_err(|_| {
                            field("expires", format!("{d:?} is not a date like 2027-01-31"))
                        })
                    })
                    .transpose()?;
                let generator = text("generator")
                    .map(|g| {
                        Generator::parse(&g)
                            .map_err(|e: GeneratorError| field("generator", e.to_string()))
                    })
                    .transpose()?;
                out.policies.push(Policy {
                    path_regex: regex("path_regex")?,
                    key_regex: regex("key_regex")?,
                    rotate_after: duration("rotate_after")?,
                    expires,
                    generator,
                    data_key_rotate_after: duration("data_key_rotate_after")?,
                });
            }
        }
        if let Some(tables) = doc
            .get("access")
            .and_then(|a| a.get("rule"))
            .and_then(|r| r.as_array_of_tables())
        {
            for (i, t) in tables.iter().enumerate() {
                let list = |f: &str| -> Vec<String> {
                    t.get(f)
                        .and_then(|v| v.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let path_regex = t
                    .get("path_regex")
                    .and_then(|v| v.as_str())
                    .map(|r| {
                        Regex::new(r).map_err(|e| PolicyError::Field {
                            what: format!("access.rule[{}].path_regex", i + 1),
                            reason: e.to_string(),
                        })
                    })
                    .transpose()?;
                out.access.push(AccessRule {
                    path_regex,
                    deny: list("deny"),
                    require: list("require"),
                });
            }
        }
        out.audit_log = doc
            .get("audit")
            .and_then(|a| a.get("log"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        Ok(out)
    }

    /// The policy for the value at `key` of `file` (repository-relative, `/`-separated):
    /// each field from the first policy that matches and sets it.
    pub fn for_value(&self, file: &str, key: &str) -> Applied {
        let mut a = Applied::default();
        for p in self
            .matching(file)
            .filter(|p| p.key_regex.as_ref().is_none_or(|r| r.is_match(key)))
        {
            if a.rotate_after.is_none() {
                a.rotate_after = p.rotate_after;
            }
            if a.expires.is_none() {
                a.expires = p.expires;
            }
            if a.generator.is_none() {
                a.generator = p.generator.clone();
            }
        }
        a
    }

    /// The maximum data key age for `file`.
    pub fn data_key_max_age(&self, file: &str) -> Option<i64> {
        self.matching(file).find_map(|p| p.data_key_rotate_after)
    }

    fn matching<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a Policy> + 'a {
        self.policies
            .iter()
            .filter(move |p| p.path_regex.as_ref().is_none_or(|r| r.is_match(file)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_match_decides_each_field() {
        let l = Lifecycle::parse(
            "[[policy]]\npath_regex = '^prod/'\nkey_regex = 'password$'\nrotate_after = \"30d\"\ngenerator = \"password:24\"\n\n[[policy]]\nrotate_after = \"90d\"\nexpires = \"2027-01-31\"\ndata_key_rotate_after = \"1y\"\n\n[[access.rule]]\npath_regex = '^prod/'\ndeny = ['age1x']\n\n[audit]\nlog = 'a.jsonl'\n",
        )
        .unwrap();
        let a = l.for_value("prod/db.yaml", "db.password");
        assert_eq!(a.rotate_after, Some(30 * 86400));
        assert_eq!(a.expires, Some(jiff::civil::date(2027, 1, 31)));
        assert!(a.generator.is_some());
        let b = l.for_value("dev/db.yaml", "db.password");
        assert_eq!(b.rotate_after, Some(90 * 86400));
        assert!(b.generator.is_none());
        assert_eq!(l.data_key_max_age("x"), Some(365 * 86400));
        assert_eq!(l.access[0].deny, vec!["age1x"]);
        assert_eq!(l.audit_log.as_deref(), Some("a.jsonl"));
        let err = Lifecycle::parse("[[policy]]\nrotate_after = \"soon\"\n").unwrap_err();
        assert!(
            err.to_string().starts_with("policy[1].rotate_after: "),
            "{err}"
        );
        assert!(Lifecycle::parse("[[policy]]\nexpires = \"31/01/2027\"\n").is_err());
        assert!(Lifecycle::parse("[[policy]]\ngenerator = \"magic:3\"\n").is_err());
    }
}
