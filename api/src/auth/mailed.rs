//! Tokens that travel by mail (invitation and password reset links). Unlike session tokens
//! they carry nothing: 32 random bytes, shown once in the mail and stored only as their
//! SHA-256, so a leaked database cannot be turned into working links. Each use checks the
//! stored row's purpose, expiry and single use.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token (64 hex characters) to put in a link.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored in place of `token`.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}
