//! The template language: Go-template syntax (what Helm, consul-template and sops
//! users already write) over decrypted secrets files.
//!
//! ```text
//! password: {{ .db.password | quote }}            # from the default file (--secrets)
//! token: {{ secret "ci.enc.yaml" "github.token" }}
//! {{- range $name, $url := .upstreams }}
//! {{ $name | upper }}={{ $url }}
//! {{- end }}
//! ```
//!
//! A missing key is an error that names the file and key path (`| default "x"` gives
//! a fallback); no error or `Debug` output ever holds a value. The grammar is in
//! `grammar.pest`; `parse` nests the blocks; `eval` renders; `functions` holds the
//! functions and filters.

mod ast;
mod error;
mod eval;
mod functions;
mod parse;
mod value;

#[cfg(test)]
mod tests;

pub use ast::Pos;
pub use error::{ErrorKind, TemplateError};
pub use eval::{Scope, Secrets};
pub use functions::NAMES as FUNCTIONS;
pub use value::{FileRoot, Val};

use zeroize::Zeroizing;

/// How deep `( … )` may nest inside one action (pest recurses per level).
const MAX_PARENS: usize = 64;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    nodes: Vec<ast::Node>,
}

impl Template {
    /// Parses `source`; `name` is used in error messages (a path or `<stdin>`).
    pub fn parse(name: &str, source: &str) -> Result<Template, TemplateError> {
        check_parens(source).map_err(|e| e.named(name))?;
        let nodes = parse::parse(name, source).map_err(|e| e.named(name))?;
        Ok(Template {
            name: name.to_string(),
            nodes,
        })
    }

    /// The name errors use.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders the template. The output is zeroized when dropped.
    pub fn render(&self, scope: &mut Scope<'_>) -> Result<Zeroizing<Vec<u8>>, TemplateError> {
        let mut out = Zeroizing::new(Vec::new());
        eval::Evaluator::new(scope)
            .render(&self.nodes, &mut out)
            .map_err(|(pos, kind)| TemplateError::new(&self.name, pos, kind))?;
        Ok(out)
    }
}

/// Refuses absurdly nested parentheses before pest recurses into them.
fn check_parens(source: &str) -> Result<(), TemplateError> {
    let mut depth = 0usize;
    let (mut line, mut col) = (1, 0);
    let mut prev = '\0';
    for c in source.chars() {
        col += 1;
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '(' => {
                depth += 1;
                if depth > MAX_PARENS {
                    return Err(TemplateError::new(
                        "",
                        Pos { line, col },
                        ErrorKind::Syntax(format!("parentheses nested deeper than {MAX_PARENS}")),
                    ));
                }
            }
            ')' => depth = depth.saturating_sub(1),
            '}' if prev == '}' => depth = 0,
            _ => {}
        }
        prev = c;
    }
    Ok(())
}
