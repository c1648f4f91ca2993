//! Golden tests (fixtures/templates/golden.txt: every construct and every error)
//! and a property test that parsing and rendering never panic.

use std::collections::HashMap;
use std::rc::Rc;

use proptest::prelude::*;

use super::{FileRoot, Scope, Secrets, Template, Val};
use crate::format::Format;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/templates");

/// The fixture files, parsed from plaintext.
struct Fixtures(HashMap<String, FileRoot>);

impl Fixtures {
    fn load() -> Fixtures {
        let mut files = HashMap::new();
        for (name, format) in [
            ("secrets.yaml", Format::Yaml),
            ("other.env", Format::Dotenv),
        ] {
            let bytes = std::fs::read(format!("{DIR}/{name}")).unwrap();
            let parsed = crate::file::parse_plain(format, &bytes).unwrap();
            let root = Val::from_map(parsed.doc.branches.first().unwrap());
            files.insert(name.to_string(), Rc::new(root));
        }
        Fixtures(files)
    }
}

impl Secrets for Fixtures {
    fn file(&mut self, file: &str) -> Result<FileRoot, String> {
        self.0
            .get(file)
            .cloned()
            .ok_or_else(|| "no such secrets file in this test".to_string())
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "APP_ENV" => Some("prod".into()),
        "EMPTY_VAR" => Some(String::new()),
        _ => None,
    }
}

fn render(source: &str, default_file: Option<&str>) -> Result<String, String> {
    let template = Template::parse("golden", source).map_err(|e| e.to_string())?;
    let mut secrets = Fixtures::load();
    let mut scope = Scope {
        secrets: &mut secrets,
        env: &env,
        default_file,
    };
    let out = template.render(&mut scope).map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out.to_vec()).unwrap())
}

struct Case {
    name: String,
    template: String,
    expected: Result<String, String>,
}

/// Splits golden.txt into cases (see the file's header for the layout).
fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(format!("{DIR}/golden.txt")).unwrap();
    let mut cases = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line.strip_prefix("### ") else {
            continue;
        };
        let mut template = Vec::new();
        let mut marker = None;
        for l in lines.by_ref() {
            if l == "--- out" || l == "--- err" {
                marker = Some(l);
                break;
            }
            template.push(l);
        }
        let mut expected = Vec::new();
        while let Some(l) = lines.peek() {
            if l.starts_with("### ") {
                break;
            }
            expected.push(lines.next().unwrap());
        }
        // The blank line that separates cases.
        if lines.peek().is_some() && expected.last() == Some(&"") {
            expected.pop();
        }
        let expected = expected.join("\n");
        cases.push(Case {
            name: name.to_string(),
            template: template.join("\n"),
            expected: match marker.unwrap_or_else(|| panic!("case {name:?} has no --- out/err")) {
                "--- out" => Ok(expected),
                _ => Err(expected),
            },
        });
    }
    cases
}

#[test]
fn golden() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases read", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = render(&case.template, Some("secrets.yaml"));
        if got != case.expected {
            failures.push(format!(
                "### {}\nexpected: {:?}\n     got: {:?}",
                case.name, case.expected, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn no_default_file() {
    assert_eq!(
        render("x {{ .db.password }}", None).unwrap_err(),
        "golden:1:6: {{ .db.password }} needs a default secrets file (--secrets FILE); or name the file: {{ secret \"FILE\" \"db.password\" }}"
    );
    assert_eq!(
        render("{{ secret \"other.env\" \"TOKEN\" }}", None).unwrap(),
        "tok-123"
    );
}

#[test]
fn errors_never_hold_values() {
    // Every value of the fixtures, and templates that fail on each of them.
    let secrets = [
        "p@ss w'rd",
        "tok-123",
        "http://api:8080",
        "aGVsbG8gd29ybGQ=",
    ];
    for source in [
        "{{ .db.password | base64decode }}",
        "{{ .db.password | indent 2 | base64decode }}",
        "{{ .upstreams }}",
        "{{ range .db.password }}{{ end }}",
        "{{ secret \"other.env\" \"TOKEN\" | base64decode }}",
        "{{ .cert | upper | nope }}",
    ] {
        let err = render(source, Some("secrets.yaml")).unwrap_err();
        for s in secrets {
            assert!(!err.contains(s), "{source}: {err}");
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(render(&parens, None).unwrap_err().contains("nested deeper"));
    let ifs = "{{ if true }}".repeat(10_000);
    assert!(render(&ifs, None).unwrap_err().contains("nested deeper"));
    let ok = format!("{{{{ {}1{} }}}}", "(".repeat(20), ")".repeat(20));
    assert_eq!(render(&ok, None).unwrap(), "1");
}

/// Pieces templates are made of, so random inputs reach deep into the grammar.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{- ".to_string()),
        Just(" -}}".to_string()),
        Just("\\{{".to_string()),
        Just("/*".to_string()),
        Just("*/".to_string()),
        Just(" if ".to_string()),
        Just(" else ".to_string()),
        Just(" end ".to_string()),
        Just(" range ".to_string()),
        Just("$k, $v := ".to_string()),
        Just(" | ".to_string()),
        Just(".db.user".to_string()),
        Just(".hosts".to_string()),
        Just(" . ".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\"".to_string()),
        Just("`".to_string()),
        Just("\\".to_string()),
        Just(" secret \"secrets.yaml\" ".to_string()),
        Just(" default \"x\" ".to_string()),
        Just(" base64decode ".to_string()),
        Just(" json ".to_string()),
        Just(" yaml ".to_string()),
        Just(" indent 2 ".to_string()),
        Just(" -1 ".to_string()),
        Just("\n".to_string()),
        "[ -~]{0,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn parsing_and_rendering_never_panic(parts in proptest::collection::vec(fragment(), 0..40)) {
        let source = parts.concat();
        let _ = render(&source, Some("secrets.yaml"));
    }

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,200}") {
        let _ = render(&source, Some("secrets.yaml"));
    }
}
