//! `enseal exec-env` and `enseal exec-file`: a command run with a file's secrets, as
//! environment variables or as a path to the decrypted content. enseal prints
//! nothing of its own on success and exits with the command's status.

use std::path::Path;
use std::process::Command;

use super::decrypt::decryption_order;
use crate::cli::{ExecEnvArgs, ExecFileArgs, NamingArgs};
use crate::error::Error;
use crate::file::{self, DecryptRequest};
use crate::format::{EmitOptions, Format};
use crate::inject::child::{self, Supervisor};
use crate::inject::env::{self, Charset, Naming, Var};
use crate::inject::handoff::Handoff;
use crate::inject::secrets::{self, OpenError};
use crate::keys::{KeyEnv, KeyKind};

/// The naming flags as a [`Naming`] for environment variables.
pub(super) fn naming(args: &NamingArgs, charset: Charset) -> Naming {
    Naming {
        prefix: args.env_prefix.clone(),
        separator: args.env_separator.clone(),
        keep_case: args.keep_case,
        charset,
    }
}

/// The error for a secrets file that did not open.
pub(super) fn open_error(path: &Path, e: OpenError) -> Error {
    let path = path.display().to_string();
    match e {
        OpenError::Read(source) => Error::Read { path, source },
        OpenError::File(source) => Error::File { path, source },
    }
}

/// A file's values as variables.
pub(super) fn variables(
    path: &Path,
    input_type: Option<&str>,
    naming: &Naming,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Result<Vec<Var>, Error> {
    let root = secrets::open(path, input_type, order, env).map_err(|e| open_error(path, e))?;
    env::variables(&root, naming).map_err(|source| Error::Env {
        path: path.display().to_string(),
        source,
    })
}

/// Puts the variables into a command's environment.
pub(super) fn apply(command: &mut Command, vars: &[Var], pristine: bool) {
    use std::os::unix::ffi::OsStrExt;
    if pristine {
        command.env_clear();
    }
    for v in vars {
        command.env(&v.name, std::ffi::OsStr::from_bytes(&v.value));
    }
}

fn program(argv: &[String]) -> String {
    argv.first().cloned().unwrap_or_default()
}

/// Runs `command` as a supervised child and returns its exit code as the result.
fn supervise(mut command: Command, argv: &[String]) -> Result<i32, Error> {
    let supervisor = Supervisor::start(None).map_err(|source| Error::Exec {
        program: program(argv),
        source,
    })?;
    let mut running = supervisor
        .spawn(&mut command)
        .map_err(|source| Error::Exec {
            program: program(argv),
            source,
        })?;
    let status = supervisor
        .wait(&mut running)
        .map_err(|source| Error::Exec {
            program: program(argv),
            source,
        })?;
    Ok(child::exit_code(status))
}

fn finish(code: i32) -> Result<(), Error> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::ChildExit(code))
    }
}

/// `exec-env`.
pub fn run_env(args: ExecEnvArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let vars = variables(
        &args.file,
        args.input_type.as_deref(),
        &naming(&args.naming, Charset::Env),
        &order,
        env,
    )?;
    let mut command = child::command(&args.command)
        .ok_or_else(|| Error::Usage("exec-env needs a command after the file".into()))?;
    apply(&mut command, &vars, args.pristine);
    drop(vars);
    if args.same_process {
        use std::os::unix::process::CommandExt;
        // Only returns on failure.
        let source = command.exec();
        return Err(Error::Exec {
            program: program(&args.command),
            source,
        });
    }
    finish(supervise(command, &args.command)?)
}

/// `exec-file`.
pub fn run_file(args: ExecFileArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let shown = args.file.display().to_string();
    let bytes =
        zeroize::Zeroizing::new(std::fs::read(&args.file).map_err(|source| Error::Read {
            path: shown.clone(),
            source,
        })?);
    let input_format = Format::detect(&args.file, args.input_type.as_deref(), &bytes);
    let output_format = args
        .output_type
        .as_deref()
        .map(Format::from_name)
        .unwrap_or(input_format);
    let request = DecryptRequest {
        input_format,
        output_format,
        ignore_mac: false,
        extract: None,
        decryption_order: order,
        emit: EmitOptions::default(),
    };
    let plain = file::decrypt(&bytes, &request, env).map_err(|source| Error::File {
        path: shown.clone(),
        source,
    })?;
    let name = args
        .filename
        .clone()
        .unwrap_or_else(|| handoff_name(&args.file, output_format, input_format));
    let handoff = if args.no_fifo {
        Handoff::file(&name, &plain.output)
    } else {
        Handoff::fifo(&name, plain.output)
    }
    .map_err(|source| Error::Scratch {
        dir: "the runtime directory".into(),
        source,
    })?;
    let path = handoff.path().to_string_lossy().into_owned();
    let mut argv: Vec<String> = args
        .command
        .iter()
        .map(|a| a.replace("{}", &path))
        .collect();
    if !args.command.iter().any(|a| a.contains("{}")) {
        argv.push(path);
    }
    let command = child::command(&argv)
        .ok_or_else(|| Error::Usage("exec-file needs a command after the file".into()))?;
    let result = supervise(command, &args.command);
    handoff.close().map_err(|source| Error::Scratch {
        dir: "the runtime directory".into(),
        source,
    })?;
    finish(result?)
}

/// The name of the path the child sees: the file's, with the extension of the
/// output format when it differs.
fn handoff_name(file: &Path, output: Format, input: Format) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secrets".into());
    if output == input {
        return name;
    }
    let stem = Path::new(&name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or(name);
    format!("{stem}.{}", output.extension())
}
