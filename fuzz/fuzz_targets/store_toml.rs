//! The toml store: arbitrary bytes, as plaintext and as an encrypted file, never panic;
//! what parses as plaintext can be written out again.
#![no_main]

use enseal::format::{self, EmitOptions, Format, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = format::parse(Format::Toml, data, Mode::Plain) {
        let _ = format::emit(Format::Toml, &parsed.doc, None, &EmitOptions::default());
        let _ = format::emit_in_layout(
            Format::Toml,
            &parsed.doc,
            None,
            &EmitOptions::default(),
            parsed.layout.as_ref(),
        );
    }
    let _ = enseal::file::load(data, Format::Toml);
});
