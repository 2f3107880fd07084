//! A half-day's attendance sheet as PDF, for its trainers and staff: the office, the training,
//! the half-day's date and times, its trainers, each registrant with its drawn signature (or
//! absent, excused, present by correction, and staff's reason), the trainer's signature, and
//! the chain's final hash with whether the stored rows still match it.

use std::collections::HashMap;

use chrono_tz::Tz;
use entity::{activity, registration, slot_presence::Presence, user};
use sea_orm::ConnectionTrait;

use crate::{
    config::Locale,
    error::ApiResult,
    heavy,
    mail::Mailer,
    pdf::{self, Line},
    people,
    training::{
        policy,
        sheets::{self, Sheet},
        slots,
    },
};

/// The sheet of slot `slot_id` as `(file name, PDF)`, for `reader` if it keeps the activity's
/// sheets (FORBIDDEN otherwise), in its language (French unless it chose English).
pub async fn document(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    slot_id: i64,
    reader: &user::Model,
    tz: Tz,
) -> ApiResult<(String, Vec<u8>)> {
    let slot = slots::get(db, slot_id, tz).await?;
    policy::require_keeps_sheets(db, reader, slot.activity_id).await?;
    let (sheet, registrations) = sheets::of_slot(db, &slot, tz).await?;
    let drawing = Drawing::load(db, mailer, slot.activity_id, &registrations, reader, tz).await?;
    let bytes = drawing.render(&sheet).await?;
    Ok((format!("emargement-{}.pdf", slot.id), bytes))
}

/// What every sheet of one activity is drawn from, read once: the training file draws all of
/// them from one reading.
pub struct Drawing<'a> {
    mailer: &'a Mailer,
    activity: activity::Model,
    trainers: String,
    people: HashMap<i64, user::Model>,
    registrations: &'a [registration::Model],
    locale: Locale,
    tz: Tz,
}

impl<'a> Drawing<'a> {
    /// Reads what the sheets of activity `activity_id` show, for `reader`'s language. The
    /// caller has checked that `reader` keeps them.
    pub async fn load(
        db: &impl ConnectionTrait,
        mailer: &'a Mailer,
        activity_id: i64,
        registrations: &'a [registration::Model],
        reader: &user::Model,
        tz: Tz,
    ) -> ApiResult<Self> {
        let activity = crate::db::get::<activity::Entity>(db, activity_id, "slot").await?;
        let people = people::service::by_id(db, registrations.iter().map(|r| r.user_id)).await?;
        let trainers = people::service::trainer_names(db, &activity)
            .await?
            .unwrap_or_default();
        Ok(Self {
            mailer,
            activity,
            trainers,
            people,
            registrations,
            locale: mailer.locale_of(reader),
            tz,
        })
    }

    /// One half-day's sheet as PDF.
    pub async fn render(&self, sheet: &Sheet) -> ApiResult<Vec<u8>> {
        let Self {
            mailer,
            activity,
            trainers,
            people,
            registrations,
            locale,
            tz,
        } = self;
        let (locale, tz) = (*locale, *tz);
        let slot = &sheet.slot;
        let fr = locale == Locale::Fr;
        let label =
            |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };

        let mut lines = vec![
            Line::title(18.0, mailer.office_name.clone()),
            Line::title(16.0, label("Feuille d'émargement", "Attendance sheet")),
            Line::text(
                12.0,
                format!(
                    "{} « {} »",
                    label("Action de formation", "Training"),
                    activity.title
                ),
            ),
            Line::text(
                12.0,
                format!(
                    "{} {}, {} – {} ({tz})",
                    label("Demi-journée du", "Half-day of"),
                    mailer.day(slot.starts_at, locale),
                    mailer.time(slot.starts_at),
                    mailer.time(slot.ends_at),
                ),
            ),
            Line::text(
                12.0,
                format!("{} {trainers}", label("Formateur :", "Trainer:")),
            ),
            Line::blank(),
            Line::title(13.0, label("Stagiaires", "Trainees")),
        ];
        for line in sheet.lines(registrations) {
            let name = people.get(&line.registration.user_id).map_or_else(
                || label("(compte supprimé)", "(deleted account)"),
                |p| p.name.as_str(),
            );
            let reason = line.reason.unwrap_or_default();
            let status = match line.presence {
                Presence::Signed => format!(
                    "{} {}",
                    label("signé à", "signed at"),
                    line.signed_at.map(|at| mailer.time(at)).unwrap_or_default()
                ),
                Presence::Absent => label("absent", "absent").to_owned(),
                Presence::Excused => format!("{} : {reason}", label("absence excusée", "excused")),
                Presence::PresentByCorrection => format!(
                    "{} : {reason}",
                    label("présent (correction)", "present (correction)")
                ),
            };
            lines.push(Line::text(11.0, format!("{name} — {status}")));
            if let Some(signature) = line.signature {
                lines.push(Line::signature(signature));
            }
        }
        lines.push(Line::blank());
        match sheet.trainer_signature() {
            Some(row) => {
                lines.push(Line::text(
                    11.0,
                    format!(
                        "{} {}, {} {}",
                        label("Signature du formateur :", "Trainer's signature:"),
                        row.person_name,
                        label("à", "at"),
                        mailer.time(row.recorded_at)
                    ),
                ));
                if let Some(signature) = &row.signature {
                    lines.push(Line::signature(signature.clone()));
                }
            }
            None => lines.push(Line::text(
                11.0,
                label(
                    "Pas encore signée par le formateur.",
                    "Not signed by the trainer yet.",
                ),
            )),
        }
        lines.extend([
            Line::blank(),
            Line::text(
                9.0,
                format!("{} {}", label("Empreinte SHA-256 :", "SHA-256 digest:"), sheet.final_hash()),
            ),
            Line::text(
                9.0,
                if sheet.intact() {
                    label(
                        "Chaîne vérifiée : les lignes enregistrées correspondent à l'empreinte.",
                        "Chain checked: the stored rows match the digest.",
                    )
                } else {
                    label(
                        "ATTENTION : les lignes enregistrées ne correspondent plus à la chaîne d'empreintes.",
                        "WARNING: the stored rows no longer match the chain of digests.",
                    )
                },
            ),
        ]);
        let title = format!(
            "{} {} {}",
            label("Émargement", "Attendance"),
            activity.title,
            mailer.day(slot.starts_at, locale)
        );
        let office = mailer.office_name.clone();
        let bytes = heavy::run(move || pdf::render(title, office, &lines)).await??;
        Ok(bytes)
    }
}
