//! Taking keys out of `.sops.yaml` for `enseal revoke`, by editing its text so that
//! its comments and layout stay: a list item naming the key goes, a key in a
//! comma-separated list goes with its comma, and a line left with no key goes.

/// `text` with every key in `ids` removed.
pub fn revoke_in_config(text: &str, ids: &[&str]) -> Result<String, String> {
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        if !ids.iter().any(|id| body.contains(id)) {
            out.push(line.to_string());
            continue;
        }
        // `- KEY` (quoted or not, maybe with a comment): the whole item goes.
        let item = body.trim_start();
        if let Some(rest) = item.strip_prefix("- ") {
            let value = rest
                .split(" #")
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
            if ids.contains(&value) {
                continue;
            }
        }
        let mut new = body.to_string();
        for id in ids {
            while let Some(at) = new.find(id) {
                let end = at + id.len();
                let after = &new[end..];
                let after_comma = after.trim_start().strip_prefix(',');
                let before = new[..at].trim_end();
                let (cut_start, cut_end) = if let Some(rest) = after_comma {
                    // `KEY, next`: the key and its comma.
                    (at, new.len() - rest.trim_start().len())
                } else if before.ends_with(',') {
                    // `prev, KEY`: the comma before it too.
                    (before.len() - 1, end)
                } else {
                    (at, end)
                };
                new.replace_range(cut_start..cut_end, "");
            }
        }
        let trimmed = new.trim();
        let empty_value = trimmed.is_empty()
            || trimmed.ends_with(':') && !trimmed.starts_with('-')
            || trimmed.ends_with(": \"\"")
            || trimmed.ends_with(": ''");
        if empty_value {
            continue;
        }
        out.push(format!("{new}{ending}"));
    }
    Ok(out.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_keys_and_keeps_the_rest() {
        let text = "# rules\ncreation_rules:\n  - path_regex: prod/.*\n    age: age1aaa,age1bbb, age1ccc  # team\n  - path_regex: dev/.*\n    age: age1bbb\n    pgp: FP1\n  - key_groups:\n      - age:\n          - age1bbb\n          - 'age1ddd'  # ops\n        pgp:\n          - FP2\n";
        let out = revoke_in_config(text, &["age1bbb"]).unwrap();
        assert_eq!(
            out,
            "# rules\ncreation_rules:\n  - path_regex: prod/.*\n    age: age1aaa,age1ccc  # team\n  - path_regex: dev/.*\n    pgp: FP1\n  - key_groups:\n      - age:\n          - 'age1ddd'  # ops\n        pgp:\n          - FP2\n"
        );
        let out = revoke_in_config(text, &["age1ccc", "age1ddd"]).unwrap();
        assert!(out.contains("    age: age1aaa,age1bbb  # team\n"), "{out}");
        assert!(!out.contains("age1ddd"));
        assert_eq!(revoke_in_config(text, &["age1zzz"]).unwrap(), text);
    }
}
