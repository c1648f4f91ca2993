//! The `sops` metadata block: reading it from a store's tree and writing it back
//! in the exact field order sops uses (sops-format §6).

use crate::cipher::select::Selector;
use crate::document::{Entry, Map, Scalar, Value};
use crate::format::Format;
use crate::keys::{AgeKey, AzureKvKey, GcpKmsKey, HckmsKey, KeyGroup, KmsKey, PgpKey, VaultKey};

/// The sops version enseal writes, so sops treats enseal's files as its own.
pub const SOPS_VERSION: &str = "3.11.0";

/// The metadata of an encrypted file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Shamir threshold (0 when not set).
    pub shamir_threshold: usize,
    /// Key groups (one group is written flat).
    pub key_groups: Vec<KeyGroup>,
    /// RFC 3339 time of the last encryption.
    pub last_modified: String,
    /// The encrypted MAC (`ENC[...]`), or empty.
    pub mac: String,
    /// The leaf selector; `None` only for the binary store, which records none.
    pub selector: Option<Selector>,
    /// MAC covers only encrypted values.
    pub mac_only_encrypted: bool,
    /// The sops version that wrote the file.
    pub version: String,
    /// enseal wrote the file in its plaintext's own layout (`enseal_layout: kept`), so
    /// decryption gives that layout back (docs/layout.md). sops ignores the field and
    /// drops it when it rewrites the file.
    pub layout_kept: bool,
    /// The source spellings of values whose canonical form differs, encrypted
    /// (`enseal_spelling`, see `format::spelling`).
    pub layout_spelling: Option<String>,
    /// enseal's seal over what the MAC leaves out (`enseal_seal`, see `cipher::seal`);
    /// `None` in files sops wrote.
    pub seal: Option<String>,
}

/// Why the metadata block cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// A field has the wrong shape.
    #[error("sops metadata: {field}: {problem}")]
    Field {
        /// The field path, like `age[0].enc`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// More than one selector is set.
    #[error("sops metadata: cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex")]
    SeveralSelectors,
    /// The file has no key at all.
    #[error("sops metadata: no keys found in the file")]
    NoKeys,
    /// JSON metadata with a numeric version: a sops 1.x file.
    #[error("this file was written by sops 1.x, which enseal (like sops 3) cannot read")]
    SopsOne,
}

fn field_err(field: impl Into<String>, problem: impl Into<String>) -> MetadataError {
    MetadataError::Field {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Reads a metadata value as text: strings as they are, numbers and times as sops' YAML
/// decoder would hand them to a string field.
fn text(value: &Value, field: &str) -> Result<String, MetadataError> {
    match value {
        Value::Scalar(Scalar::Str(s)) | Value::Scalar(Scalar::Time(s)) => Ok(s.clone()),
        Value::Scalar(Scalar::Int(i)) => Ok(i.to_string()),
        Value::Scalar(Scalar::Float(f)) => Ok(crate::document::number::format_yaml(*f)),
        Value::Scalar(Scalar::Bool(b)) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(field_err(field, "expected a string")),
    }
}

fn entries<'a>(value: &'a Value, field: &str) -> Result<&'a Map, MetadataError> {
    value
        .as_map()
        .ok_or_else(|| field_err(field, "expected a mapping"))
}

/// Items of a list field; `null` is an empty list.
fn items<'a>(value: &'a Value, field: &str) -> Result<Vec<&'a Value>, MetadataError> {
    match value {
        Value::Seq(items) => Ok(items
            .iter()
            .filter(|v| !matches!(v, Value::Comment(_)))
            .collect()),
        Value::Null => Ok(Vec::new()),
        _ => Err(field_err(field, "expected a list")),
    }
}

/// Iterates the `key: value` pairs of a map.
fn pairs(map: &Map) -> impl Iterator<Item = (&str, &Value)> {
    map.iter().filter_map(|e| match e {
        Entry::Pair(k, v) => Some((k.as_str(), v)),
        Entry::Comment(_) => None,
    })
}

/// Reads the fields of one key entry into a struct via `set(field_name, text)`.
fn read_entry(
    value: &Value,
    field: &str,
    mut set: impl FnMut(&str, &Value) -> Result<(), MetadataError>,
) -> Result<(), MetadataError> {
    for (k, v) in pairs(entries(value, field)?) {
        set(k, v)?;
    }
    Ok(())
}

/// Checks `created_at` is RFC 3339, as sops requires when loading.
fn created_at(value: &Value, field: &str) -> Result<String, MetadataError> {
    let t = text(value, field)?;
    if t.parse::<jiff::Timestamp>().is_err() {
        return Err(field_err(field, "created_at is not an RFC 3339 time"));
    }
    Ok(t)
}

fn read_group(map: &Value, prefix: &str) -> Result<KeyGroup, MetadataError> {
    let mut group = KeyGroup::default();
    for (k, v) in pairs(entries(map, prefix)?) {
        read_keys(&mut group, k, v, prefix)?;
    }
    Ok(group)
}

/// Reads one key list (`age`, `pgp`, `kms`, ...) into `group`; unknown fields are ignored.
fn read_keys(
    group: &mut KeyGroup,
    name: &str,
    value: &Value,
    prefix: &str,
) -> Result<(), MetadataError> {
    let at = |i: usize, f: &str| format!("{prefix}{name}[{i}].{f}");
    match name {
        "age" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = AgeKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "recipient" => key.recipient = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        _ => {}
                    }
                    Ok(())
                })?;
                group.age.push(key);
            }
        }
        "pgp" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = PgpKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "fp" => key.fingerprint = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        "created_at" => key.created_at = created_at(v, &at(i, f))?,
                        _ => {}
                    }
                    Ok(())
                })?;
                group.pgp.push(key);
            }
        }
        "kms" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = KmsKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "arn" => key.arn = text(v, &at(i, f))?,
                        "role" => key.role = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        "created_at" => key.created_at = created_at(v, &at(i, f))?,
                        "aws_profile" => key.aws_profile = text(v, &at(i, f))?,
                        "context" if matches!(v, Value::Null) => {}
                        "context" => {
                            for (ck, cv) in pairs(entries(v, &at(i, f))?) {
                                key.context.push((ck.to_string(), text(cv, &at(i, f))?));
                            }
                            key.context.sort();
                        }
                        _ => {}
                    }
                    Ok(())
                })?;
                group.kms.push(key);
            }
        }
        "gcp_kms" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = GcpKmsKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "resource_id" => key.resource_id = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        "created_at" => key.created_at = created_at(v, &at(i, f))?,
                        _ => {}
                    }
                    Ok(())
                })?;
                group.gcp_kms.push(key);
            }
        }
        "hckms" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = HckmsKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "key_id" => key.key_id = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        "created_at" => key.created_at = created_at(v, &at(i, f))?,
                        _ => {}
                    }
                    Ok(())
                })?;
                group.hckms.push(key);
            }
        }
        "azure_kv" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = AzureKvKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "vault_url" => key.vault_url = text(v, &at(i, f))?,
                        "name" => key.name = text(v, &at(i, f))?,
                        "version" => key.version = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        "created_at" => key.created_at = created_at(v, &at(i, f))?,
                        _ => {}
                    }
                    Ok(())
                })?;
                group.azure_kv.push(key);
            }
        }
        "hc_vault" => {
            for (i, item) in items(value, name)?.into_iter().enumerate() {
                let mut key = VaultKey::default();
                read_entry(item, &at(i, ""), |f, v| {
                    match f {
                        "vault_address" => key.vault_address = text(v, &at(i, f))?,
                        "engine_path" => key.engine_path = text(v, &at(i, f))?,
                        "key_name" => key.key_name = text(v, &at(i, f))?,
                        "enc" => key.enc = text(v, &at(i, f))?,
                        "created_at" => key.created_at = created_at(v, &at(i, f))?,
                        _ => {}
                    }
                    Ok(())
                })?;
                group.hc_vault.push(key);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The shape differences between stores when writing metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// YAML (and TOML): empty `hc_vault`/`age` lists inside key groups are `[]`.
    Yaml,
    /// JSON (and dotenv/INI, which flatten the JSON shape): they are `null`.
    Json,
}

fn pair(key: &str, value: Value) -> Entry {
    Entry::Pair(key.to_string(), value)
}

fn s(text: &str) -> Value {
    Value::str(text)
}

fn list_or_empty(items: Vec<Value>, shape: Shape) -> Value {
    if items.is_empty() && shape == Shape::Json {
        Value::Null
    } else {
        Value::Seq(items)
    }
}

/// Appends the key lists of a group. `flat` is the top-level layout (every list optional,
/// `pgp` written later by the caller); otherwise the group layout (`hc_vault` and `age`
/// always present).
fn write_group(out: &mut Map, g: &KeyGroup, flat: bool, shape: Shape) {
    if !flat && !g.pgp.is_empty() {
        out.push(pair("pgp", pgp_list(&g.pgp)));
    }
    if !g.kms.is_empty() {
        let list = g
            .kms
            .iter()
            .map(|k| {
                let mut m = vec![pair("arn", s(&k.arn))];
                if !k.role.is_empty() {
                    m.push(pair("role", s(&k.role)));
                }
                if !k.context.is_empty() {
                    let mut ctx = k.context.clone();
                    ctx.sort();
                    m.push(pair(
                        "context",
                        Value::Map(ctx.iter().map(|(a, b)| pair(a, s(b))).collect()),
                    ));
                }
                m.push(pair("created_at", s(&k.created_at)));
                m.push(pair("enc", s(&k.enc)));
                m.push(pair("aws_profile", s(&k.aws_profile)));
                Value::Map(m)
            })
            .collect();
        out.push(pair("kms", Value::Seq(list)));
    }
    if !g.gcp_kms.is_empty() {
        let list = g
            .gcp_kms
            .iter()
            .map(|k| {
                Value::Map(vec![
                    pair("resource_id", s(&k.resource_id)),
                    pair("created_at", s(&k.created_at)),
                    pair("enc", s(&k.enc)),
                ])
            })
            .collect();
        out.push(pair("gcp_kms", Value::Seq(list)));
    }
    if !g.hckms.is_empty() {
        let list = g
            .hckms
            .iter()
            .map(|k| {
                Value::Map(vec![
                    pair("key_id", s(&k.key_id)),
                    pair("created_at", s(&k.created_at)),
                    pair("enc", s(&k.enc)),
                ])
            })
            .collect();
        out.push(pair("hckms", Value::Seq(list)));
    }
    if !g.azure_kv.is_empty() {
        let list = g
            .azure_kv
            .iter()
            .map(|k| {
                Value::Map(vec![
                    pair("vault_url", s(&k.vault_url)),
                    pair("name", s(&k.name)),
                    pair("version", s(&k.version)),
                    pair("created_at", s(&k.created_at)),
                    pair("enc", s(&k.enc)),
                ])
            })
            .collect();
        out.push(pair("azure_kv", Value::Seq(list)));
    }
    let vault: Vec<Value> = g
        .hc_vault
        .iter()
        .map(|k| {
            Value::Map(vec![
                pair("vault_address", s(&k.vault_address)),
                pair("engine_path", s(&k.engine_path)),
                pair("key_name", s(&k.key_name)),
                pair("created_at", s(&k.created_at)),
                pair("enc", s(&k.enc)),
            ])
        })
        .collect();
    let age: Vec<Value> = g
        .age
        .iter()
        .map(|k| {
            Value::Map(vec![
                pair("recipient", s(&k.recipient)),
                pair("enc", s(&k.enc)),
            ])
        })
        .collect();
    if flat {
        if !vault.is_empty() {
            out.push(pair("hc_vault", Value::Seq(vault)));
        }
        if !age.is_empty() {
            out.push(pair("age", Value::Seq(age)));
        }
    } else {
        out.push(pair("hc_vault", list_or_empty(vault, shape)));
        out.push(pair("age", list_or_empty(age, shape)));
    }
}

fn pgp_list(keys: &[PgpKey]) -> Value {
    Value::Seq(
        keys.iter()
            .map(|k| {
                Value::Map(vec![
                    pair("created_at", s(&k.created_at)),
                    pair("enc", s(&k.enc)),
                    pair("fp", s(&k.fingerprint)),
                ])
            })
            .collect(),
    )
}

impl Metadata {
    /// Reads the metadata tree a store returned.
    pub fn from_value(value: &Value, format: Format) -> Result<Metadata, MetadataError> {
        let map = entries(value, "sops")?;
        let mut m = Metadata {
            shamir_threshold: 0,
            key_groups: Vec::new(),
            last_modified: String::new(),
            mac: String::new(),
            selector: None,
            mac_only_encrypted: false,
            version: String::new(),
            layout_kept: false,
            layout_spelling: None,
            seal: None,
        };
        let mut flat = KeyGroup::default();
        let mut groups = Vec::new();
        let mut selectors = Vec::new();
        for (k, v) in pairs(map) {
            match k {
                "shamir_threshold" => {
                    m.shamir_threshold = match v {
                        Value::Scalar(Scalar::Int(i)) if *i >= 0 => *i as usize,
                        Value::Scalar(Scalar::Float(f)) if *f >= 0.0 && f.fract() == 0.0 => {
                            *f as usize
                        }
                        Value::Scalar(Scalar::Str(t)) => t
                            .parse::<usize>()
                            .ok()
                            .or_else(|| {
                                t.parse::<f64>()
                                    .ok()
                                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                                    .map(|f| f as usize)
                            })
                            .ok_or_else(|| field_err(k, "expected a whole number"))?,
                        Value::Null => 0,
                        _ => return Err(field_err(k, "expected a whole number")),
                    }
                }
                "key_groups" => {
                    for (i, g) in items(v, k)?.into_iter().enumerate() {
                        groups.push(read_group(g, &format!("key_groups[{i}]."))?);
                    }
                }
                "lastmodified" => m.last_modified = text(v, k)?,
                // enseal's own fields are read strictly: only enseal writes them.
                "enseal_layout" => {
                    if text(v, k)? != "kept" {
                        return Err(field_err(k, "expected `kept`"));
                    }
                    m.layout_kept = true;
                }
                "enseal_spelling" => m.layout_spelling = Some(text(v, k)?),
                "enseal_seal" => m.seal = Some(text(v, k)?),
                "mac" => m.mac = text(v, k)?,
                "version" => {
                    if format == Format::Json && !matches!(v, Value::Scalar(Scalar::Str(_))) {
                        return Err(MetadataError::SopsOne);
                    }
                    m.version = text(v, k)?;
                }
                "mac_only_encrypted" => {
                    m.mac_only_encrypted = match v {
                        Value::Scalar(Scalar::Bool(b)) => *b,
                        Value::Scalar(Scalar::Str(t)) => t == "true",
                        Value::Null => false,
                        _ => return Err(field_err(k, "expected true or false")),
                    }
                }
                _ if Selector::FIELDS.contains(&k) => {
                    let t = text(v, k)?;
                    if !t.is_empty() {
                        selectors.push(Selector::from_field(k, t).expect("known field"));
                    }
                }
                _ => read_keys(&mut flat, k, v, "")?,
            }
        }
        if selectors.len() > 1 {
            return Err(MetadataError::SeveralSelectors);
        }
        m.selector = selectors.pop();
        // sops: any flat key wins over key_groups.
        m.key_groups = if !flat.is_empty() { vec![flat] } else { groups };
        if m.key_groups.is_empty() {
            return Err(MetadataError::NoKeys);
        }
        if m.last_modified.is_empty() {
            return Err(field_err("lastmodified", "missing"));
        }
        // enseal writes its seal with its other fields; without one the seal was
        // removed (one byte can comment out a line), unless the file is mac-only.
        if (m.layout_kept || m.layout_spelling.is_some())
            && m.seal.is_none()
            && !m.mac_only_encrypted
        {
            return Err(field_err(
                "enseal_seal",
                "missing, though the file has enseal's other fields (it was removed)",
            ));
        }
        // sops refuses a file without a version ("Version string empty").
        if m.version.is_empty() {
            return Err(field_err("version", "missing"));
        }
        Ok(m)
    }

    /// The selector in force: the recorded one, or sops' default suffix.
    pub fn effective_selector(&self) -> Selector {
        self.selector.clone().unwrap_or_default()
    }

    /// The metadata tree in sops' field order, shaped for `format`'s store.
    pub fn to_value(&self, format: Format) -> Value {
        // TOML has no null: its empty lists are written as YAML's are.
        let shape = if matches!(format, Format::Yaml | Format::Toml) {
            Shape::Yaml
        } else {
            Shape::Json
        };
        let mut out = Map::new();
        if self.shamir_threshold != 0 {
            out.push(pair(
                "shamir_threshold",
                Value::Scalar(Scalar::Int(self.shamir_threshold as i64)),
            ));
        }
        let single = (self.key_groups.len() == 1).then(|| &self.key_groups[0]);
        match single {
            Some(g) => write_group(&mut out, g, true, shape),
            None => {
                let groups = self
                    .key_groups
                    .iter()
                    .map(|g| {
                        let mut m = Map::new();
                        write_group(&mut m, g, false, shape);
                        Value::Map(m)
                    })
                    .collect();
                out.push(pair("key_groups", Value::Seq(groups)));
            }
        }
        out.push(pair("lastmodified", s(&self.last_modified)));
        out.push(pair("mac", s(&self.mac)));
        if let Some(g) = single.filter(|g| !g.pgp.is_empty()) {
            out.push(pair("pgp", pgp_list(&g.pgp)));
        }
        if let Some(sel) = &self.selector {
            out.push(pair(sel.field(), s(sel.value())));
        }
        if self.mac_only_encrypted {
            out.push(pair(
                "mac_only_encrypted",
                Value::Scalar(Scalar::Bool(true)),
            ));
        }
        out.push(pair("version", s(&self.version)));
        if self.layout_kept {
            out.push(pair("enseal_layout", s("kept")));
            if let Some(sp) = &self.layout_spelling {
                out.push(pair("enseal_spelling", s(sp)));
            }
        }
        if let Some(seal) = &self.seal {
            out.push(pair("enseal_seal", s(seal)));
        }
        Value::Map(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        Metadata {
            layout_kept: false,
            layout_spelling: None,
            seal: None,
            shamir_threshold: 0,
            key_groups: vec![KeyGroup {
                age: vec![AgeKey {
                    recipient: "age1x".into(),
                    enc:
                        "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n"
                            .into(),
                }],
                pgp: vec![PgpKey {
                    fingerprint: "ABCD".into(),
                    created_at: "2026-01-01T00:00:00Z".into(),
                    enc: "msg".into(),
                }],
                ..Default::default()
            }],
            last_modified: "2026-11-22T10:13:46Z".into(),
            mac: "ENC[...]".into(),
            selector: Some(Selector::default()),
            mac_only_encrypted: false,
            version: SOPS_VERSION.into(),
        }
    }

    fn keys_of(v: &Value) -> Vec<String> {
        v.as_map()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Entry::Pair(k, _) => Some(k.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn field_order_matches_sops() {
        let v = sample().to_value(Format::Yaml);
        assert_eq!(
            keys_of(&v),
            [
                "age",
                "lastmodified",
                "mac",
                "pgp",
                "unencrypted_suffix",
                "version"
            ]
        );
    }

    #[test]
    fn round_trip() {
        let m = sample();
        assert_eq!(
            Metadata::from_value(&m.to_value(Format::Json), Format::Json).unwrap(),
            m
        );
        let mut groups = sample();
        groups.key_groups.push(KeyGroup {
            age: vec![AgeKey {
                recipient: "age1y".into(),
                enc: "e".into(),
            }],
            ..Default::default()
        });
        groups.shamir_threshold = 2;
        let v = groups.to_value(Format::Json);
        assert_eq!(keys_of(&v)[..2], ["shamir_threshold", "key_groups"]);
        assert_eq!(Metadata::from_value(&v, Format::Json).unwrap(), groups);
        // JSON writes null for an empty hc_vault inside a group, YAML an empty list.
        let g = &v.get("key_groups").unwrap();
        let Value::Seq(gs) = g else { panic!() };
        assert_eq!(gs[0].get("hc_vault"), Some(&Value::Null));
        let y = groups.to_value(Format::Yaml);
        let Value::Seq(gs) = y.get("key_groups").unwrap() else {
            panic!()
        };
        assert_eq!(gs[0].get("hc_vault"), Some(&Value::Seq(vec![])));
    }

    #[test]
    fn rejects_bad_metadata() {
        let mut m = sample().to_value(Format::Json);
        if let Value::Map(entries) = &mut m {
            entries.push(pair("encrypted_regex", s("x")));
        }
        assert_eq!(
            Metadata::from_value(&m, Format::Json),
            Err(MetadataError::SeveralSelectors)
        );
        let no_keys = Value::Map(vec![pair("lastmodified", s("2026-01-01T00:00:00Z"))]);
        assert_eq!(
            Metadata::from_value(&no_keys, Format::Json),
            Err(MetadataError::NoKeys)
        );
        let sops1 = Value::Map(vec![
            pair("age", Value::Seq(vec![])),
            pair("version", Value::Scalar(Scalar::Float(1.13))),
        ]);
        assert_eq!(
            Metadata::from_value(&sops1, Format::Json),
            Err(MetadataError::SopsOne)
        );
    }
}
