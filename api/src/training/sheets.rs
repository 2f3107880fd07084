//! A half-day's attendance sheet: the registrants' signatures, the trainer's, and staff's
//! corrections, kept as a chain of rows. Each row stores the SHA-256 of the row before it and of
//! its own content (slot, place in the chain, person, presence, signature, reason, who wrote it
//! and when), so a row changed, removed or inserted behind Klub's back breaks the chain and the
//! sheet says it is no longer [`intact`](Sheet::intact). Rows are only ever added.
//!
//! Attendance comes from the sheets: each row about a registrant recomputes its attendance of
//! the session (whole when every half-day is present, its minutes when some are, none
//! otherwise), in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use entity::{
    registration, session,
    slot_presence::{self, Presence},
    user,
};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, SqlErr, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::{
    audit::{self, Action},
    db::begin_write,
    error::{ApiError, ApiResult},
    registrations::{self, service::Attended},
    training::slots::{self, Slot},
};

/// What the first row of a chain follows.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How often a write is tried again when another instance added a row to the same sheet first.
const ATTEMPTS: usize = 10;

/// What a new row of a sheet says.
pub struct Entry {
    /// None for the trainer's own signature.
    pub registration_id: Option<i64>,
    pub person_name: String,
    pub presence: Presence,
    pub signature: Option<String>,
    pub reason: Option<String>,
    pub recorded_by: i64,
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// The hash of what names the person: its name, signature and staff's reason, as a JSON array
/// so that no field can run into the next. Erasing them with an account keeps this hash.
fn content_hash(person_name: &str, signature: Option<&str>, reason: Option<&str>) -> String {
    let content = serde_json::json!([person_name, signature, reason]);
    sha256_hex(&[content.to_string().as_bytes()])
}

/// What a row's hash covers besides the previous hash.
struct Chained<'a> {
    slot_id: i64,
    seq: i32,
    registration_id: Option<i64>,
    presence: Presence,
    recorded_by: i64,
    recorded_at: DateTime<Utc>,
    content_hash: &'a str,
}

/// The hash of a row: SHA-256 over the previous row's hash and the row (slot, place, whose
/// registration, presence, who wrote it and when, and its content's hash).
fn digest(prev_hash: &str, row: &Chained<'_>) -> String {
    let row = serde_json::json!([
        row.slot_id,
        row.seq,
        row.registration_id,
        row.presence.to_value(),
        row.recorded_by,
        row.recorded_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        row.content_hash,
    ]);
    sha256_hex(&[prev_hash.as_bytes(), b"\n", row.to_string().as_bytes()])
}

fn digest_of(row: &slot_presence::Model) -> String {
    digest(
        &row.prev_hash,
        &Chained {
            slot_id: row.slot_id,
            seq: row.seq,
            registration_id: row.registration_id,
            presence: row.presence,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
            content_hash: &row.content_hash,
        },
    )
}

/// Whether `rows` (one slot's, in order) still form the chain they were written as: numbered
/// from 1 without a gap, each pointing at its predecessor's hash, each hash matching the row,
/// and each content matching its hash unless it was erased with its account.
pub fn chain_holds(slot_id: i64, rows: &[slot_presence::Model]) -> bool {
    let mut previous = GENESIS.to_owned();
    for (place, row) in rows.iter().enumerate() {
        let expected_seq = i32::try_from(place + 1).unwrap_or(i32::MAX);
        let content_holds = row.erased
            || row.content_hash
                == content_hash(
                    &row.person_name,
                    row.signature.as_deref(),
                    row.reason.as_deref(),
                );
        if row.slot_id != slot_id
            || row.seq != expected_seq
            || row.prev_hash != previous
            || row.hash != digest_of(row)
            || !content_holds
        {
            return false;
        }
        previous.clone_from(&row.hash);
    }
    true
}

/// The rows about a person: those of its registrations and those it signed as trainer.
fn about_person(person_id: i64) -> Condition {
    let registrations = sea_orm::sea_query::Query::select()
        .column(registration::Column::Id)
        .from(registration::Entity)
        .and_where(registration::Column::UserId.eq(person_id))
        .to_owned();
    Condition::any()
        .add(slot_presence::Column::RegistrationId.in_subquery(registrations))
        .add(
            Condition::all()
                .add(slot_presence::Column::RegistrationId.is_null())
                .add(slot_presence::Column::RecordedBy.eq(person_id)),
        )
}

/// Erases what the sheets say of `person` beyond its presence: its name, signatures and the
/// reasons staff wrote about it, on its registrations' rows and on those it signed as trainer.
/// The rows stay and their chain still holds (see [`content_hash`]).
pub async fn erase_person(db: &impl ConnectionTrait, person_id: i64) -> ApiResult<()> {
    let nothing = || Expr::value(Option::<String>::None);
    slot_presence::Entity::update_many()
        .col_expr(slot_presence::Column::PersonName, Expr::value(""))
        .col_expr(slot_presence::Column::Signature, nothing())
        .col_expr(slot_presence::Column::Reason, nothing())
        .col_expr(slot_presence::Column::Erased, Expr::value(true))
        .filter(about_person(person_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The rows about `person` (`myData`).
pub async fn rows_about(
    db: &impl ConnectionTrait,
    person_id: i64,
) -> ApiResult<Vec<slot_presence::Model>> {
    Ok(slot_presence::Entity::find()
        .filter(about_person(person_id))
        .order_by_asc(slot_presence::Column::Id)
        .all(db)
        .await?)
}

fn rows_of(slot_ids: impl IntoIterator<Item = i64>) -> sea_orm::Select<slot_presence::Entity> {
    slot_presence::Entity::find()
        .filter(slot_presence::Column::SlotId.is_in(slot_ids))
        .order_by_asc(slot_presence::Column::SlotId)
        .order_by_asc(slot_presence::Column::Seq)
}

/// An audit row to write with a change, in its transaction.
pub struct Audited<'a> {
    pub by: &'a user::Model,
    pub detail: String,
}

/// Adds `entry` at the end of `slot`'s chain once `check` accepts the rows already there, and
/// recomputes the registrant's attendance of the session, in one transaction. Two writers on
/// one sheet (two instances, two phones) both aim at the same next place; the database's unique
/// (slot, seq) lets one in and the other reads the new end and tries again, so the chain never
/// forks and `check` always sees every row before its own.
pub async fn append(
    db: &DatabaseConnection,
    slot: &Slot,
    tz: Tz,
    entry: Entry,
    check: impl Fn(&[slot_presence::Model]) -> ApiResult<()>,
    audited: Option<Audited<'_>>,
    now: DateTime<Utc>,
) -> ApiResult<slot_presence::Model> {
    // The stored time must hash the same once read back: PostgreSQL keeps microseconds.
    let recorded_at = now.trunc_subsecs(6);
    for _ in 0..ATTEMPTS {
        let tx = begin_write(db).await?;
        let rows = rows_of([slot.id]).all(&tx).await?;
        check(&rows)?;
        let prev_hash = rows
            .last()
            .map_or(GENESIS, |row| row.hash.as_str())
            .to_owned();
        let seq = rows.last().map_or(1, |row| row.seq.saturating_add(1));
        let content = content_hash(
            &entry.person_name,
            entry.signature.as_deref(),
            entry.reason.as_deref(),
        );
        let hash = digest(
            &prev_hash,
            &Chained {
                slot_id: slot.id,
                seq,
                registration_id: entry.registration_id,
                presence: entry.presence,
                recorded_by: entry.recorded_by,
                recorded_at,
                content_hash: &content,
            },
        );
        let inserted = slot_presence::Entity::insert(slot_presence::ActiveModel {
            slot_id: Set(slot.id),
            session_id: Set(slot.session_id),
            seq: Set(seq),
            registration_id: Set(entry.registration_id),
            person_name: Set(entry.person_name.clone()),
            presence: Set(entry.presence),
            signature: Set(entry.signature.clone()),
            reason: Set(entry.reason.clone()),
            erased: Set(false),
            content_hash: Set(content),
            recorded_by: Set(entry.recorded_by),
            recorded_at: Set(recorded_at),
            prev_hash: Set(prev_hash),
            hash: Set(hash),
            ..Default::default()
        })
        .exec_with_returning(&tx)
        .await;
        let row = match inserted {
            Ok(row) => row,
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(registration_id) = row.registration_id {
            recompute_attendance(&tx, slot.session_id, registration_id, tz).await?;
        }
        if let Some(audited) = &audited {
            audit::record(
                &tx,
                audited.by,
                Action::AttendanceCorrected,
                [slot.activity_id],
                Some(&audited.detail),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(row);
    }
    Err(ApiError::conflict(
        "the sheet is being written by many at once, try again",
    ))
}

/// The presence each registration has on a slot: its latest row's.
fn latest_by_registration(rows: &[slot_presence::Model]) -> HashMap<i64, &slot_presence::Model> {
    let mut latest = HashMap::new();
    for row in rows {
        if let Some(registration_id) = row.registration_id {
            latest.insert(registration_id, row);
        }
    }
    latest
}

/// Sets `registration_id`'s attendance of `session_id` from its half-days: the whole session
/// when each is present, the present ones' minutes when some are, no attendance otherwise.
async fn recompute_attendance(
    tx: &DatabaseTransaction,
    session_id: i64,
    registration_id: i64,
    tz: Tz,
) -> ApiResult<()> {
    let session = crate::db::get::<session::Entity>(tx, session_id, "session").await?;
    let slots = slots::of_session(&session, tz);
    let rows = rows_of(slots.iter().map(|slot| slot.id))
        .filter(slot_presence::Column::RegistrationId.eq(registration_id))
        .all(tx)
        .await?;
    let present: Vec<&Slot> = slots
        .iter()
        .filter(|slot| {
            rows.iter()
                .rfind(|row| row.slot_id == slot.id)
                .is_some_and(|row| row.presence.present())
        })
        .collect();
    if present.is_empty() {
        return registrations::service::set_attended(tx, registration_id, [session_id], None).await;
    }
    let minutes = (present.len() < slots.len()).then(|| {
        let minutes: i64 = present.iter().map(|slot| slot.minutes()).sum();
        i32::try_from(minutes).unwrap_or(i32::MAX)
    });
    registrations::service::set_attended(
        tx,
        registration_id,
        [session_id],
        Some(Attended { minutes }),
    )
    .await
}

/// One person's line on a sheet.
pub struct Line<'a> {
    pub registration: &'a registration::Model,
    pub presence: Presence,
    /// When the person signed, if it did.
    pub signed_at: Option<DateTime<Utc>>,
    pub signature: Option<&'a str>,
    /// Staff's reason, when the presence is a correction.
    pub reason: Option<&'a str>,
}

/// A half-day's sheet as stored.
pub struct Sheet {
    pub slot: Slot,
    pub rows: Vec<slot_presence::Model>,
}

impl Sheet {
    /// Whether the stored rows still match their chain of hashes.
    pub fn intact(&self) -> bool {
        chain_holds(self.slot.id, &self.rows)
    }

    /// The hash the chain ends on (printed on the sheet), or the chain's start when empty.
    pub fn final_hash(&self) -> &str {
        self.rows.last().map_or(GENESIS, |row| row.hash.as_str())
    }

    /// The trainer's signature, once it signed.
    pub fn trainer_signature(&self) -> Option<&slot_presence::Model> {
        self.rows.iter().find(|row| row.registration_id.is_none())
    }

    /// Each registrant's line, in `registrations`' order: ABSENT until a row says otherwise.
    pub fn lines<'a>(&'a self, registrations: &'a [registration::Model]) -> Vec<Line<'a>> {
        let latest = latest_by_registration(&self.rows);
        registrations
            .iter()
            .map(|registration| {
                let row = latest.get(&registration.id);
                let signed = self.rows.iter().rfind(|row| {
                    row.registration_id == Some(registration.id) && row.presence == Presence::Signed
                });
                let presence = row.map_or(Presence::Absent, |row| row.presence);
                Line {
                    registration,
                    presence,
                    signed_at: (presence == Presence::Signed)
                        .then(|| signed.map(|row| row.recorded_at))
                        .flatten(),
                    signature: signed
                        .filter(|_| presence == Presence::Signed)
                        .and_then(|row| row.signature.as_deref()),
                    reason: row.and_then(|row| row.reason.as_deref()),
                }
            })
            .collect()
    }
}

/// An activity's sheets, one per half-day in time order, and the registrations they list: the
/// confirmed ones and any other that has a row (who signed, then cancelled, stays on record).
pub struct Sheets {
    pub sheets: Vec<Sheet>,
    pub registrations: Vec<registration::Model>,
}

/// The sheets of each of `activity_ids`, read in three statements.
pub async fn of_activities(
    db: &impl ConnectionTrait,
    activity_ids: &[i64],
    tz: Tz,
) -> ApiResult<HashMap<i64, Sheets>> {
    let sessions = session::Entity::find()
        .filter(session::Column::ActivityId.is_in(activity_ids.iter().copied()))
        .order_by_asc(session::Column::StartsAt)
        .order_by_asc(session::Column::Id)
        .all(db)
        .await?;
    let mut rows: HashMap<i64, Vec<slot_presence::Model>> = HashMap::new();
    for row in slot_presence::Entity::find()
        .filter(slot_presence::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .order_by_asc(slot_presence::Column::SlotId)
        .order_by_asc(slot_presence::Column::Seq)
        .all(db)
        .await?
    {
        rows.entry(row.slot_id).or_default().push(row);
    }
    let on_record: Vec<i64> = rows
        .values()
        .flatten()
        .filter_map(|row| row.registration_id)
        .collect();
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.is_in(activity_ids.iter().copied()))
        .filter(
            Condition::any()
                .add(registration::Column::Status.eq(registration::Status::Confirmed))
                .add(registration::Column::Id.is_in(on_record)),
        )
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?;
    let mut by_activity: HashMap<i64, Sheets> = activity_ids
        .iter()
        .map(|&id| {
            (
                id,
                Sheets {
                    sheets: Vec::new(),
                    registrations: Vec::new(),
                },
            )
        })
        .collect();
    for session in &sessions {
        for slot in slots::of_session(session, tz) {
            if let Some(sheets) = by_activity.get_mut(&slot.activity_id) {
                let rows = rows.remove(&slot.id).unwrap_or_default();
                sheets.sheets.push(Sheet { slot, rows });
            }
        }
    }
    for registration in registrations {
        if let Some(sheets) = by_activity.get_mut(&registration.activity_id) {
            sheets.registrations.push(registration);
        }
    }
    Ok(by_activity)
}

/// The sheet of one slot, with the registrations it lists.
pub async fn of_slot(
    db: &impl ConnectionTrait,
    slot: &Slot,
    tz: Tz,
) -> ApiResult<(Sheet, Vec<registration::Model>)> {
    let mut sheets = of_activities(db, &[slot.activity_id], tz).await?;
    let Sheets {
        sheets,
        registrations,
    } = sheets
        .remove(&slot.activity_id)
        .ok_or(ApiError::NotFound("slot"))?;
    let sheet = sheets
        .into_iter()
        .find(|sheet| sheet.slot.id == slot.id)
        .ok_or(ApiError::NotFound("slot"))?;
    Ok((sheet, registrations))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i32, prev_hash: &str, presence: Presence) -> slot_presence::Model {
        let at: DateTime<Utc> = "2026-12-07T08:05:00.123456Z".parse().unwrap();
        let content = content_hash("Léa", Some("M1 1 L2 2"), None);
        slot_presence::Model {
            id: i64::from(seq),
            slot_id: 14,
            session_id: 7,
            seq,
            registration_id: Some(4),
            person_name: "Léa".into(),
            presence,
            signature: Some("M1 1 L2 2".into()),
            reason: None,
            erased: false,
            recorded_by: 9,
            recorded_at: at,
            prev_hash: prev_hash.into(),
            hash: digest(
                prev_hash,
                &Chained {
                    slot_id: 14,
                    seq,
                    registration_id: Some(4),
                    presence,
                    recorded_by: 9,
                    recorded_at: at,
                    content_hash: &content,
                },
            ),
            content_hash: content,
        }
    }

    #[test]
    fn a_chain_shows_a_changed_removed_or_reordered_row() {
        let first = row(1, GENESIS, Presence::Signed);
        let second = row(2, &first.hash, Presence::Excused);
        let chain = vec![first.clone(), second.clone()];
        assert!(chain_holds(14, &chain));

        let mut changed = chain.clone();
        changed[0].presence = Presence::Absent;
        assert!(!chain_holds(14, &changed));

        let mut forged = chain.clone();
        forged[0].signature = Some("M1 1 L9 9".into());
        assert!(!chain_holds(14, &forged));
        forged[0].content_hash = content_hash("Léa", Some("M1 1 L9 9"), None);
        forged[0].hash = digest_of(&forged[0]);
        assert!(
            !chain_holds(14, &forged),
            "the next row still points at the old hash"
        );

        // Erased with the account: the content goes, the chain holds; the presence is still
        // covered.
        let mut erased = chain.clone();
        erased[0].person_name = String::new();
        erased[0].signature = None;
        erased[0].erased = true;
        assert!(chain_holds(14, &erased));
        erased[0].presence = Presence::Excused;
        assert!(!chain_holds(14, &erased));

        assert!(!chain_holds(14, std::slice::from_ref(&second)));
        assert!(!chain_holds(14, &[second, first]));
        assert!(chain_holds(14, &[]));
    }
}
