//! The viewer: the account behind a request (or none), and what it may do. Made from the
//! caller's credentials by `auth`; read by every resolver.

use entity::user;

use super::{Admin, Staff, policy};
use crate::error::{ApiError, ApiResult};

#[derive(Clone, Debug)]
pub enum Viewer {
    /// No `Authorization` header.
    Anonymous,
    /// A token was sent but is expired, forged, revoked (`logOutEverywhere`, a password
    /// change) or names a deleted account. Public operations still work; anything that needs
    /// an account answers `UNAUTHENTICATED`.
    InvalidToken,
    /// The account as it is now, shared with the cache it came from.
    User(std::sync::Arc<user::Model>),
}

/// What an operation requires of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any logged-in account, a trainer's included: what concerns the account itself.
    Account,
    /// A member of the programme: partners and staff. A TRAINER account is not one: it sees
    /// and does only what concerns the activities it delivers (FORBIDDEN here).
    Member,
    /// An admin or an animator.
    Staff,
    /// An admin.
    Admin,
}

impl Viewer {
    pub fn user(&self) -> Option<&user::Model> {
        match self {
            Self::User(user) => Some(user),
            Self::Anonymous | Self::InvalidToken => None,
        }
    }

    pub fn is_staff(&self) -> bool {
        self.user().is_some_and(policy::is_staff)
    }

    /// Whether the viewer is `user_id` or a staff member.
    pub fn is_self_or_staff(&self, user_id: i64) -> bool {
        self.user()
            .is_some_and(|user| policy::is_owner_or_staff(user, user_id))
    }

    /// The caller as staff, or UNAUTHENTICATED / FORBIDDEN.
    pub fn staff(&self) -> ApiResult<Staff<'_>> {
        let user = self.require(Access::Account)?;
        Staff::of(user).ok_or(ApiError::Forbidden)
    }

    /// The caller as an admin, or UNAUTHENTICATED / FORBIDDEN.
    pub fn admin(&self) -> ApiResult<Admin<'_>> {
        let user = self.require(Access::Account)?;
        Admin::of(user).ok_or(ApiError::Forbidden)
    }

    /// The caller's account, if it may do what `access` requires.
    pub fn require(&self, access: Access) -> ApiResult<&user::Model> {
        let user = self.user().ok_or(ApiError::Unauthenticated)?;
        let allowed = match access {
            Access::Account => true,
            Access::Member => user.role != user::Role::Trainer,
            Access::Staff => policy::is_staff(user),
            Access::Admin => user.role == user::Role::Admin,
        };
        if allowed {
            Ok(user)
        } else {
            Err(ApiError::Forbidden)
        }
    }
}
