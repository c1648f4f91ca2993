//! PGP master keys through the `gpg` binary, as sops does with modern GnuPG.
//!
//! Shelling out reuses the user's keyring, gpg-agent, pinentry and smartcards. The
//! data key goes through pipes only, never through a file.

use std::io::Write;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::{KeyEnv, KeyError, KeyKind, MasterKey};

/// A PGP entry: fingerprint, creation time and the armored message wrapping the data key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PgpKey {
    /// Uppercase hex fingerprint without spaces.
    pub fingerprint: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// ASCII-armored OpenPGP message (trailing newline trimmed).
    pub enc: String,
}

/// The gpg command: `ENSEAL_GPG_EXEC`/`SOPS_GPG_EXEC`, else `gpg`.
fn gpg(env: &KeyEnv) -> Command {
    let mut cmd = Command::new(env.sops_var("GPG_EXEC").unwrap_or("gpg"));
    // Only what gpg needs from the environment; GNUPGHOME comes from the captured env.
    if let Some(home) = env.var("GNUPGHOME") {
        cmd.env("GNUPGHOME", home);
    }
    cmd.arg("--batch").arg("--no-tty");
    cmd
}

/// Runs gpg with `input` on stdin; returns stdout or an error with gpg's last stderr line.
fn run(mut cmd: Command, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            KeyError::Unsupported(format!(
                "cannot run gpg ({e}); install GnuPG or set SOPS_GPG_EXEC"
            ))
        })?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Write from another thread so a large stdout cannot deadlock us.
    let input = Zeroizing::new(input.to_vec());
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child
        .wait_with_output()
        .map_err(|e| KeyError::Failed(format!("gpg: {e}")))?;
    let _ = writer.join();
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(KeyError::Failed(format!("gpg failed: {}", last.trim())));
    }
    Ok(stdout)
}

impl MasterKey for PgpKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Pgp
    }

    fn id(&self) -> String {
        self.fingerprint.clone()
    }

    fn wrap(&mut self, secret: &[u8], env: &KeyEnv) -> Result<(), KeyError> {
        let fp = &self.fingerprint;
        let short = &fp[fp.len().saturating_sub(16)..];
        let mut cmd = gpg(env);
        cmd.args([
            "--no-default-recipient",
            "--yes",
            "--encrypt",
            "-a",
            "-r",
            fp,
            "--trusted-key",
            short,
            "--no-encrypt-to",
        ]);
        let out = run(cmd, secret)?;
        let armored = String::from_utf8(out.to_vec())
            .map_err(|_| KeyError::Failed("gpg produced non-UTF-8 output".into()))?;
        self.enc = armored.trim_end().to_string();
        self.created_at = crate::file::now_rfc3339();
        Ok(())
    }

    fn is_wrapped(&self) -> bool {
        !self.enc.is_empty()
    }

    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if self.enc.is_empty() {
            return Err(KeyError::Malformed("empty PGP message".into()));
        }
        let mut cmd = gpg(env);
        cmd.args(["--quiet", "-d"]);
        run(cmd, self.enc.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

    /// A throw-away GNUPGHOME with the fixture secret key imported.
    fn gnupg_home(key_file: &str) -> (tempfile::TempDir, KeyEnv) {
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let status = Command::new("gpg")
            .env("GNUPGHOME", dir.path())
            .args(["--batch", "--quiet", "--import", key_file])
            .stderr(Stdio::null())
            .status()
            .expect("gpg is required for the PGP tests (scripts/setup-test-deps.sh installs it)");
        assert!(status.success());
        let env = KeyEnv {
            vars: [("GNUPGHOME".to_string(), dir.path().display().to_string())].into(),
            ..Default::default()
        };
        (dir, env)
    }

    /// The `enc: |-` PGP message of a sops YAML file.
    fn pgp_enc(file: &str) -> String {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{file}")).unwrap();
        let start = text.find("-----BEGIN PGP MESSAGE-----").unwrap();
        let end = text[start..].find("-----END PGP MESSAGE-----").unwrap() + start;
        text[start..end + "-----END PGP MESSAGE-----".len()]
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn unwraps_fixture_messages() {
        let (_home, env) = gnupg_home(&format!("{FIXTURES}/sops-generated/keys/pgp-secret.asc"));
        let key = PgpKey {
            fingerprint: "3464BFAD25EF5E7B9AD8804560FED501D382A0FE".into(),
            enc: pgp_enc("sops-generated/encrypted/basic.e-pgp-age.enc.yaml"),
            ..Default::default()
        };
        assert_eq!(key.unwrap(&env).unwrap().len(), 32);

        let (_home, env) = gnupg_home(&format!(
            "{FIXTURES}/sops-upstream/v3.11.0/pgp/sops_functional_tests_key.asc"
        ));
        let key = PgpKey {
            fingerprint: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4".into(),
            enc: pgp_enc("sops-upstream/v3.11.0/example.yaml"),
            ..Default::default()
        };
        assert_eq!(key.unwrap(&env).unwrap().len(), 32);
    }

    #[test]
    fn wrap_round_trip_and_failures() {
        let (_home, env) = gnupg_home(&format!("{FIXTURES}/sops-generated/keys/pgp-secret.asc"));
        let mut key = PgpKey {
            fingerprint: "3464BFAD25EF5E7B9AD8804560FED501D382A0FE".into(),
            ..Default::default()
        };
        key.wrap(&[5u8; 32], &env).unwrap();
        assert!(key.enc.starts_with("-----BEGIN PGP MESSAGE-----"));
        assert!(!key.enc.ends_with('\n'));
        assert!(key.created_at.parse::<jiff::Timestamp>().is_ok());
        assert_eq!(&key.unwrap(&env).unwrap()[..], &[5u8; 32]);

        let (_empty, other) = {
            let dir = tempfile::tempdir().unwrap();
            let env = KeyEnv {
                vars: [("GNUPGHOME".to_string(), dir.path().display().to_string())].into(),
                ..Default::default()
            };
            (dir, env)
        };
        let err = key.unwrap(&other).unwrap_err().to_string();
        assert!(err.starts_with("gpg failed"), "{err}");
        let mut unknown = PgpKey {
            fingerprint: "0000000000000000000000000000000000000000".into(),
            ..Default::default()
        };
        assert!(unknown.wrap(&[1; 32], &env).is_err());
    }
}
