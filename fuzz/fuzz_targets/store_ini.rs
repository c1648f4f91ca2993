//! The ini store: arbitrary bytes, as plaintext and as an encrypted file, never panic;
//! what parses as plaintext can be written out again.
#![no_main]

use enseal::format::{self, EmitOptions, Format, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = format::parse(Format::Ini, data, Mode::Plain) {
        let _ = format::emit(Format::Ini, &parsed.doc, None, &EmitOptions::default());
        let _ = format::emit_in_layout(
            Format::Ini,
            &parsed.doc,
            None,
            &EmitOptions::default(),
            parsed.layout.as_ref(),
        );
    }
    let _ = enseal::file::load(data, Format::Ini);
});
