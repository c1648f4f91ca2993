//! The value cipher (AES-256-GCM in the sops `ENC[...]` format), the MAC, the leaf
//! selection rules, and the walk that applies them to a whole tree.

pub mod data_key;
pub mod mac;
pub mod seal;
pub mod select;
pub mod tree;
pub mod value;

pub use data_key::DataKey;
pub use select::{Selection, Selector};
pub use value::Cipher;
