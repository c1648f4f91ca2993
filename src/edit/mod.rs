//! Changing an encrypted file without rewriting it: `set` and `unset` (and later
//! `edit`) decrypt the tree, change it, and encrypt it again with the same data key.
//!
//! Unchanged values keep their IVs (see `cipher::value::Stash`), so they keep their
//! ciphertexts, and the file is written back into its own layout: a one-value change
//! touches that value's line plus `lastmodified` and `mac`, and `git diff` shows
//! exactly that.

pub mod set;

pub use set::{set, unset, SetError};
