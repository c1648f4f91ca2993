//! Secret ages and what the policies say about them.
//!
//! A value's age is the time since the commit that last changed it (committer time):
//! a data-key rotation re-encrypts every value but changes none, so it resets the data
//! key's age and no value's. Renames are followed.

use super::history::{Kind, Life, Reader};
use super::policy::Lifecycle;

/// The key path used for a file's data key in reports.
pub const DATA_KEY: &str = "(data key)";

/// One row of `enseal status`: a value or a file's data key.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// The file, relative to the repository top.
    pub file: String,
    /// The key path, or [`DATA_KEY`].
    pub key: String,
    /// When it last changed (committer time, Unix seconds).
    pub changed_at: i64,
    /// The commit that changed it.
    pub commit: String,
    /// Seconds since then.
    pub age: i64,
    /// Maximum age from the policy, seconds.
    pub rotate_after: Option<i64>,
    /// Rotate before this day (policy).
    pub expires: Option<String>,
    /// How a new value is made (policy), as written.
    pub generator: Option<String>,
    /// Older than the policy allows.
    pub due: bool,
    /// Past its `expires` day.
    pub expired: bool,
    /// The age comes from decrypted values (false: from ciphertexts, without a key).
    pub exact: bool,
}

impl Row {
    /// Due or expired.
    pub fn overdue(&self) -> bool {
        self.due || self.expired
    }
}

/// The rows of one file, `file` being its current path (for the policies).
pub fn rows(life: &Life, file: &str, lifecycle: &Lifecycle, now: i64) -> Vec<Row> {
    let Some(last) = life.snapshots.iter().rposition(|s| !s.unreadable) else {
        return Vec::new();
    };
    // A history that ends in a deletion or a plaintext commit has no current values.
    if last + 1 != life.snapshots.len() {
        return Vec::new();
    }
    let snap = &life.snapshots[last];
    let today = jiff::Timestamp::from_second(now)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .ok();
    let mut out = Vec::new();
    for (key, _) in &snap.values {
        let changed = life
            .changes
            .iter()
            .rev()
            .find(|c| c.key == *key && matches!(c.kind, Kind::Added | Kind::Changed))
            .map(|c| c.version)
            .unwrap_or(0);
        let v = &life.versions[changed];
        let policy = lifecycle.for_value(file, key);
        let age = now - v.time;
        out.push(Row {
            file: file.to_string(),
            key: key.clone(),
            changed_at: v.time,
            commit: v.commit.clone(),
            age,
            rotate_after: policy.rotate_after,
            expires: policy.expires.map(|d| d.to_string()),
            generator: policy.generator.as_ref().map(ToString::to_string),
            due: policy.rotate_after.is_some_and(|max| age >= max),
            expired: matches!((policy.expires, today), (Some(e), Some(t)) if t >= e),
            exact: life.exact,
        });
    }
    // The data key: the last version that changed it, else the first one.
    let mut keyed = 0;
    let mut prev: Option<usize> = None;
    for (i, s) in life.snapshots.iter().enumerate() {
        if s.unreadable {
            prev = None;
            continue;
        }
        match prev {
            None => keyed = i,
            Some(p) if Reader::rekeyed(&life.snapshots[p], s) => keyed = i,
            _ => {}
        }
        prev = Some(i);
    }
    let v = &life.versions[keyed];
    let max = lifecycle.data_key_max_age(file);
    let age = now - v.time;
    out.push(Row {
        file: file.to_string(),
        key: DATA_KEY.to_string(),
        changed_at: v.time,
        commit: v.commit.clone(),
        age,
        rotate_after: max,
        expires: None,
        generator: None,
        due: max.is_some_and(|m| age >= m),
        expired: false,
        exact: life.exact,
    });
    out
}
