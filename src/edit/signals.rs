//! Signals during an edit: whatever stops enseal, the plaintext copy goes first.
//!
//! A thread waits for SIGINT, SIGQUIT, SIGTERM and SIGHUP. While the editor runs it
//! owns the terminal: Ctrl-C and Ctrl-\ are its business (vim uses them; an editor
//! they stop exits with a failure, and the edit is abandoned). SIGTERM and SIGHUP are
//! passed on to the editor, which is given a moment to exit (vim saves nothing but its
//! swap file, which is in the private directory), then enseal removes the plaintext
//! copy and exits with 128 + the signal's number. The encrypted file is only ever
//! replaced by an atomic rename, which a signal waits for.

use std::io;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use super::editor::{Editor, EditorError};
use super::scratch::Scratch;

/// How long an editor sent SIGTERM or SIGHUP is waited for before it is killed.
const EDITOR_GRACE: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Shared {
    scratch: Mutex<Option<Scratch>>,
    /// The running editor's process id.
    editor: Mutex<Option<u32>>,
    /// Held while the encrypted file is replaced.
    critical: Mutex<()>,
    /// Set once the encrypted file has been replaced.
    written: AtomicBool,
    /// The signal that stopped the edit.
    caught: AtomicI32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Guards one edit: holds the plaintext copy and cleans it up on a signal.
pub struct Watch {
    shared: Arc<Shared>,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Watch {
    /// Starts catching signals. Core dumps are turned off too: one would hold the
    /// plaintext (the editor inherits the limit).
    pub fn start() -> io::Result<Watch> {
        let mut signals = Signals::new([SIGINT, SIGQUIT, SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        let shared = Arc::new(Shared::default());
        let seen = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("enseal-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    on_signal(&seen, sig);
                }
            })?;
        #[cfg(unix)]
        let _ = rustix::process::setrlimit(
            rustix::process::Resource::Core,
            rustix::process::Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
        Ok(Watch {
            shared,
            handle,
            thread: Some(thread),
        })
    }

    /// Takes charge of the plaintext copy: a signal removes it from now on.
    pub fn hold(&self, scratch: Scratch) {
        *lock(&self.shared.scratch) = Some(scratch);
    }

    /// Hands the plaintext copy back (to close it and report a failure).
    pub fn release(&self) -> Option<Scratch> {
        lock(&self.shared.scratch).take()
    }

    /// Runs the editor on `file` and waits for it. An editor stopped by a signal
    /// enseal was sent is reported as [`EditorError::Failed`]; [`Watch::caught`]
    /// then says which.
    pub fn run_editor(&self, editor: &Editor, file: &Path) -> Result<ExitStatus, EditorError> {
        let mut child = {
            // Held across the spawn so that a signal cannot miss the new editor.
            let mut running = lock(&self.shared.editor);
            let child = editor.spawn(file)?;
            *running = Some(child.id());
            child
        };
        let status = child.wait();
        *lock(&self.shared.editor) = None;
        status.map_err(|source| EditorError::Start {
            program: editor.program.clone(),
            source,
        })
    }

    /// Runs `write` (the replacement of the encrypted file) so that no signal stops
    /// enseal halfway through it.
    pub fn critical<T>(&self, write: impl FnOnce() -> T) -> T {
        let _guard = lock(&self.shared.critical);
        let result = write();
        self.shared.written.store(true, Ordering::SeqCst);
        result
    }

    /// The signal that stopped the edit, if one did.
    pub fn caught(&self) -> Option<i32> {
        match self.shared.caught.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(sig),
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The name of a signal enseal catches.
pub use crate::inject::child::signal_name;

fn on_signal(shared: &Shared, sig: i32) {
    let editor = *lock(&shared.editor);
    if editor.is_some() && (sig == SIGINT || sig == SIGQUIT) {
        return;
    }
    shared.caught.store(sig, Ordering::SeqCst);
    if let Some(pid) = editor {
        stop_editor(shared, pid, sig);
    }
    // Wait for a write in progress to finish; the scratch then goes.
    let _guard = lock(&shared.critical);
    if let Some(scratch) = lock(&shared.scratch).take() {
        let _ = scratch.close();
    }
    let outcome = if shared.written.load(Ordering::SeqCst) {
        "the file was already written"
    } else {
        "nothing was changed"
    };
    eprintln!(
        "enseal: stopped by {}: {outcome}; the plaintext copy is removed",
        signal_name(sig)
    );
    std::process::exit(128 + sig);
}

/// Passes `sig` on to the editor and waits a moment for it to exit, then kills it:
/// the plaintext copy must not be removed while an editor could still write it back.
fn stop_editor(shared: &Shared, pid: u32, sig: i32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    let forward = if sig == SIGHUP {
        rustix::process::Signal::HUP
    } else {
        rustix::process::Signal::TERM
    };
    let _ = rustix::process::kill_process(pid, forward);
    let gone = |limit: Duration| {
        let start = Instant::now();
        while start.elapsed() < limit {
            if lock(&shared.editor).is_none() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    };
    if !gone(EDITOR_GRACE) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        gone(Duration::from_secs(1));
    }
}
