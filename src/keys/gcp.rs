//! Google Cloud KMS keys over the Cloud KMS REST API, as sops uses them:
//! `POST https://cloudkms.googleapis.com/v1/{resource}:encrypt` with the data key
//! base64-encoded as `plaintext`, `:decrypt` with the stored `ciphertext`.
//!
//! The access token comes, in this order, from `GOOGLE_OAUTH_ACCESS_TOKEN` (as sops
//! reads it), from credentials JSON in `GOOGLE_CREDENTIALS` (sops) or the file named
//! by `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's application default credentials
//! (`~/.config/gcloud/application_default_credentials.json`): a service account signs
//! an RS256 JWT for its `token_uri`, an authorized user trades its refresh token.
//! Last comes the metadata server of GCE, GKE and Cloud Run. The API endpoint follows
//! gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS`.

use base64::Engine;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::http::{self, form_encode};
use super::{GcpKmsKey, KeyEnv, KeyError, KeyKind, MasterKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const SCOPE: &str = "https://www.googleapis.com/auth/cloudkms";
const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

impl GcpKmsKey {
    fn service(&self) -> String {
        format!("GCP KMS key {}", self.resource_id)
    }

    fn call(
        &self,
        env: &KeyEnv,
        op: &str,
        body: Value,
        field: &str,
    ) -> Result<Zeroizing<String>, KeyError> {
        if !self.resource_id.starts_with("projects/") || self.resource_id.contains("..") {
            return Err(KeyError::Malformed(format!(
                "{:?} is not a KMS key resource ID (projects/P/locations/L/keyRings/R/cryptoKeys/K)",
                self.resource_id
            )));
        }
        let token = access_token(env)?;
        let base = env
            .var("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS")
            .map(|u| u.trim_end_matches('/').trim_end_matches("/v1").to_string())
            .unwrap_or_else(|| "https://cloudkms.googleapis.com".into());
        let url = format!("{base}/v1/{}:{op}", self.resource_id);
        let auth = Zeroizing::new(format!("Bearer {}", token.as_str()));
        let answer = http::post_json(
            env,
            &self.service(),
            &url,
            &[("Authorization", auth.as_str())],
            &body,
        )?;
        let value = answer.get(field).and_then(Value::as_str).ok_or_else(|| {
            KeyError::Failed(format!("{}: the answer has no {field}", self.service()))
        })?;
        Ok(Zeroizing::new(value.to_string()))
    }
}

/// A Google access token for Cloud KMS (see the module doc for the order).
fn access_token(env: &KeyEnv) -> Result<Zeroizing<String>, KeyError> {
    if let Some(t) = env.var("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok(Zeroizing::new(t.to_string()));
    }
    let json = if let Some(inline) = env.var("GOOGLE_CREDENTIALS") {
        Some((
            Zeroizing::new(inline.to_string()),
            "GOOGLE_CREDENTIALS".to_string(),
        ))
    } else {
        let path = env
            .var("GOOGLE_APPLICATION_CREDENTIALS")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                let base = env
                    .var("CLOUDSDK_CONFIG")
                    .map(std::path::PathBuf::from)
                    .or_else(|| {
                        env.var("HOME")
                            .map(|h| std::path::Path::new(h).join(".config/gcloud"))
                    })?;
                Some(base.join("application_default_credentials.json")).filter(|p| p.is_file())
            });
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(&p).map_err(|e| KeyError::IdentityFile {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                })?;
                Some((Zeroizing::new(text), p.display().to_string()))
            }
            None => None,
        }
    };
    match json {
        Some((text, from)) => token_from_json(env, &text, &from),
        None => metadata_token(env),
    }
}

fn token_from_json(env: &KeyEnv, text: &str, from: &str) -> Result<Zeroizing<String>, KeyError> {
    let creds: Value = serde_json::from_str(text).map_err(|_| KeyError::IdentityFile {
        path: from.to_string(),
        reason: "not a JSON credentials file".into(),
    })?;
    let field = |k: &str| creds.get(k).and_then(Value::as_str);
    let (token_uri, form) = match field("type") {
        Some("service_account") => {
            let email = field("client_email").ok_or_else(|| missing(from, "client_email"))?;
            let pem = field("private_key").ok_or_else(|| missing(from, "private_key"))?;
            let token_uri = field("token_uri").unwrap_or(TOKEN_URI).to_string();
            let jwt = signed_jwt(email, pem, &token_uri, from)?;
            let form = Zeroizing::new(format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
                jwt.as_str()
            ));
            (token_uri, form)
        }
        Some("authorized_user") => {
            let get = |k| field(k).ok_or_else(|| missing(from, k));
            let form = Zeroizing::new(format!(
                "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
                form_encode(get("client_id")?),
                form_encode(get("client_secret")?),
                form_encode(get("refresh_token")?)
            ));
            (field("token_uri").unwrap_or(TOKEN_URI).to_string(), form)
        }
        other => {
            return Err(KeyError::Unsupported(format!(
                "{from}: credentials of type {:?} are not supported (service_account and authorized_user are)",
                other.unwrap_or("")
            )))
        }
    };
    let what = format!("Google token endpoint {token_uri}");
    let (status, body) = http::send(
        env,
        &what,
        "POST",
        &token_uri,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.as_bytes()),
        None,
    )?;
    let body = Zeroizing::new(body);
    if !(200..300).contains(&status) {
        return Err(http::status_error(&what, status, &body));
    }
    access_token_field(&what, &body)
}

fn missing(from: &str, field: &str) -> KeyError {
    KeyError::IdentityFile {
        path: from.to_string(),
        reason: format!("no {field}"),
    }
}

fn access_token_field(what: &str, body: &[u8]) -> Result<Zeroizing<String>, KeyError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| KeyError::Failed(format!("{what}: the answer is not JSON")))?;
    v.get("access_token")
        .and_then(Value::as_str)
        .map(|t| Zeroizing::new(t.to_string()))
        .ok_or_else(|| KeyError::Failed(format!("{what}: no access_token in the answer")))
}

/// A service account's RS256-signed assertion for `aud` (one hour).
fn signed_jwt(
    email: &str,
    pem: &str,
    aud: &str,
    from: &str,
) -> Result<Zeroizing<String>, KeyError> {
    let der = Zeroizing::new(
        B64.decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .map_err(|_| KeyError::IdentityFile {
            path: from.to_string(),
            reason: "the private_key is not PEM".into(),
        })?,
    );
    let key =
        ring::signature::RsaKeyPair::from_pkcs8(&der).map_err(|_| KeyError::IdentityFile {
            path: from.to_string(),
            reason: "the private_key is not an RSA PKCS#8 key".into(),
        })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let header = B64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = B64URL.encode(
        json!({"iss": email, "scope": SCOPE, "aud": aud, "iat": now, "exp": now + 3600})
            .to_string(),
    );
    let signing_input = format!("{header}.{claims}");
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| KeyError::Failed(format!("{from}: cannot sign the token request")))?;
    Ok(Zeroizing::new(format!(
        "{signing_input}.{}",
        B64URL.encode(sig)
    )))
}

/// The metadata server's token for the instance's service account.
fn metadata_token(env: &KeyEnv) -> Result<Zeroizing<String>, KeyError> {
    let host = env
        .var("GCE_METADATA_HOST")
        .unwrap_or("metadata.google.internal");
    let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token");
    let what = "the GCE metadata server";
    let quick = Some(std::time::Duration::from_secs(2));
    let (status, body) = http::send(env, what, "GET", &url, &[("Metadata-Flavor", "Google")], None, quick)
        .map_err(|_| {
            KeyError::NoIdentity(
                "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN, or run `gcloud auth application-default login`".into(),
            )
        })?;
    let body = Zeroizing::new(body);
    if status != 200 {
        return Err(http::status_error(what, status, &body));
    }
    access_token_field(what, &body)
}

impl MasterKey for GcpKmsKey {
    fn kind(&self) -> KeyKind {
        KeyKind::GcpKms
    }

    fn id(&self) -> String {
        self.resource_id.clone()
    }

    fn wrap(&mut self, secret: &[u8], env: &KeyEnv) -> Result<(), KeyError> {
        let plaintext = Zeroizing::new(B64.encode(secret));
        let enc = self.call(
            env,
            "encrypt",
            json!({ "plaintext": plaintext.as_str() }),
            "ciphertext",
        )?;
        self.enc = enc.to_string();
        self.created_at = crate::file::now_rfc3339();
        Ok(())
    }

    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if self.enc.is_empty() {
            return Err(KeyError::Malformed("empty GCP KMS ciphertext".into()));
        }
        let plaintext = self.call(
            env,
            "decrypt",
            json!({ "ciphertext": self.enc }),
            "plaintext",
        )?;
        B64.decode(plaintext.as_bytes())
            .map(Zeroizing::new)
            .map_err(|_| {
                KeyError::Malformed(format!("{}: the plaintext is not base64", self.service()))
            })
    }

    fn is_wrapped(&self) -> bool {
        !self.enc.is_empty()
    }
}
