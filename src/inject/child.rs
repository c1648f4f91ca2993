//! Running a child with secrets: enseal stays as its parent (to clean up after it)
//! and passes signals on, so the child behaves as if it had been started directly.
//!
//! SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to enseal go to the child. SIGINT and
//! SIGQUIT go to it only when a process sent them (`kill -INT`): from a terminal's
//! Ctrl-C they already reach the child, which is in the same process group, and a
//! second copy would make it see two. enseal itself never dies of them while the
//! child runs: it waits for the child, cleans up, and exits with the child's status.

use std::io;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::{Handle, SignalsInfo};
use signal_hook::low_level::siginfo::Cause;

const CAUGHT: [i32; 6] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2];

#[derive(Default)]
struct Shared {
    /// The running child's process id.
    child: Mutex<Option<u32>>,
    /// A stopping signal that arrived while no child ran.
    pending: AtomicI32,
    /// Told about stopping signals (`watch` ends its loop on them).
    stop: Mutex<Option<Sender<i32>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Catches signals for as long as it lives and passes them to the child.
pub struct Supervisor {
    shared: Arc<Shared>,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts catching signals. Stopping signals (TERM, HUP, INT, QUIT) that find no
    /// child running are sent to `stop`, if given. Core dumps are turned off: one
    /// would hold the secrets.
    pub fn start(stop: Option<Sender<i32>>) -> io::Result<Supervisor> {
        let mut signals = SignalsInfo::<WithOrigin>::new(CAUGHT)?;
        let handle = signals.handle();
        let shared = Arc::new(Shared {
            stop: Mutex::new(stop),
            ..Shared::default()
        });
        let seen = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("enseal-signals".into())
            .spawn(move || {
                for origin in signals.forever() {
                    on_signal(&seen, origin.signal, matches!(origin.cause, Cause::Sent(_)));
                }
            })?;
        let _ = rustix::process::setrlimit(
            rustix::process::Resource::Core,
            rustix::process::Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
        Ok(Supervisor {
            shared,
            handle,
            thread: Some(thread),
        })
    }

    /// Starts `command` as the supervised child. Refused when a stopping signal has
    /// already arrived (enseal was told to stop before the child existed).
    pub fn spawn(&self, command: &mut Command) -> io::Result<Child> {
        let mut running = lock(&self.shared.child);
        if let Some(sig) = self.pending() {
            return Err(io::Error::other(format!(
                "stopped by {} before the command started",
                signal_name(sig)
            )));
        }
        let child = command.spawn()?;
        *running = Some(child.id());
        Ok(child)
    }

    /// Waits for the child to exit.
    pub fn wait(&self, child: &mut Child) -> io::Result<ExitStatus> {
        let status = child.wait();
        let mut running = lock(&self.shared.child);
        if *running == Some(child.id()) {
            *running = None;
        }
        status
    }

    /// Forgets the child (it has been waited for elsewhere).
    pub fn forget(&self, pid: u32) {
        let mut running = lock(&self.shared.child);
        if *running == Some(pid) {
            *running = None;
        }
    }

    /// Sends `sig` to the running child, if there is one.
    pub fn signal_child(&self, sig: i32) -> bool {
        match *lock(&self.shared.child) {
            Some(pid) => send(pid, sig),
            None => false,
        }
    }

    /// A stopping signal that arrived while no child ran.
    pub fn pending(&self) -> Option<i32> {
        match self.shared.pending.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(sig),
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn on_signal(shared: &Shared, sig: i32, sent_by_process: bool) {
    let child = *lock(&shared.child);
    match child {
        Some(pid) => {
            let from_terminal = (sig == SIGINT || sig == SIGQUIT) && !sent_by_process;
            if !from_terminal {
                send(pid, sig);
            }
        }
        None if sig == SIGUSR1 || sig == SIGUSR2 => {}
        None => {
            shared.pending.store(sig, Ordering::SeqCst);
            if let Some(tx) = lock(&shared.stop).as_ref() {
                let _ = tx.send(sig);
            }
        }
    }
}

fn send(pid: u32, sig: i32) -> bool {
    let (Some(pid), Some(sig)) = (
        rustix::process::Pid::from_raw(pid as i32),
        rustix::process::Signal::from_named_raw(sig),
    ) else {
        return false;
    };
    rustix::process::kill_process(pid, sig).is_ok()
}

/// The name of a signal enseal handles.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2",
        _ => "a signal",
    }
}

/// A signal by name (`HUP`, `SIGHUP`, `hup`, or a number) for `--signal`.
pub fn signal_by_name(name: &str) -> Option<i32> {
    if let Ok(n) = name.parse::<i32>() {
        return rustix::process::Signal::from_named_raw(n).map(|_| n);
    }
    let upper = name.to_ascii_uppercase();
    let short = upper.strip_prefix("SIG").unwrap_or(&upper);
    Some(match short {
        "HUP" => SIGHUP,
        "INT" => SIGINT,
        "QUIT" => SIGQUIT,
        "TERM" => SIGTERM,
        "USR1" => SIGUSR1,
        "USR2" => SIGUSR2,
        _ => return None,
    })
}

/// The exit code a shell gives for `status`: the child's code, or 128 + the signal
/// that killed it.
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => 1,
    }
}

/// The command to run: the arguments as given, or, for a single argument with a
/// space in it, that string run by `sh -c` (as `sops exec-env FILE 'cmd args'` does).
pub fn command(argv: &[String]) -> Option<Command> {
    match argv {
        [] => None,
        [one] if one.contains(char::is_whitespace) => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c").arg(one);
            Some(c)
        }
        [program, args @ ..] => {
            let mut c = Command::new(program);
            c.args(args);
            Some(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!(signal_by_name("hup"), Some(SIGHUP));
        assert_eq!(signal_by_name("SIGUSR2"), Some(SIGUSR2));
        assert_eq!(signal_by_name("15"), Some(SIGTERM));
        assert_eq!(signal_by_name("NOPE"), None);
        let status = Command::new("/bin/sh")
            .args(["-c", "exit 7"])
            .status()
            .unwrap();
        assert_eq!(exit_code(status), 7);
        let status = Command::new("/bin/sh")
            .args(["-c", "kill -TERM $$"])
            .status()
            .unwrap();
        assert_eq!(exit_code(status), 143);
    }

    #[test]
    fn one_string_with_spaces_runs_in_a_shell() {
        let out = command(&["echo a  b".into()]).unwrap().output().unwrap();
        assert_eq!(out.stdout, b"a b\n");
        let out = command(&["echo".into(), "a  b".into()])
            .unwrap()
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"a  b\n");
        assert!(command(&[]).is_none());
    }
}
