//! `enseal edit`: decrypt into a private plaintext copy, run the editor, encrypt what
//! came back into the file (or a new one).

use std::io::BufRead;
use std::path::Path;

use zeroize::Zeroizing;

use super::decrypt::decryption_order;
use super::encrypt::NewFile;
use super::io::{emit_options, input_format, load_config};
use crate::cipher::value::Stash;
use crate::cli::EditArgs;
use crate::edit::editor::{Editor, EditorError};
use crate::edit::scratch::{self, Scratch};
use crate::edit::signals::Watch;
use crate::edit::template;
use crate::error::Error;
use crate::file::{self, Encrypted, FileError, Sealer};
use crate::format::Format;
use crate::keys::KeyEnv;

/// Edits the file, or creates it when it does not exist.
pub fn run(args: EditArgs, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    let shown = args.file.display().to_string();
    let editor = Editor::from_env(|n| env.var(n)).map_err(|source| Error::Editor {
        path: shown.clone(),
        source,
    })?;
    // Held until the end: a second edit (or set, rotate) of the file is refused.
    let lock = match crate::fs::lock_for_edit(&args.file) {
        Ok(lock) => lock,
        Err(crate::fs::LockError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return create(&args, &editor, config_path, env);
        }
        Err(source) => {
            return Err(Error::Locked {
                path: shown,
                source,
            })
        }
    };
    if !args.keys.age.is_empty()
        || !args.keys.pgp.is_empty()
        || !args.keys.kms.is_empty()
        || !args.keys.gcp_kms.is_empty()
        || !args.keys.azure_kv.is_empty()
        || !args.keys.hc_vault_transit.is_empty()
    {
        return Err(Error::Usage(format!(
            "{shown} exists and keeps its keys: key flags apply to new files; change its recipients with `enseal rotate -i --add-age …` or `enseal updatekeys`"
        )));
    }
    // Refused now rather than after the user's editing.
    crate::fs::check_can_replace(&args.file).map_err(|source| Error::Write {
        path: shown.clone(),
        source,
    })?;
    let result = edit_existing(&args, &editor, config_path, env);
    drop(lock);
    result
}

/// Edits an encrypted file in place.
fn edit_existing(
    args: &EditArgs,
    editor: &Editor,
    config_path: Option<&Path>,
    env: &KeyEnv,
) -> Result<(), Error> {
    let shown = args.file.display().to_string();
    let file_err = |source| Error::File {
        path: shown.clone(),
        source,
    };
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let original = std::fs::read(&args.file).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    let format = input_format(&args.file, args.input_type.as_deref(), &original);
    let config = load_config(config_path)?;
    let emit = emit_options(args.indent, config.as_ref(), format);
    let mut loaded = file::load(&original, format).map_err(file_err)?;
    let key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
    let mut stash = Stash::default();
    file::decrypt_tree(&mut loaded, &key, args.ignore_mac, Some(&mut stash)).map_err(file_err)?;
    // The plaintext as `decrypt` prints it: in the file's own layout when enseal kept it.
    let layout = loaded.plaintext_layout();
    let plain =
        Zeroizing::new(file::emit(format, &loaded.doc, None, &emit, layout).map_err(file_err)?);
    let keep_layout = args.indent.is_none();
    let sealer = Sealer::reopen(&loaded, key.clone(), format, emit, keep_layout);
    // A file in sops' layout (sops wrote it, or enseal without keeping the source's)
    // stays in it: the text in the editor is sops' rendering, not the file's layout.
    // (A dotenv file's layout is always its text's.)
    let sops_layout = !loaded.metadata.layout_kept && format != Format::Dotenv;
    let session = Session::open(&args.file, format, &plain, editor, env)?;
    // What the accepted text changed, reported once the file is written.
    let changes = std::cell::RefCell::new(Vec::new());
    let written = std::cell::Cell::new(false);
    let edited = session.edit(&plain, |text| {
        let parsed = file::parse_plain(format, text)?;
        if !args.report.quiet {
            *changes.borrow_mut() = crate::summary::values(&loaded.doc, &parsed.doc);
        }
        if sops_layout || !keep_layout {
            // A new text with the same values (say, only re-indented) changes nothing.
            if parsed.doc == loaded.doc {
                return Ok(None);
            }
            // The same shape goes back into the file's own lines (as `set` does), so
            // that only changed values show in a diff, whatever order sops wrote.
            if keep_layout && loaded.layout.as_ref().is_some_and(|l| l.fits(&parsed.doc)) {
                let again = file::Loaded {
                    doc: parsed.doc,
                    metadata: loaded.metadata.clone(),
                    layout: loaded.layout.clone(),
                    frame: None,
                };
                let output = file::reencrypt(again, &key, &stash, format, &emit)?;
                return Ok(Some(Encrypted {
                    output,
                    warnings: Vec::new(),
                }));
            }
        }
        sealer.seal(parsed, Some(&stash)).map(Some)
    })?;
    session.finish(
        edited,
        "no change: the file is left as it was",
        |encrypted| {
            // The lock keeps enseal out, not other programs (a `git checkout`, a sync tool):
            // never overwrite what one of them wrote meanwhile.
            let now = std::fs::read(&args.file).ok();
            if now.as_deref() != Some(&original[..]) {
                return Err(keep_aside(&args.file, &encrypted.output));
            }
            crate::fs::write_atomic(&args.file, &encrypted.output, 0o600).map_err(|source| {
                Error::Write {
                    path: shown.clone(),
                    source,
                }
            })?;
            written.set(true);
            Ok(())
        },
    )?;
    if written.get() {
        super::io::report_changes(&shown, &changes.borrow(), args.report)?;
    }
    Ok(())
}

/// Creates a new file from a template, encrypted for its creation rule's keys.
fn create(
    args: &EditArgs,
    editor: &Editor,
    config_path: Option<&Path>,
    env: &KeyEnv,
) -> Result<(), Error> {
    let shown = args.file.display().to_string();
    let format = input_format(&args.file, args.input_type.as_deref(), b"");
    let parent = match args.file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::Usage(format!(
            "{shown}: cannot create it: the directory {} does not exist",
            parent.display()
        )));
    }
    let config = load_config(config_path)?;
    let request = NewFile {
        name: &args.file,
        input_format: format,
        output_format: format,
        keys: &args.keys,
        rules: &args.rules,
        indent: args.indent,
    }
    .request(config.as_ref(), env)?;
    // The data key is wrapped before the editor opens: a key service that fails then
    // costs nothing typed.
    let sealer = Sealer::new(request, env).map_err(|source| Error::File {
        path: shown.clone(),
        source,
    })?;
    let plain = template::template(format).as_bytes();
    let session = Session::open(&args.file, format, plain, editor, env)?;
    let edited = session.edit(plain, |text| {
        sealer
            .seal(file::parse_plain(format, text)?, None)
            .map(Some)
    })?;
    session.finish(
        edited,
        "the template was not changed: nothing is created",
        |encrypted| {
            crate::fs::write_atomic_new(&args.file, &encrypted.output, 0o600).map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    keep_aside(&args.file, &encrypted.output)
                } else {
                    Error::Write {
                        path: shown.clone(),
                        source,
                    }
                }
            })
        },
    )
}

fn warn(shown: &str, encrypted: &Encrypted) {
    for w in &encrypted.warnings {
        eprintln!("warning: {shown}: {w}");
    }
}

/// Saves an edit that cannot go to its file next to it (it is encrypted, so it may
/// stay on disk), and says so.
fn keep_aside(path: &Path, encrypted: &[u8]) -> Error {
    let shown = path.display().to_string();
    let mut name = path.as_os_str().to_owned();
    name.push(".edited");
    let aside = std::path::PathBuf::from(name);
    match crate::fs::write_atomic_new(&aside, encrypted, 0o600) {
        Ok(()) => Error::ChangedMeanwhile {
            path: shown,
            kept: aside.display().to_string(),
        },
        Err(source) => Error::Write {
            path: aside.display().to_string(),
            source,
        },
    }
}

/// One editing session: the plaintext copy, guarded by the signal watcher.
struct Session {
    watch: Watch,
    editor: Editor,
    copy: std::path::PathBuf,
    shown: String,
}

impl Session {
    /// Writes `plain` into a new private copy and starts guarding it.
    fn open(
        target: &Path,
        format: Format,
        plain: &[u8],
        editor: &Editor,
        env: &KeyEnv,
    ) -> Result<Session, Error> {
        let base = scratch::choose_base(env.var("XDG_RUNTIME_DIR"), std::env::temp_dir());
        let swept = scratch::sweep(&base.dir);
        if swept > 0 {
            eprintln!(
                "enseal: removed {swept} plaintext cop{} left in {} by an enseal that was killed",
                if swept == 1 { "y" } else { "ies" },
                base.dir.display()
            );
        }
        if !base.memory {
            eprintln!(
                "warning: no memory-backed directory ($XDG_RUNTIME_DIR, /dev/shm): the plaintext \
                 copy is on disk in {} while you edit (it is overwritten and removed afterwards)",
                base.dir.display()
            );
        }
        let watch = Watch::start().map_err(|source| Error::Scratch {
            dir: base.dir.display().to_string(),
            source,
        })?;
        let name = template::scratch_name(target, format);
        let copy = Scratch::create(&base.dir, &name, plain).map_err(|source| Error::Scratch {
            dir: base.dir.display().to_string(),
            source,
        })?;
        let path = copy.file().to_path_buf();
        watch.hold(copy);
        Ok(Session {
            watch,
            editor: editor.clone(),
            copy: path,
            shown: target.display().to_string(),
        })
    }

    /// Runs the editor until the saved text encrypts (`seal`), the user gives up, or
    /// the text comes back as it went in (`None`; `seal` may also say a changed text
    /// changes nothing).
    fn edit(
        &self,
        original: &[u8],
        seal: impl Fn(&[u8]) -> Result<Option<Encrypted>, FileError>,
    ) -> Result<Option<Encrypted>, Error> {
        loop {
            let status = self
                .watch
                .run_editor(&self.editor, &self.copy)
                .map_err(|source| self.editor_error(source))?;
            if let Some(sig) = self.watch.caught() {
                return Err(Error::Interrupted(sig));
            }
            if !status.success() {
                return Err(self.editor_error(EditorError::Failed {
                    program: self.editor.program.clone(),
                    status,
                }));
            }
            // By path: editors often save by writing a new file and renaming it.
            let text = Zeroizing::new(std::fs::read(&self.copy).map_err(|source| Error::Read {
                path: format!("{} (the edited copy)", self.shown),
                source,
            })?);
            if text.as_slice() == original {
                return Ok(None);
            }
            match seal(&text) {
                Ok(result) => return Ok(result),
                Err(e) if fixable(&e) => {
                    eprintln!(
                        "enseal: {}: the edited text cannot be saved: {}",
                        self.shown,
                        explain(&e)
                    );
                    if !ask_reopen() {
                        return Err(Error::EditAbandoned(self.shown.clone()));
                    }
                }
                Err(source) => {
                    return Err(Error::File {
                        path: self.shown.clone(),
                        source,
                    })
                }
            }
        }
    }

    fn editor_error(&self, source: EditorError) -> Error {
        Error::Editor {
            path: self.shown.clone(),
            source,
        }
    }

    /// Ends the session: a text that changed nothing is [`Error::Unchanged`] (`what`
    /// says what that means for the file); otherwise `write` replaces the file, which
    /// no signal interrupts halfway. The plaintext copy goes either way.
    fn finish(
        self,
        edited: Option<Encrypted>,
        what: &'static str,
        write: impl FnOnce(&Encrypted) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let Some(encrypted) = edited else {
            let path = self.shown.clone();
            self.close();
            return Err(Error::Unchanged { path, what });
        };
        warn(&self.shown, &encrypted);
        let written = self.watch.critical(|| write(&encrypted));
        self.close();
        written
    }

    /// Overwrites and removes the plaintext copy, warning if that fails.
    fn close(self) {
        if let Some(copy) = self.watch.release() {
            let dir = copy.dir().display().to_string();
            if let Err(e) = copy.close() {
                eprintln!(
                    "warning: could not remove the plaintext copy in {dir}: {e}; remove it by hand"
                );
            }
        }
    }
}

/// Errors in the text the user can fix in the editor.
fn fixable(e: &FileError) -> bool {
    matches!(
        e,
        FileError::Parse { .. } | FileError::AlreadyEncrypted | FileError::Emit { .. }
    )
}

fn explain(e: &FileError) -> String {
    match e {
        FileError::AlreadyEncrypted => {
            "it has a top-level `sops` key (or `sops_*` keys in dotenv/INI), which is where the file's metadata goes".into()
        }
        other => other.to_string(),
    }
}

/// Asks on the terminal whether to open the editor again; no answer (end of input)
/// is no.
fn ask_reopen() -> bool {
    eprint!("Reopen the editor to fix it (your text is kept there)? [Y/n] ");
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => {
            eprintln!();
            false
        }
        Ok(_) => matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "" | "y" | "yes"
        ),
    }
}
