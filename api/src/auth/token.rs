//! Session tokens: HS256 JWTs checked as RFC 8725 asks: the algorithm pinned (so `none` and
//! other algorithms are refused), an explicit `typ` so no other JWT can pass for a session,
//! `iss`, `aud`, `exp`, `iat` and `sub` required, a small leeway for clock skew. Each token
//! names its account's session epoch: raising the epoch revokes every earlier token.
//!
//! Tokens that travel by mail (invitations, password resets) follow other rules: see
//! [`super::mailed`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

/// The audience of session tokens: only this API accepts them.
const AUDIENCE: &str = "klub-api";
/// The explicit type of session tokens (RFC 8725 §3.11).
pub const SESSION_TYPE: &str = "klub-session+jwt";
/// Clock skew tolerated between instances when checking `exp`.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    /// The account's session epoch when the token was issued.
    ver: i32,
}

/// What a valid session token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionClaims {
    pub user_id: i64,
    pub epoch: i32,
}

pub struct TokenKeys {
    /// Signs links that act without a login (one-click unsubscribe).
    links: Hmac<Sha256>,
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
    #[error("not a session token")]
    Type,
    #[error("token issued in the future")]
    FromTheFuture,
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
            links: match Hmac::new_from_slice(&[b"klub-links:".as_slice(), secret].concat()) {
                Ok(mac) => mac,
                Err(_) => unreachable!("HMAC takes keys of any length"),
            },
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer,
            ttl,
        }
    }

    /// A signature of `message` (hex): a link carrying it works for that message only, and
    /// nobody without the server's secret can make one.
    pub fn sign_link(&self, message: &str) -> String {
        let mut mac = self.links.clone();
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` (hex) is [`Self::sign_link`]'s for `message`, compared in constant
    /// time.
    pub fn verify_link(&self, message: &str, signature: &str) -> bool {
        let Ok(signature) = hex::decode(signature) else {
            return false;
        };
        let mut mac = self.links.clone();
        mac.update(message.as_bytes());
        mac.verify_slice(&signature).is_ok()
    }

    /// Issues a session token for `user_id` in its current session `epoch`.
    pub fn issue(
        &self,
        user_id: i64,
        epoch: i32,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(12));
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            ver: epoch,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(SESSION_TYPE.to_owned());
        encode(&header, &claims, &self.encoding).map_err(TokenError::Signing)
    }

    /// Returns the account and epoch a valid session token was issued for.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<SessionClaims, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)?;
        if data.header.typ.as_deref() != Some(SESSION_TYPE) {
            return Err(TokenError::Type);
        }
        let claims = data.claims;
        // jsonwebtoken only requires `iat` to be present; a token from the future is forged
        // or comes from a badly skewed clock.
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if claims.iat > now.timestamp() + leeway {
            return Err(TokenError::FromTheFuture);
        }
        Ok(SessionClaims {
            user_id: claims.sub.parse().map_err(|_| TokenError::Subject)?,
            epoch: claims.ver,
        })
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
        let token = keys.issue(42, 3, Utc::now()).unwrap();
        assert_eq!(
            keys.verify(&token, Utc::now()).unwrap(),
            SessionClaims {
                user_id: 42,
                epoch: 3
            }
        );
    }

    #[test]
    fn a_jwt_of_another_type_is_refused() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: "42".into(),
            iss: "http://klub.test".into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + 600,
            ver: 0,
        };
        let plain_jwt = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap();
        assert!(matches!(
            keys(secret).verify(&plain_jwt, Utc::now()),
            Err(TokenError::Type)
        ));
    }

    #[test]
    fn a_token_issued_in_the_future_is_refused() {
        let keys = keys(b"0123456789abcdef0123456789abcdef");
        let token = keys
            .issue(42, 0, Utc::now() + chrono::Duration::minutes(10))
            .unwrap();
        assert!(matches!(
            keys.verify(&token, Utc::now()),
            Err(TokenError::FromTheFuture)
        ));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = keys(b"another-secret-another-secret-xx")
            .issue(42, 0, Utc::now())
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
            .issue(42, 0, Utc::now() - chrono::Duration::hours(2))
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
