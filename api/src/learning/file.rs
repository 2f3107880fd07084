//! The training file: everything an auditor or a funder asks about one training, in one ZIP
//! for staff. `LISEZMOI.txt` lists what is inside and, for each half-day's sheet, whether its
//! chain of hashes still holds and the hash it ends on; then the programme, each confirmed
//! trainee's convocation, every half-day's signed sheet, each trainee's evaluation against the
//! objectives, the certificates issued, the answers to its positioning and to both
//! satisfaction surveys, the complaints about it and how they were handled, and the payments.
//! Every document is drawn again from what is stored, as it would be downloaded one by one.

use std::io::Write;

use chrono_tz::Tz;
use entity::{
    activity, certificate, complaint, evaluation, registration, session, survey::Purpose,
};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use crate::{
    activities,
    certificates::{self, earns_certificate},
    error::{ApiError, ApiResult},
    followup::{questionnaire, survey_results},
    heavy,
    mail::Mailer,
    payments, people,
    people::Staff,
    safe_csv::SafeCsv,
    training::{programme, sheet_pdf, sheets},
};

/// One file of the archive.
struct Entry {
    path: String,
    bytes: Vec<u8>,
}

/// A name made of plain letters, digits and dashes, for a path inside the archive.
fn plain(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let ascii: String = text
        .nfd()
        .filter(char::is_ascii)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    ascii
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The training file of activity `activity_id` as `(file name, ZIP)`, for staff.
pub async fn archive(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity_id: i64,
    by: Staff<'_>,
    tz: Tz,
) -> ApiResult<(String, Vec<u8>)> {
    let activity = activities::service::get_visible(db, activity_id, by.person()).await?;
    if !earns_certificate(activity.kind) {
        return Err(ApiError::NotFound("training file"));
    }
    let sessions = session::of_activity(activity.id).all(db).await?;
    let mut entries = Vec::new();
    let mut index = vec![
        format!("Dossier de formation — {}", activity.title),
        format!(
            "{} — {}",
            mailer.office_name,
            mailer.day(activity.starts_at, mailer.default_locale)
        ),
        String::new(),
    ];

    if let Some(programme) = programme::of(db, activity.id).await? {
        let (office, activity, sessions, locale) = (
            mailer.office_name.clone(),
            activity.clone(),
            sessions.clone(),
            mailer.default_locale,
        );
        let bytes = heavy::run(move || {
            programme::document(&office, &activity, &programme, &sessions, locale)
        })
        .await??;
        entries.push(Entry {
            path: "programme.pdf".into(),
            bytes,
        });
        index.push("programme.pdf : le programme de la formation".into());
    } else {
        index.push("(pas de programme enregistré)".into());
    }

    convocations(db, mailer, &activity, &sessions, &mut entries, &mut index).await?;
    signed_sheets(db, mailer, &activity, by, tz, &mut entries, &mut index).await?;

    let issued = certificate::Entity::find()
        .filter(certificate::Column::ActivityId.eq(activity.id))
        .order_by_asc(certificate::Column::Id)
        .all(db)
        .await?;
    for certificate in &issued {
        entries.push(Entry {
            path: format!("certificats/{}.pdf", certificate.number),
            bytes: certificates::document(db, mailer, certificate).await?,
        });
    }
    index.push(format!(
        "certificats/ : {} certificat(s) de réalisation délivré(s)",
        issued.len()
    ));

    evaluations(db, &activity, &mut entries, &mut index).await?;
    complaints_about(db, &activity, &mut entries, &mut index).await?;

    // Every questionnaire through the engine's one sheet: by name unless anonymous.
    for (purpose, path, what) in [
        (
            Purpose::Positioning,
            "positionnement.csv",
            "les réponses de chaque stagiaire au positionnement avant la formation",
        ),
        (
            Purpose::End,
            "enquete-satisfaction.csv",
            "les réponses à l'enquête de satisfaction à chaud",
        ),
        (
            Purpose::Cold,
            "enquete-a-froid.csv",
            "les réponses à l'enquête de satisfaction à froid",
        ),
    ] {
        if let Some(survey) = questionnaire::find(db, activity.id, purpose).await? {
            entries.push(Entry {
                path: path.into(),
                bytes: survey_results::csv(db, &survey).await?,
            });
            index.push(format!("{path} : {what}"));
        }
    }
    let payments = payments::sheet::csv(
        db,
        activity::Entity::find().filter(activity::Column::Id.eq(activity.id)),
    )
    .await?;
    entries.push(Entry {
        path: "paiements.csv".into(),
        bytes: payments,
    });
    index.push("paiements.csv : les paiements et financements par stagiaire".into());

    entries.insert(
        0,
        Entry {
            path: "LISEZMOI.txt".into(),
            bytes: index.join("\n").into_bytes(),
        },
    );
    let bytes = heavy::run(move || zipped(entries)).await??;
    Ok((
        format!(
            "dossier-formation-{}-{}.zip",
            activity.id,
            plain(&activity.title)
        ),
        bytes,
    ))
}

/// Each confirmed trainee's convocation, as it was mailed.
async fn convocations(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    sessions: &[session::Model],
    entries: &mut Vec<Entry>,
    index: &mut Vec<String>,
) -> ApiResult<()> {
    let confirmed = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity.id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?;
    let trainees = people::service::by_id(db, confirmed.iter().map(|r| r.user_id)).await?;
    for registration in &confirmed {
        let Some(trainee) = trainees.get(&registration.user_id) else {
            continue;
        };
        if let Some(convocation) =
            activities::convocation::attachment(db, mailer, trainee, activity, sessions).await?
        {
            entries.push(Entry {
                path: format!(
                    "convocations/{}-{}.pdf",
                    registration.id,
                    plain(&trainee.name)
                ),
                bytes: convocation.bytes,
            });
        }
    }
    index.push(format!(
        "convocations/ : la convocation de chacun des {} stagiaires inscrits",
        confirmed.len()
    ));
    Ok(())
}

/// Every half-day's signed sheet, and in the index whether its chain holds.
async fn signed_sheets(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    by: Staff<'_>,
    tz: Tz,
    entries: &mut Vec<Entry>,
    index: &mut Vec<String>,
) -> ApiResult<()> {
    let Some(all) = sheets::of_activities(db, &[activity.id], tz)
        .await?
        .remove(&activity.id)
    else {
        return Ok(());
    };
    index.push("emargement/ : la feuille signée de chaque demi-journée :".into());
    let drawing =
        sheet_pdf::Drawing::load(db, mailer, activity.id, &all.registrations, by.person(), tz)
            .await?;
    for sheet in &all.sheets {
        let local = sheet.slot.starts_at.with_timezone(&tz);
        let half = if sheet.slot.id % 2 == 0 {
            "matin"
        } else {
            "apres-midi"
        };
        let path = format!("emargement/{}-{half}.pdf", local.format("%Y-%m-%d"));
        let bytes = drawing.render(sheet).await?;
        index.push(format!(
            "  {path} : {} — empreinte {}",
            if sheet.intact() {
                "chaîne intacte"
            } else {
                "ATTENTION, chaîne rompue"
            },
            sheet.final_hash()
        ));
        entries.push(Entry { path, bytes });
    }
    Ok(())
}

/// Each trainee's judgement on each objective, when the training was evaluated.
async fn evaluations(
    db: &impl ConnectionTrait,
    activity: &activity::Model,
    entries: &mut Vec<Entry>,
    index: &mut Vec<String>,
) -> ApiResult<()> {
    let Some(programme) = programme::of(db, activity.id).await? else {
        return Ok(());
    };
    let objectives = programme::objectives(&programme);
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity.id))
        .all(db)
        .await?;
    let judged = evaluation::Entity::find()
        .filter(evaluation::Column::RegistrationId.is_in(registrations.iter().map(|r| r.id)))
        .order_by_asc(evaluation::Column::RegistrationId)
        .order_by_asc(evaluation::Column::Objective)
        .all(db)
        .await?;
    if judged.is_empty() {
        return Ok(());
    }
    let trainees = people::service::by_id(db, registrations.iter().map(|r| r.user_id)).await?;
    let mut sheet = SafeCsv::default();
    sheet.row(["trainee", "objective", "mastery", "recorded at"])?;
    for row in &judged {
        let trainee = registrations
            .iter()
            .find(|r| r.id == row.registration_id)
            .and_then(|r| trainees.get(&r.user_id))
            .map_or("", |person| person.name.as_str());
        let objective = usize::try_from(row.objective)
            .ok()
            .and_then(|at| objectives.get(at))
            .copied()
            .unwrap_or_default();
        sheet.row([
            trainee.to_owned(),
            objective.to_owned(),
            row.mastery.to_value(),
            row.recorded_at.to_rfc3339(),
        ])?;
    }
    entries.push(Entry {
        path: "evaluation-des-acquis.csv".into(),
        bytes: sheet.finish()?,
    });
    index.push("evaluation-des-acquis.csv : chaque objectif, pour chaque stagiaire".into());
    Ok(())
}

/// The complaints about the training and how they were handled (without their authors).
async fn complaints_about(
    db: &impl ConnectionTrait,
    activity: &activity::Model,
    entries: &mut Vec<Entry>,
    index: &mut Vec<String>,
) -> ApiResult<()> {
    let filed = complaint::Entity::find()
        .filter(complaint::Column::ActivityId.eq(activity.id))
        .order_by_asc(complaint::Column::Id)
        .all(db)
        .await?;
    if filed.is_empty() {
        return Ok(());
    }
    let mut sheet = SafeCsv::default();
    sheet.row([
        "filed at",
        "subject",
        "status",
        "due at",
        "answered at",
        "answer",
        "actions",
    ])?;
    for row in &filed {
        sheet.row([
            row.created_at.to_rfc3339(),
            row.subject.clone(),
            row.status.to_value(),
            row.due_at.to_rfc3339(),
            row.answered_at
                .map(|at| at.to_rfc3339())
                .unwrap_or_default(),
            row.answer.clone().unwrap_or_default(),
            row.actions.clone().unwrap_or_default(),
        ])?;
    }
    entries.push(Entry {
        path: "reclamations.csv".into(),
        bytes: sheet.finish()?,
    });
    index.push(format!(
        "reclamations.csv : les {} réclamation(s) et leur traitement",
        filed.len()
    ));
    Ok(())
}

fn zipped(entries: Vec<Entry>) -> ApiResult<Vec<u8>> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for entry in entries {
        zip.start_file(entry.path, options)
            .map_err(ApiError::internal)?;
        zip.write_all(&entry.bytes).map_err(ApiError::internal)?;
    }
    Ok(zip.finish().map_err(ApiError::internal)?.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_inside_the_archive_are_plain() {
        assert_eq!(super::plain("Léa Hôtelière"), "lea-hoteliere");
        assert_eq!(
            super::plain("Réseaux sociaux : 2e jour !"),
            "reseaux-sociaux-2e-jour"
        );
        assert_eq!(super::plain("../../etc"), "etc");
    }
}
