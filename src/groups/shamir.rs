//! Shamir secret sharing over GF(2^8), compatible with sops (HashiCorp Vault's layout).
//! Placeholder until the key-group module lands.
