//! `enseal encrypt`: which keys and selector to use, then encrypt and write.

use std::path::Path;

use super::io::{emit_options, load_config, read_input, write_output};
use crate::cipher::Selector;
use crate::cli::{EncryptArgs, KeyArgs, RuleArgs};
use crate::config;
use crate::config::Config;
use crate::error::Error;
use crate::file::{self, EncryptRequest};
use crate::format::Format;
use crate::keys::{KeyEnv, KeyGroup};

/// Values of a key flag, else of its environment variables (comma-separated).
fn flag_or_env(flag: &[String], env: &KeyEnv, names: &[&str]) -> Vec<String> {
    let raw: Vec<String> = if !flag.is_empty() {
        flag.to_vec()
    } else {
        names
            .iter()
            .find_map(|n| env.var(n))
            .map(|v| v.split(',').map(String::from).collect())
            .unwrap_or_default()
    };
    raw.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The key group given on the command line (or by environment), if any key is given.
/// The key group the flags name (`SOPS_*` variables stand in for missing flags when
/// `env` is given, as in `encrypt`).
pub(super) fn cli_group(args: &KeyArgs, env: &KeyEnv) -> Result<Option<KeyGroup>, Error> {
    let age = flag_or_env(
        &args.age,
        env,
        &["ENSEAL_AGE_RECIPIENTS", "SOPS_AGE_RECIPIENTS"],
    );
    for r in &age {
        crate::keys::local::parse_recipient(r).map_err(|e| Error::Recipient {
            recipient: r.clone(),
            reason: e.to_string(),
        })?;
    }
    let profile = args.aws_profile.clone().unwrap_or_default();
    let group = KeyGroup {
        age: age.into_iter().map(config::age_key).collect(),
        pgp: flag_or_env(&args.pgp, env, &["ENSEAL_PGP_FP", "SOPS_PGP_FP"])
            .into_iter()
            .map(config::pgp_key)
            .collect(),
        kms: flag_or_env(&args.kms, env, &["ENSEAL_KMS_ARN", "SOPS_KMS_ARN"])
            .iter()
            .map(|a| config::kms_key(a, &profile))
            .collect(),
        gcp_kms: flag_or_env(&args.gcp_kms, env, &["ENSEAL_GCP_KMS_IDS", "SOPS_GCP_KMS_IDS"])
            .into_iter()
            .map(|resource_id| crate::keys::GcpKmsKey {
                resource_id,
                ..Default::default()
            })
            .collect(),
        azure_kv: flag_or_env(
            &args.azure_kv,
            env,
            &["ENSEAL_AZURE_KEYVAULT_URLS", "SOPS_AZURE_KEYVAULT_URLS"],
        )
        .iter()
        .map(|u| {
            config::azure_key(u).ok_or_else(|| {
                Error::Usage(format!("invalid Azure Key Vault URL {u:?}: expected https://VAULT/keys/NAME[/VERSION]"))
            })
        })
        .collect::<Result<_, _>>()?,
        hc_vault: flag_or_env(&args.hc_vault_transit, env, &["ENSEAL_VAULT_URIS", "SOPS_VAULT_URIS"])
            .iter()
            .map(|u| {
                config::vault_key(u).ok_or_else(|| {
                    Error::Usage(format!("invalid Vault transit URI {u:?}: expected https://HOST:PORT/v1/ENGINE/keys/NAME"))
                })
            })
            .collect::<Result<_, _>>()?,
        ..Default::default()
    };
    Ok((!group.is_empty()).then_some(group))
}

/// The selector given on the command line (at most one).
fn cli_selector(args: &RuleArgs) -> Result<Option<Selector>, Error> {
    let given: Vec<Selector> = [
        args.unencrypted_suffix
            .clone()
            .map(Selector::UnencryptedSuffix),
        args.encrypted_suffix.clone().map(Selector::EncryptedSuffix),
        args.unencrypted_regex
            .clone()
            .map(Selector::UnencryptedRegex),
        args.encrypted_regex.clone().map(Selector::EncryptedRegex),
        args.unencrypted_comment_regex
            .clone()
            .map(Selector::UnencryptedCommentRegex),
        args.encrypted_comment_regex
            .clone()
            .map(Selector::EncryptedCommentRegex),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() > 1 {
        return Err(Error::Usage(
            "use at most one of --unencrypted-suffix, --encrypted-suffix, --unencrypted-regex, --encrypted-regex, --unencrypted-comment-regex, --encrypted-comment-regex".into(),
        ));
    }
    Ok(given.into_iter().next())
}

/// Encrypts the input and writes the result.
pub fn run(args: EncryptArgs, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    let input = read_input(&args.input)?;
    let config = load_config(config_path)?;
    let request = NewFile {
        name: &input.name,
        input_format: input.input_format,
        output_format: input.output_format,
        keys: &args.keys,
        rules: &args.rules,
        indent: args.input.indent,
    }
    .request(config.as_ref(), env)?;
    let encrypted = file::encrypt(&input.bytes, request, env).map_err(|source| Error::File {
        path: input.display(),
        source,
    })?;
    for w in &encrypted.warnings {
        eprintln!("warning: {}: {w}", input.display());
    }
    write_output(&args.input, &input, &encrypted.output)
}

/// A file about to be encrypted for the first time (`encrypt`, `edit` of a new file).
pub(super) struct NewFile<'a> {
    /// Its name, matched against the creation rules.
    pub name: &'a Path,
    pub input_format: Format,
    pub output_format: Format,
    pub keys: &'a KeyArgs,
    pub rules: &'a RuleArgs,
    pub indent: Option<usize>,
}

impl NewFile<'_> {
    /// The keys and settings to encrypt it with: flags over its creation rule in
    /// .sops.yaml, else the local age key.
    pub fn request(&self, config: Option<&Config>, env: &KeyEnv) -> Result<EncryptRequest, Error> {
        let config = config.filter(|c| c.has_rules());
        let cwd = std::env::current_dir().map_err(|source| Error::Read {
            path: ".".into(),
            source,
        })?;
        // A config with rules must have one for this file, even when keys come from flags (as sops).
        let rule = match config {
            Some(c) => Some(c.rule_for(self.name, &cwd)?),
            None => None,
        };
        let rule = rule.unwrap_or_default();
        let key_groups = match cli_group(self.keys, env)? {
            Some(group) => vec![group],
            None if !rule.key_groups.is_empty() => rule.key_groups.clone(),
            // Nothing configured: the local age key, so `enseal keygen` is all one needs.
            None => match crate::keys::local::local_recipients(env) {
                Ok(recipients) if !recipients.is_empty() => vec![KeyGroup {
                    age: recipients.into_iter().map(config::age_key).collect(),
                    ..Default::default()
                }],
                _ => Vec::new(),
            },
        };
        Ok(EncryptRequest {
            input_format: self.input_format,
            output_format: self.output_format,
            key_groups,
            shamir_threshold: self.rules.shamir_threshold.unwrap_or(rule.shamir_threshold),
            selector: cli_selector(self.rules)?.or(rule.selector.clone()),
            mac_only_encrypted: self.rules.mac_only_encrypted || rule.mac_only_encrypted,
            emit: emit_options(self.indent, config, self.output_format),
            // An explicit --indent asks for a fresh layout in that indentation.
            keep_layout: self.indent.is_none(),
        })
    }
}
