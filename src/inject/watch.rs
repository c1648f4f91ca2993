//! Noticing that files changed on disk, for `enseal watch`.
//!
//! The directories holding the files are watched, not the files: an atomic write
//! (enseal's, sops', most editors') puts a new file in place by rename, and a watch
//! on the old inode would see nothing. Events are debounced (editors and atomic
//! writes make bursts of them) and only changes reach the caller: reading a file,
//! as decrypting it does, is not a change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

/// Watches a set of files.
pub struct FileWatch {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    files: Arc<Mutex<BTreeSet<PathBuf>>>,
    dirs: BTreeSet<PathBuf>,
}

impl FileWatch {
    /// Starts watching nothing yet; `changed` is called (on the watcher's thread)
    /// with the watched files that changed, once things have been quiet for
    /// `debounce`.
    pub fn new(
        debounce: Duration,
        changed: impl Fn(Vec<PathBuf>) + Send + 'static,
    ) -> notify_debouncer_full::notify::Result<FileWatch> {
        let files: Arc<Mutex<BTreeSet<PathBuf>>> = Arc::default();
        let watched = Arc::clone(&files);
        let debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let Ok(events) = result else {
                return;
            };
            let set = watched.lock().unwrap_or_else(|e| e.into_inner());
            let mut hit: BTreeSet<PathBuf> = BTreeSet::new();
            for e in &events {
                if !is_change(&e.event.kind) {
                    continue;
                }
                hit.extend(e.event.paths.iter().filter(|p| set.contains(*p)).cloned());
            }
            drop(set);
            if !hit.is_empty() {
                changed(hit.into_iter().collect());
            }
        })?;
        Ok(FileWatch {
            debouncer,
            files,
            dirs: BTreeSet::new(),
        })
    }

    /// Watches exactly `paths` from now on.
    pub fn set(&mut self, paths: &[PathBuf]) -> notify_debouncer_full::notify::Result<()> {
        let files: BTreeSet<PathBuf> = paths.iter().map(|p| absolute(p)).collect();
        let dirs: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        for d in dirs.difference(&self.dirs) {
            self.debouncer.watch(d, RecursiveMode::NonRecursive)?;
        }
        for d in self.dirs.difference(&dirs) {
            let _ = self.debouncer.unwatch(d);
        }
        self.dirs = dirs;
        *self.files.lock().unwrap_or_else(|e| e.into_inner()) = files;
        Ok(())
    }
}

/// Writes, creations, removals and renames are changes; opening and reading are not.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        _ => true,
    }
}

/// The path as the watcher reports it: the real directory joined with the name.
fn absolute(p: &Path) -> PathBuf {
    let name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&parent).unwrap_or(parent).join(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn sees_atomic_replacement_and_not_reads() {
        let dir = tempfile::tempdir().unwrap();
        let watched = dir.path().join("s.yaml");
        let other = dir.path().join("other.txt");
        std::fs::write(&watched, "a").unwrap();
        let (tx, rx) = mpsc::channel();
        let mut w = FileWatch::new(Duration::from_millis(50), move |p| {
            let _ = tx.send(p);
        })
        .unwrap();
        w.set(std::slice::from_ref(&watched)).unwrap();
        // Reading is not a change; another file is not watched.
        let _ = std::fs::read(&watched).unwrap();
        std::fs::write(&other, "x").unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(400)).is_err());
        crate::fs::write_atomic(&watched, b"b", 0o600).unwrap();
        let got = rx.recv_timeout(Duration::from_secs(3)).unwrap();
        assert_eq!(got, vec![absolute(&watched)]);
    }
}
