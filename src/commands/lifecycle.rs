//! The lifecycle commands: `rotate --commit`/`--due`, `rotate-value`, `status`,
//! `revoke`, `history`, `access`. Git is the database: ages come from commits and
//! every change is one commit of the user's own git, holding only what enseal changed.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::decrypt::decryption_order;
use crate::cipher::value::Stash;
use crate::cli::{AccessArgs, HistoryArgs, RevokeArgs, RotateArgs, RotateValueArgs, StatusArgs};
use crate::document::path::{parse_index_path, KeyPath, Step};
use crate::document::{Map, Value};
use crate::error::Error;
use crate::file;
use crate::format::{EmitOptions, Format};
use crate::git::cli::Repo;
use crate::keys::{KeyEnv, KeyKind};
use crate::lifecycle::access::{self, FileAccess};
use crate::lifecycle::commit;
use crate::lifecycle::duration::format_age;
use crate::lifecycle::generate::Generator;
use crate::lifecycle::history::{self, Reader};
use crate::lifecycle::policy::Lifecycle;
use crate::lifecycle::status::{self, Row, DATA_KEY};
use crate::lifecycle::LifecycleError;
use crate::rotate::{self, Changes};

/// The repository around the current directory.
fn repo() -> Result<(Repo, PathBuf), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let repo = Repo::discover(&cwd)?;
    Ok((repo, cwd))
}

/// `path` relative to the repository top, `/`-separated.
fn rel(repo: &Repo, cwd: &Path, path: &Path) -> Result<String, Error> {
    let abs = cwd.join(path);
    let dir = abs.parent().unwrap_or(&abs);
    let name = abs.file_name();
    let real = std::fs::canonicalize(if path.as_os_str().is_empty() || path == Path::new(".") {
        &abs
    } else {
        dir
    })
    .map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    let full = match name {
        Some(n) if !(path.as_os_str().is_empty() || path == Path::new(".")) => real.join(n),
        _ => real,
    };
    let root = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
    let r = full
        .strip_prefix(&root)
        .map_err(|_| LifecycleError::Outside(path.display().to_string()))?;
    Ok(r.to_string_lossy().replace('\\', "/"))
}

/// The lifecycle settings of the repository (`.enseal.toml` at or above the cwd).
fn settings(cwd: &Path) -> Result<Lifecycle, Error> {
    let Some(path) = crate::scan::settings::find(cwd) else {
        return Ok(Lifecycle::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    Lifecycle::parse(&text).map_err(|source| {
        LifecycleError::Settings {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}

/// The encrypted files git tracks under `paths` (repository-relative), with formats.
fn tracked_encrypted(repo: &Repo, paths: &[String]) -> Result<Vec<(String, Format)>, Error> {
    let mut args = vec!["ls-files", "-z", "--full-name", "--"];
    let all = [String::from(".")];
    let paths = if paths.is_empty() || paths.iter().any(|p| p.is_empty()) {
        &all[..]
    } else {
        paths
    };
    args.extend(paths.iter().map(String::as_str));
    let out = repo.git(&args)?;
    let mut files = Vec::new();
    for name in out.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let Ok(bytes) = std::fs::read(repo.root.join(&name)) else {
            continue;
        };
        let format = Format::detect(Path::new(&name), None, &bytes);
        if file::is_encrypted(&bytes, format) {
            files.push((name, format));
        }
    }
    Ok(files)
}

/// A key path as `status` prints it (`db.password`, `hosts[0]`), or sops' index form.
fn parse_key(text: &str) -> Result<KeyPath, Error> {
    if text.starts_with('[') {
        return Ok(parse_index_path(text)?);
    }
    let mut steps = Vec::new();
    for part in text.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            steps.push(Step::Key(name.to_string()));
        }
        while let Some(end) = rest.find(']') {
            let n = rest[1..end].parse().map_err(|_| {
                Error::Usage(format!(
                    "invalid key path {text:?}: use db.password, hosts[0] or [\"a\"][\"b\"]"
                ))
            })?;
            steps.push(Step::Index(n));
            rest = &rest[end + 1..];
        }
    }
    if steps.is_empty() {
        return Err(Error::Usage(format!("invalid key path {text:?}")));
    }
    Ok(KeyPath(steps))
}

fn lookup<'a>(map: &'a Map, path: &KeyPath) -> Option<&'a Value> {
    let mut cur: Option<&Value> = None;
    for (i, step) in path.0.iter().enumerate() {
        cur = match (i, step, cur) {
            (0, Step::Key(k), _) => crate::document::map_get(map, k),
            (_, Step::Key(k), Some(Value::Map(m))) => crate::document::map_get(m, k),
            (_, Step::Index(n), Some(Value::Seq(items))) => items
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .nth(*n),
            _ => None,
        };
        cur?;
    }
    cur
}

/// What happens to one file in a lifecycle change.
struct Job {
    rel: String,
    format: Format,
    /// New values to set.
    values: Vec<(KeyPath, Zeroizing<String>)>,
    /// A new data key (and these recipient changes).
    rekey: bool,
}

/// A job's result.
struct Done {
    /// The file before.
    original: Vec<u8>,
    /// The file after.
    output: Vec<u8>,
    /// Its key paths that the change touched (for the commit message).
    keys: Vec<String>,
}

/// What every job of a batch shares.
struct Batch<'a> {
    repo: &'a Repo,
    changes: &'a Changes,
    order: &'a [KeyKind],
    env: &'a KeyEnv,
}

/// The file after the job.
fn apply(b: &Batch<'_>, job: &Job) -> Result<Done, Error> {
    let (repo, changes, order, env) = (b.repo, b.changes, b.order, b.env);
    let path = repo.root.join(&job.rel);
    let original = std::fs::read(&path).map_err(|source| Error::Read {
        path: job.rel.clone(),
        source,
    })?;
    let file_err = |source| Error::File {
        path: job.rel.clone(),
        source,
    };
    let mut loaded = file::load(&original, job.format).map_err(file_err)?;
    let key = file::data_key(&loaded.metadata, order, env).map_err(file_err)?;
    let mut stash = Stash::default();
    file::decrypt_tree(&mut loaded, &key, false, Some(&mut stash)).map_err(file_err)?;
    let Some(branch) = loaded.doc.branches.first_mut() else {
        return Err(Error::Usage(format!(
            "{}: the file holds no document",
            job.rel
        )));
    };
    let mut keys = Vec::new();
    for (p, v) in &job.values {
        if lookup(branch, p).is_none() {
            return Err(LifecycleError::NoSuchKey {
                file: job.rel.clone(),
                key: p.to_string(),
            }
            .into());
        }
        crate::edit::set(branch, p, Value::str(v.as_str())).map_err(|source| Error::Set {
            path: job.rel.clone(),
            source,
        })?;
        keys.push(p.to_string());
    }
    if job.rekey && keys.is_empty() {
        let mut snapshot = Vec::new();
        history_leaves(branch, &mut snapshot);
        keys = snapshot;
    }
    let out = if job.rekey {
        drop(key);
        rotate::rotate(loaded, changes, job.format, env)
            .map_err(file_err)?
            .0
    } else {
        file::reencrypt(loaded, &key, &stash, job.format, &EmitOptions::default())
            .map_err(file_err)?
    };
    Ok(Done {
        original,
        output: out,
        keys,
    })
}

/// The key paths of a decrypted map, as `status` prints them.
fn history_leaves(map: &Map, out: &mut Vec<String>) {
    fn walk(v: &Value, at: KeyPath, out: &mut Vec<String>) {
        match v {
            Value::Map(m) => {
                for e in m {
                    if let crate::document::Entry::Pair(k, v) = e {
                        walk(v, at.child(Step::Key(k.clone())), out);
                    }
                }
            }
            Value::Seq(items) => {
                for (i, v) in items
                    .iter()
                    .filter(|v| !matches!(v, Value::Comment(_)))
                    .enumerate()
                {
                    walk(v, at.child(Step::Index(i)), out);
                }
            }
            Value::Comment(_) => {}
            _ => out.push(at.to_string()),
        }
    }
    walk(&Value::Map(map.clone()), KeyPath::default(), out);
}

/// Runs the jobs: refuses dirty files first, writes every file (putting all back if
/// one fails), then commits them with `message(keys per file)` unless `no_commit`.
fn run_jobs(
    b: &Batch<'_>,
    jobs: &[Job],
    extra: &[(String, Vec<u8>)],
    no_commit: bool,
    message: impl FnOnce(&[(String, Vec<String>)]) -> String,
) -> Result<Option<String>, Error> {
    let repo = b.repo;
    let mut paths: Vec<String> = jobs.iter().map(|j| j.rel.clone()).collect();
    paths.extend(extra.iter().map(|(p, _)| p.clone()));
    if !no_commit {
        let dirty = commit::dirty(repo, &paths)?;
        if !dirty.is_empty() {
            return Err(LifecycleError::Dirty(dirty).into());
        }
    }
    let _locks: Vec<_> = jobs
        .iter()
        .map(|j| Error::lock(&repo.root.join(&j.rel)))
        .collect::<Result<_, _>>()?;
    // Everything is computed before anything is written.
    let mut results = Vec::new();
    for j in jobs {
        results.push(apply(b, j)?);
    }
    let mut written: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let writes = results
        .iter()
        .zip(jobs)
        .map(|(d, j)| (repo.root.join(&j.rel), d.original.clone(), d.output.clone()))
        .chain(extra.iter().map(|(p, bytes)| {
            let path = repo.root.join(p);
            let orig = std::fs::read(&path).unwrap_or_default();
            (path, orig, bytes.clone())
        }));
    for (path, orig, out) in writes {
        if let Err(source) = crate::fs::write_atomic(&path, &out, 0o600) {
            for (p, o) in &written {
                let _ = crate::fs::write_atomic(p, o, 0o600);
            }
            return Err(Error::Write {
                path: path.display().to_string(),
                source,
            });
        }
        written.push((path, orig));
    }
    if no_commit {
        return Ok(None);
    }
    let listed: Vec<(String, Vec<String>)> = results
        .into_iter()
        .zip(jobs)
        .map(|(d, j)| (j.rel.clone(), d.keys))
        .collect();
    let msg = message(&listed);
    match commit::commit(repo, &paths, &msg) {
        Ok(id) => Ok(Some(id)),
        Err(e) => {
            for (p, o) in &written {
                let _ = crate::fs::write_atomic(p, o, 0o600);
            }
            Err(e.into())
        }
    }
}

fn listing(files: &[(String, Vec<String>)]) -> String {
    files
        .iter()
        .map(|(f, keys)| format!("  {f}: {}", keys.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `rotate --commit` / `rotate --due`.
pub fn rotate_commit(args: &RotateArgs, changes: Changes, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let (repo, cwd) = repo()?;
    let jobs = if args.due {
        let lifecycle = settings(&cwd)?;
        let scope: Vec<String> = args
            .input
            .file
            .iter()
            .chain(&args.more)
            .map(|p| rel(&repo, &cwd, p))
            .collect::<Result<_, _>>()?;
        let now = jiff::Timestamp::now().as_second();
        let rows = status_rows(&repo, &scope, &lifecycle, &order, env, false, now)?;
        due_jobs(&rows, &lifecycle)?
    } else {
        let mut files: Vec<&PathBuf> = args.input.file.iter().collect();
        files.extend(&args.more);
        if files.is_empty() {
            return Err(Error::Usage(
                "rotate --commit needs the files to rotate".into(),
            ));
        }
        files
            .into_iter()
            .map(|p| {
                let r = rel(&repo, &cwd, p)?;
                let bytes = std::fs::read(repo.root.join(&r)).map_err(|source| Error::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                Ok(Job {
                    format: Format::detect(Path::new(&r), args.input.input_type.as_deref(), &bytes),
                    rel: r,
                    values: Vec::new(),
                    rekey: true,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?
    };
    if jobs.is_empty() {
        eprintln!("enseal: nothing is due");
        return Ok(());
    }
    let batch = Batch {
        repo: &repo,
        changes: &changes,
        order: &order,
        env,
    };
    let id = run_jobs(&batch, &jobs, &[], false, |files| {
        let n = files.len();
        let values: usize = jobs.iter().map(|j| j.values.len()).sum();
        let title = if args.due {
            format!(
                "enseal: rotate what is due ({values} value{}, {n} file{})",
                plural(values),
                plural(n)
            )
        } else {
            format!("enseal: rotate the data key of {n} file{}", plural(n))
        };
        let mut body = String::new();
        for j in &jobs {
            if !j.values.is_empty() {
                let keys: Vec<String> = j.values.iter().map(|(p, _)| p.to_string()).collect();
                body.push_str(&format!("  {}: new value for {}\n", j.rel, keys.join(", ")));
            }
        }
        let rekeyed: Vec<(String, Vec<String>)> = files
            .iter()
            .zip(&jobs)
            .filter(|(_, j)| j.rekey)
            .map(|(f, _)| f.clone())
            .collect();
        if !rekeyed.is_empty() {
            body.push_str("A new data key for (every value encrypted again, unchanged):\n");
            body.push_str(&listing(&rekeyed));
            body.push('\n');
        }
        format!(
            "{title}\n\n{body}\nEnseal-Rotation: {}\n",
            if args.due { "due" } else { "data-key" }
        )
    })?;
    if let Some(id) = id {
        eprintln!("enseal: committed {}", &id[..id.len().min(12)]);
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The jobs `rotate --due` runs: overdue values with a generator, overdue data keys.
fn due_jobs(rows: &[Row], lifecycle: &Lifecycle) -> Result<Vec<Job>, Error> {
    let mut jobs: Vec<Job> = Vec::new();
    for r in rows.iter().filter(|r| r.overdue()) {
        let idx = match jobs.iter().position(|j| j.rel == r.file) {
            Some(i) => i,
            None => {
                jobs.push(Job {
                    rel: r.file.clone(),
                    format: Format::from_path(Path::new(&r.file)),
                    values: Vec::new(),
                    rekey: false,
                });
                jobs.len() - 1
            }
        };
        if r.key == DATA_KEY {
            jobs[idx].rekey = true;
        } else if let Some(g) = lifecycle.for_value(&r.file, &r.key).generator {
            jobs[idx].values.push((parse_key(&r.key)?, g.generate()));
        } else {
            eprintln!(
                "enseal: {}: {} is overdue but no policy has a generator for it: rotate it by hand",
                r.file, r.key
            );
        }
    }
    jobs.retain(|j| j.rekey || !j.values.is_empty());
    Ok(jobs)
}

/// `rotate-value`.
pub fn rotate_value(args: RotateValueArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: ".".into(),
        source,
    })?;
    let key = parse_key(&args.key)?;
    let shown = args.file.display().to_string();
    let repo = if args.commit { Some(repo()?.0) } else { None };
    let rel_path = match &repo {
        Some(r) => rel(r, &cwd, &args.file)?,
        None => shown.clone(),
    };
    let generator = match &args.generate {
        Some(spec) => Generator::parse(spec).map_err(LifecycleError::from)?,
        None => settings(&cwd)?
            .for_value(&rel_path, &key.to_string())
            .generator
            .ok_or_else(|| LifecycleError::NoGenerator {
                file: shown.clone(),
                key: key.to_string(),
            })?,
    };
    if let Some(r) = &repo {
        let dirty = commit::dirty(r, std::slice::from_ref(&rel_path))?;
        if !dirty.is_empty() {
            return Err(LifecycleError::Dirty(dirty).into());
        }
    }
    let _lock = Error::lock(&args.file)?;
    let original = std::fs::read(&args.file).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    let format = Format::detect(&args.file, None, &original);
    let file_err = |source| Error::File {
        path: shown.clone(),
        source,
    };
    let mut loaded = file::load(&original, format).map_err(file_err)?;
    let data_key = file::data_key(&loaded.metadata, &order, env).map_err(file_err)?;
    let mut stash = Stash::default();
    file::decrypt_tree(&mut loaded, &data_key, false, Some(&mut stash)).map_err(file_err)?;
    let branch = loaded
        .doc
        .branches
        .first_mut()
        .ok_or_else(|| Error::Usage(format!("{shown}: the file holds no document")))?;
    let old = match lookup(branch, &key) {
        Some(Value::Scalar(s)) => Zeroizing::new(s.to_plaintext()),
        Some(_) => {
            return Err(Error::Usage(format!(
                "{shown}: {key} is a map or list; rotate-value replaces single values"
            )))
        }
        None => {
            return Err(LifecycleError::NoSuchKey {
                file: shown.clone(),
                key: key.to_string(),
            }
            .into())
        }
    };
    let new = generator.generate();
    crate::edit::set(branch, &key, Value::str(new.as_str())).map_err(|source| Error::Set {
        path: shown.clone(),
        source,
    })?;
    let out = file::reencrypt(loaded, &data_key, &stash, format, &EmitOptions::default())
        .map_err(file_err)?;
    let write = |bytes: &[u8]| {
        crate::fs::write_atomic(&args.file, bytes, 0o600).map_err(|source| Error::Write {
            path: shown.clone(),
            source,
        })
    };
    write(&out)?;
    if let Some(cmd) = &args.verify {
        use std::os::unix::ffi::OsStrExt;
        let status = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(cmd)
            .env("ENSEAL_NEW_VALUE", new.as_str())
            .env("ENSEAL_OLD_VALUE", std::ffi::OsStr::from_bytes(&old))
            .env("ENSEAL_FILE", &args.file)
            .env("ENSEAL_KEY_PATH", key.to_string())
            .stdin(std::process::Stdio::null())
            .status();
        let failed = match status {
            Ok(s) if s.success() => None,
            Ok(s) => Some(match s.code() {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".into(),
            }),
            Err(e) => Some(format!("cannot run sh: {e}")),
        };
        if let Some(status) = failed {
            write(&original)?;
            return Err(LifecycleError::VerifyFailed {
                file: shown,
                key: key.to_string(),
                status,
            }
            .into());
        }
    }
    if let Some(r) = &repo {
        let msg = format!(
            "enseal: rotate {key} in {rel_path}\n\n  {rel_path}: new value for {key} (generated: {generator}{})\n\nEnseal-Rotation: value\n",
            if args.verify.is_some() { ", verified" } else { "" }
        );
        if let Err(e) = commit::commit(r, std::slice::from_ref(&rel_path), &msg) {
            write(&original)?;
            return Err(e.into());
        }
    }
    Ok(())
}

/// The status rows of every tracked encrypted file under `scope`.
fn status_rows(
    repo: &Repo,
    scope: &[String],
    lifecycle: &Lifecycle,
    order: &[KeyKind],
    env: &KeyEnv,
    keyless: bool,
    now: i64,
) -> Result<Vec<Row>, Error> {
    let files = tracked_encrypted(repo, scope)?;
    let mut reader = Reader::new(env, order.to_vec(), keyless);
    let mut rows = Vec::new();
    for (f, format) in files {
        let life = history::life(repo, &f, format, &mut reader)?;
        if let Some(last) = life.versions.last() {
            let current = std::fs::read(repo.root.join(&f)).unwrap_or_default();
            if current != last.bytes {
                eprintln!(
                    "enseal: {f} has uncommitted changes; its ages are those of the last commit"
                );
            }
        } else {
            eprintln!("enseal: {f} is not committed yet; it has no ages");
        }
        rows.extend(status::rows(&life, &f, lifecycle, now));
    }
    Ok(rows)
}

fn parse_now(text: Option<&str>) -> Result<i64, Error> {
    let Some(t) = text else {
        return Ok(jiff::Timestamp::now().as_second());
    };
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        if let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC) {
            return Ok(z.timestamp().as_second());
        }
    }
    Err(LifecycleError::Now(t.to_string()).into())
}

fn day(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `status`.
pub fn status(args: StatusArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let (repo, cwd) = repo()?;
    let lifecycle = settings(&cwd)?;
    let now = parse_now(args.now.as_deref())?;
    let scope: Vec<String> = args
        .paths
        .iter()
        .map(|p| rel(&repo, &cwd, p))
        .collect::<Result<_, _>>()?;
    let scope = if scope.is_empty() {
        vec![rel(&repo, &cwd, Path::new("."))?]
    } else {
        scope
    };
    let mut rows = status_rows(&repo, &scope, &lifecycle, &order, env, args.no_decrypt, now)?;
    if args.overdue {
        rows.retain(Row::overdue);
    }
    let overdue = rows.iter().filter(|r| r.overdue()).count();
    if args.format == "json" {
        let doc = serde_json::json!({ "now": now, "rows": rows, "overdue": overdue });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("rows serialize")
        );
    } else {
        let width = rows
            .iter()
            .map(|r| r.file.len() + r.key.len() + 2)
            .max()
            .unwrap_or(0);
        for r in &rows {
            let name = format!("{}  {}", r.file, r.key);
            let policy = match (r.rotate_after, &r.expires) {
                (Some(max), Some(e)) => format!("every {}, expires {e}", format_age(max)),
                (Some(max), None) => format!("every {}", format_age(max)),
                (None, Some(e)) => format!("expires {e}"),
                (None, None) => "no policy".into(),
            };
            let state = match (r.due, r.expired) {
                (_, true) => "EXPIRED",
                (true, _) => "DUE",
                _ => "ok",
            };
            println!(
                "{name:<width$}  {:>7}  since {} {}  {policy:<24}  {state}{}",
                format_age(r.age),
                day(r.changed_at),
                &r.commit[..r.commit.len().min(9)],
                if r.exact { "" } else { "  (from ciphertexts)" }
            );
        }
    }
    if args.check && overdue > 0 {
        return Err(LifecycleError::Overdue(overdue).into());
    }
    Ok(())
}

/// `history`.
pub fn history(args: HistoryArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let (repo, cwd) = repo()?;
    let rel_path = rel(&repo, &cwd, &args.file)?;
    let format = Format::from_path(Path::new(&rel_path));
    let mut reader = Reader::new(env, order.clone(), args.no_decrypt);
    let life = history::life(&repo, &rel_path, format, &mut reader)?;
    let only = args
        .key
        .as_deref()
        .map(parse_key)
        .transpose()?
        .map(|k| k.to_string());
    let mut values_at: std::collections::HashMap<usize, Vec<(String, Zeroizing<String>)>> =
        Default::default();
    let mut entries = Vec::new();
    for c in life
        .changes
        .iter()
        .filter(|c| only.as_ref().is_none_or(|k| *k == c.key))
    {
        let v = &life.versions[c.version];
        let mut value = None;
        if args.show_values && matches!(c.kind, history::Kind::Added | history::Kind::Changed) {
            let vals = values_at.entry(c.version).or_insert_with(|| {
                decrypted_values(&v.bytes, format, &order, env).unwrap_or_default()
            });
            value = vals
                .iter()
                .find(|(k, _)| *k == c.key)
                .map(|(_, val)| val.clone());
        }
        entries.push((c, v, value));
    }
    if args.format == "json" {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .map(|(c, v, value)| {
                let mut e = serde_json::json!({
                    "commit": v.commit, "time": v.time, "author": v.author,
                    "path": v.path, "key": c.key, "kind": c.kind,
                });
                if let Some(val) = value {
                    e["value"] = serde_json::Value::String(val.to_string());
                }
                e
            })
            .collect();
        let doc = serde_json::json!({ "file": rel_path, "exact": life.exact, "changes": list });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("history serializes")
        );
    } else {
        for (c, v, value) in &entries {
            let shown = value
                .as_ref()
                .map(|val| format!("  = {}", val.as_str()))
                .unwrap_or_default();
            println!(
                "{}  {}  {:<9} {}  {}{}",
                day(v.time),
                &v.commit[..v.commit.len().min(9)],
                c.kind.word(),
                c.key,
                v.author,
                shown
            );
        }
        if !life.exact {
            eprintln!(
                "enseal: some versions could not be decrypted: their changes come from ciphertexts"
            );
        }
    }
    Ok(())
}

/// Every key path of a version with its value's text.
fn decrypted_values(
    bytes: &[u8],
    format: Format,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Option<Vec<(String, Zeroizing<String>)>> {
    let mut loaded = file::load(bytes, format).ok()?;
    let key = file::data_key(&loaded.metadata, order, env).ok()?;
    file::decrypt_tree(&mut loaded, &key, true, None).ok()?;
    let first = loaded.doc.branches.first()?;
    let mut paths = Vec::new();
    history_leaves(first, &mut paths);
    Some(
        paths
            .into_iter()
            .filter_map(|p| {
                let kp = parse_key(&p).ok()?;
                let text = match lookup(first, &kp)? {
                    Value::Scalar(s) => String::from_utf8_lossy(&s.to_plaintext()).into_owned(),
                    _ => String::new(),
                };
                Some((p, Zeroizing::new(text)))
            })
            .collect(),
    )
}

/// `access`.
pub fn access(args: AccessArgs) -> Result<(), Error> {
    let (repo, cwd) = repo()?;
    let scope: Vec<String> = args
        .paths
        .iter()
        .map(|p| rel(&repo, &cwd, p))
        .collect::<Result<_, _>>()?;
    let files = tracked_encrypted(&repo, &scope)?;
    let mut matrix = Vec::new();
    for (f, format) in &files {
        let bytes = std::fs::read(repo.root.join(f)).map_err(|source| Error::Read {
            path: f.clone(),
            source,
        })?;
        let loaded = file::load(&bytes, *format).map_err(|source| Error::File {
            path: f.clone(),
            source,
        })?;
        matrix.push(FileAccess::of(f, &loaded.metadata));
    }
    let columns = access::recipients(&matrix);
    let violations = if args.check {
        access::check(&matrix, &settings(&cwd)?.access)
    } else {
        Vec::new()
    };
    if args.format == "json" {
        let doc =
            serde_json::json!({ "files": matrix, "recipients": columns, "violations": violations });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("access serializes")
        );
    } else {
        for (i, (kind, id)) in columns.iter().enumerate() {
            println!("[{}] {kind} {id}", i + 1);
        }
        let width = matrix.iter().map(|f| f.file.len()).max().unwrap_or(4);
        let head: Vec<String> = (1..=columns.len()).map(|i| format!("[{i}]")).collect();
        println!("{:<width$}  need  {}", "file", head.join(" "));
        for f in &matrix {
            let cells: Vec<String> = columns
                .iter()
                .zip(&head)
                .map(|((_, id), h)| {
                    let groups = f.groups_of(id);
                    let cell = if groups.is_empty() {
                        "-".to_string()
                    } else if f.groups.len() == 1 {
                        "x".to_string()
                    } else {
                        groups
                            .iter()
                            .map(|g| format!("g{g}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    format!("{cell:^w$}", w = h.len())
                })
                .collect();
            let need = if f.groups.len() > 1 {
                format!("{}/{}", f.threshold, f.groups.len())
            } else {
                "1".into()
            };
            println!("{:<width$}  {need:<4}  {}", f.file, cells.join(" "));
        }
        for v in &violations {
            println!(
                "violation: {}: {} {} (access rule {})",
                v.file,
                if v.problem == "denied" {
                    "lists the denied"
                } else {
                    "does not list the required"
                },
                v.recipient,
                v.rule
            );
        }
    }
    if !violations.is_empty() {
        return Err(LifecycleError::Violations(violations.len()).into());
    }
    Ok(())
}

/// `revoke`.
pub fn revoke(args: RevokeArgs, config_path: Option<&Path>, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.decryption_order.as_deref(), env)?;
    let (repo, cwd) = repo()?;
    let mut ids: Vec<(KeyKind, String)> = Vec::new();
    ids.extend(args.age.iter().map(|r| (KeyKind::Age, r.clone())));
    ids.extend(args.pgp.iter().map(|f| (KeyKind::Pgp, f.to_uppercase())));
    ids.extend(args.kms.iter().map(|a| (KeyKind::Kms, a.clone())));
    ids.extend(args.gcp_kms.iter().map(|a| (KeyKind::GcpKms, a.clone())));
    ids.extend(args.azure_kv.iter().map(|a| (KeyKind::AzureKv, a.clone())));
    ids.extend(
        args.hc_vault_transit
            .iter()
            .map(|a| (KeyKind::HcVault, a.clone())),
    );
    if ids.is_empty() {
        return Err(Error::Usage(
            "revoke needs a key: --age, --pgp, --kms, --gcp-kms, --azure-kv or --hc-vault-transit"
                .into(),
        ));
    }
    // The files that list a revoked key.
    let mut jobs = Vec::new();
    for (f, format) in tracked_encrypted(&repo, &[])? {
        let bytes = std::fs::read(repo.root.join(&f)).unwrap_or_default();
        let Ok(loaded) = file::load(&bytes, format) else {
            continue;
        };
        let listed = loaded
            .metadata
            .key_groups
            .iter()
            .flat_map(rotate::key_ids)
            .any(|k| ids.contains(&k));
        if listed {
            jobs.push(Job {
                rel: f,
                format,
                values: Vec::new(),
                rekey: true,
            });
        }
    }
    // .sops.yaml without them.
    let config = match config_path {
        Some(p) => Some(p.to_path_buf()),
        None => crate::config::find(&cwd).0,
    };
    let mut extra = Vec::new();
    if let Some(path) = &config {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        let new = crate::lifecycle::revoke_in_config(
            &text,
            &ids.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>(),
        )
        .map_err(|reason| LifecycleError::Config {
            path: path.display().to_string(),
            reason,
        })?;
        if new != text {
            crate::config::Config::parse(path, &new).map_err(|e| LifecycleError::Config {
                path: path.display().to_string(),
                reason: format!("would not parse after the change ({e}); edit it by hand"),
            })?;
            extra.push((rel(&repo, &cwd, path)?, new.into_bytes()));
        }
    }
    if jobs.is_empty() && extra.is_empty() {
        return Err(LifecycleError::NotFound(
            ids.iter()
                .map(|(_, i)| i.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
        .into());
    }
    let changes = Changes {
        add: Default::default(),
        remove: ids.clone(),
    };
    let names: Vec<String> = ids
        .iter()
        .map(|(k, i)| format!("{} {i}", k.name()))
        .collect();
    let config_rel = extra.first().map(|(p, _)| p.clone());
    let batch = Batch {
        repo: &repo,
        changes: &changes,
        order: &order,
        env,
    };
    let id = run_jobs(&batch, &jobs, &extra, args.no_commit, |files| {
        let mut body = format!(
            "Removed {} from {} file{}; each has a new data key, so the removed key\nopens none of their current contents.\n",
            names.join(", "),
            files.len(),
            plural(files.len())
        );
        if let Some(c) = &config_rel {
            body.push_str(&format!("Also removed from the creation rules of {c}.\n"));
        }
        format!(
            "enseal: revoke {}\n\n{body}\n{}\n\nEnseal-Rotation: revoke\n",
            names.join(", "),
            listing(files)
        )
    })?;
    for j in &jobs {
        eprintln!("enseal: {}: revoked, new data key", j.rel);
    }
    if let Some(id) = id {
        eprintln!("enseal: committed {}", &id[..id.len().min(12)]);
    }
    eprintln!("enseal: older commits still hold what the revoked key could open: rotate the values it saw (enseal rotate-value)");
    Ok(())
}
