//! `enseal git setup`: wires the drivers and the hook into a repository, idempotently.
//!
//! - `.gitattributes` gets a block (between marker lines, rewritten on every run) with
//!   `diff=enseal merge=enseal` for the files the creation rules cover: a pattern per
//!   rule where its `path_regex` translates to a gitattributes pattern, and a line per
//!   file for tracked encrypted files no pattern covers (git itself is asked which
//!   files the patterns reach). The file is committed, so every clone has it.
//! - `.git/config` gets the drivers (`diff.enseal.textconv`, `merge.enseal.driver`);
//!   each clone runs setup once. Without them git diffs and merges as before.
//! - The pre-commit hook goes where git looks (`core.hooksPath` respected). A hook that
//!   is already there is kept and run first.

use std::path::{Path, PathBuf};

use super::cli::{GitError, Repo};
use crate::config::PathRules;

/// The markers around enseal's lines in `.gitattributes`.
pub const BEGIN: &str =
    "# enseal: begin (written by `enseal git setup`; edits inside are replaced)";
/// The end marker.
pub const END: &str = "# enseal: end";
/// What enseal's hook says about itself (how setup knows it is there).
pub const HOOK_MARK: &str = "# enseal pre-commit hook";
/// Where a hook that was there before enseal's is kept (and run from).
pub const CHAINED: &str = "pre-commit.enseal-chained";

/// Why setup failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The hook slot is taken twice over.
    #[error("{0} exists and is not enseal's, and a chained hook is already kept beside it: merge them by hand, then run setup again")]
    HookTaken(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SetupError + '_ {
    move |source| SetupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Translates a `path_regex` into gitattributes patterns when it is simple enough
/// (literals, `\.`, `.*`, `[^/]*`, anchors); `None` for anything else. `prefix` is the
/// config's directory relative to the repository root (`""` or `dir/`).
pub fn patterns_for(regex: &str, prefix: &str) -> Option<Vec<String>> {
    let (anchored_start, body) = match regex.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, regex),
    };
    let (anchored_end, body) = match body.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => (true, rest),
        _ => (false, body),
    };
    let mut glob = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e @ ('.' | '/' | '-' | '_') => glob.push(e),
                _ => return None,
            },
            '.' if chars.peek() == Some(&'*') || chars.peek() == Some(&'+') => {
                chars.next();
                // Across directories after a slash (or at the start), else within a name.
                if glob.is_empty() || glob.ends_with('/') {
                    glob.push_str("**/*");
                } else {
                    glob.push('*');
                }
            }
            '[' => {
                let class: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if class != "^/" {
                    return None;
                }
                match chars.next() {
                    Some('*' | '+') => glob.push('*'),
                    _ => return None,
                }
            }
            '.' | '*' | '+' | '?' | '(' | ')' | '|' | '{' | '}' | '^' | '$' | ']' => return None,
            // Characters gitattributes patterns cannot hold as they are.
            ' ' | '\t' | '!' | '#' => return None,
            c => glob.push(c),
        }
    }
    // A rule for every file would put the drivers on every file: list files instead.
    if glob.chars().all(|c| c == '*' || c == '/') {
        return None;
    }
    let start = if anchored_start {
        prefix.to_string()
    } else if glob.starts_with('/') {
        format!("{prefix}**")
    } else if glob.starts_with("**/") {
        prefix.to_string()
    } else {
        format!("{prefix}**/*")
    };
    let full = format!("{start}{glob}");
    Some(if anchored_end {
        vec![full]
    } else if full.ends_with('/') {
        vec![format!("{full}**")]
    } else {
        vec![format!("{full}*"), format!("{full}*/**")]
    })
}

/// Escapes a path for a gitattributes line (it is a pattern: glob characters and
/// spaces need escaping).
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for c in path.chars() {
        match c {
            '*' | '?' | '[' | '\\' | '!' | '#' => {
                out.push('\\');
                out.push(c);
            }
            ' ' => out.push_str("[[:space:]]"),
            c => out.push(c),
        }
    }
    out
}

/// The new `.gitattributes` text: `old` with enseal's block replaced by `lines` (or
/// removed when `lines` is empty).
pub fn with_block(old: &str, lines: &[String]) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in old.lines() {
        if line == BEGIN {
            inside = true;
            continue;
        }
        if inside {
            if line == END {
                inside = false;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !lines.is_empty() {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(BEGIN);
        out.push('\n');
        for l in lines {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(END);
        out.push('\n');
    } else {
        while out.ends_with("\n\n") {
            out.pop();
        }
    }
    out
}

/// What setup did, for the summary.
#[derive(Debug, Default)]
pub struct Report {
    /// Lines now in the attributes block.
    pub attribute_lines: Vec<String>,
    /// Whether `.gitattributes` changed.
    pub attributes_changed: bool,
    /// The hook's path.
    pub hook: Option<PathBuf>,
    /// A hook that was there before and is now chained.
    pub chained: Option<PathBuf>,
}

/// Installs everything. `enseal` is how the hook and drivers call enseal; `rules` are
/// the creation rules (if any); `encrypted` lists the tracked files that are encrypted.
pub fn install(
    repo: &Repo,
    enseal: &str,
    rules: Option<&PathRules>,
    tracked: &[String],
    is_encrypted: impl Fn(&str) -> bool,
) -> Result<Report, SetupError> {
    let mut report = Report::default();
    let attrs_path = repo.root.join(".gitattributes");
    let old = match std::fs::read_to_string(&attrs_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(&attrs_path)(e)),
    };
    let prefix = rules
        .and_then(|r| r.dir().strip_prefix(&repo.root).ok())
        .map(|p| {
            let s = p.to_string_lossy().replace('\\', "/");
            if s.is_empty() {
                s
            } else {
                format!("{s}/")
            }
        })
        .unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    for regex in rules
        .map(|r| r.patterns().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        for p in patterns_for(regex, &prefix).unwrap_or_default() {
            let line = format!("{p} diff=enseal merge=enseal");
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    // The files that must carry the drivers: encrypted ones, and ones a rule requires.
    let wanted: Vec<&String> = tracked
        .iter()
        .filter(|p| {
            rules.is_some_and(|r| r.required_by(&repo.root.join(p)).is_some()) || is_encrypted(p)
        })
        .collect();
    // Ask git which of them the patterns reach (written first, so git reads them).
    write_if_changed(&attrs_path, &old, &with_block(&old, &lines))?;
    let missing = not_covered(repo, &wanted)?;
    for p in missing {
        lines.push(format!("{} diff=enseal merge=enseal", escape_path(p)));
    }
    let new = with_block(&old, &lines);
    write_if_changed(&attrs_path, &old, &new)?;
    report.attributes_changed = new != old;
    report.attribute_lines = lines;

    // The drivers. No `cachetextconv`: git would keep the plaintext in notes.
    repo.config_set("diff.enseal.textconv", &format!("{enseal} git textconv"))?;
    repo.config_set(
        "merge.enseal.name",
        "enseal: merge encrypted files key by key",
    )?;
    repo.config_set(
        "merge.enseal.driver",
        &format!("{enseal} git merge %O %A %B %P"),
    )?;

    let (hook, chained) = install_hook(repo, enseal)?;
    report.hook = Some(hook);
    report.chained = chained;
    Ok(report)
}

fn write_if_changed(path: &Path, old: &str, new: &str) -> Result<(), SetupError> {
    if old == new {
        return Ok(());
    }
    if new.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
            _ => Ok(()),
        };
    }
    crate::fs::write_atomic(path, new.as_bytes(), 0o644).map_err(io(path))
}

/// The files of `paths` whose `diff` attribute is not `enseal`.
fn not_covered<'a>(repo: &Repo, paths: &[&'a String]) -> Result<Vec<&'a String>, SetupError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(p.as_bytes());
        input.push(0);
    }
    let out = repo.git_with_input(&["check-attr", "-z", "--stdin", "diff"], &input)?;
    // `<path>\0diff\0<value>\0` per path.
    let fields: Vec<&[u8]> = out.split(|b| *b == 0).collect();
    let covered: std::collections::HashSet<String> = fields
        .chunks(3)
        .filter(|c| c.len() == 3 && c[2] == b"enseal")
        .map(|c| String::from_utf8_lossy(c[0]).into_owned())
        .collect();
    Ok(paths
        .iter()
        .filter(|p| !covered.contains(p.as_str()))
        .copied()
        .collect())
}

fn hook_script(enseal: &str) -> String {
    format!(
        "#!/bin/sh\n{HOOK_MARK}: installed by `enseal git setup`, removed by `enseal git setup --uninstall`.\n\
         # A hook that was here before is kept as {CHAINED} and runs first.\n\
         chained=\"$(dirname \"$0\")/{CHAINED}\"\n\
         if [ -x \"$chained\" ]; then\n    \"$chained\" \"$@\" || exit $?\nfi\n\
         exec {enseal} hook pre-commit\n"
    )
}

fn install_hook(repo: &Repo, enseal: &str) -> Result<(PathBuf, Option<PathBuf>), SetupError> {
    let dir = repo.git_path("hooks")?;
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let hook = dir.join("pre-commit");
    let chained = dir.join(CHAINED);
    let mut moved = None;
    if let Ok(existing) = std::fs::read(&hook) {
        if !String::from_utf8_lossy(&existing).contains(HOOK_MARK) {
            if chained.exists() {
                return Err(SetupError::HookTaken(hook.display().to_string()));
            }
            std::fs::rename(&hook, &chained).map_err(io(&hook))?;
            moved = Some(chained.clone());
        }
    }
    let script = hook_script(enseal);
    if std::fs::read_to_string(&hook).ok().as_deref() != Some(script.as_str()) {
        crate::fs::write_atomic(&hook, script.as_bytes(), 0o755).map_err(io(&hook))?;
    }
    set_executable(&hook)?;
    Ok((hook, moved))
}

#[cfg(unix)]
fn set_executable(p: &Path) -> Result<(), SetupError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(p).map_err(io(p))?;
    let mode = meta.permissions().mode() | 0o111;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(io(p))
}

#[cfg(not(unix))]
fn set_executable(_p: &Path) -> Result<(), SetupError> {
    Ok(())
}

/// Removes what setup added; a chained hook goes back in place.
pub fn uninstall(repo: &Repo) -> Result<Report, SetupError> {
    let attrs_path = repo.root.join(".gitattributes");
    let old = std::fs::read_to_string(&attrs_path).unwrap_or_default();
    let new = with_block(&old, &[]);
    write_if_changed(&attrs_path, &old, &new)?;
    repo.config_remove_section("diff.enseal");
    repo.config_remove_section("merge.enseal");
    let dir = repo.git_path("hooks")?;
    let hook = dir.join("pre-commit");
    let chained = dir.join(CHAINED);
    let ours = std::fs::read_to_string(&hook).is_ok_and(|t| t.contains(HOOK_MARK));
    let mut restored = None;
    if ours {
        std::fs::remove_file(&hook).map_err(io(&hook))?;
        if chained.exists() {
            std::fs::rename(&chained, &hook).map_err(io(&chained))?;
            restored = Some(hook.clone());
        }
    }
    Ok(Report {
        attributes_changed: new != old,
        hook: ours.then_some(hook),
        chained: restored,
        ..Report::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_become_patterns() {
        let p = |re: &str| patterns_for(re, "");
        assert_eq!(p(r"\.enc\.yaml$").unwrap(), ["**/*.enc.yaml"]);
        assert_eq!(p(r"^secrets/.*\.yaml$").unwrap(), ["secrets/**/*.yaml"]);
        assert_eq!(p(r"^secrets/").unwrap(), ["secrets/**"]);
        assert_eq!(p(r"^prod/[^/]*\.env$").unwrap(), ["prod/*.env"]);
        assert_eq!(p(r"secrets").unwrap(), ["**/*secrets*", "**/*secrets*/**"]);
        assert_eq!(
            patterns_for(r"\.yaml$", "deploy/").unwrap(),
            ["deploy/**/*.yaml"]
        );
        for hard in [r"(a|b)\.yaml$", r"^x?y$", r"\d+", "a b", ".*"] {
            assert_eq!(p(hard), None, "{hard}");
        }
    }

    #[test]
    fn the_block_is_replaced_and_removed() {
        let lines = vec!["*.enc.yaml diff=enseal merge=enseal".to_string()];
        let once = with_block("*.png binary\n", &lines);
        assert_eq!(
            once,
            format!("*.png binary\n\n{BEGIN}\n*.enc.yaml diff=enseal merge=enseal\n{END}\n")
        );
        assert_eq!(with_block(&once, &lines), once);
        assert_eq!(with_block(&once, &[]), "*.png binary\n");
        assert_eq!(with_block("", &[]), "");
        assert_eq!(escape_path("a b/[x].yaml"), "/a[[:space:]]b/\\[x].yaml");
    }
}
