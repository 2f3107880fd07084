//! Staff write to an activity's people: one mail to each person matching the filters.

use chrono::{DateTime, Utc};
use entity::activity;
use minijinja::context;
use sea_orm::DatabaseConnection;

use super::audience::{RecipientFilter, recipients};
use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::ApiResult,
    mail::{Letter, Mailer, Recipient},
    people::Staff,
    validation::{required_paragraph, required_text},
};

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 10_000;

/// Sends `subject` and `body` to each person of the activity matching any of `to`, in their
/// language's layout, and records it in the audit log. Returns how many were written to.
#[allow(clippy::too_many_arguments)]
pub async fn message_registrants(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity_id: i64,
    to: Vec<RecipientFilter>,
    subject: String,
    body: String,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let to = RecipientFilter::checked("to", to)?;
    let subject = required_text("subject", subject, MAX_SUBJECT_CHARS)?;
    let body = required_paragraph("body", body, MAX_BODY_CHARS)?;
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    let people = recipients(&tx, activity.id, &to).await?;
    for person in &people {
        let letter = Letter::new(
            "staff_message",
            Recipient::address_of(person),
            context! {
                name => &person.name,
                activity => &activity.title,
                subject => &subject,
                message => &body,
                sender => &by.person().name,
            },
        );
        mailer.send(&tx, letter, now).await?;
    }
    let detail = format!(
        "{} to {} ({})",
        subject,
        people.len(),
        RecipientFilter::join(&to)
    );
    audit::record(
        &tx,
        by.person(),
        Action::RegistrantsMessaged,
        [activity.id],
        Some(&detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(people.len())
}
