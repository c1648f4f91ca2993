//! The functions and filters. A filter is a function whose last argument is the
//! piped value: `.x | default "y"` is `default "y" .x`.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::ast::Pos;
use super::error::ErrorKind;
use super::eval::{missing, Evaluator};
use super::value::{Item, Missing, Val};
use crate::document::path::{parse_index_path, Step};

/// Every function, for the "unknown function" message.
pub const NAMES: &[&str] = &[
    "secret",
    "env",
    "index",
    "has",
    "default",
    "base64",
    "base64decode",
    "json",
    "yaml",
    "quote",
    "squote",
    "trim",
    "upper",
    "lower",
    "indent",
    "eq",
    "ne",
    "not",
    "and",
    "or",
];

/// A failure: at the place a missing value was looked up, else (`None`) at the call.
type Fail = (Option<Pos>, ErrorKind);
type R = Result<Item, Fail>;

fn at_call(kind: ErrorKind) -> Fail {
    (None, kind)
}

fn arity(
    function: &'static str,
    expected: &'static str,
    given: usize,
    ok: bool,
) -> Result<(), Fail> {
    if ok {
        Ok(())
    } else {
        Err(at_call(ErrorKind::Arity {
            function,
            expected,
            given,
        }))
    }
}

/// A value that must be there.
fn present(item: &Item) -> Result<&Val, Fail> {
    match &item.val {
        Val::Missing(m, pos) => {
            let (pos, kind) = missing(m, *pos);
            Err((Some(pos), kind))
        }
        v => Ok(v),
    }
}

/// A scalar's text (numbers and booleans as written, null as empty).
fn text(function: &'static str, item: &Item) -> Result<Zeroizing<String>, Fail> {
    let v = present(item)?;
    v.text().ok_or_else(|| {
        at_call(ErrorKind::Type {
            function,
            expected: "text",
            found: v.kind(),
            path: item.at(),
        })
    })
}

/// A literal string argument (a file name, a key path, a variable name).
fn name_arg(function: &'static str, item: &Item) -> Result<String, Fail> {
    match present(item)? {
        Val::Str(s) => Ok(s.to_string()),
        other => Err(at_call(ErrorKind::Type {
            function,
            expected: "a string",
            found: other.kind(),
            path: item.at(),
        })),
    }
}

fn string(s: impl Into<String>) -> R {
    Ok(Item::computed(Val::str(s)))
}

/// Calls `name` with `args` (the piped value last).
pub(super) fn call(ev: &mut Evaluator<'_, '_>, name: &str, args: Vec<Item>, pos: Pos) -> R {
    let n = args.len();
    match name {
        "secret" => {
            arity(
                "secret",
                "a file and an optional key path",
                n,
                (1..=2).contains(&n),
            )?;
            let file = name_arg("secret", &args[0])?;
            let keys = match args.get(1) {
                None => Vec::new(),
                Some(p) => key_path(&name_arg("secret", p)?).map_err(at_call)?,
            };
            ev.load(&file, &keys, pos).map_err(|(_, k)| at_call(k))
        }
        "env" => {
            arity("env", "a variable name", n, n == 1)?;
            let var = name_arg("env", &args[0])?;
            Ok(Item::computed(match (ev.scope.env)(&var) {
                Some(v) => Val::str(v),
                None => Val::Missing(Missing::Env(var), pos),
            }))
        }
        "index" => {
            arity("index", "a value and one or more keys", n, n >= 2)?;
            let mut it = args.into_iter();
            let mut item = it.next().expect("checked");
            for key in it {
                let k = match present(&key)? {
                    Val::Int(i) if *i >= 0 => i.to_string(),
                    Val::Str(s) => s.to_string(),
                    other => {
                        return Err(at_call(ErrorKind::Type {
                            function: "index",
                            expected: "a string key or a list index",
                            found: other.kind(),
                            path: None,
                        }))
                    }
                };
                item = item.field(&k);
            }
            Ok(item)
        }
        "has" => {
            arity("has", "a key and a map", n, n == 2)?;
            let key = name_arg("has", &args[0])?;
            Ok(Item::computed(Val::Bool(args[1].val.field(&key).is_some())))
        }
        "default" => {
            arity("default", "a fallback and a value", n, n == 2)?;
            let mut it = args.into_iter();
            let fallback = it.next().expect("checked");
            let value = it.next().expect("checked");
            let empty = match &value.val {
                Val::Missing(..) | Val::Null => true,
                Val::Str(s) => s.is_empty(),
                _ => false,
            };
            Ok(if empty { fallback } else { value })
        }
        "base64" => {
            arity("base64", "one value", n, n == 1)?;
            let v = present(&args[0])?;
            let bytes = v.bytes().ok_or_else(|| {
                at_call(ErrorKind::Type {
                    function: "base64",
                    expected: "text or binary data",
                    found: v.kind(),
                    path: args[0].at(),
                })
            })?;
            string(base64::engine::general_purpose::STANDARD.encode(&*bytes))
        }
        "base64decode" => {
            arity("base64decode", "one value", n, n == 1)?;
            let t = text("base64decode", &args[0])?;
            let trimmed = t.trim();
            let engines = [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE,
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            let bytes = engines
                .iter()
                .find_map(|e| e.decode(trimmed).ok())
                .ok_or_else(|| at_call(ErrorKind::Base64 { path: args[0].at() }))?;
            Ok(Item::computed(match String::from_utf8(bytes) {
                Ok(s) => Val::str(s),
                Err(e) => Val::Bytes(Zeroizing::new(e.into_bytes())),
            }))
        }
        "json" | "yaml" => {
            let function = if name == "json" { "json" } else { "yaml" };
            arity(function, "one value", n, n == 1)?;
            let v = deep_present(&args[0])?;
            if v.has_binary() {
                return Err(at_call(ErrorKind::Type {
                    function,
                    expected: "text (binary data: use | base64)",
                    found: "binary data",
                    path: args[0].at(),
                }));
            }
            let out = if function == "json" {
                serde_json::to_string(v).expect("template values serialize")
            } else {
                let mut s = String::new();
                crate::inject::yaml::write(v, 0, &mut s);
                s
            };
            string(out)
        }
        "quote" => {
            arity("quote", "one value", n, n == 1)?;
            let t = text("quote", &args[0])?;
            string(serde_json::to_string(&*t).expect("strings serialize"))
        }
        "squote" => {
            arity("squote", "one value", n, n == 1)?;
            let t = text("squote", &args[0])?;
            string(format!("'{}'", t.replace('\'', "'\\''")))
        }
        "trim" | "upper" | "lower" => {
            let function = match name {
                "trim" => "trim",
                "upper" => "upper",
                _ => "lower",
            };
            arity(function, "one value", n, n == 1)?;
            let t = text(function, &args[0])?;
            string(match function {
                "trim" => t.trim().to_string(),
                "upper" => t.to_uppercase(),
                _ => t.to_lowercase(),
            })
        }
        "indent" => {
            arity("indent", "a width and a value", n, n == 2)?;
            let width = match present(&args[0])? {
                Val::Int(w) if (0..=256).contains(w) => *w as usize,
                other => {
                    return Err(at_call(ErrorKind::Type {
                        function: "indent",
                        expected: "a width from 0 to 256",
                        found: other.kind(),
                        path: None,
                    }))
                }
            };
            let t = text("indent", &args[1])?;
            let pad = " ".repeat(width);
            let out: Vec<String> = t
                .split('\n')
                .map(|l| {
                    if l.is_empty() {
                        String::new()
                    } else {
                        format!("{pad}{l}")
                    }
                })
                .collect();
            string(out.join("\n"))
        }
        "eq" | "ne" => {
            let function = if name == "eq" { "eq" } else { "ne" };
            arity(function, "two values", n, n == 2)?;
            let same = equal(present(&args[0])?, present(&args[1])?);
            Ok(Item::computed(Val::Bool(same == (function == "eq"))))
        }
        "not" => {
            arity("not", "one value", n, n == 1)?;
            Ok(Item::computed(Val::Bool(!present(&args[0])?.truthy())))
        }
        "and" | "or" => {
            let function = if name == "and" { "and" } else { "or" };
            arity(function, "two or more values", n, n >= 2)?;
            let want = function == "or";
            for a in &args {
                if present(a)?.truthy() == want {
                    return Ok(Item::computed(Val::Bool(want)));
                }
            }
            Ok(Item::computed(Val::Bool(!want)))
        }
        other => Err(at_call(ErrorKind::UnknownFunction(other.to_string()))),
    }
}

/// A value with nothing missing anywhere inside (for `json` and `yaml`).
fn deep_present(item: &Item) -> Result<&Val, Fail> {
    fn find(v: &Val) -> Option<(&Missing, Pos)> {
        match v {
            Val::Missing(m, pos) => Some((m, *pos)),
            Val::List(l) => l.iter().find_map(find),
            Val::Map(m) => m.iter().find_map(|(_, v)| find(v)),
            _ => None,
        }
    }
    match find(&item.val) {
        Some((m, pos)) => {
            let (pos, kind) = missing(m, pos);
            Err((Some(pos), kind))
        }
        None => Ok(&item.val),
    }
}

fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Int(x), Val::Float(y)) | (Val::Float(y), Val::Int(x)) => (*x as f64) == *y,
        _ => a == b,
    }
}

/// A key path as `secret` takes it: `db.password`, `hosts.0`, or sops' index form
/// `["db"]["pass.word"]` for keys with dots.
fn key_path(path: &str) -> Result<Vec<String>, ErrorKind> {
    if path.starts_with('[') {
        let parsed = parse_index_path(path).map_err(|e| ErrorKind::KeyPath {
            path: path.to_string(),
            reason: e.reason.to_string(),
        })?;
        return Ok(parsed
            .0
            .into_iter()
            .map(|s| match s {
                Step::Key(k) => k,
                Step::Index(i) => i.to_string(),
            })
            .collect());
    }
    if path.is_empty() {
        return Ok(Vec::new());
    }
    if path.split('.').any(str::is_empty) {
        return Err(ErrorKind::KeyPath {
            path: path.to_string(),
            reason: "empty key between dots (for keys with dots use [\"a\"][\"b.c\"])".into(),
        });
    }
    Ok(path.split('.').map(str::to_string).collect())
}
