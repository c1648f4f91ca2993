//! Binary store. Placeholder until the store lands.

use super::{EmitOptions, FormatError, Mode, Parsed};
use crate::document::{Document, Value};

/// Plain mode: the bytes become the `data` value; encrypted mode: the JSON envelope.
pub fn parse(_bytes: &[u8], _mode: Mode) -> Result<Parsed, FormatError> {
    Err(FormatError::Shape("the binary store is not implemented yet".into()))
}

/// Without metadata: the raw `data` bytes; with metadata: the JSON envelope.
pub fn emit(_doc: &Document, _metadata: Option<&Value>, _opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit("the binary store is not implemented yet".into()))
}
