//! Who is asking. The viewer is loaded from the database on every request, so a role change or
//! a removed account takes effect on the very next request, not when the token expires.

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{TokenKeys, throttle::ClientAddress};
use crate::{
    error::{ApiError, ApiResult},
    people::{Admin, Staff},
};

/// What a caller presented: its token, if any, and where it called from. Kept for the life of
/// a WebSocket, so that every operation on it and every event of its subscriptions is judged
/// by the account as it is at that moment ([`Credentials::viewer`]), never as it was when the
/// socket opened.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub token: Option<String>,
    pub client: ClientAddress,
}

impl Credentials {
    /// The bearer token of the `Authorization` header and the client's address: the TCP
    /// peer, or the proxy's forwarded address when `trust_forwarded_for` says a proxy sets it.
    pub fn from_http(request: &actix_web::HttpRequest, trust_forwarded_for: bool) -> Self {
        let token = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(|header| {
                header
                    .strip_prefix("Bearer ")
                    .or_else(|| header.strip_prefix("bearer "))
                    .unwrap_or(header)
                    .trim()
                    .to_owned()
            });
        let address = if trust_forwarded_for {
            request
                .connection_info()
                .realip_remote_addr()
                .map(|address| {
                    address
                        .parse::<std::net::SocketAddr>()
                        .map(|socket| socket.ip().to_string())
                        .unwrap_or_else(|_| address.to_owned())
                })
        } else {
            request.peer_addr().map(|peer| peer.ip().to_string())
        };
        Self {
            token,
            client: ClientAddress(address.unwrap_or_else(|| "unknown".into())),
        }
    }

    /// The account behind the token as it is now: role, deletion and revoked sessions included.
    pub async fn viewer(
        &self,
        db: &impl ConnectionTrait,
        keys: &TokenKeys,
        now: DateTime<Utc>,
    ) -> ApiResult<Viewer> {
        match &self.token {
            Some(token) => Viewer::from_token(db, keys, token, now).await,
            None => Ok(Viewer::Anonymous),
        }
    }
}

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

    /// The caller as staff, or UNAUTHENTICATED / FORBIDDEN.
    pub fn staff(&self) -> ApiResult<Staff<'_>> {
        let user = self.require(Access::Member)?;
        Staff::of(user).ok_or(ApiError::Forbidden)
    }

    /// The caller as an admin, or UNAUTHENTICATED / FORBIDDEN.
    pub fn admin(&self) -> ApiResult<Admin<'_>> {
        let user = self.require(Access::Member)?;
        Admin::of(user).ok_or(ApiError::Forbidden)
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
