//! Which editor to run, and how.

use std::path::Path;
use std::process::{Child, Command};

/// The variables naming the editor, in the order they are read.
pub const EDITOR_VARS: [&str; 4] = ["ENSEAL_EDITOR", "SOPS_EDITOR", "EDITOR", "VISUAL"];

/// Why the editor could not run.
#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    /// The variable does not split into words (an unclosed quote).
    #[error("${var} is not a valid command line ({reason})")]
    BadCommand {
        /// The variable.
        var: &'static str,
        /// Why.
        reason: String,
    },
    /// The program could not be started.
    #[error("cannot start the editor `{program}`: {source}; set $EDITOR (or $SOPS_EDITOR) to an editor that waits until the file is closed, like `vim` or `code --wait`")]
    Start {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The editor exited with a failure: its changes are not used.
    #[error("the editor `{program}` failed ({status}): nothing was changed")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
}

/// An editor command line: a program and its arguments; the file goes last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    /// The program.
    pub program: String,
    /// Its arguments before the file.
    pub args: Vec<String>,
}

impl Editor {
    /// The editor named by the first set variable of [`EDITOR_VARS`] (words split as a
    /// shell would, so `code --wait` works), else `vi`.
    pub fn from_env<'a>(var: impl Fn(&str) -> Option<&'a str>) -> Result<Editor, EditorError> {
        for name in EDITOR_VARS {
            let Some(value) = var(name).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let mut words = shell_words::split(value)
                .map_err(|e| EditorError::BadCommand {
                    var: name,
                    reason: e.to_string(),
                })?
                .into_iter();
            if let Some(program) = words.next() {
                return Ok(Editor {
                    program,
                    args: words.collect(),
                });
            }
        }
        Ok(Editor {
            program: "vi".into(),
            args: Vec::new(),
        })
    }

    /// Arguments that keep vim and neovim from copying the plaintext out of the
    /// private directory: no swap file (users often point `directory` at
    /// ~/.vim/swap), no viminfo/shada (it stores registers, so yanked secrets), no
    /// backup or undo file (`backupdir`, `undodir`). Other editors keep their swap
    /// and backup files next to the file, which is inside the private directory.
    pub fn hardening_args(&self) -> Vec<String> {
        let name = Path::new(&self.program)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        // Plain `vi` may be nvi or busybox, which take none of these.
        if matches!(
            name,
            "vim" | "nvim" | "gvim" | "mvim" | "vim.basic" | "vim.tiny"
        ) {
            [
                "-n",
                "-i",
                "NONE",
                "-c",
                "set nobackup nowritebackup noundofile",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        }
    }

    /// Starts the editor on `file` (it shares this terminal).
    pub fn spawn(&self, file: &Path) -> Result<Child, EditorError> {
        Command::new(&self.program)
            .args(&self.args)
            .args(self.hardening_args())
            .arg(file)
            .spawn()
            .map_err(|source| EditorError::Start {
                program: self.program.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &'static str)]) -> Result<Editor, EditorError> {
        let vars = vars.to_vec();
        Editor::from_env(move |n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| *v))
    }

    #[test]
    fn variables_in_order_with_arguments() {
        assert_eq!(from(&[]).unwrap().program, "vi");
        let e = from(&[("VISUAL", "nano"), ("EDITOR", "code --wait")]).unwrap();
        assert_eq!(
            (e.program.as_str(), e.args),
            ("code", vec!["--wait".into()])
        );
        let e = from(&[
            ("EDITOR", "nano"),
            ("SOPS_EDITOR", "'/opt/my editor/ed' -x"),
        ])
        .unwrap();
        assert_eq!(e.program, "/opt/my editor/ed");
        assert_eq!(e.args, ["-x"]);
        // Blank values are skipped.
        assert_eq!(
            from(&[("EDITOR", "  "), ("VISUAL", "emacs")])
                .unwrap()
                .program,
            "emacs"
        );
        assert!(matches!(
            from(&[("EDITOR", "vim 'unclosed")]),
            Err(EditorError::BadCommand { var: "EDITOR", .. })
        ));
    }

    #[test]
    fn vim_is_kept_from_writing_plaintext_elsewhere() {
        let vim = from(&[("EDITOR", "/usr/bin/vim")]).unwrap();
        let args = vim.hardening_args();
        assert!(args.contains(&"-n".to_string()) && args.contains(&"NONE".to_string()));
        assert!(from(&[("EDITOR", "vi")])
            .unwrap()
            .hardening_args()
            .is_empty());
        assert!(from(&[("EDITOR", "nano")])
            .unwrap()
            .hardening_args()
            .is_empty());
    }
}
