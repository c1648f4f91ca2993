//! The stores: one module per file format, each parsing bytes into a
//! [`Document`] and emitting a document back, with the `sops` metadata block
//! placed the way that format's sops store places it.
//!
//! Every store follows the semantics of the matching Go sops store (sops-format §8),
//! because a decrypted sops file must come out byte for byte as sops prints it.
//! Parse errors name a line and column, never a snippet of the input: the input
//! may be plaintext secrets.

pub mod binary;
pub mod dotenv;
pub mod flatten;
pub mod ini;
pub mod json;
pub mod spelling;
pub mod toml;
pub mod yaml;

use std::path::Path;

use crate::document::{Document, Value};

/// The deepest nesting a store accepts. Real configuration files stay far below it;
/// the limit keeps the recursive parse, walk, emit and drop within a thread's stack
/// on hostile input.
pub const MAX_DEPTH: usize = 128;

/// A file format (sops calls these stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML (multi-document allowed).
    Yaml,
    /// JSON (top level must be an object).
    Json,
    /// dotenv `KEY=value` lines.
    Dotenv,
    /// INI with sections.
    Ini,
    /// TOML (enseal's own store: sops has none and treats `.toml` files as binary).
    Toml,
    /// Any other file: the whole content is one value, stored in a JSON envelope.
    Binary,
}

impl Format {
    /// The format of a file: `input_type` if given, else its name's extension, except
    /// that a `.toml` file holding a JSON object is the binary envelope sops writes for
    /// TOML (sops has no TOML store, and TOML text can never start with `{`).
    pub fn detect(name: &Path, input_type: Option<&str>, bytes: &[u8]) -> Format {
        match input_type {
            Some(t) => Format::from_name(t),
            None if Format::from_path(name) == Format::Toml
                && bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') =>
            {
                Format::Binary
            }
            None => Format::from_path(name),
        }
    }

    /// The format a file name implies (`.yaml`/`.yml`, `.json`, `.env`, `.ini`, `.toml`;
    /// anything else is binary).
    pub fn from_path(path: &Path) -> Format {
        let name = path.to_string_lossy();
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            Format::Yaml
        } else if name.ends_with(".json") {
            Format::Json
        } else if name.ends_with(".env") {
            Format::Dotenv
        } else if name.ends_with(".ini") {
            Format::Ini
        } else if name.ends_with(".toml") {
            Format::Toml
        } else {
            Format::Binary
        }
    }

    /// The format named by `--input-type` / `--output-type`; unknown names mean binary, as in sops.
    pub fn from_name(name: &str) -> Format {
        match name.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            "dotenv" | "env" => Format::Dotenv,
            "ini" => Format::Ini,
            "toml" => Format::Toml,
            _ => Format::Binary,
        }
    }

    /// The usual file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "env",
            Format::Ini => "ini",
            Format::Toml => "toml",
            Format::Binary => "bin",
        }
    }

    /// The lower-case name used in messages and flags.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Ini => "ini",
            Format::Toml => "toml",
            Format::Binary => "binary",
        }
    }
}

/// Whether the bytes being parsed are plaintext to encrypt or an encrypted file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Plaintext input for `encrypt` (binary: the raw bytes are the value).
    Plain,
    /// An encrypted file (binary: a JSON envelope; JSON: parsed strictly).
    Encrypted,
}

/// Emission settings from `.sops.yaml` `stores:` (sops-format §9.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// Indentation width; `None` is the store default (YAML 4 spaces, JSON one tab).
    pub indent: Option<usize>,
}

/// What a store read from a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The data, with the metadata block removed.
    pub doc: Document,
    /// The `sops` metadata block as a tree, if the file had one. For dotenv and INI
    /// the flattened keys are already un-flattened (values are all strings there).
    pub metadata: Option<Value>,
    /// Where the values sit in the source, for stores that write back into the
    /// original layout (TOML).
    pub layout: Option<Layout>,
}

/// The source layout of a parsed file, for stores that keep it.
#[derive(Clone, Debug)]
pub enum Layout {
    /// A TOML file.
    Toml(toml::TomlLayout),
    /// A dotenv file.
    Dotenv(dotenv::DotenvLayout),
    /// A JSON file.
    Json(json::JsonLayout),
    /// A YAML file.
    Yaml(yaml::YamlLayout),
    /// An INI file.
    Ini(ini::IniLayout),
}

impl Layout {
    /// Whether `doc` still has the shape this layout was read with, so that writing
    /// it back keeps the layout (TOML and dotenv adapt to any shape).
    pub fn fits(&self, doc: &Document) -> bool {
        match self {
            Layout::Yaml(l) => l.fits(doc),
            Layout::Json(l) => l.fits(doc),
            Layout::Ini(l) => l.fits(doc),
            Layout::Toml(_) | Layout::Dotenv(_) => true,
        }
    }

    /// The values of `doc` (the plaintext read with this layout) whose source text
    /// is not what writing them back would give (see [`spelling`]).
    pub fn spellings_of(&self, doc: &Document) -> Vec<spelling::Spelling> {
        match self {
            Layout::Yaml(l) => l.spellings_of(doc),
            Layout::Json(l) => l.spellings_of(doc),
            Layout::Toml(l) => l.spellings_of(doc),
            Layout::Dotenv(_) | Layout::Ini(_) => Vec::new(),
        }
    }

    /// Of `list`, the spellings that still spell their value in `doc`.
    pub fn spellings_still_true(
        &self,
        doc: &Document,
        list: &[spelling::Spelling],
    ) -> Vec<spelling::Spelling> {
        match self {
            Layout::Yaml(l) => l.spellings_still_true(doc, list),
            Layout::Json(l) => l.spellings_still_true(doc, list),
            Layout::Toml(l) => l.spellings_still_true(doc, list),
            Layout::Dotenv(_) | Layout::Ini(_) => Vec::new(),
        }
    }

    /// The spellings in use (sorted by slot).
    pub fn spellings(&self) -> &[spelling::Spelling] {
        match self {
            Layout::Yaml(l) => &l.spellings,
            Layout::Json(l) => &l.spellings,
            Layout::Toml(l) => &l.spellings,
            Layout::Dotenv(_) | Layout::Ini(_) => &[],
        }
    }

    /// Uses `list` (opened from the metadata) when writing values back.
    pub fn use_spellings(&mut self, list: Vec<spelling::Spelling>) {
        match self {
            Layout::Yaml(l) => l.spellings = list,
            Layout::Json(l) => l.spellings = list,
            Layout::Toml(l) => l.spellings = list,
            Layout::Dotenv(_) | Layout::Ini(_) => {}
        }
    }
}

/// Why a store could not read or write a file. Never carries a value from the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    /// The input is not valid in this format.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong, without quoting the input.
        message: String,
    },
    /// The input parses, but holds something sops cannot encrypt: a non-string key, an
    /// integer beyond int64 (sops exit 23).
    #[error("line {line}, column {column}: {message}")]
    Unencryptable {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What it is, without quoting the input.
        message: String,
    },
    /// The input has no bytes at all (sops exit 92).
    #[error("the file is empty")]
    Empty,
    /// The input parsed but its shape cannot be stored (a top-level list, a non-string key, ...).
    #[error("{0}")]
    Shape(String),
    /// The tree cannot be written in this format (a nested map in dotenv, ...; sops exit 4).
    #[error("{0}")]
    Emit(String),
}

impl FormatError {
    /// A syntax error at a 1-based line and column.
    pub fn syntax(line: usize, column: usize, message: impl Into<String>) -> FormatError {
        FormatError::Syntax {
            line,
            column,
            message: message.into(),
        }
    }
}

/// The input as text: empty input and invalid UTF-8 (with its line) are errors.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::Empty);
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        FormatError::syntax(line, 1, "the file is not valid UTF-8")
    })
}

/// Parses `bytes` in `format`.
pub fn parse(format: Format, bytes: &[u8], mode: Mode) -> Result<Parsed, FormatError> {
    match format {
        Format::Yaml => yaml::parse(bytes, mode),
        Format::Json => json::parse(bytes, mode),
        Format::Dotenv => dotenv::parse(bytes),
        Format::Ini => ini::parse(bytes),
        Format::Toml => toml::parse(bytes),
        Format::Binary => binary::parse(bytes, mode),
    }
}

/// Emits `doc` in `format`, with `metadata` (the tree from
/// [`crate::metadata::Metadata::to_value`] for this format) placed as that store places it.
pub fn emit(
    format: Format,
    doc: &Document,
    metadata: Option<&Value>,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FormatError> {
    emit_in_layout(format, doc, metadata, opts, None)
}

/// Like [`emit`], writing back into `layout` (the source the tree was read from) when
/// the format keeps layouts and the tree still has that shape.
pub fn emit_in_layout(
    format: Format,
    doc: &Document,
    metadata: Option<&Value>,
    opts: &EmitOptions,
    layout: Option<&Layout>,
) -> Result<Vec<u8>, FormatError> {
    match format {
        Format::Toml => toml::emit(
            doc,
            metadata,
            layout.and_then(|l| match l {
                Layout::Toml(t) => Some(t),
                _ => None,
            }),
        ),
        Format::Json => match layout {
            Some(Layout::Json(l)) => json::emit_in_layout(doc, metadata, l),
            _ => json::emit(doc, metadata, opts),
        },
        Format::Dotenv => dotenv::emit(
            doc,
            metadata,
            layout.and_then(|l| match l {
                Layout::Dotenv(d) => Some(d),
                _ => None,
            }),
        ),
        Format::Yaml => match layout {
            Some(Layout::Yaml(l)) => yaml::emit_in_layout(doc, metadata, opts, l),
            _ => yaml::emit(doc, metadata, opts),
        },
        Format::Ini => match layout {
            Some(Layout::Ini(l)) => ini::emit_in_layout(doc, metadata, l),
            _ => ini::emit(doc, metadata),
        },
        Format::Binary => binary::emit(doc, metadata, opts),
    }
}

/// Emits one value on its own, as `decrypt --extract` prints a non-string value.
pub fn emit_value(
    format: Format,
    value: &Value,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FormatError> {
    match format {
        Format::Yaml => yaml::emit_value(value, opts),
        _ => json::emit_value(value, opts),
    }
}
