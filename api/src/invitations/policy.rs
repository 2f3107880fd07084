//! Who may invite whom: staff invite partners and trainers; only an admin invites staff.

use entity::{
    invitation::{self},
    user::Role,
};

use crate::{
    error::{ApiError, ApiResult},
    people::{Admin, Staff},
};

/// Who may send an invitation of `role`: staff roles come from admins only.
pub fn may_send(inviter: Staff<'_>, role: Role) -> ApiResult<()> {
    if role.is_staff() && Admin::of(inviter.person()).is_none() {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// Who may re-send or revoke an invitation: whoever may send one like it.
pub fn may_change(by: Staff<'_>, invitation: &invitation::Model) -> ApiResult<()> {
    may_send(by, invitation.role)
}
