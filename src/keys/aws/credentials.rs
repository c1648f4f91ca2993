//! The AWS credential chain, in the order the AWS SDKs (and so sops) use it:
//! environment variables, the shared profile (`AWS_PROFILE`, else `default`; static
//! keys, `credential_process`, `role_arn` with `source_profile`, `credential_source` or
//! `web_identity_token_file`), web identity from the environment (EKS, GitHub OIDC),
//! container credentials (ECS), and EC2 instance metadata (IMDSv2).
//!
//! A key with an `aws_profile` uses that profile only. Secrets are zeroized and never
//! printed: errors name where credentials were looked for, not what was found.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::endpoint;
use crate::keys::http::{self, form_encode};
use crate::keys::{KeyEnv, KeyError};

/// A set of AWS credentials.
pub struct Credentials {
    /// The access key id (not secret, shown in errors by AWS itself).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// The session token of temporary credentials.
    pub session_token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ..)", self.access_key_id)
    }
}

/// Resolves credentials: the chain, or only `profile` when the key names one.
pub fn resolve(env: &KeyEnv, profile: Option<&str>, region: &str) -> Result<Credentials, KeyError> {
    let mut tried: Vec<String> = Vec::new();
    if profile.is_none() {
        if let Some(c) = from_env(env) {
            return Ok(c);
        }
        tried.push("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into());
    }
    let name = profile
        .or_else(|| env.var("AWS_PROFILE"))
        .unwrap_or("default");
    let files = Profiles::load(env);
    if let Some(c) = from_profile(env, &files, name, region, 0)? {
        return Ok(c);
    }
    tried.push(format!("profile {name:?} in {}", files.describe()));
    if profile.is_none() {
        if let (Some(token_file), Some(role)) = (
            env.var("AWS_WEB_IDENTITY_TOKEN_FILE"),
            env.var("AWS_ROLE_ARN"),
        ) {
            return web_identity(env, token_file, role, region);
        }
        tried.push("AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN".into());
        if let Some(c) = from_container(env)? {
            return Ok(c);
        }
        tried.push("container credentials (AWS_CONTAINER_CREDENTIALS_*_URI)".into());
        if !env
            .var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            match from_imds(env) {
                Ok(Some(c)) => return Ok(c),
                Ok(None) | Err(_) => tried.push("EC2 instance metadata".into()),
            }
        }
    }
    Err(KeyError::NoIdentity(format!(
        "no AWS credentials found (tried {})",
        tried.join(", ")
    )))
}

fn from_env(env: &KeyEnv) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: env.var("AWS_ACCESS_KEY_ID")?.to_string(),
        secret_access_key: Zeroizing::new(env.var("AWS_SECRET_ACCESS_KEY")?.to_string()),
        session_token: env
            .var("AWS_SESSION_TOKEN")
            .map(|t| Zeroizing::new(t.to_string())),
    })
}

/// `~/.aws/credentials` and `~/.aws/config` (or `AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`), section by profile name.
struct Profiles {
    credentials: HashMap<String, HashMap<String, Zeroizing<String>>>,
    config: HashMap<String, HashMap<String, Zeroizing<String>>>,
    paths: (PathBuf, PathBuf),
}

impl Profiles {
    fn load(env: &KeyEnv) -> Profiles {
        let home = PathBuf::from(env.var("HOME").unwrap_or(""));
        let creds_path = env
            .var("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws/credentials"));
        let config_path = env
            .var("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws/config"));
        let read = |p: &PathBuf, config: bool| {
            std::fs::read_to_string(p)
                .map(|t| parse_ini(&t, config))
                .unwrap_or_default()
        };
        Profiles {
            credentials: read(&creds_path, false),
            config: read(&config_path, true),
            paths: (creds_path, config_path),
        }
    }

    fn describe(&self) -> String {
        format!("{} and {}", self.paths.0.display(), self.paths.1.display())
    }

    fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.credentials
            .get(profile)
            .and_then(|s| s.get(key))
            .or_else(|| self.config.get(profile).and_then(|s| s.get(key)))
            .map(|v| v.as_str())
    }
}

/// The sections of an AWS shared file; in the config file `[profile NAME]` is `NAME`.
fn parse_ini(text: &str, config: bool) -> HashMap<String, HashMap<String, Zeroizing<String>>> {
    let mut out: HashMap<String, HashMap<String, Zeroizing<String>>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            let name = if config {
                name.strip_prefix("profile ").map(str::trim).unwrap_or(name)
            } else {
                name
            };
            current = Some(name.to_string());
            continue;
        }
        if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_string(), Zeroizing::new(v.trim().to_string()));
        }
    }
    out
}

fn from_profile(
    env: &KeyEnv,
    files: &Profiles,
    name: &str,
    region: &str,
    depth: usize,
) -> Result<Option<Credentials>, KeyError> {
    if depth > 8 {
        return Err(KeyError::Failed(format!(
            "AWS profile {name:?}: source_profile loops"
        )));
    }
    if let Some(role) = files.get(name, "role_arn") {
        let role = role.to_string();
        if let Some(token_file) = files.get(name, "web_identity_token_file") {
            return web_identity(env, token_file, &role, region).map(Some);
        }
        let base = if let Some(source) = files.get(name, "source_profile") {
            let source = source.to_string();
            // A profile that names itself uses its own static keys as the source.
            if source == name {
                static_keys(files, name)
            } else {
                from_profile(env, files, &source, region, depth + 1)?
            }
        } else if let Some(source) = files.get(name, "credential_source") {
            match source {
                "Environment" => from_env(env),
                "EcsContainer" => from_container(env)?,
                "Ec2InstanceMetadata" => from_imds(env)?,
                other => {
                    return Err(KeyError::Failed(format!(
                        "AWS profile {name:?}: unknown credential_source {other:?}"
                    )))
                }
            }
        } else {
            None
        };
        let base = base.ok_or_else(|| {
            KeyError::NoIdentity(format!(
                "AWS profile {name:?} assumes {role} but its source has no credentials"
            ))
        })?;
        return assume_role(env, &base, &role, region).map(Some);
    }
    if let Some(c) = static_keys(files, name) {
        return Ok(Some(c));
    }
    if let Some(cmd) = files.get(name, "credential_process") {
        return credential_process(name, cmd).map(Some);
    }
    if files.get(name, "sso_start_url").is_some() || files.get(name, "sso_session").is_some() {
        return sso(env, files, name).map(Some);
    }
    Ok(None)
}

/// IAM Identity Center (SSO): the token `aws sso login` cached, traded for the
/// profile's role credentials at the SSO portal.
fn sso(env: &KeyEnv, files: &Profiles, name: &str) -> Result<Credentials, KeyError> {
    let session = files.get(name, "sso_session");
    let session_get = |k: &str| {
        session.and_then(|s| {
            files
                .config
                .get(&format!("sso-session {s}"))
                .and_then(|sec| sec.get(k))
                .map(|v| v.as_str())
        })
    };
    let start_url = session_get("sso_start_url")
        .or_else(|| files.get(name, "sso_start_url"))
        .ok_or_else(|| KeyError::Failed(format!("AWS profile {name:?}: no sso_start_url")))?;
    let sso_region = session_get("sso_region")
        .or_else(|| files.get(name, "sso_region"))
        .ok_or_else(|| KeyError::Failed(format!("AWS profile {name:?}: no sso_region")))?;
    let (Some(account), Some(role)) = (
        files.get(name, "sso_account_id"),
        files.get(name, "sso_role_name"),
    ) else {
        return Err(KeyError::Failed(format!(
            "AWS profile {name:?}: sso_account_id and sso_role_name are needed"
        )));
    };
    let login = || {
        KeyError::NoIdentity(format!(
            "AWS profile {name:?}: no valid IAM Identity Center token; run `aws sso login --profile {name}`"
        ))
    };
    // `aws sso login` caches the token in ~/.aws/sso/cache/<hash>.json with its start URL.
    let cache = PathBuf::from(env.var("HOME").unwrap_or("")).join(".aws/sso/cache");
    let now = jiff::Timestamp::now();
    let token = std::fs::read_dir(&cache)
        .map_err(|_| login())?
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Value>(&Zeroizing::new(b)).ok())
        .find(|v| {
            v.get("startUrl").and_then(Value::as_str) == Some(start_url)
                && v.get("accessToken").is_some()
                && v.get("expiresAt")
                    .and_then(Value::as_str)
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .is_some_and(|t| t > now)
        })
        .and_then(|v| {
            v.get("accessToken")
                .and_then(Value::as_str)
                .map(|t| Zeroizing::new(t.to_string()))
        })
        .ok_or_else(login)?;
    let base = env
        .var("AWS_ENDPOINT_URL_SSO")
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://portal.sso.{sso_region}.amazonaws.com"));
    let url = format!(
        "{base}/federation/credentials?role_name={}&account_id={}",
        form_encode(role),
        form_encode(account)
    );
    let what = format!("AWS IAM Identity Center ({start_url})");
    let (status, body) = http::send(
        env,
        &what,
        "GET",
        &url,
        &[("x-amz-sso_bearer_token", token.as_str())],
        None,
        None,
    )?;
    let body = Zeroizing::new(body);
    if !(200..300).contains(&status) {
        return Err(http::status_error(&what, status, &body));
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| KeyError::Failed(format!("{what}: the answer is not JSON")))?;
    let rc = v
        .get("roleCredentials")
        .ok_or_else(|| KeyError::Failed(format!("{what}: no roleCredentials in the answer")))?;
    let get = |k: &str| rc.get(k).and_then(Value::as_str);
    Ok(Credentials {
        access_key_id: get("accessKeyId")
            .ok_or_else(|| KeyError::Failed(format!("{what}: no accessKeyId")))?
            .to_string(),
        secret_access_key: Zeroizing::new(
            get("secretAccessKey")
                .ok_or_else(|| KeyError::Failed(format!("{what}: no secretAccessKey")))?
                .to_string(),
        ),
        session_token: get("sessionToken").map(|t| Zeroizing::new(t.to_string())),
    })
}

fn static_keys(files: &Profiles, name: &str) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: files.get(name, "aws_access_key_id")?.to_string(),
        secret_access_key: Zeroizing::new(files.get(name, "aws_secret_access_key")?.to_string()),
        session_token: files
            .get(name, "aws_session_token")
            .map(|t| Zeroizing::new(t.to_string())),
    })
}

/// Runs a profile's `credential_process` (through `sh -c`) and reads its JSON.
fn credential_process(name: &str, cmd: &str) -> Result<Credentials, KeyError> {
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| KeyError::Failed(format!("AWS profile {name:?}: credential_process: {e}")))?;
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        return Err(KeyError::Failed(format!(
            "AWS profile {name:?}: credential_process exited with {}",
            out.status
        )));
    }
    let v: Value = serde_json::from_slice(&stdout).map_err(|_| {
        KeyError::Failed(format!(
            "AWS profile {name:?}: credential_process did not print JSON"
        ))
    })?;
    json_credentials(&v, "SessionToken").ok_or_else(|| {
        KeyError::Failed(format!(
            "AWS profile {name:?}: credential_process printed no AccessKeyId/SecretAccessKey"
        ))
    })
}

/// Credentials from a JSON object (`AccessKeyId`, `SecretAccessKey`, and the session
/// token under `token_field`).
fn json_credentials(v: &Value, token_field: &str) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: v.get("AccessKeyId")?.as_str()?.to_string(),
        secret_access_key: Zeroizing::new(v.get("SecretAccessKey")?.as_str()?.to_string()),
        session_token: v
            .get(token_field)
            .and_then(Value::as_str)
            .map(|t| Zeroizing::new(t.to_string())),
    })
}

/// The text of the first `<name>` element of an XML answer (STS answers in XML).
fn xml_tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..end])
}

fn sts_credentials(what: &str, status: u16, body: &[u8]) -> Result<Credentials, KeyError> {
    let text = Zeroizing::new(String::from_utf8_lossy(body).into_owned());
    if !(200..300).contains(&status) {
        let msg = xml_tag(&text, "Message").unwrap_or("").trim();
        return Err(KeyError::Failed(format!("{what}: HTTP {status}: {msg}")));
    }
    let get = |n| xml_tag(&text, n).map(str::to_string);
    Ok(Credentials {
        access_key_id: get("AccessKeyId")
            .ok_or_else(|| KeyError::Failed(format!("{what}: no AccessKeyId in the answer")))?,
        secret_access_key: Zeroizing::new(get("SecretAccessKey").ok_or_else(|| {
            KeyError::Failed(format!("{what}: no SecretAccessKey in the answer"))
        })?),
        session_token: get("SessionToken").map(Zeroizing::new),
    })
}

/// A session name STS accepts (`[\w+=,.@-]*`, at most 64 characters).
fn session_name(env: &KeyEnv) -> String {
    let user = env.var("USER").unwrap_or("user");
    let name: String = format!("enseal@{user}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
        .take(64)
        .collect();
    name
}

/// `sts:AssumeRole` with `base` credentials.
pub fn assume_role(
    env: &KeyEnv,
    base: &Credentials,
    role_arn: &str,
    region: &str,
) -> Result<Credentials, KeyError> {
    let what = format!("AWS STS AssumeRole {role_arn}");
    let session = env
        .var("AWS_ROLE_SESSION_NAME")
        .map(str::to_string)
        .unwrap_or_else(|| session_name(env));
    let body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName={}",
        form_encode(role_arn),
        form_encode(&session)
    );
    let url = endpoint(env, "sts", region);
    let (status, answer) = super::sigv4::send(
        env,
        &what,
        base,
        super::sigv4::Call {
            service: "sts",
            region,
            url: &url,
            headers: &[("content-type", "application/x-www-form-urlencoded")],
            body: body.as_bytes(),
        },
    )?;
    sts_credentials(&what, status, &answer)
}

/// `sts:AssumeRoleWithWebIdentity` (an unsigned call) with the token in `token_file`.
fn web_identity(
    env: &KeyEnv,
    token_file: &str,
    role_arn: &str,
    region: &str,
) -> Result<Credentials, KeyError> {
    let what = format!("AWS STS AssumeRoleWithWebIdentity {role_arn}");
    let token = Zeroizing::new(
        std::fs::read_to_string(token_file)
            .map_err(|e| KeyError::IdentityFile {
                path: token_file.to_string(),
                reason: e.to_string(),
            })?
            .trim()
            .to_string(),
    );
    let session = env
        .var("AWS_ROLE_SESSION_NAME")
        .map(str::to_string)
        .unwrap_or_else(|| session_name(env));
    let body = Zeroizing::new(format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&WebIdentityToken={}",
        form_encode(role_arn),
        form_encode(&session),
        form_encode(&token)
    ));
    let url = format!("{}/", endpoint(env, "sts", region));
    let (status, answer) = http::send(
        env,
        &what,
        "POST",
        &url,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
        None,
    )?;
    sts_credentials(&what, status, &answer)
}

/// ECS / EKS Pod Identity container credentials.
fn from_container(env: &KeyEnv) -> Result<Option<Credentials>, KeyError> {
    let url = if let Some(rel) = env.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("http://169.254.170.2{rel}")
    } else if let Some(full) = env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        full.to_string()
    } else {
        return Ok(None);
    };
    let token = match env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(p) => std::fs::read_to_string(p)
            .ok()
            .map(|t| t.trim().to_string()),
        None => env
            .var("AWS_CONTAINER_AUTHORIZATION_TOKEN")
            .map(str::to_string),
    };
    let token = token.map(Zeroizing::new);
    let headers: Vec<(&str, &str)> = token
        .as_ref()
        .map(|t| vec![("authorization", t.as_str())])
        .unwrap_or_default();
    let what = "AWS container credentials";
    let (status, body) = http::send(env, what, "GET", &url, &headers, None, None)?;
    let body = Zeroizing::new(body);
    if !(200..300).contains(&status) {
        return Err(http::status_error(what, status, &body));
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| KeyError::Failed(format!("{what}: the answer is not JSON")))?;
    Ok(json_credentials(&v, "Token"))
}

/// EC2 instance metadata (IMDSv2: a session token first), with a short timeout so
/// that machines off EC2 move on quickly.
fn from_imds(env: &KeyEnv) -> Result<Option<Credentials>, KeyError> {
    let base = env
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or("http://169.254.169.254")
        .trim_end_matches('/')
        .to_string();
    let quick = Some(Duration::from_secs(1));
    let what = "EC2 instance metadata";
    let (status, token) = http::send(
        env,
        what,
        "PUT",
        &format!("{base}/latest/api/token"),
        &[("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
        Some(b""),
        quick,
    )?;
    if status != 200 {
        return Ok(None);
    }
    let token = Zeroizing::new(String::from_utf8_lossy(&token).into_owned());
    let auth = [("x-aws-ec2-metadata-token", token.as_str())];
    let list = format!("{base}/latest/meta-data/iam/security-credentials/");
    let (status, roles) = http::send(env, what, "GET", &list, &auth, None, quick)?;
    let roles = String::from_utf8_lossy(&roles).into_owned();
    let Some(role) = roles.lines().next().filter(|_| status == 200) else {
        return Ok(None);
    };
    let (status, body) = http::send(
        env,
        what,
        "GET",
        &format!("{list}{role}"),
        &auth,
        None,
        quick,
    )?;
    let body = Zeroizing::new(body);
    if status != 200 {
        return Ok(None);
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| KeyError::Failed(format!("{what}: the answer is not JSON")))?;
    Ok(json_credentials(&v, "Token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> KeyEnv {
        KeyEnv::with_vars(vars)
    }

    #[test]
    fn environment_variables_come_first() {
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "tok"),
        ]);
        let c = resolve(&e, None, "eu-west-1").unwrap();
        assert_eq!(c.access_key_id, "AKIDENV");
        assert_eq!(c.session_token.as_deref().map(|s| s.as_str()), Some("tok"));
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn profiles_static_and_credential_process() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        std::fs::write(
            dir.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=s2\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".aws/config"),
            "[profile proc]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"s3\"}'\n[profile sso]\nsso_start_url = https://x\n",
        )
        .unwrap();
        let home = dir.path().to_str().unwrap();
        let e = env(&[("HOME", home), ("AWS_EC2_METADATA_DISABLED", "true")]);
        assert_eq!(resolve(&e, None, "r").unwrap().access_key_id, "AKIDDEFAULT");
        assert_eq!(
            resolve(&e, Some("dev"), "r").unwrap().access_key_id,
            "AKIDDEV"
        );
        assert_eq!(
            resolve(&e, Some("proc"), "r").unwrap().access_key_id,
            "AKIDPROC"
        );
        let e2 = env(&[("HOME", home), ("AWS_PROFILE", "dev")]);
        assert_eq!(resolve(&e2, None, "r").unwrap().access_key_id, "AKIDDEV");
        let sso = resolve(&e, Some("sso"), "r").unwrap_err().to_string();
        assert!(
            sso.contains("sso_region") || sso.contains("aws sso login"),
            "{sso}"
        );
        let missing = resolve(&e, Some("nope"), "r").unwrap_err().to_string();
        assert!(missing.contains("profile \"nope\""), "{missing}");
    }

    #[test]
    fn sts_answers_are_read_from_xml() {
        let xml = b"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let c = sts_credentials("sts", 200, xml).unwrap();
        assert_eq!(c.access_key_id, "ASIA1");
        let err =
            sts_credentials("sts", 403, b"<Error><Message>denied</Message></Error>").unwrap_err();
        assert!(err.to_string().contains("denied"));
        assert_eq!(
            form_encode("arn:aws:iam::1:role/x y"),
            "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx%20y"
        );
    }
}
