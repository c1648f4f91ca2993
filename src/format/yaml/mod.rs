//! YAML store with go-yaml v3 semantics, as sops' YAML store behaves (sops-format §8.1).
//!
//! - `parse`: the syntax comes from `saphyr-parser`; typing, anchors, merge keys
//!   and comment placement follow yaml.v3 and sops (see `parse.rs`, `resolve.rs`).
//! - `emit`: block style with a 4-space indent and yaml.v3's scalar styles
//!   (see `emit.rs`), so a sops file re-emitted by enseal is byte-identical.
//!
//! A hand-off to a lossless CST (yaml-edit) was measured and rejected for the hot
//! path: it parses about 15 µs per value, which alone would use the whole time
//! budget of a 100,000-value file.

mod emit;
mod fast;
pub mod foot;
pub mod layout;
mod parse;
mod resolve;

pub use layout::YamlLayout;

use super::{EmitOptions, FormatError, Layout, Mode, Parsed};
use crate::document::{map_remove, Document, Value};

/// Parses a YAML stream; each document's top-level `sops` key is removed and the
/// first document's is returned as the metadata. The layout is recorded too.
pub fn parse(bytes: &[u8], mode: Mode) -> Result<Parsed, FormatError> {
    let text = super::text_of(bytes)?;
    // Most files are simple block YAML: read those at memory speed, the rest fully.
    let mut rec = layout::Recorder::new(mode);
    let mut branches = match fast::parse(text, &mut rec) {
        Some(b) => b,
        None => {
            rec = layout::Recorder::new(mode);
            parse::parse_documents(text, &mut rec)?
        }
    };
    let mut metadata = None;
    for (i, branch) in branches.iter_mut().enumerate() {
        let m = map_remove(branch, "sops");
        if i == 0 {
            metadata = m;
        }
    }
    let mut doc = Document { branches };
    if memchr::memchr(b'#', bytes).is_some() {
        foot::sink_foot_comments(&mut doc);
    }
    Ok(Parsed {
        doc,
        metadata,
        layout: rec.finish(text).map(Layout::Yaml),
    })
}

/// Emits `doc` into the layout it was read from (see `layout.rs`), or afresh in sops'
/// layout when the tree no longer fits it.
pub fn emit_in_layout(
    doc: &Document,
    metadata: Option<&Value>,
    opts: &EmitOptions,
    layout: &YamlLayout,
) -> Result<Vec<u8>, FormatError> {
    match layout::emit(doc, metadata, layout) {
        Some(out) => Ok(out),
        None => emit(doc, metadata, opts),
    }
}

/// Emits documents separated by `---`, each followed by the `sops` block when given.
pub fn emit(
    doc: &Document,
    metadata: Option<&Value>,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FormatError> {
    let size: usize = doc.branches.iter().map(|b| b.len() * 48).sum();
    let mut w = emit::Writer::new(opts.indent.unwrap_or(4), size + 2048);
    for (i, branch) in doc.branches.iter().enumerate() {
        if i > 0 {
            w.out.push_str("---\n");
        }
        w.document(branch, metadata.map(|m| ("sops", m)));
    }
    Ok(w.out.into_bytes())
}

/// Emits a single value alone, as `yaml.Marshal` prints it.
pub fn emit_value(value: &Value, opts: &EmitOptions) -> Result<Vec<u8>, FormatError> {
    let mut w = emit::Writer::new(opts.indent.unwrap_or(4), 256);
    match value {
        Value::Map(m) => w.document(m, None),
        Value::Seq(items) if !items.is_empty() => w.seq_items(items, 0),
        other => {
            let doc = vec![crate::document::Entry::Pair("v".into(), other.clone())];
            let mut tmp = emit::Writer::new(opts.indent.unwrap_or(4), 64);
            tmp.document(&doc, None);
            // Drop the `v: ` prefix: the value alone.
            w.out.push_str(&tmp.out[3..]);
        }
    }
    Ok(w.out.into_bytes())
}

#[cfg(test)]
mod tests;
