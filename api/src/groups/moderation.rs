//! Staff moderation of the groups: editing and removing posts, locking threads; and the alert
//! when a question waits past the answer-time target.

use chrono::{DateTime, Utc};
use entity::{
    group::{self},
    post, thread,
    user::{self, Role},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};

use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::ApiResult,
    hours::OpeningHours,
    mail::{Letter, Recipient},
    people::Staff,
    state::AppState,
    validation::required_paragraph,
};

/// Questions, in any group, waiting longer than `target` of opening time without a reply from
/// someone else.
pub async fn overdue_questions(
    db: &impl ConnectionTrait,
    hours: OpeningHours,
    target: chrono::Duration,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> ApiResult<Vec<thread::Model>> {
    Ok(thread::Entity::find()
        .filter(thread::Column::IsQuestion.eq(true))
        .filter(thread::Column::FirstResponseAt.is_null())
        .filter(thread::Column::AcceptedPostId.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|t| hours.open_time_between(t.created_at, now, tz) > target)
        .collect())
}

/// Staff moderation: a new text for a post.
pub async fn edit_post(
    db: &DatabaseConnection,
    post_id: i64,
    body: String,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<post::Model> {
    let body = required_paragraph("body", body, super::service::MAX_BODY_CHARS)?;
    let tx = begin_write(db).await?;
    let mut active: post::ActiveModel = db::get::<post::Entity>(&tx, post_id, "post").await?.into();
    active.body = Set(body);
    active.edited_at = Set(Some(now));
    let post = active.update(&tx).await?;
    audit::record(&tx, by.person(), Action::PostEdited, [post_id], None, now).await?;
    tx.commit().await?;
    Ok(post)
}

/// Staff moderation: the post stays in place, marked removed, its text hidden.
pub async fn remove_post(
    db: &DatabaseConnection,
    post_id: i64,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<post::Model> {
    let tx = begin_write(db).await?;
    let mut active: post::ActiveModel = db::get::<post::Entity>(&tx, post_id, "post").await?.into();
    active.removed = Set(true);
    let post = active.update(&tx).await?;
    audit::record(&tx, by.person(), Action::PostRemoved, [post_id], None, now).await?;
    tx.commit().await?;
    Ok(post)
}

/// Staff moderation: a locked thread takes no new replies.
pub async fn set_locked(
    db: &DatabaseConnection,
    thread_id: i64,
    locked: bool,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<thread::Model> {
    let tx = begin_write(db).await?;
    let thread = db::get::<thread::Entity>(&tx, thread_id, "thread").await?;
    let mut active: thread::ActiveModel = thread.into();
    active.locked = Set(locked);
    let thread = active.update(&tx).await?;
    let action = if locked {
        Action::ThreadLocked
    } else {
        Action::ThreadUnlocked
    };
    audit::record(&tx, by.person(), action, [thread_id], None, now).await?;
    tx.commit().await?;
    Ok(thread)
}

/// The scheduler's job: each question that becomes overdue sends one alert mail to every
/// animator. The conditional update of `overdue_alerted_at` makes it once, whatever the
/// number of instances.
pub async fn alert_overdue(state: &AppState) -> ApiResult<usize> {
    let config = &state.config;
    let now = state.now();
    let overdue = overdue_questions(
        &state.db,
        config.opening_hours,
        config.answer_target,
        config.timezone,
        now,
    )
    .await?;
    let mut alerted = 0;
    for question in overdue
        .into_iter()
        .filter(|q| q.overdue_alerted_at.is_none())
    {
        let tx = begin_write(&state.db).await?;
        let claimed = thread::Entity::update_many()
            .col_expr(thread::Column::OverdueAlertedAt, Expr::value(now))
            .filter(thread::Column::Id.eq(question.id))
            .filter(thread::Column::OverdueAlertedAt.is_null())
            .exec(&tx)
            .await?;
        if claimed.rows_affected == 1 {
            let group = db::get::<group::Entity>(&tx, question.group_id, "group").await?;
            let animators = user::Entity::find()
                .filter(user::Column::Role.eq(Role::Animator))
                .all(&tx)
                .await?;
            for animator in animators {
                let letter = Letter::new(
                    "question_overdue",
                    Recipient::Account(&animator),
                    minijinja::context! {
                        name => &animator.name,
                        title => &question.title,
                        group => &group.name,
                        minutes => config.answer_target.num_minutes(),
                        link => format!("{}/threads/{}", config.public_url, question.id),
                    },
                );
                state.mailer.send(&tx, letter, now).await?;
            }
            alerted += 1;
        }
        tx.commit().await?;
    }
    Ok(alerted)
}
