//! A completed club meeting's minutes: the questions handled in it, with their answers, in one
//! mail to every trained partner — those who came and those who could not.

use chrono::{DateTime, Utc};
use entity::{activity, club_question, user};
use minijinja::context;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    error::ApiResult,
    mail::{Letter, Mailer, Recipient},
};

/// Sent in the transaction that completes the meeting, so exactly once; nothing when no
/// question was handled.
pub async fn send(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    meeting: &activity::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let handled: Vec<minijinja::Value> = club_question::Entity::find()
        .filter(club_question::Column::MeetingId.eq(meeting.id))
        .filter(club_question::Column::Answered.eq(true))
        .order_by_desc(club_question::Column::Votes)
        .order_by_asc(club_question::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|q| context! { text => q.text, answer => q.answer })
        .collect();
    if handled.is_empty() {
        return Ok(());
    }
    let trained = user::Entity::find()
        .filter(user::Column::Role.eq(user::Role::Partner))
        .filter(user::Column::Trained.eq(true))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    for partner in &trained {
        let recipient = Recipient::address_of(partner);
        let letter = Letter::new(
            "club_minutes",
            recipient,
            context! {
                name => &partner.name,
                activity => &meeting.title,
                day => mailer.day(meeting.starts_at, mailer.locale_for(recipient)),
                questions => &handled,
            },
        );
        mailer.send(db, letter, now).await?;
    }
    Ok(())
}
