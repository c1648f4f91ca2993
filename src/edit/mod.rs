//! Changing an encrypted file: `edit` in the user's editor, `set` and `unset`.
//!
//! All of them decrypt the tree, change it, and encrypt it again with the same data
//! key. Unchanged values keep their IVs (see `cipher::value::Stash`), so they keep
//! their ciphertexts, and the file is written back into its own layout: a one-value
//! change touches that value's line plus `lastmodified` and `mac`, and `git diff`
//! shows exactly that.
//!
//! `edit` works on a plaintext copy ([`scratch`]) that a signal watcher
//! ([`signals`]) removes however enseal stops.

pub mod editor;
pub mod scratch;
pub mod set;
pub mod signals;
pub mod template;

pub use set::{set, unset, SetError};
