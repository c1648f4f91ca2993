//! The one HTTP client every network key source uses: blocking (no async runtime),
//! rustls for TLS, a timeout on every request so that a key service that is down or
//! slow fails over to the next key instead of hanging.
//!
//! Requests and responses carry wrapped (and, for decryption, unwrapped) data keys:
//! nothing here logs a body, and errors keep only the status and the service's own
//! error text, never what was sent.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::{KeyEnv, KeyError};

/// How long one request to a key service may take, unless
/// `ENSEAL_KEYSERVICE_TIMEOUT` (seconds) says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared agent (connections are reused across keys and files).
fn agent(env: &KeyEnv) -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let timeout = env
            .var("ENSEAL_KEYSERVICE_TIMEOUT")
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            // Error statuses come back as responses, so the service's message can be read.
            .http_status_as_error(false)
            .user_agent(concat!("enseal/", env!("CARGO_PKG_VERSION")))
            .build()
            .into()
    })
}

/// Sends a request and returns the status and body of the answer (any status).
/// `service` names the endpoint in errors.
pub fn send(
    env: &KeyEnv,
    service: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    timeout: Option<Duration>,
) -> Result<(u16, Vec<u8>), KeyError> {
    let agent = agent(env);
    let fail = |e: ureq::Error| KeyError::Failed(format!("{service}: {}", transport(&e)));
    let mut resp = match body {
        Some(bytes) => {
            let mut req = agent.post(url);
            if method == "PUT" {
                req = agent.put(url);
            }
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(t) = timeout {
                req = req.config().timeout_global(Some(t)).build();
            }
            req.send(bytes).map_err(fail)?
        }
        None => {
            let mut req = agent.get(url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(t) = timeout {
                req = req.config().timeout_global(Some(t)).build();
            }
            req.call().map_err(fail)?
        }
    };
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .map_err(fail)?;
    Ok((status, bytes))
}

/// A JSON answer's error text for a non-2xx status.
pub fn status_error(service: &str, status: u16, body: &[u8]) -> KeyError {
    let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    KeyError::Failed(format!(
        "{service}: HTTP {status}{}",
        service_message(&answer)
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    ))
}

/// POSTs a JSON body with `headers` and returns the JSON answer of a 2xx response.
/// `service` names the endpoint in errors ("Vault transit at https://…").
pub fn post_json(
    env: &KeyEnv,
    service: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Result<Value, KeyError> {
    let mut req = agent(env).post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req
        .send_json(body)
        .map_err(|e| KeyError::Failed(format!("{service}: {}", transport(&e))))?;
    let status = resp.status().as_u16();
    let answer: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        return Err(KeyError::Failed(format!(
            "{service}: HTTP {status}{}",
            service_message(&answer)
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )));
    }
    Ok(answer)
}

/// Percent-encoding for form bodies and query strings (all but the unreserved characters).
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A short reason for a transport failure (refused, timed out, TLS, DNS).
fn transport(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => {
            "no answer within the timeout (ENSEAL_KEYSERVICE_TIMEOUT)".into()
        }
        ureq::Error::Io(io) => format!("cannot connect ({io})"),
        ureq::Error::HostNotFound => "host not found".into(),
        other => other.to_string(),
    }
}

/// The error text a service put in its JSON answer (Vault: `errors`; the clouds:
/// `error.message` or `message`), cut to one line.
fn service_message(answer: &Value) -> Option<String> {
    let text = match answer {
        Value::Object(o) => {
            if let Some(Value::Array(errs)) = o.get("errors") {
                errs.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            } else if let Some(m) = o
                .get("error")
                .and_then(|e| e.get("message").or(Some(e)))
                .and_then(Value::as_str)
            {
                m.to_string()
            } else {
                o.get("message").and_then(Value::as_str)?.to_string()
            }
        }
        _ => return None,
    };
    let line = text.lines().next().unwrap_or("").trim();
    (!line.is_empty()).then(|| line.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_are_read_from_each_shape() {
        let vault = serde_json::json!({"errors": ["permission denied"]});
        assert_eq!(
            service_message(&vault).as_deref(),
            Some("permission denied")
        );
        let gcp = serde_json::json!({"error": {"message": "Key not found", "code": 404}});
        assert_eq!(service_message(&gcp).as_deref(), Some("Key not found"));
        let aws = serde_json::json!({"__type": "NotFoundException", "message": "no key"});
        assert_eq!(service_message(&aws).as_deref(), Some("no key"));
        assert_eq!(service_message(&Value::Null), None);
    }
}
