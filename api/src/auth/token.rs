//! Session tokens: HS256 JWTs with every registered claim checked and the algorithm pinned.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The audience of session tokens: only this API accepts them.
const AUDIENCE: &str = "klub-api";
/// Clock skew tolerated between instances when checking `exp`.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("invalid token subject")]
    Subject,
    #[error("could not sign token: {0}")]
    Signing(jsonwebtoken::errors::Error),
}

impl TokenKeys {
    pub fn new(secret: &[u8], issuer: String, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer,
            ttl,
        }
    }

    /// Issues a session token for `user_id`.
    pub fn issue(&self, user_id: i64, now: DateTime<Utc>) -> Result<String, TokenError> {
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(12));
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(TokenError::Signing)
    }

    /// Returns the user id a valid token was issued for.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<i64, TokenError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        // jsonwebtoken only requires `iat` to be present; a token from the future is forged
        // or comes from a badly skewed clock.
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if claims.iat > now.timestamp() + leeway {
            return Err(TokenError::Subject);
        }
        claims.sub.parse().map_err(|_| TokenError::Subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &[u8]) -> TokenKeys {
        TokenKeys::new(secret, "http://klub.test".into(), Duration::from_secs(3600))
    }

    #[test]
    fn a_token_round_trips() {
        let keys = keys(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue(42, Utc::now()).unwrap();
        assert_eq!(keys.verify(&token, Utc::now()).unwrap(), 42);
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = keys(b"another-secret-another-secret-xx")
            .issue(42, Utc::now())
            .unwrap();
        assert!(
            keys(b"0123456789abcdef0123456789abcdef")
                .verify(&token, Utc::now())
                .is_err()
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = keys(b"0123456789abcdef0123456789abcdef");
        let token = keys
            .issue(42, Utc::now() - chrono::Duration::hours(2))
            .unwrap();
        assert!(keys.verify(&token, Utc::now()).is_err());
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        // {"alg":"none"} with valid-looking claims and no signature.
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let claims = "eyJzdWIiOiI0MiJ9";
        let keys = keys(b"0123456789abcdef0123456789abcdef");
        assert!(
            keys.verify(&format!("{header}.{claims}."), Utc::now())
                .is_err()
        );
    }
}
