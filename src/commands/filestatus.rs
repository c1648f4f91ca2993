//! `enseal filestatus`: whether a file is encrypted, as sops prints it.

use crate::cli::FilestatusArgs;
use crate::error::Error;

/// Prints `{"encrypted":true}` or `{"encrypted":false}`.
pub fn run(args: FilestatusArgs) -> Result<(), Error> {
    let bytes = std::fs::read(&args.file).map_err(|source| Error::Read {
        path: args.file.display().to_string(),
        source,
    })?;
    let format = super::io::input_format(&args.file, args.input_type.as_deref(), &bytes);
    let encrypted = crate::file::is_encrypted(&bytes, format);
    println!("{{\"encrypted\":{encrypted}}}");
    Ok(())
}
