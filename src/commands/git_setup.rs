//! `enseal git setup` and `enseal git clean-check`.

use std::path::{Path, PathBuf};

use super::io::load_config;
use crate::cli::GitSetupArgs;
use crate::error::Error;
use crate::format::Format;
use crate::git::cli::Repo;
use crate::git::hook::{self, Staged};
use crate::git::setup;

/// Files larger than this are not read to see whether they are encrypted.
const MAX_READ: u64 = 16 << 20;

fn repo_here() -> Result<(Repo, PathBuf), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    Ok((Repo::discover(&cwd)?, cwd))
}

/// Installs (or removes) the attributes, drivers and hook; prints what it did.
pub fn run(args: &GitSetupArgs, config_path: Option<&Path>) -> Result<(), Error> {
    let (repo, cwd) = repo_here()?;
    if args.uninstall {
        let r = setup::uninstall(&repo)?;
        println!(
            ".gitattributes: {}",
            if r.attributes_changed {
                "enseal's block removed"
            } else {
                "no enseal block"
            }
        );
        println!("git config: diff.enseal and merge.enseal removed");
        match (&r.hook, &r.chained) {
            (Some(h), Some(_)) => println!("hook: {} is the previous hook again", h.display()),
            (Some(h), None) => println!("hook: {} removed", h.display()),
            _ => println!("hook: none of enseal's"),
        }
        return Ok(());
    }
    let config = load_config(config_path)?.filter(|c| c.has_rules());
    let rules = config.as_ref().map(|c| c.path_rules(&cwd));
    let listing = repo.git(&["ls-files", "-z"])?;
    let tracked: Vec<String> = listing
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let root = repo.root.clone();
    let is_encrypted = |p: &str| {
        let path = root.join(p);
        let format = Format::from_path(&path);
        if format == Format::Binary {
            return false;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() <= MAX_READ => std::fs::read(&path)
                .is_ok_and(|b| crate::file::is_encrypted(&b, Format::detect(&path, None, &b))),
            _ => false,
        }
    };
    let enseal = enseal_command();
    let r = setup::install(&repo, &enseal, rules.as_ref(), &tracked, is_encrypted)?;
    println!(
        ".gitattributes: {} line{} for encrypted files ({})",
        r.attribute_lines.len(),
        if r.attribute_lines.len() == 1 {
            ""
        } else {
            "s"
        },
        if r.attributes_changed {
            "written"
        } else {
            "unchanged"
        }
    );
    println!("git config: diff.enseal.textconv and merge.enseal.driver call {enseal}");
    if let Some(h) = &r.hook {
        println!("hook: {}", h.display());
    }
    if let Some(c) = &r.chained {
        println!(
            "      the hook that was there is kept as {} and runs first",
            c.display()
        );
    }
    println!(
        "Commit .gitattributes so every clone gets the drivers; each clone runs `enseal git setup` once."
    );
    Ok(())
}

/// How git should call this enseal: `enseal` when that is the one on PATH, else its
/// full path (quoted for the shell git runs drivers and hooks with).
fn enseal_command() -> String {
    let me = std::env::current_exe().and_then(|p| p.canonicalize()).ok();
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("enseal"))
            .find(|p| p.is_file())
            .and_then(|p| p.canonicalize().ok())
    });
    match me {
        Some(me) if on_path.as_ref() != Some(&me) => {
            shell_words::quote(&me.to_string_lossy()).into_owned()
        }
        _ => "enseal".into(),
    }
}

/// Lists untracked, unignored files that look like plaintext secrets.
pub fn clean_check(config_path: Option<&Path>) -> Result<(), Error> {
    let (repo, cwd) = repo_here()?;
    let config = load_config(config_path)?.filter(|c| c.has_rules());
    let rules = config.as_ref().map(|c| c.path_rules(&cwd));
    let listing = repo.git(&["ls-files", "--others", "--exclude-standard", "-z"])?;
    let mut files = Vec::new();
    for p in listing.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(p).into_owned();
        let full = repo.root.join(&path);
        let Ok(meta) = std::fs::metadata(&full) else {
            continue;
        };
        if !meta.is_file() || meta.len() > MAX_READ {
            continue;
        }
        let Ok(content) = std::fs::read(&full) else {
            continue;
        };
        files.push(Staged {
            path,
            head_blob: None,
            content,
        });
    }
    let findings = hook::check(&files, None, rules.as_ref(), &repo)?;
    for f in &findings {
        println!("{}: {}", f.path, f.problem);
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Untidy(findings.len()))
    }
}
