//! HashiCorp Vault (and OpenBao) transit keys, over the transit REST API as sops uses
//! it: `POST {address}/v1/{engine}/encrypt/{key}` with the data key base64-encoded as
//! `plaintext`, and `/decrypt/{key}` with the `vault:v1:…` ciphertext.
//!
//! The token is `VAULT_TOKEN`, else `~/.vault-token`; `VAULT_NAMESPACE` is sent as
//! `X-Vault-Namespace`. `SOPS_HC_VAULT_ALLOWLIST` limits which addresses may be
//! contacted (comma-separated prefixes, `all` or `none`), as in sops.

use base64::Engine;
use serde_json::json;
use zeroize::Zeroizing;

use super::{http, KeyEnv, KeyError, KeyKind, MasterKey, VaultKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl VaultKey {
    fn service(&self) -> String {
        format!("Vault transit at {}", self.uri())
    }

    /// POSTs to `{engine}/{op}/{key}` and returns `data.{field}`.
    fn call(
        &self,
        env: &KeyEnv,
        op: &str,
        body: serde_json::Value,
        field: &str,
    ) -> Result<Zeroizing<String>, KeyError> {
        allowed(env, &self.vault_address)?;
        let token = Zeroizing::new(token(env)?);
        let url = format!(
            "{}/v1/{}/{op}/{}",
            self.vault_address.trim_end_matches('/'),
            self.engine_path.trim_matches('/'),
            self.key_name
        );
        let mut headers = vec![("X-Vault-Token", token.as_str())];
        let namespace = env.var("VAULT_NAMESPACE");
        if let Some(ns) = namespace {
            headers.push(("X-Vault-Namespace", ns));
        }
        let answer = http::post_json(env, &self.service(), &url, &headers, &body)?;
        let value = answer
            .get("data")
            .and_then(|d| d.get(field))
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                KeyError::Failed(format!(
                    "{}: the answer has no data.{field}",
                    self.service()
                ))
            })?;
        Ok(Zeroizing::new(value.to_string()))
    }
}

/// The token sops would use: `VAULT_TOKEN`, else the first line of `~/.vault-token`.
fn token(env: &KeyEnv) -> Result<String, KeyError> {
    if let Some(t) = env.var("VAULT_TOKEN") {
        return Ok(t.to_string());
    }
    let Some(home) = env.var("HOME") else {
        return Err(KeyError::NoIdentity(
            "no Vault token: set VAULT_TOKEN or write one to ~/.vault-token".into(),
        ));
    };
    let path = std::path::Path::new(home).join(".vault-token");
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        Ok(_) => Err(KeyError::NoIdentity(format!("{} is empty", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeyError::NoIdentity(
            "no Vault token: set VAULT_TOKEN or write one to ~/.vault-token".into(),
        )),
        Err(e) => Err(KeyError::IdentityFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Applies `SOPS_HC_VAULT_ALLOWLIST` (default: every address, as sops 3.11).
fn allowed(env: &KeyEnv, address: &str) -> Result<(), KeyError> {
    let Some(list) = env.sops_var("HC_VAULT_ALLOWLIST") else {
        return Ok(());
    };
    let with_slash = |s: &str| {
        if s.ends_with('/') {
            s.to_string()
        } else {
            format!("{s}/")
        }
    };
    let ok = match list.trim() {
        "all" => true,
        "none" => false,
        prefixes => prefixes
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .any(|p| with_slash(address).starts_with(&with_slash(p))),
    };
    if ok {
        Ok(())
    } else {
        Err(KeyError::Failed(format!(
            "{address} is not in SOPS_HC_VAULT_ALLOWLIST"
        )))
    }
}

impl MasterKey for VaultKey {
    fn kind(&self) -> KeyKind {
        KeyKind::HcVault
    }

    fn id(&self) -> String {
        self.uri()
    }

    fn wrap(&mut self, secret: &[u8], env: &KeyEnv) -> Result<(), KeyError> {
        let plaintext = Zeroizing::new(B64.encode(secret));
        let body = json!({ "plaintext": plaintext.as_str() });
        let enc = self.call(env, "encrypt", body, "ciphertext")?;
        self.enc = enc.to_string();
        self.created_at = crate::file::now_rfc3339();
        Ok(())
    }

    fn is_wrapped(&self) -> bool {
        !self.enc.is_empty()
    }

    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if self.enc.is_empty() {
            return Err(KeyError::Malformed("empty Vault ciphertext".into()));
        }
        let body = json!({ "ciphertext": self.enc });
        let plaintext = self.call(env, "decrypt", body, "plaintext")?;
        B64.decode(plaintext.as_bytes())
            .map(Zeroizing::new)
            .map_err(|_| {
                KeyError::Malformed(format!("{}: the plaintext is not base64", self.service()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> KeyEnv {
        KeyEnv::with_vars(vars)
    }

    #[test]
    fn the_allowlist_is_sops_one() {
        let a = "https://vault.example:8200";
        assert!(allowed(&env(&[]), a).is_ok());
        assert!(allowed(&env(&[("SOPS_HC_VAULT_ALLOWLIST", "all")]), a).is_ok());
        assert!(allowed(&env(&[("SOPS_HC_VAULT_ALLOWLIST", "none")]), a).is_err());
        let list = env(&[(
            "SOPS_HC_VAULT_ALLOWLIST",
            "https://other, https://vault.example:8200",
        )]);
        assert!(allowed(&list, a).is_ok());
        let prefix_only = env(&[("SOPS_HC_VAULT_ALLOWLIST", "https://vault.example:82")]);
        assert!(allowed(&prefix_only, a).is_err());
    }

    #[test]
    fn tokens_come_from_the_environment_or_the_token_file() {
        assert_eq!(token(&env(&[("VAULT_TOKEN", "t1")])).unwrap(), "t1");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".vault-token"), "t2\n").unwrap();
        let home = dir.path().to_str().unwrap();
        assert_eq!(token(&env(&[("HOME", home)])).unwrap(), "t2");
        let empty = tempfile::tempdir().unwrap();
        let err = token(&env(&[("HOME", empty.path().to_str().unwrap())])).unwrap_err();
        assert!(err.to_string().contains("VAULT_TOKEN"), "{err}");
    }

    #[test]
    fn a_service_that_is_down_fails_fast_and_is_named() {
        // A port nothing listens on: connection refused, well within the timeout.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let key = VaultKey {
            vault_address: format!("http://127.0.0.1:{port}"),
            engine_path: "transit".into(),
            key_name: "k".into(),
            enc: "vault:v1:abc".into(),
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let err = key
            .unwrap(&env(&[("VAULT_TOKEN", "t")]))
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(
            err.contains("Vault transit at http://127.0.0.1") && err.contains("connect"),
            "{err}"
        );
    }
}
