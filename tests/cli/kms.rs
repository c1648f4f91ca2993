//! AWS KMS keys against moto (PyPI `moto[server]`, an AWS API server installed by
//! scripts/setup-test-deps.sh), started on 127.0.0.1 by each test and stopped when it
//! ends. enseal signs its own requests (SigV4) and resolves credentials itself; the real
//! sops 3.11 (AWS SDK for Go) reads the same files, both ways.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{show, TestEnv};

/// The venv's `bin` (moto_server and its Python, which has boto3).
fn peers_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("ENSEAL_PEERS_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin");
    assert!(
        bin.join("moto_server").is_file(),
        "moto is needed for the AWS KMS tests: run `bash scripts/setup-test-deps.sh`"
    );
    bin
}

struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(peers_bin().join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !moto.up() {
            assert!(
                Instant::now() < deadline,
                "moto did not come up on port {port}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    fn up(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.starts_with("HTTP/1.")
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new symmetric KMS key, made with boto3 against this server.
    fn create_key(&self) -> String {
        let out = Command::new(peers_bin().join("python"))
            .args([
                "-c",
                "import boto3; print(boto3.client('kms', region_name='eu-west-1').create_key()['KeyMetadata']['Arn'])",
            ])
            .env_clear()
            .env("AWS_ENDPOINT_URL", self.url())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PLAIN: &str = "# db\ndb:\n  password: s3cret-pa55\n";

fn aws_env(moto: &Moto) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("AWS_ENDPOINT_URL", moto.url())
        .set("AWS_ACCESS_KEY_ID", "testing")
        .set("AWS_SECRET_ACCESS_KEY", "testing")
        .set("AWS_EC2_METADATA_DISABLED", "true");
    env
}

#[test]
fn kms_files_open_in_both_tools() {
    let moto = Moto::start();
    let arn = moto.create_key();
    let env = aws_env(&moto);
    env.write("s.yaml", PLAIN);
    let enc = env
        .enseal(&["encrypt", "--kms", &arn, "s.yaml"])
        .ok()
        .stdout;
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(text.contains(&format!("- arn: {arn}")), "{text}");
    env.write("by-enseal.yaml", &enc);
    assert_eq!(
        show(&env.enseal(&["decrypt", "by-enseal.yaml"]).ok().stdout),
        PLAIN
    );
    let theirs = env.sops(&["decrypt", "by-enseal.yaml"]).ok().stdout;
    let by_sops = env.sops(&["encrypt", "--kms", &arn, "s.yaml"]).ok().stdout;
    env.write("by-sops.yaml", &by_sops);
    let reference = env.sops(&["decrypt", "by-sops.yaml"]).ok().stdout;
    assert_eq!(show(&theirs), show(&reference));
    assert_eq!(
        show(&env.enseal(&["decrypt", "by-sops.yaml"]).ok().stdout),
        show(&reference)
    );

    // An encryption context from .sops.yaml is bound to the key, in both tools.
    env.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - key_groups:\n      - kms:\n          - arn: {arn}\n            context:\n              app: web\n              env: prod\n"
        ),
    );
    env.write("c.json", "{\"token\": \"abc\"}\n");
    let enc = env.enseal(&["encrypt", "c.json"]).ok().stdout;
    assert!(String::from_utf8_lossy(&enc).contains("\"app\": \"web\""));
    env.write("e.json", &enc);
    assert_eq!(
        env.sops(&["decrypt", "--extract", "[\"token\"]", "e.json"])
            .ok()
            .stdout,
        b"abc"
    );
    let by_sops = env.sops(&["encrypt", "c.json"]).ok().stdout;
    env.write("s.json", &by_sops);
    assert_eq!(
        env.enseal(&["decrypt", "--extract", "[\"token\"]", "s.json"])
            .ok()
            .stdout,
        b"abc"
    );
}

#[test]
fn credentials_from_profiles_roles_and_web_identity() {
    let moto = Moto::start();
    let arn = moto.create_key();
    let mut env = aws_env(&moto);
    env.write("s.yaml", PLAIN);
    // ARN+ROLE: the role is assumed through STS first (sops writes `role:`).
    let role = "arn:aws:iam::123456789012:role/secrets-reader";
    let keyed = format!("{arn}+{role}");
    let enc = env
        .enseal(&["encrypt", "--kms", &keyed, "s.yaml"])
        .ok()
        .stdout;
    assert!(String::from_utf8_lossy(&enc).contains(&format!("role: {role}")));
    env.write("r.yaml", &enc);
    assert!(show(&env.sops(&["decrypt", "r.yaml"]).ok().stdout).contains("s3cret-pa55"));

    // No environment credentials: a shared profile, then web identity.
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let run = env.enseal(&["decrypt", "r.yaml"]);
    assert_eq!(run.status, 128);
    assert!(
        run.stderr.contains("no AWS credentials found"),
        "{}",
        run.stderr
    );
    std::fs::create_dir_all(env.home().join(".aws")).unwrap();
    std::fs::write(
        env.home().join(".aws/credentials"),
        "[ci]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .unwrap();
    env.set("AWS_PROFILE", "ci");
    assert_eq!(show(&env.enseal(&["decrypt", "r.yaml"]).ok().stdout), PLAIN);
    env.unset("AWS_PROFILE");
    env.write("token.jwt", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    env.set(
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        env.work().join("token.jwt").display().to_string(),
    )
    .set("AWS_ROLE_ARN", role);
    assert_eq!(show(&env.enseal(&["decrypt", "r.yaml"]).ok().stdout), PLAIN);
}

/// A KMS that goes down: a three-group file (KMS, age, age; threshold 2) fails over to
/// the age groups, and without them the error names the KMS key that failed.
#[test]
fn a_kms_that_is_down_fails_over_and_is_named() {
    let mut moto = Moto::start();
    let arn = moto.create_key();
    let mut env = aws_env(&moto);
    let (k1, r1) = env.age_identity("k1.txt");
    let (k2, r2) = env.age_identity("k2.txt");
    env.use_age_key(&k1);
    env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - kms: [{{arn: '{arn}'}}]\n      - age: ['{r1}']\n      - age: ['{r2}']\n"),
    );
    env.write("s.yaml", PLAIN);
    let enc = env.enseal(&["encrypt", "s.yaml"]).ok().stdout;
    env.write("g.yaml", &enc);
    assert_eq!(show(&env.enseal(&["decrypt", "g.yaml"]).ok().stdout), PLAIN);
    let _ = moto.child.kill();
    let _ = moto.child.wait();
    let started = Instant::now();
    let run = env.enseal(&["decrypt", "g.yaml"]);
    assert_eq!(run.status, 128, "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        run.stderr.contains(&format!("AWS KMS key {arn}")) && run.stderr.contains("cannot connect"),
        "{}",
        run.stderr
    );
    let both = format!(
        "{}\n{}",
        std::fs::read_to_string(&k1).unwrap(),
        std::fs::read_to_string(&k2).unwrap()
    );
    env.write("both.txt", both);
    env.set(
        "SOPS_AGE_KEY_FILE",
        env.work().join("both.txt").display().to_string(),
    );
    assert_eq!(show(&env.enseal(&["decrypt", "g.yaml"]).ok().stdout), PLAIN);
}

/// An IAM Identity Center profile: the token `aws sso login` cached is traded at the
/// SSO portal (a local server checking the request) for role credentials for KMS.
#[test]
fn sso_profiles_use_the_cached_token() {
    let moto = Moto::start();
    let arn = moto.create_key();
    let portal = crate::cloud::Fake::start(Box::new(|req: &crate::cloud::Req| {
        if req.method != "GET"
            || req.target
                != "/federation/credentials?role_name=SecretsReader&account_id=123456789012"
        {
            return Err(format!("unexpected {} {}", req.method, req.target));
        }
        if req
            .headers
            .get("x-amz-sso_bearer_token")
            .map(String::as_str)
            != Some("cached-sso-token")
        {
            return Err("the cached token must be sent as x-amz-sso_bearer_token".into());
        }
        Ok(r#"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"testing","sessionToken":"t","expiration":4102444800000}}"#.into())
    }));
    let mut env = aws_env(&moto);
    env.write("s.yaml", PLAIN);
    let enc = env
        .enseal(&["encrypt", "--kms", &arn, "s.yaml"])
        .ok()
        .stdout;
    env.write("e.yaml", &enc);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("AWS_PROFILE", "dev")
        .set("AWS_ENDPOINT_URL_SSO", portal.url());
    let aws = env.home().join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = SecretsReader\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    )
    .unwrap();
    // No token yet: the error says to log in.
    let run = env.enseal(&["decrypt", "e.yaml"]);
    assert_eq!(run.status, 128);
    assert!(
        run.stderr.contains("aws sso login --profile dev"),
        "{}",
        run.stderr
    );
    std::fs::write(
        aws.join("sso/cache/0f8a.json"),
        r#"{"startUrl":"https://corp.awsapps.com/start","region":"eu-west-1","accessToken":"cached-sso-token","expiresAt":"2099-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(show(&env.enseal(&["decrypt", "e.yaml"]).ok().stdout), PLAIN);
    portal.assert_all_right();
}

/// `rotate --add-kms` / `--rm-kms` change a file's recipients like the age flags.
#[test]
fn rotate_adds_and_removes_kms_keys() {
    let moto = Moto::start();
    let arn = moto.create_key();
    let mut env = aws_env(&moto);
    let (k1, r1) = env.age_identity("k1.txt");
    env.use_age_key(&k1);
    env.write("s.yaml", PLAIN);
    env.enseal(&["encrypt", "--age", &r1, "-i", "s.yaml"]).ok();
    env.enseal(&["rotate", "-i", "--add-kms", &arn, "s.yaml"])
        .ok();
    // Without the age key, KMS alone opens it, in both tools.
    env.unset("SOPS_AGE_KEY_FILE");
    assert_eq!(show(&env.enseal(&["decrypt", "s.yaml"]).ok().stdout), PLAIN);
    assert!(show(&env.sops(&["decrypt", "s.yaml"]).ok().stdout).contains("s3cret-pa55"));
    env.use_age_key(&k1);
    env.enseal(&["rotate", "-i", "--rm-kms", &arn, "s.yaml"])
        .ok();
    assert!(!String::from_utf8(env.read("s.yaml"))
        .unwrap()
        .contains(&arn));
    env.unset("SOPS_AGE_KEY_FILE");
    assert_eq!(env.enseal(&["decrypt", "s.yaml"]).status, 128);
}

/// Container (ECS) and instance-metadata (IMDSv2) credentials, served by a local server
/// that checks the requests the way the real endpoints would.
#[test]
fn container_and_instance_metadata_credentials() {
    let moto = Moto::start();
    let arn = moto.create_key();
    let creds = r#"{"AccessKeyId":"ASIAMETA","SecretAccessKey":"testing","Token":"t","Expiration":"2099-01-01T00:00:00Z"}"#;
    let meta = crate::cloud::Fake::start(Box::new(move |req: &crate::cloud::Req| {
        let header = |k: &str| req.headers.get(k).map(String::as_str);
        match (req.method.as_str(), req.target.as_str()) {
            ("GET", "/ecs/creds") if header("authorization") == Some("ecs-auth-token") => {
                Ok(creds.to_string())
            }
            ("PUT", "/latest/api/token")
                if header("x-aws-ec2-metadata-token-ttl-seconds") == Some("21600") =>
            {
                Ok("imds-session-token".into())
            }
            ("GET", "/latest/meta-data/iam/security-credentials/")
                if header("x-aws-ec2-metadata-token") == Some("imds-session-token") =>
            {
                Ok("instance-role".into())
            }
            ("GET", "/latest/meta-data/iam/security-credentials/instance-role")
                if header("x-aws-ec2-metadata-token") == Some("imds-session-token") =>
            {
                Ok(creds.to_string())
            }
            (m, t) => Err(format!("unexpected {m} {t}")),
        }
    }));
    let mut env = aws_env(&moto);
    env.write("s.yaml", PLAIN);
    let enc = env
        .enseal(&["encrypt", "--kms", &arn, "s.yaml"])
        .ok()
        .stdout;
    env.write("e.yaml", &enc);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    env.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{}/ecs/creds", meta.url()),
    )
    .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token");
    assert_eq!(show(&env.enseal(&["decrypt", "e.yaml"]).ok().stdout), PLAIN);
    env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .unset("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .unset("AWS_EC2_METADATA_DISABLED")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", meta.url());
    assert_eq!(show(&env.enseal(&["decrypt", "e.yaml"]).ok().stdout), PLAIN);
    meta.assert_all_right();
}
