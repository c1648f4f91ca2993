//! YAML text to the document tree, with yaml.v3's typing and sops' placement of comments.
//!
//! The syntax is handled by `saphyr-parser` (a YAML 1.2 event parser with source
//! spans). Comments are not events, so they are found by a second scan of the text
//! that skips quoted and block scalars, and are then placed in the tree by position:
//! before the item on their line or the next item, or at the end of the block
//! collection they are indented into. That reproduces what sops does with yaml.v3's
//! head, line and foot comments.

use std::collections::HashMap;

use base64::Engine;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::layout::{block_header, trim_enc_block, DocMarks, Recorder};
use super::resolve::{resolve_plain, resolve_typed, timestamp, Resolved};
use crate::document::{Comment, Entry, Map, Scalar, Value};
use crate::format::{FormatError, MAX_DEPTH};

/// A comment found in the text: 1-based line, 0-based character column, text after `#`
/// and the byte offset of that text.
struct CommentTok {
    line: usize,
    col: usize,
    text: String,
    at: usize,
}

/// Character indexes (saphyr's positions) to byte offsets.
struct Bytes {
    /// The byte offset of every character, unless the text is ASCII.
    table: Option<Vec<usize>>,
    len: usize,
}

impl Bytes {
    fn new(text: &str) -> Bytes {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Bytes {
            table,
            len: text.len(),
        }
    }

    fn at(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

/// A position (line, column) in characters.
type Pos = (usize, usize);

fn start(span: &Span) -> Pos {
    (span.start.line(), span.start.col())
}

/// Parses a YAML stream into one map per document, recording the layout in `rec`.
pub fn parse_documents(text: &str, rec: &mut Recorder) -> Result<Vec<Map>, FormatError> {
    let bytes = Bytes::new(text);
    let mut events = Vec::new();
    let mut protected: Vec<(Pos, Pos)> = Vec::new();
    for item in Parser::new_from_str(text).keep_tags(true) {
        let (event, span) = item.map_err(|e| {
            FormatError::syntax(
                e.marker().line(),
                e.marker().col() + 1,
                e.info().to_string(),
            )
        })?;
        let mut span = span;
        if let Event::Scalar(_, style, _, _) = &event {
            if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
                // saphyr-parser 0.3 ends a quoted scalar's span too late after non-ASCII
                // text inside it: find the closing quote here.
                span.end = quoted_end(text, &bytes, &span).unwrap_or(span.end);
            }
            if *style != ScalarStyle::Plain {
                protected.push((start(&span), (span.end.line(), span.end.col())));
            }
        }
        events.push((event, span));
    }
    let comments = scan_comments(text, &protected);
    let mut b = Builder {
        events,
        pos: 0,
        comments,
        next_comment: 0,
        anchors: HashMap::new(),
        text,
        bytes,
        rec,
        flow: 0,
    };
    b.stream()
}

/// The position just after the closing quote of the quoted scalar whose node (with its
/// properties) starts at `span.start`.
fn quoted_end(text: &str, bytes: &Bytes, span: &Span) -> Option<saphyr_parser::Marker> {
    let from = bytes.at(span.start.index());
    let open = from + text[from..].find(['\'', '"'])?;
    let quote = text.as_bytes()[open];
    let mut i = open + 1;
    let b = text.as_bytes();
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => {
                let end = i + 1;
                let inner = &text[from..end];
                let lines = inner.matches('\n').count();
                let col = match inner.rfind('\n') {
                    Some(nl) => inner[nl + 1..].chars().count(),
                    None => span.start.col() + inner.chars().count(),
                };
                let index = span.start.index() + inner.chars().count();
                return Some(saphyr_parser::Marker::new(
                    index,
                    span.start.line() + lines,
                    col,
                ));
            }
            _ => i += 1,
        }
    }
    None
}

/// Finds every comment outside quoted and block scalars.
fn scan_comments(text: &str, protected: &[(Pos, Pos)]) -> Vec<CommentTok> {
    let mut out = Vec::new();
    let mut p = 0; // first protected span that may still matter
    let mut line_start = 0;
    for (idx, line) in text.split('\n').enumerate() {
        let lineno = idx + 1;
        let this_start = line_start;
        line_start += line.len() + 1;
        if !line.contains('#') {
            continue;
        }
        while p < protected.len() && protected[p].1 .0 < lineno {
            p += 1;
        }
        let mut prev_blank = true;
        for (col, (byte, c)) in line.char_indices().enumerate() {
            if c == '#' && prev_blank && !inside(protected, p, (lineno, col)) {
                let text = line[byte + 1..].trim_end_matches('\r').to_string();
                out.push(CommentTok {
                    line: lineno,
                    col,
                    text,
                    at: this_start + byte + 1,
                });
                break;
            }
            prev_blank = c == ' ' || c == '\t' || c == '\u{feff}';
        }
    }
    out
}

/// Whether `pos` falls inside a protected (quoted or block) scalar.
fn inside(protected: &[(Pos, Pos)], from: usize, pos: Pos) -> bool {
    protected[from..]
        .iter()
        .take_while(|(s, _)| *s <= pos)
        .any(|(s, e)| *s <= pos && pos < *e)
}

/// Duplicate-key detection for one mapping without copying keys: a hash of each key
/// points at its entry in the map being built.
#[derive(Default)]
struct SeenKeys {
    first: HashMap<u64, (usize, usize)>,
}

impl SeenKeys {
    /// Records `key`, about to be pushed at `map.len()` from `line`; returns the line of
    /// an earlier entry with the same key.
    fn insert(&mut self, map: &Map, key: &str, line: usize) -> Option<usize> {
        use std::hash::Hasher;
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(key.as_bytes());
        let hash = hasher.finish();
        match self.first.get(&hash) {
            None => {
                self.first.insert(hash, (map.len(), line));
                None
            }
            Some(&(index, first_line)) => match &map[index] {
                Entry::Pair(k, _) if k == key => Some(first_line),
                // A hash collision between different keys: compare the slow way.
                _ => map
                    .iter()
                    .any(|e| matches!(e, Entry::Pair(k, _) if k == key))
                    .then_some(first_line),
            },
        }
    }
}

struct Builder<'a, 'r> {
    events: Vec<(Event<'a>, Span)>,
    pos: usize,
    comments: Vec<CommentTok>,
    next_comment: usize,
    /// Each anchor's value and the slots recorded for it.
    anchors: HashMap<usize, (Value, std::ops::Range<usize>)>,
    text: &'a str,
    bytes: Bytes,
    rec: &'r mut Recorder,
    /// How many flow collections enclose the current node.
    flow: usize,
}

fn is_core(tag: &Tag, suffix: &str) -> bool {
    tag.handle == "tag:yaml.org,2002:" && tag.suffix == suffix
}

impl<'a> Builder<'a, '_> {
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        let e = self.events.get_mut(self.pos)?;
        self.pos += 1;
        Some(std::mem::replace(e, (Event::Nothing, e.1)))
    }

    fn peek(&self) -> Option<&(Event<'a>, Span)> {
        self.events.get(self.pos)
    }

    fn shape(span: &Span, msg: impl Into<String>) -> FormatError {
        FormatError::syntax(span.start.line(), span.start.col() + 1, msg)
    }

    fn unencryptable(span: &Span, msg: impl Into<String>) -> FormatError {
        FormatError::Unencryptable {
            line: span.start.line(),
            column: span.start.col() + 1,
            message: msg.into(),
        }
    }

    /// Comments up to and including line `line` (those before an item or on its line).
    fn take_comments_through(&mut self, line: usize) -> Vec<Comment> {
        let mut out = Vec::new();
        while let Some(c) = self.comments.get_mut(self.next_comment) {
            if c.line > line {
                break;
            }
            self.rec.comment(c.at, c.text.len());
            out.push(Comment(std::mem::take(&mut c.text)));
            self.next_comment += 1;
        }
        out
    }

    /// Comments before `end` that are indented at least `indent` (the end of a block collection).
    fn take_closing_comments(&mut self, end: Pos, indent: usize) -> Vec<Comment> {
        let mut out = Vec::new();
        while let Some(c) = self.comments.get_mut(self.next_comment) {
            if (c.line, c.col) < end && c.col >= indent {
                self.rec.comment(c.at, c.text.len());
                out.push(Comment(std::mem::take(&mut c.text)));
                self.next_comment += 1;
            } else {
                break;
            }
        }
        out
    }

    fn stream(&mut self) -> Result<Vec<Map>, FormatError> {
        let mut docs = Vec::new();
        while let Some((event, span)) = self.next() {
            match event {
                Event::DocumentStart(_) => {
                    self.anchors.clear();
                    self.rec.docs.push(DocMarks::default());
                    docs.push(self.document(&span)?);
                }
                Event::StreamEnd => break,
                _ => {}
            }
        }
        if docs.is_empty() {
            return Err(FormatError::Shape(
                "the file holds no YAML document (only comments or blank lines)".into(),
            ));
        }
        Ok(docs)
    }

    fn document(&mut self, doc_span: &Span) -> Result<Map, FormatError> {
        let (event, span) = self
            .next()
            .ok_or_else(|| Self::shape(doc_span, "unexpected end of document"))?;
        let mut map = match event {
            Event::MappingStart(anchor, tag) => {
                if tag.is_some_and(|t| !is_core(&t, "map")) {
                    return Err(Self::shape(&span, "the top level must be a plain mapping"));
                }
                let first_slot = self.rec.slots.len();
                let v = self.mapping(&span, 0)?;
                if anchor > 0 {
                    let slots = first_slot..self.rec.slots.len();
                    self.anchors.insert(anchor, (v.clone(), slots));
                }
                match v {
                    Value::Map(m) => m,
                    _ => unreachable!("mapping returns a map"),
                }
            }
            Event::Scalar(ref s, ScalarStyle::Plain, _, None)
                if s.is_empty() || s == "~" || s == "null" =>
            {
                Map::new()
            }
            _ => {
                return Err(Self::shape(
                    &span,
                    "the top level of a YAML document must be a mapping",
                ))
            }
        };
        // Comments left in this document (up to the next `---`) go at its end.
        let next_doc = self.events[self.pos..]
            .iter()
            .find_map(|(e, s)| matches!(e, Event::DocumentStart(true)).then_some(s.start));
        let limit = match next_doc {
            Some(m) => (m.line(), 0),
            None => (usize::MAX, 0),
        };
        for c in self.take_closing_comments(limit, 0) {
            map.push(Entry::Comment(c));
        }
        // The document's content ends at its `...`, the next `---` or the end of the text.
        let mut end = next_doc.map_or(self.text.len(), |m| self.bytes.at(m.index()));
        while let Some((e, s)) = self.peek() {
            if matches!(e, Event::DocumentEnd) {
                if s.start != s.end {
                    end = self.bytes.at(s.start.index());
                }
                self.pos += 1;
                break;
            }
            if matches!(e, Event::DocumentStart(_) | Event::StreamEnd) {
                break;
            }
            self.pos += 1;
        }
        if let Some(d) = self.rec.docs.last_mut() {
            d.end = end;
        }
        Ok(map)
    }

    /// Parses one node whose first event has been taken.
    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Value, FormatError> {
        if depth > MAX_DEPTH {
            return Err(Self::shape(&span, "nesting is too deep"));
        }
        let first_slot = self.rec.slots.len();
        let (v, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let mut v = self.scalar(text, style, tag.as_deref(), &span)?;
                self.record_scalar(&mut v, style, &span);
                (v, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let flow = self.is_flow(&span);
                self.flow += usize::from(flow);
                let v = self.mapping(&span, depth);
                self.flow -= usize::from(flow);
                (v?, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let flow = self.is_flow(&span);
                self.flow += usize::from(flow);
                let v = self.sequence(&span, depth);
                self.flow -= usize::from(flow);
                (v?, anchor)
            }
            Event::Alias(id) => {
                let (v, slots) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| Self::shape(&span, "alias to an unknown anchor"))?;
                let at = self.bytes.at(span.start.index())..self.bytes.at(span.end.index());
                self.rec.alias(slots, at);
                return Ok(v);
            }
            _ => return Err(Self::shape(&span, "unexpected YAML structure")),
        };
        if anchor > 0 {
            let slots = first_slot..self.rec.slots.len();
            self.anchors.insert(anchor, (v.clone(), slots));
        }
        Ok(v)
    }

    /// Whether a collection that starts at `span` is a flow one (`[` or `{`).
    fn is_flow(&self, span: &Span) -> bool {
        let end = self.bytes.at(span.end.index());
        end > 0 && matches!(self.text.as_bytes().get(end - 1), Some(b'[' | b'{'))
    }

    /// Records the slot of a scalar value (block `ENC[...]` values of an encrypted file
    /// lose the line breaks their header adds).
    fn record_scalar(&mut self, v: &mut Value, style: ScalarStyle, span: &Span) {
        let from = self.bytes.at(span.start.index());
        let to = self.bytes.at(span.end.index());
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                if let Value::Scalar(Scalar::Str(t)) = v {
                    trim_enc_block(self.rec.mode, t);
                    let located = block_header(self.text, from).is_some_and(|(after, header)| {
                        self.rec.block_scalar(self.text, after, header, t)
                    });
                    if !located {
                        self.rec.lost = true;
                    }
                } else if !matches!(v, Value::Null) {
                    self.rec.lost = true; // a tagged block scalar of another type
                }
            }
            ScalarStyle::Plain => self
                .rec
                .flow_scalar(self.text, from..to, None, self.flow > 0, v),
            ScalarStyle::SingleQuoted => {
                self.rec
                    .flow_scalar(self.text, from..to, Some('\''), self.flow > 0, v)
            }
            ScalarStyle::DoubleQuoted => {
                self.rec
                    .flow_scalar(self.text, from..to, Some('"'), self.flow > 0, v)
            }
        }
    }

    fn mapping(&mut self, span: &Span, depth: usize) -> Result<Value, FormatError> {
        let mut map = Map::new();
        let mut seen = SeenKeys::default();
        let mut indent = None;
        loop {
            let (event, kspan) = self
                .next()
                .ok_or_else(|| Self::shape(span, "unterminated mapping"))?;
            let key = match event {
                Event::MappingEnd => {
                    let end = start(&kspan);
                    for c in self.take_closing_comments(end, indent.unwrap_or(0)) {
                        map.push(Entry::Comment(c));
                    }
                    return Ok(Value::Map(map));
                }
                Event::Scalar(text, style, _, tag) => {
                    let empty_plain = style == ScalarStyle::Plain && text.is_empty();
                    let mut key = self.scalar(text, style, tag.as_deref(), &kspan)?;
                    match key {
                        Value::Scalar(Scalar::Str(ref mut s)) => std::mem::take(s),
                        Value::Null if empty_plain => return Err(Self::shape(
                            &kspan,
                            "a mapping key is missing (complex or empty keys are not supported)",
                        )),
                        other => {
                            let kind = match other {
                                Value::Null => "null",
                                Value::Scalar(s) => s.type_tag(),
                                _ => "complex",
                            };
                            return Err(Self::unencryptable(
                                &kspan,
                                format!("mapping keys must be strings; this key is a {kind} (quote it to make it a string)"),
                            ));
                        }
                    }
                }
                _ => {
                    return Err(Self::shape(
                        &kspan,
                        "complex mapping keys (maps or lists as keys) are not supported",
                    ))
                }
            };
            let line = kspan.start.line();
            if indent.is_none() {
                indent = Some(kspan.start.col());
            }
            let comments = self.take_comments_through(line);
            map.extend(comments.into_iter().map(Entry::Comment));
            // The metadata block is not part of the layout: record where it starts.
            let metadata = depth == 0 && key == "sops";
            if depth == 0 {
                let at = self.bytes.at(kspan.start.index());
                if let Some(d) = self.rec.docs.last_mut() {
                    d.first_key.get_or_insert(at);
                    if metadata {
                        d.sops_key = Some(at);
                    }
                }
                if self.flow > 0 || self.is_flow(span) {
                    self.rec.lost = true; // a flow top-level map has no line for the block
                }
            }
            if key != "<<" {
                if let Some(first) = seen.insert(&map, &key, line) {
                    return Err(Self::shape(
                        &kspan,
                        format!("mapping key {key:?} already defined at line {first}"),
                    ));
                }
            }
            let (vevent, vspan) = self
                .next()
                .ok_or_else(|| Self::shape(&kspan, "mapping value missing"))?;
            let on = self.rec.on;
            self.rec.on &= !metadata;
            let value = self.node(vevent, vspan, depth + 1);
            self.rec.on = on;
            map.push(Entry::Pair(key, value?));
        }
    }

    fn sequence(&mut self, span: &Span, depth: usize) -> Result<Value, FormatError> {
        let mut items = Vec::new();
        let indent = span.start.col();
        loop {
            let (event, ispan) = self
                .next()
                .ok_or_else(|| Self::shape(span, "unterminated sequence"))?;
            if matches!(event, Event::SequenceEnd) {
                for c in self.take_closing_comments(start(&ispan), indent) {
                    items.push(Value::Comment(c));
                }
                return Ok(Value::Seq(items));
            }
            // saphyr starts a block scalar's span at its content; an empty one (`|+` and
            // blank lines) is a zero-width span on the line that ends it, which may be a
            // comment that follows the item.
            let empty_block = matches!(
                event,
                Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, ..)
            ) && ispan.start == ispan.end;
            let through = ispan.start.line() - usize::from(empty_block);
            let comments = self.take_comments_through(through);
            items.extend(comments.into_iter().map(Value::Comment));
            items.push(self.node(event, ispan, depth + 1)?);
        }
    }

    /// Types a scalar as yaml.v3 does: plain scalars are resolved, quoted ones are strings,
    /// core-schema tags force a type.
    fn scalar(
        &self,
        text: std::borrow::Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<Value, FormatError> {
        let bad = |what: &str| Self::shape(span, format!("the value is not a valid {what}"));
        if let Some(tag) = tag {
            if tag.handle == "tag:yaml.org,2002:" {
                return match tag.suffix.as_str() {
                    "str" => Ok(Value::Scalar(Scalar::Str(text.into_owned()))),
                    "binary" => {
                        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(cleaned)
                            .map_err(|_| bad("!!binary (base64)"))?;
                        Ok(Value::Scalar(match String::from_utf8(bytes) {
                            Ok(s) => Scalar::Str(s),
                            Err(e) => Scalar::Bytes(e.into_bytes()),
                        }))
                    }
                    "int" => match resolve_plain(&text) {
                        Resolved::Value(v @ Value::Scalar(Scalar::Int(_))) => Ok(v),
                        _ => Err(bad("!!int")),
                    },
                    "float" => match resolve_plain(&text) {
                        Resolved::Value(Value::Scalar(Scalar::Int(i))) => {
                            Ok(Value::Scalar(Scalar::Float(i as f64)))
                        }
                        Resolved::Value(v @ Value::Scalar(Scalar::Float(_))) => Ok(v),
                        _ => Err(bad("!!float")),
                    },
                    "bool" => match resolve_plain(&text) {
                        Resolved::Value(v @ Value::Scalar(Scalar::Bool(_))) => Ok(v),
                        _ => Err(bad("!!bool")),
                    },
                    "null" => Ok(Value::Null),
                    "timestamp" => timestamp(&text)
                        .map(|t| Value::Scalar(Scalar::Time(t)))
                        .ok_or_else(|| bad("!!timestamp")),
                    "merge" => Ok(Value::str("<<")),
                    _ => Ok(Value::Scalar(Scalar::Str(text.into_owned()))),
                };
            }
            // Local tags (`!foo`): yaml.v3 keeps the text; sops sees the plain resolution.
        }
        if style != ScalarStyle::Plain {
            return Ok(Value::Scalar(Scalar::Str(text.into_owned())));
        }
        match resolve_typed(&text) {
            None => Ok(Value::Scalar(Scalar::Str(text.into_owned()))),
            Some(Resolved::Value(v)) => Ok(v),
            Some(Resolved::Merge) => Ok(Value::str("<<")),
            Some(Resolved::Uint64) => Err(Self::unencryptable(
                span,
                "integer too large for a signed 64-bit value (sops cannot encrypt it; quote it to keep it as a string)",
            )),
        }
    }
}
