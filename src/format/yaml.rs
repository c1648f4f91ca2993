//! YAML store (yaml.v3 semantics). Placeholder until the store lands.

use super::{EmitOptions, FormatError, Parsed};
use crate::document::{Document, Value};

/// Parses a YAML stream.
pub fn parse(_bytes: &[u8]) -> Result<Parsed, FormatError> {
    Err(FormatError::Shape("the YAML store is not implemented yet".into()))
}

/// Emits documents, each followed by the `sops` block when `metadata` is given.
pub fn emit(_doc: &Document, _metadata: Option<&Value>, _opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit("the YAML store is not implemented yet".into()))
}

/// Emits a single value (for `--extract`).
pub fn emit_value(_value: &Value, _opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit("the YAML store is not implemented yet".into()))
}
