//! dotenv store. Placeholder until the store lands.

use super::{FormatError, Parsed};
use crate::document::{Document, Value};

/// Parses dotenv lines.
pub fn parse(_bytes: &[u8]) -> Result<Parsed, FormatError> {
    Err(FormatError::Shape(
        "the dotenv store is not implemented yet".into(),
    ))
}

/// Emits dotenv lines, with flattened `sops_` lines when `metadata` is given.
pub fn emit(_doc: &Document, _metadata: Option<&Value>) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit(
        "the dotenv store is not implemented yet".into(),
    ))
}
