//! A person's rights over its data: a copy of everything Klub holds about it, and deleting
//! the account. A deleted account's row stays, stripped of everything personal, so that its
//! posts and questions keep an author ("Former member") and the seat counts stay true.

use chrono::{DateTime, Utc};
use entity::{
    activity, assessment, attendance, audit_event, certificate, club_question, club_vote,
    email_verification, group_member, group_notification, invitation, mail,
    organisation_invitation, organisation_member, password_reset, payment, post, registration,
    reminder_delivery, survey_answer, survey_participation, thread, user,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DbBackend, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde_json::{Value, json};

use crate::{
    auth,
    db::{begin_write, statement},
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
    let registration_ids: Vec<i64> = registrations.iter().map(|(r, _)| r.id).collect();
    let membership = organisation_member::Entity::find_by_id(me.id)
        .one(db)
        .await?;
    let organisation_invitations = organisation_invitation::Entity::find()
        .filter(organisation_invitation::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let payments = payment::Entity::find()
        .filter(payment::Column::RegistrationId.is_in(registration_ids.iter().copied()))
        .all(db)
        .await?;
    let attendance = attendance::Entity::find()
        .filter(attendance::Column::RegistrationId.is_in(registration_ids.iter().copied()))
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    // Anonymous answers carry no author: they cannot be found, by design.
    let survey_answers = survey_answer::Entity::find()
        .filter(survey_answer::Column::RespondentId.eq(me.id))
        .all(db)
        .await?;
    let surveys_answered = survey_participation::Entity::find()
        .filter(survey_participation::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let notification_levels = group_notification::Entity::find()
        .filter(group_notification::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let reminders = reminder_delivery::Entity::find()
        .filter(reminder_delivery::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let address_proofs = email_verification::Entity::find()
        .filter(email_verification::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let password_resets = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(me.id))
        .all(db)
        .await?;
    let staff_actions = audit_event::Entity::find()
        .filter(audit_event::Column::ActorId.eq(me.id))
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
        "organisation": membership.map(|m| json!({
            "organisationId": m.organisation_id, "role": m.role.to_value(), "since": m.added_at,
        })),
        "organisationInvitations": organisation_invitations.iter().map(|i| json!({
            "organisationId": i.organisation_id, "role": i.role.to_value(),
            "invitedBy": i.invited_by, "createdAt": i.created_at,
        })).collect::<Vec<_>>(),
        "certificates": certificates.iter().map(|c| json!({
            "number": c.number, "activityId": c.activity_id, "minutesAttended": c.minutes_attended,
            "organisation": c.organisation_name, "issuedAt": c.issued_at,
        })).collect::<Vec<_>>(),
        "payments": payments.iter().map(|p| json!({
            "registrationId": p.registration_id, "status": p.status.to_value(),
            "amountCents": p.amount_cents, "funder": p.funder, "reference": p.reference,
            "recordedAt": p.recorded_at,
        })).collect::<Vec<_>>(),
        "attendance": attendance.iter().map(|a| json!({
            "registrationId": a.registration_id, "sessionId": a.session_id,
        })).collect::<Vec<_>>(),
        "assessments": assessments.iter().map(|a| json!({
            "id": a.id, "diagnosticId": a.diagnostic_id, "organisationId": a.organisation_id,
            "score": a.score, "takenAt": a.taken_at,
        })).collect::<Vec<_>>(),
        "surveysAnswered": surveys_answered.iter().map(|p| p.survey_id).collect::<Vec<_>>(),
        "surveyAnswers": survey_answers.iter().map(|a| json!({
            "surveyId": a.survey_id, "questionId": a.question_id, "rating": a.rating,
            "choice": a.choice, "text": a.text,
        })).collect::<Vec<_>>(),
        "notificationLevels": notification_levels.iter().map(|n| json!({
            "groupId": n.group_id, "level": n.level.to_value(),
        })).collect::<Vec<_>>(),
        "remindersSent": reminders.iter().map(|r| json!({
            "ruleId": r.rule_id, "sentAt": r.sent_at,
        })).collect::<Vec<_>>(),
        "addressProofs": address_proofs.iter().map(|v| json!({
            "email": v.email, "createdAt": v.created_at, "usedAt": v.used_at,
        })).collect::<Vec<_>>(),
        "passwordResets": password_resets.iter().map(|r| json!({
            "createdAt": r.created_at, "usedAt": r.used_at,
        })).collect::<Vec<_>>(),
        "staffActions": staff_actions.iter().map(|e| json!({
            "action": e.action.to_value(), "targetType": e.target_type, "targetId": e.target_id,
            "detail": e.detail, "at": e.at,
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
    forget_person(&tx, &fresh).await?;
    let mut row: user::ActiveModel = fresh.into();
    row.email = Set(deleted_address(me.id));
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
    tx.commit().await?;
    Ok(())
}

/// Removes every row that says something about `person` beyond its id: what stays (its
/// registrations, attendance, payments, certificates, survey answers, posts, assessments)
/// points to an account with no personal detail left, and keeps the programme's figures and
/// accounts true.
async fn forget_person(db: &impl ConnectionTrait, person: &user::Model) -> ApiResult<()> {
    let id = person.id;
    group_member::Entity::delete_many()
        .filter(group_member::Column::UserId.eq(id))
        .exec(db)
        .await?;
    group_notification::Entity::delete_many()
        .filter(group_notification::Column::UserId.eq(id))
        .exec(db)
        .await?;
    organisation_member::Entity::delete_many()
        .filter(organisation_member::Column::UserId.eq(id))
        .exec(db)
        .await?;
    organisation_invitation::Entity::delete_many()
        .filter(organisation_invitation::Column::UserId.eq(id))
        .exec(db)
        .await?;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(id))
        .exec(db)
        .await?;
    email_verification::Entity::delete_many()
        .filter(email_verification::Column::UserId.eq(id))
        .exec(db)
        .await?;
    auth::throttle::clear(db, &person.email).await?;
    // Every mail to the person or written about it, sent or waiting (the notices of this very
    // deletion included), those to an address it never proved too: subjects and bodies name
    // it. Mails that waited at the address for whoever owns it are not the account's.
    mail::Entity::delete_many()
        .filter(
            Condition::any()
                .add(mail::Column::UserId.eq(id))
                .add(mail::Column::AboutUserId.eq(id)),
        )
        .exec(db)
        .await?;
    redact_in_others_mails(db, person).await?;
    // Invitations are staff's record of what was sent; the address and the message go. Those
    // still waiting at the address are not the account's (see `address.rs`).
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Email, Expr::value(deleted_address(id)))
        .col_expr(
            invitation::Column::Message,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            invitation::Column::TokenHash,
            Expr::value(Option::<String>::None),
        )
        .filter(invitation::Column::UserId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Mails kept for other people name the person too (a group's "Zoé started a thread"): its
/// whole name, as written in the text and as escaped in the HTML, becomes "Former member"
/// there, as on its posts.
async fn redact_in_others_mails(db: &impl ConnectionTrait, person: &user::Model) -> ApiResult<()> {
    let backend = db.get_database_backend();
    let contains = match backend {
        DbBackend::Postgres => "strpos",
        _ => "instr",
    };
    let escaped = minijinja::HtmlEscape(&person.name).to_string();
    for (column, name) in [
        ("subject", &person.name),
        ("text_body", &person.name),
        ("html_body", &escaped),
    ] {
        db.execute_raw(statement(
            backend,
            &format!(
                "UPDATE mails SET {column} = REPLACE({column}, ?, ?) WHERE {contains}({column}, ?) > 0"
            ),
            [
                name.as_str().into(),
                FORMER_MEMBER.into(),
                name.as_str().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// The address a deleted account is left with: unique, and no one's.
fn deleted_address(id: i64) -> String {
    format!("deleted-{id}@deleted.invalid")
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
