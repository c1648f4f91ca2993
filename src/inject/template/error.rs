//! Template errors: `template:line:col: what`, naming key paths and variables, never
//! a value.

use std::fmt;

use super::ast::Pos;

/// A template that cannot be parsed or rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    /// The template's name (its path, or `<stdin>`).
    pub template: String,
    /// Where in the template.
    pub pos: Pos,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl TemplateError {
    /// An error at `pos` of `template`.
    pub fn new(template: &str, pos: Pos, kind: ErrorKind) -> TemplateError {
        TemplateError {
            template: template.to_string(),
            pos,
            kind,
        }
    }

    /// The same error, in the template called `name`.
    pub fn named(mut self, name: &str) -> TemplateError {
        self.template = name.to_string();
        self
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.template, self.pos.line, self.pos.col, self.kind
        )
    }
}

impl std::error::Error for TemplateError {}

/// What went wrong. No variant holds a secret value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// The text is not a template.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A block with no `{{ end }}`.
    #[error("{0} is never closed: add {{{{ end }}}}")]
    Unclosed(&'static str),
    /// `{{ end }}` or `{{ else }}` outside any block.
    #[error("{0} without a matching {{{{ if }}}} or {{{{ range }}}}")]
    Unexpected(&'static str),
    /// `{{ else if }}` inside a `range`, or anything after an `{{ else }}` but `{{ end }}`.
    #[error("{token} does not fit the {block} opened at {}:{}", opened.line, opened.col)]
    Misplaced {
        /// What was found.
        token: &'static str,
        /// The block it is in.
        block: &'static str,
        /// Where the block opened.
        opened: Pos,
    },
    /// A key path that is not in the file.
    #[error("{file}: no value at key path {path}{}", hint_default())]
    MissingKey {
        /// The secrets file.
        file: String,
        /// The path looked up.
        path: String,
    },
    /// An environment variable that is not set.
    #[error("environment variable {name} is not set{hint}", name = .0, hint = hint_default())]
    MissingEnv(String),
    /// `.x` with no default file.
    #[error("{{{{ .{0} }}}} needs a default secrets file (--secrets FILE); or name the file: {{{{ secret \"FILE\" \"{0}\" }}}}")]
    NoDefaultFile(String),
    /// A variable not declared.
    #[error("undefined variable ${0}")]
    UndefinedVariable(String),
    /// A function that does not exist.
    #[error("unknown function {name:?} (functions: {all})", name = .0, all = super::functions::NAMES.join(", "))]
    UnknownFunction(String),
    /// A value piped into something that is not a function.
    #[error("only a function can follow |, not a value")]
    PipeIntoValue,
    /// The wrong number of arguments.
    #[error("{function} takes {expected}, given {given}")]
    Arity {
        /// The function.
        function: &'static str,
        /// What it takes, in words.
        expected: &'static str,
        /// How many it was given (the piped value included).
        given: usize,
    },
    /// An argument of the wrong kind.
    #[error("{function}: expected {expected}, found {found}{}", at_path(path))]
    Type {
        /// The function (or `output`, `range`, a field access).
        function: &'static str,
        /// What it accepts.
        expected: &'static str,
        /// The kind of value it got (`a map`, `a number`…), never the value.
        found: &'static str,
        /// Where the value came from, when known.
        path: Option<String>,
    },
    /// `base64decode` of text that is not base64.
    #[error("base64decode: the value{} is not valid base64", at_path(path))]
    Base64 {
        /// Where the value came from, when known.
        path: Option<String>,
    },
    /// A secrets file that cannot be read or decrypted.
    #[error("{file}: {message}")]
    Secrets {
        /// The file as named in the template.
        file: String,
        /// Why (from the decryption; never a value).
        message: String,
    },
    /// A key path string that cannot be parsed.
    #[error("invalid key path {path:?}: {reason}")]
    KeyPath {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Ranges nested too deep (a template calling itself is impossible; this guards
    /// against absurd inputs).
    #[error("blocks nested deeper than {0}")]
    TooDeep(usize),
}

fn hint_default() -> &'static str {
    " (a missing value is an error; give a fallback with | default \"…\")"
}

fn at_path(path: &Option<String>) -> String {
    path.as_ref()
        .map(|p| format!(" (at {p})"))
        .unwrap_or_default()
}
