//! Signing in the room. During a half-day's window (30 minutes before its start to its end) its
//! trainer or staff open the sign-in: a code of 6 characters and its QR code, shown on the
//! screen; opening again replaces the code. Each confirmed registrant signs from its own phone
//! with the code and a drawn signature; the trainer signs the sheet; staff correct a presence
//! afterwards with a reason. Every one of these is a row of the sheet's chain ([`sheets`]).
//!
//! The code is a secret anyone in the room can read, and anyone outside might guess: only its
//! hash is stored, and every guess is counted before it is judged (`auth::throttle`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{
    activity, registration, sign_in,
    slot_presence::{self, Presence},
    user,
};
use rand::Rng;
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    SqlErr, sea_query::OnConflict,
};
use sha2::{Digest, Sha256};

use crate::{
    auth::throttle::{self, ClientAddress},
    error::{ApiError, ApiResult},
    people::{self, Staff},
    training::{
        policy,
        sheets::{self, Audited, Entry},
        signature,
        slots::{self, Slot},
    },
};

/// No 0/O, 1/I/L or U to misread on a projected screen: 30 characters, 6 of them.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const CODE_LEN: usize = 6;
/// What the throttle counts sign-in guesses under.
const GUESSES: &str = "sign-in";

/// An open sign-in, as its trainer shows it.
pub struct OpenSignIn {
    pub code: String,
    /// The code as a QR code, an SVG document.
    pub qr_svg: String,
    pub closes_at: DateTime<Utc>,
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

/// Refuses (CONFLICT) a slot whose activity is not running (published).
async fn require_running(db: &DatabaseConnection, slot: &Slot) -> ApiResult<()> {
    let activity = crate::db::get::<activity::Entity>(db, slot.activity_id, "slot").await?;
    if activity.status != activity::Status::Published {
        return Err(ApiError::conflict(
            "the activity is not running: only a published activity's half-days are signed",
        ));
    }
    Ok(())
}

/// Opens (or renews) the sign-in of a slot: its trainers and staff, during its window.
pub async fn open(
    db: &DatabaseConnection,
    slot_id: i64,
    by: &user::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> ApiResult<OpenSignIn> {
    let slot = slots::get(db, slot_id, tz).await?;
    policy::require_keeps_sheets(db, by, slot.activity_id).await?;
    require_running(db, &slot).await?;
    if !slot.sign_in_window_holds(now) {
        return Err(ApiError::conflict(
            "a half-day's sign-in opens 30 minutes before it starts and closes at its end",
        ));
    }
    // A new code collides with another open one about once in a billion: draw again.
    for _ in 0..5 {
        let code = new_code();
        let written = sign_in::Entity::insert(sign_in::ActiveModel {
            slot_id: Set(slot.id),
            session_id: Set(slot.session_id),
            code_hash: Set(code_hash(&code)),
            closes_at: Set(slot.ends_at),
            opened_by: Set(by.id),
            opened_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(sign_in::Column::SlotId)
                .update_columns([
                    sign_in::Column::CodeHash,
                    sign_in::Column::ClosesAt,
                    sign_in::Column::OpenedBy,
                    sign_in::Column::OpenedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await;
        match written {
            Ok(_) => {
                let qr_svg = qrcode::QrCode::new(code.as_bytes())
                    .map_err(|error| ApiError::internal(format!("QR code: {error}")))?
                    .render::<qrcode::render::svg::Color>()
                    .min_dimensions(240, 240)
                    .build();
                return Ok(OpenSignIn {
                    code,
                    qr_svg,
                    closes_at: slot.ends_at,
                });
            }
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApiError::conflict("no free code, try again"))
}

/// A confirmed registrant signs the slot whose sign-in shows `code`, from its own account.
/// BAD_USER_INPUT on `code` for a wrong or closed code (counted), on `signature` for a drawing
/// that is not one; FORBIDDEN for someone the half-day does not list; CONFLICT when it signed
/// this half-day already.
pub async fn sign(
    db: &DatabaseConnection,
    code: &str,
    drawn: &str,
    person: &user::Model,
    client: &ClientAddress,
    tz: Tz,
    now: DateTime<Utc>,
) -> ApiResult<(slot_presence::Model, Slot)> {
    signature::validate("signature", drawn)?;
    throttle::admit_code_guess(db, GUESSES, person.id, client, now).await?;
    let wrong = || ApiError::bad_input("code", "wrong or expired code");
    if code.trim().chars().count() != CODE_LEN {
        return Err(wrong());
    }
    let open = sign_in::Entity::find()
        .filter(sign_in::Column::CodeHash.eq(code_hash(code)))
        .filter(sign_in::Column::ClosesAt.gt(now))
        .one(db)
        .await?
        .ok_or_else(wrong)?;
    throttle::code_guess_succeeded(db, GUESSES, person.id, client).await?;
    let slot = slots::get(db, open.slot_id, tz).await?;
    require_running(db, &slot).await?;
    let registration = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(slot.activity_id))
        .filter(registration::Column::UserId.eq(person.id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .one(db)
        .await?
        .ok_or(ApiError::Forbidden)?;
    let entry = Entry {
        registration_id: Some(registration.id),
        person_name: person.name.clone(),
        presence: Presence::Signed,
        signature: Some(drawn.to_owned()),
        reason: None,
        recorded_by: person.id,
    };
    let signed = |rows: &[slot_presence::Model]| {
        if rows.iter().any(|row| {
            row.registration_id == Some(registration.id) && row.presence == Presence::Signed
        }) {
            return Err(ApiError::conflict("you signed this half-day already"));
        }
        Ok(())
    };
    let row = sheets::append(db, &slot, tz, entry, signed, None, now).await?;
    Ok((row, slot))
}

/// The slot's trainer signs its sheet, once its sign-in has opened; once.
pub async fn sign_sheet(
    db: &DatabaseConnection,
    slot_id: i64,
    drawn: &str,
    trainer: &user::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> ApiResult<Slot> {
    let slot = slots::get(db, slot_id, tz).await?;
    policy::require_delivers(db, trainer, slot.activity_id).await?;
    signature::validate("signature", drawn)?;
    if sign_in::Entity::find_by_id(slot.id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(ApiError::conflict(
            "open the half-day's sign-in before signing its sheet",
        ));
    }
    let entry = Entry {
        registration_id: None,
        person_name: trainer.name.clone(),
        presence: Presence::Signed,
        signature: Some(drawn.to_owned()),
        reason: None,
        recorded_by: trainer.id,
    };
    let once = |rows: &[slot_presence::Model]| {
        if rows.iter().any(|row| row.registration_id.is_none()) {
            return Err(ApiError::conflict(
                "the sheet is signed: later changes are staff corrections",
            ));
        }
        Ok(())
    };
    sheets::append(db, &slot, tz, entry, once, None, now).await?;
    Ok(slot)
}

/// The longest reason a correction gives.
const MAX_REASON: usize = 500;

/// What staff correct: one registrant's presence on one slot, and why.
pub struct Correction<'a> {
    pub slot_id: i64,
    pub registration_id: i64,
    pub presence: Presence,
    pub reason: &'a str,
}

/// Staff correct one registrant's presence on a slot (a paper signature, an excused absence),
/// with the reason; audited in the same transaction.
pub async fn correct(
    db: &DatabaseConnection,
    correction: Correction<'_>,
    by: Staff<'_>,
    tz: Tz,
    now: DateTime<Utc>,
) -> ApiResult<slot_presence::Model> {
    let Correction {
        slot_id,
        registration_id,
        presence,
        reason,
    } = correction;
    let slot = slots::get(db, slot_id, tz).await?;
    let registration =
        crate::db::get::<registration::Entity>(db, registration_id, "registration").await?;
    if registration.activity_id != slot.activity_id {
        return Err(ApiError::NotFound("registration"));
    }
    if registration.status != registration::Status::Confirmed {
        return Err(ApiError::conflict(
            "only a confirmed registration has attendance",
        ));
    }
    if presence == Presence::Signed {
        return Err(ApiError::bad_input(
            "presence",
            "only the trainee signs; a paper signature is PRESENT_BY_CORRECTION",
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(ApiError::bad_input(
            "reason",
            "a correction gives its reason, in at most 500 characters",
        ));
    }
    let person = people::service::get(db, registration.user_id).await?;
    let entry = Entry {
        registration_id: Some(registration.id),
        person_name: person.name.clone(),
        presence,
        signature: None,
        reason: Some(reason.to_owned()),
        recorded_by: by.person().id,
    };
    // The reason may name the person: it is on the sheet, where deleting the account erases
    // it, and not copied into the audit log.
    let audited = Audited {
        by: by.person(),
        detail: format!(
            "slot {}, registration {}: {}",
            slot.id,
            registration.id,
            presence.to_value()
        ),
    };
    sheets::append(db, &slot, tz, entry, |_| Ok(()), Some(audited), now).await
}
