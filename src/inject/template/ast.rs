//! The parsed template: plain data, built by `parse.rs`, walked by `eval.rs`.

/// A place in the template, 1-based, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line.
    pub line: usize,
    /// Column (in characters).
    pub col: usize,
}

/// One piece of a template body.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Text copied as it is.
    Text(String),
    /// `{{ pipeline }}`: the pipeline's value is written.
    Output(Pipeline),
    /// `{{ if }} … {{ else if }} … {{ else }} … {{ end }}`.
    If {
        /// Each condition with the body it guards, in order.
        branches: Vec<(Pipeline, Vec<Node>)>,
        /// The `{{ else }}` body.
        otherwise: Vec<Node>,
    },
    /// `{{ range [$k[, $v] :=] pipeline }} … [{{ else }} …] {{ end }}`.
    Range {
        /// The declared variables (none, one or two), without `$`.
        vars: Vec<String>,
        /// What is iterated over.
        over: Pipeline,
        /// Run for each item, with `.` set to it.
        body: Vec<Node>,
        /// Run when there is nothing to iterate over.
        otherwise: Vec<Node>,
    },
}

/// `command | command | …`: each command's value is passed to the next as its last
/// argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The commands, at least one.
    pub commands: Vec<Command>,
    /// Where the pipeline starts.
    pub pos: Pos,
}

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A function with its arguments: `secret "f.yaml" "db.password"`, `base64`.
    Call {
        /// The function name.
        name: String,
        /// Its arguments as written (the piped value comes after them).
        args: Vec<Operand>,
        /// Where the name is.
        pos: Pos,
    },
    /// A value on its own: `.db.password`, `$v`, `"text"`.
    Operand(Operand),
}

/// A value and the fields taken from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    /// The value.
    pub primary: Primary,
    /// `.a.b` after a variable or a parenthesised pipeline.
    pub fields: Vec<String>,
    /// Where it is.
    pub pos: Pos,
}

/// The values an operand starts from.
#[derive(Debug, Clone, PartialEq)]
pub enum Primary {
    /// `.` (empty) or `.a.b`: fields of the current value.
    Dot(Vec<String>),
    /// `$name`; `$` alone (an empty name) is the default file.
    Var(String),
    /// A string literal.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A decimal literal.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `( pipeline )`.
    Paren(Box<Pipeline>),
}
