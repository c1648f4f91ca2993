//! `enseal doctor`: checks the environment a user runs enseal in and says what to fix.
//!
//! - the age identities found, and where from; key files others can read;
//! - each key of each `.sops.yaml` creation rule: a random probe is wrapped for it and
//!   unwrapped again, which shows whether its service is reachable and whether this
//!   machine can open files of the rule;
//! - the git integration (diff and merge drivers, pre-commit hook).
//!
//! Nothing is written. The probe is random bytes, never a real data key.

use std::path::{Path, PathBuf};

use rand::RngCore;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::keys::{age, KeyEnv, KeyGroup};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// As it should be.
    Ok,
    /// Works, but should be fixed.
    Warn,
    /// Something the user needs does not work.
    Fail,
}

/// One line of the report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    /// How bad.
    pub level: Level,
    /// What was checked: `age`, `key file`, `.sops.yaml`, `git`.
    pub topic: &'static str,
    /// What was found (never a secret).
    pub text: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn new(level: Level, topic: &'static str, text: impl Into<String>) -> Finding {
        Finding {
            level,
            topic,
            text: text.into(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }
}

/// Every check, in order.
pub fn run(cwd: &Path, config: Option<&Path>, env: &KeyEnv) -> Vec<Finding> {
    let mut out = keys(env);
    out.extend(rules(cwd, config, env));
    out.extend(git(cwd));
    out
}

/// The age identities and their files.
pub fn keys(env: &KeyEnv) -> Vec<Finding> {
    let ids = age::load_identities(env);
    let mut out = Vec::new();
    for s in ids.sources() {
        let place = match &s.path {
            Some(p) => format!("{} ({})", s.via, p.display()),
            None => s.via.to_string(),
        };
        let level = if s.found > 0 { Level::Ok } else { Level::Warn };
        out.push(Finding::new(
            level,
            "age",
            format!("{} identit{} from {place}", s.found, plural(s.found)),
        ));
        if let Some(p) = &s.path {
            out.extend(key_file_mode(p));
        }
    }
    for p in ids.problems() {
        out.push(Finding::new(Level::Fail, "age", p.clone()));
    }
    if ids.is_empty() {
        out.push(
            Finding::new(Level::Fail, "age", "no age identity found (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh, ~/.config/sops/age/keys.txt)")
                .fix("create one with `enseal keygen`, or point SOPS_AGE_KEY_FILE at yours"),
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "y"
    } else {
        "ies"
    }
}

/// A key file that others than its owner can read.
#[cfg(unix)]
fn key_file_mode(path: &Path) -> Option<Finding> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        Finding::new(
            Level::Warn,
            "key file",
            format!(
                "{} can be read by {} (mode {mode:04o})",
                path.display(),
                if mode & 0o007 != 0 {
                    "every user"
                } else {
                    "its group"
                }
            ),
        )
        .fix(format!("chmod 600 {}", path.display()))
    })
}

#[cfg(not(unix))]
fn key_file_mode(_path: &Path) -> Option<Finding> {
    None
}

/// Each key of each creation rule, probed.
pub fn rules(cwd: &Path, config: Option<&Path>, env: &KeyEnv) -> Vec<Finding> {
    let path: Option<PathBuf> = match config {
        Some(p) => Some(p.to_path_buf()),
        None => crate::config::find(cwd).0,
    };
    let Some(path) = path else {
        return vec![Finding::new(
            Level::Warn,
            ".sops.yaml",
            "no .sops.yaml here or above: every encrypt needs --age/--pgp/… flags",
        )
        .fix("add creation rules (docs/keys.md), or ignore this if you pass keys on the command line")];
    };
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            return vec![Finding::new(Level::Fail, ".sops.yaml", e.to_string())
                .fix(format!("fix {}", path.display()))]
        }
    };
    let mut out = vec![Finding::new(
        Level::Ok,
        ".sops.yaml",
        format!("{} ({} rule(s))", path.display(), config.rules().len()),
    )];
    for (regex, groups, threshold) in config.rules() {
        let rule = match &regex {
            Some(r) => format!("rule `{r}`"),
            None => "rule for any file".to_string(),
        };
        out.extend(probe_rule(&rule, groups, threshold, env));
    }
    out
}

/// Wraps a random probe for every key of a rule and unwraps it again.
fn probe_rule(rule: &str, groups: Vec<KeyGroup>, threshold: usize, env: &KeyEnv) -> Vec<Finding> {
    let mut out = Vec::new();
    if groups.iter().all(KeyGroup::is_empty) {
        out.push(Finding::new(
            Level::Warn,
            ".sops.yaml",
            format!("{rule}: names no keys"),
        ));
        return out;
    }
    let mut probe = Zeroizing::new([0u8; 32]);
    rand::thread_rng().fill_bytes(&mut probe[..]);
    let mut open_groups = 0;
    let mut openers = Vec::new();
    for (i, mut group) in groups.iter().cloned().enumerate() {
        let mut opened = None;
        for key in group.unusable_keys() {
            out.push(
                Finding::new(
                    Level::Fail,
                    ".sops.yaml",
                    format!(
                        "{rule}: {}: cannot encrypt for it: {}",
                        key.id,
                        key.reason()
                    ),
                )
                .fix(key.fix()),
            );
        }
        for key in group.usable_keys_mut() {
            let id = format!("{} {}", key.kind().name(), key.id());
            if let Err(e) = key.wrap(&probe[..], env) {
                out.push(
                    Finding::new(
                        Level::Fail,
                        ".sops.yaml",
                        format!("{rule}: {id}: cannot encrypt for it: {e}"),
                    )
                    .fix("check that the key service is up and reachable, and its credentials (docs/keys.md)"),
                );
                continue;
            }
            match key.unwrap(env) {
                Ok(back) if back.as_slice() == &probe[..] => {
                    opened.get_or_insert(id);
                }
                Ok(_) => out.push(Finding::new(
                    Level::Fail,
                    ".sops.yaml",
                    format!("{rule}: {id}: gave back something else than it was given"),
                )),
                // Another person's recipient: normal in a team, said only once below.
                Err(_) => {}
            }
        }
        if let Some(id) = opened {
            open_groups += 1;
            openers.push(format!("group {} via {id}", i + 1));
        }
    }
    let needed = if threshold == 0 {
        groups.len()
    } else {
        threshold
    };
    if open_groups >= needed {
        out.push(Finding::new(
            Level::Ok,
            ".sops.yaml",
            format!(
                "{rule}: this machine can decrypt its files ({})",
                openers.join(", ")
            ),
        ));
    } else {
        out.push(
            Finding::new(
                Level::Warn,
                ".sops.yaml",
                format!(
                    "{rule}: this machine cannot decrypt its files (opens {open_groups} of the {needed} group(s) needed)"
                ),
            )
            .fix("make one of the rule's keys available here (an age identity, a gpg secret key, the key service's credentials), or ignore this if the rule is not yours"),
        );
    }
    out
}

/// The git integration of the repository around `cwd`, if any.
pub fn git(cwd: &Path) -> Vec<Finding> {
    let Ok(repo) = crate::git::cli::Repo::discover(cwd) else {
        return Vec::new();
    };
    let textconv = repo.config_get("diff.enseal.textconv");
    let merge = repo.config_get("merge.enseal.driver");
    let hook = repo
        .git_path("hooks")
        .ok()
        .map(|d| d.join("pre-commit"))
        .and_then(|h| std::fs::read_to_string(h).ok())
        .is_some_and(|t| t.contains("enseal"));
    let mut missing = Vec::new();
    if textconv.is_none() {
        missing.push("diff driver");
    }
    if merge.is_none() {
        missing.push("merge driver");
    }
    if !hook {
        missing.push("pre-commit hook");
    }
    if missing.is_empty() {
        vec![Finding::new(
            Level::Ok,
            "git",
            "diff and merge drivers and the pre-commit hook are installed",
        )]
    } else {
        vec![Finding::new(
            Level::Warn,
            "git",
            format!("not set up in this repository: {}", missing.join(", ")),
        )
        .fix("enseal git setup")]
    }
}
