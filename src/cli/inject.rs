//! Arguments of the injection commands: `render`, `exec-env`, `exec-file`, `watch`,
//! and the naming flags `decrypt --format` shares with them.

use std::path::PathBuf;

use clap::Args;

/// How a tree's key paths become variable names.
#[derive(Debug, Args, Clone, Default)]
pub struct NamingArgs {
    /// Put this before every variable name.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub env_prefix: String,
    /// Join nested keys with this (db.password → DB_PASSWORD).
    #[arg(long, value_name = "SEP", default_value = "_")]
    pub env_separator: String,
    /// Keep the keys' case instead of upper-casing the names.
    #[arg(long)]
    pub keep_case: bool,
}

/// Where rendered templates go.
#[derive(Debug, Args, Clone)]
pub struct RenderOutputArgs {
    /// Write the (single) rendered template here instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Write each rendered template into this directory, named like the template
    /// without its .tmpl/.tpl/.template/.gotmpl suffix.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Mode of the written files, in octal (default: an existing file's, else 0600).
    /// The file never exists with a wider mode, not even for a moment.
    #[arg(long, value_name = "MODE", value_parser = parse_mode)]
    pub mode: Option<u32>,
    /// The secrets file `.` refers to in the templates ({{ .db.password }}).
    #[arg(short = 's', long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// Key types to try first, comma-separated [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

fn parse_mode(s: &str) -> Result<u32, String> {
    let digits = s.strip_prefix("0o").unwrap_or(s);
    match u32::from_str_radix(digits, 8) {
        Ok(m) if m <= 0o7777 => Ok(m),
        _ => Err(format!("{s:?} is not an octal file mode like 0400 or 0640")),
    }
}

/// `render` options.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The templates (`-` reads one from standard input).
    #[arg(required = true, value_name = "TEMPLATE")]
    pub templates: Vec<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub out: RenderOutputArgs,
}

/// `exec-env` options.
#[derive(Debug, Args)]
pub struct ExecEnvArgs {
    /// The encrypted file.
    pub file: PathBuf,
    /// The command and its arguments (one argument with spaces runs in `sh -c`, as
    /// with sops).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub naming: NamingArgs,
    /// Start the command with only the file's variables (no inherited environment).
    #[arg(long)]
    pub pristine: bool,
    /// Replace enseal with the command (exec) instead of running it as a child.
    #[arg(long)]
    pub same_process: bool,
    /// Input format (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Key types to try first, comma-separated [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `exec-file` options.
#[derive(Debug, Args)]
pub struct ExecFileArgs {
    /// The encrypted file.
    pub file: PathBuf,
    /// The command; `{}` in any argument becomes the path of the decrypted content
    /// (appended as the last argument when no argument has it).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
    /// Write a 0600 file instead of a FIFO (for programs that read it more than once).
    #[arg(long)]
    pub no_fifo: bool,
    /// The decrypted content's format (default: the file's).
    #[arg(long, value_name = "FORMAT")]
    pub output_type: Option<String>,
    /// Input format (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Name of the path given to the command (default: the encrypted file's name).
    #[arg(long, value_name = "NAME")]
    pub filename: Option<String>,
    /// Key types to try first, comma-separated [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `watch` options.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Templates to render now and again whenever they or a secrets file they read
    /// change.
    #[arg(value_name = "TEMPLATE")]
    pub templates: Vec<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub out: RenderOutputArgs,
    /// Give the command this file's values as environment variables (as exec-env).
    #[arg(long, value_name = "FILE")]
    pub env: Option<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub naming: NamingArgs,
    /// The signal the command gets after a change (HUP, USR1, USR2, TERM, INT, QUIT).
    #[arg(long, value_name = "SIGNAL", default_value = "HUP")]
    pub signal: String,
    /// Restart the command after a change instead of signalling it (needed for new
    /// --env values to reach it).
    #[arg(long)]
    pub restart: bool,
    /// How long changes must settle before acting, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub debounce: u64,
    /// A command to run and keep informed (after `--`); watch ends when it exits.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}
