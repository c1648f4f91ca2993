//! Key groups: wrapping the data key for every group (whole, or Shamir-split across
//! groups) and recovering it. Placeholder until the key-group module lands.

pub mod shamir;

use crate::cipher::data_key::DataKey;
use crate::keys::{KeyEnv, KeyGroup, KeyKind};

/// Why the data key could not be wrapped or recovered.
#[derive(Debug, thiserror::Error)]
pub enum GroupsError {
    /// Not enough groups could be opened; `report` has one line per group.
    #[error("could not recover the data key: {report}")]
    Recover {
        /// `Group 0: FAILED` lines, with the reason of each key.
        report: String,
    },
    /// Wrapping failed for a key.
    #[error("could not wrap the data key for {key}: {reason}")]
    Wrap {
        /// The key's identifier.
        key: String,
        /// Why.
        reason: String,
    },
    /// The groups or threshold are inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// Wraps `data_key` for every key of every group (split with Shamir when there are
/// two or more groups).
pub fn wrap(
    _groups: &mut [KeyGroup],
    _threshold: usize,
    _data_key: &DataKey,
    _env: &KeyEnv,
) -> Result<(), GroupsError> {
    Err(GroupsError::Invalid("key groups are not implemented yet".into()))
}

/// Recovers the data key, trying keys in `order` inside each group.
pub fn unwrap(
    _groups: &[KeyGroup],
    _threshold: usize,
    _order: &[KeyKind],
    _env: &KeyEnv,
) -> Result<DataKey, GroupsError> {
    Err(GroupsError::Invalid("key groups are not implemented yet".into()))
}
