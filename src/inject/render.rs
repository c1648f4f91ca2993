//! Rendering a set of templates to their outputs (`render`, and each round of
//! `watch`): where each one goes, one decryption per secrets file per round, and
//! atomic writes with the mode set before any byte is written.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::secrets::Loader;
use super::template::{Scope, Template, TemplateError};
use crate::keys::{KeyEnv, KeyKind};

/// Where a rendered template goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output.
    Stdout,
    /// A file, replaced atomically.
    File(PathBuf),
}

/// One template and its target.
#[derive(Debug, Clone)]
pub struct Job {
    /// The template file (`-` for standard input).
    pub source: PathBuf,
    /// Where its output goes.
    pub target: Target,
}

/// Why the outputs cannot be planned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// Several templates and nowhere to put them apart.
    #[error("{0} templates need --out-dir (or render them one at a time with -o)")]
    NeedOutDir(usize),
    /// Two templates would write the same file.
    #[error("{0} and {1} would both be written to {2}")]
    SameOutput(String, String, String),
    /// Standard input cannot be watched or named.
    #[error("a template from standard input (-) needs -o, not --out-dir")]
    StdinInOutDir,
}

/// Suffixes taken off a template's name to name its output.
const SUFFIXES: [&str; 4] = [".tmpl", ".tpl", ".template", ".gotmpl"];

/// The output name of a template: its file name without a template suffix.
pub fn output_name(template: &Path) -> String {
    let name = template
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s).filter(|n| !n.is_empty()))
        .unwrap_or(&name)
        .to_string()
}

/// Plans where each template goes.
pub fn plan(
    templates: &[PathBuf],
    output: Option<&Path>,
    out_dir: Option<&Path>,
) -> Result<Vec<Job>, PlanError> {
    let mut jobs = Vec::new();
    match (output, out_dir) {
        (_, Some(dir)) => {
            for t in templates {
                if t.as_os_str() == "-" {
                    return Err(PlanError::StdinInOutDir);
                }
                let target = dir.join(output_name(t));
                if let Some(other) = jobs
                    .iter()
                    .find(|j: &&Job| j.target == Target::File(target.clone()))
                {
                    return Err(PlanError::SameOutput(
                        other.source.display().to_string(),
                        t.display().to_string(),
                        target.display().to_string(),
                    ));
                }
                jobs.push(Job {
                    source: t.clone(),
                    target: Target::File(target),
                });
            }
        }
        (out, None) => {
            if templates.len() > 1 {
                return Err(PlanError::NeedOutDir(templates.len()));
            }
            jobs.extend(templates.iter().map(|t| Job {
                source: t.clone(),
                target: out.map_or(Target::Stdout, |p| Target::File(p.to_path_buf())),
            }));
        }
    }
    Ok(jobs)
}

/// A template's name in messages.
pub fn display(source: &Path) -> String {
    if source.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        source.display().to_string()
    }
}

/// The rendered outputs of one round, and what they read.
pub struct Rendered {
    /// Each job's output, in order.
    pub outputs: Vec<Zeroizing<Vec<u8>>>,
    /// The secrets files the templates read (for `watch`).
    pub secrets_used: Vec<PathBuf>,
}

/// Renders parsed templates with one loader (each secrets file decrypted once).
pub fn render_all(
    templates: &[Template],
    default_file: Option<&Path>,
    env: &KeyEnv,
    order: &[KeyKind],
) -> Result<Rendered, TemplateError> {
    let mut loader = Loader::new(env, order.to_vec());
    let default_name = default_file.map(|p| p.to_string_lossy().into_owned());
    let lookup = |name: &str| std::env::var(name).ok();
    let mut outputs = Vec::with_capacity(templates.len());
    for t in templates {
        let mut scope = Scope {
            secrets: &mut loader,
            env: &lookup,
            default_file: default_name.as_deref(),
        };
        outputs.push(t.render(&mut scope)?);
    }
    Ok(Rendered {
        outputs,
        secrets_used: loader.used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_plans() {
        assert_eq!(output_name(Path::new("conf/app.conf.tmpl")), "app.conf");
        assert_eq!(output_name(Path::new("a.yaml.gotmpl")), "a.yaml");
        assert_eq!(output_name(Path::new("plain.txt")), "plain.txt");
        assert_eq!(output_name(Path::new(".tmpl")), ".tmpl");
        let t = |s: &str| PathBuf::from(s);
        assert_eq!(
            plan(&[t("a.tmpl"), t("b.tmpl")], None, None).unwrap_err(),
            PlanError::NeedOutDir(2)
        );
        assert_eq!(
            plan(&[t("x/a.tmpl"), t("y/a.tpl")], None, Some(Path::new("out"))).unwrap_err(),
            PlanError::SameOutput("x/a.tmpl".into(), "y/a.tpl".into(), "out/a".into())
        );
        let jobs = plan(&[t("a.tmpl")], Some(Path::new("o")), None).unwrap();
        assert_eq!(jobs[0].target, Target::File(t("o")));
        let jobs = plan(&[t("-")], None, None).unwrap();
        assert_eq!(jobs[0].target, Target::Stdout);
    }
}
