//! What people should hear about. Every rule that changes someone's registration or an activity
//! they follow calls [`queue`] inside its own transaction, so a notice exists if and only if
//! the change it describes was committed.
//!
//! For now a notice is only traced; the durable outbox that turns notices into mails plugs in
//! here without touching the rules that raise them.

use sea_orm::ConnectionTrait;

use crate::error::ApiResult;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A registration got a seat at once.
    RegistrationConfirmed { registration_id: i64 },
    /// A registration joined the waiting list.
    RegistrationWaitlisted { registration_id: i64 },
    /// A waiting registration moved to a seat.
    PromotedFromWaitlist { registration_id: i64 },
    /// A registration was cancelled by its owner or by staff.
    RegistrationCancelled { registration_id: i64 },
    /// An activity was cancelled; these registrations were active until then.
    ActivityCancelled {
        activity_id: i64,
        registration_ids: Vec<i64>,
    },
    /// The dates or the place of a published activity changed.
    ActivityChanged { activity_id: i64 },
}

pub async fn queue(_db: &impl ConnectionTrait, notice: Notice) -> ApiResult<()> {
    tracing::debug!(?notice, "notice queued");
    Ok(())
}
