//! Password hashing with argon2id at OWASP's parameters, always off the async workers and a
//! few at a time (`heavy.rs`).

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::{
    error::{ApiError, ApiResult},
    heavy,
};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A password that passed the length rules. It never appears in `Debug` output.
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, raw: String) -> ApiResult<Self> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(ApiError::bad_input(
                field,
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(ApiError::bad_input(
                field,
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        Ok(Self(raw))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// Unknown account or wrong password.
    No,
    /// The right password; `upgraded` is a new hash to store when the stored one was made
    /// with older parameters than today's.
    Yes { upgraded: Option<String> },
}

/// Hashes and verifies passwords. Cloning is cheap.
#[derive(Clone)]
pub struct Passwords {
    inner: Arc<Inner>,
}

struct Inner {
    hasher: Argon2<'static>,
    params: Params,
    /// A hash of a random password, verified against when the email is unknown so that a
    /// failed login costs the same time whether or not the account exists.
    dummy_hash: String,
}

impl Passwords {
    /// OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
    pub fn new() -> ApiResult<Self> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(ApiError::internal)?;
        let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let dummy: [u8; 32] = rand::random();
        let dummy_hash = hasher
            .hash_password(&dummy)
            .map_err(ApiError::internal)?
            .to_string();
        Ok(Self {
            inner: Arc::new(Inner {
                hasher,
                params,
                dummy_hash,
            }),
        })
    }

    /// Hashes in its turn ([`heavy`]): 19 MiB per hash, a few at a time.
    pub async fn hash(&self, password: Password) -> ApiResult<String> {
        let inner = self.inner.clone();
        heavy::run(move || {
            inner
                .hasher
                .hash_password(password.0.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(ApiError::internal)
        })
        .await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account,
    /// so both cases take the same time. Only a real account with the right password passes;
    /// its hash is renewed on the spot when our parameters were raised since it was made.
    pub async fn verify(&self, password: String, stored: Option<String>) -> ApiResult<Verified> {
        let inner = self.inner.clone();
        heavy::run(move || {
            let Some(stored) = stored else {
                let _ = inner
                    .hasher
                    .verify_password(password.as_bytes(), inner.dummy_hash.as_str());
                return Ok(Verified::No);
            };
            let Ok(hash) = PasswordHash::new(&stored) else {
                // Not a PHC string (an account that cannot log in by password).
                return Ok(Verified::No);
            };
            if inner
                .hasher
                .verify_password(password.as_bytes(), &hash)
                .is_err()
            {
                return Ok(Verified::No);
            }
            let upgraded = if inner.is_current(&hash) {
                None
            } else {
                Some(
                    inner
                        .hasher
                        .hash_password(password.as_bytes())
                        .map_err(ApiError::internal)?
                        .to_string(),
                )
            };
            Ok(Verified::Yes { upgraded })
        })
        .await?
    }
}

impl Inner {
    fn is_current(&self, hash: &PasswordHash) -> bool {
        hash.algorithm == Algorithm::Argon2id.ident()
            && Params::try_from(hash).is_ok_and(|params| {
                params.m_cost() == self.params.m_cost()
                    && params.t_cost() == self.params.t_cost()
                    && params.p_cost() == self.params.p_cost()
            })
            && hash.version == Some(Version::V0x13.into())
    }
}
