//! The template grammar and evaluation over a small fixed tree.
#![no_main]

use std::rc::Rc;

use enseal::inject::template::{FileRoot, Scope, Secrets, Template, Val};
use libfuzzer_sys::fuzz_target;

struct Fixed(FileRoot);

impl Secrets for Fixed {
    fn file(&mut self, name: &str) -> Result<FileRoot, String> {
        if name == "s.yaml" {
            Ok(self.0.clone())
        } else {
            Err("no such file".into())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(t) = Template::parse("fuzz", text) else {
        return;
    };
    let tree = Val::Map(vec![
        ("db".into(), Val::Map(vec![("password".into(), Val::str("pw")), ("port".into(), Val::Int(5432))])),
        ("hosts".into(), Val::List(vec![Val::str("a"), Val::str("b")])),
        ("b64".into(), Val::str("aGk=")),
    ]);
    let mut secrets = Fixed(Rc::new(tree));
    let env = |name: &str| (name == "HOME").then(|| "/root".to_string());
    let mut scope = Scope {
        secrets: &mut secrets,
        env: &env,
        default_file: Some("s.yaml"),
    };
    let _ = t.render(&mut scope);
});
