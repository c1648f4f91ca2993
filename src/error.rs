//! The command-level error and its exit code. Exit codes follow sops where sops has
//! one (sops-format §10.4), so scripts written for sops keep working.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::document::path::PathSyntaxError;
use crate::file::FileError;
use crate::format::FormatError;
use crate::groups::GroupsError;

/// Everything a command can fail with. Messages name the file and key path, never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operation on a file failed.
    #[error("{path}: {source}")]
    File {
        /// The file as the user named it (or `<stdin>`).
        path: String,
        /// What went wrong.
        source: FileError,
    },
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `.sops.yaml` problems.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Conflicting or missing arguments.
    #[error("{0}")]
    Usage(String),
    /// A malformed `--extract` path.
    #[error(transparent)]
    ExtractPath(#[from] PathSyntaxError),
    /// A `--decryption-order` naming a key type twice.
    #[error("--decryption-order names {0} more than once")]
    DuplicateDecryptionOrder(String),
    /// `keygen` would overwrite an existing key file.
    #[error("{0}: already exists; enseal keygen never overwrites a key file (use --output to write elsewhere)")]
    KeyFileExists(PathBuf),
    /// The file is being changed by another enseal.
    #[error("{path}: {source}")]
    Locked {
        /// The file.
        path: String,
        /// Why.
        source: crate::fs::LockError,
    },
    /// `set` could not put the value in the file (the file's name first).
    #[error("{path}: {source}")]
    Set {
        /// The file.
        path: String,
        /// Why.
        source: crate::edit::SetError,
    },
    /// The editor could not run or failed.
    #[error("{path}: {source}")]
    Editor {
        /// The file being edited.
        path: String,
        /// Why.
        source: crate::edit::editor::EditorError,
    },
    /// `edit` ended with the text as it was: nothing is written (sops exit 200).
    #[error("{path}: {what}")]
    Unchanged {
        /// The file.
        path: String,
        /// What that means for this file.
        what: &'static str,
    },
    /// The edited text did not encrypt and the user chose not to fix it.
    #[error("{0}: the edit is abandoned: the file is left as it was")]
    EditAbandoned(String),
    /// The plaintext copy for the editor could not be made.
    #[error("cannot make the plaintext copy for the editor in {dir}: {source}")]
    Scratch {
        /// Where.
        dir: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Someone else changed the file while it was open in the editor.
    #[error("{path}: the file changed on disk while it was open in the editor; it is left as the other change made it, and your edit is saved, encrypted, in {kept}: compare them with `enseal decrypt`, then move one over the other")]
    ChangedMeanwhile {
        /// The file.
        path: String,
        /// Where the edit went.
        kept: String,
    },
    /// A signal stopped the edit.
    #[error("stopped by {}: nothing was changed", crate::edit::signals::signal_name(*.0))]
    Interrupted(i32),
    /// A git command failed (or this is not a repository).
    #[error(transparent)]
    Git(#[from] crate::git::cli::GitError),
    /// `enseal git setup` failed.
    #[error(transparent)]
    Setup(#[from] crate::git::setup::SetupError),
    /// The merge driver could not merge at all.
    #[error("{path}: cannot merge: {source}; the file is left as ours and marked as conflicted")]
    MergeFailed {
        /// The file.
        path: String,
        /// Why.
        source: crate::git::merge::MergeError,
    },
    /// The merge driver merged, with conflicts.
    #[error("{}", merge_conflict_message(path, paths, *keys))]
    MergeConflict {
        /// The file.
        path: String,
        /// The key paths both sides changed differently.
        paths: Vec<String>,
        /// Both sides changed who can decrypt the file.
        keys: bool,
    },
    /// The pre-commit check found problems (printed above).
    #[error("{0} problem{s} in the staged files: the commit is stopped (fix them, or skip this check with git commit --no-verify)", s = if *.0 == 1 { "" } else { "s" })]
    Blocked(usize),
    /// `git clean-check` found files (listed above).
    #[error("{0} untracked file{s} look{v} like plaintext secrets: delete, ignore or encrypt {them}", s = if *.0 == 1 { "" } else { "s" }, v = if *.0 == 1 { "s" } else { "" }, them = if *.0 == 1 { "it" } else { "them" })]
    Untidy(usize),
    /// `scan` could not run (exit 2, as scanners do).
    #[error("scan: {0}")]
    ScanFailed(String),
    /// `scan` found secrets (exit 1; the report is above).
    #[error("{0} secret{s} found", s = if *.0 == 1 { "" } else { "s" })]
    Findings(usize),
    /// A template could not be parsed or rendered.
    #[error(transparent)]
    Template(#[from] crate::inject::template::TemplateError),
    /// The templates' outputs cannot be told apart.
    #[error(transparent)]
    Plan(#[from] crate::inject::render::PlanError),
    /// A file's values cannot become variables.
    #[error("{path}: {source}")]
    Env {
        /// The file.
        path: String,
        /// Why.
        source: crate::inject::env::EnvError,
    },
    /// The command could not be started.
    #[error("cannot run {program:?}: {source}")]
    Exec {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The command enseal ran exited with this code (passed on; nothing printed).
    #[error("the command exited with status {0}")]
    ChildExit(i32),
    /// A lifecycle command refused or failed.
    #[error(transparent)]
    Lifecycle(#[from] crate::lifecycle::LifecycleError),
    /// `watch` could not watch the files.
    #[error("watch: {0}")]
    Watch(String),
    /// `doctor` found problems (printed in its report).
    #[error("{0} check(s) failed: see FAIL above")]
    Doctor(usize),
    /// An age recipient given on the command line is not valid.
    #[error("invalid recipient {recipient:?}: {reason}")]
    Recipient {
        /// The recipient as given (public, safe to print).
        recipient: String,
        /// Why.
        reason: String,
    },
}

fn merge_conflict_message(path: &str, paths: &[String], keys: bool) -> String {
    let mut parts = Vec::new();
    if !paths.is_empty() {
        parts.push(format!(
            "both branches changed {}; the merged file keeps ours there and has every other change of both",
            paths.join(", ")
        ));
    }
    if keys {
        parts.push(
            "both branches changed who can decrypt the file; ours' keys are kept: apply theirs again with `enseal rotate -i --add-…/--rm-…`"
                .to_string(),
        );
    }
    if parts.is_empty() {
        parts.push("lines changed on both sides".to_string());
    }
    format!(
        "{path}: conflict: {}. Fix it with `enseal edit {path}` (theirs: `git show MERGE_HEAD:{path} | enseal decrypt --filename-override {path}`), then `git add {path}`",
        parts.join("; ")
    )
}

impl Error {
    /// The edit lock of `path`, as an error naming the file when it cannot be had.
    pub fn lock(path: &std::path::Path) -> Result<crate::fs::EditLock, Error> {
        crate::fs::lock_for_edit(path).map_err(|source| Error::Locked {
            path: path.display().to_string(),
            source,
        })
    }

    /// The process exit code for this error (sops' codes where it has them).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::File { source, .. } => match source {
                FileError::Parse {
                    source: FormatError::Empty,
                    ..
                } => 92,
                FileError::Parse {
                    source: FormatError::Unencryptable { .. },
                    ..
                } => 23,
                FileError::Parse { .. } => 2,
                // sops: "Error unmarshalling input" when the file to decrypt does not parse.
                FileError::Load { .. } => 1,
                FileError::Emit { .. } => 4,
                FileError::MetadataNotFound(_) | FileError::Metadata(_) => 1,
                FileError::AlreadyEncrypted => 203,
                FileError::NoKeys => 111,
                FileError::Groups(GroupsError::Recover { .. }) => 128,
                FileError::Groups(_) => 1,
                FileError::Selector(_) => 1,
                FileError::Encrypt(_) => 23,
                FileError::Decrypt(_) => 25,
                FileError::Mac(_) | FileError::Seal(_) => 51,
                FileError::ExtractNotFound(_) => 1,
            },
            Error::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 100,
            Error::Read { .. } => 2,
            Error::Write { .. } => 3,
            Error::Config(ConfigError::Read { .. }) => 5,
            Error::Config(_) => 1,
            Error::Usage(_) => 8,
            Error::Set { .. } => 1,
            Error::Locked { .. } => 1,
            Error::ExtractPath(_) => 91,
            Error::DuplicateDecryptionOrder(_) => 112,
            Error::KeyFileExists(_) => 1,
            Error::Recipient { .. } => 1,
            Error::Editor { .. } => 201,
            Error::Unchanged { .. } => 200,
            Error::EditAbandoned(_) => 1,
            Error::Scratch { .. } => 3,
            Error::ChangedMeanwhile { .. } => 1,
            Error::Interrupted(sig) => 128 + sig,
            Error::Git(_)
            | Error::Setup(_)
            | Error::MergeFailed { .. }
            | Error::MergeConflict { .. }
            | Error::Blocked(_)
            | Error::Untidy(_)
            | Error::Findings(_) => 1,
            Error::ScanFailed(_) => 2,
            Error::Template(_) | Error::Plan(_) | Error::Env { .. } | Error::Watch(_) => 1,
            // As shells report them.
            Error::Exec { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 127,
            Error::Exec { .. } => 126,
            Error::ChildExit(code) => *code,
            Error::Lifecycle(_) => 1,
            Error::Doctor(_) => 1,
        }
    }

    /// Whether main should print the error (a child's exit status is the child's
    /// business: it has printed what it had to say).
    pub fn is_silent(&self) -> bool {
        matches!(self, Error::ChildExit(_))
    }

    /// A line of advice printed under the error, when there is something to do.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::File { source, .. } => match source {
                FileError::Groups(GroupsError::Recover { .. }) => Some(
                    "make a key of the groups above available: an age identity (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, ~/.config/sops/age/keys.txt), a gpg secret key, or the key service's credentials (docs/keys.md)",
                ),
                FileError::Mac(_) | FileError::Seal(_) => Some(
                    "the file changed outside enseal/sops; restore it from git, or pass --ignore-mac if you trust it",
                ),
                FileError::MetadataNotFound(_) => Some(
                    "check --input-type if the file name does not end in .yaml, .json, .env or .ini",
                ),
                FileError::NoKeys => Some("create a local key with `enseal keygen`"),
                _ => None,
            },
            Error::KeyFileExists(_) => Some("keep the existing key: it is needed to decrypt files encrypted for it"),
            _ => None,
        }
    }
}
