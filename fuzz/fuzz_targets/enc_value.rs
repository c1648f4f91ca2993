//! The `ENC[...]` value parser and decryption: arbitrary strings never panic, and a
//! real ciphertext whose type tag is swapped (sops does not authenticate it) makes the
//! typed parsers read arbitrary plaintext.
#![no_main]

use enseal::cipher::data_key::DataKey;
use enseal::cipher::value::{self, Cipher};
use libfuzzer_sys::fuzz_target;

const TAGS: [&str; 7] = ["str", "int", "float", "bool", "time", "bytes", "comment"];

fuzz_target!(|data: &[u8]| {
    let key = DataKey::from_slice(&[7u8; 32]).unwrap();
    let cipher = Cipher::new(&key);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = value::is_encrypted(text);
        let _ = value::data_len(text);
        let _ = value::check_format(text);
        let _ = cipher.decrypt(text, "a:b:", None);
    }
    if let Some((&choice, plain)) = data.split_first() {
        let enc = cipher.encrypt(plain, "k:", "str", None);
        let tag = TAGS[choice as usize % TAGS.len()];
        let swapped = enc.replace("type:str]", &format!("type:{tag}]"));
        let _ = cipher.decrypt(&swapped, "k:", None);
        // A real ciphertext under the wrong key path (AAD) is refused.
        assert!(plain.is_empty() || cipher.decrypt(&enc, "other:", None).is_err());
    }
});
