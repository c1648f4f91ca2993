//! The `.sops.yaml` parser, and a rule lookup on what parses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("/repo/.sops.yaml");
    if let Ok(config) = enseal::config::Config::parse(path, text) {
        let _ = config.rule_for(std::path::Path::new("/repo/secrets/a.yaml"), std::path::Path::new("/repo"));
    }
});
