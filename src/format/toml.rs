//! TOML store. sops has none, so enseal defines it: values are encrypted in place as the
//! same `ENC[...]` strings, whole-line and trailing comments become `#ENC[...]`, and the
//! metadata is a `[sops]` table at the end of the file.
//!
//! The file keeps its layout: parsing records a [`TomlLayout`], the source text and the
//! span of every value and comment in the order the tree walk visits them, and writing
//! back replaces only those spans. A string keeps its quoting style (basic, literal,
//! multi-line) because its `ENC[...]` text is written in the same style, which is what
//! decryption reads back.
//! Syntax comes from `toml_edit`, the format-preserving parser cargo uses.

use std::ops::Range;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, RawString, Table};

use super::spelling::{self, Spelling};
use super::{text_of, FormatError, Parsed, MAX_DEPTH};
use crate::document::number::format_plain;
use crate::document::{Comment, Document, Entry, Map, Scalar, Value};

/// Where each value and comment of a parsed TOML file sits in its source.
#[derive(Clone)]
pub struct TomlLayout {
    /// The file as read (it may be plaintext: wiped on drop).
    source: zeroize::Zeroizing<String>,
    /// One slot per leaf value and comment, in tree-walk order.
    slots: Vec<Slot>,
    /// Where the old `[sops]` section starts; it runs to the end of the file.
    metadata_at: Option<usize>,
    /// Source spellings of values (`0x1F`, `1e3`, escapes), sorted by slot.
    pub spellings: Vec<Spelling>,
}

// The source may be plaintext: show only its size.
impl std::fmt::Debug for TomlLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TomlLayout({} bytes, {} slots)",
            self.source.len(),
            self.slots.len()
        )
    }
}

#[derive(Clone)]
struct Slot {
    span: Range<usize>,
    kind: SlotKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    Comment,
    Value(Style),
}

/// How a value is spelled in the source.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Basic,
    Literal,
    /// `"""`, and whether a line break follows the opening quotes.
    MultiBasic(bool),
    /// `'''`, and whether a line break follows the opening quotes.
    MultiLiteral(bool),
    /// Not a string.
    Bare,
}

impl Style {
    fn of(raw: &str) -> Style {
        let breaks = |rest: &str| rest.starts_with('\n') || rest.starts_with("\r\n");
        if let Some(rest) = raw.strip_prefix("\"\"\"") {
            Style::MultiBasic(breaks(rest))
        } else if let Some(rest) = raw.strip_prefix("'''") {
            Style::MultiLiteral(breaks(rest))
        } else if raw.starts_with('"') {
            Style::Basic
        } else if raw.starts_with('\'') {
            Style::Literal
        } else {
            Style::Bare
        }
    }
}

/// Parses a TOML file; the root `sops` table, if any, is the metadata.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = text_of(bytes)?;
    let parsed = toml_edit::Document::parse(text).map_err(|e| syntax_error(text, &e))?;
    let mut reader = Reader {
        source: text,
        slots: Vec::new(),
    };
    let root = parsed.as_table();
    let mut map = reader.table(root, 0, true)?;
    let (metadata, metadata_at) = match root.get("sops") {
        Some(item) => {
            let mut quiet = Reader {
                source: text,
                slots: Vec::new(),
            };
            let value = quiet.item(item, 1)?;
            // enseal writes one line break, then the section: the text before that
            // break is the data, and the comments just above the section are the
            // data's trailing comments.
            let header = header_start(item);
            if let Item::Table(t) = item {
                reader.comments_in(t.decor().prefix(), &mut map);
            }
            let at = header.map(|h| if text[..h].ends_with('\n') { h - 1 } else { h });
            if let Some(at) = at {
                if reader.slots.iter().any(|s| s.span.end > at) || later_tables(root, at) {
                    return Err(FormatError::Shape(
                        "the [sops] table must be the last section of the file".into(),
                    ));
                }
            }
            (Some(value), at)
        }
        None => {
            reader.comments_in(Some(parsed.trailing()), &mut map);
            (None, None)
        }
    };
    Ok(Parsed {
        doc: Document {
            branches: vec![map],
        },
        metadata,
        layout: Some(super::Layout::Toml(TomlLayout {
            source: zeroize::Zeroizing::new(text.to_string()),
            slots: reader.slots,
            spellings: Vec::new(),
            metadata_at,
        })),
    })
}

/// A parse error with its line and column (never a snippet: the input may be secret).
fn syntax_error(text: &str, e: &toml_edit::TomlError) -> FormatError {
    let mut at = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let message = e
        .message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .to_string();
    FormatError::syntax(line, column, message)
}

struct Reader<'s> {
    source: &'s str,
    slots: Vec<Slot>,
}

impl Reader<'_> {
    fn table(&mut self, table: &Table, depth: usize, root: bool) -> Result<Map, FormatError> {
        if depth > MAX_DEPTH {
            return Err(FormatError::Shape(
                "the file nests deeper than 128 levels".into(),
            ));
        }
        let mut map = Map::new();
        if !table.is_implicit() && !table.is_dotted() {
            self.comments_in(table.decor().prefix(), &mut map);
            self.comments_in(table.decor().suffix(), &mut map);
        }
        for (key, item) in table.iter() {
            if root && key == "sops" {
                continue;
            }
            if let Some(k) = table.key(key) {
                self.comments_in(k.leaf_decor().prefix(), &mut map);
                self.comments_in(k.dotted_decor().prefix(), &mut map);
            }
            let value = self.item(item, depth + 1)?;
            map.push(Entry::Pair(key.to_string(), value));
            if let Item::Value(v) = item {
                self.comments_in(v.decor().suffix(), &mut map);
            }
        }
        Ok(map)
    }

    fn item(&mut self, item: &Item, depth: usize) -> Result<Value, FormatError> {
        match item {
            Item::Value(v) => self.value(v, depth),
            Item::Table(t) => Ok(Value::Map(self.table(t, depth, false)?)),
            Item::ArrayOfTables(aot) => {
                let mut items = Vec::new();
                for t in aot.iter() {
                    items.push(Value::Map(self.table(t, depth + 1, false)?));
                }
                Ok(Value::Seq(items))
            }
            Item::None => Ok(Value::Null),
        }
    }

    fn value(&mut self, v: &toml_edit::Value, depth: usize) -> Result<Value, FormatError> {
        if depth > MAX_DEPTH {
            return Err(FormatError::Shape(
                "the file nests deeper than 128 levels".into(),
            ));
        }
        let scalar = match v {
            toml_edit::Value::String(s) => Scalar::Str(s.value().clone()),
            toml_edit::Value::Integer(i) => Scalar::Int(*i.value()),
            toml_edit::Value::Float(f) => Scalar::Float(*f.value()),
            toml_edit::Value::Boolean(b) => Scalar::Bool(*b.value()),
            // The text as written: TOML allows a space for `T` and local forms.
            toml_edit::Value::Datetime(d) => Scalar::Time(match v.span() {
                Some(span) => self.source[span].to_string(),
                None => d.value().to_string(),
            }),
            toml_edit::Value::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for x in a.iter() {
                    self.list_comments_in(x.decor().prefix(), &mut items);
                    items.push(self.value(x, depth + 1)?);
                    self.list_comments_in(x.decor().suffix(), &mut items);
                }
                self.list_comments_in(Some(a.trailing()), &mut items);
                return Ok(Value::Seq(items));
            }
            toml_edit::Value::InlineTable(t) => {
                // TOML 1.1 lets inline tables span lines, with comments.
                let mut map = Map::new();
                for (k, x) in t.iter() {
                    if let Some(key) = t.key(k) {
                        self.comments_in(key.leaf_decor().prefix(), &mut map);
                    }
                    map.push(Entry::Pair(k.to_string(), self.value(x, depth + 1)?));
                    self.comments_in(x.decor().suffix(), &mut map);
                }
                self.comments_in(Some(t.trailing()), &mut map);
                return Ok(Value::Map(map));
            }
        };
        if let Some(span) = v.span() {
            let style = Style::of(&self.source[span.clone()]);
            self.slots.push(Slot {
                span,
                kind: SlotKind::Value(style),
            });
        }
        Ok(Value::Scalar(scalar))
    }

    /// Adds the comments of a decor string (whitespace and `#` lines) to `map`.
    fn comments_in(&mut self, raw: Option<&RawString>, map: &mut Map) {
        for c in self.comment_slots(raw) {
            map.push(Entry::Comment(c));
        }
    }

    /// Adds the comments inside an array to its items. An encrypted one is read as a
    /// string item, as sops writes encrypted list comments, so the cipher walk treats
    /// it exactly as in the other stores.
    fn list_comments_in(&mut self, raw: Option<&RawString>, items: &mut Vec<Value>) {
        for mut c in self.comment_slots(raw) {
            items.push(if c.0.starts_with("ENC[AES256_GCM,") {
                Value::Scalar(Scalar::Str(std::mem::take(&mut c.0)))
            } else {
                Value::Comment(c)
            });
        }
    }

    /// Records a slot for each `#` comment of a decor string and returns their texts.
    fn comment_slots(&mut self, raw: Option<&RawString>) -> Vec<Comment> {
        let mut out = Vec::new();
        let Some(span) = raw.and_then(RawString::span) else {
            return out;
        };
        let text = &self.source[span.clone()];
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if let Some(hash) = line.find('#') {
                let body = line[hash + 1..].trim_end_matches(['\n', '\r']);
                let start = span.start + offset + hash;
                self.slots.push(Slot {
                    span: start..start + 1 + body.len(),
                    kind: SlotKind::Comment,
                });
                out.push(Comment(body.to_string()));
            }
            offset += line.len();
        }
        out
    }
}

/// Where the first header or value of an item starts (leading comments excluded).
fn header_start(item: &Item) -> Option<usize> {
    let mut starts = Vec::new();
    collect_starts(item, &mut starts);
    starts.into_iter().min()
}

fn collect_starts(item: &Item, out: &mut Vec<usize>) {
    match item {
        Item::Table(t) => {
            out.extend(t.span().map(|s| s.start));
            for (_, x) in t.iter() {
                collect_starts(x, out);
            }
        }
        Item::ArrayOfTables(aot) => {
            for t in aot.iter() {
                out.extend(t.span().map(|s| s.start));
                for (_, x) in t.iter() {
                    collect_starts(x, out);
                }
            }
        }
        Item::Value(v) => out.extend(v.span().map(|s| s.start)),
        Item::None => {}
    }
}

/// Whether a table other than `sops` starts after `at`.
fn later_tables(root: &Table, at: usize) -> bool {
    root.iter().filter(|(k, _)| *k != "sops").any(|(_, item)| {
        let mut starts = Vec::new();
        collect_starts(item, &mut starts);
        starts.into_iter().any(|s| s > at)
    })
}

/// Writes `doc` back into its source layout when it has one of the same shape, else
/// lays it out afresh; then appends `metadata` as a `[sops]` table.
pub fn emit(
    doc: &Document,
    metadata: Option<&Value>,
    layout: Option<&TomlLayout>,
) -> Result<Vec<u8>, FormatError> {
    let root = match doc.branches.as_slice() {
        [] => &Map::new(),
        [one] => one,
        _ => return Err(FormatError::Emit("TOML holds a single document".into())),
    };
    let mut out = match layout.and_then(|l| patched(root, l).transpose()) {
        Some(text) => text?,
        None => fresh(root)?,
    };
    if let Some(meta) = metadata {
        // Exactly one line break before the section: parsing cuts it off again, so the
        // data's own ending (final newline or not, blank lines) survives a round trip.
        if !out.is_empty() {
            out.push('\n');
        }
        let table = vec![Entry::Pair("sops".into(), meta.clone())];
        out.push_str(&fresh(&table)?);
    }
    Ok(out.into_bytes())
}

/// The source with every slot replaced by the tree's new text; `None` when the tree
/// no longer has the shape the layout was read from.
fn patched(root: &Map, layout: &TomlLayout) -> Result<Option<String>, FormatError> {
    let mut leaves = Vec::with_capacity(layout.slots.len());
    collect_leaves(root, &mut leaves);
    if leaves.len() != layout.slots.len() {
        return Ok(None);
    }
    let mut edits: Vec<(&Slot, String)> = Vec::with_capacity(leaves.len());
    for (i, (slot, leaf)) in layout.slots.iter().zip(leaves).enumerate() {
        if let (Leaf::Value(Value::Scalar(v)), Some(sp)) =
            (&leaf, spelling::find(&layout.spellings, i))
        {
            if sp.spells(v) {
                edits.push((slot, sp.source.clone()));
                continue;
            }
        }
        let text = match (slot.kind, leaf) {
            (SlotKind::Comment, Leaf::Comment(c)) => format!("#{}", c.0),
            // An encrypted comment inside an array is a string item (see the reader).
            (SlotKind::Comment, Leaf::Value(Value::Scalar(Scalar::Str(t))))
                if t.starts_with("ENC[AES256_GCM,") =>
            {
                format!("#{t}")
            }
            (SlotKind::Value(style), Leaf::Value(v)) => render(v, style)?,
            _ => return Ok(None),
        };
        edits.push((slot, text));
    }
    edits.sort_by_key(|(slot, _)| slot.span.start);
    let end = layout.metadata_at.unwrap_or(layout.source.len());
    let mut out = String::with_capacity(layout.source.len() + leaves_growth(&edits));
    let mut at = 0;
    for (slot, text) in &edits {
        if slot.span.start < at || slot.span.end > end {
            return Ok(None);
        }
        out.push_str(&layout.source[at..slot.span.start]);
        out.push_str(text);
        at = slot.span.end;
    }
    out.push_str(&layout.source[at..end]);
    Ok(Some(out))
}

impl TomlLayout {
    /// The values of `doc` (read with this layout) whose source text differs from
    /// what writing them back gives.
    pub fn spellings_of(&self, doc: &Document) -> Vec<Spelling> {
        let mut leaves = Vec::with_capacity(self.slots.len());
        if let Some(root) = doc.branches.first() {
            collect_leaves(root, &mut leaves);
        }
        if leaves.len() != self.slots.len() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, (slot, leaf)) in self.slots.iter().zip(leaves).enumerate() {
            if let (SlotKind::Value(style), Leaf::Value(v @ Value::Scalar(scalar))) =
                (slot.kind, leaf)
            {
                let source = &self.source[slot.span.clone()];
                if render(v, style).ok().as_deref() != Some(source) {
                    out.extend(Spelling::new(i, scalar, source));
                }
            }
        }
        out
    }

    /// The recorded spellings that still spell their slot's value in `doc`.
    pub fn spellings_still_true(&self, doc: &Document, list: &[Spelling]) -> Vec<Spelling> {
        let mut leaves = Vec::new();
        if let Some(root) = doc.branches.first() {
            collect_leaves(root, &mut leaves);
        }
        list.iter()
            .filter(|s| matches!(leaves.get(s.slot), Some(Leaf::Value(Value::Scalar(v))) if s.spells(v)))
            .cloned()
            .collect()
    }
}

fn leaves_growth(edits: &[(&Slot, String)]) -> usize {
    edits.iter().map(|(_, t)| t.len()).sum()
}

enum Leaf<'a> {
    Value(&'a Value),
    Comment(&'a Comment),
}

/// Leaves and comments in tree-walk order (the order the reader recorded slots in).
fn collect_leaves<'a>(map: &'a Map, out: &mut Vec<Leaf<'a>>) {
    for entry in map {
        match entry {
            Entry::Comment(c) => out.push(Leaf::Comment(c)),
            Entry::Pair(_, v) => collect_value(v, out),
        }
    }
}

fn collect_value<'a>(v: &'a Value, out: &mut Vec<Leaf<'a>>) {
    match v {
        Value::Map(m) => collect_leaves(m, out),
        Value::Seq(items) => items.iter().for_each(|x| collect_value(x, out)),
        Value::Comment(c) => out.push(Leaf::Comment(c)),
        Value::Scalar(_) | Value::Null => out.push(Leaf::Value(v)),
    }
}

/// A value as TOML text, a string in `style` where that style can hold it.
fn render(v: &Value, style: Style) -> Result<String, FormatError> {
    Ok(match v {
        Value::Scalar(Scalar::Str(s)) => string(s, style),
        Value::Scalar(other) => bare(other)?,
        Value::Null => return Err(FormatError::Emit("TOML has no null value".into())),
        Value::Map(_) | Value::Seq(_) | Value::Comment(_) => {
            return Err(FormatError::Emit("a value changed shape".into()))
        }
    })
}

/// A non-string scalar as TOML text.
fn bare(s: &Scalar) -> Result<String, FormatError> {
    Ok(match s {
        Scalar::Str(t) => basic(t),
        Scalar::Int(i) => i.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Float(f) => float(*f),
        Scalar::Time(t) => {
            if t.parse::<toml_edit::Datetime>().is_ok() {
                t.clone()
            } else {
                basic(t)
            }
        }
        Scalar::Bytes(_) => {
            return Err(FormatError::Emit(
                "TOML strings must be UTF-8; the value holds other bytes".into(),
            ))
        }
    })
}

/// A float as TOML writes it: always with a `.` or an exponent, `inf` and `nan` bare.
fn float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut s = format_plain(f);
    if !s.contains(['.', 'e', 'E']) {
        s.push_str(".0");
    }
    s
}

/// A string in `style`, or in the nearest style that can hold it.
fn string(s: &str, style: Style) -> String {
    let control = |c: char| c.is_control() && c != '\t' && c != '\n';
    match style {
        Style::Literal if !s.contains(['\'', '\n', '\r']) && !s.chars().any(control) => {
            format!("'{s}'")
        }
        Style::MultiLiteral(nl)
            if !s.contains("'''") && !s.chars().any(control) && !s.ends_with('\'') =>
        {
            format!("'''{}{s}'''", if nl { "\n" } else { "" })
        }
        Style::MultiBasic(nl) | Style::MultiLiteral(nl) => multi_basic(s, nl),
        _ => basic(s),
    }
}

/// A basic string: `"` and `\` escaped, control characters as escapes.
fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape(c, &mut out, false);
    }
    out.push('"');
    out
}

/// A multi-line basic string: line breaks kept, quotes escaped only where three would
/// meet or the closing delimiter would be confused.
fn multi_basic(s: &str, newline: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str("\"\"\"");
    if newline {
        out.push('\n');
    }
    let chars: Vec<char> = s.chars().collect();
    let mut quotes = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c == '"' {
            let last = i + 1 == chars.len();
            if quotes == 2 || last {
                out.push_str("\\\"");
                quotes = 0;
            } else {
                out.push('"');
                quotes += 1;
            }
            continue;
        }
        quotes = 0;
        escape(c, &mut out, true);
    }
    out.push_str("\"\"\"");
    out
}

fn escape(c: char, out: &mut String, multiline: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' if multiline => out.push('\n'),
        '\n' => out.push_str("\\n"),
        // A tab is written raw in multi-line strings and as `\t` in one-line ones, the
        // way people usually spell it.
        '\t' if multiline => out.push('\t'),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push(c),
    }
}

/// Lays a tree out as a new TOML document (another format's data, or a changed shape).
fn fresh(root: &Map) -> Result<String, FormatError> {
    let (table, trailing) = to_table(root, 0)?;
    let mut doc = DocumentMut::from(table);
    doc.set_trailing(trailing);
    Ok(doc.to_string())
}

/// A map as a table, and the comments after its last pair (as decor text).
fn to_table(map: &Map, depth: usize) -> Result<(Table, String), FormatError> {
    if depth > MAX_DEPTH {
        return Err(FormatError::Emit(
            "the data nests deeper than 128 levels".into(),
        ));
    }
    let mut table = Table::new();
    let mut pending: Vec<&Comment> = Vec::new();
    // TOML puts a table's plain values before its sub-tables: a map or list of maps
    // followed by a plain value is written inline, so the key order stays.
    let last_plain = map.iter().rposition(|e| match e {
        Entry::Pair(_, v) => !is_table_like(v),
        Entry::Comment(_) => false,
    });
    for (i, entry) in map.iter().enumerate() {
        let (key, value) = match entry {
            Entry::Comment(c) => {
                pending.push(c);
                continue;
            }
            Entry::Pair(k, v) => (k, v),
        };
        let prefix: String = pending.drain(..).map(|c| format!("#{}\n", c.0)).collect();
        let item = if last_plain.is_some_and(|last| i < last) && is_table_like(value) {
            Some(Item::Value(to_value(value, depth + 1)?))
        } else {
            to_item(value, depth + 1)?
        };
        let Some(item) = item else { continue };
        let is_table = matches!(item, Item::Table(_));
        table.insert(key, item);
        if !prefix.is_empty() {
            if is_table {
                if let Some(Item::Table(t)) = table.get_mut(key) {
                    t.decor_mut().set_prefix(prefix);
                }
            } else if let Some(mut k) = table.key_mut(key) {
                k.leaf_decor_mut().set_prefix(prefix);
            }
        }
    }
    // A table holding only sub-tables needs no header of its own.
    if !table.is_empty()
        && table
            .iter()
            .all(|(_, item)| item.is_table() || item.is_array_of_tables())
    {
        table.set_implicit(true);
    }
    let trailing = pending.iter().map(|c| format!("#{}\n", c.0)).collect();
    Ok((table, trailing))
}

/// A map, or a non-empty list of maps: written as a table or an array of tables.
fn is_table_like(v: &Value) -> bool {
    match v {
        Value::Map(_) => true,
        Value::Seq(items) => {
            let mut data = items
                .iter()
                .filter(|x| !matches!(x, Value::Comment(_)))
                .peekable();
            data.peek().is_some() && data.all(|x| matches!(x, Value::Map(_)))
        }
        _ => false,
    }
}

fn to_item(value: &Value, depth: usize) -> Result<Option<Item>, FormatError> {
    Ok(Some(match value {
        // Comments after a nested table's last pair have no place in TOML's model.
        Value::Map(m) => Item::Table(to_table(m, depth)?.0),
        Value::Seq(items) => {
            let data: Vec<&Value> = items
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .collect();
            if !data.is_empty() && data.iter().all(|v| matches!(v, Value::Map(_))) {
                let mut aot = ArrayOfTables::new();
                for v in data {
                    if let Value::Map(m) = v {
                        aot.push(to_table(m, depth + 1)?.0);
                    }
                }
                Item::ArrayOfTables(aot)
            } else {
                Item::Value(toml_edit::Value::Array(to_array(&data, depth)?))
            }
        }
        Value::Comment(_) => return Ok(None),
        other => Item::Value(to_value(other, depth)?),
    }))
}

fn to_array(items: &[&Value], depth: usize) -> Result<Array, FormatError> {
    let mut array = Array::new();
    for v in items {
        array.push(to_value(v, depth + 1)?);
    }
    Ok(array)
}

fn to_value(value: &Value, depth: usize) -> Result<toml_edit::Value, FormatError> {
    if depth > MAX_DEPTH {
        return Err(FormatError::Emit(
            "the data nests deeper than 128 levels".into(),
        ));
    }
    Ok(match value {
        Value::Map(m) => {
            let mut t = InlineTable::new();
            for e in m {
                if let Entry::Pair(k, v) = e {
                    t.insert(k, to_value(v, depth + 1)?);
                }
            }
            toml_edit::Value::InlineTable(t)
        }
        Value::Seq(items) => {
            let data: Vec<&Value> = items
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .collect();
            toml_edit::Value::Array(to_array(&data, depth)?)
        }
        Value::Null => return Err(FormatError::Emit("TOML has no null value".into())),
        Value::Comment(_) => return Err(FormatError::Emit("a comment cannot be a value".into())),
        Value::Scalar(s) => {
            let text = match s {
                Scalar::Str(t) => basic(t),
                other => bare(other)?,
            };
            text.parse::<toml_edit::Value>()
                .map_err(|_| FormatError::Emit("a value has no TOML spelling".into()))?
        }
    })
}

#[cfg(test)]
mod tests;
