//! `enseal render`: templates filled with secrets, to standard output or written
//! atomically with their mode set before any byte is written.

use std::io::{Read, Write};
use std::path::Path;

use super::decrypt::decryption_order;
use crate::cli::{RenderArgs, RenderOutputArgs};
use crate::error::Error;
use crate::inject::render::{self, Job, Target};
use crate::inject::template::Template;
use crate::keys::KeyEnv;

/// Reads and parses each job's template.
pub(super) fn parse_templates(jobs: &[Job]) -> Result<Vec<Template>, Error> {
    jobs.iter()
        .map(|job| {
            let name = render::display(&job.source);
            let mut text = String::new();
            let read = if job.source.as_os_str() == "-" {
                std::io::stdin().read_to_string(&mut text)
            } else {
                std::fs::File::open(&job.source).and_then(|mut f| f.read_to_string(&mut text))
            };
            read.map_err(|source| Error::Read {
                path: name.clone(),
                source,
            })?;
            Ok(Template::parse(&name, &text)?)
        })
        .collect()
}

/// Writes one output: a file atomically (mode set first), or standard output.
pub(super) fn write_target(target: &Target, bytes: &[u8], mode: Option<u32>) -> Result<(), Error> {
    match target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|source| Error::Write {
                    path: "<stdout>".into(),
                    source,
                })
        }
        Target::File(path) => {
            let result = match mode {
                Some(m) => crate::fs::write_atomic_with_mode(path, bytes, m),
                None => crate::fs::write_atomic(path, bytes, 0o600),
            };
            result.map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })
        }
    }
}

/// Plans the jobs of `render` or `watch`.
pub(super) fn jobs(
    templates: &[std::path::PathBuf],
    out: &RenderOutputArgs,
) -> Result<Vec<Job>, Error> {
    Ok(render::plan(
        templates,
        out.output.as_deref(),
        out.out_dir.as_deref(),
    )?)
}

/// Renders every template; nothing is written unless all of them render.
pub fn run(args: RenderArgs, env: &KeyEnv) -> Result<(), Error> {
    let order = decryption_order(args.out.decryption_order.as_deref(), env)?;
    let jobs = jobs(&args.templates, &args.out)?;
    let templates = parse_templates(&jobs)?;
    let rendered = render::render_all(&templates, args.out.secrets.as_deref(), env, &order)?;
    if let Some(dir) = &args.out.out_dir {
        create_dir(dir)?;
    }
    for (job, out) in jobs.iter().zip(&rendered.outputs) {
        write_target(&job.target, out, args.out.mode)?;
    }
    Ok(())
}

/// Makes the output directory (0700 when new: it will hold secrets).
pub(super) fn create_dir(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })
}
