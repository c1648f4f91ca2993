//! age master keys (X25519 and SSH recipients), with identity lookup as sops does it.
//!
//! `enc` is an ASCII-armored age file with one recipient stanza whose payload is the
//! data key (or a Shamir share). Identities are loaded once per run from every place
//! sops looks, plus `ENSEAL_`-prefixed aliases and enseal's own default key file, and
//! all of them are tried together.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use zeroize::Zeroizing;

use super::{KeyEnv, KeyError, KeyKind, MasterKey};

/// An age recipient entry: `recipient` as given, `enc` the armored age file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgeKey {
    /// `age1…` or an SSH public key line.
    pub recipient: String,
    /// ASCII-armored age file wrapping the data key (ends with a newline).
    pub enc: String,
}

/// The age identities found for this run, and what went wrong while looking.
pub struct Identities {
    list: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// Problems with places that were named explicitly (unreadable file, bad key line).
    problems: Vec<String>,
    /// Where identities were read from, in order (for `doctor`).
    sources: Vec<Source>,
}

/// A place identities were read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// What named it: `SOPS_AGE_KEY_FILE`, `default file`, `SSH key`, ...
    pub via: &'static str,
    /// The file, when it is one.
    pub path: Option<PathBuf>,
    /// How many identities it gave.
    pub found: usize,
}

impl Identities {
    /// How many identities were found.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when none was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Where identities were read from.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// What went wrong with places that were named explicitly.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Runs `read` and records what it added as coming from `via` / `path`.
    fn record(&mut self, via: &'static str, path: Option<PathBuf>, read: impl FnOnce(&mut Self)) {
        let before = self.list.len();
        read(self);
        let found = self.list.len() - before;
        self.sources.push(Source { via, path, found });
    }
}

/// A parsed recipient of either kind.
fn recipient(s: &str) -> Result<Box<dyn age::Recipient + Send>, KeyError> {
    let s = s.trim();
    if s.starts_with("age1") {
        age::x25519::Recipient::from_str(s)
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|e| KeyError::Failed(format!("invalid age recipient: {e}")))
    } else if s.starts_with("ssh-") {
        age::ssh::Recipient::from_str(s)
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|_| KeyError::Failed("invalid ssh-ed25519/ssh-rsa recipient".into()))
    } else {
        Err(KeyError::Failed(
            "unknown recipient type (expected age1… or ssh-ed25519/ssh-rsa …)".into(),
        ))
    }
}

/// Parses identity lines (`AGE-SECRET-KEY-1…`, `#` comments, blank lines) from `text`.
fn parse_identity_text(text: &str, source: &str, out: &mut Identities) {
    match age::IdentityFile::from_buffer(text.as_bytes()).and_then(|f| {
        f.into_identities()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
    }) {
        Ok(ids) => out.list.extend(ids),
        // age's message names a line number, never the line.
        Err(e) => out.problems.push(format!("{source}: {e}")),
    }
}

/// Reads an SSH private key file as an age identity.
fn parse_ssh_identity(path: &PathBuf, out: &mut Identities) {
    let read = std::fs::read(path).map(Zeroizing::new);
    let data = match read {
        Ok(d) => d,
        Err(e) => {
            out.problems.push(format!("{}: {e}", path.display()));
            return;
        }
    };
    match age::ssh::Identity::from_buffer(&data[..], Some(path.display().to_string())) {
        Ok(age::ssh::Identity::Unencrypted(key)) => out
            .list
            .push(Box::new(age::ssh::Identity::Unencrypted(key))),
        Ok(age::ssh::Identity::Encrypted(_)) => out.problems.push(format!(
            "{}: passphrase-protected SSH keys are not supported yet",
            path.display()
        )),
        Ok(age::ssh::Identity::Unsupported(_)) => out
            .problems
            .push(format!("{}: unsupported SSH key type", path.display())),
        Err(e) => out.problems.push(format!("{}: {e}", path.display())),
    }
}

/// The user config directory as Go's `os.UserConfigDir` finds it on Unix.
fn config_dir(env: &KeyEnv) -> Option<PathBuf> {
    env.var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| PathBuf::from(h).join(".config")))
}

/// Loads every identity sops would, plus enseal's aliases and default file.
pub fn load_identities(env: &KeyEnv) -> Identities {
    let mut out = Identities {
        list: Vec::new(),
        problems: Vec::new(),
        sources: Vec::new(),
    };
    match env.sops_var("AGE_SSH_PRIVATE_KEY_FILE") {
        Some(p) => {
            let p = PathBuf::from(p);
            out.record("SOPS_AGE_SSH_PRIVATE_KEY_FILE", Some(p.clone()), |o| {
                parse_ssh_identity(&p, o)
            });
        }
        None => {
            if let Some(home) = env.var("HOME") {
                for name in ["id_ed25519", "id_rsa"] {
                    let p = PathBuf::from(home).join(".ssh").join(name);
                    if p.is_file() {
                        out.record("SSH key", Some(p.clone()), |o| parse_ssh_identity(&p, o));
                    }
                }
            }
        }
    }
    if let Some(inline) = env.sops_var("AGE_KEY") {
        let inline = Zeroizing::new(inline.to_string());
        out.record("SOPS_AGE_KEY", None, |o| {
            parse_identity_text(&inline, "SOPS_AGE_KEY", o)
        });
    }
    if let Some(file) = env.sops_var("AGE_KEY_FILE") {
        out.record("SOPS_AGE_KEY_FILE", Some(PathBuf::from(file)), |o| {
            match std::fs::read_to_string(file).map(Zeroizing::new) {
                Ok(text) => parse_identity_text(&text, file, o),
                Err(e) => o
                    .problems
                    .push(format!("SOPS_AGE_KEY_FILE {file}: cannot read: {e}")),
            }
        });
    }
    if let Some(cmd) = env.sops_var("AGE_KEY_CMD") {
        out.record("SOPS_AGE_KEY_CMD", None, |o| run_key_command(cmd, o));
    }
    if let Some(dir) = config_dir(env) {
        for default in ["sops/age/keys.txt", "enseal/age/keys.txt"] {
            let p = dir.join(default);
            match std::fs::read_to_string(&p).map(Zeroizing::new) {
                Ok(text) => out.record("default file", Some(p.clone()), |o| {
                    parse_identity_text(&text, &p.display().to_string(), o)
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => out
                    .problems
                    .push(format!("{}: cannot read: {e}", p.display())),
            }
        }
    }
    out
}

/// Runs `SOPS_AGE_KEY_CMD` (shell-split, no shell) and parses its standard output.
fn run_key_command(cmd: &str, out: &mut Identities) {
    let args = match shell_words::split(cmd) {
        Ok(a) if !a.is_empty() => a,
        _ => {
            out.problems
                .push("SOPS_AGE_KEY_CMD: cannot parse the command".into());
            return;
        }
    };
    let result = std::process::Command::new(&args[0])
        .args(&args[1..])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output();
    match result {
        Ok(o) if o.status.success() => {
            let text = Zeroizing::new(String::from_utf8_lossy(&o.stdout).into_owned());
            let mut stdout = o.stdout;
            zeroize::Zeroize::zeroize(&mut stdout);
            parse_identity_text(&text, "SOPS_AGE_KEY_CMD", out);
        }
        Ok(o) => out.problems.push(format!(
            "SOPS_AGE_KEY_CMD: {} exited with {}",
            args[0], o.status
        )),
        Err(e) => out
            .problems
            .push(format!("SOPS_AGE_KEY_CMD: cannot run {}: {e}", args[0])),
    }
}

impl AgeKey {
    /// Decrypts `enc` with the given identities.
    fn unwrap_with(&self, ids: &Identities) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let reader = ArmoredReader::new(self.enc.as_bytes());
        let decryptor =
            age::Decryptor::new(reader).map_err(|e| KeyError::Malformed(format!("age: {e}")))?;
        let mut stream = decryptor
            .decrypt(ids.list.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => KeyError::NoIdentity(if ids.is_empty() {
                    let mut msg = "no age identity found (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh, ~/.config/sops/age/keys.txt)".to_string();
                    for p in &ids.problems {
                        msg.push_str("; ");
                        msg.push_str(p);
                    }
                    msg
                } else {
                    format!("none of the {} age identities matches", ids.len())
                }),
                other => KeyError::Failed(format!("age: {other}")),
            })?;
        let mut secret = Zeroizing::new(Vec::with_capacity(33));
        stream
            .read_to_end(&mut secret)
            .map_err(|e| KeyError::Failed(format!("age: {e}")))?;
        Ok(secret)
    }
}

impl MasterKey for AgeKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Age
    }

    fn id(&self) -> String {
        self.recipient.clone()
    }

    fn wrap(&mut self, secret: &[u8], _env: &KeyEnv) -> Result<(), KeyError> {
        let r = recipient(&self.recipient)?;
        let encryptor = age::Encryptor::with_recipients(std::iter::once(r.as_ref() as _))
            .map_err(|e| KeyError::Failed(format!("age: {e}")))?;
        let mut armored = Vec::new();
        let io_err = |e: std::io::Error| KeyError::Failed(format!("age: {e}"));
        let writer =
            ArmoredWriter::wrap_output(&mut armored, Format::AsciiArmor).map_err(io_err)?;
        let mut w = encryptor.wrap_output(writer).map_err(io_err)?;
        w.write_all(secret).map_err(io_err)?;
        w.finish().and_then(|a| a.finish()).map_err(io_err)?;
        let mut enc = String::from_utf8(armored)
            .map_err(|_| KeyError::Failed("age produced non-UTF-8 armor".into()))?;
        if !enc.ends_with('\n') {
            enc.push('\n');
        }
        self.enc = enc;
        Ok(())
    }

    fn is_wrapped(&self) -> bool {
        !self.enc.is_empty()
    }

    fn unwrap(&self, env: &KeyEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let ids = env.age_identities.get_or_init(|| load_identities(env));
        self.unwrap_with(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/sops-generated"
    );

    fn env_with(vars: &[(&str, String)]) -> KeyEnv {
        KeyEnv {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            ..Default::default()
        }
    }

    /// The first `enc: |` block of a sops YAML file.
    fn first_age_enc(file: &str) -> String {
        let text = std::fs::read_to_string(Path::new(FIXTURES).join(file)).unwrap();
        let start = text.find("-----BEGIN AGE ENCRYPTED FILE-----").unwrap();
        let end = text[start..]
            .find("-----END AGE ENCRYPTED FILE-----")
            .unwrap()
            + start;
        let block = &text[start..end + "-----END AGE ENCRYPTED FILE-----".len()];
        block.lines().map(|l| format!("{}\n", l.trim())).collect()
    }

    #[test]
    fn unwraps_a_sops_fixture_blob() {
        let key = AgeKey {
            recipient: "age1f7788xkydpvc7s9wkfd90vxmz6h8cvkjp8x7etqud0jw34e0setqmmmsal".into(),
            enc: first_age_enc("encrypted/basic.a-age.enc.yaml"),
        };
        let env = env_with(&[("SOPS_AGE_KEY_FILE", format!("{FIXTURES}/keys/age1.txt"))]);
        assert_eq!(key.unwrap(&env).unwrap().len(), 32);
        // The other identity does not open it, and says so without leaking anything.
        let env = env_with(&[("SOPS_AGE_KEY_FILE", format!("{FIXTURES}/keys/age2.txt"))]);
        let err = key.unwrap(&env).unwrap_err().to_string();
        assert!(err.contains("none of the 1 age identities"), "{err}");
    }

    #[test]
    fn wrap_then_unwrap_with_every_identity_source() {
        let (secret, recipient) = super::super::local::generate_identity();
        let mut key = AgeKey {
            recipient: recipient.clone(),
            enc: String::new(),
        };
        key.wrap(&[9u8; 32], &KeyEnv::default()).unwrap();
        assert!(key.enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(key.enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys.txt");
        std::fs::write(&file, format!("# comment\n\n{}\n", secret.as_str())).unwrap();
        let envs = [
            env_with(&[("SOPS_AGE_KEY", secret.to_string())]),
            env_with(&[("ENSEAL_AGE_KEY", secret.to_string())]),
            env_with(&[("SOPS_AGE_KEY_FILE", file.display().to_string())]),
            env_with(&[("SOPS_AGE_KEY_CMD", format!("cat {}", file.display()))]),
        ];
        for env in &envs {
            assert_eq!(&key.unwrap(env).unwrap()[..], &[9u8; 32]);
        }
        let xdg = dir.path().join("xdg");
        std::fs::create_dir_all(xdg.join("sops/age")).unwrap();
        std::fs::copy(&file, xdg.join("sops/age/keys.txt")).unwrap();
        let env = env_with(&[("XDG_CONFIG_HOME", xdg.display().to_string())]);
        assert_eq!(&key.unwrap(&env).unwrap()[..], &[9u8; 32]);
    }

    #[test]
    fn missing_identities_are_explained() {
        let key = AgeKey {
            recipient: "age1x".into(),
            enc: first_age_enc("encrypted/basic.a-age.enc.yaml"),
        };
        let env = env_with(&[("SOPS_AGE_KEY_FILE", "/nonexistent/keys.txt".into())]);
        let err = key.unwrap(&env).unwrap_err().to_string();
        assert!(err.contains("no age identity found"), "{err}");
        assert!(err.contains("/nonexistent/keys.txt"), "{err}");
    }

    #[test]
    fn age_cli_interoperates() {
        let Ok(out) = std::process::Command::new("age").arg("--version").output() else {
            panic!("the age CLI is required (scripts/setup-test-deps.sh installs it)");
        };
        assert!(out.status.success());
        let (secret, recipient) = super::super::local::generate_identity();
        let dir = tempfile::tempdir().unwrap();
        let idfile = dir.path().join("id.txt");
        std::fs::write(&idfile, format!("{}\n", secret.as_str())).unwrap();
        // Ours → age CLI.
        let mut key = AgeKey {
            recipient: recipient.clone(),
            enc: String::new(),
        };
        key.wrap(b"0123456789abcdef0123456789abcdef", &KeyEnv::default())
            .unwrap();
        let mut child = std::process::Command::new("age")
            .args(["-d", "-i"])
            .arg(&idfile)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(key.enc.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.stdout, b"0123456789abcdef0123456789abcdef");
        // age CLI → ours.
        let mut child = std::process::Command::new("age")
            .args(["-a", "-r", &recipient])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"shared").unwrap();
        let out = child.wait_with_output().unwrap();
        let theirs = AgeKey {
            recipient,
            enc: String::from_utf8(out.stdout).unwrap(),
        };
        let env = env_with(&[("SOPS_AGE_KEY_FILE", idfile.display().to_string())]);
        assert_eq!(&theirs.unwrap(&env).unwrap()[..], b"shared");
    }

    #[test]
    fn rejects_bad_recipients() {
        let mut key = AgeKey {
            recipient: "not-a-key".into(),
            enc: String::new(),
        };
        assert!(key.wrap(&[0; 32], &KeyEnv::default()).is_err());
    }
}
