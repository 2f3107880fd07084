//! The audit log: which staff member did what to which record, and when. Each service that
//! makes an audited change writes its row inside the change's own transaction, so there is
//! never a change without its trace nor a trace of a change that did not happen. Admins read
//! the log through `people::AuditQuery`.

use chrono::{DateTime, Utc};
pub use entity::audit_event::Action;
use entity::{audit_event, user};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::error::ApiResult;

/// Writes one event per target.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &user::Model,
    action: Action,
    target_ids: impl IntoIterator<Item = i64>,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let detail: Option<String> = detail.map(|detail| detail.chars().take(500).collect());
    let events: Vec<_> = target_ids
        .into_iter()
        .map(|target_id| audit_event::ActiveModel {
            at: Set(now),
            actor_id: Set(actor.id),
            action: Set(action),
            target_type: Set(action.target_type().to_owned()),
            target_id: Set(target_id),
            detail: Set(detail.clone()),
            ..Default::default()
        })
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    audit_event::Entity::insert_many(events)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
