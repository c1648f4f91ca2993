//! From template text to [`Node`]s: pest finds the tokens (grammar.pest), this module
//! applies the whitespace trimming and nests the blocks.

use pest::iterators::Pair;
use pest::Parser;

use super::ast::{Command, Node, Operand, Pipeline, Pos, Primary};
use super::error::{ErrorKind, TemplateError};

#[derive(pest_derive::Parser)]
#[grammar = "inject/template/grammar.pest"]
struct Grammar;

/// One token of the flat sequence before blocks are nested.
enum Token {
    Text(String),
    Output(Pipeline),
    If(Pipeline),
    ElseIf(Pipeline),
    Else,
    End,
    Range(Vec<String>, Pipeline),
}

/// Parses a whole template.
pub fn parse(name: &str, source: &str) -> Result<Vec<Node>, TemplateError> {
    let err = |pos: Pos, kind| TemplateError::new(name, pos, kind);
    let mut pairs = Grammar::parse(Rule::template, source).map_err(|e| {
        let (line, col) = match e.line_col {
            pest::error::LineColLocation::Pos(p) => p,
            pest::error::LineColLocation::Span(p, _) => p,
        };
        err(Pos { line, col }, ErrorKind::Syntax(describe(&e, source)))
    })?;
    let root = pairs.next().expect("the grammar always yields a template");
    let loc = Locator::new(source);
    let tokens = tokens(&loc, root)?;
    let mut tokens = tokens.into_iter().peekable();
    let (nodes, end) = nest(name, &mut tokens, None, 0)?;
    match end {
        None => Ok(nodes),
        Some(ender) => {
            let (pos, what) = ender.describe();
            Err(err(pos, ErrorKind::Unexpected(what)))
        }
    }
}

/// What pest expected, in words a template author knows.
fn describe(e: &pest::error::Error<Rule>, source: &str) -> String {
    let found = match e.location {
        pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => {
            source[p..].chars().next()
        }
    };
    let found = match found {
        None => "the end of the template".to_string(),
        Some('\n') => "the end of the line".to_string(),
        Some(c) => format!("{c:?}"),
    };
    if source[..byte_offset(e)].rfind("{{").is_some_and(|open| {
        let after = &source[open..];
        after.starts_with("{{/*")
            || after
                .trim_start_matches("{{-")
                .trim_start()
                .starts_with("/*")
    }) && !source[..byte_offset(e)].ends_with("}}")
    {
        return "unterminated comment: close it with */}}".into();
    }
    let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant else {
        return format!("unexpected {found}");
    };
    let mut wanted: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", wanted.join(" or "))
    }
}

fn byte_offset(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => p,
    }
}

fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::close | Rule::trim_right => "}}",
        Rule::pipeline | Rule::command | Rule::call | Rule::operand => "a value or a function",
        Rule::function => "a function name",
        Rule::dot_fields | Rule::fields | Rule::key => "a field (.name)",
        Rule::variable => "a variable ($name)",
        Rule::string | Rule::raw_string => "a string",
        Rule::number => "a number",
        Rule::declare => "$variable :=",
        Rule::EOI => "the end of the template",
        _ => return None,
    })
}

/// Turns byte offsets into lines and columns. pest's own `line_col` scans from the
/// start of the input on every call, which is quadratic over a long template; the
/// tokens are visited in order, so a cursor makes each lookup cheap.
struct Locator<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
    cursor: std::cell::Cell<(usize, usize)>,
}

impl<'a> Locator<'a> {
    fn new(source: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            source,
            line_starts,
            cursor: std::cell::Cell::new((0, 1)),
        }
    }

    fn pos(&self, offset: usize) -> Pos {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let (at, col) = self.cursor.get();
        let col = if (start..=offset).contains(&at) {
            col + self.source[at..offset].chars().count()
        } else {
            1 + self.source[start..offset].chars().count()
        };
        self.cursor.set((offset, col));
        Pos { line, col }
    }

    fn of(&self, pair: &Pair<'_, Rule>) -> Pos {
        self.pos(pair.as_span().start())
    }
}

/// The flat token list, with `{{-` / `-}}` applied to the neighbouring text.
fn tokens(loc: &Locator<'_>, root: Pair<'_, Rule>) -> Result<Vec<(Pos, Token)>, TemplateError> {
    let mut out: Vec<(Pos, Token)> = Vec::new();
    let mut trim_next = false;
    for part in root.into_inner() {
        let pos = loc.of(&part);
        let (trim_before, trim_after, token) = match part.as_rule() {
            Rule::text => {
                let mut text = part.as_str();
                if trim_next {
                    text = text.trim_start();
                }
                trim_next = false;
                out.push((pos, Token::Text(text.to_string())));
                continue;
            }
            Rule::escaped_open => {
                trim_next = false;
                out.push((pos, Token::Text("{{".into())));
                continue;
            }
            Rule::EOI => break,
            Rule::comment => {
                let (before, after) = trims(&part);
                (before, after, None)
            }
            Rule::action => {
                let (before, after) = trims(&part);
                let statement = part
                    .into_inner()
                    .find(|p| !matches!(p.as_rule(), Rule::open | Rule::close))
                    .expect("an action holds a statement");
                (before, after, Some(statement_token(loc, statement)?))
            }
            _ => unreachable!("template parts are text, comments and actions"),
        };
        if trim_before {
            if let Some((_, Token::Text(t))) = out.last_mut() {
                t.truncate(t.trim_end().len());
            }
        }
        trim_next = trim_after;
        if let Some(token) = token {
            out.push((pos, token));
        }
    }
    Ok(out)
}

/// Whether an action or comment trims before and after it.
fn trims(pair: &Pair<'_, Rule>) -> (bool, bool) {
    let mut before = false;
    let mut after = false;
    for p in pair.clone().into_inner() {
        match p.as_rule() {
            Rule::open => before = p.into_inner().any(|t| t.as_rule() == Rule::trim_left),
            Rule::close => after = p.into_inner().any(|t| t.as_rule() == Rule::trim_right),
            _ => {}
        }
    }
    (before, after)
}

fn statement_token(loc: &Locator<'_>, pair: Pair<'_, Rule>) -> Result<Token, TemplateError> {
    let rule = pair.as_rule();
    let whole = pair.clone();
    let mut inner = pair.into_inner().filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::kw_if | Rule::kw_else | Rule::kw_end | Rule::kw_range
        )
    });
    Ok(match rule {
        Rule::pipeline => Token::Output(pipeline(loc, Pair::clone(&whole))?),
        Rule::if_stmt => Token::If(pipeline(loc, first(inner.next()))?),
        Rule::else_if => Token::ElseIf(pipeline(loc, first(inner.next()))?),
        Rule::else_stmt => Token::Else,
        Rule::end_stmt => Token::End,
        Rule::range_stmt => {
            let mut vars = Vec::new();
            let mut over = None;
            for p in inner {
                match p.as_rule() {
                    Rule::declare => {
                        vars = p
                            .into_inner()
                            .map(|v| v.as_str()[1..].to_string())
                            .collect()
                    }
                    Rule::pipeline => over = Some(pipeline(loc, p)?),
                    _ => {}
                }
            }
            Token::Range(vars, over.expect("range has a pipeline"))
        }
        other => unreachable!("not a statement: {other:?}"),
    })
}

fn first(p: Option<Pair<'_, Rule>>) -> Pair<'_, Rule> {
    p.expect("the grammar guarantees the inner rule")
}

fn pipeline(loc: &Locator<'_>, pair: Pair<'_, Rule>) -> Result<Pipeline, TemplateError> {
    let pos = loc.of(&pair);
    let commands = pair
        .into_inner()
        .map(|c| {
            let c = c
                .into_inner()
                .next()
                .expect("a command is a call or an operand");
            match c.as_rule() {
                Rule::call => {
                    let pos = loc.of(&c);
                    let mut parts = c.into_inner();
                    let name = parts
                        .next()
                        .expect("a call has a name")
                        .as_str()
                        .to_string();
                    let args = parts.map(|a| operand(loc, a)).collect::<Result<_, _>>()?;
                    Ok(Command::Call { name, args, pos })
                }
                _ => Ok(Command::Operand(operand(loc, c)?)),
            }
        })
        .collect::<Result<_, TemplateError>>()?;
    Ok(Pipeline { commands, pos })
}

fn field_names(text: &str) -> Vec<String> {
    text.split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn operand(loc: &Locator<'_>, pair: Pair<'_, Rule>) -> Result<Operand, TemplateError> {
    let pos = loc.of(&pair);
    let mut parts = pair.into_inner();
    let first = parts.next().expect("an operand has a value");
    let fields = parts
        .next()
        .map(|f| field_names(f.as_str()))
        .unwrap_or_default();
    let primary = match first.as_rule() {
        Rule::dot_fields => Primary::Dot(field_names(first.as_str())),
        Rule::variable => Primary::Var(first.as_str()[1..].to_string()),
        Rule::string => {
            let inner = first.into_inner().next().map_or("", |p| p.as_str());
            Primary::Str(unescape(inner).ok_or_else(|| {
                TemplateError::new(
                    "",
                    pos,
                    ErrorKind::Syntax(
                        "invalid escape in a string (use \\\\ \\\" \\n \\t \\r or \\u{…})".into(),
                    ),
                )
            })?)
        }
        Rule::raw_string => Primary::Str(
            first
                .into_inner()
                .next()
                .map_or("", |p| p.as_str())
                .to_string(),
        ),
        Rule::number => {
            let text = first.as_str();
            if text.contains('.') {
                Primary::Float(text.parse().expect("the grammar only admits decimals"))
            } else {
                Primary::Int(text.parse().map_err(|_| {
                    TemplateError::new("", pos, ErrorKind::Syntax("integer out of range".into()))
                })?)
            }
        }
        Rule::boolean => Primary::Bool(first.as_str() == "true"),
        Rule::paren => Primary::Paren(Box::new(pipeline(
            loc,
            first
                .into_inner()
                .next()
                .expect("parentheses hold a pipeline"),
        )?)),
        other => unreachable!("not an operand: {other:?}"),
    };
    Ok(Operand {
        primary,
        fields,
        pos,
    })
}

/// Resolves the escapes of a `"…"` string; `None` for an unknown escape.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

type Tokens = std::iter::Peekable<std::vec::IntoIter<(Pos, Token)>>;

/// The token that ended a block body.
enum Ender {
    End(Pos),
    Else(Pos),
    ElseIf(Pos, Pipeline),
}

impl Ender {
    fn describe(&self) -> (Pos, &'static str) {
        match self {
            Ender::End(p) => (*p, "{{ end }}"),
            Ender::Else(p) => (*p, "{{ else }}"),
            Ender::ElseIf(p, _) => (*p, "{{ else if }}"),
        }
    }
}

/// Nests the tokens into blocks until an `else`/`end` (returned to the caller, whose
/// block it ends) or the end of the input (`None`; an error inside a block).
fn nest(
    name: &str,
    tokens: &mut Tokens,
    open: Option<(Pos, &'static str)>,
    depth: usize,
) -> Result<(Vec<Node>, Option<Ender>), TemplateError> {
    if let (Some((pos, _)), true) = (open, depth > super::eval::MAX_DEPTH) {
        return Err(TemplateError::new(
            name,
            pos,
            ErrorKind::TooDeep(super::eval::MAX_DEPTH),
        ));
    }
    let mut nodes = Vec::new();
    while let Some((pos, token)) = tokens.next() {
        match token {
            Token::Text(t) => {
                if !t.is_empty() {
                    nodes.push(Node::Text(t));
                }
            }
            Token::Output(p) => nodes.push(Node::Output(p)),
            Token::Else => return Ok((nodes, Some(Ender::Else(pos)))),
            Token::ElseIf(p) => return Ok((nodes, Some(Ender::ElseIf(pos, p)))),
            Token::End => return Ok((nodes, Some(Ender::End(pos)))),
            Token::If(cond) => nodes.push(if_block(name, tokens, pos, cond, depth + 1)?),
            Token::Range(vars, over) => {
                const WHAT: &str = "{{ range }}";
                let (body, end) = nest(name, tokens, Some((pos, WHAT)), depth + 1)?;
                let otherwise = match end {
                    Some(Ender::End(_)) => Vec::new(),
                    Some(Ender::Else(_)) => {
                        let (otherwise, end) = nest(name, tokens, Some((pos, WHAT)), depth + 1)?;
                        expect_end(name, pos, WHAT, end)?;
                        otherwise
                    }
                    other => return Err(misplaced(name, pos, WHAT, other)),
                };
                nodes.push(Node::Range {
                    vars,
                    over,
                    body,
                    otherwise,
                });
            }
        }
    }
    match open {
        None => Ok((nodes, None)),
        Some((pos, what)) => Err(TemplateError::new(name, pos, ErrorKind::Unclosed(what))),
    }
}

fn if_block(
    name: &str,
    tokens: &mut Tokens,
    pos: Pos,
    cond: Pipeline,
    depth: usize,
) -> Result<Node, TemplateError> {
    const WHAT: &str = "{{ if }}";
    let mut branches = Vec::new();
    let mut cond = cond;
    loop {
        let (body, end) = nest(name, tokens, Some((pos, WHAT)), depth)?;
        branches.push((cond, body));
        match end {
            Some(Ender::End(_)) => {
                return Ok(Node::If {
                    branches,
                    otherwise: Vec::new(),
                })
            }
            Some(Ender::ElseIf(_, next)) => cond = next,
            Some(Ender::Else(_)) => {
                let (otherwise, end) = nest(name, tokens, Some((pos, WHAT)), depth)?;
                expect_end(name, pos, WHAT, end)?;
                return Ok(Node::If {
                    branches,
                    otherwise,
                });
            }
            None => return Err(misplaced(name, pos, WHAT, None)),
        }
    }
}

fn expect_end(
    name: &str,
    open: Pos,
    what: &'static str,
    end: Option<Ender>,
) -> Result<(), TemplateError> {
    match end {
        Some(Ender::End(_)) => Ok(()),
        other => Err(misplaced(name, open, what, other)),
    }
}

fn misplaced(name: &str, open: Pos, what: &'static str, found: Option<Ender>) -> TemplateError {
    match found {
        Some(ender) => {
            let (pos, token) = ender.describe();
            TemplateError::new(
                name,
                pos,
                ErrorKind::Misplaced {
                    token,
                    block: what,
                    opened: open,
                },
            )
        }
        None => TemplateError::new(name, open, ErrorKind::Unclosed(what)),
    }
}
