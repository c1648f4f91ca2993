//! The plaintext copy an editor works on.
//!
//! It lives in a new private directory (0700) on a memory-backed filesystem when the
//! system has one (`$XDG_RUNTIME_DIR`, `/dev/shm`), so it never reaches a disk, and
//! is named like the original so editors pick the right syntax. Editors write swap
//! and backup files next to the file they edit: they land in the same directory and
//! go with it. Everything in the directory is overwritten with zeros and removed when
//! the [`Scratch`] is closed or dropped.
//!
//! The directory is locked (flock) while its enseal lives. A copy left behind by an
//! enseal that could not clean up (SIGKILL, a power cut on the disk fallback) is
//! unlocked, and the next `edit` removes it ([`sweep`]).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where the private directory is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The parent directory.
    pub dir: PathBuf,
    /// Whether it is memory-backed (tmpfs); false means the plaintext touches a disk.
    pub memory: bool,
}

/// Chooses where plaintext copies go: `$XDG_RUNTIME_DIR` (a private tmpfs on systemd
/// machines), else `/dev/shm`, else the temp directory on disk.
pub fn choose_base(xdg_runtime_dir: Option<&str>, temp_dir: PathBuf) -> Base {
    let candidates = xdg_runtime_dir
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && is_private_dir(p))
        .into_iter()
        .chain([PathBuf::from("/dev/shm")]);
    for dir in candidates {
        if dir.is_dir() && is_memory_backed(&dir) && is_writable(&dir) {
            return Base { dir, memory: true };
        }
    }
    Base {
        dir: temp_dir,
        memory: false,
    }
}

/// The XDG spec's runtime directory is owned by the user with mode 0700; anything
/// else is not trusted with plaintext.
#[cfg(unix)]
fn is_private_dir(p: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(p).is_ok_and(|m| {
        m.is_dir() && m.uid() == rustix::process::getuid().as_raw() && m.mode() & 0o077 == 0
    })
}

#[cfg(not(unix))]
fn is_private_dir(p: &Path) -> bool {
    p.is_dir()
}

#[cfg(target_os = "linux")]
fn is_memory_backed(p: &Path) -> bool {
    const TMPFS_MAGIC: u64 = 0x0102_1994;
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    rustix::fs::statfs(p).is_ok_and(|s| {
        let kind = s.f_type as u64;
        kind == TMPFS_MAGIC || kind == RAMFS_MAGIC
    })
}

// Elsewhere /dev/shm and the runtime directory are memory-backed by convention.
#[cfg(not(target_os = "linux"))]
fn is_memory_backed(_p: &Path) -> bool {
    true
}

fn is_writable(p: &Path) -> bool {
    rustix::fs::access(
        p,
        rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK,
    )
    .is_ok()
}

/// Name prefix of live private directories (a directory being set up has another
/// prefix until it is locked, so [`sweep`] never takes one that is being made).
const PREFIX: &str = "enseal-edit-";
const NEW_PREFIX: &str = ".enseal-new-";

/// A private directory holding one plaintext file.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
    file: PathBuf,
    /// The directory's flock: held while this enseal lives.
    _lock: fs::File,
    closed: bool,
}

impl Scratch {
    /// Makes a private directory in `base` and writes `contents` to `name` in it (0600).
    pub fn create(base: &Path, name: &str, contents: &[u8]) -> io::Result<Scratch> {
        let mut scratch = Scratch::empty(base, name)?;
        write_private(&scratch.file, contents).inspect_err(|_| scratch.shred_quietly())?;
        Ok(scratch)
    }

    /// Makes a private directory in `base`; [`Scratch::file`] names `name` in it,
    /// which the caller creates (a FIFO, say).
    pub fn empty(base: &Path, name: &str) -> io::Result<Scratch> {
        let tag: String = {
            use rand::Rng;
            let n: u64 = rand::thread_rng().gen();
            format!("{}-{n:016x}", std::process::id())
        };
        let staging = base.join(format!("{NEW_PREFIX}{tag}"));
        let dir = base.join(format!("{PREFIX}{tag}"));
        make_private_dir(&staging)?;
        let lock = match fs::File::open(&staging)
            .and_then(|f| f.try_lock().map(|()| f).map_err(io::Error::from))
        {
            Ok(f) => f,
            Err(e) => {
                let _ = fs::remove_dir(&staging);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&staging, &dir) {
            let _ = fs::remove_dir(&staging);
            return Err(e);
        }
        Ok(Scratch {
            file: dir.join(name),
            dir,
            _lock: lock,
            closed: false,
        })
    }

    /// The plaintext file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The private directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Overwrites and removes everything, reporting a failure (the caller tells the
    /// user where the plaintext is left).
    pub fn close(mut self) -> io::Result<()> {
        self.closed = true;
        shred_dir(&self.dir)
    }

    fn shred_quietly(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = shred_dir(&self.dir);
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.shred_quietly();
    }
}

#[cfg(unix)]
fn make_private_dir(p: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().mode(0o700).create(p)
}

#[cfg(not(unix))]
fn make_private_dir(p: &Path) -> io::Result<()> {
    fs::create_dir(p)
}

fn write_private(p: &Path, contents: &[u8]) -> io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(p)?;
    f.write_all(contents)?;
    f.flush()
}

/// Overwrites every regular file below `dir` with zeros, then removes the tree.
/// Symlinks are removed, never followed.
pub fn shred_dir(dir: &Path) -> io::Result<()> {
    let mut first_err = None;
    for entry in fs::read_dir(dir)? {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                first_err.get_or_insert(e);
                continue;
            }
        };
        let result = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => shred_dir(&path),
            Ok(m) if m.is_file() => zero_file(&path, m.len()).and_then(|()| fs::remove_file(&path)),
            Ok(_) => fs::remove_file(&path),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            first_err.get_or_insert(e);
        }
    }
    if let Err(e) = fs::remove_dir(dir) {
        first_err.get_or_insert(e);
    }
    first_err.map_or(Ok(()), Err)
}

/// Overwrites a file's bytes in place (on tmpfs this clears the pages that held the
/// plaintext; on a disk it is best effort).
fn zero_file(path: &Path, len: u64) -> io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).open(path)?;
    let zeros = [0u8; 8192];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

/// Removes private directories in `base` whose enseal is gone (their lock is free);
/// returns how many were removed.
pub fn sweep(base: &Path) -> usize {
    let Ok(entries) = fs::read_dir(base) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || !owned_by_me(&meta) {
            continue;
        }
        // The lock is free only when the enseal that made it is gone.
        let Ok(dir) = fs::File::open(&path) else {
            continue;
        };
        if dir.try_lock().is_ok() && shred_dir(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(unix)]
fn owned_by_me(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == rustix::process::getuid().as_raw()
}

#[cfg(not(unix))]
fn owned_by_me(_meta: &fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_copy_is_shredded_on_close_and_drop() {
        let base = tempfile::tempdir().unwrap();
        let s = Scratch::create(base.path(), "secrets.yaml", b"a: 1\n").unwrap();
        assert_eq!(fs::read(s.file()).unwrap(), b"a: 1\n");
        assert!(s.dir().starts_with(base.path()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(s.dir()), 0o700);
            assert_eq!(mode(s.file()), 0o600);
        }
        // An editor's swap file and backup go with it.
        fs::write(s.dir().join(".secrets.yaml.swp"), b"swap").unwrap();
        fs::create_dir(s.dir().join("sub")).unwrap();
        fs::write(s.dir().join("sub").join("x~"), b"backup").unwrap();
        s.close().unwrap();
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 0);

        let s = Scratch::create(base.path(), "x.env", b"A=1\n").unwrap();
        drop(s);
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 0);
    }

    #[test]
    fn sweep_takes_only_dead_copies() {
        let base = tempfile::tempdir().unwrap();
        let live = Scratch::create(base.path(), "a.yaml", b"a: 1\n").unwrap();
        // A copy whose enseal died: same shape, no lock held.
        let dead = base.path().join(format!("{PREFIX}1-00"));
        make_private_dir(&dead).unwrap();
        fs::write(dead.join("b.yaml"), b"b: 2\n").unwrap();
        // Something else entirely.
        fs::create_dir(base.path().join("other")).unwrap();
        assert_eq!(sweep(base.path()), 1);
        assert!(!dead.exists());
        assert!(live.file().exists());
        assert!(base.path().join("other").exists());
    }

    #[test]
    fn base_falls_back_to_disk() {
        let tmp = tempfile::tempdir().unwrap();
        // A runtime dir that is not private is not used.
        let open = tmp.path().join("open");
        fs::create_dir(&open).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let base = choose_base(open.to_str(), tmp.path().to_path_buf());
        assert_ne!(base.dir, open);
        if !Path::new("/dev/shm").is_dir() {
            assert_eq!(
                base,
                Base {
                    dir: tmp.path().to_path_buf(),
                    memory: false
                }
            );
        }
    }
}
