//! Complaints: anyone signed in files one, about an activity or the service. It is
//! acknowledged by mail, staff are told at once, and staff answer within `KLUB_COMPLAINT_DAYS`
//! (an unanswered complaint past that is overdue, first in staff's list and counted in the
//! monthly report). The answer is mailed to its author; `actions` records what changed because
//! of it. Authors see their own, staff see all, nobody else any.

use chrono::{DateTime, Utc};
use entity::{
    activity,
    complaint::{self, Status},
    user,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select,
};

use crate::{
    activities,
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::{Letter, Recipient},
    people::{self, Staff},
    state::AppState,
    validation::{optional_paragraph, required_paragraph, required_text},
};

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 10_000;

/// The end of time: where an answered complaint sorts, after every one that waits (the last
/// day both databases and the schema's dates hold).
fn answered_sort_key() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |end| end.and_utc())
}

/// Whether `complaint` waits for an answer past its deadline.
pub fn overdue(complaint: &complaint::Model, now: DateTime<Utc>) -> bool {
    complaint.status == Status::Open && complaint.due_at < now
}

/// What a person files.
pub struct NewComplaint {
    pub subject: String,
    pub body: String,
    pub activity_id: Option<i64>,
}

/// Files `new` for `author`: stored, acknowledged to the author and told to every staff member,
/// in one transaction.
pub async fn file(
    state: &AppState,
    author: &user::Model,
    new: NewComplaint,
) -> ApiResult<complaint::Model> {
    let subject = required_text("subject", new.subject, MAX_SUBJECT_CHARS)?;
    let body = required_paragraph("body", new.body, MAX_BODY_CHARS)?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let activity = match new.activity_id {
        Some(id) => Some(
            activities::service::get_visible(&tx, id, author)
                .await
                .map_err(|_| ApiError::bad_input("activityId", "no such activity"))?,
        ),
        None => None,
    };
    let due_at = now + state.config.complaint_days;
    let filed = complaint::ActiveModel {
        author_id: Set(author.id),
        activity_id: Set(activity.as_ref().map(|a| a.id)),
        subject: Set(subject),
        body: Set(body),
        status: Set(Status::Open),
        created_at: Set(now),
        due_at: Set(due_at),
        sort_key: Set(due_at),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    tell_filed(state, &tx, &filed, author, activity.as_ref(), now).await?;
    tx.commit().await?;
    Ok(filed)
}

async fn tell_filed(
    state: &AppState,
    db: &impl ConnectionTrait,
    filed: &complaint::Model,
    author: &user::Model,
    activity: Option<&activity::Model>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mailer = &state.mailer;
    let acknowledgement = Letter::new(
        "complaint_received",
        Recipient::Account(author),
        minijinja::context! {
            name => &author.name,
            subject => &filed.subject,
            body => &filed.body,
            expires => mailer.day(filed.due_at, mailer.locale_of(author)),
        },
    );
    mailer.send(db, acknowledgement, now).await?;
    let staff = people::service::staff_members(db).await?;
    for member in &staff {
        let letter = Letter::new(
            "complaint_filed",
            Recipient::Account(member),
            minijinja::context! {
                name => &member.name,
                author => &author.name,
                subject => &filed.subject,
                body => &filed.body,
                activity => activity.map(|a| a.title.as_str()),
                expires => mailer.day(filed.due_at, mailer.locale_of(member)),
            },
        );
        mailer.send(db, letter, now).await?;
    }
    Ok(())
}

/// The complaints `author` filed, newest first.
pub fn of_author(author_id: i64) -> Select<complaint::Entity> {
    complaint::Entity::find()
        .filter(complaint::Column::AuthorId.eq(author_id))
        .order_by_desc(complaint::Column::Id)
}

/// Every complaint (optionally of one status), for staff: most urgent first.
pub fn all(status: Option<Status>) -> Select<complaint::Entity> {
    let mut select = complaint::Entity::find();
    if let Some(status) = status {
        select = select.filter(complaint::Column::Status.eq(status));
    }
    select
}

/// How many complaints wait past their deadline at `now` (the monthly report).
pub async fn overdue_count(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<u64> {
    Ok(complaint::Entity::find()
        .filter(complaint::Column::Status.eq(Status::Open))
        .filter(complaint::Column::DueAt.lt(now))
        .count(db)
        .await?)
}

/// Staff's answer.
pub struct Answer {
    pub answer: String,
    pub actions: Option<String>,
    pub close: bool,
}

/// Staff answer complaint `id` (again: the latest answer stands, and is mailed again); it is
/// ANSWERED, or CLOSED when `close`.
pub async fn answer(
    state: &AppState,
    id: i64,
    given: Answer,
    by: Staff<'_>,
) -> ApiResult<complaint::Model> {
    let answer = required_paragraph("answer", given.answer, MAX_BODY_CHARS)?;
    let actions = optional_paragraph("actions", given.actions, MAX_BODY_CHARS)?;
    let now = state.now();
    let db: &DatabaseConnection = &state.db;
    let tx = begin_write(db).await?;
    let complaint = crate::db::get::<complaint::Entity>(&tx, id, "complaint").await?;
    let author = crate::db::get::<user::Entity>(&tx, complaint.author_id, "user").await?;
    let mut row: complaint::ActiveModel = complaint.into();
    row.answer = Set(Some(answer.clone()));
    row.actions = Set(actions);
    row.status = Set(if given.close {
        Status::Closed
    } else {
        Status::Answered
    });
    row.answered_by = Set(Some(by.person().id));
    row.answered_at = Set(Some(now));
    row.sort_key = Set(answered_sort_key());
    let answered = row.update(&tx).await?;
    let letter = Letter::new(
        "complaint_answered",
        Recipient::Account(&author),
        minijinja::context! {
            name => &author.name,
            subject => &answered.subject,
            answer => &answer,
        },
    );
    state.mailer.send(&tx, letter, now).await?;
    tx.commit().await?;
    Ok(answered)
}
