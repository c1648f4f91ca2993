use super::*;

fn scanner() -> Scanner {
    Scanner::new(rules::builtin())
}

/// The rule ids found in `text`.
fn ids(s: &Scanner, text: &str) -> Vec<String> {
    s.scan(text.as_bytes())
        .unwrap()
        .iter()
        .map(|h| s.rules[h.rule].id.clone())
        .collect()
}

#[test]
fn shapes_are_found_under_any_name() {
    let s = scanner();
    let cases = [
        ("const value = \"AKIAYPKGVA2DUGL5T56Z\"", "aws-access-key-id"),
        ("x = 'ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d'", "github-pat"),
        ("blob: glpat-xR3dS9vQ2mN8kL4pZ7yT", "gitlab-pat"),
        ("k = \"sk_live_OQUiWzpAEdNT9iPTxjZ094Qf\"", "stripe-secret-key"),
        ("conn = \"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\"", "openai-api-key"),
        ("hook = https://hooks.slack.com/services/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", "slack-webhook-url"),
        ("tok: xoxb-2847561930-4827361950284-q7Rt2ZkLm9XwP4vN8sJd3HcY", "slack-bot-token"),
        ("key = AIzaSyD3x9Qk2mN8vL4pZ7yT1rW6sU0oI5eE3cB", "gcp-api-key"),
        ("npm = npm_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6", "npm-access-token"),
        ("a = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Fy9BPS33-wvlW3TjQ6s0RQSlImPw\"", "jwt"),
        ("url = \"postgres://svc:rD9IjMNFJ*1yc9mjKE@db.internal:5432/app\"", "database-url-password"),
        ("AGE-SECRET-KEY-12JNYC9V4K8WSZ55WF3ZRT73VQZKJ4K55XL58J5HSQCQAS097GJASQHLYPH", "age-secret-key"),
    ];
    for (text, want) in cases {
        assert_eq!(ids(&s, text), [want], "{text}");
    }
    let pem = "const conn = `-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2kx0Q9pVtK8zL5wN2bR4cY7eH1fD\n-----END RSA PRIVATE KEY-----`";
    assert_eq!(ids(&s, pem), ["private-key"]);
    let escaped = r#"KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKg+XjZzD3XmYplbWYmYx4SJPmr8Nte0\n""#;
    assert_eq!(ids(&s, escaped), ["private-key"]);
}

#[test]
fn names_find_shapeless_secrets() {
    let s = scanner();
    for text in [
        "client_secret = \"vNXXqo2vykzB/KU6lYlgqhEVv/k8EI/5\"",
        "SIGNING_SECRET=V8VHItHZenRfG2qOZtUiPdZ/qJetA6y9",
        "const app_password = \"4bb44b16642c75bba41fd597108781fc890ce158\";",
        "  \"AWS_SECRET_ACCESS_KEY\": \"HPPQaSBiyy47tGMM48J6OvNE6L3/ZqpPpe8Rbm2Y\",",
    ] {
        assert_eq!(ids(&s, text).len(), 1, "{text}");
    }
}

#[test]
fn decoys_are_not_findings() {
    let s = scanner();
    for text in [
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key: \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "export STRIPE_SECRET_KEY=\"sk_test_XXXXXXXXXXXXXXXXXXXXXXXX\"",
        "OPENAI_API_KEY=sk-your-api-key-here",
        "DATABASE_URL=postgres://user:${DB_PASSWORD}@localhost:5432/app",
        "DATABASE_URL=postgres://USERNAME:PASSWORD@HOST:5432/DBNAME",
        "api_secret = changeme-in-production",
        "const apiKey = process.env.OPENAI_API_KEY;",
        "  secret_key = data.aws_ssm_parameter.cache.value",
        "password: \"{{ .Values.db.password }}\"",
        "token = os.environ[\"GITHUB_TOKEN\"]",
        "TENANT_ID=3f2a1c4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
        "CHECKSUM = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
        "    password: ENC[AES256_GCM,data:QFqOx+ccmA==,iv:eDpVWBWWmruv39lUTKMbS3WvFNycw+FkZ4dfVkOVNsI=,tag:KlYUfvC8UDXTBxoDtpF7JQ==,type:str]",
        "-----BEGIN PUBLIC KEY-----",
        "token = \"ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\"  # enseal:allow",
    ] {
        assert!(ids(&s, text).is_empty(), "{text}: {:?}", ids(&s, text));
    }
}

#[test]
fn positions_and_redaction() {
    let s = scanner();
    let text = "a = 1\n  token: ghp_prOSuvHrA9OIPsIjZ0Mf7Btma9mqTiNiOE4d\n";
    let hits = s.scan(text.as_bytes()).unwrap();
    assert_eq!((hits[0].line, hits[0].column), (2, 10));
    let f = finding(&s, "x.yaml", text.as_bytes(), &hits[0]);
    assert_eq!(f.redacted, "ghp_… (40 chars)");
    assert!(!format!("{f:?}").contains("prOSuv"));
    assert_eq!(redact(b"abc"), "a… (3 chars)");
    assert!(s.scan(b"a\0b").is_err());
}
