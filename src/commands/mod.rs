//! One module per subcommand. Commands read files, call the library, and write or
//! print the result; they are the only place (with `main.rs`) that prints.

mod decrypt;
mod doctor;
mod edit;
mod encrypt;
mod exec;
mod filestatus;
mod git;
mod git_setup;
mod groups;
mod hook;
mod io;
mod keygen;
mod lifecycle;
mod render;
mod rotate;
mod scan;
mod set;
mod updatekeys;
mod walk;
mod watch;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::keys::KeyEnv;

/// Runs a parsed command line, recording it in the audit log when one is set up.
pub fn run(cli: Cli) -> Result<(), Error> {
    let audit = audited(&cli.command);
    let result = dispatch(cli);
    if let Some((command, files, keys)) = audit {
        record(command, files, keys, &result);
    }
    result
}

/// The commands the audit log records: their name, files and key paths.
fn audited(command: &Command) -> Option<(&'static str, Vec<String>, Vec<String>)> {
    let shown = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map_or("<stdin>".to_string(), |p| p.display().to_string())
    };
    let one = |p: &std::path::Path| vec![p.display().to_string()];
    Some(match command {
        Command::Decrypt(a) => (
            "decrypt",
            vec![shown(&a.input.file)],
            a.extract.iter().cloned().collect(),
        ),
        Command::Edit(a) => ("edit", one(&a.file), Vec::new()),
        Command::Set(a) => ("set", one(&a.file), vec![a.index.clone()]),
        Command::Unset(a) => ("unset", one(&a.file), vec![a.index.clone()]),
        Command::ExecEnv(a) => ("exec-env", one(&a.file), Vec::new()),
        Command::ExecFile(a) => ("exec-file", one(&a.file), Vec::new()),
        Command::Render(a) => (
            "render",
            a.out
                .secrets
                .iter()
                .chain(&a.templates)
                .map(|p| p.display().to_string())
                .collect(),
            Vec::new(),
        ),
        Command::Watch(a) => (
            "watch",
            a.out
                .secrets
                .iter()
                .chain(&a.env)
                .chain(&a.templates)
                .map(|p| p.display().to_string())
                .collect(),
            Vec::new(),
        ),
        Command::Rotate(a) => (
            "rotate",
            a.input
                .file
                .iter()
                .chain(&a.more)
                .map(|p| p.display().to_string())
                .collect(),
            Vec::new(),
        ),
        Command::RotateValue(a) => ("rotate-value", one(&a.file), vec![a.key.clone()]),
        Command::Updatekeys(a) => (
            "updatekeys",
            a.files.iter().map(|p| p.display().to_string()).collect(),
            Vec::new(),
        ),
        Command::Revoke(_) => ("revoke", Vec::new(), Vec::new()),
        _ => return None,
    })
}

/// Appends the audit record, when a log is set up; a failure is reported, not fatal.
fn record(command: &str, files: Vec<String>, keys: Vec<String>, result: &Result<(), Error>) {
    use crate::lifecycle::audit;
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some(path) = audit::destination(std::env::var("ENSEAL_AUDIT_LOG").ok().as_deref(), &cwd)
    else {
        return;
    };
    let rec = audit::Record {
        time: crate::file::now_rfc3339(),
        user: audit::user(&cwd),
        host: audit::host(),
        command: command.to_string(),
        files,
        keys,
        ok: result.is_ok(),
        error: result.as_ref().err().map(ToString::to_string),
        exit: result.as_ref().err().map_or(0, Error::exit_code),
    };
    if let Err(e) = audit::append(&path, &rec) {
        eprintln!(
            "enseal: warning: cannot write the audit log {}: {e}",
            path.display()
        );
    }
}

fn dispatch(cli: Cli) -> Result<(), Error> {
    let env = KeyEnv::from_process();
    match cli.command {
        Command::Encrypt(args) => encrypt::run(args, cli.config.as_deref(), &env),
        Command::Decrypt(args) => decrypt::run(args, cli.config.as_deref(), &env),
        Command::Keygen(args) => keygen::run(args, &env),
        Command::Edit(args) => edit::run(args, cli.config.as_deref(), &env),
        Command::Set(args) => set::run(args, &env),
        Command::Unset(args) => set::run_unset(args, &env),
        Command::Updatekeys(args) => updatekeys::run(args, cli.config.as_deref(), &env),
        Command::Rotate(args) => rotate::run(args, cli.config.as_deref(), &env),
        Command::Groups(cmd) => groups::run(cmd, &env),
        Command::Scan(args) => scan::run(&args, cli.config.as_deref(), &env),
        Command::Git(cmd) => git::run(cmd, cli.config.as_deref(), &env),
        Command::Hook(cmd) => hook::run(cmd, cli.config.as_deref()),
        Command::Filestatus(args) => filestatus::run(args),
        Command::Render(args) => render::run(args, &env),
        Command::ExecEnv(args) => exec::run_env(args, &env),
        Command::ExecFile(args) => exec::run_file(args, &env),
        Command::Watch(args) => watch::run(args, &env),
        Command::RotateValue(args) => lifecycle::rotate_value(args, &env),
        Command::Status(args) => lifecycle::status(args, &env),
        Command::Revoke(args) => lifecycle::revoke(args, cli.config.as_deref(), &env),
        Command::History(args) => lifecycle::history(args, &env),
        Command::Access(args) => lifecycle::access(args),
        Command::Doctor(args) => doctor::run(&args, cli.config.as_deref(), &env),
        Command::Completions(args) => doctor::completions(&args),
        Command::Man(args) => doctor::man(&args),
    }
}
