//! The value cipher (AES-256-GCM in the sops `ENC[...]` format), the MAC, and the
//! walk that encrypts or decrypts a whole tree.

pub mod data_key;
