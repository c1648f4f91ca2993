//! Handing decrypted content to a child as a path (`exec-file`).
//!
//! The path is in a private directory (0700) on a memory-backed filesystem when there
//! is one (the same place `edit` uses). By default it is a FIFO: the plaintext never
//! exists as a file, it goes through the kernel's pipe buffer to the first reader,
//! and the FIFO is removed once read (a second open finds no file, instead of
//! hanging). With `--no-fifo` it is a 0600 file, for programs that read a file more
//! than once or seek in it. Either way the directory is removed when the child
//! exits, is killed, or enseal is stopped by a signal; after a SIGKILL of enseal
//! itself the next `edit` or `exec-file` sweeps it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::edit::scratch::{self, Scratch};

/// The decrypted content at a path, for as long as this lives.
pub struct Handoff {
    scratch: Option<Scratch>,
    stop: Arc<AtomicBool>,
    writer: Option<JoinHandle<()>>,
}

impl Handoff {
    /// Serves `contents` through a FIFO called `name`.
    pub fn fifo(name: &str, contents: Zeroizing<Vec<u8>>) -> io::Result<Handoff> {
        let scratch = Scratch::empty(&base(), name)?;
        rustix::fs::mknodat(
            rustix::fs::CWD,
            scratch.file(),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )?;
        let stop = Arc::new(AtomicBool::new(false));
        let path = scratch.file().to_path_buf();
        let flag = Arc::clone(&stop);
        let writer = std::thread::Builder::new()
            .name("enseal-fifo".into())
            .spawn(move || serve_once(&path, &contents, &flag))?;
        Ok(Handoff {
            scratch: Some(scratch),
            stop,
            writer: Some(writer),
        })
    }

    /// Writes `contents` to a 0600 file called `name`.
    pub fn file(name: &str, contents: &[u8]) -> io::Result<Handoff> {
        Ok(Handoff {
            scratch: Some(Scratch::create(&base(), name, contents)?),
            stop: Arc::new(AtomicBool::new(true)),
            writer: None,
        })
    }

    /// The path the child is given.
    pub fn path(&self) -> &Path {
        self.scratch.as_ref().expect("open until closed").file()
    }

    /// Stops serving and removes everything (zero-filling a file first).
    pub fn close(mut self) -> io::Result<()> {
        self.stop_writer();
        match self.scratch.take() {
            Some(s) => s.close(),
            None => Ok(()),
        }
    }

    fn stop_writer(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(w) = self.writer.take() {
            if !w.is_finished() {
                // A writer still waiting for a reader: open the FIFO for reading so
                // its open returns; it sees `stop` and leaves without writing.
                if let Some(s) = &self.scratch {
                    let _ = rustix::fs::open(
                        s.file(),
                        rustix::fs::OFlags::RDONLY
                            | rustix::fs::OFlags::NONBLOCK
                            | rustix::fs::OFlags::CLOEXEC,
                        rustix::fs::Mode::empty(),
                    );
                }
                let deadline = std::time::Instant::now() + Duration::from_millis(200);
                while !w.is_finished() && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            // A writer blocked in `write` ends with EPIPE once the child's end is
            // closed; one kept open by a grandchild is left to finish on its own.
            if w.is_finished() {
                let _ = w.join();
            }
        }
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.stop_writer();
        // Scratch's own Drop removes the directory.
    }
}

fn base() -> PathBuf {
    let runtime = std::env::var("XDG_RUNTIME_DIR").ok();
    let base = scratch::choose_base(runtime.as_deref(), std::env::temp_dir());
    scratch::sweep(&base.dir);
    base.dir
}

/// Waits for a reader, writes everything to it, and removes the FIFO. `stop` set
/// together with a throw-away reader (see [`Handoff::close`]) ends a wait for a
/// child that never opens it.
fn serve_once(path: &Path, contents: &[u8], stop: &AtomicBool) {
    use rustix::fs::OFlags;
    let Ok(fd) = rustix::fs::open(
        path,
        OFlags::WRONLY | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return;
    };
    // Nobody else may open it now: a second reader would get nothing or half.
    let _ = std::fs::remove_file(path);
    if stop.load(Ordering::SeqCst) {
        return;
    }
    let mut file = std::fs::File::from(fd);
    // EPIPE (the reader went away) is not enseal's failure to report.
    let _ = file.write_all(contents);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_is_read_once_then_gone() {
        let h = Handoff::fifo("s.yaml", Zeroizing::new(b"a: 1\n".to_vec())).unwrap();
        let path = h.path().to_path_buf();
        let dir = path.parent().unwrap().to_path_buf();
        let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
        use std::os::unix::fs::FileTypeExt;
        assert!(kind.is_fifo());
        assert_eq!(std::fs::read(&path).unwrap(), b"a: 1\n");
        // Removed once opened.
        for _ in 0..100 {
            if !path.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!path.exists());
        h.close().unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn unread_fifo_and_file_are_removed() {
        let h = Handoff::fifo("s.yaml", Zeroizing::new(b"x".to_vec())).unwrap();
        let dir = h.path().parent().unwrap().to_path_buf();
        h.close().unwrap();
        assert!(!dir.exists());
        let h = Handoff::file("s.json", b"{}").unwrap();
        let path = h.path().to_path_buf();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        drop(h);
        assert!(!path.parent().unwrap().exists());
    }
}
