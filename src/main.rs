//! The `enseal` binary: parse arguments, run, map errors to exit codes.

use clap::Parser;

fn main() {
    let args = enseal::cli::with_edit_shorthand(std::env::args_os().collect());
    let cli = enseal::cli::Cli::parse_from(args);
    if let Err(err) = enseal::commands::run(cli) {
        if !err.is_silent() {
            eprintln!("enseal: {err}");
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
        }
        std::process::exit(err.exit_code());
    }
}
