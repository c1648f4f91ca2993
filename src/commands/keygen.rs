//! `enseal keygen`: a new age identity in a 0600 file that is never overwritten.

use std::path::PathBuf;

use crate::cli::KeygenArgs;
use crate::error::Error;
use crate::keys::KeyEnv;

/// The default identity file: `$ENSEAL_AGE_KEY_FILE`/`$SOPS_AGE_KEY_FILE`, else the file
/// sops reads by default, so both tools find the key.
fn default_path(env: &KeyEnv) -> Result<PathBuf, Error> {
    if let Some(p) = env.sops_var("AGE_KEY_FILE") {
        return Ok(PathBuf::from(p));
    }
    let config_home = env
        .var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| {
            Error::Usage("neither HOME nor XDG_CONFIG_HOME is set; pass --output".into())
        })?;
    Ok(config_home.join("sops").join("age").join("keys.txt"))
}

/// Writes a new identity and prints its recipient.
pub fn run(args: KeygenArgs, env: &KeyEnv) -> Result<(), Error> {
    let path = match args.output {
        Some(p) => p,
        None => default_path(env)?,
    };
    if path.exists() {
        return Err(Error::KeyFileExists(path));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|source| Error::Write {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let (secret, recipient) = crate::keys::local::generate_identity();
    let contents = zeroize::Zeroizing::new(format!(
        "# created: {}\n# public key: {recipient}\n{}\n",
        crate::file::now_rfc3339(),
        secret.as_str()
    ));
    crate::fs::write_new(&path, contents.as_bytes(), 0o600).map_err(|source| {
        match source.kind() {
            std::io::ErrorKind::AlreadyExists => Error::KeyFileExists(path.clone()),
            _ => Error::Write {
                path: path.display().to_string(),
                source,
            },
        }
    })?;
    eprintln!("Wrote a new age identity to {}", path.display());
    eprintln!("Public key: {recipient}");
    println!("{recipient}");
    Ok(())
}

fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
