//! GCP KMS and Azure Key Vault have no local server, so these tests run one: a small
//! HTTP server on 127.0.0.1 that plays the token endpoints and the KMS/Key Vault APIs
//! and checks each request's exact method, path, headers and body against the public
//! API (Cloud KMS v1 `:encrypt`/`:decrypt`; Key Vault 7.4 `wrapkey`/`unwrapkey` with
//! RSA-OAEP-256; OAuth 2 JWT-bearer and client-credentials grants). A request of
//! another shape gets HTTP 400 and fails the test.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;

use crate::common::{show, TestEnv};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

pub type Handler = dyn Fn(&Req) -> Result<String, String> + Send + Sync;

/// A local server: `handler` returns the JSON answer, or why the request is wrong.
pub struct Fake {
    port: u16,
    seen: Arc<Mutex<Vec<Req>>>,
    wrong: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    pub fn start(handler: Box<Handler>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let wrong = Arc::new(Mutex::new(Vec::new()));
        let (s, w) = (seen.clone(), wrong.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.is_empty() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let target = parts.next().unwrap_or("").to_string();
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                    }
                }
                let len = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let req = Req {
                    method,
                    target,
                    headers,
                    body,
                };
                let (status, answer) = match handler(&req) {
                    Ok(a) => ("200 OK", a),
                    Err(why) => {
                        w.lock()
                            .unwrap()
                            .push(format!("{} {}: {why}", req.method, req.target));
                        (
                            "400 Bad Request",
                            format!("{{\"error\":{{\"message\":\"{why}\"}}}}"),
                        )
                    }
                };
                s.lock().unwrap().push(req);
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Fake { port, seen, wrong }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    #[track_caller]
    pub fn assert_all_right(&self) {
        let wrong = self.wrong.lock().unwrap();
        assert!(
            wrong.is_empty(),
            "requests of the wrong shape:\n{}",
            wrong.join("\n")
        );
    }
}

fn json(body: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(body).map_err(|_| "the body is not JSON".to_string())
}

fn form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn expect(cond: bool, why: &str) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(why.to_string())
    }
}

/// The fake's "encryption": a marker and the plaintext bytes.
fn fake_wrap(plain: &[u8]) -> Vec<u8> {
    [b"wrapped:".as_slice(), plain].concat()
}

const PLAIN: &str = "db:\n  password: s3cret-pa55\n";
const RESOURCE: &str = "projects/enseal-test/locations/global/keyRings/ring/cryptoKeys/key";
const TOKEN: &str = "ya29.test-token";

fn gcp_handler(public_key: Vec<u8>) -> Box<Handler> {
    Box::new(move |req: &Req| {
        let path = req.target.as_str();
        if path == "/token" {
            expect(req.method == "POST", "the token request must be a POST")?;
            expect(
                req.headers.get("content-type").map(String::as_str)
                    == Some("application/x-www-form-urlencoded"),
                "the token request must be a form",
            )?;
            let f = form(&req.body);
            expect(
                f.get("grant_type").map(String::as_str)
                    == Some("urn:ietf:params:oauth:grant-type:jwt-bearer"),
                "grant_type must be the JWT bearer grant",
            )?;
            let jwt = f.get("assertion").ok_or("no assertion")?;
            let parts: Vec<&str> = jwt.split('.').collect();
            expect(parts.len() == 3, "the assertion is not a JWT")?;
            let header = json(&B64URL.decode(parts[0]).map_err(|_| "bad header")?)?;
            expect(
                header["alg"] == "RS256" && header["typ"] == "JWT",
                "the JWT must be RS256",
            )?;
            let claims = json(&B64URL.decode(parts[1]).map_err(|_| "bad claims")?)?;
            expect(
                claims["iss"] == "enseal-test@enseal-test.iam.gserviceaccount.com"
                    && claims["scope"] == "https://www.googleapis.com/auth/cloudkms"
                    && claims["aud"]
                        .as_str()
                        .is_some_and(|a| a.ends_with("/token"))
                    && claims["exp"].as_u64() > claims["iat"].as_u64(),
                "the JWT claims are not a Cloud KMS token request",
            )?;
            let sig = B64URL
                .decode(parts[2])
                .map_err(|_| "bad signature encoding")?;
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                &public_key,
            )
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .map_err(|_| "the JWT signature does not verify with the service account's key")?;
            return Ok(format!(
                "{{\"access_token\":\"{TOKEN}\",\"expires_in\":3599,\"token_type\":\"Bearer\"}}"
            ));
        }
        expect(req.method == "POST", "Cloud KMS calls are POSTs")?;
        expect(
            req.headers.get("authorization").map(String::as_str)
                == Some(&format!("Bearer {TOKEN}")),
            "the call must carry the bearer token",
        )?;
        expect(
            req.headers
                .get("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "the body must be JSON",
        )?;
        let body = json(&req.body)?;
        let obj = body.as_object().ok_or("the body must be an object")?;
        if path == format!("/v1/{RESOURCE}:encrypt") {
            expect(obj.len() == 1, "encrypt takes plaintext only")?;
            let plain = B64
                .decode(obj["plaintext"].as_str().ok_or("no plaintext")?)
                .map_err(|_| "plaintext must be base64")?;
            expect(
                plain.len() == 32,
                "the plaintext must be the 32-byte data key",
            )?;
            return Ok(format!(
                "{{\"name\":\"{RESOURCE}/cryptoKeyVersions/1\",\"ciphertext\":\"{}\"}}",
                B64.encode(fake_wrap(&plain))
            ));
        }
        if path == format!("/v1/{RESOURCE}:decrypt") {
            expect(obj.len() == 1, "decrypt takes ciphertext only")?;
            let c = B64
                .decode(obj["ciphertext"].as_str().ok_or("no ciphertext")?)
                .map_err(|_| "ciphertext must be base64")?;
            let plain = c
                .strip_prefix(b"wrapped:".as_slice())
                .ok_or("not a ciphertext of this key")?;
            return Ok(format!("{{\"plaintext\":\"{}\"}}", B64.encode(plain)));
        }
        Err(format!("unknown path {path}"))
    })
}

#[test]
fn gcp_kms_requests_follow_the_public_api() {
    let sa_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/keys/gcp-service-account.test.json"),
    )
    .unwrap();
    let sa: serde_json::Value = serde_json::from_str(&sa_text).unwrap();
    let pem = sa["private_key"].as_str().unwrap();
    let der = B64
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    use ring::signature::KeyPair;
    let fake = Fake::start(gcp_handler(pair.public_key().as_ref().to_vec()));

    let mut env = TestEnv::new();
    let sa_file = sa_text.replace("TOKEN_URI", &format!("{}/token", fake.url()));
    let sa_path = env.write("sa.json", sa_file);
    env.set(
        "GOOGLE_APPLICATION_CREDENTIALS",
        sa_path.display().to_string(),
    )
    .set(
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS",
        format!("{}/", fake.url()),
    );
    env.write("s.yaml", PLAIN);
    let enc = env
        .enseal(&["encrypt", "--gcp-kms", RESOURCE, "s.yaml"])
        .ok()
        .stdout;
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(text.contains(&format!("resource_id: {RESOURCE}")), "{text}");
    env.write("e.yaml", &enc);
    assert_eq!(show(&env.enseal(&["decrypt", "e.yaml"]).ok().stdout), PLAIN);
    fake.assert_all_right();
    let seen = fake.seen.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(|r| r.target.as_str()).collect();
    assert!(
        paths.contains(&"/token")
            && paths.iter().any(|p| p.ends_with(":encrypt"))
            && paths.iter().any(|p| p.ends_with(":decrypt")),
        "{paths:?}"
    );

    // An access token from the environment is used as it is (no token request).
    let before = seen.len();
    env.unset("GOOGLE_APPLICATION_CREDENTIALS")
        .set("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN);
    assert_eq!(show(&env.enseal(&["decrypt", "e.yaml"]).ok().stdout), PLAIN);
    let seen = fake.seen.lock().unwrap().clone();
    assert!(seen[before..].iter().all(|r| r.target != "/token"));
    // A wrong token: the service's refusal is reported, and the file is not opened.
    env.set("GOOGLE_OAUTH_ACCESS_TOKEN", "wrong");
    let run = env.enseal(&["decrypt", "e.yaml"]);
    assert_eq!(run.status, 128);
    assert!(
        run.stderr
            .contains(&format!("GCP KMS key {RESOURCE}: HTTP 400"))
            && run.stderr.contains("bearer token"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cret"));
}

const AZ_TOKEN: &str = "eyJ0eXAi.azure-test-token";

fn azure_handler() -> Box<Handler> {
    Box::new(move |req: &Req| {
        let path = req.target.as_str();
        if path == "/tenant-1/oauth2/v2.0/token" {
            expect(req.method == "POST", "the token request must be a POST")?;
            let f = form(&req.body);
            expect(
                f.get("grant_type").map(String::as_str) == Some("client_credentials")
                    && f.get("client_id").map(String::as_str) == Some("client-1")
                    && f.get("client_secret").map(String::as_str) == Some("secret-1")
                    && f.get("scope").map(String::as_str)
                        == Some("https://vault.azure.net/.default"),
                "not a client-credentials grant for Key Vault",
            )?;
            return Ok(format!(
                "{{\"access_token\":\"{AZ_TOKEN}\",\"token_type\":\"Bearer\",\"expires_in\":3599}}"
            ));
        }
        expect(req.method == "POST", "Key Vault key operations are POSTs")?;
        expect(
            req.headers.get("authorization").map(String::as_str)
                == Some(&format!("Bearer {AZ_TOKEN}")),
            "the call must carry the bearer token",
        )?;
        let body = json(&req.body)?;
        let obj = body.as_object().ok_or("the body must be an object")?;
        expect(
            obj.len() == 2 && obj["alg"] == "RSA-OAEP-256",
            "alg must be RSA-OAEP-256",
        )?;
        let value = B64URL
            .decode(obj["value"].as_str().ok_or("no value")?)
            .map_err(|_| "value must be unpadded base64url")?;
        let kid = "https://vault.test/keys/sops-key/0123abcd";
        match path {
            "/keys/sops-key/0123abcd/wrapkey?api-version=7.4" => {
                expect(value.len() == 32, "wrapkey takes the 32-byte data key")?;
                Ok(format!(
                    "{{\"kid\":\"{kid}\",\"value\":\"{}\"}}",
                    B64URL.encode(fake_wrap(&value))
                ))
            }
            "/keys/sops-key/0123abcd/unwrapkey?api-version=7.4" => {
                let plain = value
                    .strip_prefix(b"wrapped:".as_slice())
                    .ok_or("not a wrapped key of this vault")?;
                Ok(format!(
                    "{{\"kid\":\"{kid}\",\"value\":\"{}\"}}",
                    B64URL.encode(plain)
                ))
            }
            other => Err(format!("unknown path {other}")),
        }
    })
}

#[test]
fn azure_key_vault_requests_follow_the_public_api() {
    let fake = Fake::start(azure_handler());
    let mut env = TestEnv::new();
    env.set("AZURE_TENANT_ID", "tenant-1")
        .set("AZURE_CLIENT_ID", "client-1")
        .set("AZURE_CLIENT_SECRET", "secret-1")
        .set("AZURE_AUTHORITY_HOST", fake.url());
    let key_url = format!("{}/keys/sops-key/0123abcd", fake.url());
    env.write("s.yaml", PLAIN);
    let enc = env
        .enseal(&["encrypt", "--azure-kv", &key_url, "s.yaml"])
        .ok()
        .stdout;
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(
        text.contains("name: sops-key") && text.contains("version: 0123abcd"),
        "{text}"
    );
    env.write("e.yaml", &enc);
    assert_eq!(show(&env.enseal(&["decrypt", "e.yaml"]).ok().stdout), PLAIN);
    fake.assert_all_right();
    let seen = fake.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|r| r.target.contains("/wrapkey?"))
            && seen.iter().any(|r| r.target.contains("/unwrapkey?"))
    );
    // A wrong secret: the token endpoint's refusal is reported.
    env.set("AZURE_CLIENT_SECRET", "nope");
    let run = env.enseal(&["decrypt", "e.yaml"]);
    assert_eq!(run.status, 128);
    assert!(
        run.stderr.contains("Azure token endpoint") && run.stderr.contains("HTTP 400"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("nope"),
        "the secret was printed: {}",
        run.stderr
    );
}
