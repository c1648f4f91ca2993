//! One module per subcommand. Commands read files, call the library, and write or
//! print the result; they are the only place (with `main.rs`) that prints.

mod decrypt;
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

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
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
    }
}
