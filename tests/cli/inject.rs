//! Secrets into other programs: `render` (and its file modes), `exec-env`,
//! `exec-file` (FIFO and private file, removed however the child ends), `watch`
//! (re-render and signal within a second of `enseal set`), `decrypt --format`.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{mode, Run, TestEnv};

const SECRETS: &str = "db:\n  user: app\n  password: \"p4ss w'rd-XYZZY\"\n  port: 5432\nhosts:\n  - a.example.com\n  - b.example.com\napi_token: tok-PLUGH-123\n";

/// Every secret value of SECRETS: none may appear in enseal's own output.
const VALUES: [&str; 2] = ["XYZZY", "PLUGH"];

/// A test environment with an encrypted `s.enc.yaml`, and a private runtime and temp
/// directory so that anything enseal leaves behind is seen.
struct Inject {
    env: TestEnv,
    runtime: tempfile::TempDir,
    tmp: PathBuf,
}

impl Inject {
    fn new() -> Inject {
        let (mut env, _) = TestEnv::with_age_key();
        let runtime = crate::common::private_runtime("enseal-test-run-");
        let tmp = env.dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        env.set("XDG_RUNTIME_DIR", runtime.path().display().to_string());
        env.set("TMPDIR", tmp.display().to_string());
        env.write("plain.yaml", SECRETS);
        let enc = env.enseal(&["encrypt", "plain.yaml"]).ok();
        env.write("s.enc.yaml", &enc.stdout);
        std::fs::remove_file(env.work().join("plain.yaml")).unwrap();
        Inject { env, runtime, tmp }
    }

    fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.env.write(name, format!("#!/bin/sh\n{body}\n"));
        crate::common::chmod(&p, 0o755);
        p
    }

    /// Nothing in the runtime or temp directory, no temp file beside the files.
    #[track_caller]
    fn assert_nothing_left(&self) {
        for dir in [self.runtime.path(), &self.tmp] {
            let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
            assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
        }
        for name in self.env.listing() {
            assert!(!name.starts_with(".enseal"), "temp file {name} left");
        }
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.env
            .command(Path::new(env!("CARGO_BIN_EXE_enseal")), args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

#[track_caller]
fn assert_no_values(run: &Run) {
    for v in VALUES {
        assert!(!run.stderr.contains(v), "a value in stderr: {}", run.stderr);
        assert!(!run.stdout_str().contains(v), "a value in stdout");
    }
}

fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

fn kill(child: &Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn render_fills_templates_and_refuses_missing_keys() {
    let t = Inject::new();
    let env = &t.env;
    env.write(
        "app.conf.tmpl",
        "user={{ .db.user }}\npass={{ .db.password | quote }}\n{{- range $i, $h := .hosts }}\nhost{{ $i }}={{ $h }}\n{{- end }}\ntoken={{ secret \"s.enc.yaml\" \"api_token\" | base64 }}\nenv={{ env \"STAGE\" | default \"dev\" }}\n",
    );
    let out = env
        .enseal(&["render", "-s", "s.enc.yaml", "app.conf.tmpl"])
        .ok();
    assert_eq!(
        out.stdout_str(),
        "user=app\npass=\"p4ss w'rd-XYZZY\"\nhost0=a.example.com\nhost1=b.example.com\ntoken=dG9rLVBMVUdILTEyMw==\nenv=dev\n"
    );
    assert!(out.stderr.is_empty());

    // Several templates into a directory made 0700; each output 0600 by default.
    env.write("b.yaml.tpl", "password: {{ .db.password | yaml }}\n");
    env.enseal(&[
        "render",
        "-s",
        "s.enc.yaml",
        "--out-dir",
        "out",
        "app.conf.tmpl",
        "b.yaml.tpl",
    ])
    .ok();
    assert_eq!(mode(&env.work().join("out")), 0o700);
    assert_eq!(mode(&env.work().join("out/app.conf")), 0o600);
    assert_eq!(env.read("out/b.yaml"), b"password: \"p4ss w'rd-XYZZY\"\n");

    // Standard input.
    let out = env
        .enseal_stdin(&["render", "-s", "s.enc.yaml", "-"], b"{{ .db.port }}")
        .ok();
    assert_eq!(out.stdout, b"5432");

    // A missing key: template:line:col and the key path, no value, nothing written.
    env.write("bad.tmpl", "ok={{ .db.user }}\nx={{ .db.pasword }}\n");
    let run = env.enseal(&["render", "-s", "s.enc.yaml", "bad.tmpl", "-o", "bad.out"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr.trim(),
        "enseal: bad.tmpl:2:6: s.enc.yaml: no value at key path db.pasword (a missing value is an error; give a fallback with | default \"…\")"
    );
    assert!(!env.work().join("bad.out").exists());
    assert_no_values(&run);
    // A syntax error, and a file that does not decrypt.
    let run = env.enseal_stdin(&["render", "-"], b"{{ if .x }}");
    assert_eq!(
        run.stderr.trim(),
        "enseal: <stdin>:1:1: {{ if }} is never closed: add {{ end }}"
    );
    env.write("broken.enc.yaml", "a: ENC[AES256_GCM,data:xx]\n");
    let run = env.enseal_stdin(&["render", "-"], b"{{ secret \"broken.enc.yaml\" \"a\" }}");
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .starts_with("enseal: <stdin>:1:4: broken.enc.yaml: "),
        "{}",
        run.stderr
    );
    // Several templates need --out-dir.
    let run = env.enseal(&["render", "app.conf.tmpl", "b.yaml.tpl"]);
    assert_eq!(
        run.stderr.trim(),
        "enseal: 2 templates need --out-dir (or render them one at a time with -o)"
    );
    t.assert_nothing_left();
}

/// `render --mode 0400`: an inotify watcher on the output directory stats every file
/// the moment it appears; none may ever have a wider mode than 0400 (the temp file
/// included), over many renders of a large template, so the writes are caught
/// in progress.
#[test]
fn render_mode_is_never_wider_than_asked() {
    use notify::Watcher;
    let t = Inject::new();
    let env = &t.env;
    // 8 MB of text: each write takes long enough to be seen.
    let big = "x".repeat(8 << 20);
    env.write("big.tmpl", format!("{big}\n{{{{ .db.user }}}}\n"));
    let out_dir = env.work().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    // An older, wider file is replaced by one with the asked mode.
    std::fs::write(out_dir.join("big"), "old").unwrap();
    crate::common::chmod(&out_dir.join("big"), 0o644);

    let seen: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if !matches!(
            event.kind,
            notify::EventKind::Create(_) | notify::EventKind::Modify(_)
        ) {
            return;
        }
        for p in event.paths {
            if let Ok(m) = std::fs::symlink_metadata(&p) {
                use std::os::unix::fs::PermissionsExt;
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                record
                    .lock()
                    .unwrap()
                    .push((name, m.permissions().mode() & 0o7777));
            }
        }
    })
    .unwrap();
    watcher
        .watch(&out_dir, notify::RecursiveMode::NonRecursive)
        .unwrap();
    for _ in 0..15 {
        env.enseal(&[
            "render",
            "-s",
            "s.enc.yaml",
            "big.tmpl",
            "-o",
            "out/big",
            "--mode",
            "0400",
        ])
        .ok();
    }
    std::thread::sleep(Duration::from_millis(200));
    drop(watcher);
    let seen = seen.lock().unwrap();
    let temps: Vec<_> = seen
        .iter()
        .filter(|(n, _)| n.starts_with(".enseal-"))
        .collect();
    assert!(
        !temps.is_empty(),
        "no temp file was seen while being written: {seen:?}"
    );
    for (name, m) in seen.iter() {
        assert_eq!(m & !0o400, 0, "{name} existed with mode {m:o}");
    }
    assert_eq!(mode(&out_dir.join("big")), 0o400);
    assert!(std::fs::read_to_string(out_dir.join("big"))
        .unwrap()
        .ends_with("\napp\n"));
    let run = env.enseal(&["render", "big.tmpl", "-o", "x", "--mode", "999"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is not an octal file mode"));
}

#[test]
fn exec_env_gives_values_and_prints_nothing() {
    let t = Inject::new();
    let env = &t.env;
    let dump = env.work().join("env.txt");
    let script = t.script(
        "dump.sh",
        &format!("env | sort > '{}'\nexit ${{1:-0}}", dump.display()),
    );
    let script = script.to_str().unwrap();
    let run = env.enseal(&["exec-env", "s.enc.yaml", "--", script]).ok();
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
    let got = std::fs::read_to_string(&dump).unwrap();
    for line in [
        "DB_USER=app",
        "DB_PASSWORD=p4ss w'rd-XYZZY",
        "DB_PORT=5432",
        "HOSTS_0=a.example.com",
        "HOSTS_1=b.example.com",
        "API_TOKEN=tok-PLUGH-123",
    ] {
        assert!(got.lines().any(|l| l == line), "{line} missing");
    }
    assert!(
        got.lines().any(|l| l.starts_with("HOME=")),
        "the environment is inherited"
    );

    // Prefix, separator, case; --pristine passes nothing else on.
    env.enseal(&[
        "exec-env",
        "--pristine",
        "--env-prefix",
        "APP_",
        "--env-separator",
        "__",
        "--keep-case",
        "s.enc.yaml",
        "--",
        script,
    ])
    .ok();
    let got = std::fs::read_to_string(&dump).unwrap();
    assert!(got.lines().any(|l| l == "APP_db__user=app"), "{got}");
    assert!(!got.lines().any(|l| l.starts_with("HOME=")));

    // The child's status is enseal's; its output is its own.
    let run = env.enseal(&["exec-env", "s.enc.yaml", "--", script, "7"]);
    assert_eq!(run.status, 7);
    assert!(run.stdout.is_empty() && run.stderr.is_empty());
    // One string with spaces runs in sh -c, as with sops.
    let run = env
        .enseal(&["exec-env", "s.enc.yaml", "printf %s \"$DB_USER\""])
        .ok();
    assert_eq!(run.stdout, b"app");
    // --same-process: enseal becomes the command.
    let run = env.enseal(&[
        "exec-env",
        "--same-process",
        "s.enc.yaml",
        "--",
        "sh",
        "-c",
        "printf %s \"$DB_PORT\"; exit 4",
    ]);
    assert_eq!((run.status, run.stdout.as_slice()), (4, b"5432".as_slice()));
    // A program that does not exist: 127, as in a shell.
    let run = env.enseal(&["exec-env", "s.enc.yaml", "--", "/no/such/program"]);
    assert_eq!(run.status, 127);
    assert_no_values(&run);
    // No key: a clear error before anything runs.
    let mut keyless = TestEnv::new();
    keyless.set("SOPS_AGE_KEY_FILE", "/nonexistent");
    std::fs::copy(
        env.work().join("s.enc.yaml"),
        keyless.work().join("s.enc.yaml"),
    )
    .unwrap();
    let run = keyless.enseal(&["exec-env", "s.enc.yaml", "--", "true"]);
    assert_eq!(run.status, 128);
    assert!(
        run.stderr.starts_with("enseal: s.enc.yaml: "),
        "{}",
        run.stderr
    );
    t.assert_nothing_left();
}

#[test]
fn exec_file_hands_a_path_that_goes_away() {
    let t = Inject::new();
    let env = &t.env;
    let copy = env.work().join("copy.txt");
    let seen = env.work().join("seen.txt");
    let script = t.script(
        "read.sh",
        &format!(
            "echo \"$1\" > '{}'\n[ -p \"$1\" ] && echo fifo >> '{}'\ncat \"$1\" > '{}'\n{}",
            seen.display(),
            seen.display(),
            copy.display(),
            "[ -n \"$2\" ] && kill -$2 $$\nexit 0"
        ),
    );
    let script = script.to_str().unwrap();
    let given = || -> PathBuf {
        PathBuf::from(
            std::fs::read_to_string(&seen)
                .unwrap()
                .lines()
                .next()
                .unwrap(),
        )
    };

    // FIFO by default: the content arrives, the path and its directory are gone after.
    let run = env
        .enseal(&["exec-file", "s.enc.yaml", "--", script, "{}"])
        .ok();
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
    assert!(std::fs::read_to_string(&seen).unwrap().contains("fifo"));
    assert!(std::fs::read_to_string(&copy)
        .unwrap()
        .contains("password: \"p4ss w'rd-XYZZY\""));
    assert!(
        given().starts_with(t.runtime.path()),
        "not in the runtime dir: {}",
        given().display()
    );
    assert!(!given().exists() && !given().parent().unwrap().exists());
    t.assert_nothing_left();

    // A 0600 file with --no-fifo, in another format; the path is appended when no {} is given.
    env.enseal(&[
        "exec-file",
        "--no-fifo",
        "--output-type",
        "json",
        "s.enc.yaml",
        "--",
        script,
    ])
    .ok();
    assert!(!std::fs::read_to_string(&seen).unwrap().contains("fifo"));
    assert!(given().to_string_lossy().ends_with("/s.enc.json"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&copy).unwrap()).unwrap();
    assert_eq!(json["db"]["port"], 5432);
    assert!(!given().parent().unwrap().exists());
    t.assert_nothing_left();

    // The child killed (by itself, SIGKILL): enseal exits 137 and still cleans up.
    for fifo in [true, false] {
        let mut args = vec!["exec-file"];
        if !fifo {
            args.push("--no-fifo");
        }
        args.extend(["s.enc.yaml", "--", script, "{}", "KILL"]);
        let run = env.enseal(&args);
        assert_eq!(run.status, 137, "{}", run.stderr);
        assert!(run.stderr.is_empty());
        assert!(!given().parent().unwrap().exists());
        t.assert_nothing_left();
    }

    // A child that never reads the FIFO: enseal does not hang.
    let run = env
        .enseal(&["exec-file", "s.enc.yaml", "--", "true", "{}"])
        .ok();
    assert!(run.stderr.is_empty());
    t.assert_nothing_left();

    // enseal told to stop (SIGTERM) while the child runs: the child gets it, the file goes.
    let sleeper = t.script(
        "sleep.sh",
        &format!("echo \"$1\" > '{}'\nexec sleep 30", seen.display()),
    );
    std::fs::remove_file(&seen).unwrap();
    let child = t.spawn(&[
        "exec-file",
        "--no-fifo",
        "s.enc.yaml",
        "--",
        sleeper.to_str().unwrap(),
        "{}",
    ]);
    wait_for("the child", Duration::from_secs(10), || {
        seen.exists() && given().exists()
    });
    kill(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert!(!given().parent().unwrap().exists());
    t.assert_nothing_left();
}

#[test]
fn decrypt_format_writes_variables() {
    let t = Inject::new();
    let env = &t.env;
    let run = env
        .enseal(&["decrypt", "--format", "dotenv", "s.enc.yaml"])
        .ok();
    assert_eq!(
        run.stdout_str(),
        "DB_USER=app\nDB_PASSWORD=\"p4ss w'rd-XYZZY\"\nDB_PORT=5432\nHOSTS_0=a.example.com\nHOSTS_1=b.example.com\nAPI_TOKEN=tok-PLUGH-123\n"
    );
    // export lines are safe to eval.
    let run = env
        .enseal(&["decrypt", "--format", "export", "s.enc.yaml"])
        .ok();
    let script = format!(
        "{}printf '%s|%s' \"$DB_PASSWORD\" \"$HOSTS_1\"",
        run.stdout_str()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"p4ss w'rd-XYZZY|b.example.com");
    let run = env
        .enseal(&["decrypt", "--format", "json", "s.enc.yaml"])
        .ok();
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["DB_PORT"], "5432");
    let run = env
        .enseal(&[
            "decrypt",
            "--format",
            "k8s-secret",
            "--namespace",
            "prod",
            "s.enc.yaml",
        ])
        .ok();
    let manifest: serde_json::Value = yaml_serde::from_slice(&run.stdout).unwrap();
    assert_eq!(manifest["kind"], "Secret");
    assert_eq!(manifest["metadata"]["name"], "s");
    assert_eq!(manifest["metadata"]["namespace"], "prod");
    assert_eq!(manifest["data"]["db_password"], "cDRzcyB3J3JkLVhZWlpZ");
    let run = env.enseal(&["decrypt", "--format", "toml", "s.enc.yaml"]);
    assert_eq!(run.status, 8);
    assert!(run
        .stderr
        .contains("use dotenv, export, json or k8s-secret"));
}

/// The acceptance test of `watch`: after `enseal set`, the rendered file holds the new
/// value within a second, and the child gets SIGHUP after the file is complete (its
/// handler reads the file and logs what it saw).
#[test]
fn watch_rerenders_and_signals_within_a_second() {
    let t = Inject::new();
    let env = &t.env;
    env.write("app.conf.tmpl", "user={{ .db.user }}\n");
    let log = env.work().join("child.log");
    let child_script = t.script(
        "child.sh",
        &format!(
            "log='{}'\ntrap 'echo \"HUP $(cat app.conf)\" >> \"$log\"' HUP\ntrap 'echo TERM >> \"$log\"; exit 0' TERM\necho \"start $DB_USER\" >> \"$log\"\nwhile :; do sleep 0.02; done",
            log.display()
        ),
    );
    let watch = t.spawn(&[
        "watch",
        "-s",
        "s.enc.yaml",
        "app.conf.tmpl",
        "-o",
        "app.conf",
        "--mode",
        "0600",
        "--env",
        "s.enc.yaml",
        "--",
        child_script.to_str().unwrap(),
    ]);
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for(
        "the first render and the child",
        Duration::from_secs(10),
        || read_log().contains("start app"),
    );
    assert_eq!(env.read("app.conf"), b"user=app\n");

    let mut timings = Vec::new();
    for (i, user) in ["bob", "carol", "dave"].iter().enumerate() {
        let started = Instant::now();
        env.enseal(&[
            "set",
            "s.enc.yaml",
            r#"["db"]["user"]"#,
            &format!("\"{user}\""),
        ])
        .ok();
        let set_done = started.elapsed();
        let expected = format!("user={user}\n");
        let rendered = wait_for("the new output", Duration::from_secs(5), || {
            std::fs::read(env.work().join("app.conf")).unwrap() == expected.as_bytes()
        });
        let signalled = wait_for("SIGHUP", Duration::from_secs(5), || {
            read_log().contains(&format!("HUP user={user}"))
        });
        timings.push((set_done, rendered, signalled));
        assert!(
            rendered < Duration::from_secs(1),
            "output updated after {rendered:?}"
        );
        assert!(
            signalled < Duration::from_secs(1),
            "signal after {signalled:?}"
        );
        assert_eq!(
            read_log().matches("HUP").count(),
            i + 1,
            "one signal per change"
        );
    }
    // A change that alters nothing rendered sends no signal (the new DB_PORT cannot
    // reach a running command: a note says so).
    env.enseal(&["set", "s.enc.yaml", r#"["db"]["port"]"#, "5433"])
        .ok();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(read_log().matches("HUP").count(), 3);
    // The child never started again.
    assert_eq!(read_log().matches("start").count(), 1);

    kill(&watch, "TERM");
    let out = watch.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(read_log().ends_with("TERM\n"));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "enseal: watch: the values of s.enc.yaml changed; the command keeps the environment it started with (use --restart to give it the new one)\n"
    );
    assert_eq!(mode(&env.work().join("app.conf")), 0o600);
    t.assert_nothing_left();
    eprintln!("watch: (set, rendered, signalled) after set started: {timings:?}");
}

#[test]
fn watch_restarts_with_new_environment_and_survives_bad_input() {
    let t = Inject::new();
    let env = &t.env;
    let log = env.work().join("child.log");
    let child_script = t.script(
        "child.sh",
        &format!(
            "trap 'exit 0' TERM\necho \"start $DB_USER\" >> '{}'\nwhile :; do sleep 0.02; done",
            log.display()
        ),
    );
    let watch = t.spawn(&[
        "watch",
        "--env",
        "s.enc.yaml",
        "--restart",
        "--debounce",
        "50",
        "--",
        child_script.to_str().unwrap(),
    ]);
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the child", Duration::from_secs(10), || {
        read_log().contains("start app")
    });
    env.enseal(&["set", "s.enc.yaml", r#"["db"]["user"]"#, "\"erin\""])
        .ok();
    wait_for("the restart", Duration::from_secs(5), || {
        read_log().contains("start erin")
    });
    // A file that no longer decrypts keeps the running child as it is.
    let good = env.read("s.enc.yaml");
    env.write("s.enc.yaml", "db: {user: ENC[AES256_GCM,data:broken]}\n");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read_log().matches("start").count(), 2);
    env.write("s.enc.yaml", good);
    std::thread::sleep(Duration::from_millis(500));
    // The same values as before the breakage: no restart.
    assert_eq!(read_log().matches("start").count(), 2);
    kill(&watch, "TERM");
    let out = watch.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("enseal: watch: s.enc.yaml: "), "{stderr}");
    for v in VALUES {
        assert!(!stderr.contains(v));
    }
    t.assert_nothing_left();
}

#[test]
fn watch_without_a_command_stops_on_sigterm() {
    let t = Inject::new();
    let env = &t.env;
    env.write("a.tmpl", "{{ .api_token | upper }}");
    let watch = t.spawn(&["watch", "-s", "s.enc.yaml", "a.tmpl", "--out-dir", "out"]);
    let out_file = env.work().join("out/a");
    wait_for("the first render", Duration::from_secs(10), || {
        out_file.exists()
    });
    let done = Arc::new(AtomicBool::new(false));
    // A template edit renders again.
    env.write("a.tmpl", "{{ .api_token | lower }}");
    wait_for("the re-render", Duration::from_secs(5), || {
        std::fs::read(&out_file).unwrap() == b"tok-plugh-123"
    });
    done.store(true, Ordering::SeqCst);
    kill(&watch, "TERM");
    let out = watch.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    t.assert_nothing_left();
}
