//! `.sops.yaml`: finding it, reading its creation rules, and picking the rule for a
//! file (sops-format §9). The file is plain configuration without secrets, so it is
//! read with serde (`yaml_serde`, the maintained successor of serde_yaml).

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::cipher::select::Selector;
use crate::format::{EmitOptions, Format};
use crate::keys::{AgeKey, AzureKvKey, GcpKmsKey, KeyGroup, KmsKey, PgpKey, VaultKey};

/// The config file name sops looks for.
pub const CONFIG_NAME: &str = ".sops.yaml";

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read config: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path}: invalid config: {reason}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A config exists but none of its rules matches the file.
    #[error("{config}: no matching creation rules found for {file}")]
    NoMatchingRule {
        /// The config file.
        config: PathBuf,
        /// The file being encrypted.
        file: String,
    },
}

/// A list given either as a comma-separated string or a YAML list.
#[derive(Deserialize, Default, Clone)]
#[serde(untagged)]
enum StringOrList {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    fn items(&self) -> Vec<String> {
        let raw: Vec<&str> = match self {
            StringOrList::None => Vec::new(),
            StringOrList::One(s) => s.split(',').collect(),
            StringOrList::Many(v) => v.iter().flat_map(|s| s.split(',')).collect(),
        };
        raw.into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

#[derive(Deserialize, Default)]
struct RawConfig {
    creation_rules: Option<Vec<RawRule>>,
    stores: Option<RawStores>,
}

#[derive(Deserialize, Default)]
struct RawStores {
    yaml: Option<RawIndent>,
    json: Option<RawIndent>,
    json_binary: Option<RawIndent>,
}

#[derive(Deserialize, Default)]
struct RawIndent {
    indent: Option<i64>,
}

#[derive(Deserialize, Default)]
struct RawRule {
    path_regex: Option<String>,
    #[serde(default)]
    age: StringOrList,
    #[serde(default)]
    pgp: StringOrList,
    #[serde(default)]
    kms: StringOrList,
    #[serde(default)]
    gcp_kms: StringOrList,
    #[serde(default)]
    azure_keyvault: StringOrList,
    #[serde(default)]
    hc_vault_transit_uri: StringOrList,
    aws_profile: Option<String>,
    key_groups: Option<Vec<RawGroup>>,
    shamir_threshold: Option<usize>,
    unencrypted_suffix: Option<String>,
    encrypted_suffix: Option<String>,
    unencrypted_regex: Option<String>,
    encrypted_regex: Option<String>,
    unencrypted_comment_regex: Option<String>,
    encrypted_comment_regex: Option<String>,
    mac_only_encrypted: Option<bool>,
}

#[derive(Deserialize, Default)]
struct RawGroup {
    #[serde(default)]
    age: Vec<String>,
    #[serde(default)]
    pgp: Vec<String>,
    #[serde(default)]
    kms: Vec<RawKms>,
    #[serde(default)]
    gcp_kms: Vec<RawGcp>,
    #[serde(default)]
    azure_keyvault: Vec<RawAzure>,
    #[serde(default)]
    hc_vault: Vec<String>,
    #[serde(default)]
    merge: Vec<RawGroup>,
}

#[derive(Deserialize, Default)]
struct RawKms {
    arn: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    context: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    aws_profile: String,
}

#[derive(Deserialize, Default)]
struct RawGcp {
    resource_id: String,
}

#[derive(Deserialize, Default)]
struct RawAzure {
    #[serde(rename = "vaultUrl")]
    vault_url: String,
    key: String,
    #[serde(default)]
    version: String,
}

/// What the matching creation rule asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreationRule {
    /// Key groups with recipients only (nothing wrapped yet). Empty: the rule names no keys.
    pub key_groups: Vec<KeyGroup>,
    /// Shamir threshold (0: default).
    pub shamir_threshold: usize,
    /// The selector, if the rule sets one.
    pub selector: Option<Selector>,
    /// MAC only over encrypted values.
    pub mac_only_encrypted: bool,
}

/// The creation rules' path patterns, compiled.
#[derive(Debug)]
pub struct PathRules {
    /// The config's directory (paths are matched relative to it), normalized.
    dir: PathBuf,
    /// Each rule's `path_regex` (source and compiled); `None`: the rule matches any file.
    rules: Vec<Option<(String, Regex)>>,
}

impl PathRules {
    /// The `path_regex` of the first rule matching `abs` (an absolute path), when that
    /// rule has one: the file is one the config says to encrypt. A catch-all rule
    /// without `path_regex` only gives defaults to `encrypt`, and says nothing about
    /// which files must be encrypted.
    pub fn required_by(&self, abs: &Path) -> Option<&str> {
        let abs = normalize(abs);
        let subject = match abs.strip_prefix(&self.dir) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => abs.to_string_lossy().into_owned(),
        };
        for rule in &self.rules {
            match rule {
                None => return None,
                Some((source, re)) if re.is_match(&subject) => return Some(source),
                Some(_) => {}
            }
        }
        None
    }

    /// The `path_regex`es, in rule order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().flatten().map(|(s, _)| s.as_str())
    }

    /// The directory paths are matched relative to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A loaded `.sops.yaml`.
#[derive(Default)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    rules: Vec<RawRule>,
    stores: RawStores,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config").field("path", &self.path).finish()
    }
}

/// Walks up from `start` (at most 100 levels) for `.sops.yaml`. Returns the path and
/// any `.sops.yml` seen on the way (sops ignores those, with a warning).
pub fn find(start: &Path) -> (Option<PathBuf>, Vec<PathBuf>) {
    let mut ignored = Vec::new();
    let mut dir = Some(start);
    for _ in 0..100 {
        let Some(d) = dir else { break };
        let candidate = d.join(CONFIG_NAME);
        if candidate.is_file() {
            return (Some(candidate), ignored);
        }
        let yml = d.join(".sops.yml");
        if yml.is_file() {
            ignored.push(yml);
        }
        dir = d.parent();
    }
    (None, ignored)
}

impl Config {
    /// Reads and validates a config file. A file without `creation_rules` loads with no rules.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses config text (`path` is used for messages and relative matching).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let raw: RawConfig = if text.trim().is_empty() {
            RawConfig::default()
        } else {
            yaml_serde::from_str(text).map_err(|e| invalid(e.to_string()))?
        };
        let rules = raw.creation_rules.unwrap_or_default();
        for (i, rule) in rules.iter().enumerate() {
            if let Some(re) = &rule.path_regex {
                Regex::new(re)
                    .map_err(|e| invalid(format!("creation_rules[{i}].path_regex: {e}")))?;
            }
            selector_of(rule).map_err(|r| invalid(format!("creation_rules[{i}]: {r}")))?;
            if let Some(groups) = &rule.key_groups {
                for (g, group) in groups.iter().enumerate() {
                    if build_group(group).is_empty() {
                        return Err(invalid(format!(
                            "creation_rules[{i}].key_groups[{g}]: empty key group provided"
                        )));
                    }
                }
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            rules,
            stores: raw.stores.unwrap_or_default(),
        })
    }

    /// True when the file has creation rules (sops treats a config without them as absent).
    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }

    /// The first rule matching `file` (a path as given on the command line, or the
    /// `--filename-override`), resolved relative to the config's directory.
    pub fn rule_for(&self, file: &Path, cwd: &Path) -> Result<CreationRule, ConfigError> {
        let abs = if file.is_absolute() {
            file.to_path_buf()
        } else {
            cwd.join(file)
        };
        let abs = normalize(&abs);
        let config_dir = normalize(&self.path.parent().map(|p| cwd.join(p)).unwrap_or_default());
        let subject = match abs.strip_prefix(&config_dir) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => abs.to_string_lossy().into_owned(),
        };
        for rule in &self.rules {
            let matches = match &rule.path_regex {
                None => true,
                Some(re) => Regex::new(re)
                    .map(|r| r.is_match(&subject))
                    .unwrap_or(false),
            };
            if matches {
                return Ok(CreationRule {
                    key_groups: groups_of(rule),
                    shamir_threshold: rule.shamir_threshold.unwrap_or(0),
                    selector: selector_of(rule).unwrap_or(None),
                    mac_only_encrypted: rule.mac_only_encrypted.unwrap_or(false),
                });
            }
        }
        Err(ConfigError::NoMatchingRule {
            config: self.path.clone(),
            file: file.display().to_string(),
        })
    }

    /// Every creation rule in order: its `path_regex` (`None`: any file), key groups
    /// (nothing wrapped) and threshold. For `doctor`.
    pub fn rules(&self) -> Vec<(Option<String>, Vec<KeyGroup>, usize)> {
        self.rules
            .iter()
            .map(|r| {
                (
                    r.path_regex.clone(),
                    groups_of(r),
                    r.shamir_threshold.unwrap_or(0),
                )
            })
            .collect()
    }

    /// The rules' `path_regex`es, compiled once, for matching many paths (the
    /// pre-commit check, `git setup`).
    pub fn path_rules(&self, cwd: &Path) -> PathRules {
        let dir = normalize(&cwd.join(self.path.parent().unwrap_or(Path::new(""))));
        PathRules {
            dir,
            rules: self
                .rules
                .iter()
                .map(|r| {
                    r.path_regex
                        .as_ref()
                        .and_then(|re| Regex::new(re).ok().map(|c| (re.clone(), c)))
                })
                .collect(),
        }
    }

    /// Indentation settings for a store (`stores.yaml.indent`, ...).
    pub fn emit_options(&self, format: Format) -> EmitOptions {
        let raw = match format {
            Format::Yaml => self.stores.yaml.as_ref(),
            Format::Json => self.stores.json.as_ref(),
            Format::Binary => self.stores.json_binary.as_ref(),
            _ => None,
        };
        EmitOptions {
            indent: raw
                .and_then(|r| r.indent)
                .filter(|n| *n >= 0)
                .map(|n| n as usize),
        }
    }
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn selector_of(rule: &RawRule) -> Result<Option<Selector>, String> {
    let set: Vec<Selector> = [
        ("unencrypted_suffix", &rule.unencrypted_suffix),
        ("encrypted_suffix", &rule.encrypted_suffix),
        ("unencrypted_regex", &rule.unencrypted_regex),
        ("encrypted_regex", &rule.encrypted_regex),
        ("unencrypted_comment_regex", &rule.unencrypted_comment_regex),
        ("encrypted_comment_regex", &rule.encrypted_comment_regex),
    ]
    .into_iter()
    .filter_map(|(f, v)| {
        v.clone()
            .filter(|v| !v.is_empty())
            .and_then(|v| Selector::from_field(f, v))
    })
    .collect();
    match set.len() {
        0 => Ok(None),
        1 => Ok(set.into_iter().next()),
        _ => Err("cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex".into()),
    }
}

fn groups_of(rule: &RawRule) -> Vec<KeyGroup> {
    if let Some(groups) = &rule.key_groups {
        return groups.iter().map(build_group).collect();
    }
    let profile = rule.aws_profile.clone().unwrap_or_default();
    let group = KeyGroup {
        age: rule.age.items().into_iter().map(age_key).collect(),
        pgp: rule.pgp.items().into_iter().map(pgp_key).collect(),
        kms: rule
            .kms
            .items()
            .into_iter()
            .map(|arn| kms_key(&arn, &profile))
            .collect(),
        gcp_kms: rule
            .gcp_kms
            .items()
            .into_iter()
            .map(|resource_id| GcpKmsKey {
                resource_id,
                ..Default::default()
            })
            .collect(),
        azure_kv: rule
            .azure_keyvault
            .items()
            .iter()
            .filter_map(|u| azure_key(u))
            .collect(),
        hc_vault: rule
            .hc_vault_transit_uri
            .items()
            .iter()
            .filter_map(|u| vault_key(u))
            .collect(),
        ..Default::default()
    };
    if group.is_empty() {
        Vec::new()
    } else {
        vec![group]
    }
}

fn build_group(raw: &RawGroup) -> KeyGroup {
    let mut g = KeyGroup {
        age: raw
            .age
            .iter()
            .map(|r| age_key(r.trim().to_string()))
            .collect(),
        pgp: raw
            .pgp
            .iter()
            .map(|f| pgp_key(f.trim().to_string()))
            .collect(),
        kms: raw
            .kms
            .iter()
            .map(|k| KmsKey {
                arn: k.arn.clone(),
                role: k.role.clone(),
                context: k
                    .context
                    .iter()
                    .map(|(a, b)| (a.clone(), b.clone()))
                    .collect(),
                aws_profile: k.aws_profile.clone(),
                ..Default::default()
            })
            .collect(),
        gcp_kms: raw
            .gcp_kms
            .iter()
            .map(|k| GcpKmsKey {
                resource_id: k.resource_id.clone(),
                ..Default::default()
            })
            .collect(),
        azure_kv: raw
            .azure_keyvault
            .iter()
            .map(|k| AzureKvKey {
                vault_url: k.vault_url.clone(),
                name: k.key.clone(),
                version: k.version.clone(),
                ..Default::default()
            })
            .collect(),
        hc_vault: raw.hc_vault.iter().filter_map(|u| vault_key(u)).collect(),
        ..Default::default()
    };
    for nested in &raw.merge {
        let n = build_group(nested);
        g.age.extend(n.age);
        g.pgp.extend(n.pgp);
        g.kms.extend(n.kms);
        g.gcp_kms.extend(n.gcp_kms);
        g.azure_kv.extend(n.azure_kv);
        g.hc_vault.extend(n.hc_vault);
    }
    dedup(&mut g.age, |k| k.recipient.clone());
    dedup(&mut g.pgp, |k| k.fingerprint.clone());
    dedup(&mut g.kms, |k| {
        format!("{}|{}|{:?}", k.arn, k.role, k.context)
    });
    dedup(&mut g.gcp_kms, |k| k.resource_id.clone());
    dedup(&mut g.azure_kv, |k| {
        format!("{}|{}|{}", k.vault_url, k.name, k.version)
    });
    dedup(&mut g.hc_vault, |k| {
        format!("{}|{}|{}", k.vault_address, k.engine_path, k.key_name)
    });
    g
}

/// Removes later duplicates, keeping order.
fn dedup<T>(items: &mut Vec<T>, key: impl Fn(&T) -> String) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(key(i)));
}

/// An age recipient entry to be wrapped.
pub fn age_key(recipient: String) -> AgeKey {
    AgeKey {
        recipient,
        enc: String::new(),
    }
}

/// A PGP entry to be wrapped (fingerprint upper-cased, spaces removed).
pub fn pgp_key(fingerprint: String) -> PgpKey {
    PgpKey {
        fingerprint: fingerprint.replace(' ', "").to_ascii_uppercase(),
        ..Default::default()
    }
}

/// An AWS KMS entry from `ARN` or `ARN+ROLE_ARN`.
pub fn kms_key(spec: &str, profile: &str) -> KmsKey {
    let (arn, role) = match spec.split_once('+') {
        Some((a, r)) => (a.to_string(), r.to_string()),
        None => (spec.to_string(), String::new()),
    };
    KmsKey {
        arn,
        role,
        aws_profile: profile.to_string(),
        ..Default::default()
    }
}

/// An Azure Key Vault entry from `https://vault/keys/name[/version]`.
pub fn azure_key(url: &str) -> Option<AzureKvKey> {
    let (vault, rest) = url.split_once("/keys/")?;
    let mut parts = rest.trim_end_matches('/').splitn(2, '/');
    let name = parts.next()?.to_string();
    Some(AzureKvKey {
        vault_url: vault.to_string(),
        name,
        version: parts.next().unwrap_or_default().to_string(),
        ..Default::default()
    })
}

/// A Vault transit entry from `https://host:8200/v1/<engine path>/keys/<name>`.
pub fn vault_key(uri: &str) -> Option<VaultKey> {
    let (scheme, rest) = uri.split_once("://")?;
    let (host, path) = rest.split_once('/')?;
    let path = path.strip_prefix("v1/")?;
    let (engine, name) = path.rsplit_once("/keys/")?;
    Some(VaultKey {
        vault_address: format!("{scheme}://{host}"),
        engine_path: engine.to_string(),
        key_name: name.trim_end_matches('/').to_string(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
creation_rules:
  - path_regex: \.dev\.yaml$
    age: age1aaa, age1bbb
    encrypted_regex: ^(data|stringData)$
  - path_regex: prod/.*
    key_groups:
      - age: [age1ccc]
        pgp: ["fbc7 b9e2"]
      - age: [age1ddd]
        merge:
          - age: [age1ddd, age1eee]
    shamir_threshold: 2
  - age:
      - age1fff
    mac_only_encrypted: true
stores:
  yaml:
    indent: 2
"#;

    fn cfg() -> Config {
        Config::parse(Path::new("/repo/.sops.yaml"), SAMPLE).unwrap()
    }

    #[test]
    fn first_matching_rule_wins() {
        let c = cfg();
        let r = c
            .rule_for(Path::new("app.dev.yaml"), Path::new("/repo"))
            .unwrap();
        let recips: Vec<_> = r.key_groups[0]
            .age
            .iter()
            .map(|k| k.recipient.as_str())
            .collect();
        assert_eq!(recips, ["age1aaa", "age1bbb"]);
        assert_eq!(
            r.selector,
            Some(Selector::EncryptedRegex("^(data|stringData)$".into()))
        );

        let r = c
            .rule_for(Path::new("prod/x.json"), Path::new("/repo"))
            .unwrap();
        assert_eq!(r.key_groups.len(), 2);
        assert_eq!(r.shamir_threshold, 2);
        assert_eq!(r.key_groups[0].pgp[0].fingerprint, "FBC7B9E2");
        let merged: Vec<_> = r.key_groups[1]
            .age
            .iter()
            .map(|k| k.recipient.as_str())
            .collect();
        assert_eq!(merged, ["age1ddd", "age1eee"]);

        let r = c
            .rule_for(Path::new("/repo/other.env"), Path::new("/elsewhere"))
            .unwrap();
        assert!(r.mac_only_encrypted);
        assert_eq!(c.emit_options(Format::Yaml).indent, Some(2));
        assert_eq!(c.emit_options(Format::Json).indent, None);
    }

    #[test]
    fn paths_are_relative_to_the_config() {
        let c = Config::parse(
            Path::new("/repo/.sops.yaml"),
            "creation_rules:\n  - path_regex: ^secrets/\n    age: age1x\n",
        )
        .unwrap();
        assert!(c
            .rule_for(Path::new("secrets/a.yaml"), Path::new("/repo"))
            .is_ok());
        assert!(c
            .rule_for(Path::new("a.yaml"), Path::new("/repo/secrets"))
            .is_ok());
        assert!(matches!(
            c.rule_for(Path::new("a.yaml"), Path::new("/repo")),
            Err(ConfigError::NoMatchingRule { .. })
        ));
    }

    #[test]
    fn invalid_configs_are_rejected() {
        for bad in [
            "creation_rules:\n  - path_regex: '('\n",
            "creation_rules:\n  - encrypted_regex: a\n    unencrypted_suffix: b\n",
            "creation_rules:\n  - key_groups:\n      - {}\n",
            "creation_rules: [",
        ] {
            assert!(Config::parse(Path::new("c.yaml"), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uri_parsers() {
        let v = vault_key("https://vault.example:8200/v1/sops/transit/keys/k1").unwrap();
        assert_eq!(v.vault_address, "https://vault.example:8200");
        assert_eq!(v.engine_path, "sops/transit");
        assert_eq!(v.key_name, "k1");
        let a = azure_key("https://v.vault.azure.net/keys/name/abc").unwrap();
        assert_eq!((a.name.as_str(), a.version.as_str()), ("name", "abc"));
        let k = kms_key("arn:aws:kms:us-east-1:1:key/x+arn:aws:iam::1:role/r", "");
        assert_eq!(k.role, "arn:aws:iam::1:role/r");
    }
}
