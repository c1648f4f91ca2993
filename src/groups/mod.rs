//! Key groups: wrapping the data key for every group (whole, or Shamir-split across
//! groups) and recovering it (sops-format §7.5).
//!
//! With one group every key wraps the whole data key. With two or more, group i's
//! keys all wrap share i, and any `threshold` opened groups recover the key.

pub mod shamir;

use std::fmt::Write as _;

use zeroize::Zeroizing;

use crate::cipher::data_key::DataKey;
use crate::keys::{KeyEnv, KeyGroup, KeyKind};

/// Why the data key could not be wrapped or recovered.
#[derive(Debug, thiserror::Error)]
pub enum GroupsError {
    /// Not enough groups could be opened; `report` has one block per group.
    #[error("could not recover the data key:\n{report}")]
    Recover {
        /// `Group N: FAILED` blocks with each key's reason.
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

/// The threshold in force: 0 means "all groups".
fn effective_threshold(groups: usize, threshold: usize) -> usize {
    if threshold == 0 {
        groups
    } else {
        threshold
    }
}

/// Wraps `data_key` for the keys of a single group that do not hold it yet (keys added
/// to a file whose data key stays).
pub fn wrap_missing(
    groups: &mut [KeyGroup],
    data_key: &DataKey,
    env: &KeyEnv,
) -> Result<(), GroupsError> {
    let [group] = groups else {
        return Err(GroupsError::Invalid(
            "keys can be added one by one to a single key group only".into(),
        ));
    };
    if group.is_empty() {
        return Err(GroupsError::Invalid("the key group is empty".into()));
    }
    if let Some(key) = group.new_keys_enseal_cannot_wrap().into_iter().next() {
        return Err(GroupsError::Wrap {
            reason: key.explain(),
            key: key.id,
        });
    }
    for key in group.usable_keys_mut() {
        if !key.is_wrapped() {
            key.wrap(data_key.as_bytes(), env)
                .map_err(|e| GroupsError::Wrap {
                    key: key.id(),
                    reason: e.to_string(),
                })?;
        }
    }
    Ok(())
}

/// Wraps `data_key` for every key of every group (split with Shamir when there are
/// two or more groups).
pub fn wrap(
    groups: &mut [KeyGroup],
    threshold: usize,
    data_key: &DataKey,
    env: &KeyEnv,
) -> Result<(), GroupsError> {
    if groups.is_empty() {
        return Err(GroupsError::Invalid("no key groups".into()));
    }
    for (i, g) in groups.iter().enumerate() {
        if g.is_empty() {
            return Err(GroupsError::Invalid(format!("key group {i} is empty")));
        }
        if let Some(key) = g.unusable_keys().into_iter().next() {
            return Err(GroupsError::Wrap {
                reason: key.explain(),
                key: key.id,
            });
        }
    }
    let secrets: Vec<Zeroizing<Vec<u8>>> = if groups.len() == 1 {
        vec![Zeroizing::new(data_key.as_bytes().to_vec())]
    } else {
        let t = effective_threshold(groups.len(), threshold);
        shamir::split(data_key.as_bytes(), groups.len(), t)
            .map_err(|e| GroupsError::Invalid(e.to_string()))?
    };
    for (group, secret) in groups.iter_mut().zip(&secrets) {
        for key in group.usable_keys_mut() {
            key.wrap(secret, env).map_err(|e| GroupsError::Wrap {
                key: format!("{} {}", key.kind().name(), key.id()),
                reason: e.to_string(),
            })?;
        }
    }
    Ok(())
}

/// Recovers the data key from enough groups, trying each group's keys in `order`.
///
/// Local keys (age, PGP) are tried first in every group: when they open enough groups,
/// no key service is asked. The groups still needed then ask their key services
/// concurrently, one thread per group, each request under the HTTP client's timeout,
/// and the key is combined as soon as enough groups have answered; a service that is
/// slow is not waited for once the threshold is met.
pub fn unwrap(
    groups: &[KeyGroup],
    threshold: usize,
    order: &[KeyKind],
    env: &KeyEnv,
) -> Result<DataKey, GroupsError> {
    if groups.is_empty() {
        return Err(GroupsError::Invalid("the file has no key groups".into()));
    }
    let need = if groups.len() == 1 {
        1
    } else {
        effective_threshold(groups.len(), threshold)
    };
    let mut reasons = vec![String::new(); groups.len()];
    let mut opened: Vec<(usize, Zeroizing<Vec<u8>>)> = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        if opened.len() >= need {
            break;
        }
        if let Some(secret) = open_group(group, order, env, &mut reasons[i], Pass::Local) {
            opened.push((i, secret));
        }
    }
    if opened.len() < need {
        let pending: Vec<usize> = (0..groups.len())
            .filter(|i| !opened.iter().any(|(o, _)| o == i))
            .filter(|i| {
                groups[*i]
                    .keys_in_order(order)
                    .iter()
                    .any(|k| k.kind().is_network())
            })
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        for &i in &pending {
            let group = groups[i].clone();
            let order = order.to_vec();
            let thread_env = env.for_thread();
            let tx = tx.clone();
            // Detached: a slow service must not hold up a key that is already complete.
            std::thread::spawn(move || {
                let mut why = String::new();
                let secret = open_group(&group, &order, &thread_env, &mut why, Pass::Network);
                let _ = tx.send((i, secret, why));
            });
        }
        drop(tx);
        for _ in &pending {
            let Ok((i, secret, why)) = rx.recv() else {
                break;
            };
            reasons[i].push_str(&why);
            if let Some(secret) = secret {
                opened.push((i, secret));
                if opened.len() >= need {
                    break;
                }
            }
        }
    }
    for (i, group) in groups.iter().enumerate() {
        if opened.len() >= need {
            break;
        }
        if opened.iter().any(|(o, _)| *o == i) {
            continue;
        }
        if let Some(secret) = open_group(group, order, env, &mut reasons[i], Pass::Late) {
            opened.push((i, secret));
        }
    }
    if opened.len() < need {
        let mut report = String::new();
        for (i, group) in groups.iter().enumerate() {
            if opened.iter().any(|(o, _)| *o == i) {
                let _ = writeln!(report, "Group {i}: SUCCESS");
                continue;
            }
            let _ = write!(report, "Group {i}: FAILED\n{}", reasons[i]);
            for key in group.unusable_keys() {
                let _ = writeln!(report, "  {}: {}", key.id, key.explain());
            }
        }
        let _ = write!(
            report,
            "needed {need} of {} group(s), opened {}",
            groups.len(),
            opened.len()
        );
        return Err(GroupsError::Recover { report });
    }
    opened.sort_by_key(|(i, _)| *i);
    let key = if groups.len() == 1 {
        Zeroizing::new(opened[0].1.to_vec())
    } else {
        let shares: Vec<&[u8]> = opened.iter().map(|(_, s)| &s[..]).collect();
        shamir::combine(&shares)
            .map_err(|e| GroupsError::Invalid(format!("cannot combine key shares: {e}")))?
    };
    DataKey::from_slice(&key).ok_or_else(|| {
        GroupsError::Invalid(format!(
            "the recovered data key has {} bytes, expected 32",
            key.len()
        ))
    })
}
/// Which keys of a group a pass tries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// age, and PGP unless the decryption order puts a key service before it (gpg may
    /// ask for a smartcard PIN, which a user may rather avoid).
    Local,
    /// Key services over the network.
    Network,
    /// PGP keys the order ranks after a key service.
    Late,
}

impl Pass {
    fn of(kind: KeyKind, order: &[KeyKind]) -> Pass {
        let rank = |k: KeyKind| order.iter().position(|o| *o == k).unwrap_or(order.len());
        let first_network = order
            .iter()
            .position(|k| k.is_network())
            .unwrap_or(order.len());
        if kind.is_network() {
            Pass::Network
        } else if kind == KeyKind::Pgp && rank(kind) > first_network {
            Pass::Late
        } else {
            Pass::Local
        }
    }
}

/// Opens one group with the keys of `pass`: the first key (in `order`) that unwraps wins.
fn open_group(
    group: &KeyGroup,
    order: &[KeyKind],
    env: &KeyEnv,
    report: &mut String,
    pass: Pass,
) -> Option<Zeroizing<Vec<u8>>> {
    for key in group.keys_in_order(order) {
        if Pass::of(key.kind(), order) != pass {
            continue;
        }
        match key.unwrap(env) {
            Ok(secret) => return Some(secret),
            Err(e) => {
                let _ = writeln!(report, "  {} {}: {e}", key.kind().name(), key.id());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::AgeKey;

    fn env_with_key(secret: &str) -> KeyEnv {
        KeyEnv {
            vars: [("SOPS_AGE_KEY".to_string(), secret.to_string())].into(),
            ..Default::default()
        }
    }

    fn age_group(recipient: &str) -> KeyGroup {
        KeyGroup {
            age: vec![AgeKey {
                recipient: recipient.into(),
                enc: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn one_group_and_shamir_groups() {
        let (s1, r1) = crate::keys::local::generate_identity();
        let (s2, r2) = crate::keys::local::generate_identity();
        let (s3, r3) = crate::keys::local::generate_identity();
        let key = DataKey::generate();
        let order = crate::keys::DEFAULT_DECRYPTION_ORDER;

        let mut one = vec![age_group(&r1)];
        wrap(&mut one, 0, &key, &KeyEnv::default()).unwrap();
        let got = unwrap(&one, 0, &order, &env_with_key(&s1)).unwrap();
        assert_eq!(got.as_bytes(), key.as_bytes());

        let mut three = vec![age_group(&r1), age_group(&r2), age_group(&r3)];
        wrap(&mut three, 2, &key, &KeyEnv::default()).unwrap();
        for pair in [[&s1, &s2], [&s2, &s3], [&s1, &s3]] {
            let env = env_with_key(&format!("{}\n{}", pair[0].as_str(), pair[1].as_str()));
            assert_eq!(
                unwrap(&three, 2, &order, &env).unwrap().as_bytes(),
                key.as_bytes()
            );
        }
        let err = unwrap(&three, 2, &order, &env_with_key(&s1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Group 0: SUCCESS"), "{err}");
        assert!(err.contains("Group 1: FAILED"), "{err}");
        assert!(err.contains("needed 2 of 3"), "{err}");
    }

    #[test]
    fn invalid_setups() {
        let key = DataKey::generate();
        let (_, r) = crate::keys::local::generate_identity();
        let mut two = vec![age_group(&r), age_group(&r)];
        assert!(wrap(&mut two, 1, &key, &KeyEnv::default()).is_err());
        assert!(wrap(&mut two, 3, &key, &KeyEnv::default()).is_err());
        let mut empty = vec![KeyGroup::default()];
        assert!(wrap(&mut empty, 0, &key, &KeyEnv::default()).is_err());
        let mut kms = vec![KeyGroup {
            kms: vec![crate::keys::KmsKey {
                arn: "arn:aws:kms:x".into(),
                ..Default::default()
            }],
            ..Default::default()
        }];
        let err = wrap(&mut kms, 0, &key, &KeyEnv::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("kms arn:aws:kms:x"), "{err}");
    }

    /// A key this build cannot use is named, with why and what to do, both when a file
    /// is to be written for it and when a file cannot be opened without it.
    #[test]
    fn keys_this_build_cannot_use_are_explained() {
        let key = DataKey::generate();
        let (s, r) = crate::keys::local::generate_identity();
        let hckms = KeyGroup {
            hckms: vec![crate::keys::HckmsKey {
                key_id: "eu-west-0:0f0e".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let err = wrap(&mut [hckms.clone()], 0, &key, &KeyEnv::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("hckms eu-west-0:0f0e"), "{err}");
        assert!(err.contains("cannot use HuaweiCloud KMS keys"), "{err}");
        assert!(
            err.contains("use sops for files that need this key"),
            "{err}"
        );

        // Two groups, both needed: the age one opens, the HuaweiCloud one cannot.
        let mut groups = vec![age_group(&r), age_group(&r)];
        wrap(&mut groups, 2, &key, &KeyEnv::default()).unwrap();
        groups[1] = hckms;
        let order = crate::keys::DEFAULT_DECRYPTION_ORDER;
        let report = unwrap(&groups, 2, &order, &env_with_key(&s))
            .unwrap_err()
            .to_string();
        assert!(report.contains("Group 0: SUCCESS"), "{report}");
        assert!(
            report.contains("hckms eu-west-0:0f0e: enseal cannot use HuaweiCloud"),
            "{report}"
        );
    }

    /// Without the `vault` feature (the demo's build), a Vault key says how to get it.
    #[cfg(not(feature = "vault"))]
    #[test]
    fn a_build_without_a_key_service_says_so() {
        let key = DataKey::generate();
        let mut vault = vec![KeyGroup {
            hc_vault: vec![crate::keys::VaultKey {
                vault_address: "http://127.0.0.1:8200".into(),
                engine_path: "transit".into(),
                key_name: "app".into(),
                ..Default::default()
            }],
            ..Default::default()
        }];
        let err = wrap(&mut vault, 0, &key, &KeyEnv::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("hc_vault http://127.0.0.1:8200/v1/transit/keys/app"),
            "{err}"
        );
        assert!(err.contains("cargo install --path ."), "{err}");
    }
}
