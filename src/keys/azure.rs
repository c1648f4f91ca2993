//! Azure Key Vault keys over the Key Vault REST API, as sops uses them:
//! `POST {vault}/keys/{name}/{version}/wrapkey?api-version=7.4` with
//! `alg: RSA-OAEP-256` and the data key base64url-encoded, `unwrapkey` to get it back.
//!
//! The token (resource `https://vault.azure.net`) comes from a service principal's
//! client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, authority
//! `AZURE_AUTHORITY_HOST`), workload identity (`AZURE_FEDERATED_TOKEN_FILE`, as on
//! AKS), a managed identity (App Service `IDENTITY_ENDPOINT`, else the VM's IMDS), or
//! the Azure CLI (`az account get-access-token`).

use base64::Engine;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::http::{self, form_encode};
use super::{AzureKvKey, KeyEnv, KeyError, KeyKind, MasterKey};

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const API_VERSION: &str = "7.4";
const RESOURCE: &str = "https://vault.azure.net";

impl AzureKvKey {
    fn service(&self) -> String {
        format!("Azure Key Vault key {}/keys/{}", self.vault_url, self.name)
    }

    /// Calls `op` (wrapkey/unwrapkey) and returns the answer.
    fn call(&self, env: &KeyEnv, op: &str, value: &str) -> Result<Value, KeyError> {
        let token = access_token(env)?;
        let version = if self.version.is_empty() {
            String::new()
        } else {
            format!("/{}", self.version)
        };
        let url = format!(
            "{}/keys/{}{version}/{op}?api-version={API_VERSION}",
            self.vault_url.trim_end_matches('/'),
            self.name
        );
        let auth = Zeroizing::new(format!("Bearer {}", token.as_str()));
        http::post_json(
            env,
            &self.service(),
            &url,
            &[("Authorization", auth.as_str())],
            &json!({ "alg": "RSA-OAEP-256", "value": value }),
        )
    }
}

/// An access token for Key Vault (see the module doc for the order).
fn access_token(env: &KeyEnv) -> Result<Zeroizing<String>, KeyError> {
    let authority = env
        .var("AZURE_AUTHORITY_HOST")
        .unwrap_or("https://login.microsoftonline.com")
        .trim_end_matches('/')
        .to_string();
    let scope = format!("{RESOURCE}/.default");
    if let (Some(tenant), Some(client)) = (env.var("AZURE_TENANT_ID"), env.var("AZURE_CLIENT_ID")) {
        let grant = if let Some(secret) = env.var("AZURE_CLIENT_SECRET") {
            Some(format!("client_secret={}", form_encode(secret)))
        } else if let Some(file) = env.var("AZURE_FEDERATED_TOKEN_FILE") {
            let assertion = std::fs::read_to_string(file).map_err(|e| KeyError::IdentityFile {
                path: file.to_string(),
                reason: e.to_string(),
            })?;
            Some(format!(
                "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}",
                form_encode(assertion.trim())
            ))
        } else {
            None
        };
        if let Some(grant) = grant {
            let form = Zeroizing::new(format!(
                "grant_type=client_credentials&client_id={}&scope={}&{grant}",
                form_encode(client),
                form_encode(&scope)
            ));
            let url = format!("{authority}/{tenant}/oauth2/v2.0/token");
            let what = format!("Azure token endpoint {url}");
            let (status, body) = http::send(
                env,
                &what,
                "POST",
                &url,
                &[("Content-Type", "application/x-www-form-urlencoded")],
                Some(form.as_bytes()),
                None,
            )?;
            return token_field(&what, status, &body, "access_token");
        }
    }
    if let (Some(endpoint), Some(header)) =
        (env.var("IDENTITY_ENDPOINT"), env.var("IDENTITY_HEADER"))
    {
        let url = format!(
            "{endpoint}?api-version=2019-08-01&resource={}",
            form_encode(RESOURCE)
        );
        let what = "the managed identity endpoint";
        let (status, body) = http::send(
            env,
            what,
            "GET",
            &url,
            &[("X-IDENTITY-HEADER", header)],
            None,
            None,
        )?;
        return token_field(what, status, &body, "access_token");
    }
    // The VM's managed identity, then the Azure CLI.
    let imds = format!(
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}",
        form_encode(RESOURCE)
    );
    let quick = Some(std::time::Duration::from_secs(1));
    if let Ok((200, body)) = http::send(
        env,
        "IMDS",
        "GET",
        &imds,
        &[("Metadata", "true")],
        None,
        quick,
    ) {
        return token_field("IMDS", 200, &body, "access_token");
    }
    let out = std::process::Command::new("az")
        .args([
            "account",
            "get-access-token",
            "--resource",
            RESOURCE,
            "-o",
            "json",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => token_field("az account get-access-token", 200, &o.stdout, "accessToken"),
        _ => Err(KeyError::NoIdentity(
            "no Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), use a managed identity, or `az login`".into(),
        )),
    }
}

fn token_field(
    what: &str,
    status: u16,
    body: &[u8],
    field: &str,
) -> Result<Zeroizing<String>, KeyError> {
    let body = Zeroizing::new(body.to_vec());
    if !(200..300).contains(&status) {
        return Err(http::status_error(what, status, &body));
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| KeyError::Failed(format!("{what}: the answer is not JSON")))?;
    v.get(field)
        .and_then(Value::as_str)
        .map(|t| Zeroizing::new(t.to_string()))
        .ok_or_else(|| KeyError::Failed(format!("{what}: no {field} in the answer")))
}

impl MasterKey for AzureKvKey {
    fn kind(&self) -> KeyKind {
        KeyKind::AzureKv
    }

    fn id(&self) -> String {
        format!("{}/keys/{}/{}", self.vault_url, self.name, self.version)
    }

    fn wrap(&mut self, secret: &[u8], env: &KeyEnv) -> Result<(), KeyError> {
        let value = Zeroizing::new(B64URL.encode(secret));
        let answer = self.call(env, "wrapkey", &value)?;
        let enc = answer.get("value").and_then(Value::as_str).ok_or_else(|| {
            KeyError::Failed(format!("{}: the answer has no value", self.service()))
        })?;
        // A key named without a version wraps with the latest one: record which.
        if self.version.is_empty() {
            if let Some(kid) = answer.get("kid").and_then(Value::as_str) {
                self.version = kid.rsplit('/').next().unwrap_or("").to_string();
            }
        }
        self.enc = enc.to_string();
        self.created_at = crate::file::now_rfc3339();
        Ok(())
    }

    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if self.enc.is_empty() {
            return Err(KeyError::Malformed(
                "empty Azure Key Vault ciphertext".into(),
            ));
        }
        let answer = self.call(env, "unwrapkey", &self.enc)?;
        let value = answer.get("value").and_then(Value::as_str).ok_or_else(|| {
            KeyError::Failed(format!("{}: the answer has no value", self.service()))
        })?;
        B64URL
            .decode(value.trim_end_matches('='))
            .map(Zeroizing::new)
            .map_err(|_| {
                KeyError::Malformed(format!("{}: the key is not base64url", self.service()))
            })
    }

    fn is_wrapped(&self) -> bool {
        !self.enc.is_empty()
    }
}
