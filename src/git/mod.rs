//! Git integration: the diff driver ([`textconv`]), the merge driver ([`merge`]), the
//! pre-commit checks ([`hook`]) and `enseal git setup` ([`setup`]), which wires them
//! into a repository.

pub mod cli;
pub mod hook;
pub mod merge;
pub mod setup;
pub mod textconv;
