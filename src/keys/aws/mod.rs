//! AWS KMS keys over the KMS JSON API, signed with SigV4 (the `aws-sigv4` crate), as
//! sops uses them: `Encrypt` with the data key as `Plaintext` and the key's encryption
//! context, `Decrypt` with the stored `CiphertextBlob`. A key written `ARN+ROLE_ARN`
//! first assumes that role through STS.
//!
//! Endpoints: `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`,
//! else the public `https://kms.REGION.amazonaws.com`. The region is the key ARN's.

pub mod credentials;
mod sigv4;

use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use self::credentials::Credentials;
use super::{KeyEnv, KeyError, KeyKind, KmsKey, MasterKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The region in a KMS key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`).
fn region_of(arn: &str) -> Result<&str, KeyError> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "kms", region, ..] if !region.is_empty() => Ok(region),
        _ => Err(KeyError::Malformed(format!(
            "{arn:?} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"
        ))),
    }
}

/// The endpoint of an AWS service in `region`, honouring the endpoint variables.
pub fn endpoint(env: &KeyEnv, service: &str, region: &str) -> String {
    let specific = format!("AWS_ENDPOINT_URL_{}", service.to_uppercase());
    env.var(&specific)
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://{service}.{region}.amazonaws.com"))
}

impl KmsKey {
    fn service(&self) -> String {
        format!("AWS KMS key {}", self.arn)
    }

    /// The encryption context as the API takes it.
    fn context_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in &self.context {
            m.insert(k.clone(), Value::String(v.clone()));
        }
        Value::Object(m)
    }

    /// Credentials for this key: the chain (or the key's profile), then its role.
    fn credentials(&self, env: &KeyEnv, region: &str) -> Result<Credentials, KeyError> {
        let profile = (!self.aws_profile.is_empty()).then_some(self.aws_profile.as_str());
        let base = credentials::resolve(env, profile, region)?;
        if self.role.is_empty() {
            Ok(base)
        } else {
            credentials::assume_role(env, &base, &self.role, region)
        }
    }

    /// Calls a KMS action and returns its JSON answer.
    fn call(&self, env: &KeyEnv, action: &str, body: Value) -> Result<Value, KeyError> {
        let region = region_of(&self.arn)?;
        let creds = self.credentials(env, region)?;
        let url = endpoint(env, "kms", region);
        let target = format!("TrentService.{action}");
        let body = Zeroizing::new(serde_json::to_vec(&body).unwrap_or_default());
        let (status, answer) = sigv4::send(
            env,
            &self.service(),
            &creds,
            sigv4::Call {
                service: "kms",
                region,
                url: &url,
                headers: &[
                    ("content-type", "application/x-amz-json-1.1"),
                    ("x-amz-target", &target),
                ],
                body: &body,
            },
        )?;
        let answer = Zeroizing::new(answer);
        if !(200..300).contains(&status) {
            return Err(super::http::status_error(&self.service(), status, &answer));
        }
        serde_json::from_slice(&answer)
            .map_err(|_| KeyError::Failed(format!("{}: the answer is not JSON", self.service())))
    }
}

impl MasterKey for KmsKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Kms
    }

    fn id(&self) -> String {
        if self.role.is_empty() {
            self.arn.clone()
        } else {
            format!("{}+{}", self.arn, self.role)
        }
    }

    fn wrap(&mut self, secret: &[u8], env: &KeyEnv) -> Result<(), KeyError> {
        let plaintext = Zeroizing::new(B64.encode(secret));
        let mut body = json!({ "KeyId": self.arn, "Plaintext": plaintext.as_str() });
        if !self.context.is_empty() {
            body["EncryptionContext"] = self.context_json();
        }
        let answer = self.call(env, "Encrypt", body)?;
        let blob = answer
            .get("CiphertextBlob")
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Failed(format!("{}: no CiphertextBlob", self.service())))?;
        self.enc = blob.to_string();
        self.created_at = crate::file::now_rfc3339();
        Ok(())
    }

    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if self.enc.is_empty() {
            return Err(KeyError::Malformed("empty KMS ciphertext".into()));
        }
        let mut body = json!({ "CiphertextBlob": self.enc, "KeyId": self.arn });
        if !self.context.is_empty() {
            body["EncryptionContext"] = self.context_json();
        }
        let answer = self.call(env, "Decrypt", body)?;
        let plaintext = answer
            .get("Plaintext")
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Failed(format!("{}: no Plaintext", self.service())))?;
        B64.decode(plaintext).map(Zeroizing::new).map_err(|_| {
            KeyError::Malformed(format!("{}: the plaintext is not base64", self.service()))
        })
    }

    fn is_wrapped(&self) -> bool {
        !self.enc.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_endpoints() {
        assert_eq!(
            region_of("arn:aws:kms:eu-west-1:111122223333:key/abc").unwrap(),
            "eu-west-1"
        );
        assert_eq!(
            region_of("arn:aws:kms:us-east-1:1:alias/app").unwrap(),
            "us-east-1"
        );
        assert!(region_of("not-an-arn").is_err());
        let env = KeyEnv::default();
        assert_eq!(
            endpoint(&env, "kms", "eu-west-1"),
            "https://kms.eu-west-1.amazonaws.com"
        );
        let mut env = KeyEnv::default();
        env.vars
            .insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:5000/".into());
        assert_eq!(endpoint(&env, "kms", "x"), "http://127.0.0.1:5000");
        env.vars
            .insert("AWS_ENDPOINT_URL_KMS".into(), "http://kms.local".into());
        assert_eq!(endpoint(&env, "kms", "x"), "http://kms.local");
        assert_eq!(endpoint(&env, "sts", "x"), "http://127.0.0.1:5000");
    }
}
