//! The document tree to YAML text, written the way go-yaml v3 writes it for sops:
//! block style, 4-space indent, sequences indented under their key, maps in list
//! items starting on the dash line, and yaml.v3's (libyaml's) choice of scalar style.

use base64::Engine;

use super::resolve::{float_text, needs_quotes_to_stay_string};
use crate::document::{Comment, Entry, Map, Scalar, Value};

/// Writes YAML with a fixed indentation step.
pub struct Writer {
    /// The text so far.
    pub out: String,
    step: usize,
}

impl Writer {
    /// A writer with `step` spaces of indentation per level.
    pub fn new(step: usize, capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            step: step.max(1),
        }
    }

    fn pad(&mut self, col: usize) {
        for _ in 0..col {
            self.out.push(' ');
        }
    }

    fn comment(&mut self, col: usize, c: &Comment) {
        self.pad(col);
        self.out.push('#');
        self.out.push_str(&c.0);
        self.out.push('\n');
    }

    /// A document: its map's entries at column 0 (`{}` when it has none).
    pub fn document(&mut self, map: &Map, extra: Option<(&str, &Value)>) {
        if map.is_empty() && extra.is_none() {
            self.out.push_str("{}\n");
            return;
        }
        self.map_entries(
            map.iter()
                .map(EntryRef::from)
                .chain(extra.map(|(k, v)| EntryRef::Pair(k, v))),
            0,
            false,
        );
    }

    /// Map entries, each at column `col`; with `first_inline` the first one continues
    /// the current line (a map that is a list item).
    fn map_entries<'v>(
        &mut self,
        entries: impl Iterator<Item = EntryRef<'v>>,
        col: usize,
        first_inline: bool,
    ) {
        let mut inline = first_inline;
        for entry in entries {
            match entry {
                EntryRef::Comment(c) => {
                    if inline {
                        // A comment cannot sit on the dash line; the list item starts after it.
                        self.out.push('\n');
                        inline = false;
                    }
                    self.comment(col, c)
                }
                EntryRef::Pair(k, v) => {
                    if !inline {
                        self.pad(col);
                    }
                    inline = false;
                    self.key(k);
                    self.out.push(':');
                    self.after_key(v, col);
                }
            }
        }
    }

    fn key(&mut self, k: &str) {
        if k == "<<" {
            // sops re-emits merge keys with their explicit tag.
            self.out.push_str("!!merge <<");
            return;
        }
        self.string(k, true, 0);
    }

    /// The indentation of a child of a container indented at `col`: yaml.v3 aligns it to
    /// the next multiple of the step ("everything else aligns to the chosen indentation").
    fn child(&self, col: usize) -> usize {
        self.step * ((col + self.step) / self.step)
    }

    /// A value following `key:` for a key at column `col`.
    fn after_key(&mut self, v: &Value, col: usize) {
        let child = self.child(col);
        match v {
            Value::Map(m) if m.iter().any(|e| matches!(e, Entry::Pair(..))) => {
                self.out.push('\n');
                self.map_entries(m.iter().map(EntryRef::from), child, false);
            }
            Value::Seq(items) if !items.is_empty() => {
                self.out.push('\n');
                self.seq_items(items, child);
            }
            _ => {
                self.out.push(' ');
                self.inline_value(v, child);
                self.out.push('\n');
            }
        }
    }

    /// List items with their dash at column `col`.
    pub fn seq_items(&mut self, items: &[Value], col: usize) {
        for item in items {
            if let Value::Comment(c) = item {
                self.comment(col, c);
                continue;
            }
            if self.hoisted_list(item, col) {
                continue;
            }
            self.pad(col);
            self.out.push_str("- ");
            self.seq_item_body(item, col);
        }
    }

    /// A list item that is a list starting with comments: yaml.v3 writes those comments
    /// above the item's dash (`# c` then `- - x`), since a comment cannot sit between two
    /// dashes. Writes the whole item and returns true, or returns false for other items.
    fn hoisted_list(&mut self, item: &Value, col: usize) -> bool {
        let Value::Seq(inner) = item else {
            return false;
        };
        let lead = inner
            .iter()
            .take_while(|x| matches!(x, Value::Comment(_)))
            .count();
        if lead == 0 || lead == inner.len() {
            return false;
        }
        for x in &inner[..lead] {
            if let Value::Comment(c) = x {
                self.comment(col, c);
            }
        }
        self.pad(col);
        self.out.push_str("- ");
        self.seq_tail(&inner[lead..], col);
        true
    }

    /// The part of a list item after `- `.
    fn seq_item_body(&mut self, item: &Value, col: usize) {
        match item {
            Value::Map(m) if m.iter().any(|e| matches!(e, Entry::Pair(..))) => {
                // Leading comments of the map go above the dash's content line.
                self.map_entries(m.iter().map(EntryRef::from), col + 2, true);
            }
            Value::Seq(inner) if !inner.is_empty() => self.seq_tail(inner, col),
            // Inside a list item yaml.v3 indents just past the "- ".
            _ => {
                self.inline_value(item, col + 2);
                self.out.push('\n');
            }
        }
    }

    /// The items of a list that is itself a list item, the first after the outer `- `.
    fn seq_tail(&mut self, inner: &[Value], col: usize) {
        let mut first = true;
        for (i, x) in inner.iter().enumerate() {
            if let Value::Comment(c) = x {
                if first {
                    self.out.push('\n');
                    first = false;
                }
                self.comment(col + 2, c);
                continue;
            }
            if !first || i > 0 {
                if self.hoisted_list(x, col + 2) {
                    continue;
                }
                self.pad(col + 2);
            }
            first = false;
            self.out.push_str("- ");
            self.seq_item_body(x, col + 2);
        }
    }

    /// A scalar, empty collection or null on the current line; block scalars continue
    /// on the next lines, indented to `body_col`.
    fn inline_value(&mut self, v: &Value, body_col: usize) {
        match v {
            Value::Map(_) => self.out.push_str("{}"),
            Value::Seq(_) => self.out.push_str("[]"),
            Value::Null | Value::Comment(_) => self.out.push_str("null"),
            Value::Scalar(s) => self.scalar(s, body_col),
        }
    }

    fn scalar(&mut self, s: &Scalar, body_col: usize) {
        match s {
            Scalar::Str(t) => self.string(t, false, body_col),
            Scalar::Bytes(b) => {
                self.out.push_str("!!binary ");
                self.out
                    .push_str(&base64::engine::general_purpose::STANDARD.encode(b));
            }
            Scalar::Int(i) => self.out.push_str(&i.to_string()),
            Scalar::Float(f) => self.out.push_str(&float_text(*f)),
            Scalar::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Scalar::Time(t) => self.out.push_str(t),
        }
    }

    /// A string in the style yaml.v3 picks for it.
    fn string(&mut self, s: &str, is_key: bool, body_col: usize) {
        // go-yaml v3 writes the string `<<` (which would read back as a merge key) with
        // an explicit tag rather than quotes, and sops prints it so.
        if s == "<<" && !is_key {
            self.out.push_str("!!merge <<");
            return;
        }
        // Most values are words and tokens that yaml.v3 writes plain: skip the analysis.
        if is_plain_word(s) && !needs_quotes_to_stay_string(s) {
            self.out.push_str(s);
            return;
        }
        let a = analyze(s);
        if s.contains('\n') && !is_key {
            if a.block_allowed {
                self.literal(s, body_col);
            } else {
                double_quoted(&mut self.out, s);
            }
            return;
        }
        if s.contains('\n') || needs_quotes_to_stay_string(s) {
            double_quoted(&mut self.out, s);
        } else if a.block_plain_allowed {
            self.out.push_str(s);
        } else if a.single_quoted_allowed {
            self.out.push('\'');
            self.out.push_str(&s.replace('\'', "''"));
            self.out.push('\'');
        } else {
            double_quoted(&mut self.out, s);
        }
    }

    /// A literal block scalar: `|` with chomping and indentation indicators as libyaml writes them.
    fn literal(&mut self, s: &str, body_col: usize) {
        self.out.push('|');
        if s.starts_with([' ', '\n']) {
            self.out.push_str(&self.step.to_string());
        }
        let body = if !s.ends_with('\n') {
            self.out.push('-');
            s
        } else if s == "\n" || s.ends_with("\n\n") {
            self.out.push('+');
            &s[..s.len() - 1]
        } else {
            &s[..s.len() - 1]
        };
        self.out.push('\n');
        let lines: Vec<&str> = body.split('\n').collect();
        let last = lines.len() - 1;
        for (i, line) in lines.into_iter().enumerate() {
            if !line.is_empty() {
                self.pad(body_col);
                self.out.push_str(line);
            }
            if i < last {
                self.out.push('\n');
            }
        }
        // The caller ends the line.
    }
}

/// A map entry borrowed from a map or made up for the metadata block.
enum EntryRef<'a> {
    Pair(&'a str, &'a Value),
    Comment(&'a Comment),
}

impl<'a> From<&'a Entry> for EntryRef<'a> {
    fn from(e: &'a Entry) -> Self {
        match e {
            Entry::Pair(k, v) => EntryRef::Pair(k, v),
            Entry::Comment(c) => EntryRef::Comment(c),
        }
    }
}

/// Whether `s` reads back as the same text from a plain scalar on one line (inside a
/// flow collection when `flow`). Whether it stays a string is the caller's question.
pub fn plain_allowed(s: &str, flow: bool) -> bool {
    !s.is_empty()
        && !s.contains('\n')
        && analyze(s).block_plain_allowed
        && (!flow || !s.contains([',', '[', ']', '{', '}']))
}

/// A string that is written plain in block context whatever its surroundings and reads
/// back as the same string (the emitter's fast check: words and `ENC[...]` values).
pub fn plain_word(s: &str) -> bool {
    is_plain_word(s) && !needs_quotes_to_stay_string(s)
}

/// What libyaml's scalar analysis allows for a string.
struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's printable set: LF, ASCII printable, U+00A0–U+D7FF, U+E000–U+FFFD except BOM.
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\x20'..='\x7e' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c),
    }
}

/// A fast path for the common case (ASCII word-like text, `ENC[...]` values): plain
/// is allowed when no byte can change the meaning. Returns `None` to fall back.
fn analyze_ascii(s: &str) -> Option<Analysis> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if !first.is_ascii_alphanumeric() {
        return None;
    }
    let last = *b.last()?;
    if last == b':' || last == b' ' {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'_'
            | b'-'
            | b'.'
            | b'/'
            | b'+'
            | b'='
            | b','
            | b'['
            | b']'
            | b'('
            | b')'
            | b'@'
            | b'%'
            | b'&'
            | b'*'
            | b'!'
            | b'?'
            | b'~'
            | b'^'
            | b'$'
            | b'<'
            | b'>'
            | b'|'
            | b'\''
            | b'"'
            | b'{'
            | b'}'
            | b';'
            | b'`' => {}
            b':' if b[i + 1] != b' ' => {}
            b' ' if b[i + 1] != b'#' && b[i + 1] != b' ' => {}
            _ => return None,
        }
    }
    Some(Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    })
}

/// yaml_emitter_analyze_scalar (block context: flow indicators do not matter).
fn analyze(s: &str) -> Analysis {
    if let Some(a) = analyze_ascii(s) {
        return a;
    }
    if s.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut special, mut line_breaks) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut chars = s.chars().peekable();
    let mut i = 0;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let followed_by_ws = is_blank_or_end(next);
        let is_last = next.is_none();
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= is_last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= is_last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blank_or_end(Some(c));
        i += 1;
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// A double-quoted scalar with libyaml's escapes (upper-case hex, `\U` outside the BMP).
pub fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if printable(c) && !is_break(c) && c != '"' && c != '\\' {
            out.push(c);
            continue;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
}

/// A string that libyaml writes plain whatever its surroundings: it starts with a
/// letter, holds only letters, digits, `_`, `-`, `.`, `/` and inner spaces, and so has
/// no indicator, no `: ` or ` #`, and no leading or trailing space. Encrypted values
/// (`ENC[AES256_GCM,data:…]`, base64 and `,:=+/[]` only) are plain too.
fn is_plain_word(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    if b.starts_with(b"ENC[AES256_GCM,") && *last == b']' {
        return b.iter().all(|&c| BYTE_CLASS[c as usize] & ENC_BYTE != 0);
    }
    first.is_ascii_alphabetic()
        && *last != b' '
        && b.iter().all(|&c| BYTE_CLASS[c as usize] & WORD_BYTE != 0)
}

const WORD_BYTE: u8 = 1;
const ENC_BYTE: u8 = 2;

/// Which bytes may appear in a plain word or an encrypted value (a table: this check
/// runs on every byte of every value written).
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            t[c] = WORD_BYTE | ENC_BYTE;
        }
        c += 1;
    }
    t[b'_' as usize] = WORD_BYTE | ENC_BYTE;
    t[b'/' as usize] = WORD_BYTE | ENC_BYTE;
    t[b'-' as usize] = WORD_BYTE;
    t[b'.' as usize] = WORD_BYTE;
    t[b' ' as usize] = WORD_BYTE;
    t[b'+' as usize] = ENC_BYTE;
    t[b'=' as usize] = ENC_BYTE;
    t[b',' as usize] = ENC_BYTE;
    t[b':' as usize] = ENC_BYTE;
    t[b'[' as usize] = ENC_BYTE;
    t[b']' as usize] = ENC_BYTE;
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        let mut w = Writer::new(4, 16);
        w.string(text, false, 4);
        w.out
    }

    #[test]
    fn scalar_styles_match_yaml_v3() {
        assert_eq!(s("hello world"), "hello world");
        assert_eq!(s("123"), "\"123\"");
        assert_eq!(s("yes"), "\"yes\"");
        assert_eq!(s(""), "\"\"");
        assert_eq!(s("a: b"), "'a: b'");
        assert_eq!(s("a #b"), "'a #b'");
        assert_eq!(s("*x"), "'*x'");
        assert_eq!(s("- dash"), "'- dash'");
        assert_eq!(s(" leading"), "' leading'");
        assert_eq!(s("trailing "), "'trailing '");
        assert_eq!(s("x\ty"), "\"x\\ty\"");
        assert_eq!(s("😀"), "\"\\U0001F600\"");
        assert_eq!(s("it's"), "it's");
        assert_eq!(s("a\nb\n"), "|\n    a\n    b");
        assert_eq!(s("a\nb"), "|-\n    a\n    b");
        assert_eq!(s("kept\n\n"), "|+\n    kept\n");
        assert_eq!(s(" x\ny"), "|4-\n     x\n    y");
        assert_eq!(s("line \nx"), "\"line \\nx\"");
        assert_eq!(
            s("ENC[AES256_GCM,data:ab+/=,iv:x,tag:y,type:str]"),
            "ENC[AES256_GCM,data:ab+/=,iv:x,tag:y,type:str]"
        );
        assert_eq!(s("a:b c"), "a:b c");
        assert_eq!(s("a:"), "'a:'");
        assert_eq!(s("x  y"), "x  y");
        assert_eq!(s("<<"), "!!merge <<");
        // The plain-word shortcut agrees with the full analysis.
        for word in [
            "abcdef",
            "a-b.c/d e",
            "Null",
            "yes",
            "Infinity",
            "token_12345",
        ] {
            let a = analyze(word);
            let full = a.block_plain_allowed && !needs_quotes_to_stay_string(word);
            assert_eq!(
                is_plain_word(word) && !needs_quotes_to_stay_string(word),
                full,
                "{word}"
            );
        }
    }
}
