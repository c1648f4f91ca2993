//! `decrypt --format`: the variables `exec-env` would set, written for other tools:
//! a dotenv file, shell `export` lines, a JSON object, or a Kubernetes Secret.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::env::{EnvError, Var};

/// An output format of `decrypt --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `NAME=value`, quoted when needed (docker compose, python-dotenv, node dotenv).
    Dotenv,
    /// `export NAME='value'`, for `eval` in sh, bash and zsh.
    Export,
    /// `{"NAME": "value", …}`.
    Json,
    /// A `v1` `Secret` manifest with the values base64-encoded under `data`.
    K8sSecret,
}

impl OutputFormat {
    /// Parses a `--format` value.
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        Some(match name {
            "dotenv" | "env" => OutputFormat::Dotenv,
            "export" | "shell" => OutputFormat::Export,
            "json" => OutputFormat::Json,
            "k8s-secret" | "kubernetes" | "k8s" => OutputFormat::K8sSecret,
            _ => return None,
        })
    }
}

/// What a Kubernetes Secret is called and where it goes.
#[derive(Debug, Clone, Default)]
pub struct SecretMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, if any.
    pub namespace: Option<String>,
}

/// Writes `vars` in `format`. Text formats need UTF-8 values; binary values go into
/// a Kubernetes Secret (base64) only.
pub fn write(
    vars: &[Var],
    format: OutputFormat,
    meta: &SecretMeta,
) -> Result<Zeroizing<Vec<u8>>, EnvError> {
    let mut out = Zeroizing::new(String::new());
    let text = |v: &Var| -> Result<Zeroizing<String>, EnvError> {
        std::str::from_utf8(&v.value)
            .map(|s| Zeroizing::new(s.to_string()))
            .map_err(|_| EnvError::Binary(v.path.clone()))
    };
    match format {
        OutputFormat::Dotenv => {
            for v in vars {
                let value = text(v)?;
                out.push_str(&v.name);
                out.push('=');
                out.push_str(&dotenv_value(&value));
                out.push('\n');
            }
        }
        OutputFormat::Export => {
            for v in vars {
                let value = text(v)?;
                out.push_str("export ");
                out.push_str(&v.name);
                out.push('=');
                out.push_str(&shell_quote(&value));
                out.push('\n');
            }
        }
        OutputFormat::Json => {
            let mut map = serde_json::Map::new();
            for v in vars {
                map.insert(
                    v.name.clone(),
                    serde_json::Value::String(text(v)?.to_string()),
                );
            }
            out.push_str(&serde_json::to_string_pretty(&map).expect("strings serialize"));
            out.push('\n');
            // The map's copies of the values.
            for (_, v) in map.iter_mut() {
                if let serde_json::Value::String(s) = v {
                    zeroize::Zeroize::zeroize(s);
                }
            }
        }
        OutputFormat::K8sSecret => {
            use super::yaml::scalar;
            out.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ");
            out.push_str(&scalar(&meta.name));
            if let Some(ns) = &meta.namespace {
                out.push_str("\n  namespace: ");
                out.push_str(&scalar(ns));
            }
            out.push_str("\ntype: Opaque\ndata:");
            if vars.is_empty() {
                out.push_str(" {}");
            }
            for v in vars {
                out.push_str("\n  ");
                out.push_str(&scalar(&v.name));
                out.push_str(": ");
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(&*v.value));
            }
            out.push('\n');
        }
    }
    Ok(Zeroizing::new(out.as_bytes().to_vec()))
}

/// POSIX shell single quotes: nothing inside is special; `'` is written `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A dotenv value: bare when every dotenv reader takes it as it is, else
/// double-quoted with `\\`, `\"`, `\n`, `\r`, `\t` and `\$` escaped.
pub fn dotenv_value(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@+,%".contains(c));
    if bare {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, value: &str) -> Var {
        Var {
            name: name.into(),
            path: name.to_lowercase(),
            value: Zeroizing::new(value.as_bytes().to_vec()),
        }
    }

    fn render(format: OutputFormat) -> String {
        let vars = [
            var("PLAIN", "abc-1.2"),
            var("SPACED", "a b"),
            var("QUOTES", "it's \"q\" $HOME\n2"),
            var("EMPTY", ""),
        ];
        let meta = SecretMeta {
            name: "app".into(),
            namespace: Some("prod".into()),
        };
        String::from_utf8(write(&vars, format, &meta).unwrap().to_vec()).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(
            render(OutputFormat::Dotenv),
            "PLAIN=abc-1.2\nSPACED=\"a b\"\nQUOTES=\"it's \\\"q\\\" \\$HOME\\n2\"\nEMPTY=\"\"\n"
        );
        assert_eq!(
            render(OutputFormat::Export),
            "export PLAIN='abc-1.2'\nexport SPACED='a b'\nexport QUOTES='it'\\''s \"q\" $HOME\n2'\nexport EMPTY=''\n"
        );
        let json: serde_json::Value = serde_json::from_str(&render(OutputFormat::Json)).unwrap();
        assert_eq!(json["QUOTES"], "it's \"q\" $HOME\n2");
        assert_eq!(
            render(OutputFormat::K8sSecret),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: prod\ntype: Opaque\ndata:\n  PLAIN: YWJjLTEuMg==\n  SPACED: YSBi\n  QUOTES: aXQncyAicSIgJEhPTUUKMg==\n  EMPTY: \n"
        );
    }

    #[test]
    fn export_lines_round_trip_through_a_shell() {
        let script = format!(
            "{}printf '%s|' \"$QUOTES\" \"$SPACED\" \"$EMPTY\"",
            render(OutputFormat::Export)
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "it's \"q\" $HOME\n2|a b||"
        );
    }
}
