//! Input and output plumbing shared by the commands: stdin or a file in, stdout or
//! a file (atomically) out, and the formats implied by names and flags.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::InputArgs;
use crate::config::Config;
use crate::error::Error;
use crate::format::{EmitOptions, Format};

/// The resolved input of a command.
pub struct Input {
    /// The bytes read.
    pub bytes: Vec<u8>,
    /// The file, when not stdin.
    pub path: Option<PathBuf>,
    /// The name used for messages, format detection and config rules.
    pub name: PathBuf,
    /// Input format.
    pub input_format: Format,
    /// Output format.
    pub output_format: Format,
}

impl Input {
    /// The name shown in messages.
    pub fn display(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("<stdin> ({})", self.name.display()),
        }
    }
}

/// Reads the input named by `args`, checking the flag combinations sops rejects.
pub fn read_input(args: &InputArgs) -> Result<Input, Error> {
    let path = args.file.clone().filter(|p| p.as_os_str() != "-");
    if path.is_none() {
        if args.in_place {
            return Err(Error::Usage(
                "--in-place needs a file, not standard input".into(),
            ));
        }
        if args.filename_override.is_none() && args.input_type.is_none() {
            return Err(Error::Usage(
                "reading standard input needs --filename-override NAME (or --input-type) to know the format".into(),
            ));
        }
    }
    if args.in_place && args.output.is_some() {
        return Err(Error::Usage(
            "--in-place and --output cannot be used together".into(),
        ));
    }
    let name = args
        .filename_override
        .clone()
        .or_else(|| path.clone())
        .unwrap_or_else(|| PathBuf::from("stdin"));
    let bytes = match &path {
        Some(p) => std::fs::read(p).map_err(|source| Error::Read {
            path: p.display().to_string(),
            source,
        })?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|source| Error::Read {
                    path: "<stdin>".into(),
                    source,
                })?;
            buf
        }
    };
    let input_format = input_format(&name, args.input_type.as_deref(), &bytes);
    let output_format = match &args.output_type {
        Some(t) => Format::from_name(t),
        None => input_format,
    };
    Ok(Input {
        bytes,
        path,
        name,
        input_format,
        output_format,
    })
}

/// The format of a file: `--input-type`, else its name's extension.
pub fn input_format(name: &Path, input_type: Option<&str>, bytes: &[u8]) -> Format {
    Format::detect(name, input_type, bytes)
}

/// Loads `.sops.yaml`: `--config`, else `ENSEAL_CONFIG`/`SOPS_CONFIG`, else the nearest
/// one above the current directory. Warns about ignored `.sops.yml` files.
pub fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, Error> {
    let from_env = std::env::var_os("ENSEAL_CONFIG")
        .or_else(|| std::env::var_os("SOPS_CONFIG"))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some(path) = explicit.map(Path::to_path_buf).or(from_env) {
        return Ok(Some(Config::load(&path)?));
    }
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let (found, ignored) = crate::config::find(&cwd);
    for p in ignored {
        eprintln!(
            "warning: ignoring {} (enseal and sops read .sops.yaml)",
            p.display()
        );
    }
    match found {
        Some(p) => Ok(Some(Config::load(&p)?)),
        None => Ok(None),
    }
}

/// Emission options: `--indent` over `.sops.yaml` `stores:` over the store default.
pub fn emit_options(indent: Option<usize>, config: Option<&Config>, format: Format) -> EmitOptions {
    let from_config = config.map(|c| c.emit_options(format)).unwrap_or_default();
    EmitOptions {
        indent: indent.or(from_config.indent),
    }
}

/// Writes the result: in place, to `--output`, or to stdout. Files are replaced atomically.
pub fn write_output(args: &InputArgs, input: &Input, bytes: &[u8]) -> Result<(), Error> {
    let target = if args.in_place {
        input.path.clone()
    } else {
        args.output.clone()
    };
    match target {
        Some(path) => crate::fs::write_atomic(&path, bytes, 0o600).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        }),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(bytes).and_then(|_| out.flush()) {
                // A closed pipe (`| head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|source| Error::Write {
                    path: "<stdout>".into(),
                    source,
                }),
            }
        }
    }
}

/// Prints what a change did (`set`, `unset`, `edit`): a line per key path on standard
/// error (colored on a terminal unless `NO_COLOR`), JSON on standard output with
/// `--json`, nothing with `--quiet`.
pub fn report_changes(
    file: &str,
    changes: &[crate::summary::Change],
    report: crate::cli::ReportArgs,
) -> Result<(), Error> {
    if report.quiet {
        return Ok(());
    }
    if report.json {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(crate::summary::json(file, changes).as_bytes())
            .and_then(|()| out.flush())
            .map_err(|source| Error::Write {
                path: "-".into(),
                source,
            });
    }
    eprint!(
        "{}",
        crate::summary::text(file, changes, crate::summary::stderr_color())
    );
    Ok(())
}

/// Reports one file's key-group changes (`rotate`, `updatekeys`): the line for the
/// per-file report on standard error (empty with `-q` or `--json`); with `--json`, a
/// JSON line on standard output instead.
pub fn report_keys(
    file: &str,
    result: &str,
    changes: &[crate::rotate::KeyChange],
    report: crate::cli::ReportArgs,
) -> String {
    use std::io::Write;
    if report.json {
        let line = serde_json::json!({ "file": file, "result": result, "keys": changes });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        return String::new();
    }
    if report.quiet || changes.is_empty() {
        return if report.quiet {
            String::new()
        } else {
            result.to_string()
        };
    }
    format!("{result}\n{}", crate::rotate::summary(changes).trim_end())
}
