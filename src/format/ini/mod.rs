//! INI store with go-ini v1 semantics, as sops' INI store (sops-format §8.4).
//!
//! The tree is one top-level entry per section (`DEFAULT` first, holding keys that
//! come before any header); each section maps keys to strings. A comment block
//! above a section header is the section's first item; a comment block above a key
//! (and an inline `; comment`) sits right after that key, which is where go-ini
//! keeps it. [`emit`] aligns `=` within each section, as go-ini's pretty format does.
//! Metadata is the `[sops]` section, flattened.
//!
//! A file enseal encrypts keeps its own layout instead ([`IniLayout`], docs/layout.md):
//! only the texts of values and comments change, and the `[sops]` section is appended.

use std::ops::Range;

use super::{dotenv::value_text, flatten, FormatError, Parsed};
use crate::document::{map_get, Comment, Document, Entry, Map, Value};

#[cfg(test)]
mod tests;

const DEFAULT: &str = "DEFAULT";
const TRIPLE: &str = "\"\"\"";

/// How a value is spelled in the source; go-ini reads each differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// `key = value`: trimmed, cut at the first `#`/`;`.
    Plain,
    /// `key = "value"`.
    Double,
    /// `key = 'value'`.
    Single,
    /// ``key = `value` ``: everything up to the last backtick, `#`/`;` included.
    Backtick,
    /// `key = """value"""`, which may span lines.
    Triple,
}

impl Style {
    /// Every style, in the order a value that no longer fits its slot tries them.
    const ALL: [Style; 5] = [
        Style::Plain,
        Style::Double,
        Style::Single,
        Style::Backtick,
        Style::Triple,
    ];

    /// `v` spelled in this style; `eol` is the line break inside a `"""` value.
    fn render(self, v: &str, eol: &str) -> String {
        match self {
            Style::Plain => v.to_string(),
            Style::Double => format!("\"{v}\""),
            Style::Single => format!("'{v}'"),
            Style::Backtick => format!("`{v}`"),
            Style::Triple => format!("{TRIPLE}{}{TRIPLE}", v.replace('\n', eol)),
        }
    }

    /// Whether `rendered` (this style's spelling of `v`) reads back as `v`.
    fn fits(self, v: &str, rendered: &str) -> bool {
        if v.contains('\n') {
            // Only `"""` spans lines; go-ini drops a `\r` before each line break, and the
            // value ends at the first `"""`.
            return self == Style::Triple
                && !v.split('\n').any(|l| l.ends_with('\r'))
                && format!("{v}{TRIPLE}").find(TRIPLE) == Some(v.len());
        }
        matches!(
            read_line_value(rendered),
            Ok(LineValue::Done { value, style, token, comment: None, clean: true })
                if value == v && style == self && token == rendered.len()
        )
    }
}

/// A value as read from the rest of its line (after the delimiter and its spaces).
enum LineValue<'a> {
    /// A `"""` value that goes on to the next lines: its text on this line.
    Open(&'a str),
    Done {
        value: String,
        style: Style,
        /// Bytes of the value as written (with its quotes).
        token: usize,
        /// Where an inline `#`/`;` comment starts.
        comment: Option<usize>,
        /// False when text that go-ini ignores follows the value (after a closing quote).
        clean: bool,
    },
}

/// Reads a value the way go-ini does; `raw` starts at the value, without the `\r`.
fn read_line_value(raw: &str) -> Result<LineValue<'_>, &'static str> {
    if let Some(body) = raw.strip_prefix(TRIPLE) {
        return Ok(match body.find(TRIPLE) {
            Some(end) => LineValue::Done {
                value: body[..end].to_string(),
                style: Style::Triple,
                token: end + 6,
                comment: None,
                clean: body[end + 3..].trim().is_empty(),
            },
            None => LineValue::Open(body),
        });
    }
    if let Some(body) = raw.strip_prefix('`') {
        let end = body.rfind('`').ok_or("unterminated ` value")?;
        return Ok(LineValue::Done {
            value: body[..end].to_string(),
            style: Style::Backtick,
            token: end + 2,
            comment: None,
            clean: body[end + 1..].trim().is_empty(),
        });
    }
    let all = raw.trim();
    let comment = all.find(['#', ';']);
    let v = comment.map_or(all, |c| all[..c].trim());
    // `raw` starts with the value, so `v` is its first `token` bytes.
    let (value, style) = if has_surrounding(v, '"') {
        (&v[1..v.len() - 1], Style::Double)
    } else if has_surrounding(v, '\'') {
        (&v[1..v.len() - 1], Style::Single)
    } else {
        (v, Style::Plain)
    };
    Ok(LineValue::Done {
        value: value.to_string(),
        style,
        token: v.len(),
        comment,
        clean: true,
    })
}

fn has_surrounding(s: &str, q: char) -> bool {
    s.len() >= 2 && s.starts_with(q) && s.ends_with(q)
}

/// Bytes of the comment marker and what sops strips after it (more markers, spaces).
fn marker_len(c: &str) -> usize {
    let strip: &[char] = match c.as_bytes().first() {
        Some(b';') => &[';', ' '],
        Some(b'#') => &['#', ' '],
        _ => return 0,
    };
    c.len() - c.trim_start_matches(strip).len()
}

/// sops strips the comment marker and following spaces from the first line.
fn strip_comment_char(c: &str) -> String {
    c[marker_len(c)..].to_string()
}

/// Where a value sits in the source.
#[derive(Clone)]
struct ValueSlot {
    /// The value as written, quotes included.
    span: Range<usize>,
    style: Style,
    /// The line ends with `\r\n` (the line break inside a `"""` value).
    crlf: bool,
}

/// Where a comment sits in the source. go-ini joins a block of comment lines into one
/// comment (blank lines inside it are skipped), so one leaf may cover several lines.
#[derive(Clone)]
struct CommentSlot {
    /// The text of each line: the first without its marker, the others trimmed (they
    /// keep their marker in the tree). An inline comment is one such piece.
    lines: Vec<Range<usize>>,
    /// The content (without `\r`) of the white-space lines after the last line, up to
    /// the next line that is not blank.
    tail: Vec<Range<usize>>,
    /// Line break and indentation of the first line, to write several lines in its place.
    join: String,
}

/// One step of the tree walk, with its place in the source.
#[derive(Clone)]
enum Item {
    Section(String),
    Value(String, ValueSlot),
    Comment(CommentSlot),
}

/// Where the values and comments of a parsed INI file sit, so that a file enseal
/// encrypted keeps its own layout and decrypts back to the same bytes.
///
/// A comment of several lines is encrypted into one `ENC[...]` in place of its first
/// line; each other line keeps its indentation plus one space (a "ghost" line, blank
/// to go-ini), so that decryption knows which blank lines to fill again. Only files
/// marked `enseal_layout = kept` are decrypted this way (docs/layout.md).
#[derive(Clone)]
pub struct IniLayout {
    /// The file as read (it may be plaintext: wiped on drop).
    source: zeroize::Zeroizing<String>,
    /// Sections, values and comments, in tree-walk order.
    items: Vec<Item>,
    /// The `[sops]` section with the line break before it, to cut.
    sops: Option<Range<usize>>,
    /// The file's line break, for the appended `[sops]` section.
    eol: &'static str,
    /// The keys of the old `[sops]` section in file order: sops writes them in no fixed
    /// order, and a rewritten section keeps the file's.
    sops_order: Vec<String>,
}

// The source may be plaintext: show only its size.
impl std::fmt::Debug for IniLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IniLayout({} bytes, {} items)",
            self.source.len(),
            self.items.len()
        )
    }
}

/// A comment as go-ini collects it, with its pieces.
struct Noted {
    /// Lines joined with `\n`, an inline comment glued to the last one (as go-ini does).
    text: String,
    slot: CommentSlot,
}

/// The comment block read so far, waiting for the key or section it belongs to.
#[derive(Default)]
struct Pending {
    text: String,
    lines: Vec<Range<usize>>,
    tail: Vec<Range<usize>>,
    join: String,
}

impl Pending {
    fn take(&mut self, src: &str) -> Option<Noted> {
        if self.text.is_empty() {
            return None;
        }
        let Pending {
            text,
            mut lines,
            tail,
            join,
        } = std::mem::take(self);
        if let Some(first) = lines.first_mut() {
            first.start += src.get(first.clone()).map_or(0, marker_len);
        }
        Some(Noted {
            text,
            slot: CommentSlot { lines, tail, join },
        })
    }
}

struct KeyLine {
    key: String,
    value: String,
    slot: ValueSlot,
    comment: Option<Noted>,
}

struct Section {
    name: String,
    comment: Option<Noted>,
    keys: Vec<KeyLine>,
    /// Start of the header line, and whether it ends with `\r\n`.
    header: Option<(usize, bool)>,
}

/// Parses sections; reads a value (and an inline comment) the way go-ini does. The flag
/// is false when the file has text the tree does not hold (a duplicate key, a comment at
/// the end, text after a closing quote): its layout cannot be kept without leaving that
/// text in clear.
fn parse_sections(text: &str) -> Result<(Vec<Section>, bool), FormatError> {
    let mut sections = vec![Section {
        name: DEFAULT.into(),
        comment: None,
        keys: Vec::new(),
        header: None,
    }];
    let mut keep = true;
    let mut pending = Pending::default();
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split('\n') {
        lines.push((start, line));
        start += line.len() + 1;
    }
    let mut i = 0;
    while let Some(&(start, raw_line)) = lines.get(i) {
        let lineno = i + 1;
        i += 1;
        let content = raw_line.trim_end_matches('\r');
        let line = content.trim_start();
        let at = start + content.len() - line.len();
        let end = start + content.len();
        if line.is_empty() {
            if !pending.text.is_empty() {
                pending.tail.push(start..end);
            }
            continue;
        }
        if line.starts_with(';') || line.starts_with('#') {
            if pending.text.is_empty() {
                pending.join =
                    format!("{}\n{}", &raw_line[content.len()..], &content[..at - start]);
            } else {
                pending.text.push('\n');
            }
            pending.text.push_str(line);
            pending.lines.push(at..end);
            pending.tail.clear();
            continue;
        }
        if line.starts_with('[') {
            let close = line
                .find(']')
                .ok_or_else(|| FormatError::syntax(lineno, 1, "unclosed section header"))?;
            let name = line[1..close].trim().to_string();
            keep &= line[close + 1..].trim().is_empty();
            let comment = pending.take(text);
            if name == DEFAULT {
                if comment.is_some() {
                    keep &= sections[0].comment.is_none();
                    sections[0].comment = comment;
                }
                continue;
            }
            sections.push(Section {
                name,
                comment,
                keys: Vec::new(),
                header: Some((start, raw_line.ends_with('\r'))),
            });
            continue;
        }
        let delim = line.find(['=', ':']).ok_or_else(|| {
            FormatError::syntax(
                lineno,
                1,
                "expected key = value, a [section] or a ; comment",
            )
        })?;
        let key = line[..delim].trim().to_string();
        if key.is_empty() {
            return Err(FormatError::syntax(lineno, 1, "empty key name"));
        }
        let after = &line[delim + 1..];
        let raw = after.trim_start();
        let raw_at = at + delim + 1 + after.len() - raw.len();
        let crs = raw_line.len() - content.len();
        let read = read_line_value(raw).map_err(|m| FormatError::syntax(lineno, 1, m))?;
        let (value, span, style) = match read {
            LineValue::Done {
                value,
                style,
                token,
                comment,
                clean,
            } => {
                keep &= clean;
                if let Some(c) = comment {
                    // A block above the key and an inline comment make one leaf whose
                    // pieces cannot be told apart again once decrypted.
                    keep &= pending.text.is_empty();
                    let piece = &raw[c..raw.trim_end().len()];
                    pending.text.push_str(piece);
                    pending.lines.push(raw_at + c..raw_at + c + piece.len());
                }
                (value, raw_at..raw_at + token, style)
            }
            LineValue::Open(body) => {
                // Multi-line value up to the closing """.
                let mut v = body.to_string();
                let span_end = loop {
                    let &(next_start, next) = lines.get(i).ok_or_else(|| {
                        FormatError::syntax(lineno, 1, "unterminated \"\"\" value")
                    })?;
                    i += 1;
                    v.push('\n');
                    match next.find(TRIPLE) {
                        Some(end) => {
                            v.push_str(&next[..end]);
                            keep &= next[end + 3..].trim().is_empty();
                            break next_start + end + 3;
                        }
                        None => {
                            let inner = next.trim_end_matches('\r');
                            // Decryption writes every line break as this line's.
                            keep &= crs <= 1 && next.len() - inner.len() == crs;
                            v.push_str(inner);
                        }
                    }
                };
                (v, raw_at..span_end, Style::Triple)
            }
        };
        let slot = ValueSlot {
            span,
            style,
            crlf: crs == 1,
        };
        let comment = pending.take(text);
        let Some(section) = sections.last_mut() else {
            return Err(FormatError::syntax(lineno, 1, "no section"));
        };
        // go-ini keeps one key per name: the last value wins, in the first position.
        match section.keys.iter_mut().find(|k| k.key == key) {
            Some(existing) => {
                keep = false;
                existing.value = value;
                if comment.is_some() {
                    existing.comment = comment;
                }
            }
            None => section.keys.push(KeyLine {
                key,
                value,
                slot,
                comment,
            }),
        }
    }
    // go-ini drops comments after the last key.
    keep &= pending.text.is_empty();
    Ok((sections, keep))
}

/// What [`read`] found: the tree, the metadata and, when it can be kept, the layout.
struct Read {
    doc: Document,
    metadata: Option<Value>,
    layout: Option<IniLayout>,
}

/// Builds the tree (and the layout, in tree-walk order) from the sections.
fn read(text: &str) -> Result<Read, FormatError> {
    let (sections, mut keep) = parse_sections(text)?;
    let mut map = Map::new();
    let mut metadata = None;
    let mut items = Vec::new();
    let mut sops = None;
    let mut sops_order = Vec::new();
    let count = sections.len();
    for (i, s) in sections.into_iter().enumerate() {
        if s.name == "sops" {
            // enseal appends a bare `[sops]` section last; anything else is not its layout.
            keep &=
                i + 1 == count && s.comment.is_none() && s.keys.iter().all(|k| k.comment.is_none());
            sops = s.header.map(|(h, crlf)| {
                let eol = if crlf { "\r\n" } else { "\n" };
                let from = if text.get(..h).is_some_and(|t| t.ends_with(eol)) {
                    h - eol.len()
                } else {
                    h
                };
                from..text.len()
            });
            let pairs: Vec<(String, String)> =
                s.keys.into_iter().map(|k| (k.key, k.value)).collect();
            sops_order = pairs.iter().map(|(k, _)| k.clone()).collect();
            metadata = Some(flatten::unflatten(&pairs)?);
            continue;
        }
        items.push(Item::Section(s.name.clone()));
        let mut entries = Map::new();
        if let Some(c) = s.comment {
            entries.push(Entry::Comment(Comment(strip_comment_char(&c.text))));
            items.push(Item::Comment(c.slot));
        }
        for k in s.keys {
            entries.push(Entry::Pair(k.key.clone(), Value::str(k.value)));
            items.push(Item::Value(k.key, k.slot));
            if let Some(c) = k.comment {
                entries.push(Entry::Comment(Comment(strip_comment_char(&c.text))));
                items.push(Item::Comment(c.slot));
            }
        }
        map.push(Entry::Pair(s.name, Value::Map(entries)));
    }
    let eol = match text.find('\n') {
        Some(nl) if text[..nl].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    Ok(Read {
        doc: Document {
            branches: vec![map],
        },
        metadata,
        layout: keep.then(|| IniLayout {
            source: zeroize::Zeroizing::new(text.to_string()),
            items,
            sops,
            eol,
            sops_order,
        }),
    })
}

/// Parses INI sections; the `[sops]` section becomes the metadata.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = super::text_of(bytes)?;
    let Read {
        doc,
        metadata,
        layout,
    } = read(text)?;
    // Keep a layout only if an encrypted copy of it decrypts back to these exact bytes.
    let layout = layout.filter(|l| round_trips(text, &doc, l));
    Ok(Parsed {
        layout: layout.map(super::Layout::Ini),
        doc,
        metadata,
    })
}

/// Whether `doc`, with every value and comment replaced as encryption replaces them,
/// is written into `layout` and read back, then decrypts to `text` again.
fn round_trips(text: &str, doc: &Document, layout: &IniLayout) -> bool {
    let mut sealed = doc.clone();
    for e in sealed.branches.iter_mut().flatten() {
        if let Entry::Pair(_, Value::Map(entries)) = e {
            for x in entries {
                match x {
                    Entry::Comment(c) => c.0 = "ENC[AES256_GCM,data:AA==,type:comment]".into(),
                    Entry::Pair(_, v) => *v = Value::str("ENC[AES256_GCM,data:AA==,type:str]"),
                }
            }
        }
    }
    let meta = Value::Map(vec![Entry::Pair("version".into(), Value::str("3.11.0"))]);
    let Some(enc) = write(&sealed, Some(&meta), layout) else {
        return false;
    };
    match read(&enc) {
        Ok(Read {
            layout: Some(again),
            ..
        }) => {
            // An encrypted file comes back without its `[sops]` section (the rest of it).
            let want = layout.sops.as_ref().and_then(|cut| text.get(..cut.start));
            let want = want.unwrap_or(text);
            write(doc, None, &again).is_some_and(|back| back == want)
        }
        _ => false,
    }
}

impl IniLayout {
    /// Whether `doc` has the sections, keys and comments, in order, that this layout
    /// was read with (else it is laid out afresh).
    pub fn fits(&self, doc: &Document) -> bool {
        let [branch] = doc.branches.as_slice() else {
            return false;
        };
        let mut items = self.items.iter();
        for e in branch {
            let Entry::Pair(name, Value::Map(entries)) = e else {
                return false;
            };
            if !matches!(items.next(), Some(Item::Section(n)) if n == name) {
                return false;
            }
            for entry in entries {
                let same = match (entry, items.next()) {
                    (Entry::Comment(_), Some(Item::Comment(_))) => true,
                    (Entry::Pair(k, _), Some(Item::Value(key, _))) => k == key,
                    _ => false,
                };
                if !same {
                    return false;
                }
            }
        }
        items.next().is_none()
    }
}

/// Writes `doc` back into the file it was read from: every value and comment in place,
/// the old `[sops]` section cut, and `metadata` (if any) appended as a `[sops]` section
/// after one line break. A tree of another shape is laid out afresh, as sops would.
pub fn emit_in_layout(
    doc: &Document,
    metadata: Option<&Value>,
    layout: &IniLayout,
) -> Result<Vec<u8>, FormatError> {
    match write(doc, metadata, layout) {
        Some(out) => Ok(out.into_bytes()),
        None => emit(doc, metadata),
    }
}

/// The text of [`emit_in_layout`], or `None` when the tree does not fit the layout or
/// the result would not read back as the same tree.
fn write(doc: &Document, metadata: Option<&Value>, layout: &IniLayout) -> Option<String> {
    if !layout.fits(doc) {
        return None;
    }
    let src = &layout.source;
    let leaves = doc.branches.iter().flatten().flat_map(|e| match e {
        Entry::Pair(_, Value::Map(entries)) => entries.as_slice(),
        _ => &[],
    });
    let slots = layout
        .items
        .iter()
        .filter(|i| !matches!(i, Item::Section(_)));
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for (leaf, slot) in leaves.zip(slots) {
        match (leaf, slot) {
            (Entry::Comment(c), Item::Comment(slot)) => fill_comment(src, slot, &c.0, &mut edits),
            (Entry::Pair(_, v), Item::Value(_, slot)) => {
                edits.push((slot.span.clone(), render_value(v, slot)?))
            }
            _ => return None,
        }
    }
    if let Some(cut) = &layout.sops {
        edits.push((cut.clone(), String::new()));
    }
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(src.len() + edits.iter().map(|e| e.1.len()).sum::<usize>());
    let mut at = 0;
    for (r, t) in &edits {
        out.push_str(src.get(at..r.start)?);
        out.push_str(t);
        at = r.end;
    }
    out.push_str(src.get(at..)?);
    if let Some(m) = metadata {
        out.push_str(layout.eol);
        let mut section = sops_out(m);
        // Keys the old section had keep its order; new ones follow.
        section.keys.sort_by_key(|(k, _, _)| {
            layout
                .sops_order
                .iter()
                .position(|o| o == k)
                .unwrap_or(usize::MAX)
        });
        let mut text = String::new();
        write_section(&mut text, &section);
        out.push_str(&text.replace('\n', layout.eol));
    }
    // Values changed since parsing (or ghost lines lost in an edit) might read back
    // otherwise: then sops' layout it is.
    let again = read(&out).ok()?;
    (again.doc == *doc).then_some(out)
}

/// The value in its slot's style, or in the first style it reads back from.
fn render_value(v: &Value, slot: &ValueSlot) -> Option<String> {
    let text = match v {
        Value::Scalar(s) => value_text(s),
        Value::Null => "<nil>".into(),
        _ => return None,
    };
    let eol = if slot.crlf { "\r\n" } else { "\n" };
    std::iter::once(slot.style)
        .chain(Style::ALL)
        .find_map(|style| {
            let r = style.render(&text, eol);
            style.fits(&text, &r).then_some(r)
        })
}

/// Edits that write comment `text` into `slot`: line by line when the counts match;
/// else (encryption: one line for several) all of it in the first line's place and
/// the other lines as ghosts. A one-line slot followed by ghosts takes its lines back.
fn fill_comment(
    src: &str,
    slot: &CommentSlot,
    text: &str,
    edits: &mut Vec<(Range<usize>, String)>,
) {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut targets = slot.lines.clone();
    if targets.len() == 1 && lines.len() > 1 {
        let ghosts = slot
            .tail
            .iter()
            .filter(|r| src.get((*r).clone()).is_some_and(|t| t.ends_with(' ')))
            .take(lines.len() - 1)
            .map(|r| r.end - 1..r.end);
        targets.extend(ghosts);
    }
    if targets.len() == lines.len() {
        edits.extend(
            targets
                .into_iter()
                .zip(lines)
                .map(|(r, l)| (r, l.to_string())),
        );
        return;
    }
    let mut rest = slot.lines.iter();
    if let Some(first) = rest.next() {
        edits.push((first.clone(), text.replace('\n', &slot.join)));
    }
    edits.extend(rest.map(|r| (r.clone(), " ".to_string())));
}

fn write_comment(out: &mut String, comment: &str) {
    for line in comment.split('\n') {
        if line.starts_with(';') || line.starts_with('#') {
            out.push_str(&line[..1]);
            out.push(' ');
            out.push_str(line[1..].trim());
        } else {
            out.push_str("; ");
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// A value quoted the way go-ini writes it when it would not read back as is.
fn quote_value(v: &str) -> String {
    if v.contains(['\n', '`']) {
        format!("\"\"\"{v}\"\"\"")
    } else if v.contains(['#', ';']) {
        format!("`{v}`")
    } else if v.trim() != v {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

struct OutSection<'a> {
    name: &'a str,
    comment: Option<&'a str>,
    keys: Vec<(String, String, Option<String>)>,
}

/// Writes a section as go-ini's pretty format does: comment, header, aligned keys.
fn write_section(out: &mut String, s: &OutSection) {
    if let Some(c) = s.comment {
        write_comment(out, c);
    }
    if s.name != DEFAULT {
        out.push('[');
        out.push_str(s.name);
        out.push_str("]\n");
    }
    let align = s.keys.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
    for (k, v, c) in &s.keys {
        if let Some(c) = c {
            write_comment(out, c);
        }
        out.push_str(k);
        for _ in k.len()..align {
            out.push(' ');
        }
        out.push_str(" = ");
        out.push_str(&quote_value(v));
        out.push('\n');
    }
}

fn sops_out(metadata: &Value) -> OutSection<'static> {
    OutSection {
        name: "sops",
        comment: None,
        keys: flatten::flatten(metadata)
            .into_iter()
            .map(|(k, v)| (k, v, None))
            .collect(),
    }
}

/// Emits INI sections, with a `[sops]` section last when `metadata` is given.
pub fn emit(doc: &Document, metadata: Option<&Value>) -> Result<Vec<u8>, FormatError> {
    let empty = Map::new();
    let branch = doc.branches.first().unwrap_or(&empty);
    let mut sections = Vec::new();
    for e in branch {
        let Entry::Pair(name, value) = e else {
            continue;
        };
        let Value::Map(items) = value else {
            return Err(FormatError::Emit(format!(
                "INI needs a section (a map) at the top level; {name:?} is not one"
            )));
        };
        let mut s = OutSection {
            name,
            comment: None,
            keys: Vec::new(),
        };
        for (i, item) in items.iter().enumerate() {
            match item {
                Entry::Comment(c) if i == 0 => s.comment = Some(&c.0),
                Entry::Comment(c) => {
                    if let Some(last) = s.keys.last_mut() {
                        last.2 = Some(c.0.clone());
                    }
                }
                Entry::Pair(k, v) => {
                    let text = match v {
                        Value::Scalar(sc) => value_text(sc),
                        Value::Null => "<nil>".into(),
                        _ => {
                            return Err(FormatError::Emit(format!(
                                "cannot write the nested value of {name}.{k} in an INI file"
                            )))
                        }
                    };
                    s.keys.push((k.clone(), text, None));
                }
            }
        }
        sections.push(s);
    }
    if let Some(m) = metadata {
        sections.push(sops_out(m));
    }
    let mut out = String::new();
    let mut first = true;
    for s in &sections {
        if s.name == DEFAULT && s.keys.is_empty() && s.comment.is_none() {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        write_section(&mut out, s);
    }
    Ok(out.into_bytes())
}

/// The value of `key` in `section`, for tests and tools.
pub fn get<'a>(doc: &'a Document, section: &str, key: &str) -> Option<&'a Value> {
    doc.branches
        .first()
        .and_then(|b| map_get(b, section))
        .and_then(|s| s.get(key))
}
