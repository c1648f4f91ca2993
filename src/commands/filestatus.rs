//! `enseal filestatus`: whether a file is encrypted, as sops prints it.

use crate::cli::FilestatusArgs;
use crate::error::Error;
use crate::format::Format;

/// Prints `{"encrypted":true}` or `{"encrypted":false}`.
pub fn run(args: FilestatusArgs) -> Result<(), Error> {
    let bytes = std::fs::read(&args.file).map_err(|source| Error::Read {
        path: args.file.display().to_string(),
        source,
    })?;
    let format = match &args.input_type {
        Some(t) => Format::from_name(t),
        None => Format::from_path(&args.file),
    };
    let encrypted = crate::file::is_encrypted(&bytes, format);
    println!("{{\"encrypted\":{encrypted}}}");
    Ok(())
}
