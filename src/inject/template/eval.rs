//! Rendering: walks the nodes with a context (the current value `.`, variables, the
//! secrets files) and writes the output.

use std::rc::Rc;

use zeroize::Zeroizing;

use super::ast::{Command, Node, Operand, Pipeline, Pos, Primary};
use super::error::ErrorKind;
use super::functions;
use super::value::{lookup, FileRoot, Item, Missing, Origin, Val};

/// Where secrets files come from: the caller decrypts (and caches) them.
pub trait Secrets {
    /// The decrypted top level of `file` (as named in the template), or why not
    /// (a message with no value in it).
    fn file(&mut self, file: &str) -> std::result::Result<FileRoot, String>;
}

/// What a render can see besides its template.
pub struct Scope<'a> {
    /// The secrets files.
    pub secrets: &'a mut dyn Secrets,
    /// Environment lookup (`{{ env "NAME" }}`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The file `.` starts at, if any.
    pub default_file: Option<&'a str>,
}

/// How deep `if` and `range` may nest.
pub const MAX_DEPTH: usize = 100;

pub(super) struct Evaluator<'s, 'a> {
    pub scope: &'s mut Scope<'a>,
    vars: Vec<(String, Item)>,
    /// The default file's top level and its origin, once decrypted.
    root: Option<(FileRoot, Option<Origin>)>,
}

type Result<T> = std::result::Result<T, (Pos, ErrorKind)>;

impl<'s, 'a> Evaluator<'s, 'a> {
    pub fn new(scope: &'s mut Scope<'a>) -> Self {
        Evaluator {
            scope,
            vars: Vec::new(),
            root: None,
        }
    }

    /// Decrypts the default file on first use.
    fn ensure_root(&mut self, pos: Pos) -> Result<()> {
        if self.root.is_none() {
            self.root = Some(match self.scope.default_file {
                None => (
                    Rc::new(Val::Missing(Missing::NoDefault(String::new()), pos)),
                    None,
                ),
                Some(file) => {
                    let root = self.file(file, pos)?;
                    (root, Some(Origin::file(file)))
                }
            });
        }
        Ok(())
    }

    /// `keys` below the default file's top level (`$`, and `.` outside any `range`).
    fn below_root(&mut self, keys: &[String], pos: Pos) -> Result<Item> {
        self.ensure_root(pos)?;
        let (root, origin) = self.root.as_ref().expect("ensured");
        Ok(lookup(root, origin.as_ref(), keys))
    }

    /// A secrets file's top level, shared (no copy).
    fn file(&mut self, file: &str, pos: Pos) -> Result<FileRoot> {
        self.scope.secrets.file(file).map_err(|message| {
            (
                pos,
                ErrorKind::Secrets {
                    file: file.to_string(),
                    message,
                },
            )
        })
    }

    /// The value at `keys` in a secrets file, cloning only that value.
    pub fn load(&mut self, file: &str, keys: &[String], pos: Pos) -> Result<Item> {
        let root = self.file(file, pos)?;
        Ok(lookup(&root, Some(&Origin::file(file)), keys))
    }

    pub fn render(&mut self, nodes: &[Node], out: &mut Zeroizing<Vec<u8>>) -> Result<()> {
        let dot = None;
        self.nodes(nodes, &dot, out, 0)
    }

    /// `dot` is `None` outside any `range`: `.` is then the default file.
    fn nodes(
        &mut self,
        nodes: &[Node],
        dot: &Option<Item>,
        out: &mut Zeroizing<Vec<u8>>,
        depth: usize,
    ) -> Result<()> {
        for node in nodes {
            match node {
                Node::Text(t) => out.extend_from_slice(t.as_bytes()),
                Node::Output(p) => {
                    let item = self.pipeline(p, dot)?;
                    write_value(&item, p.pos, out)?;
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = false;
                    for (cond, body) in branches {
                        let item = self.pipeline(cond, dot)?;
                        if condition(&item, cond.pos)? {
                            self.block(body, dot, out, depth, cond.pos)?;
                            taken = true;
                            break;
                        }
                    }
                    if !taken {
                        let pos = branches.first().map(|b| b.0.pos).unwrap_or_default();
                        self.block(otherwise, dot, out, depth, pos)?;
                    }
                }
                Node::Range {
                    vars,
                    over,
                    body,
                    otherwise,
                } => self.range(vars, over, body, otherwise, dot, out, depth)?,
            }
        }
        Ok(())
    }

    fn block(
        &mut self,
        body: &[Node],
        dot: &Option<Item>,
        out: &mut Zeroizing<Vec<u8>>,
        depth: usize,
        pos: Pos,
    ) -> Result<()> {
        if depth >= MAX_DEPTH {
            return Err((pos, ErrorKind::TooDeep(MAX_DEPTH)));
        }
        let declared = self.vars.len();
        let result = self.nodes(body, dot, out, depth + 1);
        self.vars.truncate(declared);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn range(
        &mut self,
        vars: &[String],
        over: &Pipeline,
        body: &[Node],
        otherwise: &[Node],
        dot: &Option<Item>,
        out: &mut Zeroizing<Vec<u8>>,
        depth: usize,
    ) -> Result<()> {
        let pos = over.pos;
        let item = self.pipeline(over, dot)?;
        let entries: Vec<(Item, Item)> = match &item.val {
            Val::Missing(m, at) => return Err(missing(m, *at)),
            Val::Null => Vec::new(),
            Val::List(l) => (0..l.len())
                .map(|i| {
                    let key = Item::computed(Val::Int(i as i64));
                    (key, item.field(&i.to_string()))
                })
                .collect(),
            Val::Map(m) => m
                .iter()
                .map(|(k, _)| (Item::computed(Val::str(k.clone())), item.field(k)))
                .collect(),
            other => {
                return Err((
                    pos,
                    ErrorKind::Type {
                        function: "range",
                        expected: "a list or a map",
                        found: other.kind(),
                        path: item.at(),
                    },
                ))
            }
        };
        if entries.is_empty() {
            return self.block(otherwise, dot, out, depth, pos);
        }
        for (key, value) in entries {
            let declared = self.vars.len();
            match vars {
                [v] => self.vars.push((v.clone(), value.clone())),
                [k, v] => {
                    self.vars.push((k.clone(), key));
                    self.vars.push((v.clone(), value.clone()));
                }
                _ => {}
            }
            let result = self.block(body, &Some(value), out, depth, pos);
            self.vars.truncate(declared);
            result?;
        }
        Ok(())
    }

    pub fn pipeline(&mut self, p: &Pipeline, dot: &Option<Item>) -> Result<Item> {
        let mut piped: Option<Item> = None;
        for command in &p.commands {
            piped = Some(match command {
                Command::Operand(o) => {
                    if piped.is_some() {
                        return Err((o.pos, ErrorKind::PipeIntoValue));
                    }
                    self.operand(o, dot)?
                }
                Command::Call { name, args, pos } => {
                    let mut values = Vec::with_capacity(args.len() + 1);
                    for a in args {
                        values.push(self.operand(a, dot)?);
                    }
                    values.extend(piped.take());
                    functions::call(self, name, values, *pos)
                        .map_err(|(at, k)| (at.unwrap_or(*pos), k))?
                        .located(*pos)
                }
            });
        }
        Ok(piped.expect("a pipeline has a command"))
    }

    fn operand(&mut self, o: &Operand, dot: &Option<Item>) -> Result<Item> {
        let mut item = match &o.primary {
            Primary::Dot(fields) => match dot {
                Some(d) => d.path(fields),
                None => {
                    let item = self.below_root(fields, o.pos)?;
                    if let Val::Missing(Missing::NoDefault(_), _) = item.val {
                        return Ok(Item::computed(Val::Missing(
                            Missing::NoDefault(fields.join(".")),
                            o.pos,
                        )));
                    }
                    item
                }
            },
            Primary::Var(name) if name.is_empty() => {
                let item = self.below_root(&o.fields, o.pos)?;
                return Ok(item.located(o.pos));
            }
            Primary::Var(name) => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| (o.pos, ErrorKind::UndefinedVariable(name.clone())))?,
            Primary::Str(s) => Item::computed(Val::str(s.clone())),
            Primary::Int(i) => Item::computed(Val::Int(*i)),
            Primary::Float(f) => Item::computed(Val::Float(*f)),
            Primary::Bool(b) => Item::computed(Val::Bool(*b)),
            Primary::Paren(p) => self.pipeline(p, dot)?,
        };
        if !o.fields.is_empty() {
            item = item.path(&o.fields);
        }
        Ok(item.located(o.pos))
    }
}

/// The error for a missing value that something needed, at the place it was
/// looked up.
pub fn missing(m: &Missing, pos: Pos) -> (Pos, ErrorKind) {
    let kind = match m {
        Missing::Key { file, path } => ErrorKind::MissingKey {
            file: file.clone(),
            path: path.clone(),
        },
        Missing::Env(name) => ErrorKind::MissingEnv(name.clone()),
        Missing::NoDefault(path) => ErrorKind::NoDefaultFile(path.clone()),
    };
    (pos, kind)
}

fn condition(item: &Item, _pos: Pos) -> Result<bool> {
    match &item.val {
        Val::Missing(m, at) => Err(missing(m, *at)),
        v => Ok(v.truthy()),
    }
}

fn write_value(item: &Item, pos: Pos, out: &mut Zeroizing<Vec<u8>>) -> Result<()> {
    match &item.val {
        Val::Missing(m, at) => Err(missing(m, *at)),
        Val::List(_) | Val::Map(_) => Err((
            pos,
            ErrorKind::Type {
                function: "output",
                expected: "a single value (write a list or map with | json or | yaml)",
                found: item.val.kind(),
                path: item.at(),
            },
        )),
        v => {
            let bytes = v.bytes().expect("scalars have bytes");
            out.extend_from_slice(&bytes);
            Ok(())
        }
    }
}
