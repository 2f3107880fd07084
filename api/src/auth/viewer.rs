//! Who is asking. The viewer is loaded from the database on every request, so a role change or
//! a removed account takes effect on the very next request, not when the token expires.

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::TokenKeys;
use crate::error::{ApiError, ApiResult};

#[derive(Clone, Debug)]
pub enum Viewer {
    /// No `Authorization` header.
    Anonymous,
    /// A token was sent but is expired, forged, revoked (`logOutEverywhere`, a password
    /// change) or names a deleted account. Public operations still work; anything that needs
    /// an account answers `UNAUTHENTICATED`.
    InvalidToken,
    User(user::Model),
}

/// What an operation requires of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any logged-in account.
    Member,
    /// An admin or an animator.
    Staff,
    /// An admin.
    Admin,
}

impl Viewer {
    /// Resolves the `Authorization` header's value.
    pub async fn from_header(
        db: &impl ConnectionTrait,
        keys: &TokenKeys,
        header: Option<&str>,
        now: DateTime<Utc>,
    ) -> ApiResult<Self> {
        let Some(header) = header else {
            return Ok(Self::Anonymous);
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .unwrap_or(header)
            .trim();
        Self::from_token(db, keys, token, now).await
    }

    pub async fn from_token(
        db: &impl ConnectionTrait,
        keys: &TokenKeys,
        token: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<Self> {
        let Ok(claims) = keys.verify(token, now) else {
            return Ok(Self::InvalidToken);
        };
        Ok(
            match user::Entity::find_by_id(claims.user_id).one(db).await? {
                Some(user) if user.session_epoch == claims.epoch && user.deleted_at.is_none() => {
                    Self::User(user)
                }
                _ => Self::InvalidToken,
            },
        )
    }

    pub fn user(&self) -> Option<&user::Model> {
        match self {
            Self::User(user) => Some(user),
            Self::Anonymous | Self::InvalidToken => None,
        }
    }

    pub fn is_staff(&self) -> bool {
        self.user().is_some_and(|user| user.role.is_staff())
    }

    /// Whether the viewer is `user_id` or a staff member.
    pub fn is_self_or_staff(&self, user_id: i64) -> bool {
        self.user()
            .is_some_and(|user| user.id == user_id || user.role.is_staff())
    }

    /// The caller's account, if it may do what `access` requires.
    pub fn require(&self, access: Access) -> ApiResult<&user::Model> {
        let user = self.user().ok_or(ApiError::Unauthenticated)?;
        let allowed = match access {
            Access::Member => true,
            Access::Staff => user.role.is_staff(),
            Access::Admin => user.role == user::Role::Admin,
        };
        if allowed {
            Ok(user)
        } else {
            Err(ApiError::Forbidden)
        }
    }
}
