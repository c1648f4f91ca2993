//! A SigV4-signed request over the shared HTTP client.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

use super::credentials::Credentials;
use crate::keys::{http, KeyEnv, KeyError};

/// What to send.
pub struct Call<'a> {
    /// The signing name (`kms`, `sts`).
    pub service: &'a str,
    /// The region.
    pub region: &'a str,
    /// The endpoint (`https://kms.eu-west-1.amazonaws.com`).
    pub url: &'a str,
    /// Headers besides the signature's.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (POST).
    pub body: &'a [u8],
}

/// Signs and POSTs `call`; returns the status and body of the answer.
pub fn send(
    env: &KeyEnv,
    what: &str,
    creds: &Credentials,
    call: Call<'_>,
) -> Result<(u16, Vec<u8>), KeyError> {
    let identity = aws_credential_types::Credentials::new(
        creds.access_key_id.as_str(),
        creds.secret_access_key.as_str(),
        creds.session_token.as_ref().map(|t| t.to_string()),
        None,
        "enseal",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(call.region)
        .name(call.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| KeyError::Failed(format!("{what}: cannot sign the request: {e}")))?
        .into();
    let url = if call.url.ends_with('/') {
        call.url.to_string()
    } else {
        format!("{}/", call.url)
    };
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        call.headers.iter().copied(),
        SignableBody::Bytes(call.body),
    )
    .map_err(|e| KeyError::Failed(format!("{what}: cannot sign the request: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| KeyError::Failed(format!("{what}: cannot sign the request: {e}")))?
        .into_parts();
    let mut headers: Vec<(&str, &str)> = call.headers.to_vec();
    headers.extend(instructions.headers());
    http::send(env, what, "POST", &url, &headers, Some(call.body), None)
}
