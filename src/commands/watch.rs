//! `enseal watch`: render templates (and start a command) now, then again whenever a
//! template or a secrets file changes; the command gets a signal (or a restart) only
//! when an output or its environment really changed, and only after the new files
//! are in place. A change that does not decrypt or render (a file half-written by
//! some other tool, a template being typed) keeps the previous outputs and waits for
//! the next change.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::decrypt::decryption_order;
use super::exec::{apply, naming, variables};
use super::render::{create_dir, jobs, parse_templates, write_target};
use crate::cli::WatchArgs;
use crate::error::Error;
use crate::inject::child::{self, signal_by_name, signal_name, Supervisor};
use crate::inject::env::{Charset, Var};
use crate::inject::render::{self, Job};
use crate::inject::template::Template;
use crate::inject::watch::FileWatch;
use crate::keys::{KeyEnv, KeyKind};

/// What wakes the loop.
enum Event {
    /// Watched files changed.
    Changed(Vec<PathBuf>),
    /// The command exited (its pid and exit code).
    Exited(u32, i32),
    /// A stopping signal arrived while no command ran.
    Stop(i32),
}

/// How long a command being restarted has to exit after SIGTERM before SIGKILL.
const RESTART_GRACE: Duration = Duration::from_secs(10);

struct State<'a> {
    args: &'a WatchArgs,
    env: &'a KeyEnv,
    order: Vec<KeyKind>,
    jobs: Vec<Job>,
    templates: Vec<Template>,
    /// A digest of each output as last written (no plaintext is kept).
    written: Vec<Option<[u8; 32]>>,
    /// A digest of the command's variables.
    env_digest: Option<[u8; 32]>,
    /// The secrets files the last render read.
    secrets_used: Vec<PathBuf>,
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn vars_digest(vars: &[Var]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in vars {
        h.update((v.name.len() as u64).to_le_bytes());
        h.update(v.name.as_bytes());
        h.update((v.value.len() as u64).to_le_bytes());
        h.update(&v.value);
    }
    h.finalize().into()
}

impl State<'_> {
    /// The files to watch now.
    fn watched(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .jobs
            .iter()
            .filter(|j| j.source.as_os_str() != "-")
            .map(|j| j.source.clone())
            .collect();
        files.extend(self.secrets_used.iter().cloned());
        files.extend(self.args.out.secrets.iter().cloned());
        files.extend(self.args.env.iter().cloned());
        files
    }

    /// Renders every template and writes the outputs that changed; returns whether
    /// any did.
    fn render(&mut self) -> Result<bool, Error> {
        if self.templates.is_empty() {
            return Ok(false);
        }
        let rendered = render::render_all(
            &self.templates,
            self.args.out.secrets.as_deref(),
            self.env,
            &self.order,
        )?;
        self.secrets_used = rendered.secrets_used;
        let mut changed = false;
        for (i, (job, out)) in self.jobs.iter().zip(&rendered.outputs).enumerate() {
            let d = digest(out);
            if self.written[i] != Some(d) {
                write_target(&job.target, out, self.args.out.mode)?;
                self.written[i] = Some(d);
                changed = true;
            }
        }
        Ok(changed)
    }

    /// The command's variables, and whether they differ from the last ones.
    fn variables(&mut self) -> Result<(Vec<Var>, bool), Error> {
        let Some(file) = &self.args.env else {
            return Ok((Vec::new(), false));
        };
        let vars = variables(
            file,
            None,
            &naming(&self.args.naming, Charset::Env),
            &self.order,
            self.env,
        )?;
        let d = vars_digest(&vars);
        let changed = self.env_digest.is_some_and(|old| old != d);
        self.env_digest = Some(d);
        Ok((vars, changed))
    }

    /// Parses the templates again (after one of them changed).
    fn reparse(&mut self) -> Result<(), Error> {
        self.templates = parse_templates(&self.jobs)?;
        Ok(())
    }
}

/// Starts the command with its variables; a thread reports its exit.
fn start(
    supervisor: &Supervisor,
    argv: &[String],
    vars: &[Var],
    events: &Sender<Event>,
) -> Result<u32, Error> {
    let mut command: Command = child::command(argv).expect("checked non-empty");
    apply(&mut command, vars, false);
    let mut running: Child = supervisor
        .spawn(&mut command)
        .map_err(|source| Error::Exec {
            program: argv[0].clone(),
            source,
        })?;
    let pid = running.id();
    let tx = events.clone();
    std::thread::Builder::new()
        .name("enseal-child".into())
        .spawn(move || {
            let code = running.wait().map(child::exit_code).unwrap_or(1);
            let _ = tx.send(Event::Exited(pid, code));
        })
        .map_err(|source| Error::Exec {
            program: argv[0].clone(),
            source,
        })?;
    Ok(pid)
}

/// SIGKILL for a command that has not exited `RESTART_GRACE` after SIGTERM.
fn kill_after_grace(generation: &Arc<AtomicU64>, pid: Option<u32>) {
    let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) else {
        return;
    };
    let generation = Arc::clone(generation);
    let started = generation.load(Ordering::SeqCst);
    let deadline = std::time::Instant::now() + RESTART_GRACE;
    std::thread::spawn(move || {
        while std::time::Instant::now() < deadline {
            if generation.load(Ordering::SeqCst) != started {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if generation.load(Ordering::SeqCst) == started {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    });
}

fn warn(err: &Error) {
    eprintln!("enseal: watch: {err}; the previous output is kept until the next change");
}

/// Runs `watch` until the command exits or a signal stops it.
pub fn run(args: WatchArgs, env: &KeyEnv) -> Result<(), Error> {
    if args.templates.is_empty() && args.command.is_empty() {
        return Err(Error::Usage(
            "watch needs templates to render, a command (after --), or both".into(),
        ));
    }
    if args.env.is_some() && args.command.is_empty() {
        return Err(Error::Usage(
            "--env needs a command (after --) to give the variables to".into(),
        ));
    }
    let sig = signal_by_name(&args.signal).ok_or_else(|| {
        Error::Usage(format!(
            "--signal {:?}: use HUP, USR1, USR2, TERM, INT or QUIT",
            args.signal
        ))
    })?;
    let order = decryption_order(args.out.decryption_order.as_deref(), env)?;
    let jobs = jobs(&args.templates, &args.out)?;
    if jobs.iter().any(|j| j.target == render::Target::Stdout) && !args.templates.is_empty() {
        return Err(Error::Usage(
            "watch writes files: give -o or --out-dir".into(),
        ));
    }
    if jobs.iter().any(|j| j.source.as_os_str() == "-") {
        return Err(Error::Usage(
            "watch cannot watch standard input: give template files".into(),
        ));
    }
    // Watching starts before the first reading, so that no change is missed between
    // the two.
    let (tx, rx) = mpsc::channel::<Event>();
    let change_tx = tx.clone();
    let mut watch = FileWatch::new(Duration::from_millis(args.debounce), move |paths| {
        let _ = change_tx.send(Event::Changed(paths));
    })
    .map_err(|e| Error::Watch(e.to_string()))?;
    let first: Vec<PathBuf> = jobs
        .iter()
        .map(|j| j.source.clone())
        .chain(args.out.secrets.iter().cloned())
        .chain(args.env.iter().cloned())
        .collect();
    watch.set(&first).map_err(|e| Error::Watch(e.to_string()))?;
    let templates = parse_templates(&jobs)?;
    if let Some(dir) = &args.out.out_dir {
        create_dir(dir)?;
    }
    let mut state = State {
        args: &args,
        env,
        order,
        written: vec![None; jobs.len()],
        jobs,
        templates,
        env_digest: None,
        secrets_used: Vec::new(),
    };
    // The first round must work: there is nothing to keep yet.
    state.render()?;
    let (vars, _) = state.variables()?;

    let stop_tx = tx.clone();
    let (signal_tx, signal_rx) = mpsc::channel::<i32>();
    std::thread::Builder::new()
        .name("enseal-stop".into())
        .spawn(move || {
            for sig in signal_rx {
                let _ = stop_tx.send(Event::Stop(sig));
            }
        })
        .map_err(|e| Error::Watch(e.to_string()))?;
    let supervisor = Supervisor::start(Some(signal_tx)).map_err(|e| Error::Watch(e.to_string()))?;
    watch
        .set(&state.watched())
        .map_err(|e| Error::Watch(e.to_string()))?;

    let mut pid = if args.command.is_empty() {
        None
    } else {
        Some(start(&supervisor, &args.command, &vars, &tx)?)
    };
    drop(vars);
    let mut restarting = false;
    // The note that --env changes need --restart is given once.
    let mut noted = false;
    // Counts exits, so a grace timer never kills a later command with a reused pid.
    let generation = Arc::new(AtomicU64::new(0));

    for event in rx {
        match event {
            Event::Changed(paths) => {
                let template_changed = paths.iter().any(|p| {
                    state
                        .jobs
                        .iter()
                        .any(|j| std::fs::canonicalize(&j.source).ok().as_ref() == Some(p))
                });
                if template_changed {
                    if let Err(e) = state.reparse() {
                        warn(&e);
                        continue;
                    }
                }
                let outputs_changed = match state.render() {
                    Ok(c) => c,
                    Err(e) => {
                        warn(&e);
                        continue;
                    }
                };
                let env_changed = match state.variables() {
                    Ok((_, c)) => c,
                    Err(e) => {
                        warn(&e);
                        continue;
                    }
                };
                if let Err(e) = watch.set(&state.watched()) {
                    warn(&Error::Watch(e.to_string()));
                }
                if pid.is_none() {
                    continue;
                }
                if env_changed && !args.restart && !noted {
                    noted = true;
                    eprintln!(
                        "enseal: watch: the values of {} changed; the command keeps the environment it started with (use --restart to give it the new one)",
                        args.env.as_deref().unwrap_or(std::path::Path::new("")).display()
                    );
                }
                if args.restart && (outputs_changed || env_changed) {
                    if !restarting {
                        restarting = true;
                        supervisor.signal_child(signal_hook::consts::SIGTERM);
                        kill_after_grace(&generation, pid);
                    }
                } else if !args.restart && outputs_changed {
                    supervisor.signal_child(sig);
                }
            }
            Event::Exited(exited, code) => {
                supervisor.forget(exited);
                if pid != Some(exited) {
                    continue;
                }
                generation.fetch_add(1, Ordering::SeqCst);
                if restarting && supervisor.pending().is_none() {
                    restarting = false;
                    let (vars, _) = state.variables()?;
                    pid = Some(start(&supervisor, &args.command, &vars, &tx)?);
                    continue;
                }
                return if code == 0 {
                    Ok(())
                } else {
                    Err(Error::ChildExit(code))
                };
            }
            Event::Stop(s) => {
                if pid.is_none() {
                    eprintln!("enseal: watch: stopped by {}", signal_name(s));
                    return Err(Error::ChildExit(128 + s));
                }
            }
        }
    }
    Ok(())
}
