//! Consents: admins publish versioned texts per purpose (privacy, image rights, the newsletter,
//! the partner directory); a person gives or withdraws each, at any time, as easily. Every
//! change is appended (`consent_events`) with its time and the version, never overwritten:
//! where a person stands is its latest event, and a consent counts only when given to the
//! current version — a new version asks again those who consented to an older one.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    consent_event,
    consent_text::{self, Purpose},
    user,
};
use minijinja::context;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, Iterable, QueryFilter, QueryOrder, SqlErr,
};

use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::Admin,
    validation::required_paragraph,
};

pub const MAX_TEXT_CHARS: usize = 20_000;

/// Where a person stands on one purpose.
pub struct Standing {
    pub purpose: Purpose,
    /// Given to the current version.
    pub given: bool,
    pub given_at: Option<DateTime<Utc>>,
    /// Set when the latest change was a withdrawal.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The version its latest change concerned.
    pub text: Option<consent_text::Model>,
}

/// Purposes as an activity stores them (comma-separated codes).
pub fn parse_purposes(stored: &str) -> Vec<Purpose> {
    stored
        .split(',')
        .filter_map(|code| Purpose::try_from_value(&code.to_owned()).ok())
        .collect()
}

pub fn join_purposes(purposes: &[Purpose]) -> String {
    let mut codes: Vec<String> = purposes.iter().map(ActiveEnum::to_value).collect();
    codes.sort();
    codes.dedup();
    codes.join(",")
}

/// The current (latest) text of each purpose that has one.
pub async fn current_texts(
    db: &impl ConnectionTrait,
) -> ApiResult<HashMap<Purpose, consent_text::Model>> {
    let mut current = HashMap::new();
    for text in consent_text::Entity::find()
        .order_by_asc(consent_text::Column::Version)
        .all(db)
        .await?
    {
        current.insert(text.purpose, text);
    }
    Ok(current)
}

/// Publishes a new version of `purpose`'s text (admins). Those whose consent stands on an
/// older version are asked by mail to consent to the new one.
pub async fn publish(
    db: &DatabaseConnection,
    mailer: &Mailer,
    purpose: Purpose,
    text: String,
    by: Admin<'_>,
    now: DateTime<Utc>,
) -> ApiResult<consent_text::Model> {
    let text = required_paragraph("text", text, MAX_TEXT_CHARS)?;
    let tx = begin_write(db).await?;
    let previous = current_texts(&tx).await?.remove(&purpose);
    let published = consent_text::ActiveModel {
        purpose: Set(purpose),
        version: Set(previous.as_ref().map_or(1, |p| p.version + 1)),
        text: Set(text),
        published_by: Set(Some(by.person().id)),
        published_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|error| match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::conflict("another version was published at the same moment: try again")
        }
        _ => error.into(),
    })?;
    if previous.is_some() {
        let standing = latest_events(&tx, None, Some(purpose)).await?;
        let asked: Vec<i64> = standing
            .values()
            .filter(|event| event.given)
            .map(|event| event.user_id)
            .collect();
        for person in user::Entity::find()
            .filter(user::Column::Id.is_in(asked))
            .filter(user::Column::DeletedAt.is_null())
            .all(&tx)
            .await?
        {
            let letter = Letter::new(
                "consent_renewal",
                Recipient::address_of(&person),
                context! {
                    name => &person.name,
                    subject => purpose.to_value(),
                    link => format!("{}/consents", mailer.public_url),
                },
            );
            mailer.send(&tx, letter, now).await?;
        }
    }
    tx.commit().await?;
    Ok(published)
}

/// The latest event of each (person, purpose), for one person and/or one purpose.
async fn latest_events(
    db: &impl ConnectionTrait,
    person: Option<i64>,
    purpose: Option<Purpose>,
) -> ApiResult<HashMap<(i64, Purpose), consent_event::Model>> {
    let mut events = consent_event::Entity::find().order_by_asc(consent_event::Column::Id);
    if let Some(person) = person {
        events = events.filter(consent_event::Column::UserId.eq(person));
    }
    if let Some(purpose) = purpose {
        events = events.filter(consent_event::Column::Purpose.eq(purpose));
    }
    let mut latest = HashMap::new();
    for event in events.all(db).await? {
        latest.insert((event.user_id, event.purpose), event);
    }
    Ok(latest)
}

/// Where `person` stands on every purpose that has a text.
pub async fn standing(db: &impl ConnectionTrait, person: &user::Model) -> ApiResult<Vec<Standing>> {
    let current = current_texts(db).await?;
    let latest = latest_events(db, Some(person.id), None).await?;
    let texts: HashMap<i64, consent_text::Model> = consent_text::Entity::find()
        .filter(consent_text::Column::Id.is_in(latest.values().map(|e| e.text_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    Ok(Purpose::iter()
        .filter(|purpose| current.contains_key(purpose))
        .map(|purpose| {
            let event = latest.get(&(person.id, purpose));
            let given = event.is_some_and(|e| {
                e.given && current.get(&purpose).is_some_and(|c| c.id == e.text_id)
            });
            Standing {
                purpose,
                given,
                given_at: event.filter(|e| e.given).map(|e| e.at),
                withdrawn_at: event.filter(|e| !e.given).map(|e| e.at),
                text: event.and_then(|e| texts.get(&e.text_id).cloned()),
            }
        })
        .collect())
}

/// `person` consents to text `text_id`, which must be its purpose's current version
/// (CONFLICT otherwise: the newer one is what is asked).
pub async fn give(
    db: &DatabaseConnection,
    person: &user::Model,
    text_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Purpose> {
    let text = crate::db::get::<consent_text::Entity>(db, text_id, "consent text").await?;
    let current = current_texts(db).await?;
    if current.get(&text.purpose).map(|c| c.id) != Some(text.id) {
        return Err(ApiError::conflict(
            "a newer version of this text is in force: consent to it",
        ));
    }
    record(db, person, text.purpose, text.id, true, now).await?;
    Ok(text.purpose)
}

/// `person` withdraws its consent for `purpose` (recorded even when none was given, so that
/// the refusal is on record too). NOT_FOUND when the purpose has no text.
pub async fn withdraw(
    db: &DatabaseConnection,
    person: &user::Model,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let current = current_texts(db)
        .await?
        .remove(&purpose)
        .ok_or(ApiError::NotFound("consent text"))?;
    record(db, person, purpose, current.id, false, now).await
}

async fn record(
    db: &impl ConnectionTrait,
    person: &user::Model,
    purpose: Purpose,
    text_id: i64,
    given: bool,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    consent_event::ActiveModel {
        user_id: Set(person.id),
        purpose: Set(purpose),
        text_id: Set(text_id),
        given: Set(given),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Of `purposes`, those `person` has not consented to (in their current version).
pub async fn missing(
    db: &impl ConnectionTrait,
    person_id: i64,
    purposes: &[Purpose],
) -> ApiResult<Vec<Purpose>> {
    if purposes.is_empty() {
        return Ok(Vec::new());
    }
    let given = given_by(db, [person_id], purposes).await?;
    Ok(purposes
        .iter()
        .copied()
        .filter(|purpose| {
            !given
                .get(purpose)
                .is_some_and(|who| who.contains(&person_id))
        })
        .collect())
}

/// For each of `purposes`, who of `people` stands consenting to its current version.
pub async fn given_by(
    db: &impl ConnectionTrait,
    people: impl IntoIterator<Item = i64>,
    purposes: &[Purpose],
) -> ApiResult<HashMap<Purpose, HashSet<i64>>> {
    let current = current_texts(db).await?;
    let mut latest: HashMap<(i64, Purpose), consent_event::Model> = HashMap::new();
    for event in consent_event::Entity::find()
        .filter(consent_event::Column::UserId.is_in(people))
        .filter(consent_event::Column::Purpose.is_in(purposes.iter().copied()))
        .order_by_asc(consent_event::Column::Id)
        .all(db)
        .await?
    {
        latest.insert((event.user_id, event.purpose), event);
    }
    let mut given: HashMap<Purpose, HashSet<i64>> = HashMap::new();
    for ((person, purpose), event) in latest {
        if event.given && current.get(&purpose).is_some_and(|c| c.id == event.text_id) {
            given.entry(purpose).or_default().insert(person);
        }
    }
    Ok(given)
}

/// Every change `person` made, oldest first (for `myData`).
pub async fn history(
    db: &impl ConnectionTrait,
    person_id: i64,
) -> ApiResult<Vec<consent_event::Model>> {
    Ok(consent_event::Entity::find()
        .filter(consent_event::Column::UserId.eq(person_id))
        .order_by_asc(consent_event::Column::Id)
        .all(db)
        .await?)
}
