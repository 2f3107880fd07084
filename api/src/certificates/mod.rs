//! Certificates of attendance, and the rule that decides them, stated here once: when a
//! TRAINING or WORKSHOP completes, each confirmed registrant who attended at least its
//! `minAttendancePercent` of sessions (75 % unless it says otherwise) gets one: a random
//! number nobody can guess (80 bits, unique in the database), the hours of the sessions it
//! attended, the date; issued once per registration (completing again issues nothing) and
//! mailed as a PDF. The PDF is served to its holder and staff; anyone may check a number.

mod pdf;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    activity::{self, Kind},
    attendance, certificate,
    evaluation::{self, Mastery},
    registration, session, training_programme, user,
};
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, sea_query::OnConflict,
};

use crate::{
    db,
    error::ApiResult,
    heavy,
    mail::{Attachment, Letter, Mailer, Recipient},
    people,
};

/// The share of sessions to attend when an activity says none.
pub const DEFAULT_MIN_ATTENDANCE_PERCENT: i32 = 75;

/// Which activities earn a certificate when they complete: trainings and workshops.
pub fn earns_certificate(kind: Kind) -> bool {
    matches!(kind, Kind::Training | Kind::Workshop)
}

/// The share of sessions a new activity of `kind` asks for: a training states it; a workshop
/// takes the default when it completes.
pub fn default_min_attendance(kind: Kind) -> Option<i32> {
    (kind == Kind::Training).then_some(DEFAULT_MIN_ATTENDANCE_PERCENT)
}

/// The share of `activity`'s sessions a registrant attends to complete it.
pub fn required_attendance(activity: &activity::Model) -> i32 {
    activity
        .min_attendance_percent
        .unwrap_or(DEFAULT_MIN_ATTENDANCE_PERCENT)
}

/// Who completed `activity`: its confirmed registrations that attended the whole of at least
/// its share of sessions ([`required_attendance`]; and at least one), each with what it
/// attended (sessions attended in part count for their hours, not as sessions). None for an
/// activity that earns no certificate.
pub async fn completers(
    db: &impl ConnectionTrait,
    activity: &activity::Model,
) -> ApiResult<Vec<(registration::Model, Vec<attendance::Model>)>> {
    if !earns_certificate(activity.kind) {
        return Ok(Vec::new());
    }
    let (activity_id, percent) = (activity.id, required_attendance(activity));
    let sessions = session::of_activity(activity_id).count(db).await?;
    let sessions = usize::try_from(sessions).unwrap_or(usize::MAX);
    let confirmed = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?;
    let mut attended: HashMap<i64, Vec<attendance::Model>> = HashMap::new();
    for row in attendance::Entity::find()
        .filter(attendance::Column::RegistrationId.is_in(confirmed.iter().map(|r| r.id)))
        .all(db)
        .await?
    {
        attended.entry(row.registration_id).or_default().push(row);
    }
    let needed = usize::try_from(percent).unwrap_or(100) * sessions;
    Ok(confirmed
        .into_iter()
        .filter_map(|r| {
            let present = attended.remove(&r.id).unwrap_or_default();
            let whole = present.iter().filter(|a| a.minutes.is_none()).count();
            (whole > 0 && whole * 100 >= needed).then_some((r, present))
        })
        .collect())
}

/// Crockford's base32: no I, L, O or U to misread.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `KLUB-XXXX-XXXX-XXXX-XXXX`: 16 random characters, 80 bits.
fn new_number() -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect()
        })
        .collect();
    format!("KLUB-{}", groups.join("-"))
}

/// Hours, as people write them: "3", "4.5".
pub fn hours(minutes: i32) -> f64 {
    f64::from(minutes) / 60.0
}

/// What a certificate states, everything loaded.
struct Facts<'a> {
    number: &'a str,
    minutes: i32,
    issued_at: DateTime<Utc>,
    holder: &'a user::Model,
    organisation: Option<String>,
    activity: &'a activity::Model,
    sessions: &'a [session::Model],
    trainer: Option<String>,
    /// Each programme objective and how far the holder mastered it, when evaluated.
    results: Vec<(String, Mastery)>,
}

/// The objectives of `activity_id`'s programme with the judgements recorded for
/// `registration_id`, in the programme's order; none when nothing was evaluated.
async fn results_of(
    db: &impl ConnectionTrait,
    activity_id: i64,
    registration_id: i64,
) -> ApiResult<Vec<(String, Mastery)>> {
    let Some(programme) = training_programme::Entity::find_by_id(activity_id)
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let judged: HashMap<i32, Mastery> = evaluation::Entity::find()
        .filter(evaluation::Column::RegistrationId.eq(registration_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.objective, row.mastery))
        .collect();
    Ok(programme
        .objectives
        .lines()
        .zip(0..)
        .filter_map(|(objective, index)| {
            judged
                .get(&index)
                .map(|mastery| (objective.to_owned(), *mastery))
        })
        .collect())
}

/// Issues the certificates of a completing activity, in its transaction: `qualified` are the
/// registrations that attended enough, with what each attended. The hours stated are those
/// realised: whole sessions, and the signed half-days of sessions attended in part.
pub async fn issue(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    qualified: &[(registration::Model, Vec<attendance::Model>)],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let sessions = session::of_activity(activity.id).all(db).await?;
    let trainer = people::service::trainer_names(db, activity).await?;
    let holders = people::service::by_id(db, qualified.iter().map(|(r, _)| r.user_id)).await?;
    let mut organisations =
        people::organisation::names(db, &holders.values().collect::<Vec<_>>()).await?;
    for (registration, attended) in qualified {
        let Some(holder) = holders.get(&registration.user_id) else {
            continue;
        };
        let minutes: i64 = attended
            .iter()
            .filter_map(|a| {
                let session = sessions.iter().find(|s| s.id == a.session_id)?;
                Some(a.minutes.map_or_else(
                    || (session.ends_at - session.starts_at).num_minutes(),
                    i64::from,
                ))
            })
            .sum();
        let minutes = i32::try_from(minutes).unwrap_or(i32::MAX);
        let number = new_number();
        let organisation = organisations.remove(&holder.id);
        let inserted = certificate::Entity::insert(certificate::ActiveModel {
            number: Set(number.clone()),
            registration_id: Set(registration.id),
            user_id: Set(registration.user_id),
            activity_id: Set(activity.id),
            minutes_attended: Set(minutes),
            issued_at: Set(now),
            organisation_name: Set(organisation.clone()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(certificate::Column::RegistrationId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        if inserted == 1 {
            let facts = Facts {
                number: &number,
                minutes,
                issued_at: now,
                holder,
                organisation,
                activity,
                sessions: &sessions,
                trainer: trainer.clone(),
                results: results_of(db, activity.id, registration.id).await?,
            };
            send(db, mailer, &facts).await?;
        }
    }
    Ok(())
}

/// Mails the certificate to its holder, the PDF attached.
async fn send(db: &impl ConnectionTrait, mailer: &Mailer, facts: &Facts<'_>) -> ApiResult<()> {
    let letter = Letter::new(
        "certificate",
        Recipient::address_of(facts.holder),
        minijinja::context! {
            name => &facts.holder.name,
            activity => &facts.activity.title,
            number => facts.number,
            hours => hours(facts.minutes),
            realisation => facts.activity.kind == Kind::Training,
        },
    )
    .with_attachment(Attachment {
        name: format!("{}.pdf", facts.number),
        content_type: "application/pdf",
        bytes: render(mailer, facts).await?,
    });
    mailer.send(db, letter, facts.issued_at).await
}

/// The PDF of a stored certificate, in its holder's language.
pub async fn document(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    issued: &certificate::Model,
) -> ApiResult<Vec<u8>> {
    let holder = db::get::<user::Entity>(db, issued.user_id, "user").await?;
    let activity = db::get::<activity::Entity>(db, issued.activity_id, "activity").await?;
    let sessions = session::of_activity(activity.id).all(db).await?;
    render(
        mailer,
        &Facts {
            number: &issued.number,
            minutes: issued.minutes_attended,
            issued_at: issued.issued_at,
            holder: &holder,
            // As it was when issued: an organisation joined later is not on it.
            organisation: issued.organisation_name.clone(),
            activity: &activity,
            sessions: &sessions,
            trainer: people::service::trainer_names(db, &activity).await?,
            results: results_of(db, activity.id, issued.registration_id).await?,
        },
    )
    .await
}

/// Draws the PDF in its turn ([`heavy`]).
async fn render(mailer: &Mailer, facts: &Facts<'_>) -> ApiResult<Vec<u8>> {
    let locale = mailer.locale_of(facts.holder);
    let mut dates: Vec<String> = facts
        .sessions
        .iter()
        .map(|s| mailer.day(s.starts_at, locale))
        .collect();
    dates.dedup();
    let content = pdf::Content {
        locale,
        number: facts.number.to_owned(),
        holder: facts.holder.name.clone(),
        organisation: facts.organisation.clone(),
        activity: facts.activity.title.clone(),
        dates,
        hours: format!("{}", hours(facts.minutes)),
        trainer: facts.trainer.clone(),
        office: mailer.office_name.clone(),
        issued: mailer.day(facts.issued_at, locale),
        realisation: (facts.activity.kind == Kind::Training).then(|| pdf::TrainingBody {
            number: mailer.training_body_number.clone(),
            signatory: mailer.training_body_signatory.clone(),
        }),
        results: facts.results.clone(),
    };
    heavy::run(move || pdf::render(&content)).await?
}

pub async fn by_number(
    db: &impl ConnectionTrait,
    number: &str,
) -> ApiResult<Option<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::Number.eq(number.trim().to_uppercase()))
        .one(db)
        .await?)
}

pub async fn of_holder(
    db: &impl ConnectionTrait,
    person: &user::Model,
) -> ApiResult<Vec<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(person.id))
        .order_by_desc(certificate::Column::IssuedAt)
        .order_by_desc(certificate::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_long_random_and_readable() {
        let a = new_number();
        assert_eq!(a.len(), "KLUB-XXXX-XXXX-XXXX-XXXX".len());
        assert!(
            a[5..]
                .chars()
                .all(|c| c == '-' || u8::try_from(c).is_ok_and(|byte| ALPHABET.contains(&byte)))
        );
        assert_ne!(a, new_number());
    }
}
