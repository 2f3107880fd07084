//! A person's rights over its data: a copy of everything Klub holds about it, and deleting
//! the account. A deleted account's row stays, stripped of everything personal, so that its
//! posts and questions keep an author ("Former member") and the seat counts stay true.

use chrono::{DateTime, Utc};
use entity::{
    activity, activity_trainer, assessment, attendance, audit_event, certificate, club_question,
    club_vote, complaint, email_verification, evaluation, group_member, group_notification,
    invitation, mail, organisation_invitation, organisation_member, password_reset, payment,
    photo_person, post, registration, registration_answer, reminder_delivery, survey_answer,
    survey_participation, survey_request, thread, topic, topic_interest, user,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DbBackend, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde_json::{Map, Value, json};

use crate::{
    auth,
    db::{begin_write, statement},
    error::{ApiError, ApiResult},
    people, photos, registrations,
    state::AppState,
    training,
};

pub const FORMER_MEMBER: &str = "Former member";

/// Everything stored about `me`, as JSON. No password hash, no token, no feed secret.
pub async fn export(db: &impl ConnectionTrait, me: &user::Model) -> ApiResult<Value> {
    let mut data = Map::new();
    data.insert("account".into(), account(me));
    data.extend(programme_data(db, me).await?);
    data.extend(community_data(db, me).await?);
    data.extend(records_data(db, me).await?);
    Ok(Value::Object(data))
}

fn account(me: &user::Model) -> Value {
    json!({
        "id": me.id,
        "email": me.email,
        "emailVerified": me.email_verified_at.is_some(),
        "name": me.name,
        "organisation": me.organisation,
        "role": me.role.to_value(),
        "trained": me.trained,
        "locale": me.locale,
        "phone": me.phone,
        "calendarFeedEnabled": me.calendar_secret.is_some(),
        "createdAt": me.created_at,
    })
}

/// The rows of `E` whose `column` holds `id`.
async fn owned<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    id: i64,
) -> ApiResult<Vec<E::Model>> {
    Ok(E::find().filter(column.eq(id)).all(db).await?)
}

/// `rows`, each shaped as the export shows it.
fn list<M>(rows: &[M], shape: impl Fn(&M) -> Value) -> Value {
    Value::Array(rows.iter().map(shape).collect())
}

/// Taking part in the programme: registrations and what hangs on them, certificates,
/// invitations, reminders and surveys.
async fn programme_data(
    db: &impl ConnectionTrait,
    me: &user::Model,
) -> ApiResult<Map<String, Value>> {
    let registrations = registration::Entity::find()
        .filter(registration::Column::UserId.eq(me.id))
        .find_also_related(activity::Entity)
        .all(db)
        .await?;
    let registration_ids: Vec<i64> = registrations.iter().map(|(r, _)| r.id).collect();
    let registration_answers = registration_answer::Entity::find()
        .filter(registration_answer::Column::RegistrationId.is_in(registration_ids.iter().copied()))
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
    let evaluations = evaluation::Entity::find()
        .filter(evaluation::Column::RegistrationId.is_in(registration_ids.iter().copied()))
        .all(db)
        .await?;
    let complaints = owned::<complaint::Entity>(db, complaint::Column::AuthorId, me.id).await?;
    // By id, never by address: what was sent to an address belongs to an account only once
    // it proved the address, and never to whoever holds the address later.
    let invitations = owned::<invitation::Entity>(db, invitation::Column::UserId, me.id).await?;
    let certificates = owned::<certificate::Entity>(db, certificate::Column::UserId, me.id).await?;
    let reminders =
        owned::<reminder_delivery::Entity>(db, reminder_delivery::Column::UserId, me.id).await?;
    // Anonymous answers carry no author: they cannot be found, by design.
    let survey_answers =
        owned::<survey_answer::Entity>(db, survey_answer::Column::RespondentId, me.id).await?;
    let surveys_answered =
        owned::<survey_participation::Entity>(db, survey_participation::Column::UserId, me.id)
            .await?;
    let consents = crate::consents::history(db, me.id).await?;
    let interests =
        owned::<topic_interest::Entity>(db, topic_interest::Column::UserId, me.id).await?;
    let topics_opened = owned::<topic::Entity>(db, topic::Column::CreatedBy, me.id).await?;
    let surveys_asked =
        owned::<survey_request::Entity>(db, survey_request::Column::UserId, me.id).await?;
    let data = json!({
        "registrations": registrations.iter().map(|(r, activity)| json!({
            "id": r.id,
            "activityId": r.activity_id,
            "activity": activity.as_ref().map(|a| a.title.clone()),
            "status": r.status.to_value(),
            "waitlistPosition": r.position,
            "createdAt": r.created_at,
            "updatedAt": r.updated_at,
        })).collect::<Vec<_>>(),
        "payments": list(&payments, |p| json!({
            "registrationId": p.registration_id, "status": p.status.to_value(),
            "amountCents": p.amount_cents, "funder": p.funder, "reference": p.reference,
            "recordedAt": p.recorded_at,
        })),
        "attendance": list(&attendance, |a| json!({
            "registrationId": a.registration_id, "sessionId": a.session_id,
            "minutes": a.minutes,
        })),
        "evaluations": list(&evaluations, |e| json!({
            "registrationId": e.registration_id, "objective": e.objective,
            "mastery": e.mastery.to_value(), "recordedAt": e.recorded_at,
        })),
        "complaints": list(&complaints, |c| json!({
            "id": c.id, "activityId": c.activity_id, "subject": c.subject, "body": c.body,
            "status": c.status.to_value(), "createdAt": c.created_at, "answer": c.answer,
            "answeredAt": c.answered_at,
        })),
        "invitations": list(&invitations, |i| json!({
            "id": i.id, "activityId": i.activity_id, "message": i.message,
            "status": i.status.to_value(), "createdAt": i.created_at,
        })),
        "certificates": list(&certificates, |c| json!({
            "number": c.number, "activityId": c.activity_id, "minutesAttended": c.minutes_attended,
            "organisation": c.organisation_name, "issuedAt": c.issued_at,
        })),
        "remindersSent": list(&reminders, |r| json!({ "ruleId": r.rule_id, "sentAt": r.sent_at })),
        "surveysAnswered": list(&surveys_answered, |p| json!(p.survey_id)),
        "registrationAnswers": list(&registration_answers, |a| json!({
            "registrationId": a.registration_id, "questionId": a.question_id, "text": a.text,
            "choice": a.choice, "yes": a.yes, "number": a.number,
        })),
        "topicInterests": list(&interests, |i| json!({ "topicId": i.topic_id, "since": i.created_at })),
        "topicsOpened": list(&topics_opened, |t| json!({ "id": t.id, "name": t.name })),
        "consents": list(&consents, |c| json!({
            "purpose": c.purpose.to_value(), "textId": c.text_id, "given": c.given, "at": c.at,
        })),
        "surveysAsked": list(&surveys_asked, |r| json!({ "surveyId": r.survey_id, "askedAt": r.asked_at })),
        "surveyAnswers": list(&survey_answers, |a| json!({
            "surveyId": a.survey_id, "questionId": a.question_id, "rating": a.rating,
            "choice": a.choice, "text": a.text,
        })),
    });
    Ok(object(data))
}

/// The club and the groups: questions, votes, memberships, threads, posts, mail levels.
async fn community_data(
    db: &impl ConnectionTrait,
    me: &user::Model,
) -> ApiResult<Map<String, Value>> {
    let questions =
        owned::<club_question::Entity>(db, club_question::Column::AuthorId, me.id).await?;
    let votes = owned::<club_vote::Entity>(db, club_vote::Column::UserId, me.id).await?;
    let memberships =
        owned::<group_member::Entity>(db, group_member::Column::UserId, me.id).await?;
    let threads = owned::<thread::Entity>(db, thread::Column::AuthorId, me.id).await?;
    let posts = owned::<post::Entity>(db, post::Column::AuthorId, me.id).await?;
    let levels =
        owned::<group_notification::Entity>(db, group_notification::Column::UserId, me.id).await?;
    let data = json!({
        "clubQuestions": list(&questions, |q| json!({
            "id": q.id, "meetingId": q.meeting_id, "text": q.text, "answer": q.answer,
            "createdAt": q.created_at,
        })),
        "clubVotes": list(&votes, |v| json!(v.question_id)),
        "groups": list(&memberships, |m| json!(m.group_id)),
        "threads": list(&threads, |t| json!({
            "id": t.id, "groupId": t.group_id, "title": t.title, "isQuestion": t.is_question,
            "createdAt": t.created_at,
        })),
        "posts": list(&posts, |p| json!({
            "id": p.id, "threadId": p.thread_id, "body": p.body, "removed": p.removed,
            "createdAt": p.created_at, "editedAt": p.edited_at,
        })),
        "notificationLevels": list(&levels, |n| json!({
            "groupId": n.group_id, "level": n.level.to_value(),
        })),
    });
    Ok(object(data))
}

/// What Klub keeps about the account itself: its mails, proofs of address, password resets,
/// organisation, self-diagnostics, the activities it delivers and, for staff, their actions.
async fn records_data(
    db: &impl ConnectionTrait,
    me: &user::Model,
) -> ApiResult<Map<String, Value>> {
    let mails = owned::<mail::Entity>(db, mail::Column::UserId, me.id).await?;
    let address_proofs =
        owned::<email_verification::Entity>(db, email_verification::Column::UserId, me.id).await?;
    let password_resets =
        owned::<password_reset::Entity>(db, password_reset::Column::UserId, me.id).await?;
    let membership = organisation_member::Entity::find_by_id(me.id)
        .one(db)
        .await?;
    let organisation_invitations = owned::<organisation_invitation::Entity>(
        db,
        organisation_invitation::Column::UserId,
        me.id,
    )
    .await?;
    let assessments = owned::<assessment::Entity>(db, assessment::Column::UserId, me.id).await?;
    let trainings =
        owned::<activity_trainer::Entity>(db, activity_trainer::Column::UserId, me.id).await?;
    let staff_actions =
        owned::<audit_event::Entity>(db, audit_event::Column::ActorId, me.id).await?;
    let signatures = training::sheets::rows_about(db, me.id).await?;
    let shared_photos = photos::service::of_author(db, me.id).await?;
    let photo_tags = owned::<photo_person::Entity>(db, photo_person::Column::UserId, me.id).await?;
    let data = json!({
        "mails": list(&mails, |m| json!({
            "kind": m.kind, "subject": m.subject, "text": m.text_body,
            "status": m.status.to_value(), "createdAt": m.created_at,
            "sentAt": m.sent_at,
        })),
        "addressProofs": list(&address_proofs, |v| json!({
            "email": v.email, "createdAt": v.created_at, "usedAt": v.used_at,
        })),
        "passwordResets": list(&password_resets, |r| json!({
            "createdAt": r.created_at, "usedAt": r.used_at,
        })),
        "organisation": membership.map(|m| json!({
            "organisationId": m.organisation_id, "role": m.role.to_value(), "since": m.added_at,
        })),
        "organisationInvitations": list(&organisation_invitations, |i| json!({
            "organisationId": i.organisation_id, "role": i.role.to_value(),
            "invitedBy": i.invited_by, "createdAt": i.created_at,
        })),
        "assessments": list(&assessments, |a| json!({
            "id": a.id, "diagnosticId": a.diagnostic_id, "organisationId": a.organisation_id,
            "score": a.score, "takenAt": a.taken_at,
        })),
        "trainings": list(&trainings, |t| json!({
            "activityId": t.activity_id, "assignedAt": t.assigned_at,
        })),
        "attendanceSheets": list(&signatures, |row| json!({
            "slotId": row.slot_id, "registrationId": row.registration_id,
            "presence": row.presence.to_value(), "signature": row.signature,
            "reason": row.reason, "recordedAt": row.recorded_at,
        })),
        "photos": list(&shared_photos, |p| json!({
            "id": p.id, "activityId": p.activity_id, "caption": p.caption,
            "width": p.width, "height": p.height, "uses": p.uses, "rightsUntil": p.rights_until,
            "credit": p.credit, "withdrawnAt": p.withdrawn_at, "sharedAt": p.created_at,
        })),
        "photosShowingMe": list(&photo_tags, |t| json!({
            "photoId": t.photo_id, "taggedAt": t.created_at,
        })),
        "staffActions": list(&staff_actions, |e| json!({
            "action": e.action.to_value(), "targetType": e.target_type, "targetId": e.target_id,
            "detail": e.detail, "at": e.at,
        })),
    });
    Ok(object(data))
}

/// The fields of a `json!({…})` object.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
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
    let photo_files = photos::service::forget_person(&tx, me.id).await?;
    let mut row: user::ActiveModel = fresh.into();
    row.email = Set(deleted_address(me.id));
    row.name = Set(FORMER_MEMBER.into());
    row.organisation = Set(None);
    // Not a PHC string: no password can ever match it.
    row.password_hash = Set("!deleted".into());
    row.role = Set(user::Role::Partner);
    row.trained = Set(false);
    row.locale = Set(None);
    row.phone = Set(None);
    row.calendar_secret = Set(None);
    row.deleted_at = Set(Some(now));
    row.email_verified_at = Set(None);
    row.update(&tx).await?;
    tx.commit().await?;
    // The files once no row points to them: a deletion that failed keeps its photos whole.
    photos::service::delete_files(&state.storage, photo_files).await;
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
    activity_trainer::Entity::delete_many()
        .filter(activity_trainer::Column::UserId.eq(id))
        .exec(db)
        .await?;
    // A former member asks for no workshop any more. Its consents stay: they are the office's
    // proof of what was agreed, and name nobody once the account is stripped.
    topic_interest::Entity::delete_many()
        .filter(topic_interest::Column::UserId.eq(id))
        .exec(db)
        .await?;
    // The sheets stay the training body's proof of who was there: what names the person goes.
    training::sheets::erase_person(db, id).await?;
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
    // Invitations are staff's record of what was sent; the address, the message and what an
    // import said of the person go. Those still waiting at the address are not the account's
    // (see `address.rs`).
    let gone = || Expr::value(Option::<String>::None);
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Email, Expr::value(deleted_address(id)))
        .col_expr(invitation::Column::Message, gone())
        .col_expr(invitation::Column::Name, gone())
        .col_expr(invitation::Column::Phone, gone())
        .col_expr(invitation::Column::TokenHash, gone())
        .filter(invitation::Column::UserId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Mails kept for other people name the person too (a group's "Zoé started a thread"), and so
/// may the complaints it filed, kept as the office's record of how it handled them: its whole
/// name, as written in the text and as escaped in the HTML, becomes "Former member" there, as
/// on its posts.
async fn redact_in_others_mails(db: &impl ConnectionTrait, person: &user::Model) -> ApiResult<()> {
    let backend = db.get_database_backend();
    let contains = match backend {
        DbBackend::Postgres => "strpos",
        _ => "instr",
    };
    let escaped = minijinja::HtmlEscape(&person.name).to_string();
    for (table, column, name) in [
        ("mails", "subject", &person.name),
        ("mails", "text_body", &person.name),
        ("mails", "html_body", &escaped),
        ("complaints", "subject", &person.name),
        ("complaints", "body", &person.name),
    ] {
        db.execute_raw(statement(
            backend,
            &format!(
                "UPDATE {table} SET {column} = REPLACE({column}, ?, ?) WHERE {contains}({column}, ?) > 0"
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
