//! `enseal edit` with scripted editors (shell scripts standing in for `$EDITOR`) and
//! with a real vim in a tmux session: what is saved, what `git diff` shows, that no
//! plaintext copy survives any way enseal stops, and that a second edit is refused.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{mode, show, Run, TestEnv};
use crate::set::{next_second, CASES};

/// A test environment whose plaintext copies go to a private runtime directory (on
/// /dev/shm when there is one, as `$XDG_RUNTIME_DIR` is on a desktop) and whose temp
/// directory is its own, so the tests can see everything enseal leaves behind.
struct Editing {
    env: TestEnv,
    recipient: String,
    runtime: tempfile::TempDir,
    tmp: PathBuf,
    /// Where the scripted editors write the path they were given, one per run.
    seen: PathBuf,
}

impl Editing {
    fn new() -> Editing {
        let (mut env, recipient) = TestEnv::with_age_key();
        let runtime = crate::common::private_runtime("enseal-test-run-");
        let tmp = env.dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let seen = env.dir.path().join("seen");
        env.set("XDG_RUNTIME_DIR", runtime.path().display().to_string());
        env.set("TMPDIR", tmp.display().to_string());
        Editing {
            env,
            recipient,
            runtime,
            tmp,
            seen,
        }
    }

    /// Writes an editor script (sh; `$1` is the file) and makes it `$EDITOR`. Every
    /// script first records the path it was given.
    fn editor(&mut self, body: &str) {
        let path = self.env.dir.path().join("editor.sh");
        let script = format!(
            "#!/bin/sh\nset -e\necho \"$1\" >> '{}'\n{body}\n",
            self.seen.display()
        );
        std::fs::write(&path, script).unwrap();
        crate::common::chmod(&path, 0o755);
        self.env.set("EDITOR", path.display().to_string());
    }

    fn edit(&self, args: &[&str]) -> Run {
        self.env.enseal(&[&["edit"], args].concat())
    }

    /// The paths the editors were given.
    fn seen(&self) -> Vec<PathBuf> {
        std::fs::read_to_string(&self.seen)
            .unwrap_or_default()
            .lines()
            .map(PathBuf::from)
            .collect()
    }

    /// Nothing of any plaintext copy is left: not the copies the editors saw, not their
    /// directories, nothing in the runtime or temp directory, no temp file beside the
    /// encrypted files.
    #[track_caller]
    fn assert_no_plaintext_left(&self) {
        for p in self.seen() {
            assert!(!p.exists(), "the plaintext copy {} is left", p.display());
            assert!(
                !p.parent().unwrap().exists(),
                "the private directory of {} is left",
                p.display()
            );
        }
        for dir in [self.runtime.path(), &self.tmp] {
            let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
            assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
        }
        for name in self.env.listing() {
            assert!(!name.starts_with(".enseal"), "temp file {name} left");
        }
    }

    /// Starts `enseal edit` without waiting for it.
    fn spawn_edit(&self, file: &str) -> Child {
        self.env
            .command(Path::new(env!("CARGO_BIN_EXE_enseal")), &["edit", file])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `db.password` of app.yaml, decrypted.
    fn password(&self) -> Vec<u8> {
        self.env
            .enseal(&["decrypt", "--extract", r#"["db"]["password"]"#, "app.yaml"])
            .ok()
            .stdout
    }

    fn encrypt(&self, name: &str, plain: &str) {
        self.env.write(name, plain);
        self.env
            .enseal(&["encrypt", "--age", &self.recipient, "-i", name])
            .ok();
    }
}

fn numstat(env: &TestEnv) -> String {
    env.git(&["diff", "--numstat"]).ok().stdout_str()
}

/// Waits until `path` exists (an editor script got going).
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: u32, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} {pid}");
}

/// Whether a process is still running (a zombie waiting to be reaped is not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
            !matches!(state, Some(Some('Z' | 'X')))
        })
        .unwrap_or(false)
}

/// Waits for `child` with a limit; returns its output.
fn finish(mut child: Child) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("enseal did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Change a value (every format), add a key, delete a key: the file holds the edit,
/// `git diff` shows only the lines that changed plus `lastmodified` and `mac`, and
/// sops reads the result.
#[test]
fn scripted_edits_change_only_what_changed() {
    let mut t = Editing::new();
    t.env.git(&["init", "-q"]).ok();
    for c in &CASES {
        t.encrypt(c.name, c.plain);
    }
    t.env.git(&["add", "."]).ok();
    t.env.git(&["commit", "-qm", "encrypted"]).ok();
    next_second();
    for c in &CASES {
        t.editor("sed -i 's/old-pa55/n3w-pa55/' \"$1\"");
        t.edit(&[c.name]).ok();
        assert_eq!(
            numstat(&t.env),
            format!("3\t3\t{}\n", c.name),
            "{}:\n{}",
            c.name,
            t.env.git(&["diff"]).ok().stdout_str()
        );
        let ours = t.env.enseal(&["decrypt", c.name]).ok().stdout;
        assert_eq!(show(&ours), c.plain.replacen(c.old, c.new, 1), "{}", c.name);
        if c.name != "app.toml" {
            let theirs = t
                .env
                .sops(&["decrypt", "--extract", c.index, c.name])
                .ok()
                .stdout;
            assert_eq!(theirs, b"n3w-pa55", "{}: sops reads another value", c.name);
        }
        t.env.git(&["commit", "-qam", c.name]).ok();
    }
    // A new key: one line more, plus lastmodified, mac and the seal (the shape changed).
    next_second();
    t.editor("printf 'added: new-value\\n' >> \"$1\"");
    t.edit(&["app.yaml"]).ok();
    assert_eq!(numstat(&t.env), "4\t3\tapp.yaml\n");
    let theirs = t
        .env
        .sops(&["decrypt", "--extract", r#"["added"]"#, "app.yaml"])
        .ok();
    assert_eq!(theirs.stdout, b"new-value");
    t.env.git(&["commit", "-qam", "added"]).ok();
    // A key deleted: one line less (and a new seal).
    next_second();
    t.editor("sed -i '/^DB_HOST=/d' \"$1\"");
    t.edit(&["app.env"]).ok();
    assert_eq!(numstat(&t.env), "3\t4\tapp.env\n");
    let ours = t.env.enseal(&["decrypt", "app.env"]).ok().stdout;
    assert_eq!(show(&ours), "# settings\n\nDB_PASSWORD=n3w-pa55\n");
    assert_eq!(t.seen().len(), CASES.len() + 2);
    t.assert_no_plaintext_left();
}

/// A file sops wrote stays in sops' layout: an edited value changes three lines, and
/// the file is not marked as laid out by enseal.
#[test]
fn files_sops_wrote_stay_in_sops_layout() {
    let mut t = Editing::new();
    t.env.git(&["init", "-q"]).ok();
    let cases: Vec<_> = CASES.iter().filter(|c| c.name != "app.toml").collect();
    for c in &cases {
        t.env.write(c.name, c.plain);
        let enc = t
            .env
            .sops(&["encrypt", "--age", &t.recipient, c.name])
            .ok()
            .stdout;
        t.env.write(c.name, enc);
    }
    t.env.git(&["add", "."]).ok();
    t.env.git(&["commit", "-qm", "encrypted by sops"]).ok();
    next_second();
    t.editor("sed -i 's/old-pa55/n3w-pa55/' \"$1\"");
    for c in &cases {
        let before = t.env.sops(&["decrypt", c.name]).ok().stdout;
        t.edit(&[c.name]).ok();
        assert_eq!(
            numstat(&t.env),
            format!("3\t3\t{}\n", c.name),
            "{}:\n{}",
            c.name,
            t.env.git(&["diff"]).ok().stdout_str()
        );
        assert!(
            !show(&t.env.read(c.name)).contains("enseal_layout"),
            "{}",
            c.name
        );
        let after = t.env.sops(&["decrypt", c.name]).ok().stdout;
        assert_eq!(
            show(&after),
            show(&before).replacen("old-pa55", "n3w-pa55", 1)
        );
        t.env.git(&["commit", "-qam", c.name]).ok();
    }
    t.assert_no_plaintext_left();
}

/// The copy is private (0600 in a 0700 directory), in memory when the system has a
/// memory-backed directory, and named like the file so the editor knows the syntax.
#[test]
fn the_copy_is_private_in_memory_and_named_like_the_file() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "a: 1\n");
    let facts = t.env.dir.path().join("facts");
    t.editor(&format!(
        "{{ stat -c %a \"$1\"; stat -c %a \"$(dirname \"$1\")\"; stat -f -c %T \"$1\"; basename \"$1\"; }} > '{}'",
        facts.display()
    ));
    let run = t.edit(&["app.yaml"]);
    assert_eq!(run.status, 200, "{}", run.stderr);
    let facts = std::fs::read_to_string(facts).unwrap();
    let lines: Vec<&str> = facts.lines().collect();
    assert_eq!(lines[0], "600");
    assert_eq!(lines[1], "700");
    assert_eq!(lines[3], "app.yaml");
    if Path::new("/dev/shm").is_dir() {
        assert_eq!(lines[2], "tmpfs");
        assert!(t.seen()[0].starts_with(t.runtime.path()));
        assert!(!run.stderr.contains("on disk"), "{}", run.stderr);
    }
    t.assert_no_plaintext_left();
}

/// Saving nothing (or the same text, or in a file sops wrote, a text with the same
/// values) leaves the file byte for byte as it was, with sops' exit code 200.
#[test]
fn saving_nothing_leaves_the_file_byte_identical() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: s3cret\n");
    let before = t.env.read("app.yaml");
    for body in [
        ":",
        "touch \"$1\"",
        "cp \"$1\" \"$1.x\" && mv \"$1.x\" \"$1\"",
    ] {
        t.editor(body);
        let run = t.edit(&["app.yaml"]);
        assert_eq!(run.status, 200, "{body}: {}", run.stderr);
        assert!(run.stderr.contains("no change"), "{}", run.stderr);
        assert_eq!(t.env.read("app.yaml"), before, "{body}");
    }
    // A file sops wrote is in sops' layout: a blank line more changes no value.
    t.env.write("sops.yaml", "db:\n    password: s3cret\n");
    let enc = t
        .env
        .sops(&["encrypt", "--age", &t.recipient, "sops.yaml"])
        .ok()
        .stdout;
    t.env.write("sops.yaml", &enc);
    t.editor("echo >> \"$1\"");
    let run = t.edit(&["sops.yaml"]);
    assert_eq!(run.status, 200, "{}", run.stderr);
    assert_eq!(t.env.read("sops.yaml"), enc);
    t.assert_no_plaintext_left();
}

/// A save that does not parse: the error (line and column, no text from the file),
/// then the editor again with the user's text, or, answering no, nothing changed.
#[test]
fn invalid_text_is_reopened_or_abandoned() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: old-pa55\n");
    t.env.git(&["init", "-q"]).ok();
    t.env.git(&["add", "."]).ok();
    t.env.git(&["commit", "-qm", "encrypted"]).ok();
    next_second();
    let before = t.env.read("app.yaml");
    let tries = t.env.dir.path().join("tries");
    // First save: broken YAML holding a secret; second: the broken text is still
    // there (nothing lost), and is fixed.
    t.editor(&format!(
        "if [ ! -f '{tries}' ]; then\n  touch '{tries}'\n  printf 'db: [s3cr3t-in-bad-text\\n' > \"$1\"\nelse\n  grep -q s3cr3t-in-bad-text \"$1\"\n  printf 'db:\\n  password: fixed-pa55\\n' > \"$1\"\nfi",
        tries = tries.display()
    ));
    let run = t.env.enseal_stdin(&["edit", "app.yaml"], b"y\n");
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("line "), "{}", run.stderr);
    assert!(run.stderr.contains("Reopen the editor"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    assert_eq!(t.seen().len(), 2);
    assert_eq!(t.seen()[0], t.seen()[1], "the same copy is reopened");
    assert_eq!(t.password(), b"fixed-pa55");
    assert_eq!(numstat(&t.env), "3\t3\tapp.yaml\n");

    // No, or no answer at all: the edit is abandoned and the file left as it was.
    let before_fixed = t.env.read("app.yaml");
    assert_ne!(before_fixed, before);
    t.editor("printf 'db: [broken\\n' > \"$1\"");
    for answer in [&b"n\n"[..], b""] {
        let run = t.env.enseal_stdin(&["edit", "app.yaml"], answer);
        assert_eq!(run.status, 1, "{}", run.stderr);
        assert!(run.stderr.contains("abandoned"), "{}", run.stderr);
        assert_eq!(t.env.read("app.yaml"), before_fixed);
    }
    // A top-level `sops` key is refused the same way.
    t.editor("printf 'sops: 1\\n' >> \"$1\"");
    let run = t.env.enseal_stdin(&["edit", "app.yaml"], b"n\n");
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("`sops` key"), "{}", run.stderr);
    assert_eq!(t.env.read("app.yaml"), before_fixed);
    t.assert_no_plaintext_left();
}

/// An editor that fails (or cannot start) changes nothing, whatever it saved.
#[test]
fn a_failing_editor_changes_nothing() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: old-pa55\n");
    let before = t.env.read("app.yaml");
    t.editor("sed -i 's/old-pa55/n3w-pa55/' \"$1\"\nexit 3");
    let run = t.edit(&["app.yaml"]);
    assert_eq!(run.status, 201, "{}", run.stderr);
    assert!(run.stderr.contains("failed"), "{}", run.stderr);
    assert_eq!(t.env.read("app.yaml"), before);
    t.env.set("EDITOR", "/nonexistent/editor --wait");
    let run = t.edit(&["app.yaml"]);
    assert_eq!(run.status, 201, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot start the editor"),
        "{}",
        run.stderr
    );
    assert_eq!(t.env.read("app.yaml"), before);
    t.assert_no_plaintext_left();
}

/// SIGTERM or SIGHUP while the editor is open: the editor is stopped, the copy removed,
/// the file untouched, exit 128 + the signal. SIGINT is the editor's (Ctrl-C reaches
/// both): enseal carries on.
#[test]
fn signals_while_the_editor_is_open() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: old-pa55\n");
    let before = t.env.read("app.yaml");
    let pid_file = t.env.dir.path().join("editor.pid");
    let go = t.env.dir.path().join("go");
    t.editor(&format!(
        "echo $$ > '{pid}.tmp' && mv '{pid}.tmp' '{pid}'\nwhile [ ! -f '{go}' ]; do sleep 0.05; done\nsed -i 's/old-pa55/n3w-pa55/' \"$1\"",
        pid = pid_file.display(),
        go = go.display()
    ));
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let _ = std::fs::remove_file(&pid_file);
        let child = t.spawn_edit("app.yaml");
        wait_for(&pid_file);
        let editor: u32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        signal(child.id(), sig);
        let out = finish(child);
        assert_eq!(
            out.status.code(),
            Some(code),
            "SIG{sig}: {}",
            show(&out.stderr)
        );
        assert!(show(&out.stderr).contains(&format!("stopped by SIG{sig}")));
        assert!(!running(editor), "SIG{sig}: the editor still runs");
        assert_eq!(t.env.read("app.yaml"), before);
        t.assert_no_plaintext_left();
    }
    // SIGINT goes to the editor's terminal group; enseal waits for the editor.
    let _ = std::fs::remove_file(&pid_file);
    let child = t.spawn_edit("app.yaml");
    wait_for(&pid_file);
    signal(child.id(), "INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(running(child.id()), "SIGINT stopped enseal");
    std::fs::write(&go, "").unwrap();
    let out = finish(child);
    assert!(out.status.success(), "{}", show(&out.stderr));
    assert_eq!(t.password(), b"n3w-pa55");
    t.assert_no_plaintext_left();
}

/// SIGKILL cannot be caught: the file is untouched, the copy stays behind, and the
/// next edit removes it.
#[test]
fn a_copy_left_by_sigkill_is_removed_by_the_next_edit() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: old-pa55\n");
    let before = t.env.read("app.yaml");
    let pid_file = t.env.dir.path().join("editor.pid");
    t.editor(&format!(
        "echo $$ > '{pid}.tmp' && mv '{pid}.tmp' '{pid}'\nexec sleep 60",
        pid = pid_file.display()
    ));
    let child = t.spawn_edit("app.yaml");
    wait_for(&pid_file);
    let editor: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    signal(child.id(), "KILL");
    // The editor holds enseal's output pipes: stop it before reading them.
    signal(editor, "KILL");
    let out = finish(child);
    assert_eq!(out.status.code(), None);
    assert_eq!(t.env.read("app.yaml"), before);
    let left = t.seen()[0].clone();
    assert!(
        left.exists(),
        "nothing to clean up: the test proves nothing"
    );
    t.editor(":");
    let run = t.edit(&["app.yaml"]);
    assert_eq!(run.status, 200, "{}", run.stderr);
    assert!(
        run.stderr.contains("removed 1 plaintext copy"),
        "{}",
        run.stderr
    );
    t.assert_no_plaintext_left();
}

/// While one edit is open, a second one (and `set`) is refused with a clear message;
/// the first finishes normally.
#[test]
fn a_second_edit_of_the_same_file_is_refused() {
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: old-pa55\n");
    let pid_file = t.env.dir.path().join("editor.pid");
    let go = t.env.dir.path().join("go");
    t.editor(&format!(
        "if [ -f '{pid}' ]; then exit 0; fi\necho $$ > '{pid}.tmp' && mv '{pid}.tmp' '{pid}'\nwhile [ ! -f '{go}' ]; do sleep 0.05; done\nsed -i 's/old-pa55/n3w-pa55/' \"$1\"",
        pid = pid_file.display(),
        go = go.display()
    ));
    let first = t.spawn_edit("app.yaml");
    wait_for(&pid_file);
    let second = t.edit(&["app.yaml"]);
    assert_eq!(second.status, 1, "{}", second.stderr);
    assert!(
        second.stderr.contains("app.yaml") && second.stderr.contains("another enseal"),
        "{}",
        second.stderr
    );
    let set = t
        .env
        .enseal(&["set", "app.yaml", r#"["db"]["password"]"#, "\"x\""]);
    assert_eq!(set.status, 1, "{}", set.stderr);
    std::fs::write(&go, "").unwrap();
    let out = finish(first);
    assert!(out.status.success(), "{}", show(&out.stderr));
    assert_eq!(t.password(), b"n3w-pa55");
    t.assert_no_plaintext_left();
}

/// A new file opens as a template and is encrypted for the creation rule its path
/// matches; an unchanged template creates nothing. `enseal FILE` is `enseal edit FILE`.
#[test]
fn a_new_file_uses_its_creation_rule() {
    let mut t = Editing::new();
    let (other_key, other) = t.env.age_identity("other-key.txt");
    t.env.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {other}\n  - path_regex: .*\n    age: {}\n", t.recipient),
    );
    std::fs::create_dir(t.env.work().join("secrets")).unwrap();
    t.editor(":");
    let run = t.edit(&["secrets/new.yaml"]);
    assert_eq!(run.status, 200, "{}", run.stderr);
    assert!(run.stderr.contains("nothing is created"), "{}", run.stderr);
    assert!(!t.env.work().join("secrets/new.yaml").exists());

    t.editor("grep -q change-me \"$1\"\nprintf 'token: t0k3n\\n' > \"$1\"");
    t.env.enseal(&["secrets/new.yaml"]).ok();
    let text = show(&t.env.read("secrets/new.yaml"));
    assert!(
        text.contains(&other) && !text.contains(&t.recipient),
        "{text}"
    );
    assert_eq!(mode(&t.env.work().join("secrets/new.yaml")), 0o600);
    t.env.use_age_key(&other_key);
    let out = t.env.sops(&["decrypt", "secrets/new.yaml"]).ok();
    assert_eq!(show(&out.stdout), "token: t0k3n\n");

    // Key flags are for new files; an existing file keeps its keys.
    let run = t.edit(&["secrets/new.yaml", "--age", &t.recipient]);
    assert_eq!(run.status, 8, "{}", run.stderr);
    assert!(run.stderr.contains("rotate"), "{}", run.stderr);
    // No flag prints the data key (sops' --show-master-keys).
    let run = t.edit(&["--show-master-keys", "secrets/new.yaml"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    // A directory that does not exist is reported before the editor opens.
    let run = t.edit(&["nowhere/new.yaml"]);
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    t.assert_no_plaintext_left();
}

/// A real vim in a tmux session: open, substitute, write and quit. vim leaves no swap,
/// viminfo or backup file anywhere.
#[test]
fn vim_in_tmux_edits_a_file() {
    for tool in ["vim", "tmux"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "{tool} is needed: run `bash scripts/setup-test-deps.sh` (installs vim and tmux)"
        );
    }
    let mut t = Editing::new();
    t.encrypt("app.yaml", "db:\n  password: old-pa55\n  user: app\n");
    t.env.set("EDITOR", "vim");
    t.env.set("TERM", "xterm");
    let socket = t.env.dir.path().join("tmux.sock");
    let rc = t.env.dir.path().join("rc");
    let script = t.env.dir.path().join("run.sh");
    // tmux starts the command in its server's environment: give it exactly ours.
    let mut env_line = String::from("exec env -i");
    for (k, v) in t.env.vars() {
        env_line.push_str(&format!(" '{k}={v}'"));
    }
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncd '{work}'\n{env_line} sh -c '{bin} edit app.yaml; echo $? > {rc}'\n",
            work = t.env.work().display(),
            bin = env!("CARGO_BIN_EXE_enseal"),
            rc = rc.display()
        ),
    )
    .unwrap();
    crate::common::chmod(&script, 0o755);
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    };
    let started = tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        "100",
        "-y",
        "30",
        script.to_str().unwrap(),
    ]);
    assert!(started.status.success(), "{}", show(&started.stderr));
    let screen = || show(&tmux(&["capture-pane", "-p"]).stdout);
    let start = Instant::now();
    while !screen().contains("old-pa55") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "vim never showed the file:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux(&["send-keys", ":%s/old-pa55/n3w-pa55/", "Enter"]);
    tmux(&["send-keys", ":wq", "Enter"]);
    wait_for(&rc);
    let _ = tmux(&["kill-server"]);
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap().trim(),
        "0",
        "{}",
        screen()
    );
    let out = t.env.enseal(&["decrypt", "app.yaml"]).ok();
    assert_eq!(
        show(&out.stdout),
        "db:\n  password: n3w-pa55\n  user: app\n"
    );
    // No viminfo (it keeps registers), no swap or backup files anywhere.
    let home: Vec<_> = std::fs::read_dir(t.env.home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        !home.iter().any(|n| n.to_string_lossy().contains("viminfo")),
        "{home:?}"
    );
    for dir in [t.runtime.path(), &t.tmp, &t.env.work()] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                !name.ends_with(".swp")
                    && !name.ends_with('~')
                    && !name.starts_with("enseal-edit-"),
                "{name} left in {}",
                dir.display()
            );
        }
    }
    t.assert_no_plaintext_left();
}
