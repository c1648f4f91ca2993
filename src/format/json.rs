//! JSON store with Go `encoding/json` semantics, as sops' JSON store behaves.
//!
//! - Every number is a float64 (so `1` is encrypted as `type:float`, and integers
//!   above 2^53 lose precision exactly as in Go).
//! - Duplicate keys are kept, in order.
//! - Plaintext input stops at the end of the first object (trailing data is ignored,
//!   as sops' token reader does); encrypted input must be one complete JSON value.
//! - Output is compact-then-indented like `json.Indent` (one tab by default), with
//!   Go's HTML-safe string escaping (`<` → `\u003c`, ...).

use super::spelling::{self, Spelling};
use super::{EmitOptions, FormatError, Mode, Parsed};
use crate::document::{map_remove, number, Document, Entry, Map, Scalar, Value};

use super::MAX_DEPTH;

/// Parses a JSON object.
pub fn parse(bytes: &[u8], mode: Mode) -> Result<Parsed, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::Empty);
    }
    // sops and enseal write UTF-8; Go would read other bytes as U+FFFD, which would
    // make a changed file decrypt to changed text.
    if mode == Mode::Encrypted {
        super::text_of(bytes)?;
    }
    let mut p = Parser {
        src: bytes,
        pos: 0,
        slots: Vec::new(),
        record: true,
        root: RootMarks::default(),
    };
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return Err(if p.peek().is_none() {
            FormatError::Empty
        } else {
            FormatError::Shape("the top level of a JSON file must be an object".into())
        });
    }
    let Value::Map(mut map) = p.value(0)? else {
        unreachable!("peeked '{{'")
    };
    p.root.close = p.pos;
    if mode == Mode::Encrypted {
        p.skip_ws();
        if p.pos < p.src.len() {
            return Err(p.err("unexpected data after the top-level object"));
        }
    }
    let metadata = map_remove(&mut map, "sops");
    // The layout needs the text; a file with invalid UTF-8 is laid out afresh.
    let layout = std::str::from_utf8(bytes).ok().map(|text| {
        super::Layout::Json(JsonLayout {
            source: zeroize::Zeroizing::new(text.to_string()),
            slots: std::mem::take(&mut p.slots),
            root: p.root,
            unit: indent_unit(text, p.root.open),
            spellings: Vec::new(),
        })
    });
    Ok(Parsed {
        layout,
        doc: Document {
            branches: vec![map],
        },
        metadata,
    })
}

/// Where the values of a parsed JSON file sit, so that a file enseal encrypted keeps its
/// own layout (indentation, key order, one-line objects, escapes in keys) and decrypts
/// back to the same bytes. Only files whose metadata says `enseal_layout: kept` are
/// decrypted this way: sops' own files decrypt to sops' exact output (docs/layout.md).
#[derive(Clone)]
pub struct JsonLayout {
    /// The file as read (it may be plaintext: wiped on drop).
    source: zeroize::Zeroizing<String>,
    /// Every scalar (and `null`) outside the `sops` member, in tree-walk order.
    slots: Vec<std::ops::Range<usize>>,
    root: RootMarks,
    /// One level of the file's indentation (empty for a one-line file).
    unit: String,
    /// Source spellings of values (`1.0`, `\u00e9`), sorted by slot.
    pub spellings: Vec<Spelling>,
}

// The source may be plaintext: show only its size.
impl std::fmt::Debug for JsonLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "JsonLayout({} bytes, {} slots)",
            self.source.len(),
            self.slots.len()
        )
    }
}

/// Positions in the top-level object.
#[derive(Clone, Copy, Debug, Default)]
struct RootMarks {
    /// The `{`.
    open: usize,
    /// Just after the value of the last member that is not `sops`.
    last_value_end: Option<usize>,
    /// The text to cut to remove the `sops` member (with its comma).
    sops: Option<(usize, usize)>,
    /// Just after the closing `}`.
    close: usize,
}

/// One level of indentation: the white space before the first key of the top-level
/// object when it sits on its own line.
fn indent_unit(text: &str, open: usize) -> String {
    let after = &text[open + 1..];
    let Some(nl) = after.find('\n') else {
        return String::new();
    };
    let before_nl = &after[..nl];
    if !before_nl.trim().is_empty() {
        return String::new();
    }
    after[nl + 1..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    /// Spans of the scalars read so far (see [`JsonLayout`]).
    slots: Vec<std::ops::Range<usize>>,
    /// False while reading the `sops` member, whose values are not slots.
    record: bool,
    root: RootMarks,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// An error at the current position (1-based line and character column).
    fn err(&self, message: &str) -> FormatError {
        let upto = &self.src[..self.pos.min(self.src.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&upto[line_start..]).chars().count() + 1;
        FormatError::syntax(line, column, message)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), FormatError> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else if self.peek().is_none() {
            Err(self.err("unexpected end of input"))
        } else {
            Err(self.err(&format!("expected {what}")))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, FormatError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting is too deep"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                let root = depth == 0;
                if root {
                    self.root.open = self.pos;
                }
                self.pos += 1;
                let mut map = Map::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Map(map));
                }
                let mut prev_end: Option<usize> = None;
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let key_start = self.pos;
                    let key = self.string()?;
                    self.expect(b':', "':' after an object key")?;
                    let is_sops = root && key == "sops" && self.record;
                    if is_sops {
                        self.record = false;
                    }
                    let value = self.value(depth + 1)?;
                    if root {
                        if is_sops {
                            self.record = true;
                            // With the comma before it, or (first member) the one after.
                            let cut = match prev_end {
                                Some(end) => (end, self.pos),
                                None => {
                                    let mut end = self.pos;
                                    let rest = &self.src[end..];
                                    let ws =
                                        rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
                                    if rest.get(ws) == Some(&b',') {
                                        end += ws + 1;
                                        end += self.src[end..]
                                            .iter()
                                            .take_while(|b| b.is_ascii_whitespace())
                                            .count();
                                    }
                                    (key_start, end)
                                }
                            };
                            self.root.sops = Some(cut);
                        } else {
                            self.root.last_value_end = Some(self.pos);
                        }
                        prev_end = Some(self.pos);
                    }
                    map.push(Entry::Pair(key, value));
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Map(map));
                        }
                        None => return Err(self.err("unexpected end of input")),
                        _ => return Err(self.err("expected ',' or '}' in an object")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Seq(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Seq(items));
                        }
                        None => return Err(self.err("unexpected end of input")),
                        _ => return Err(self.err("expected ',' or ']' in an array")),
                    }
                }
            }
            Some(_) => {
                let start = self.pos;
                let v = self.scalar()?;
                if self.record {
                    self.slots.push(start..self.pos);
                }
                Ok(v)
            }
        }
    }

    fn scalar(&mut self) -> Result<Value, FormatError> {
        match self.peek() {
            Some(b'"') => Ok(Value::Scalar(Scalar::Str(self.string()?))),
            Some(b't') => self.literal(b"true", Value::Scalar(Scalar::Bool(true))),
            Some(b'f') => self.literal(b"false", Value::Scalar(Scalar::Bool(false))),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("invalid character where a value was expected")),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, FormatError> {
        if self.src[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, FormatError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected in the exponent"));
            }
        }
        let text = std::str::from_utf8(&self.src[start..self.pos]).expect("ASCII digits");
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Scalar(Scalar::Float(f))),
            _ => Err(self.err("number out of range for a 64-bit float")),
        }
    }

    fn hex4(&mut self) -> Result<u32, FormatError> {
        let hex = self
            .src
            .get(self.pos..self.pos + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        self.pos += 4;
        Ok(hex)
    }

    /// A string literal; invalid UTF-8 and lone surrogates become U+FFFD, as in Go.
    fn string(&mut self) -> Result<String, FormatError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            push_lossy(&mut out, &self.src[start..self.pos]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.err("unterminated string"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.src[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    // Not a pair: the high half alone is invalid; re-read the second escape.
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.err("invalid escape in string")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }
}

/// Appends bytes as UTF-8, replacing each invalid byte with U+FFFD (Go's behaviour).
fn push_lossy(out: &mut String, mut bytes: &[u8]) {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).expect("validated prefix"));
                out.push('\u{FFFD}');
                bytes = &rest[1..];
            }
        }
    }
}

/// Writes bytes that are not valid UTF-8 as Go does for such a string: each invalid
/// byte becomes the escape `\ufffd`.
fn write_bytes(out: &mut String, mut bytes: &[u8]) {
    out.push('"');
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                write_escaped(out, s, true);
                break;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                write_escaped(
                    out,
                    std::str::from_utf8(valid).expect("validated prefix"),
                    true,
                );
                out.push_str("\\ufffd");
                bytes = &rest[1..];
            }
        }
    }
    out.push('"');
}

/// Writes `s` as a Go `encoding/json` string literal (HTML-safe escaping).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    write_escaped(out, s, true);
    out.push('"');
}

/// The inside of a JSON string literal: Go's HTML-safe escapes (`<` as `\u003c`, ...)
/// when `html_safe`, else only the escapes JSON requires (the way people write JSON).
fn write_escaped(out: &mut String, s: &str, html_safe: bool) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' if html_safe => out.push_str("\\u003c"),
            '>' if html_safe => out.push_str("\\u003e"),
            '&' if html_safe => out.push_str("\\u0026"),
            '\u{2028}' if html_safe => out.push_str("\\u2028"),
            '\u{2029}' if html_safe => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

struct Emitter<'a> {
    out: String,
    indent: &'a str,
}

impl Emitter<'_> {
    fn newline(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str(self.indent);
        }
    }

    fn value(&mut self, value: &Value, depth: usize) -> Result<(), FormatError> {
        match value {
            Value::Map(map) => self.map(
                map.iter().filter_map(|e| match e {
                    Entry::Pair(k, v) => Some((k.as_str(), v)),
                    Entry::Comment(_) => None,
                }),
                depth,
            ),
            Value::Seq(items) => {
                let items: Vec<&Value> = items
                    .iter()
                    .filter(|v| !matches!(v, Value::Comment(_)))
                    .collect();
                if items.is_empty() {
                    self.out.push_str("[]");
                    return Ok(());
                }
                self.out.push('[');
                for (i, item) in items.into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    self.value(item, depth + 1)?;
                }
                self.newline(depth);
                self.out.push(']');
                Ok(())
            }
            Value::Null | Value::Comment(_) => {
                self.out.push_str("null");
                Ok(())
            }
            Value::Scalar(s) => self.scalar(s),
        }
    }

    fn map<'v>(
        &mut self,
        pairs: impl Iterator<Item = (&'v str, &'v Value)>,
        depth: usize,
    ) -> Result<(), FormatError> {
        let mut any = false;
        for (k, v) in pairs {
            self.out.push(if any { ',' } else { '{' });
            any = true;
            self.newline(depth + 1);
            write_string(&mut self.out, k);
            self.out.push_str(": ");
            self.value(v, depth + 1)?;
        }
        if any {
            self.newline(depth);
            self.out.push('}');
        } else {
            self.out.push_str("{}");
        }
        Ok(())
    }

    fn scalar(&mut self, s: &Scalar) -> Result<(), FormatError> {
        match s {
            Scalar::Str(t) | Scalar::Time(t) => write_string(&mut self.out, t),
            Scalar::Bytes(b) => write_bytes(&mut self.out, b),
            Scalar::Int(i) => self.out.push_str(&i.to_string()),
            Scalar::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Scalar::Float(f) => match number::format_json(*f) {
                Some(t) => self.out.push_str(&t),
                None => {
                    return Err(FormatError::Emit(
                        "JSON cannot represent NaN or infinity".into(),
                    ))
                }
            },
        }
        Ok(())
    }
}

fn indent_of(opts: &EmitOptions) -> String {
    match opts.indent {
        None => "\t".into(),
        Some(n) => " ".repeat(n),
    }
}

/// Emits the object, with `"sops"` as its last key when `metadata` is given.
pub fn emit(
    doc: &Document,
    metadata: Option<&Value>,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FormatError> {
    let empty = Map::new();
    let branch = doc.branches.first().unwrap_or(&empty);
    let indent = indent_of(opts);
    let mut e = Emitter {
        out: String::with_capacity(branch.len() * 64),
        indent: &indent,
    };
    let pairs = branch
        .iter()
        .filter_map(|en| match en {
            Entry::Pair(k, v) => Some((k.as_str(), v)),
            Entry::Comment(_) => None,
        })
        .chain(metadata.map(|m| ("sops", m)));
    e.map(pairs, 0)?;
    e.out.push('\n');
    Ok(e.out.into_bytes())
}

/// Writes `doc` back into the file it was read from: every scalar in place (strings
/// with only the escapes JSON needs, numbers as sops writes them), the old `sops`
/// member cut, and `metadata` (if any) added as the last member in the file's own
/// indentation. A tree of another shape is laid out afresh, as sops would.
pub fn emit_in_layout(
    doc: &Document,
    metadata: Option<&Value>,
    layout: &JsonLayout,
) -> Result<Vec<u8>, FormatError> {
    let empty = Map::new();
    let branch = doc.branches.first().unwrap_or(&empty);
    let mut leaves = Vec::with_capacity(layout.slots.len());
    collect_leaves(branch, &mut leaves);
    if leaves.len() != layout.slots.len() {
        return emit(doc, metadata, &EmitOptions::default());
    }
    let mut edits: Vec<(usize, usize, String)> = Vec::with_capacity(leaves.len() + 2);
    for (i, (span, leaf)) in layout.slots.iter().zip(leaves).enumerate() {
        let spelled = match (leaf, spelling::find(&layout.spellings, i)) {
            (Value::Scalar(v), Some(sp)) if sp.spells(v) => Some(sp.source.clone()),
            _ => None,
        };
        let text = match spelled {
            Some(t) => t,
            None => match render_leaf(leaf)? {
                Some(t) => t,
                None => return emit(doc, metadata, &EmitOptions::default()),
            },
        };
        edits.push((span.start, span.end, text));
    }
    if let Some((start, end)) = layout.root.sops {
        edits.push((start, end, String::new()));
    }
    if let Some(meta) = metadata {
        let mut e = Emitter {
            out: String::new(),
            indent: &layout.unit,
        };
        e.value(meta, 1)?;
        let one_line = layout.unit.is_empty();
        let member = if one_line {
            format!("\"sops\": {}", e.out.replace('\n', ""))
        } else {
            format!("\n{}\"sops\": {}", layout.unit, e.out)
        };
        match layout.root.last_value_end {
            Some(at) => edits.push((at, at, format!(",{member}"))),
            None => edits.push((layout.root.open + 1, layout.root.open + 1, member)),
        }
    }
    edits.sort_by_key(|(start, end, _)| (*start, *end));
    let src = &layout.source;
    let mut out = String::with_capacity(src.len() + edits.iter().map(|e| e.2.len()).sum::<usize>());
    let mut at = 0;
    for (start, end, text) in &edits {
        if *start < at {
            return emit(doc, metadata, &EmitOptions::default());
        }
        out.push_str(&src[at..*start]);
        out.push_str(text);
        at = *end;
    }
    // sops ignores anything after the top-level object in a plaintext file, but an
    // encrypted file must hold exactly one value: keep only the white space after it.
    let end = if metadata.is_some() {
        let close = layout.root.close.max(at);
        close
            + src[close..]
                .bytes()
                .take_while(u8::is_ascii_whitespace)
                .count()
    } else {
        src.len()
    };
    out.push_str(&src[at..end]);
    Ok(out.into_bytes())
}

/// A scalar or null as it is written in a kept layout (`None` for collections).
fn render_leaf(leaf: &Value) -> Result<Option<String>, FormatError> {
    let mut text = String::new();
    match leaf {
        Value::Null => text.push_str("null"),
        Value::Scalar(Scalar::Str(t) | Scalar::Time(t)) => write_plain_string(&mut text, t),
        Value::Scalar(sc) => {
            let mut e = Emitter {
                out: String::new(),
                indent: "",
            };
            e.scalar(sc)?;
            text = e.out;
        }
        _ => return Ok(None),
    }
    Ok(Some(text))
}

impl JsonLayout {
    /// The values of `doc` (read with this layout) whose source text differs from
    /// what writing them back gives (`1.0`, `1e3`, `\u00e9`).
    pub fn spellings_of(&self, doc: &Document) -> Vec<Spelling> {
        let mut leaves = Vec::with_capacity(self.slots.len());
        if let Some(branch) = doc.branches.first() {
            collect_leaves(branch, &mut leaves);
        }
        if leaves.len() != self.slots.len() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, (span, leaf)) in self.slots.iter().zip(leaves).enumerate() {
            if let Value::Scalar(scalar) = leaf {
                let source = &self.source[span.clone()];
                if render_leaf(leaf).ok().flatten().as_deref() != Some(source) {
                    out.extend(Spelling::new(i, scalar, source));
                }
            }
        }
        out
    }

    /// The recorded spellings that still spell their slot's value in `doc`.
    pub fn spellings_still_true(&self, doc: &Document, list: &[Spelling]) -> Vec<Spelling> {
        let mut leaves = Vec::new();
        if let Some(branch) = doc.branches.first() {
            collect_leaves(branch, &mut leaves);
        }
        list.iter()
            .filter(|s| matches!(leaves.get(s.slot), Some(Value::Scalar(v)) if s.spells(v)))
            .cloned()
            .collect()
    }

    /// Whether `doc` has as many scalars as this layout has slots.
    pub fn fits(&self, doc: &Document) -> bool {
        let mut leaves = Vec::with_capacity(self.slots.len());
        if let Some(branch) = doc.branches.first() {
            collect_leaves(branch, &mut leaves);
        }
        leaves.len() == self.slots.len()
    }
}

/// Scalars and nulls in tree-walk order (the order the parser recorded slots in).
fn collect_leaves<'a>(map: &'a Map, out: &mut Vec<&'a Value>) {
    for e in map {
        if let Entry::Pair(_, v) = e {
            collect_value(v, out);
        }
    }
}

fn collect_value<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Map(m) => collect_leaves(m, out),
        Value::Seq(items) => items.iter().for_each(|x| collect_value(x, out)),
        Value::Comment(_) => {}
        Value::Scalar(_) | Value::Null => out.push(v),
    }
}

/// A JSON string with only the escapes JSON requires (see [`write_escaped`]).
fn write_plain_string(out: &mut String, s: &str) {
    out.push('"');
    write_escaped(out, s, false);
    out.push('"');
}

/// Emits a single value as sops' JSON `EmitValue` does (indented, no trailing newline).
pub fn emit_value(value: &Value, opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    let indent = indent_of(opts);
    let mut e = Emitter {
        out: String::new(),
        indent: &indent,
    };
    e.value(value, 0)?;
    Ok(e.out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round(input: &str) -> String {
        let p = parse(input.as_bytes(), Mode::Plain).unwrap();
        String::from_utf8(emit(&p.doc, p.metadata.as_ref(), &EmitOptions::default()).unwrap())
            .unwrap()
    }

    fn layout_of(p: &Parsed) -> &JsonLayout {
        match p.layout.as_ref() {
            Some(crate::format::Layout::Json(l)) => l,
            _ => panic!("no JSON layout"),
        }
    }

    #[test]
    fn layout_round_trips_with_and_without_metadata() {
        let meta = Value::Map(vec![
            Entry::Pair("mac".into(), Value::str("m")),
            Entry::Pair("version".into(), Value::str("3.11.0")),
        ]);
        for text in [
            "{\n  \"a\": \"x<y&z\",\n  \"n\": [1, 2.5, true, null],\n  \"o\": {\"k\": \"v\"}\n}\n",
            "{\"a\":1}",
            "{}",
            "{ }\n",
            "{\n\t\"a\": \"\\u00e9\\n\"\n}",
            "{\r\n    \"a\": \"b\"\r\n}\r\n",
        ] {
            let p = parse(text.as_bytes(), Mode::Plain).unwrap();
            let with = emit_in_layout(&p.doc, Some(&meta), layout_of(&p)).unwrap();
            let again = parse(&with, Mode::Plain).unwrap();
            assert_eq!(again.doc, p.doc, "{text:?}");
            assert_eq!(again.metadata.as_ref(), Some(&meta), "{text:?}");
            let back = emit_in_layout(&again.doc, None, layout_of(&again)).unwrap();
            // Escapes JSON does not need come back as the characters (a known limit).
            let want = text.replace("\\u00e9", "é");
            assert_eq!(String::from_utf8(back).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn layout_drops_data_after_the_object_when_encrypting() {
        let meta = Value::Map(vec![Entry::Pair("version".into(), Value::str("3.11.0"))]);
        let p = parse(b"{\"a\": \"b\"}\n trailing data\n", Mode::Plain).unwrap();
        let with = emit_in_layout(&p.doc, Some(&meta), layout_of(&p)).unwrap();
        assert_eq!(
            String::from_utf8(with.clone()).unwrap(),
            "{\"a\": \"b\",\"sops\": {\"version\": \"3.11.0\"}}\n "
        );
        // An encrypted file is read strictly, and this one is a single value.
        assert!(parse(&with, Mode::Encrypted).is_ok());
    }

    #[test]
    fn layout_cuts_a_sops_member_wherever_it_is() {
        for (text, want) in [
            ("{\"sops\": {\"v\": 1}, \"a\": 1}", "{\"a\": 1}"),
            ("{\"a\": 1, \"sops\": {}, \"b\": 2}", "{\"a\": 1, \"b\": 2}"),
            ("{\"sops\": {}}", "{}"),
        ] {
            let p = parse(text.as_bytes(), Mode::Plain).unwrap();
            let out = emit_in_layout(&p.doc, None, layout_of(&p)).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn go_style_output() {
        assert_eq!(
            round(r#"{"a": 1.0, "b": [1e10, {}, []], "c": {"d": "<&>\u2028\u0001"}, "e": null}"#),
            "{\n\t\"a\": 1,\n\t\"b\": [\n\t\t10000000000,\n\t\t{},\n\t\t[]\n\t],\n\t\"c\": {\n\t\t\"d\": \"\\u003c\\u0026\\u003e\\u2028\\u0001\"\n\t},\n\t\"e\": null\n}\n"
        );
        assert_eq!(round("{}"), "{}\n");
        assert_eq!(
            round(r#"{"x": 9007199254740993}"#),
            "{\n\t\"x\": 9007199254740992\n}\n"
        );
        assert_eq!(round(r#"{"a":1,"a":2}"#), "{\n\t\"a\": 1,\n\t\"a\": 2\n}\n");
        assert_eq!(
            round(r#"{"s":"\ud83d\ude00 \ud800x"}"#),
            "{\n\t\"s\": \"😀 \u{FFFD}x\"\n}\n"
        );
    }

    #[test]
    fn invalid_utf8_bytes_are_escaped_like_go() {
        let doc = Document {
            branches: vec![vec![Entry::Pair(
                "data".into(),
                Value::Scalar(Scalar::Bytes(b"a\xff\"\"\n".to_vec())),
            )]],
        };
        let out = String::from_utf8(emit(&doc, None, &EmitOptions::default()).unwrap()).unwrap();
        assert_eq!(out, "{\n\t\"data\": \"a\\ufffd\\\"\\\"\\n\"\n}\n");
    }

    #[test]
    fn trailing_data_is_ignored_only_in_plain_mode() {
        assert_eq!(round("{\"a\": 1} junk"), "{\n\t\"a\": 1\n}\n");
        assert!(parse(b"{\"a\": 1} junk", Mode::Encrypted).is_err());
    }

    #[test]
    fn metadata_is_split_off() {
        let p = parse(
            br#"{"a": "x", "sops": {"version": "3.11.0"}}"#,
            Mode::Encrypted,
        )
        .unwrap();
        assert_eq!(p.doc.branches[0].len(), 1);
        assert!(p.metadata.unwrap().get("version").is_some());
    }

    #[test]
    fn errors_name_a_position_not_the_input() {
        for (input, line) in [
            ("{\"a\": tru}", 1),
            ("{\n\"secret\": \"abc", 2),
            ("{\"a\" 1}", 1),
            ("{\"a\": 01}", 1),
            ("{\"a\": 1e999}", 1),
            ("{\"a\": \"\\x\"}", 1),
        ] {
            match parse(input.as_bytes(), Mode::Plain).unwrap_err() {
                FormatError::Syntax {
                    line: l, message, ..
                } => {
                    assert_eq!(l, line, "{input}");
                    assert!(!message.contains("abc"));
                }
                other => panic!("{input}: {other:?}"),
            }
        }
        assert_eq!(parse(b"", Mode::Plain).unwrap_err(), FormatError::Empty);
        assert!(matches!(
            parse(b"[1]", Mode::Plain).unwrap_err(),
            FormatError::Shape(_)
        ));
        let deep = "{\"a\":".to_string() + &"[".repeat(5000) + &"]".repeat(5000) + "}";
        assert!(parse(deep.as_bytes(), Mode::Plain).is_err());
    }

    #[test]
    fn shared_fixtures_round_trip() {
        let base = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/sops-generated"
        );
        for name in [
            "a-age",
            "b-shamir",
            "c-encrypted-regex",
            "d-mac-only",
            "e-pgp-age",
        ] {
            let enc =
                std::fs::read_to_string(format!("{base}/encrypted/basic.{name}.enc.json")).unwrap();
            let p = parse(enc.as_bytes(), Mode::Encrypted).unwrap();
            let out = emit(&p.doc, p.metadata.as_ref(), &EmitOptions::default()).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), enc, "{name}");
            let dec =
                std::fs::read_to_string(format!("{base}/expected/basic.{name}.dec.json")).unwrap();
            assert_eq!(round(&dec), dec, "{name}");
        }
        let input = std::fs::read_to_string(format!("{base}/input/basic.json")).unwrap();
        let expected =
            std::fs::read_to_string(format!("{base}/expected/basic.a-age.dec.json")).unwrap();
        assert_eq!(round(&input), expected);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes, Mode::Plain);
            let _ = parse(&bytes, Mode::Encrypted);
        }

        #[test]
        fn never_panics_on_near_json(s in r#"[{}\[\]",:0-9a-z\\ .eE+-]{0,60}"#) {
            let _ = parse(s.as_bytes(), Mode::Plain);
        }
    }
}
