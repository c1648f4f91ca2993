//! INI store. Placeholder until the store lands.

use super::{FormatError, Parsed};
use crate::document::{Document, Value};

/// Parses INI sections.
pub fn parse(_bytes: &[u8]) -> Result<Parsed, FormatError> {
    Err(FormatError::Shape(
        "the INI store is not implemented yet".into(),
    ))
}

/// Emits INI sections, with a `[sops]` section when `metadata` is given.
pub fn emit(_doc: &Document, _metadata: Option<&Value>) -> Result<Vec<u8>, FormatError> {
    Err(FormatError::Emit(
        "the INI store is not implemented yet".into(),
    ))
}
