//! Keeping a YAML file's own layout (docs/layout.md).
//!
//! Both parsers record a [`Slot`] for every leaf they put in the tree (each non-null
//! scalar and each comment), in the order the tree walk visits leaves. Writing back
//! pairs the tree's leaves with the slots and replaces only the slots' text, so
//! indentation, blank lines, key quoting, flow collections, anchors, tags, document
//! markers and comments' positions stay as the author wrote them.
//!
//! A value keeps its style when encrypted, which is what lets decryption restore it:
//! `'ENC[...]'` for a single-quoted string, an `ENC[...]` line under the original `|`
//! or `>` header for a block scalar, `"ENC[...]"` for a plain value inside a flow
//! collection (where the commas of `ENC[...]` would split it). A double-quoted value
//! inside a flow collection would then read back as plain, so its closing bracket is
//! written as the escape `\x5D`: the value is the same, the spelling tells them apart.
//!
//! foot.rs moves comments that end a nested collection into its last child. That
//! never changes the order in which the walk meets leaves, so slots stay paired.

use std::ops::Range;

use super::emit::{double_quoted, plain_allowed, plain_word, Writer};
use super::resolve::{float_text, resolve_typed};
use crate::document::{Document, Entry, Map, Scalar, Value};
use crate::format::spelling::{self, Spelling};
use crate::format::Mode;

/// Where a leaf sits in the source and how it is spelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The bytes of the value (for comments: the text after `#`; for block scalars:
    /// the content lines without the last line break).
    pub span: Range<usize>,
    /// The spelling.
    pub kind: SlotKind,
}

/// How a leaf is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// A plain scalar; `flow` inside `[...]` or `{...}`.
    Plain {
        /// Inside a flow collection.
        flow: bool,
        /// Has a `!!str` tag, so any text reads back as a string.
        str_tag: bool,
    },
    /// `'...'`.
    Single,
    /// `"..."`; `flow` inside a flow collection.
    Double {
        /// Inside a flow collection.
        flow: bool,
    },
    /// A block scalar under a `|` or `>` header, which stays as written.
    Block {
        /// `>` rather than `|`.
        folded: bool,
        /// The header's chomping indicator.
        chomp: Chomp,
        /// The content's indentation.
        indent: usize,
        /// The header gives the indentation (`|2`), so content may start with spaces.
        indicator: bool,
    },
    /// A comment.
    Comment,
    /// A leaf copied by an alias (`*name`, `<<: *name`) from the slot with this index;
    /// the span is the alias.
    Copy(usize),
}

/// A block scalar's chomping indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chomp {
    /// No indicator: one final line break.
    Clip,
    /// `-`: no final line break.
    Strip,
    /// `+`: every final line break.
    Keep,
}

/// Positions of one document, as the parsers find them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocMarks {
    /// The end of its content (before the next `---` or `...`).
    pub end: usize,
    /// The start of the line of the first key of the top-level map.
    pub first_key: Option<usize>,
    /// The start of the top-level `sops` key.
    pub sops_key: Option<usize>,
}

/// Where a document's `sops` block goes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Placement {
    /// Where the block is written: before the first key's line. At the end, the
    /// block would change where yaml.v3 puts the comments that end the document
    /// (an indented last comment sinks into the collection above it only at the end
    /// of a document), and sops could then not decrypt them.
    at: usize,
    /// The lines of the `sops` block of an encrypted file.
    sops: Option<Range<usize>>,
}

/// Where the leaves of a parsed YAML file sit in its source.
#[derive(Clone)]
pub struct YamlLayout {
    /// The file as read (it may be plaintext: wiped on drop).
    source: zeroize::Zeroizing<String>,
    slots: Vec<Slot>,
    docs: Vec<Placement>,
    /// The file's indentation step, used for the `sops` block.
    unit: usize,
    /// Source spellings of values (from the metadata of a file enseal wrote), sorted
    /// by slot.
    pub spellings: Vec<Spelling>,
}

// The source may be plaintext: show only sizes.
impl std::fmt::Debug for YamlLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "YamlLayout({} bytes, {} slots, {} documents)",
            self.source.len(),
            self.slots.len(),
            self.docs.len()
        )
    }
}

/// What a parser collects while it builds the tree.
#[derive(Debug)]
pub struct Recorder {
    /// Plaintext or an encrypted file (block `ENC[...]` values lose their line breaks,
    /// flow `"ENC[...]"` values are plain ones).
    pub mode: Mode,
    /// The slots so far.
    pub slots: Vec<Slot>,
    /// Off while reading a `sops` block.
    pub on: bool,
    /// One entry per document.
    pub docs: Vec<DocMarks>,
    /// A leaf could not be located: the file cannot keep its layout.
    pub lost: bool,
}

impl Recorder {
    /// An empty recorder.
    pub fn new(mode: Mode) -> Recorder {
        Recorder {
            mode,
            slots: Vec::new(),
            on: true,
            docs: Vec::new(),
            lost: false,
        }
    }

    /// Records a comment whose text (after `#`) starts at `at`.
    pub fn comment(&mut self, at: usize, len: usize) {
        if self.on {
            self.slots.push(Slot {
                span: at..at + len,
                kind: SlotKind::Comment,
            });
        }
    }

    /// Records a flow scalar (plain or quoted) whose node text, properties included,
    /// is `text[span]`, and which parsed to `value`.
    pub fn flow_scalar(
        &mut self,
        text: &str,
        span: Range<usize>,
        quote: Option<char>,
        flow: bool,
        value: &Value,
    ) {
        if !self.on || matches!(value, Value::Null) {
            return;
        }
        let start = skip_properties(text, span.start, span.end);
        let kind = match quote {
            None => SlotKind::Plain {
                flow,
                str_tag: text[span.start..start].contains("!!str"),
            },
            Some('\'') => SlotKind::Single,
            Some(_) => {
                let marked = text[start..span.end].ends_with("\\x5D\"");
                let enc = value.as_str().is_some_and(is_enc);
                if flow && self.mode == Mode::Encrypted && enc && !marked {
                    SlotKind::Plain {
                        flow,
                        str_tag: false,
                    }
                } else {
                    SlotKind::Double { flow }
                }
            }
        };
        self.slots.push(Slot {
            span: start..span.end,
            kind,
        });
    }

    /// Records a block scalar whose header line ends just before `after_header` (the
    /// start of the next line), and which parsed to `value`. Returns false when the
    /// content cannot be located (the caller then keeps no layout).
    pub fn block_scalar(
        &mut self,
        text: &str,
        after_header: usize,
        header: &str,
        value: &str,
    ) -> bool {
        if !self.on {
            return true;
        }
        let Some(slot) = block_slot(text, after_header, header, value) else {
            return false;
        };
        self.slots.push(slot);
        true
    }

    /// Records an alias that copies the slots `from` (recorded for its anchor).
    pub fn alias(&mut self, from: Range<usize>, span: Range<usize>) {
        if !self.on {
            return;
        }
        for k in from {
            let origin = match self.slots[k].kind {
                SlotKind::Copy(o) => o,
                _ => k,
            };
            self.slots.push(Slot {
                span: span.clone(),
                kind: SlotKind::Copy(origin),
            });
        }
    }

    /// The layout of `text`, or `None` when it cannot be kept (a block scalar that
    /// could not be located, a missing document).
    pub fn finish(self, text: &str) -> Option<YamlLayout> {
        if self.docs.is_empty() || self.lost {
            return None;
        }
        let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
        // A key on the `---` line itself (`--- a: 1`) leaves no line for the block.
        if self.docs.iter().any(|d| {
            d.sops_key.is_none()
                && d.first_key
                    .is_some_and(|k| text[line_start(k)..].starts_with("---"))
        }) {
            return None;
        }
        let docs = self
            .docs
            .iter()
            .map(|d| match d.sops_key {
                Some(key) => {
                    let cut = sops_block(text, line_start(key));
                    Placement {
                        at: cut.start,
                        sops: Some(cut),
                    }
                }
                None => Placement {
                    at: d.first_key.map_or(d.end, line_start),
                    sops: None,
                },
            })
            .collect();
        Some(YamlLayout {
            source: zeroize::Zeroizing::new(text.to_string()),
            slots: self.slots,
            docs,
            unit: indent_unit(text),
            spellings: Vec::new(),
        })
    }
}

/// An encrypted value (sops' `ENC[AES256_GCM,...]`).
fn is_enc(s: &str) -> bool {
    s.starts_with("ENC[AES256_GCM,") && s.ends_with(']') && !s.contains('\n')
}

/// In an encrypted file, a block scalar holding one `ENC[...]` line reads as that value:
/// the header's chomping added line breaks that are not part of it (sops ignores them too).
pub fn trim_enc_block(mode: Mode, s: &mut String) {
    if mode == Mode::Encrypted {
        let trimmed = s.trim_end_matches('\n').len();
        if trimmed < s.len() && is_enc(&s[..trimmed]) {
            s.truncate(trimmed);
        }
    }
}

/// Skips a node's properties (`!tag`, `&anchor`) and the white space after them.
fn skip_properties(text: &str, mut at: usize, end: usize) -> usize {
    let b = text.as_bytes();
    while at < end && (b[at] == b'!' || b[at] == b'&') {
        while at < end && !matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        while at < end && matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
    }
    at
}

/// The header's chomping indicator (`|-`, `>+2`, ...).
pub fn chomp_of(header: &str) -> Chomp {
    if header.contains('-') {
        Chomp::Strip
    } else if header.contains('+') {
        Chomp::Keep
    } else {
        Chomp::Clip
    }
}

/// Locates a block scalar's content: its lines start at `after_header` and continue
/// while they are blank or indented at least as far as the content.
fn block_slot(text: &str, after_header: usize, header: &str, value: &str) -> Option<Slot> {
    let chomp = chomp_of(header);
    let folded = header.starts_with('>');
    let indicator = header.contains(|c: char| c.is_ascii_digit());
    let start = after_header.min(text.len());
    let empty = Slot {
        span: start..start,
        kind: SlotKind::Block {
            folded,
            chomp,
            indent: 0,
            indicator,
        },
    };
    if value.is_empty() {
        return Some(empty);
    }
    if value.trim_matches('\n').is_empty() {
        return None; // only line breaks: nothing to tell the content's indentation by
    }
    // The content indentation: the first non-blank line's, less the spaces that are
    // part of the value (an indentation indicator allows over-indented first lines).
    let value_spaces = value
        .split('\n')
        .find(|l| !l.is_empty())
        .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
    let mut indent = None;
    let mut at = start;
    let mut last_content_end = start; // end of the last non-blank line (before its break)
    let mut last_line_end = start; // end of the last line of the block (before its break)
    while at < text.len() {
        let line_end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i);
        let line = &text[at..line_end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if !line.trim_start_matches(' ').is_empty() {
            let ind = match indent {
                Some(i) => i,
                None => *indent.insert(spaces.checked_sub(value_spaces)?),
            };
            if spaces < ind || ind == 0 {
                break;
            }
            last_content_end = at + line.len();
        }
        last_line_end = at + line.len();
        if line_end >= text.len() {
            break;
        }
        at = line_end + 1;
    }
    let indent = indent.filter(|i| *i > 0)?;
    let end = match chomp {
        Chomp::Keep => last_line_end,
        _ => last_content_end,
    };
    Some(Slot {
        span: start..end.max(start),
        kind: SlotKind::Block {
            folded,
            chomp,
            indent,
            indicator,
        },
    })
}

/// The header of the block scalar whose content (or, when empty, the token after it)
/// is at `content`: the start of the line after the header, and the indicator with
/// its modifiers (`|`, `>-`, `|+2`).
pub fn block_header(text: &str, content: usize) -> Option<(usize, &str)> {
    let mut line_start = text[..content.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    loop {
        if line_start == 0 {
            return None;
        }
        let prev_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[prev_start..line_start - 1];
        if line.trim().is_empty() {
            line_start = prev_start;
            continue;
        }
        let b = line.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c != b'|' && c != b'>' {
                continue;
            }
            let mods = b[i + 1..]
                .iter()
                .take_while(|c| matches!(c, b'-' | b'+' | b'1'..=b'9'))
                .count();
            let rest = line[i + 1 + mods..].trim_start_matches([' ', '\t', '\r']);
            let spaced = i + 1 + mods < line.len() && rest.len() < line.len() - i - 1 - mods;
            if rest.is_empty() || (rest.starts_with('#') && spaced) {
                return Some((line_start, &line[i..i + 1 + mods]));
            }
        }
        return None;
    }
}

/// The lines of the `sops` block of an encrypted document whose key's line starts at
/// `line_start`: up to the next line that is neither blank nor indented, without
/// trailing blank lines.
fn sops_block(text: &str, line_start: usize) -> Range<usize> {
    let mut end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut pos = end;
    while pos < text.len() {
        let next = pos + 1;
        let line_end = text[next..].find('\n').map_or(text.len(), |i| next + i);
        let line = &text[next..line_end];
        if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            end = line_end;
        } else if !line.trim().is_empty() {
            break;
        }
        pos = line_end;
    }
    // The block's own final line break goes with it.
    line_start..(end + 1).min(text.len())
}

/// The file's indentation step: the indentation of the first indented content line
/// (4, sops' step, for a flat file).
fn indent_unit(text: &str) -> usize {
    for line in text.lines() {
        let t = line.trim_start_matches(' ');
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let n = line.len() - t.len();
        if n > 0 {
            return n.min(8);
        }
    }
    4
}

/// The leaves of a tree in walk order: non-null scalars and comments.
fn leaves(doc: &Document) -> Vec<Leaf<'_>> {
    fn map<'a>(m: &'a Map, out: &mut Vec<Leaf<'a>>) {
        for e in m {
            match e {
                Entry::Pair(_, v) => value(v, out),
                Entry::Comment(c) => out.push(Leaf::Comment(&c.0)),
            }
        }
    }
    fn value<'a>(v: &'a Value, out: &mut Vec<Leaf<'a>>) {
        match v {
            Value::Map(m) => map(m, out),
            Value::Seq(items) => items.iter().for_each(|x| value(x, out)),
            Value::Comment(c) => out.push(Leaf::Comment(&c.0)),
            Value::Scalar(s) => out.push(Leaf::Scalar(s)),
            Value::Null => {}
        }
    }
    let mut out = Vec::new();
    for b in &doc.branches {
        map(b, &mut out);
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Leaf<'a> {
    Scalar(&'a Scalar),
    Comment(&'a str),
}

impl YamlLayout {
    /// The values of `doc` (the plaintext read with this layout) whose source text is
    /// not what writing them back would give: `1.0`, `0x1F`, folded paragraphs, ...
    pub fn spellings_of(&self, doc: &Document) -> Vec<Spelling> {
        let leaves = leaves(doc);
        if leaves.len() != self.slots.len() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut buf = String::new();
        for (i, (slot, leaf)) in self.slots.iter().zip(&leaves).enumerate() {
            let Leaf::Scalar(scalar) = leaf else { continue };
            if matches!(slot.kind, SlotKind::Copy(_) | SlotKind::Comment) {
                continue;
            }
            let source = &self.source[slot.span.clone()];
            buf.clear();
            if !render_into(&mut buf, slot.kind, *leaf) || buf != source {
                out.extend(Spelling::new(i, scalar, source));
            }
        }
        out
    }

    /// Whether `doc` has one leaf per slot and one branch per document.
    pub fn fits(&self, doc: &Document) -> bool {
        doc.branches.len() == self.docs.len() && leaves(doc).len() == self.slots.len()
    }

    /// The recorded spellings that still spell their slot's value in `doc`.
    pub fn spellings_still_true(&self, doc: &Document, list: &[Spelling]) -> Vec<Spelling> {
        let leaves = leaves(doc);
        list.iter()
            .filter(|s| matches!(leaves.get(s.slot), Some(Leaf::Scalar(v)) if s.spells(v)))
            .cloned()
            .collect()
    }

    /// The line and column of the first alias whose copy differs from its anchor in
    /// `doc` (the anchored value was encrypted: each copy has its own ciphertext).
    pub fn alias_to_encrypted(&self, doc: &Document) -> Option<(usize, usize)> {
        let leaves = leaves(doc);
        if leaves.len() != self.slots.len() {
            return None;
        }
        let at = self
            .slots
            .iter()
            .zip(&leaves)
            .find_map(|(slot, leaf)| match slot.kind {
                SlotKind::Copy(origin) if leaves.get(origin) != Some(leaf) => Some(slot.span.start),
                _ => None,
            })?;
        let src = &self.source;
        let line = src[..at].matches('\n').count() + 1;
        let column = src[..at].chars().rev().take_while(|c| *c != '\n').count() + 1;
        Some((line, column))
    }
}

/// Writes `doc` back into its source layout, with `metadata` (if any) as a `sops`
/// block in every document, in the file's indentation. `None` when the tree no
/// longer fits the layout (the caller lays the file out afresh).
pub fn emit(doc: &Document, metadata: Option<&Value>, layout: &YamlLayout) -> Option<Vec<u8>> {
    let leaves = leaves(doc);
    if leaves.len() != layout.slots.len() || doc.branches.len() != layout.docs.len() {
        return None;
    }
    // What replaces which bytes, in source order (an insertion sorts before a cut or a
    // slot at the same place: its range is empty).
    enum Edit {
        Slot(usize),
        Cut,
        Sops,
    }
    let mut edits: Vec<(usize, usize, Edit)> = Vec::with_capacity(leaves.len() + 4);
    for (i, (slot, leaf)) in layout.slots.iter().zip(&leaves).enumerate() {
        match slot.kind {
            // The alias stays, so its copy must be its anchor's value.
            SlotKind::Copy(origin) if leaves.get(origin) != Some(leaf) => return None,
            SlotKind::Copy(_) => {}
            _ => edits.push((slot.span.start, slot.span.end, Edit::Slot(i))),
        }
    }
    for place in &layout.docs {
        if let Some(cut) = &place.sops {
            edits.push((cut.start, cut.end, Edit::Cut));
        }
        if metadata.is_some() {
            edits.push((place.at, place.at, Edit::Sops));
        }
    }
    // Slots come in walk order, which is almost always source order.
    if !edits
        .windows(2)
        .all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1))
    {
        edits.sort_by_key(|(start, end, _)| (*start, *end));
    }
    let sops_block = metadata.map(|meta| {
        let mut w = Writer::new(layout.unit, 2048);
        w.document(&Map::new(), Some(("sops", meta)));
        w.out
    });
    let src = &layout.source;
    // Encrypting grows each value to about 100 bytes of `ENC[...]`; decrypting shrinks.
    let growth = if metadata.is_some() {
        leaves.len() * 96
    } else {
        0
    };
    let mut out = String::with_capacity(src.len() + growth + 4096);
    let mut at = 0;
    for (start, end, edit) in &edits {
        if *start < at {
            return None;
        }
        out.push_str(&src[at..*start]);
        match edit {
            Edit::Slot(i) => {
                let spelled = match (leaves[*i], spelling::find(&layout.spellings, *i)) {
                    (Leaf::Scalar(s), Some(sp)) if sp.spells(s) => Some(&sp.source),
                    _ => None,
                };
                match spelled {
                    Some(text) => out.push_str(text),
                    None if render_into(&mut out, layout.slots[*i].kind, leaves[*i]) => {}
                    None => return None,
                }
            }
            Edit::Cut => {}
            Edit::Sops => {
                if *start == src.len() && !src.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(sops_block.as_deref().unwrap_or_default());
            }
        }
        at = *end;
    }
    out.push_str(&src[at..]);
    Some(out.into_bytes())
}

/// Writes a leaf in a slot's spelling to `out`; false when that spelling cannot hold it.
fn render_into(out: &mut String, kind: SlotKind, leaf: Leaf<'_>) -> bool {
    let s = match leaf {
        Leaf::Comment(c) if kind == SlotKind::Comment && !c.contains('\n') => {
            out.push_str(c);
            return true;
        }
        // An encrypted comment inside a list is a string item until it is written.
        Leaf::Scalar(Scalar::Str(s)) if kind == SlotKind::Comment && !s.contains('\n') => {
            out.push_str(s);
            return true;
        }
        Leaf::Comment(_) => return false,
        Leaf::Scalar(s) => s,
    };
    match (kind, s) {
        (SlotKind::Comment | SlotKind::Copy(_), _) | (_, Scalar::Bytes(_)) => return false,
        // Most values: words and `ENC[...]` in block context.
        (SlotKind::Plain { flow: false, .. }, Scalar::Str(t)) if plain_word(t) => out.push_str(t),
        (SlotKind::Single, Scalar::Str(t)) if !t.contains('\n') => {
            out.push('\'');
            out.push_str(&t.replace('\'', "''"));
            out.push('\'');
        }
        (SlotKind::Double { flow }, Scalar::Str(t)) => {
            double_quoted(out, t);
            if flow && is_enc(t) {
                out.truncate(out.len() - 2);
                out.push_str("\\x5D\"");
            }
        }
        (
            SlotKind::Block {
                folded,
                chomp,
                indent,
                indicator,
            },
            Scalar::Str(t),
        ) => return block(out, t, (folded, chomp, indicator), indent).is_some(),
        (kind, Scalar::Str(t)) => {
            let (flow, str_tag) = match kind {
                SlotKind::Plain { flow, str_tag } => (flow, str_tag),
                _ => (false, false),
            };
            if plain_allowed(t, flow) && (str_tag || resolve_typed(t).is_none()) {
                out.push_str(t);
            } else {
                double_quoted(out, t);
            }
        }
        (SlotKind::Plain { .. }, Scalar::Int(i)) => out.push_str(&i.to_string()),
        (SlotKind::Plain { .. }, Scalar::Float(f)) => out.push_str(&float_text(*f)),
        (SlotKind::Plain { .. }, Scalar::Bool(b)) => {
            out.push_str(if *b { "true" } else { "false" })
        }
        (SlotKind::Plain { .. }, Scalar::Time(t)) => out.push_str(t),
        _ => return false,
    }
    true
}

/// The content lines of a block scalar holding `t` under its unchanged header.
fn block(
    out: &mut String,
    t: &str,
    (folded, chomp, indicator): (bool, Chomp, bool),
    indent: usize,
) -> Option<()> {
    if t.is_empty() {
        return Some(());
    }
    if indent == 0 {
        return None; // the slot was empty: no content indentation to write at
    }
    let pad = " ".repeat(indent);
    if is_enc(t) {
        out.push_str(&pad);
        out.push_str(t);
        return Some(());
    }
    let body = match chomp {
        Chomp::Strip if !t.ends_with('\n') => t,
        Chomp::Clip if t.ends_with('\n') && !t.ends_with("\n\n") => &t[..t.len() - 1],
        Chomp::Keep if t.ends_with('\n') => &t[..t.len() - 1],
        _ => return None,
    };
    // Without an indentation indicator, the first content line sets the indentation,
    // so it cannot start with a space.
    let first = body.split('\n').find(|l| !l.is_empty()).unwrap_or("");
    if first.starts_with([' ', '\t']) && !indicator {
        return None;
    }
    let lines: Vec<&str> = if folded {
        // Only lines that fold into each other are written back.
        if body.starts_with('\n') || body.split('\n').any(|l| l.starts_with([' ', '\t'])) {
            return None;
        }
        // Inside a folded scalar, n line breaks in the value are n+1 in the source.
        let mut lines = Vec::new();
        for (i, para) in body.split('\n').enumerate() {
            if i > 0 && !para.is_empty() {
                lines.push("");
            }
            lines.push(para);
        }
        lines
    } else {
        body.split('\n').collect()
    };
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests;
