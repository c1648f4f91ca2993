//! Turning the bytes of one identity source into age identities, without any I/O.
//!
//! Two shapes exist: identity text (one `AGE-SECRET-KEY-1…` per line, `#` comments and
//! blank lines ignored, as in sops and the age CLI) and SSH private keys. Entries that
//! are valid but that enseal cannot use yet (plugin and post-quantum identities,
//! passphrase-protected files and SSH keys) are skipped with a note instead of failing
//! the whole source, so the other identities of the same file still work. Error
//! messages name line numbers, never line contents.

use std::str::FromStr;

use age::x25519;

/// An identity ready to try against an age header.
pub(crate) type BoxedIdentity = Box<dyn age::Identity + Send + Sync>;

/// The identities found in one source, and the entries that were skipped.
#[derive(Default)]
pub(crate) struct ParsedText {
    /// X25519 identities, in file order.
    pub x25519: Vec<x25519::Identity>,
    /// Why some entries were not used (one note per entry, no contents).
    pub skipped: Vec<String>,
}

/// What an SSH private key file turned out to be.
pub(crate) enum ParsedSsh {
    /// An unencrypted ed25519 or RSA key.
    Usable(BoxedIdentity),
    /// A valid key enseal cannot use yet, with the reason.
    Skipped(String),
}

/// Prefixes of an age-encrypted (passphrase-protected) identity file, binary or armored.
const ENCRYPTED_FILE_PREFIXES: [&[u8]; 2] = [b"age-encryption", b"-----BEGIN AGE"];

/// Parses identity text from a key file, `SOPS_AGE_KEY` or the key command's output.
///
/// A line that is not an identity fails the whole source (as in sops), because a
/// typo in a key file should be reported rather than silently ignored.
pub(crate) fn parse_identity_text(data: &[u8]) -> Result<ParsedText, String> {
    if ENCRYPTED_FILE_PREFIXES.iter().any(|p| data.starts_with(p)) {
        return Ok(ParsedText {
            x25519: Vec::new(),
            skipped: vec![
                "passphrase-protected identity file (enseal cannot ask for its passphrase yet)"
                    .into(),
            ],
        });
    }
    let text = std::str::from_utf8(data).map_err(|_| "not UTF-8 text".to_string())?;
    let mut out = ParsedText::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        let number = index + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("AGE-SECRET-KEY-PQ-1") {
            out.skipped.push(format!(
                "line {number}: post-quantum identity (not supported yet)"
            ));
        } else if line.starts_with("AGE-PLUGIN-") {
            out.skipped.push(format!(
                "line {number}: age plugin identity (plugins are not supported yet)"
            ));
        } else if line.starts_with("AGE-SECRET-KEY-1") {
            let identity = x25519::Identity::from_str(line)
                .map_err(|_| format!("line {number}: malformed AGE-SECRET-KEY-1 identity"))?;
            out.x25519.push(identity);
        } else {
            return Err(format!("line {number} is not an age identity"));
        }
    }
    Ok(out)
}

/// Parses an SSH private key (OpenSSH or PEM format, ed25519 or RSA).
pub(crate) fn parse_ssh_identity(data: &[u8], filename: &str) -> Result<ParsedSsh, String> {
    match age::ssh::Identity::from_buffer(data, Some(filename.to_string())) {
        Ok(identity @ age::ssh::Identity::Unencrypted(_)) => Ok(ParsedSsh::Usable(Box::new(identity))),
        Ok(age::ssh::Identity::Encrypted(_)) => Ok(ParsedSsh::Skipped(
            "passphrase-protected SSH key (enseal cannot ask for its passphrase yet)".into(),
        )),
        Ok(age::ssh::Identity::Unsupported(_)) => Ok(ParsedSsh::Skipped(
            "unsupported SSH key type (age uses ssh-ed25519 and ssh-rsa keys)".into(),
        )),
        Err(_) => Err("not an SSH private key that age can read".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    fn fresh() -> String {
        x25519::Identity::generate()
            .to_string()
            .expose_secret()
            .to_string()
    }

    #[test]
    fn reads_lines_comments_and_crlf() {
        let (a, b) = (fresh(), fresh());
        let text = format!("# created: today\n\n{a}\r\n   \n# public key: age1…\n{b}");
        let parsed = parse_identity_text(text.as_bytes()).unwrap();
        assert_eq!(parsed.x25519.len(), 2);
        assert!(parsed.skipped.is_empty());
        assert_eq!(parse_identity_text(b"").unwrap().x25519.len(), 0);
    }

    #[test]
    fn bad_lines_fail_without_echoing_them() {
        let secret_looking = "AGE-SECRET-KEY-1NOTREALLYAKEYBUTSECRETISH";
        let err = parse_identity_text(format!("{}\n{secret_looking}\n", fresh()).as_bytes())
            .err()
            .unwrap();
        assert_eq!(err, "line 2: malformed AGE-SECRET-KEY-1 identity");
        let err = parse_identity_text(b"hunter2\n").err().unwrap();
        assert_eq!(err, "line 1 is not an age identity");
        assert!(parse_identity_text(b"\xff\xfe").is_err());
    }

    #[test]
    fn unusable_entries_are_skipped_with_a_note() {
        let text = format!(
            "AGE-PLUGIN-YUBIKEY-1QQQ\nAGE-SECRET-KEY-PQ-1QQQ\n{}\n",
            fresh()
        );
        let parsed = parse_identity_text(text.as_bytes()).unwrap();
        assert_eq!(parsed.x25519.len(), 1);
        assert_eq!(parsed.skipped.len(), 2);
        assert!(parsed.skipped[0].starts_with("line 1: age plugin"));
        let parsed = parse_identity_text(b"-----BEGIN AGE ENCRYPTED FILE-----\nxx\n").unwrap();
        assert!(parsed.x25519.is_empty());
        assert!(parsed.skipped[0].contains("passphrase-protected"));
    }

    #[test]
    fn ssh_keys_parse_or_are_explained() {
        let key = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/keys/ssh_ed25519"
        ))
        .unwrap();
        assert!(matches!(
            parse_ssh_identity(&key, "ssh_ed25519"),
            Ok(ParsedSsh::Usable(_))
        ));
        let err = parse_ssh_identity(b"garbage", "x").err().unwrap();
        assert!(err.contains("not an SSH private key"), "{err}");
    }
}
