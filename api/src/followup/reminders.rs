//! Reminder rules: "72 h before the start, to CONFIRMED: bring your laptop", "24 h after the
//! end, to NO_SHOW". A rule's time follows the activity's dates, so moving the sessions re-times
//! every rule not yet sent. Each rule reaches each person once: the delivery row, inserted in
//! the transaction that writes the mail, is the claim, so on several instances exactly one
//! writes it, and a rule already sent is not sent again after the dates move.

use chrono::{DateTime, Duration, Utc};
use entity::{
    activity::{self, Status},
    reminder_delivery,
    reminder_rule::{self, Anchor},
    session,
};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, sea_query::OnConflict,
};

use super::audience::{RecipientFilter, recipients};
use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::Staff,
    validation::optional_paragraph,
};

pub use crate::config::MAX_REMINDER_HOURS as MAX_OFFSET_HOURS;
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// An AFTER_END rule still reaches people who match it late (attendance recorded days after
/// the end) for this long after its time.
const AFTER_END_WINDOW: Duration = Duration::days(30);

/// When the rule sends for the activity as it is now.
pub fn sends_at(rule: &reminder_rule::Model, activity: &activity::Model) -> DateTime<Utc> {
    let offset = Duration::hours(i64::from(rule.offset_hours));
    match rule.anchor {
        Anchor::BeforeStart => activity.starts_at - offset,
        Anchor::AfterEnd => activity.ends_at + offset,
    }
}

/// Whether the rule is due now: its time has come and it still makes sense (a reminder before
/// the start stops at the start, one after the end some weeks later; none for a cancelled
/// activity).
fn is_due(rule: &reminder_rule::Model, activity: &activity::Model, now: DateTime<Utc>) -> bool {
    let at = sends_at(rule, activity);
    at <= now
        && match rule.anchor {
            Anchor::BeforeStart => activity.status == Status::Published && now < activity.starts_at,
            Anchor::AfterEnd => {
                matches!(activity.status, Status::Published | Status::Completed)
                    && now < at + AFTER_END_WINDOW
            }
        }
}

pub fn of_activity(activity_id: i64) -> sea_orm::Select<reminder_rule::Entity> {
    reminder_rule::Entity::find()
        .filter(reminder_rule::Column::ActivityId.eq(activity_id))
        .order_by_asc(reminder_rule::Column::Id)
}

async fn insert(
    db: &impl ConnectionTrait,
    activity_id: i64,
    anchor: Anchor,
    offset_hours: i32,
    to: &[RecipientFilter],
    message: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<reminder_rule::Model> {
    Ok(reminder_rule::ActiveModel {
        activity_id: Set(activity_id),
        anchor: Set(anchor),
        offset_hours: Set(offset_hours),
        recipients: Set(RecipientFilter::join(to)),
        message: Set(message),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The rule every new activity starts with (`KLUB_REMINDER_HOURS` before the start, to the
/// confirmed registrants); staff may remove it like any other.
pub async fn add_default(
    db: &impl ConnectionTrait,
    activity_id: i64,
    before: Duration,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let hours = i32::try_from(before.num_hours()).unwrap_or(24);
    insert(
        db,
        activity_id,
        Anchor::BeforeStart,
        hours,
        &[RecipientFilter::Confirmed],
        None,
        now,
    )
    .await?;
    Ok(())
}

/// A new rule for an activity that is not cancelled.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    db: &DatabaseConnection,
    activity_id: i64,
    anchor: Anchor,
    offset_hours: i32,
    to: Vec<RecipientFilter>,
    message: Option<String>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<(reminder_rule::Model, activity::Model)> {
    if !(0..=MAX_OFFSET_HOURS).contains(&offset_hours) {
        return Err(ApiError::bad_input(
            "offsetHours",
            format!("must be between 0 and {MAX_OFFSET_HOURS}"),
        ));
    }
    let to = RecipientFilter::checked("to", to)?;
    let message = optional_paragraph("message", message, MAX_MESSAGE_CHARS)?;
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    if activity.status == Status::Cancelled {
        return Err(ApiError::conflict("the activity is cancelled"));
    }
    let rule = insert(&tx, activity.id, anchor, offset_hours, &to, message, now).await?;
    let detail = format!(
        "{} {offset_hours} h to {}",
        match anchor {
            Anchor::BeforeStart => "before start",
            Anchor::AfterEnd => "after end",
        },
        rule.recipients
    );
    audit::record(
        &tx,
        by.person(),
        Action::ReminderAdded,
        [activity.id],
        Some(&detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((rule, activity))
}

pub async fn remove(
    db: &DatabaseConnection,
    id: i64,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let tx = begin_write(db).await?;
    let rule = db::get::<reminder_rule::Entity>(&tx, id, "reminder").await?;
    reminder_rule::Entity::delete_by_id(rule.id)
        .exec(&tx)
        .await?;
    audit::record(
        &tx,
        by.person(),
        Action::ReminderRemoved,
        [rule.activity_id],
        Some(&format!("reminder {}", rule.id)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The scheduler's job: every due rule reaches each matching person who has not had it.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    // A rule's time is at most MAX_OFFSET_HOURS away from its activity's dates.
    let horizon = Duration::hours(i64::from(MAX_OFFSET_HOURS));
    let live = activity::Entity::find()
        .filter(activity::Column::Status.is_in([Status::Published, Status::Completed]))
        .filter(activity::Column::EndsAt.gte(now - horizon - AFTER_END_WINDOW))
        .filter(activity::Column::StartsAt.lte(now + horizon))
        .all(db)
        .await?;
    let rules = reminder_rule::Entity::find()
        .filter(reminder_rule::Column::ActivityId.is_in(live.iter().map(|a| a.id)))
        .all(db)
        .await?;
    let mut sent = 0;
    for rule in rules {
        let Some(activity) = live.iter().find(|a| a.id == rule.activity_id) else {
            continue;
        };
        if is_due(&rule, activity, now) {
            sent += send_rule(db, mailer, &rule, activity, now).await?;
        }
    }
    Ok(sent)
}

async fn send_rule(
    db: &DatabaseConnection,
    mailer: &Mailer,
    rule: &reminder_rule::Model,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let reached: Vec<i64> = reminder_delivery::Entity::find()
        .filter(reminder_delivery::Column::RuleId.eq(rule.id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.user_id)
        .collect();
    let people = recipients(db, activity.id, &RecipientFilter::split(&rule.recipients)).await?;
    let sessions = session::of_activity(activity.id).all(db).await?;
    let mut sent = 0;
    for person in people.iter().filter(|p| !reached.contains(&p.id)) {
        let tx = begin_write(db).await?;
        let claimed = reminder_delivery::Entity::insert(reminder_delivery::ActiveModel {
            rule_id: Set(rule.id),
            user_id: Set(person.id),
            sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                reminder_delivery::Column::RuleId,
                reminder_delivery::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        if claimed == 1 {
            let recipient = Recipient::address_of(person);
            let locale = mailer.locale_for(recipient);
            let letter = Letter::new(
                "reminder",
                recipient,
                context! {
                    name => &person.name,
                    activity => &activity.title,
                    when => mailer.when(&sessions, locale),
                    message => &rule.message,
                    after_end => rule.anchor == Anchor::AfterEnd,
                },
            );
            mailer.send(&tx, letter, now).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}
