use super::*;
use crate::format::{self, EmitOptions, Format, Mode};

fn doc(yaml: &str) -> Document {
    format::parse(Format::Yaml, yaml.as_bytes(), Mode::Plain)
        .unwrap()
        .doc
}

fn yaml(d: &Document) -> String {
    let out = format::emit_in_layout(
        Format::Yaml,
        d,
        None,
        &EmitOptions { indent: Some(2) },
        None,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

fn run(base: &str, ours: &str, theirs: &str) -> (String, Vec<String>) {
    let m = merge(&doc(base), &doc(ours), &doc(theirs));
    (
        yaml(&m.doc),
        m.conflicts.iter().map(|p| p.to_string()).collect(),
    )
}

const BASE: &str = "# database\ndb:\n  user: app\n  password: one\nport: 1\nlist: [a, b]\n";

#[test]
fn different_keys_merge_cleanly() {
    let ours = BASE.replace("password: one", "password: two");
    let theirs = BASE.replace("port: 1", "port: 2");
    let (out, conflicts) = run(BASE, &ours, &theirs);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    assert_eq!(
        out,
        "# database\ndb:\n  user: app\n  password: two\nport: 2\nlist:\n  - a\n  - b\n"
    );
    // Neighbours in one map, and a key deleted on one side.
    let ours = BASE.replace("user: app", "user: root");
    let theirs = BASE.replace("  password: one\n", "");
    let (out, conflicts) = run(BASE, &ours, &theirs);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    assert!(
        out.contains("user: root") && !out.contains("password"),
        "{out}"
    );
}

#[test]
fn same_key_changed_twice_is_a_conflict_keeping_ours() {
    let ours = BASE.replace("password: one", "password: two");
    let theirs = BASE.replace("password: one", "password: three");
    let (out, conflicts) = run(BASE, &ours, &theirs);
    assert_eq!(conflicts, ["db.password"]);
    assert!(out.contains("password: two"), "{out}");
    // The same change on both sides is no conflict.
    let (out, conflicts) = run(BASE, &ours, &ours);
    assert!(conflicts.is_empty());
    assert!(out.contains("password: two"));
    // Lists are whole values.
    let ours = BASE.replace("[a, b]", "[a, c]");
    let theirs = BASE.replace("[a, b]", "[a, b, d]");
    assert_eq!(run(BASE, &ours, &theirs).1, ["list"]);
}

#[test]
fn additions_land_next_to_their_neighbours() {
    let ours = BASE.replace("port: 1\n", "port: 1\nadded_by_us: x\n");
    let theirs = BASE.replace("  password: one\n", "  password: one\n  host: db\n");
    let (out, conflicts) = run(BASE, &ours, &theirs);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    assert_eq!(
        out,
        "# database\ndb:\n  user: app\n  password: one\n  host: db\nport: 1\nadded_by_us: x\nlist:\n  - a\n  - b\n"
    );
    // The same key added differently on both sides.
    let ours = format!("{BASE}new: 1\n");
    let theirs = format!("{BASE}new: 2\n");
    assert_eq!(run(BASE, &ours, &theirs).1, ["new"]);
    // Added maps merge inside.
    let ours = format!("{BASE}svc:\n  a: 1\n");
    let theirs = format!("{BASE}svc:\n  b: 2\n");
    let (out, conflicts) = run(BASE, &ours, &theirs);
    assert!(conflicts.is_empty());
    assert!(out.ends_with("svc:\n  a: 1\n  b: 2\n"), "{out}");
}

#[test]
fn comments_travel_with_their_key() {
    let base = "a: 1\n# about b\nb: 2\nc: 3\n";
    let ours = "a: 1\n# about b, updated\nb: 2\nc: 3\n";
    let theirs = "a: 1\nc: 4\n";
    // Theirs deleted b (and its comment) while ours changed the comment: a conflict.
    assert_eq!(run(base, ours, theirs).1, ["b"]);
    let theirs = "a: 1\n# about b\nb: 2\nc: 4\n";
    let (out, conflicts) = run(base, ours, theirs);
    assert!(conflicts.is_empty());
    assert_eq!(out, "a: 1\n# about b, updated\nb: 2\nc: 4\n");
}

#[test]
fn deleted_on_one_side_changed_on_the_other_is_a_conflict() {
    let ours = BASE.replace("port: 1\n", "");
    let theirs = BASE.replace("port: 1", "port: 2");
    let (out, conflicts) = run(BASE, &ours, &theirs);
    assert_eq!(conflicts, ["port"]);
    assert!(!out.contains("port"));
    let (out, conflicts) = run(BASE, &theirs, &ours);
    assert_eq!(conflicts, ["port"]);
    assert!(out.contains("port: 2"));
}
