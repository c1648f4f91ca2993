//! JSON store (Go encoding/json semantics). Placeholder until the store lands.

use super::{EmitOptions, FormatError, Mode, Parsed};
use crate::document::{Document, Value};

/// Parses a JSON object.
pub fn parse(_bytes: &[u8], _mode: Mode) -> Result<Parsed, FormatError> {
    Err(FormatError::Shape("the JSON store is not implemented yet".into()))
}

/// Emits the object, with `"sops"` as its last key when `metadata` is given.
pub fn emit(_doc: &Document, _metadata: Option<&Value>, _opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit("the JSON store is not implemented yet".into()))
}

/// Emits a single value (for `--extract`).
pub fn emit_value(_value: &Value, _opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit("the JSON store is not implemented yet".into()))
}
