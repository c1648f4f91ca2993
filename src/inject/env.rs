//! A decrypted tree as environment variables: nested keys joined with a separator
//! (`db.password` → `DB_PASSWORD`), list items by index (`HOSTS_0`), names made valid
//! and upper-cased. Two key paths that would make the same name are an error, never
//! a silent overwrite.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::template::Val;

/// How names are made.
#[derive(Debug, Clone)]
pub struct Naming {
    /// Put before every name (`APP_`).
    pub prefix: String,
    /// Between the keys of a nested path (default `_`).
    pub separator: String,
    /// Keep the keys' case instead of upper-casing.
    pub keep_case: bool,
    /// Which characters a name may hold.
    pub charset: Charset,
}

/// The characters allowed in names; others become `_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// POSIX environment names: letters, digits, `_`, not starting with a digit.
    Env,
    /// Kubernetes Secret keys: letters, digits, `-`, `_`, `.`.
    Kubernetes,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            prefix: String::new(),
            separator: "_".into(),
            keep_case: false,
            charset: Charset::Env,
        }
    }
}

/// Why a tree cannot become variables. Names and key paths only, never values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvError {
    /// Two key paths give the same name.
    #[error("key paths {first} and {second} both become the variable {name}; rename one, or use --env-separator or --keep-case")]
    Collision {
        /// The variable name.
        name: String,
        /// The first key path.
        first: String,
        /// The second key path.
        second: String,
    },
    /// A value with a NUL byte, which no environment can hold.
    #[error("the value at {0} holds a NUL byte, which an environment variable cannot hold (use exec-file)")]
    Nul(String),
    /// Binary data where only text can go.
    #[error("the value at {0} is binary data, which this format cannot hold (use --format k8s-secret or exec-file)")]
    Binary(String),
    /// A key that leaves no name at all.
    #[error("the key path {0} gives an empty variable name")]
    EmptyName(String),
}

/// One variable: its name, the key path it came from, its value.
pub struct Var {
    /// The variable name.
    pub name: String,
    /// The key path it came from (`db.password`).
    pub path: String,
    /// The value's bytes (zeroized on drop).
    pub value: Zeroizing<Vec<u8>>,
}

// Values are secrets: Debug shows the name and path only.
impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var({} from {})", self.name, self.path)
    }
}

/// The variables of `root`, in file order.
pub fn variables(root: &Val, naming: &Naming) -> Result<Vec<Var>, EnvError> {
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), naming, &mut out)?;
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for v in &out {
        if let Some(first) = seen.insert(&v.name, &v.path) {
            return Err(EnvError::Collision {
                name: v.name.clone(),
                first: first.to_string(),
                second: v.path.clone(),
            });
        }
    }
    Ok(out)
}

fn walk(
    v: &Val,
    keys: &mut Vec<String>,
    naming: &Naming,
    out: &mut Vec<Var>,
) -> Result<(), EnvError> {
    match v {
        Val::Map(m) => {
            for (k, item) in m {
                keys.push(k.clone());
                walk(item, keys, naming, out)?;
                keys.pop();
            }
        }
        Val::List(l) => {
            for (i, item) in l.iter().enumerate() {
                keys.push(i.to_string());
                walk(item, keys, naming, out)?;
                keys.pop();
            }
        }
        scalar => {
            let path = keys.join(".");
            let value = scalar.bytes().unwrap_or_default();
            if value.contains(&0) {
                return Err(EnvError::Nul(path));
            }
            let name = name(keys, naming);
            if name.is_empty() || name == naming.prefix {
                return Err(EnvError::EmptyName(path));
            }
            out.push(Var { name, path, value });
        }
    }
    Ok(())
}

fn name(keys: &[String], naming: &Naming) -> String {
    let joined = keys.join(&naming.separator);
    let mut name = String::with_capacity(naming.prefix.len() + joined.len());
    name.push_str(&naming.prefix);
    for c in joined.chars() {
        let ok = match naming.charset {
            Charset::Env => c.is_ascii_alphanumeric() || c == '_',
            Charset::Kubernetes => c.is_ascii_alphanumeric() || "-_.".contains(c),
        };
        name.push(if ok { c } else { '_' });
    }
    if !naming.keep_case {
        name.make_ascii_uppercase();
    }
    if naming.charset == Charset::Env && name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Val {
        Val::Map(vec![
            (
                "db".into(),
                Val::Map(vec![
                    ("password".into(), Val::str("s3cret")),
                    ("port".into(), Val::Int(5432)),
                ]),
            ),
            (
                "hosts".into(),
                Val::List(vec![Val::str("a"), Val::str("b")]),
            ),
            ("api-key".into(), Val::str("k")),
            ("9lives".into(), Val::Bool(true)),
            ("empty".into(), Val::Null),
        ])
    }

    fn names(vars: &[Var]) -> Vec<(String, String)> {
        vars.iter()
            .map(|v| (v.name.clone(), String::from_utf8(v.value.to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn flattens_and_names() {
        let vars = variables(&tree(), &Naming::default()).unwrap();
        let got = names(&vars);
        let want: Vec<(String, String)> = [
            ("DB_PASSWORD", "s3cret"),
            ("DB_PORT", "5432"),
            ("HOSTS_0", "a"),
            ("HOSTS_1", "b"),
            ("API_KEY", "k"),
            ("_9LIVES", "true"),
            ("EMPTY", ""),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
        let naming = Naming {
            prefix: "APP_".into(),
            separator: "__".into(),
            keep_case: true,
            charset: Charset::Env,
        };
        let vars = variables(&tree(), &naming).unwrap();
        assert_eq!(vars[0].name, "APP_db__password");
        assert_eq!(vars[4].name, "APP_api_key");
        let k8s = Naming {
            keep_case: true,
            charset: Charset::Kubernetes,
            separator: ".".into(),
            ..Naming::default()
        };
        let vars = variables(&tree(), &k8s).unwrap();
        assert_eq!(vars[0].name, "db.password");
        assert_eq!(vars[4].name, "api-key");
    }

    #[test]
    fn collisions_and_nul_are_errors_without_values() {
        let t = Val::Map(vec![
            ("db_url".into(), Val::str("v4lue1")),
            (
                "db".into(),
                Val::Map(vec![("url".into(), Val::str("v4lue2"))]),
            ),
        ]);
        let err = variables(&t, &Naming::default()).unwrap_err();
        assert_eq!(
            err,
            EnvError::Collision {
                name: "DB_URL".into(),
                first: "db_url".into(),
                second: "db.url".into()
            }
        );
        assert!(!err.to_string().contains("v4lue"));
        let t = Val::Map(vec![("bin".into(), Val::str("a\0b"))]);
        assert_eq!(
            variables(&t, &Naming::default()).unwrap_err(),
            EnvError::Nul("bin".into())
        );
    }
}
