//! The opt-in audit log: one JSON line per decrypt, edit, set, unset, exec, render,
//! watch, rotation and revocation, with time, user, host, command, files, key paths
//! and the outcome. Never a value: a failure is recorded with its error message, which
//! names files and key paths only.
//!
//! The log is written when `ENSEAL_AUDIT_LOG` names a file, or `[audit] log` in
//! `.enseal.toml` does (relative to that file). Lines are appended with `O_APPEND`, so
//! concurrent enseals do not interleave within a line; a new log is made 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

/// One audit record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record {
    /// RFC 3339 UTC.
    pub time: String,
    /// git `user.email`, else the login name.
    pub user: String,
    /// The host name.
    pub host: String,
    /// The command (`decrypt`, `set`, `exec-env`…).
    pub command: String,
    /// The files it worked on, as given.
    pub files: Vec<String>,
    /// The key paths it touched (empty: the whole file).
    pub keys: Vec<String>,
    /// Whether it succeeded.
    pub ok: bool,
    /// The error, when it failed (no values in it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The exit code.
    pub exit: i32,
}

/// Where the log goes: `ENSEAL_AUDIT_LOG`, else `[audit] log` in the nearest
/// `.enseal.toml` (relative to it).
pub fn destination(env_value: Option<&str>, cwd: &Path) -> Option<PathBuf> {
    if let Some(v) = env_value.filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(v));
    }
    let settings = crate::scan::settings::find(cwd)?;
    let text = std::fs::read_to_string(&settings).ok()?;
    let log = super::policy::Lifecycle::parse(&text).ok()?.audit_log?;
    let log = PathBuf::from(log);
    Some(if log.is_absolute() {
        log
    } else {
        settings.parent().unwrap_or(Path::new(".")).join(log)
    })
}

/// The acting user: the email git would put on a commit here (`GIT_AUTHOR_EMAIL`,
/// `user.email`, `EMAIL`), else the login name.
pub fn user(cwd: &Path) -> String {
    let git = std::process::Command::new("git")
        .args(["var", "GIT_AUTHOR_IDENT"])
        .current_dir(cwd)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let ident = String::from_utf8_lossy(&o.stdout).into_owned();
            let start = ident.find('<')? + 1;
            let end = ident[start..].find('>')? + start;
            Some(ident[start..end].to_string())
        })
        .filter(|s| !s.is_empty());
    git.or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()))
}

/// The host name.
pub fn host() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Appends `record` to the log at `path`.
pub fn append(path: &Path, record: &Record) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    // One write: with O_APPEND the line lands whole at the end.
    f.write_all(&line)?;
    f.sync_data()
}
