//! A fast path for the block-YAML subset that sops writes and most secrets files use:
//! block maps and lists, plain one-line scalars, simple double-quoted strings, `{}`/`[]`,
//! literal blocks after a key, whole-line comments and `---` separators.
//!
//! It reads line by line at memory speed and returns `None` as soon as it sees
//! anything outside that subset (flow collections, anchors, tags, escapes, multi-line
//! plain scalars, trailing comments, tabs, ...), and the full parser takes over. Its
//! result is the same tree the full parser builds, including where comments land
//! (tests compare the two on every fixture and on random documents).

use super::layout::{trim_enc_block, DocMarks, Recorder};
use super::resolve::{resolve_typed, Resolved};
use crate::document::{Comment, Entry, Map, Scalar, Value};
use crate::format::MAX_DEPTH;

/// A whole-line comment: 1-based line, 0-based column, text after `#`.
struct CommentLine<'a> {
    line: usize,
    col: usize,
    text: &'a str,
}

/// What a content line holds after its indentation.
enum Kind<'a> {
    /// `key:` + the rest after `:` (trimmed start; may be empty).
    Entry(&'a str, &'a str),
    /// `- ` + the rest.
    Item(&'a str),
    /// `---`
    DocStart,
}

struct Line<'a> {
    no: usize,
    indent: usize,
    kind: Kind<'a>,
}

struct Fast<'a, 'r> {
    text: &'a str,
    rec: &'r mut Recorder,
    lines: Vec<Line<'a>>,
    /// All lines of the text, for block scalar bodies (which may contain anything).
    all: Vec<&'a str>,
    comments: Vec<CommentLine<'a>>,
    pos: usize,
    next_comment: usize,
}

/// Parses `text` if it is entirely inside the fast subset, recording the layout in
/// `rec` (which is left in an unspecified state when this returns `None`).
pub fn parse(text: &str, rec: &mut Recorder) -> Option<Vec<Map>> {
    // Tabs and CRs are left to the full parser; memchr scans at memory speed.
    if text.starts_with('\u{feff}') || memchr::memchr2(b'\t', b'\r', text.as_bytes()).is_some() {
        return None;
    }
    // memchr finds line ends at memory speed (`str::split` costs a call per line).
    let mut all: Vec<&str> = Vec::with_capacity(text.len() / 32 + 1);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
        all.push(&text[start..nl]);
        start = nl + 1;
    }
    all.push(&text[start..]);
    let mut lines = Vec::with_capacity(all.len());
    let mut comments = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let raw = all[i];
        let no = i + 1;
        i += 1;
        let trimmed = raw.trim_start_matches(' ');
        let indent = raw.len() - trimmed.len();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            comments.push(CommentLine {
                line: no,
                col: indent,
                text: c,
            });
            continue;
        }
        if raw == "---" {
            lines.push(Line {
                no,
                indent: 0,
                kind: Kind::DocStart,
            });
            continue;
        }
        let kind = if let Some(rest) = trimmed.strip_prefix("- ") {
            Kind::Item(rest)
        } else if trimmed == "-" {
            return None;
        } else {
            let (key, rest) = split_key(trimmed)?;
            Kind::Entry(key, rest)
        };
        // A literal block: skip its body lines here (they are read from `all` later).
        if let Kind::Entry(_, rest) = &kind {
            if rest.starts_with('|') {
                while i < all.len() {
                    let l = all[i];
                    let t = l.trim_start_matches(' ');
                    if !t.is_empty() && l.len() - t.len() <= indent {
                        break;
                    }
                    i += 1;
                }
            }
        }
        lines.push(Line { no, indent, kind });
    }
    let mut f = Fast {
        text,
        rec,
        lines,
        all,
        comments,
        pos: 0,
        next_comment: 0,
    };
    f.stream()
}

/// Splits `key: rest` / `key:`; `None` unless the key is a plain string key.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let colon = memchr::memchr(b':', s.as_bytes())?;
    let key = &s[..colon];
    let after = &s[colon + 1..];
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    if key.is_empty() || key.ends_with(' ') || !plain_ok(key) {
        return None;
    }
    match resolve_typed(key) {
        None => {}
        Some(Resolved::Merge) => return None,
        Some(_) => return None,
    }
    let rest = after.trim_start_matches(' ');
    Some((key, rest))
}

/// Text that reads back as itself when written plain on one line.
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    ) {
        // `-7` is a plain number; anything else starting with an indicator is not simple.
        if !(first == b'-' && b.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'.')) {
            return false;
        }
    }
    if s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    // No `: ` and no ` #`: both need a space, and most values (all ENC[...] ones) have none.
    memchr::memchr(b' ', b).is_none()
        || !b
            .windows(2)
            .any(|w| (w[0] == b':' && w[1] == b' ') || (w[0] == b' ' && w[1] == b'#'))
}

/// A scalar value after `key: ` or `- `, or `None` when it needs the full parser.
fn scalar(rest: &str) -> Option<Value> {
    if rest == "{}" {
        return Some(Value::Map(Map::new()));
    }
    if rest == "[]" {
        return Some(Value::Seq(Vec::new()));
    }
    if let Some(body) = rest.strip_prefix('"') {
        let inner = body.strip_suffix('"')?;
        if inner.contains(['"', '\\']) {
            return None;
        }
        return Some(Value::str(inner));
    }
    if !plain_ok(rest) {
        return None;
    }
    match resolve_typed(rest) {
        None => Some(Value::str(rest)),
        Some(Resolved::Value(v)) => Some(v),
        Some(_) => None,
    }
}

impl<'a> Fast<'a, '_> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.pos)
    }

    /// The position where the next token starts (what the full parser reports as the
    /// end of a block collection).
    fn next_token_pos(&self) -> (usize, usize) {
        match self.peek() {
            Some(l) => (l.no, l.indent),
            None => (usize::MAX, 0),
        }
    }

    /// The byte offset of a slice of the text.
    fn offset(&self, s: &str) -> usize {
        s.as_ptr() as usize - self.text.as_ptr() as usize
    }

    fn take_through(&mut self, line: usize) -> Vec<Comment> {
        let mut out = Vec::new();
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.line > line {
                break;
            }
            let text = c.text;
            self.rec.comment(self.offset(text), text.len());
            out.push(Comment(text.to_string()));
            self.next_comment += 1;
        }
        out
    }

    fn take_closing(&mut self, end: (usize, usize), indent: usize) -> Vec<Comment> {
        let mut out = Vec::new();
        while let Some(c) = self.comments.get(self.next_comment) {
            if (c.line, c.col) < end && c.col >= indent {
                let text = c.text;
                self.rec.comment(self.offset(text), text.len());
                out.push(Comment(text.to_string()));
                self.next_comment += 1;
            } else {
                break;
            }
        }
        out
    }

    fn stream(&mut self) -> Option<Vec<Map>> {
        let mut docs = Vec::new();
        loop {
            if matches!(self.peek()?.kind, Kind::DocStart) {
                self.pos += 1;
            }
            self.rec.docs.push(DocMarks::default());
            let first = self.peek()?;
            if first.indent != 0 || !matches!(first.kind, Kind::Entry(..)) {
                return None;
            }
            let mut map = self.map(0, 0)?;
            // Comments up to the next `---` belong to this document.
            let limit = match self.peek() {
                Some(l) if matches!(l.kind, Kind::DocStart) => (l.no, 0),
                None => (usize::MAX, 0),
                Some(_) => return None,
            };
            map.extend(self.take_closing(limit, 0).into_iter().map(Entry::Comment));
            let end = match self.peek() {
                Some(l) => self.offset(self.all[l.no - 1]),
                None => self.text.len(),
            };
            if let Some(d) = self.rec.docs.last_mut() {
                d.end = end;
            }
            docs.push(map);
            if self.peek().is_none() {
                return Some(docs);
            }
        }
    }

    /// A block map whose keys sit at column `indent`.
    fn map(&mut self, indent: usize, depth: usize) -> Option<Map> {
        self.map_from(indent, depth, None)
    }

    /// A block map whose keys sit at column `indent`; `first` is an entry already read
    /// from a list item's dash line (`- key: value`).
    fn map_from(
        &mut self,
        indent: usize,
        depth: usize,
        first: Option<(usize, &'a str, &'a str)>,
    ) -> Option<Map> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut map = Map::new();
        let mut keys = KeySet::Few(Vec::new());
        let mut pending = first;
        loop {
            let (no, key, rest) = match pending.take() {
                Some(entry) => entry,
                None => {
                    let Some(line) = self.peek() else { break };
                    if line.indent < indent || matches!(line.kind, Kind::DocStart) {
                        break;
                    }
                    let entry = match line.kind {
                        Kind::Entry(k, r) if line.indent == indent => (line.no, k, r),
                        _ => return None,
                    };
                    self.pos += 1;
                    entry
                }
            };
            if !keys.insert(key) {
                return None; // duplicate: let the full parser report it
            }
            let comments = self.take_through(no);
            map.extend(comments.into_iter().map(Entry::Comment));
            let metadata = depth == 0 && key == "sops";
            if depth == 0 {
                let at = self.offset(key);
                if let Some(d) = self.rec.docs.last_mut() {
                    d.first_key.get_or_insert(at);
                    if metadata {
                        d.sops_key = Some(at);
                    }
                }
            }
            let on = self.rec.on;
            self.rec.on &= !metadata;
            let value = self.value_after_key(indent, no, rest, depth);
            self.rec.on = on;
            map.push(Entry::Pair(key.to_string(), value?));
        }
        let end = self.next_token_pos();
        map.extend(
            self.take_closing(end, indent)
                .into_iter()
                .map(Entry::Comment),
        );
        Some(map)
    }

    fn value_after_key(
        &mut self,
        indent: usize,
        no: usize,
        rest: &str,
        depth: usize,
    ) -> Option<Value> {
        if rest.starts_with('|') {
            return self.literal(indent, no, rest);
        }
        if !rest.is_empty() {
            let v = scalar(rest)?;
            self.record(rest, &v);
            // A deeper line after a one-line value would be a continuation: not simple.
            if self
                .peek()
                .is_some_and(|l| l.indent > indent && !matches!(l.kind, Kind::DocStart))
            {
                return None;
            }
            return Some(v);
        }
        match self.peek() {
            Some(l) if l.indent > indent => {
                let child = l.indent;
                match l.kind {
                    Kind::Entry(..) => Some(Value::Map(self.map(child, depth + 1)?)),
                    Kind::Item(_) => Some(Value::Seq(self.seq(child, depth + 1)?)),
                    Kind::DocStart => None,
                }
            }
            // A list at the key's own indentation is valid YAML, but not this subset.
            Some(l) if l.indent == indent && matches!(l.kind, Kind::Item(_)) => None,
            _ => Some(Value::Null),
        }
    }

    /// A block list whose dashes sit at column `indent`.
    fn seq(&mut self, indent: usize, depth: usize) -> Option<Vec<Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent || matches!(line.kind, Kind::DocStart) {
                break;
            }
            let (no, rest) = match line.kind {
                Kind::Item(r) if line.indent == indent => (line.no, r),
                _ => return None,
            };
            self.pos += 1;
            let comments = self.take_through(no);
            items.extend(comments.into_iter().map(Value::Comment));
            if rest.starts_with("- ")
                || rest == "-"
                || rest.starts_with('|')
                || rest.starts_with('>')
            {
                return None;
            }
            match split_key(rest) {
                // `- key: value`: a map whose keys sit just past the dash.
                Some((key, krest)) if !rest.starts_with('"') => {
                    let map = self.map_from(indent + 2, depth + 1, Some((no, key, krest)))?;
                    items.push(Value::Map(map));
                }
                _ => {
                    if rest.contains(": ") || rest.ends_with(':') {
                        return None;
                    }
                    let v = scalar(rest)?;
                    self.record(rest, &v);
                    if self
                        .peek()
                        .is_some_and(|l| l.indent > indent && !matches!(l.kind, Kind::DocStart))
                    {
                        return None;
                    }
                    items.push(v);
                }
            }
        }
        let end = self.next_token_pos();
        items.extend(
            self.take_closing(end, indent)
                .into_iter()
                .map(Value::Comment),
        );
        Some(items)
    }

    /// Records the slot of a one-line scalar written as `rest`.
    fn record(&mut self, rest: &str, v: &Value) {
        if let Value::Scalar(_) = v {
            let at = self.offset(rest);
            let quote = rest.starts_with('"').then_some('"');
            self.rec
                .flow_scalar(self.text, at..at + rest.len(), quote, false, v);
        }
    }

    /// A literal block (`|`, `|-`, `|+`) whose header is on line `no` after a key at `indent`.
    fn literal(&mut self, indent: usize, no: usize, header: &str) -> Option<Value> {
        let chomp = match header {
            "|" => Chomp::Clip,
            "|-" => Chomp::Strip,
            "|+" => Chomp::Keep,
            _ => return None,
        };
        // Body lines are in `all` right after the header line (index `no`).
        let mut body: Vec<&str> = Vec::new();
        let mut content_indent = None;
        let mut i = no;
        while i < self.all.len() {
            let l = self.all[i];
            let t = l.trim_start_matches(' ');
            let ind = l.len() - t.len();
            if t.is_empty() {
                body.push("");
                i += 1;
                continue;
            }
            if ind <= indent {
                break;
            }
            let ci = *content_indent.get_or_insert(ind);
            if ind < ci {
                return None; // less indented than the first line: not simple
            }
            body.push(&l[ci..]);
            i += 1;
        }
        // Blank lines right after the header before any content would need the full rules.
        content_indent?;
        // The body ends at the last line of the text or before the next content line; a
        // trailing empty element comes from the final newline of the text.
        if i == self.all.len() && body.last() == Some(&"") {
            body.pop();
        }
        let mut trailing_blank = 0;
        while body.last() == Some(&"") {
            body.pop();
            trailing_blank += 1;
        }
        let mut text = body.join("\n");
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => text.push('\n'),
            Chomp::Keep => {
                text.push('\n');
                for _ in 0..trailing_blank {
                    text.push('\n');
                }
            }
        }
        // (Comment-looking lines inside the body were never collected as comments.)
        trim_enc_block(self.rec.mode, &mut text);
        let after_header = self.all.get(no).map_or(self.text.len(), |l| self.offset(l));
        if !self
            .rec
            .block_scalar(self.text, after_header, header, &text)
        {
            return None;
        }
        Some(Value::Scalar(Scalar::Str(text)))
    }
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// The keys seen in one map, to find duplicates: a linear scan while the map is small
/// (most are, and hashing every key cost 5% of a large decrypt), a hash set after.
enum KeySet<'a> {
    Few(Vec<&'a str>),
    Many(std::collections::HashSet<&'a str>),
}

impl<'a> KeySet<'a> {
    const FEW: usize = 16;

    /// Adds a key; false if it was already there.
    fn insert(&mut self, key: &'a str) -> bool {
        match self {
            KeySet::Few(keys) => {
                if keys.contains(&key) {
                    return false;
                }
                if keys.len() < Self::FEW {
                    keys.push(key);
                } else {
                    let mut set: std::collections::HashSet<&str> = keys.drain(..).collect();
                    set.insert(key);
                    *self = KeySet::Many(set);
                }
                true
            }
            KeySet::Many(set) => set.insert(key),
        }
    }
}
