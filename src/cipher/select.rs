//! Which leaves get encrypted: the sops selectors (sops-format §4).
//!
//! A key-based selector looks at every component of a leaf's key path, so a
//! matching key decides for its whole subtree. Comment regexes look at the
//! comments pending at each nesting level above the leaf.

use regex::Regex;

/// The default selector sops records when none is configured.
pub const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// The one selector a file uses (sops allows at most one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Leave a leaf in clear if any key on its path ends with this suffix.
    UnencryptedSuffix(String),
    /// Encrypt a leaf only if some key on its path ends with this suffix.
    EncryptedSuffix(String),
    /// Leave a leaf in clear if any key on its path matches.
    UnencryptedRegex(String),
    /// Encrypt a leaf only if some key on its path matches.
    EncryptedRegex(String),
    /// Leave a leaf in clear if a pending comment matches.
    UnencryptedCommentRegex(String),
    /// Encrypt a leaf only if a pending comment matches.
    EncryptedCommentRegex(String),
}

impl Default for Selector {
    fn default() -> Self {
        Selector::UnencryptedSuffix(DEFAULT_UNENCRYPTED_SUFFIX.to_string())
    }
}

impl Selector {
    /// The metadata field name of this selector.
    pub fn field(&self) -> &'static str {
        match self {
            Selector::UnencryptedSuffix(_) => "unencrypted_suffix",
            Selector::EncryptedSuffix(_) => "encrypted_suffix",
            Selector::UnencryptedRegex(_) => "unencrypted_regex",
            Selector::EncryptedRegex(_) => "encrypted_regex",
            Selector::UnencryptedCommentRegex(_) => "unencrypted_comment_regex",
            Selector::EncryptedCommentRegex(_) => "encrypted_comment_regex",
        }
    }

    /// The suffix or pattern.
    pub fn value(&self) -> &str {
        match self {
            Selector::UnencryptedSuffix(s)
            | Selector::EncryptedSuffix(s)
            | Selector::UnencryptedRegex(s)
            | Selector::EncryptedRegex(s)
            | Selector::UnencryptedCommentRegex(s)
            | Selector::EncryptedCommentRegex(s) => s,
        }
    }

    /// Builds a selector from a metadata field name.
    pub fn from_field(field: &str, value: String) -> Option<Selector> {
        Some(match field {
            "unencrypted_suffix" => Selector::UnencryptedSuffix(value),
            "encrypted_suffix" => Selector::EncryptedSuffix(value),
            "unencrypted_regex" => Selector::UnencryptedRegex(value),
            "encrypted_regex" => Selector::EncryptedRegex(value),
            "unencrypted_comment_regex" => Selector::UnencryptedCommentRegex(value),
            "encrypted_comment_regex" => Selector::EncryptedCommentRegex(value),
            _ => return None,
        })
    }

    /// All selector field names, in metadata order.
    pub const FIELDS: [&'static str; 6] = [
        "unencrypted_suffix",
        "encrypted_suffix",
        "unencrypted_regex",
        "encrypted_regex",
        "unencrypted_comment_regex",
        "encrypted_comment_regex",
    ];
}

/// A selector's regex does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} {pattern:?}: {reason}")]
pub struct SelectorError {
    /// The selector field.
    pub field: &'static str,
    /// The pattern as given.
    pub pattern: String,
    /// The regex engine's message.
    pub reason: String,
}

/// A selector ready to decide, with its regex compiled once.
#[derive(Clone, Debug)]
pub struct Selection {
    selector: Selector,
    regex: Option<Regex>,
}

impl Selection {
    /// Compiles the selector.
    pub fn new(selector: &Selector) -> Result<Selection, SelectorError> {
        let regex = match selector {
            Selector::UnencryptedRegex(p)
            | Selector::EncryptedRegex(p)
            | Selector::UnencryptedCommentRegex(p)
            | Selector::EncryptedCommentRegex(p) => {
                Some(Regex::new(p).map_err(|e| SelectorError {
                    field: selector.field(),
                    pattern: p.clone(),
                    reason: e.to_string(),
                })?)
            }
            _ => None,
        };
        Ok(Selection {
            selector: selector.clone(),
            regex,
        })
    }

    /// Whether a key on the path "matches" this selector (suffix or regex); comment
    /// selectors never match keys. The walk ORs this down the path.
    pub fn key_matches(&self, key: &str) -> bool {
        match &self.selector {
            Selector::UnencryptedSuffix(s) | Selector::EncryptedSuffix(s) => {
                key.ends_with(s.as_str())
            }
            Selector::UnencryptedRegex(_) | Selector::EncryptedRegex(_) => {
                self.regex.as_ref().is_some_and(|r| r.is_match(key))
            }
            _ => false,
        }
    }

    /// True when the selector looks at comments, so the walk must keep the comment stack.
    pub fn uses_comments(&self) -> bool {
        matches!(
            self.selector,
            Selector::UnencryptedCommentRegex(_) | Selector::EncryptedCommentRegex(_)
        )
    }

    /// The decision for one leaf. `path_matches` is whether any key on its path matched;
    /// `comments` holds the pending comments per nesting level; for a comment leaf the last
    /// entry of the last level is the comment itself.
    pub fn should_encrypt(
        &self,
        path_matches: bool,
        comments: &[Vec<String>],
        is_comment: bool,
    ) -> bool {
        match &self.selector {
            Selector::UnencryptedSuffix(_) | Selector::UnencryptedRegex(_) => !path_matches,
            Selector::EncryptedSuffix(_) | Selector::EncryptedRegex(_) => path_matches,
            Selector::UnencryptedCommentRegex(_) => {
                let re = self.regex.as_ref().expect("compiled in new");
                !comments.iter().flatten().any(|c| re.is_match(c))
            }
            Selector::EncryptedCommentRegex(_) => {
                let re = self.regex.as_ref().expect("compiled in new");
                let last_level = comments.len().saturating_sub(1);
                comments.iter().enumerate().any(|(i, level)| {
                    level.iter().enumerate().any(|(j, c)| {
                        // The matching comment line itself stays in clear: skip the comment
                        // being decided when it is the newest one.
                        let is_self = is_comment && i == last_level && j + 1 == level.len();
                        !is_self && re.is_match(c)
                    })
                })
            }
        }
    }

    /// The regex of a comment selector, to check encrypted comments never match it.
    pub fn unencrypted_comment_regex(&self) -> Option<&Regex> {
        match self.selector {
            Selector::UnencryptedCommentRegex(_) => self.regex.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_and_regex_decisions() {
        let s = Selection::new(&Selector::default()).unwrap();
        assert!(s.key_matches("password_unencrypted"));
        assert!(!s.should_encrypt(true, &[], false));
        assert!(s.should_encrypt(false, &[], false));

        let s = Selection::new(&Selector::EncryptedRegex("^pass".into())).unwrap();
        assert!(s.key_matches("password"));
        assert!(!s.key_matches("user"));
        assert!(s.should_encrypt(true, &[], false));
        assert!(!s.should_encrypt(false, &[], false));
    }

    #[test]
    fn comment_regexes() {
        let s = Selection::new(&Selector::EncryptedCommentRegex("sops:enc".into())).unwrap();
        let stack = vec![vec![" sops:enc".to_string()]];
        assert!(s.should_encrypt(false, &stack, false));
        // The marker comment itself stays clear.
        assert!(!s.should_encrypt(false, &stack, true));
        assert!(!s.should_encrypt(false, &[vec![]], false));

        let s = Selection::new(&Selector::UnencryptedCommentRegex("clear".into())).unwrap();
        assert!(!s.should_encrypt(false, &[vec![" clear".into()], vec![]], false));
        assert!(s.should_encrypt(false, &[vec![], vec![]], false));
    }

    #[test]
    fn bad_regex_is_reported() {
        let e = Selection::new(&Selector::EncryptedRegex("(".into())).unwrap_err();
        assert_eq!(e.field, "encrypted_regex");
    }
}
