//! Decrypted secrets files for templates and child processes, each decrypted once
//! per render and kept in memory only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::template::{FileRoot, Secrets, Val};
use crate::file::{self, FileError};
use crate::format::Format;
use crate::keys::{KeyEnv, KeyKind};

/// Why a secrets file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    /// It did not decrypt (no key, bad MAC, not an encrypted file…).
    #[error(transparent)]
    File(#[from] FileError),
}

/// Decrypts one encrypted file (MAC checked) and returns its first document.
pub fn open(
    path: &Path,
    input_type: Option<&str>,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Result<Val, OpenError> {
    let bytes = zeroize::Zeroizing::new(std::fs::read(path)?);
    let format = Format::detect(path, input_type, &bytes);
    Ok(open_bytes(&bytes, format, order, env)?)
}

/// Decrypts an encrypted file's bytes (MAC checked) and returns its first document.
pub fn open_bytes(
    bytes: &[u8],
    format: Format,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Result<Val, FileError> {
    let mut loaded = file::load(bytes, format)?;
    let key = file::data_key(&loaded.metadata, order, env)?;
    file::decrypt_tree(&mut loaded, &key, false, None)?;
    Ok(loaded
        .doc
        .branches
        .first()
        .map(Val::from_map)
        .unwrap_or(Val::Map(Vec::new())))
}

/// The secrets files a render reads, by the names the templates give them
/// (relative to the current directory), decrypted on first use.
pub struct Loader<'a> {
    env: &'a KeyEnv,
    order: Vec<KeyKind>,
    cache: HashMap<PathBuf, Result<FileRoot, String>>,
    /// Every file asked for, in order (what `watch` watches).
    pub used: Vec<PathBuf>,
}

impl<'a> Loader<'a> {
    /// A loader with no file decrypted yet.
    pub fn new(env: &'a KeyEnv, order: Vec<KeyKind>) -> Loader<'a> {
        Loader {
            env,
            order,
            cache: HashMap::new(),
            used: Vec::new(),
        }
    }
}

impl Secrets for Loader<'_> {
    fn file(&mut self, name: &str) -> Result<FileRoot, String> {
        let path = PathBuf::from(name);
        if let Some(done) = self.cache.get(&path) {
            return done.clone();
        }
        self.used.push(path.clone());
        let result = open(&path, None, &self.order, self.env)
            .map(Rc::new)
            .map_err(|e| e.to_string());
        self.cache.insert(path, result.clone());
        result
    }
}
