//! Whole-file operations: plaintext bytes to an encrypted file and back.
//!
//! These functions tie the stores, the cipher, the metadata and the key groups
//! together. They take bytes and return bytes; reading, writing and printing are
//! the commands' business.

use zeroize::Zeroizing;

use crate::cipher::mac::{self, MacError};
use crate::cipher::seal::{self, SealError};
use crate::cipher::select::{Selection, SelectorError};
use crate::cipher::tree::{self, TreeError};
use crate::cipher::value::Stash;
use crate::cipher::{Cipher, DataKey, Selector};
use crate::document::path::{lookup, KeyPath};
use crate::document::Value;
use crate::format::{self, yaml, EmitOptions, Format, FormatError, Mode};
use crate::groups::{self, GroupsError};
use crate::keys::{KeyEnv, KeyGroup, KeyKind};
use crate::metadata::{Metadata, MetadataError, SOPS_VERSION};

/// Why a file could not be encrypted or decrypted. The commands add the file name.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The input does not parse.
    #[error("cannot parse {format} input: {source}")]
    Parse {
        /// The input format.
        format: &'static str,
        /// The store's error.
        source: FormatError,
    },
    /// The file to decrypt does not parse.
    #[error("cannot parse the encrypted {format} file: {source}")]
    Load {
        /// The input format.
        format: &'static str,
        /// The store's error.
        source: FormatError,
    },
    /// The output cannot be written in the chosen format.
    #[error("cannot write {format} output: {source}")]
    Emit {
        /// The output format.
        format: &'static str,
        /// The store's error.
        source: FormatError,
    },
    /// Decrypting a file that has no `sops` metadata.
    #[error("sops metadata not found: the file is not encrypted (or not in the {0} format)")]
    MetadataNotFound(&'static str),
    /// Encrypting a file that already has `sops` metadata.
    #[error("the file already has a sops metadata block (keys named `sops` or `sops_*`): it is already encrypted")]
    AlreadyEncrypted,
    /// The metadata block is malformed.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// No key to encrypt for.
    #[error("no encryption key: give --age or --pgp, set a creation rule in .sops.yaml, or create a local key with `enseal keygen`")]
    NoKeys,
    /// The data key could not be wrapped or recovered.
    #[error(transparent)]
    Groups(#[from] GroupsError),
    /// A selector regex is invalid.
    #[error(transparent)]
    Selector(#[from] SelectorError),
    /// A value failed to encrypt.
    #[error("cannot encrypt: {0}")]
    Encrypt(TreeError),
    /// A value failed to decrypt.
    #[error("cannot decrypt: {0}")]
    Decrypt(TreeError),
    /// The MAC check failed.
    #[error(transparent)]
    Mac(#[from] MacError),
    /// The seal check failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// `--extract` names nothing.
    #[error("--extract: no value at {0}")]
    ExtractNotFound(KeyPath),
}

/// What to encrypt and how.
#[derive(Debug)]
pub struct EncryptRequest {
    /// Format of the plaintext.
    pub input_format: Format,
    /// Format to write (sops: same as input unless `--output-type`).
    pub output_format: Format,
    /// Key groups with their recipients (nothing wrapped yet).
    pub key_groups: Vec<KeyGroup>,
    /// Shamir threshold (0: the number of groups).
    pub shamir_threshold: usize,
    /// The selector (`None`: sops' default `_unencrypted` suffix).
    pub selector: Option<Selector>,
    /// MAC over encrypted values only.
    pub mac_only_encrypted: bool,
    /// Output indentation.
    pub emit: EmitOptions,
    /// Write the encrypted file in the plaintext's own layout (stores that can);
    /// false lays it out afresh as sops does.
    pub keep_layout: bool,
}

/// An encrypted file.
#[derive(Debug)]
pub struct Encrypted {
    /// The file's bytes.
    pub output: Vec<u8>,
    /// What the user should know (never a value): why the layout was not kept, ...
    pub warnings: Vec<String>,
}

/// Encrypts plaintext `input`; returns the encrypted file's bytes.
pub fn encrypt(input: &[u8], req: EncryptRequest, env: &KeyEnv) -> Result<Encrypted, FileError> {
    let parsed = parse_plain(req.input_format, input)?;
    Sealer::new(req, env)?.seal(parsed, None)
}

/// Parses a plaintext file, refusing one that already has a metadata block.
pub fn parse_plain(input_format: Format, input: &[u8]) -> Result<format::Parsed, FileError> {
    let parsed =
        format::parse(input_format, input, Mode::Plain).map_err(|source| FileError::Parse {
            format: input_format.name(),
            source,
        })?;
    if parsed.metadata.is_some() {
        return Err(FileError::AlreadyEncrypted);
    }
    Ok(parsed)
}

/// A data key wrapped for a file's key groups, with the metadata it goes with: what
/// encrypts a plaintext into that file. `encrypt` makes a new one; `edit` opens the
/// file's own, so that the edited text goes back under the same key (unchanged values
/// keeping their ciphertexts).
pub struct Sealer {
    metadata: Metadata,
    data_key: DataKey,
    input_format: Format,
    output_format: Format,
    emit: EmitOptions,
    keep_layout: bool,
    /// The spellings the file had and their sealed form, kept as they were when the
    /// edited text spells the same values the same way (no needless diff line).
    old_spellings: Option<(Vec<format::spelling::Spelling>, String)>,
}

impl Sealer {
    /// A new data key, wrapped for the request's key groups (this is where key
    /// services are called).
    pub fn new(req: EncryptRequest, env: &KeyEnv) -> Result<Sealer, FileError> {
        if req.key_groups.iter().all(KeyGroup::is_empty) {
            return Err(FileError::NoKeys);
        }
        // The binary store records no selector and no mac-only flag: `data` is always encrypted.
        let binary = req.output_format == Format::Binary || req.input_format == Format::Binary;
        let selector = if binary {
            None
        } else {
            Some(req.selector.unwrap_or_default())
        };
        Selection::new(&selector.clone().unwrap_or_default())?;
        let data_key = DataKey::generate();
        let mut metadata = Metadata {
            layout_kept: false,
            layout_spelling: None,
            // Files enseal creates are sealed; a file keeps what it had after that.
            seal: Some(seal::PLACEHOLDER.to_string()),
            shamir_threshold: req.shamir_threshold,
            key_groups: req.key_groups,
            last_modified: now_rfc3339(),
            mac: String::new(),
            selector,
            mac_only_encrypted: req.mac_only_encrypted && !binary,
            version: SOPS_VERSION.to_string(),
        };
        groups::wrap(
            &mut metadata.key_groups,
            metadata.shamir_threshold,
            &data_key,
            env,
        )?;
        Ok(Sealer {
            metadata,
            data_key,
            input_format: req.input_format,
            output_format: req.output_format,
            emit: req.emit,
            keep_layout: req.keep_layout,
            old_spellings: None,
        })
    }

    /// An encrypted file's own key and metadata, to encrypt an edited plaintext of it.
    /// The edited text's layout is kept if the file's was (`keep_layout`); else the
    /// file is written in sops' layout, as it was.
    pub fn reopen(
        loaded: &Loaded,
        data_key: DataKey,
        format: Format,
        emit: EmitOptions,
        keep_layout: bool,
    ) -> Sealer {
        let metadata = loaded.metadata.clone();
        let old_spellings = match (&loaded.layout, &metadata.layout_spelling) {
            (Some(l), Some(sealed)) => Some((l.spellings().to_vec(), sealed.clone())),
            _ => None,
        };
        Sealer {
            keep_layout: keep_layout && metadata.layout_kept,
            metadata,
            data_key,
            input_format: format,
            output_format: format,
            emit,
            old_spellings,
        }
    }

    /// Encrypts a parsed plaintext (from [`parse_plain`]). With a `stash` (from
    /// decrypting the file), values that did not change keep their ciphertexts.
    pub fn seal(
        &self,
        parsed: format::Parsed,
        stash: Option<&Stash>,
    ) -> Result<Encrypted, FileError> {
        if parsed.metadata.is_some() {
            return Err(FileError::AlreadyEncrypted);
        }
        let mut doc = parsed.doc;
        let mut metadata = self.metadata.clone();
        // A store that keeps layouts writes the encrypted values back into the source;
        // TOML and dotenv always do (their sops layout is the source's).
        let mut layout = parsed
            .layout
            .filter(|_| self.output_format == self.input_format)
            .filter(|l| {
                self.keep_layout || matches!(l, format::Layout::Toml(_) | format::Layout::Dotenv(_))
            });
        metadata.layout_kept = matches!(
            layout,
            Some(
                format::Layout::Json(_)
                    | format::Layout::Yaml(_)
                    | format::Layout::Toml(_)
                    | format::Layout::Ini(_)
            )
        );
        let selection = Selection::new(&metadata.effective_selector())?;
        let mac_only = metadata.mac_only_encrypted;
        let cipher = Cipher::new(&self.data_key);
        if self.output_format == Format::Yaml
            && !metadata.layout_kept
            && yaml::foot::may_move_when_encrypted(&doc)
        {
            // sops writes an encrypted list comment as a string item, which changes where
            // yaml.v3 reads the comments after that list: place them there first, so that
            // they are encrypted under the key path sops will decrypt them with. (A kept
            // layout writes comments where they were, so yaml.v3 places them as before.)
            let mut twin = doc.clone();
            tree::encrypt(&mut twin, &cipher, &selection, mac_only, None)
                .map_err(FileError::Encrypt)?;
            let moves = yaml::foot::sink_foot_comments(&mut twin);
            yaml::foot::replay(&mut doc, &moves);
        }
        // How the author spelled values that would not come back as written (`1.0`,
        // folded text): kept encrypted in the metadata for decryption.
        let spellings = layout
            .as_ref()
            .map(|l| l.spellings_of(&doc))
            .unwrap_or_default();
        let mac = tree::encrypt(&mut doc, &cipher, &selection, mac_only, stash)
            .map_err(FileError::Encrypt)?;
        metadata.last_modified = now_rfc3339();
        metadata.mac = mac::seal(&cipher, &mac, &metadata.last_modified)?;
        let mut warnings = Vec::new();
        if let Some(format::Layout::Yaml(l)) = &layout {
            if let Some((line, column)) = l.alias_to_encrypted(&doc) {
                // sops expands aliases; an alias cannot stand for an encrypted value, which
                // is bound to its own key path.
                warnings.push(format!(
                    "line {line}, column {column}: this alias refers to a value that is encrypted, \
                     and an encrypted value cannot be shared by an alias (each is bound to its own \
                     key path), so the file is written in sops' layout with aliases expanded. To \
                     keep the layout, leave the anchored value in clear (--encrypted-regex, an \
                     _unencrypted suffix)"
                ));
                layout = None;
                metadata.layout_kept = false;
            }
        }
        metadata.layout_spelling = match &self.old_spellings {
            _ if spellings.is_empty() || !metadata.layout_kept => None,
            Some((old, sealed)) if *old == spellings => Some(sealed.clone()),
            _ => Some(format::spelling::seal(&spellings, &cipher)),
        };
        // Values left in clear (selectors) are written as spelled, like decrypted ones.
        if let Some(l) = layout.as_mut() {
            l.use_spellings(spellings);
        }
        let output = emit_sealed(
            self.output_format,
            &doc,
            &mut metadata,
            &self.emit,
            layout.as_ref(),
            &cipher,
        )?;
        Ok(Encrypted { output, warnings })
    }
}

/// What to decrypt and how.
#[derive(Debug)]
pub struct DecryptRequest {
    /// Format of the encrypted file.
    pub input_format: Format,
    /// Format of the plaintext to produce.
    pub output_format: Format,
    /// Skip the MAC check.
    pub ignore_mac: bool,
    /// Print only this value.
    pub extract: Option<KeyPath>,
    /// Which key kinds to try first.
    pub decryption_order: Vec<KeyKind>,
    /// Output indentation.
    pub emit: EmitOptions,
}

/// The result of a decryption.
pub struct Decrypted {
    /// The plaintext (zeroized on drop).
    pub output: Zeroizing<Vec<u8>>,
    /// Comments left in clear because they did not decrypt (old sops files).
    pub clear_comments: usize,
}

/// A parsed encrypted file with its metadata.
pub struct Loaded {
    /// The tree, values still encrypted.
    pub doc: crate::document::Document,
    /// The metadata block.
    pub metadata: Metadata,
    /// Where the values sit in the source (stores that keep layouts).
    pub layout: Option<format::Layout>,
    /// The digest the seal is checked against, when the file has a seal.
    pub frame: Option<[u8; 32]>,
}

impl Loaded {
    /// The layout the plaintext is written in: the file's own when enseal kept it (TOML
    /// and dotenv always); `None` for files in sops' layout, whose plaintext is sops'
    /// exact output.
    pub fn plaintext_layout(&self) -> Option<&format::Layout> {
        self.layout.as_ref().filter(|l| {
            self.metadata.layout_kept
                || matches!(l, format::Layout::Toml(_) | format::Layout::Dotenv(_))
        })
    }
}

/// Parses an encrypted file and its metadata.
pub fn load(input: &[u8], input_format: Format) -> Result<Loaded, FileError> {
    let parsed = format::parse(input_format, input, Mode::Encrypted).map_err(|source| {
        let format = input_format.name();
        match source {
            FormatError::Empty => FileError::Parse { format, source },
            source => FileError::Load { format, source },
        }
    })?;
    let meta = parsed
        .metadata
        .ok_or(FileError::MetadataNotFound(input_format.name()))?;
    let metadata = Metadata::from_value(&meta, input_format)?;
    let frame = metadata
        .seal
        .as_ref()
        .map(|_| seal::frame_digest(input, &metadata.last_modified));
    Ok(Loaded {
        doc: parsed.doc,
        metadata,
        layout: parsed.layout,
        frame,
    })
}

/// Recovers the data key of a loaded file.
pub fn data_key(
    metadata: &Metadata,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Result<DataKey, FileError> {
    Ok(groups::unwrap(
        &metadata.key_groups,
        metadata.shamir_threshold,
        order,
        env,
    )?)
}

/// Decrypts `loaded` in place with `data_key`, checking the MAC unless `ignore_mac`.
/// With a `stash`, IVs are kept for re-encryption.
pub fn decrypt_tree(
    loaded: &mut Loaded,
    data_key: &DataKey,
    ignore_mac: bool,
    stash: Option<&mut Stash>,
) -> Result<usize, FileError> {
    let m = &loaded.metadata;
    let selection = Selection::new(&m.effective_selector())?;
    let cipher = Cipher::new(data_key);
    let report = tree::decrypt(
        &mut loaded.doc,
        &cipher,
        &selection,
        m.mac_only_encrypted,
        stash,
    )
    .map_err(FileError::Decrypt)?;
    if !ignore_mac {
        mac::verify(&cipher, &m.mac, &report.mac, &m.last_modified)?;
        if let Some(sealed) = &m.seal {
            seal::verify(&cipher, sealed, &loaded.frame.ok_or(SealError::Mismatch)?)?;
        }
    }
    // The author's spellings, for writing the plaintext (or clear values) back.
    if let (Some(l), Some(sealed)) = (loaded.layout.as_mut(), &loaded.metadata.layout_spelling) {
        let list = format::spelling::open(sealed, &cipher);
        if list.is_none() && !ignore_mac {
            return Err(SealError::Spellings.into());
        }
        l.use_spellings(list.unwrap_or_default());
    }
    Ok(report.clear_comments)
}

/// Decrypts an encrypted file; returns the plaintext in the output format.
pub fn decrypt(input: &[u8], req: &DecryptRequest, env: &KeyEnv) -> Result<Decrypted, FileError> {
    let mut loaded = load(input, req.input_format)?;
    let key = data_key(&loaded.metadata, &req.decryption_order, env)?;
    let clear_comments = decrypt_tree(&mut loaded, &key, req.ignore_mac, None)?;
    let output = match &req.extract {
        None => {
            let layout = loaded
                .plaintext_layout()
                .filter(|_| req.output_format == req.input_format);
            emit(req.output_format, &loaded.doc, None, &req.emit, layout)?
        }
        Some(path) => extract(&loaded.doc, path, req.output_format, &req.emit)?,
    };
    Ok(Decrypted {
        output: Zeroizing::new(output),
        clear_comments,
    })
}

/// Encrypts a decrypted file again with its own data key and metadata, for `set` and
/// `edit`: values decrypted with `stash` keep their IVs (so unchanged values keep
/// their ciphertexts), `lastmodified` and the MAC are renewed, and the file goes back
/// into the layout it was read from when its shape still fits.
pub fn reencrypt(
    mut loaded: Loaded,
    data_key: &DataKey,
    stash: &Stash,
    format: Format,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FileError> {
    let cipher = Cipher::new(data_key);
    let m = &mut loaded.metadata;
    let selection = Selection::new(&m.effective_selector())?;
    let fits = loaded.layout.as_ref().is_some_and(|l| l.fits(&loaded.doc));
    if !fits {
        // Laid out afresh: a layout marker or spellings would no longer be true.
        loaded.layout = None;
        m.layout_kept = false;
    }
    if let Some(l) = loaded.layout.as_mut() {
        // A changed value's old spelling would keep the old value in the file.
        let old = l.spellings().to_vec();
        let kept = l.spellings_still_true(&loaded.doc, &old);
        // Sealed again only when the list changes (or the layout came from another
        // file than the metadata, as in a merge): an unchanged list keeps its line.
        let sealed = m
            .layout_spelling
            .as_ref()
            .and_then(|s| format::spelling::open(s, &cipher))
            .unwrap_or_default();
        if sealed != kept {
            m.layout_spelling = (!kept.is_empty()).then(|| format::spelling::seal(&kept, &cipher));
        }
        // Values in clear keep their spelling.
        l.use_spellings(kept);
    }
    if !m.layout_kept {
        m.layout_spelling = None;
    }
    let mac = tree::encrypt(
        &mut loaded.doc,
        &cipher,
        &selection,
        m.mac_only_encrypted,
        Some(stash),
    )
    .map_err(FileError::Encrypt)?;
    m.last_modified = now_rfc3339();
    m.mac = mac::seal(&cipher, &mac, &m.last_modified)?;
    emit_sealed(
        format,
        &loaded.doc,
        &mut loaded.metadata,
        opts,
        loaded.layout.as_ref(),
        &cipher,
    )
}

/// One value of a decrypted tree, printed as sops' `--extract` does: strings raw,
/// maps as a document of the output format, anything else as that format's value.
fn extract(
    doc: &crate::document::Document,
    path: &KeyPath,
    output: Format,
    opts: &EmitOptions,
) -> Result<Vec<u8>, FileError> {
    let empty = Vec::new();
    let first = doc.branches.first().unwrap_or(&empty);
    let value = lookup(first, path).ok_or_else(|| FileError::ExtractNotFound(path.clone()))?;
    let emit_err = |source| FileError::Emit {
        format: output.name(),
        source,
    };
    match value {
        Value::Scalar(s) if s.as_str().is_some() => Ok(s.to_plaintext()),
        Value::Scalar(crate::document::Scalar::Bytes(b)) => Ok(b.clone()),
        Value::Map(m) => {
            let sub = crate::document::Document {
                branches: vec![m.clone()],
            };
            emit(output, &sub, None, opts, None)
        }
        other => format::emit_value(output, other, opts).map_err(emit_err),
    }
}

/// Emits a tree with optional metadata in `format`, into `layout` (the source it was
/// read from) when the store keeps layouts.
pub fn emit(
    format: Format,
    doc: &crate::document::Document,
    metadata: Option<&Metadata>,
    opts: &EmitOptions,
    layout: Option<&format::Layout>,
) -> Result<Vec<u8>, FileError> {
    let meta = metadata.map(|m| m.to_value(format));
    format::emit_in_layout(format, doc, meta.as_ref(), opts, layout).map_err(|source| {
        FileError::Emit {
            format: format.name(),
            source,
        }
    })
}

/// Emits an encrypted file with its seal (see [`seal`]) if it has one: files sops
/// wrote stay without, as sops would write them. The seal is kept when what it covers
/// did not change, so that a value-only change touches no other line; else it is
/// sealed anew. `mac_only_encrypted` files get none.
pub fn emit_sealed(
    format: Format,
    doc: &crate::document::Document,
    metadata: &mut Metadata,
    opts: &EmitOptions,
    layout: Option<&format::Layout>,
    cipher: &Cipher,
) -> Result<Vec<u8>, FileError> {
    if metadata.mac_only_encrypted {
        metadata.seal = None;
    }
    let Some(old) = &metadata.seal else {
        return emit(format, doc, Some(metadata), opts, layout);
    };
    // The placeholder masks as a token would; a damaged seal might not.
    if !seal::is_token(old) {
        metadata.seal = Some(seal::PLACEHOLDER.to_string());
    }
    let first = emit(format, doc, Some(metadata), opts, layout)?;
    let digest = seal::frame_digest(&first, &metadata.last_modified);
    let old = metadata.seal.as_deref().unwrap_or_default();
    if seal::verify(cipher, old, &digest).is_ok() {
        return Ok(first);
    }
    metadata.seal = Some(seal::seal(cipher, &digest));
    let output = emit(format, doc, Some(metadata), opts, layout)?;
    if seal::frame_digest(&output, &metadata.last_modified) != digest {
        return Err(SealError::Unstable.into());
    }
    Ok(output)
}

/// True when `input` is an encrypted file of `format` (sops `filestatus`: metadata
/// loads and has a version and a MAC).
pub fn is_encrypted(input: &[u8], format: Format) -> bool {
    match load(input, format) {
        Ok(l) => !l.metadata.version.is_empty() && !l.metadata.mac.is_empty(),
        Err(_) => false,
    }
}

/// The current UTC time as sops writes `lastmodified`: `YYYY-MM-DDThh:mm:ssZ`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
