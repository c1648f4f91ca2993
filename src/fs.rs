//! Atomic file writes: a temp file in the target's directory, fsync, rename.
//!
//! A crash or a full disk leaves either the old file or the new one, never a
//! partial file, and the temp file is removed on any error. The file keeps its
//! mode (new files get 0600 unless told otherwise, since they hold secrets or
//! ciphertext of secrets).
//!
//! A rename would replace a read-only file; enseal refuses to, as a plain write would.
//! The temp file is locked (flock) while it is written: one left behind by a killed
//! enseal is unlocked, and the next write in that directory removes it.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// An advisory lock on a file being changed in place (`set`, `unset`, `rotate -i`,
/// `updatekeys`, `groups -i`): a second enseal that wants to change the same file
/// meanwhile is refused instead of overwriting the first one's work. Released when
/// dropped.
#[derive(Debug)]
pub struct EditLock(#[allow(dead_code)] fs::File);

/// Why a file could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error("another enseal is changing this file right now; try again when it has finished")]
    Busy,
    /// The file could not be opened.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Takes the edit lock of `path` without waiting.
pub fn lock_for_edit(path: &Path) -> Result<EditLock, LockError> {
    let file = fs::File::open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(EditLock(file)),
        Err(fs::TryLockError::WouldBlock) => Err(LockError::Busy),
        Err(fs::TryLockError::Error(e)) => Err(LockError::Io(e)),
    }
}

/// Replaces `path` with `contents` atomically, keeping the existing file's permissions;
/// a new file gets `new_mode` (Unix).
pub fn write_atomic(path: &Path, contents: &[u8], new_mode: u32) -> io::Result<()> {
    write_via_temp(path, contents, new_mode, true)
}

/// Replaces `path` with `contents` atomically with exactly `mode` (whatever the old
/// file had). The temp file is created with that mode before any byte is written,
/// so the contents never exist under a wider one.
pub fn write_atomic_with_mode(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    write_via_temp_mode(path, contents, Some(mode), mode, true)
}

/// Creates `path` atomically with `contents` and `mode`, failing with `AlreadyExists`
/// if something is there (never overwrites).
pub fn write_atomic_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    write_via_temp(path, contents, mode, false)
}

fn write_via_temp(path: &Path, contents: &[u8], new_mode: u32, replace: bool) -> io::Result<()> {
    write_via_temp_mode(path, contents, None, new_mode, replace)
}

fn write_via_temp_mode(
    path: &Path,
    contents: &[u8],
    forced: Option<u32>,
    new_mode: u32,
    replace: bool,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = match forced {
        Some(m) => m,
        None => final_mode(fs::metadata(path).ok().as_ref(), new_mode),
    };
    if replace {
        check_writable(path)?;
    }
    sweep_stale_temps(dir);
    // Created with the final mode (the umask can only narrow it), then set exactly,
    // before anything is written.
    let mut tmp = temp_builder(mode).tempfile_in(dir).map_err(dir_error)?;
    tmp.as_file().lock()?;
    set_mode(tmp.as_file(), mode)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    sync_dir(dir);
    Ok(())
}

/// Whether `path` could be replaced by an atomic write: the file writable and its
/// directory writable. For commands that ask the user for work first (`edit`), so
/// that a refusal comes before the editing, not after it.
pub fn check_can_replace(path: &Path) -> io::Result<()> {
    check_writable(path)?;
    #[cfg(unix)]
    {
        use rustix::fs::{access, Access};
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Err(e) = access(dir, Access::WRITE_OK | Access::EXEC_OK) {
            return Err(dir_error(e.into()));
        }
    }
    Ok(())
}

/// The error for a directory a new file cannot be made in, with why that matters.
fn dir_error(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "cannot create a file in its directory ({e}); enseal writes a new file and \
             renames it into place, so the directory must be writable"
        ),
    )
}

/// Refuses to replace a file that a plain write could not change (mode, read-only
/// mount); root may, as with any write.
#[cfg(unix)]
fn check_writable(path: &Path) -> io::Result<()> {
    use rustix::fs::{access, Access};
    match access(path, Access::WRITE_OK) {
        Err(e) if e == rustix::io::Errno::ACCESS || e == rustix::io::Errno::PERM => {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the file is read-only; make it writable (chmod u+w) to change it",
            ))
        }
        Err(e) if e == rustix::io::Errno::ROFS => Err(io::Error::new(
            io::ErrorKind::ReadOnlyFilesystem,
            "the file is on a read-only file system",
        )),
        _ => Ok(()),
    }
}

#[cfg(not(unix))]
fn check_writable(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// How old an unlocked temp file must be to count as left behind: a writer locks its
/// temp file microseconds after creating it.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

/// Removes `.enseal-*.tmp` files in `dir` that no enseal is writing (no lock) and that
/// are older than [`STALE_AFTER`]: the leftovers of a killed write. Best effort.
fn sweep_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".enseal-") && name.ends_with(".tmp")) {
            continue;
        }
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if !old || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = fs::File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() {
            let _ = fs::remove_file(&path);
        }
    }
}

#[cfg(unix)]
fn final_mode(existing: Option<&fs::Metadata>, new_mode: u32) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    existing
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(new_mode)
}

#[cfg(not(unix))]
fn final_mode(_existing: Option<&fs::Metadata>, new_mode: u32) -> u32 {
    new_mode
}

fn temp_builder(mode: u32) -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(".enseal-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Owner read/write at most while it is written; never wider than the final.
        b.permissions(fs::Permissions::from_mode(mode & 0o600));
    }
    #[cfg(not(unix))]
    let _ = mode;
    b
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Makes the rename durable; failure here only weakens durability, not atomicity.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Creates a new file with `mode`, failing if it exists (never overwrites).
pub fn write_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.yaml");
        write_atomic(&p, b"one", 0o600).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
            fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
            write_atomic(&p, b"two", 0o600).unwrap();
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        assert_eq!(fs::read(&p).unwrap(), b"two");
        // No temp files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_write_sweeps_temp_files_left_by_killed_writes_only() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        let make = |name: &str, mtime: Option<std::time::SystemTime>| {
            let p = dir.path().join(name);
            let f = fs::File::create(&p).unwrap();
            if let Some(t) = mtime {
                f.set_modified(t).unwrap();
            }
            (p, f)
        };
        let (left, _) = make(".enseal-left.tmp", Some(old));
        let (writing, held) = make(".enseal-writing.tmp", Some(old));
        held.lock().unwrap();
        let (fresh, _) = make(".enseal-fresh.tmp", None);
        let (other, _) = make("other.tmp", Some(old));
        write_atomic(&dir.path().join("f.yaml"), b"x", 0o600).unwrap();
        assert!(!left.exists(), "an old unlocked temp file is a leftover");
        assert!(writing.exists(), "a locked one is being written");
        assert!(fresh.exists(), "a new one may be about to be locked");
        assert!(other.exists(), "not ours");
    }

    #[test]
    fn failed_write_leaves_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("f");
        assert!(write_atomic(&p, b"x", 0o600).is_err());
        let q = dir.path().join("g");
        write_new(&q, b"1", 0o600).unwrap();
        assert_eq!(
            write_new(&q, b"2", 0o600).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&q).unwrap(), b"1");
        assert_eq!(
            write_atomic_new(&q, b"3", 0o600).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&q).unwrap(), b"1");
        let r = dir.path().join("h");
        write_atomic_new(&r, b"4", 0o600).unwrap();
        assert_eq!(fs::read(&r).unwrap(), b"4");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
