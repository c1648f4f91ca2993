//! The matcher: one Aho-Corasick pass over a file finds the lines that hold a rule's
//! keyword; only those lines (with the next two, for multi-line secrets such as PEM
//! blocks) are given to that rule's regex. Matches then go through the filters
//! ([`super::filter`]) and overlapping matches keep the most specific rule.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::filter;
use super::rules::Rule;

/// A match in one file (byte offsets of the secret, 1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in [`Scanner::rules`].
    pub rule: usize,
    /// 1-based line of the secret's start.
    pub line: usize,
    /// 1-based column (in characters) of the secret's start.
    pub column: usize,
    /// Byte range of the secret.
    pub start: usize,
    /// End of the secret (exclusive).
    pub end: usize,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// It holds NUL bytes: not text.
    Binary,
}

/// The compiled rule set.
pub struct Scanner {
    /// The rules, in their file order.
    pub rules: Vec<Rule>,
    /// The keyword automaton (a DFA: one table step a byte). `None` only if it could
    /// not be built (nothing is found then).
    keywords: Option<AhoCorasick>,
    /// Keyword index to the rules that listed it.
    by_keyword: Vec<Vec<usize>>,
    /// Rules without keywords: tried on every line.
    everywhere: Vec<usize>,
    /// What the repository allows (`.enseal.toml`).
    pub allow: super::settings::Allow,
    /// Values of the repository's encrypted files (keyed hashes), found in any text.
    pub known: super::known::Known,
    /// The index of the rule that reports known values.
    known_rule: usize,
}

/// Lines after the keyword's line a match may span (PEM blocks, escaped `\n`).
const WINDOW_LINES: usize = 2;
/// At most this many bytes of the window are given to a regex.
const WINDOW_BYTES: usize = 16 * 1024;

impl Scanner {
    /// Compiles `rules` for large inputs: the keyword automaton is a full DFA, which
    /// takes some milliseconds to build and then costs one table step a byte.
    pub fn new(rules: Vec<Rule>) -> Scanner {
        Scanner::build(rules, AhoCorasickKind::DFA)
    }

    /// The built-in rules plus a repository's, with its allowlist. `small` input (the
    /// files of one commit, standard input) gets a contiguous NFA, which builds in a
    /// fraction of the DFA's time and is fast enough for a few kilobytes.
    pub fn with_settings(settings: super::settings::Settings, small: bool) -> Scanner {
        let mut rules = super::rules::builtin();
        rules.extend(settings.rules);
        let kind = if small {
            AhoCorasickKind::ContiguousNFA
        } else {
            AhoCorasickKind::DFA
        };
        let mut scanner = Scanner::build(rules, kind);
        scanner.allow = settings.allow;
        scanner
    }

    fn build(mut rules: Vec<Rule>, kind: AhoCorasickKind) -> Scanner {
        let mut words: Vec<String> = Vec::new();
        let mut by_keyword: Vec<Vec<usize>> = Vec::new();
        let mut everywhere = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                everywhere.push(i);
            }
            for k in &rule.keywords {
                match words.iter().position(|w| w == k) {
                    Some(at) => by_keyword[at].push(i),
                    None => {
                        words.push(k.clone());
                        by_keyword.push(vec![i]);
                    }
                }
            }
        }
        // Reported by the known-value matcher, not by a regex (listed after the
        // keyword tables are made, so it never runs as a regex).
        let known_rule = rules.len();
        rules.push(Rule::reporting(
            super::KNOWN_SECRET,
            "a value of one of this repository's encrypted files, in clear",
            super::Severity::Critical,
        ));
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&words)
            .ok();
        Scanner {
            rules,
            keywords,
            by_keyword,
            everywhere,
            allow: super::settings::Allow::default(),
            known: super::known::Known::default(),
            known_rule,
        }
    }

    /// The hits in `text`, in order of position.
    pub fn scan(&self, text: &[u8]) -> Result<Vec<Hit>, Skip> {
        if memchr::memchr(0, &text[..text.len().min(8192)]).is_some() {
            return Err(Skip::Binary);
        }
        // (line start, rule) pairs to try.
        let mut todo: Vec<(usize, usize)> = Vec::new();
        // One pass of a keyword DFA over every byte finds the lines holding a keyword;
        // on those (few) lines an overlapping pass lists every keyword, since keywords
        // nest (`secret` in `secret_access_key`) and each names its own rules.
        if let Some(keywords) = &self.keywords {
            let mut done_to = 0;
            for m in keywords.find_iter(text) {
                if m.start() < done_to {
                    continue;
                }
                let line_start = memchr::memrchr(b'\n', &text[..m.start()]).map_or(0, |i| i + 1);
                let line_end =
                    memchr::memchr(b'\n', &text[m.start()..]).map_or(text.len(), |i| m.start() + i);
                for k in keywords.find_overlapping_iter(&text[line_start..line_end]) {
                    for &r in &self.by_keyword[k.pattern().as_usize()] {
                        todo.push((line_start, r));
                    }
                }
                done_to = line_end;
            }
        }
        if !self.everywhere.is_empty() {
            let mut start = 0;
            while start < text.len() {
                for &r in &self.everywhere {
                    todo.push((start, r));
                }
                start = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
            }
        }
        todo.sort_unstable();
        todo.dedup();
        let mut hits = Vec::new();
        let (mut line_no, mut counted_to) = (1usize, 0usize);
        for (line_start, r) in todo {
            line_no += memchr::memchr_iter(b'\n', &text[counted_to..line_start]).count();
            counted_to = line_start;
            let line_end =
                memchr::memchr(b'\n', &text[line_start..]).map_or(text.len(), |i| line_start + i);
            let line = &text[line_start..line_end];
            if filter::line_allows(line) {
                continue;
            }
            let mut window_end = line_end;
            for _ in 0..WINDOW_LINES {
                if window_end >= text.len() {
                    break;
                }
                window_end = memchr::memchr(b'\n', &text[window_end + 1..])
                    .map_or(text.len(), |i| window_end + 1 + i);
            }
            let window_end = window_end.min(line_start + WINDOW_BYTES).max(line_end);
            let window = &text[line_start..window_end];
            let rule = &self.rules[r];
            let Some(regex) = rule.regex() else { continue };
            for caps in regex.captures_iter(window) {
                let Some(whole) = caps.get(0) else { continue };
                if whole.start() >= line.len() {
                    break;
                }
                let secret = caps.get(1).unwrap_or(whole);
                let value = &window[secret.start()..secret.end()];
                if !filter::accepts(rule, value, line) || self.allow.secret(value) {
                    continue;
                }
                let column = String::from_utf8_lossy(&line[..secret.start().min(line.len())])
                    .chars()
                    .count()
                    + 1;
                hits.push(Hit {
                    rule: r,
                    line: line_no,
                    column,
                    start: line_start + secret.start(),
                    end: line_start + secret.end(),
                });
            }
        }
        hits.extend(self.scan_known(text));
        Ok(self.most_specific(hits))
    }

    /// The places `text` holds a value of [`Scanner::known`].
    pub fn scan_known(&self, text: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (start, end) in self.known.find(text) {
            let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
            let line = memchr::memchr_iter(b'\n', &text[..start]).count() + 1;
            let column = String::from_utf8_lossy(&text[line_start..start])
                .chars()
                .count()
                + 1;
            let line_end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
            if filter::line_allows(&text[line_start..line_end])
                || self.allow.secret(&text[start..end])
            {
                continue;
            }
            hits.push(Hit {
                rule: self.known_rule,
                line,
                column,
                start,
                end,
            });
        }
        hits
    }

    /// Of hits whose secrets overlap, the one of the most confident rule (then the
    /// most severe, then the longest secret).
    fn most_specific(&self, mut hits: Vec<Hit>) -> Vec<Hit> {
        let rank = |h: &Hit| {
            let r = &self.rules[h.rule];
            (r.confidence, r.severity, h.end - h.start)
        };
        hits.sort_by(|a, b| a.start.cmp(&b.start).then(rank(b).cmp(&rank(a))));
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        for h in hits {
            let overlaps = kept
                .iter()
                .rposition(|k| k.start < h.end && h.start < k.end);
            match overlaps {
                Some(i) if rank(&kept[i]) >= rank(&h) => {}
                Some(i) => kept[i] = h,
                None => kept.push(h),
            }
        }
        kept.sort_by_key(|h| h.start);
        kept
    }
}
