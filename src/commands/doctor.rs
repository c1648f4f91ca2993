//! `enseal doctor`, `enseal completions`, `enseal man`: the commands about enseal itself.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, DoctorArgs, ManArgs};
use crate::doctor::{self, Level};
use crate::error::Error;
use crate::keys::KeyEnv;

/// Prints the report; fails (exit 1) when a check failed.
pub fn run(args: &DoctorArgs, config: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let findings = doctor::run(&cwd, config, env);
    let mut text = String::new();
    if args.format == "json" {
        text = serde_json::to_string_pretty(&findings).unwrap_or_default();
        text.push('\n');
    } else {
        for f in &findings {
            let mark = match f.level {
                Level::Ok => "ok  ",
                Level::Warn => "warn",
                Level::Fail => "FAIL",
            };
            text.push_str(&format!("{mark}  {:<10} {}\n", f.topic, f.text));
            if let Some(fix) = &f.fix {
                text.push_str(&format!("{:<16}fix: {fix}\n", ""));
            }
        }
    }
    print(text.as_bytes())?;
    let failed = findings.iter().filter(|f| f.level == Level::Fail).count();
    if failed > 0 {
        return Err(Error::Doctor(failed));
    }
    Ok(())
}

/// The completion script for a shell, from the clap definitions.
pub fn completions(args: &CompletionsArgs) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "enseal", &mut out);
    print(&out)
}

/// The man page(s), from the clap definitions.
pub fn man(args: &ManArgs) -> Result<(), Error> {
    let cmd = Cli::command().name("enseal");
    let Some(dir) = &args.dir else {
        let mut out = Vec::new();
        render(cmd, &mut out)?;
        return print(&out);
    };
    let mut pages = vec![("enseal".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("enseal-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })?;
    for (name, page) in pages {
        let mut out = Vec::new();
        render(page, &mut out)?;
        let path = dir.join(format!("{name}.1"));
        crate::fs::write_atomic_with_mode(&path, &out, 0o644).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

fn render(cmd: clap::Command, out: &mut Vec<u8>) -> Result<(), Error> {
    clap_mangen::Man::new(cmd)
        .render(out)
        .map_err(|source| Error::Write {
            path: "-".into(),
            source,
        })
}

fn print(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "-".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}
