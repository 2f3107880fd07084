//! A person's rights over its data: a copy of everything Klub holds about it, and deleting
//! the account. A deleted account's row stays, stripped of everything personal, so that its
//! posts and questions keep an author ("Former member") and the seat counts stay true.

use chrono::{DateTime, Utc};
use entity::{
    activity, club_question, club_vote, group_member, invitation, mail, password_reset, post,
    registration, thread, user,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter,
};
use serde_json::{Value, json};

use crate::{
    auth,
    db::begin_write,
    error::{ApiError, ApiResult},
    people, registrations,
    state::AppState,
};

pub const FORMER_MEMBER: &str = "Former member";

/// Everything stored about `me`, as JSON. No password hash, no token, no feed secret.
pub async fn export(db: &impl ConnectionTrait, me: &user::Model) -> ApiResult<Value> {
    let registrations = registration::Entity::find()
        .filter(registration::Column::UserId.eq(me.id))
        .find_also_related(activity::Entity)
        .all(db)
        .await?;
    let questions = club_question::Entity::find()
        .filter(club_question::Column::AuthorId.eq(me.id))
        .all(db)
        .await?;
    let votes = club_vote::Entity::find()
        .filter(club_vote::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let threads = thread::Entity::find()
        .filter(thread::Column::AuthorId.eq(me.id))
        .all(db)
        .await?;
    let posts = post::Entity::find()
        .filter(post::Column::AuthorId.eq(me.id))
        .all(db)
        .await?;
    let memberships = group_member::Entity::find()
        .filter(group_member::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    // By id, never by address: what was sent to an address belongs to an account only once
    // it proved the address, and never to whoever holds the address later.
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let mails = mail::Entity::find()
        .filter(mail::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    Ok(json!({
        "account": {
            "id": me.id,
            "email": me.email,
            "emailVerified": me.email_verified_at.is_some(),
            "name": me.name,
            "organisation": me.organisation,
            "role": me.role.to_value(),
            "trained": me.trained,
            "locale": me.locale,
            "calendarFeedEnabled": me.calendar_secret.is_some(),
            "createdAt": me.created_at,
        },
        "registrations": registrations.iter().map(|(r, activity)| json!({
            "id": r.id,
            "activityId": r.activity_id,
            "activity": activity.as_ref().map(|a| a.title.clone()),
            "status": r.status.to_value(),
            "waitlistPosition": r.position,
            "createdAt": r.created_at,
            "updatedAt": r.updated_at,
        })).collect::<Vec<_>>(),
        "clubQuestions": questions.iter().map(|q| json!({
            "id": q.id, "meetingId": q.meeting_id, "text": q.text, "answer": q.answer,
            "createdAt": q.created_at,
        })).collect::<Vec<_>>(),
        "clubVotes": votes.iter().map(|v| v.question_id).collect::<Vec<_>>(),
        "groups": memberships.iter().map(|m| m.group_id).collect::<Vec<_>>(),
        "threads": threads.iter().map(|t| json!({
            "id": t.id, "groupId": t.group_id, "title": t.title, "isQuestion": t.is_question,
            "createdAt": t.created_at,
        })).collect::<Vec<_>>(),
        "posts": posts.iter().map(|p| json!({
            "id": p.id, "threadId": p.thread_id, "body": p.body, "removed": p.removed,
            "createdAt": p.created_at, "editedAt": p.edited_at,
        })).collect::<Vec<_>>(),
        "invitations": invitations.iter().map(|i| json!({
            "id": i.id, "activityId": i.activity_id, "message": i.message,
            "status": i.status.to_value(), "createdAt": i.created_at,
        })).collect::<Vec<_>>(),
        "mails": mails.iter().map(|m| json!({
            "kind": m.kind, "subject": m.subject, "text": m.text_body,
            "status": m.status.to_value(), "createdAt": m.created_at,
            "sentAt": m.sent_at,
        })).collect::<Vec<_>>(),
    }))
}

/// Deletes the caller's account after checking its password: upcoming registrations are
/// cancelled (seats go to the waiting list), sessions end, and the row keeps no personal data.
pub async fn delete_account(state: &AppState, me: &user::Model, password: String) -> ApiResult<()> {
    auth::service::confirm_password(state, me, "password", password).await?;
    let last_admin = || {
        ApiError::conflict("the last admin cannot delete its account: appoint another admin first")
    };
    // A first look, before any registration is cancelled; the deciding one is below, under
    // the admins' lock.
    if me.role == user::Role::Admin && people::service::admins_locked(&state.db).await? <= 1 {
        return Err(last_admin());
    }
    let now = state.now();
    for registration in upcoming_registrations(&state.db, me.id, now).await? {
        registrations::service::cancel(&state.db, &state.mailer, registration, me, now).await?;
    }
    let tx = begin_write(&state.db).await?;
    let fresh = people::service::get(&tx, me.id).await?;
    if fresh.role == user::Role::Admin && people::service::admins_locked(&tx).await? <= 1 {
        return Err(last_admin());
    }
    auth::service::revoke_sessions(&tx, me.id).await?;
    let mut row: user::ActiveModel = fresh.into();
    row.email = Set(format!("deleted-{}@deleted.invalid", me.id));
    row.name = Set(FORMER_MEMBER.into());
    row.organisation = Set(None);
    // Not a PHC string: no password can ever match it.
    row.password_hash = Set("!deleted".into());
    row.role = Set(user::Role::Partner);
    row.trained = Set(false);
    row.locale = Set(None);
    row.calendar_secret = Set(None);
    row.deleted_at = Set(Some(now));
    row.email_verified_at = Set(None);
    row.update(&tx).await?;
    group_member::Entity::delete_many()
        .filter(group_member::Column::UserId.eq(me.id))
        .exec(&tx)
        .await?;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(me.id))
        .exec(&tx)
        .await?;
    // Mails that have left hold nothing the programme needs; those still waiting (the
    // cancellation notices of this very deletion) are sent first.
    mail::Entity::delete_many()
        .filter(mail::Column::UserId.eq(me.id))
        .filter(mail::Column::Status.ne(mail::Status::Pending))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn upcoming_registrations(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<i64>> {
    Ok(registration::Entity::find()
        .inner_join(activity::Entity)
        .filter(registration::Column::UserId.eq(user_id))
        .filter(registration::Column::Status.ne(registration::Status::Cancelled))
        .filter(activity::Column::StartsAt.gt(now))
        .all(db)
        .await?
        .into_iter()
        .map(|registration| registration.id)
        .collect())
}
