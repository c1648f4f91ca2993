//! The local age key: generating one for `enseal keygen`, checking recipients given
//! on the command line, and finding the recipients of the local identities so that
//! `enseal encrypt` works with no configuration at all.

use std::str::FromStr;

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::{KeyEnv, KeyError};

/// A new X25519 identity: its `AGE-SECRET-KEY-1…` line and its `age1…` recipient.
pub fn generate_identity() -> (Zeroizing<String>, String) {
    let identity = age::x25519::Identity::generate();
    let secret = Zeroizing::new(identity.to_string().expose_secret().to_string());
    (secret, identity.to_public().to_string())
}

/// Checks that `s` is an age recipient sops accepts (`age1…`, `ssh-ed25519 …`, `ssh-rsa …`).
pub fn parse_recipient(s: &str) -> Result<(), KeyError> {
    if s.starts_with("age1") {
        age::x25519::Recipient::from_str(s)
            .map(|_| ())
            .map_err(|e| KeyError::Failed(format!("not a valid age recipient: {e}")))
    } else if s.starts_with("ssh-") {
        age::ssh::Recipient::from_str(s)
            .map(|_| ())
            .map_err(|_| KeyError::Failed("not a valid ssh-ed25519 or ssh-rsa public key".into()))
    } else {
        Err(KeyError::Failed(
            "expected an age1… recipient or an ssh-ed25519/ssh-rsa public key".into(),
        ))
    }
}

/// Recipients of the X25519 identities in the default key files
/// (`$XDG_CONFIG_HOME/sops/age/keys.txt`, then `.../enseal/age/keys.txt`), or in the file
/// named by `ENSEAL_AGE_KEY_FILE`/`SOPS_AGE_KEY_FILE`.
pub fn local_recipients(env: &KeyEnv) -> Result<Vec<String>, KeyError> {
    let mut files = Vec::new();
    if let Some(f) = env.sops_var("AGE_KEY_FILE") {
        files.push(std::path::PathBuf::from(f));
    } else if let Some(config) = env
        .var("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            env.var("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".config"))
        })
    {
        files.push(config.join("sops/age/keys.txt"));
        files.push(config.join("enseal/age/keys.txt"));
    }
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file).map(Zeroizing::new) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            if line.starts_with("AGE-SECRET-KEY-1") {
                if let Ok(id) = age::x25519::Identity::from_str(line) {
                    let r = id.to_public().to_string();
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_is_usable() {
        let (secret, recipient) = generate_identity();
        assert!(secret.starts_with("AGE-SECRET-KEY-1"));
        assert!(parse_recipient(&recipient).is_ok());
        assert!(parse_recipient("age1nope").is_err());
        assert!(parse_recipient("hello").is_err());
    }

    #[test]
    fn finds_local_recipients() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, recipient) = generate_identity();
        let keys = dir.path().join("sops/age");
        std::fs::create_dir_all(&keys).unwrap();
        std::fs::write(keys.join("keys.txt"), format!("# c\n{}\n", secret.as_str())).unwrap();
        let env = KeyEnv {
            vars: [(
                "XDG_CONFIG_HOME".to_string(),
                dir.path().display().to_string(),
            )]
            .into(),
            ..Default::default()
        };
        assert_eq!(local_recipients(&env).unwrap(), vec![recipient]);
    }
}
