//! Signed half-days, end to end through the contract: a trainer opens the sign-in in the room,
//! trainees sign from their phones with the code and a drawn signature, the trainer signs the
//! sheet, staff correct a presence; the sheet is a PDF read back with `pdftotext`, its chain of
//! hashes shows a row changed behind Klub's back, and attendance follows the sheets.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    certificates::pdf_text,
    helpers::{Persona, TestApp, outbox_settled, spawn_app, spawn_app_with},
    smtp::SmtpServer,
    training::{download, invited_trainer, programme_input},
};

pub const SIGNATURE: &str = "M10 80 C 40 10, 65 10, 95 80 S 150 150, 180 60 L 290 20";

/// 09:00 in Paris on a day a week ahead, in UTC.
pub fn nine_local(app: &TestApp, days_ahead: i64) -> DateTime<Utc> {
    let day: NaiveDate = (app.state.now() + Duration::days(days_ahead))
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    chrono_tz::Europe::Paris
        .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// A published, funded-style TRAINING a week ahead: a full day (9:00–17:00, a morning and an
/// afternoon) and a morning the day after; its programme set and `trainer` assigned;
/// `overrides` replace fields of its input.
pub async fn training_with_trainer(
    app: &TestApp,
    admin: &str,
    trainer_id: &Value,
    overrides: Value,
) -> String {
    let start = nine_local(app, 7);
    let sessions = json!([
        { "startsAt": start.to_rfc3339(), "endsAt": (start + Duration::hours(8)).to_rfc3339() },
        { "startsAt": (start + Duration::days(1)).to_rfc3339(),
          "endsAt": (start + Duration::days(1) + Duration::hours(3)).to_rfc3339() },
    ]);
    let mut input = json!({ "kind": "TRAINING", "title": "Réseaux sociaux pour hébergeurs",
                            "priceCents": 0, "sessions": sessions });
    for (key, value) in overrides.as_object().unwrap() {
        input[key] = value.clone();
    }
    let id = app.published_activity(admin, 7, input).await;
    app.op(
        "SetTrainingProgramme",
        json!({ "activityId": id, "input": programme_input() }),
        Some(admin),
    )
    .await
    .data();
    app.op(
        "AssignTrainer",
        json!({ "activityId": id, "userId": trainer_id }),
        Some(admin),
    )
    .await
    .data();
    id
}

pub async fn sheet(app: &TestApp, activity: &str, token: &str) -> Vec<Value> {
    let answer = app
        .op(
            "AttendanceSheet",
            json!({ "activityId": activity }),
            Some(token),
        )
        .await;
    answer.data()["activity"]["attendanceSlots"]
        .as_array()
        .unwrap()
        .clone()
}

pub async fn open_sign_in(app: &TestApp, slot: &Value, token: &str) -> String {
    let answer = app
        .op("OpenSignIn", json!({ "slotId": slot }), Some(token))
        .await;
    answer.data()["openSignIn"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn slot_number(id: &Value) -> i64 {
    id.as_str().unwrap().parse().unwrap()
}

async fn sign(app: &TestApp, code: &str, signature: &str, token: &str) -> crate::helpers::Gql {
    app.op(
        "SignAttendance",
        json!({ "code": code, "signature": signature }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_half_day_is_signed_in_the_room_and_its_sheet_is_proof() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (trainer, trainer_id) =
        invited_trainer(&app, &admin, "ines@formation.fr", "Inès Formatrice").await;
    let training = training_with_trainer(&app, &admin, &trainer_id, json!({})).await;
    let lea = app.persona(Persona::Partner, "lea").await.unwrap();
    let marc = app.persona(Persona::Partner, "marc").await.unwrap();
    let outsider = app.persona(Persona::Partner, "outsider").await.unwrap();
    let lea_registration = app.register(&training, &lea).await["id"].clone();
    let marc_registration = app.register(&training, &marc).await["id"].clone();

    // Three half-days: the full day's morning and afternoon (split at 13:00 Paris), then a
    // morning; everyone absent until they sign.
    let slots = sheet(&app, &training, &trainer).await;
    assert_eq!(slots.len(), 3, "{slots:#?}");
    let morning = slots[0].clone();
    let start = nine_local(&app, 7);
    assert_eq!(
        morning["startsAt"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        start
    );
    assert_eq!(
        morning["endsAt"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        start + Duration::hours(4)
    );
    assert_eq!(slots[1]["startsAt"], morning["endsAt"]);
    for slot in &slots {
        assert_eq!(slot["intact"], true);
        assert_eq!(slot["trainerSignedAt"], Value::Null);
        let presences: Vec<&Value> = slot["attendance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| &line["presence"])
            .collect();
        assert_eq!(presences, [&json!("ABSENT"), &json!("ABSENT")]);
    }
    let names: Vec<&str> = morning["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["registration"]["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);

    // Nobody opens the sign-in a day early.
    let slot_id = morning["id"].clone();
    app.op("OpenSignIn", json!({ "slotId": slot_id }), Some(&trainer))
        .await
        .expect_error("CONFLICT");

    // 8:40 on the day: the trainer shows the code and its QR code in the room.
    let now = app.state.now();
    app.state.clock.advance(start - Duration::minutes(20) - now);
    let opened = app
        .op("OpenSignIn", json!({ "slotId": slot_id }), Some(&trainer))
        .await;
    let opened = opened.data()["openSignIn"].clone();
    let code = opened["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6, "{code}");
    assert!(
        opened["qrSvg"].as_str().unwrap().contains("<svg"),
        "{opened}"
    );
    assert_eq!(opened["closesAt"], morning["endsAt"]);

    // A trainee signs from its phone, once.
    let signed = sign(&app, &code.to_lowercase(), SIGNATURE, &lea).await;
    let signed = signed.data()["signAttendance"].clone();
    assert_eq!(signed["presence"], "SIGNED");
    assert_eq!(signed["slot"]["id"], slot_id);
    assert!(signed["signedAt"].is_string());
    sign(&app, &code, SIGNATURE, &lea)
        .await
        .expect_error("CONFLICT");
    // Someone the training does not list cannot sign, even with the code.
    sign(&app, &code, SIGNATURE, &outsider)
        .await
        .expect_error("FORBIDDEN");
    // A drawing that is not path data in the box is refused before anything is stored.
    let refused = sign(&app, &code, "<svg onload=alert(1)>", &marc).await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["field"],
        "signature"
    );
    // A renewed code replaces the old one.
    let renewed = open_sign_in(&app, &slot_id, &trainer).await;
    let stale = sign(&app, &code, SIGNATURE, &marc).await;
    if renewed != code {
        stale.expect_error("BAD_USER_INPUT");
        assert_eq!(stale.body["errors"][0]["extensions"]["field"], "code");
    }

    // The trainer signs the sheet, once; a trainee cannot sign it as trainer.
    app.op(
        "SignSheet",
        json!({ "slotId": slot_id, "signature": SIGNATURE }),
        Some(&lea),
    )
    .await
    .expect_error("FORBIDDEN");
    let sheet_signed = app
        .op(
            "SignSheet",
            json!({ "slotId": slot_id, "signature": SIGNATURE }),
            Some(&trainer),
        )
        .await;
    assert!(sheet_signed.data()["signSheet"]["trainerSignedAt"].is_string());
    app.op(
        "SignSheet",
        json!({ "slotId": slot_id, "signature": SIGNATURE }),
        Some(&trainer),
    )
    .await
    .expect_error("CONFLICT");

    // Marc signed on paper: staff correct, with the reason, audited; the trainer cannot.
    let correction = json!({
        "slotId": slot_id, "registrationId": marc_registration,
        "presence": "PRESENT_BY_CORRECTION", "reason": "Feuille papier signée (téléphone en panne)",
    });
    app.op("CorrectAttendance", correction.clone(), Some(&trainer))
        .await
        .expect_error("FORBIDDEN");
    let corrected = app.op("CorrectAttendance", correction, Some(&admin)).await;
    assert_eq!(
        corrected.data()["correctAttendance"]["presence"],
        "PRESENT_BY_CORRECTION"
    );
    let refused = app
        .op(
            "CorrectAttendance",
            json!({ "slotId": slot_id, "registrationId": marc_registration,
                    "presence": "EXCUSED", "reason": "  " }),
            Some(&admin),
        )
        .await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "reason");
    let log = app
        .op(
            "AuditLog",
            json!({ "action": "ATTENDANCE_CORRECTED" }),
            Some(&admin),
        )
        .await;
    assert_eq!(log.data()["auditLog"]["totalCount"], 1, "{:#}", log.body);

    let slots = sheet(&app, &training, &trainer).await;
    let morning = &slots[0];
    assert_eq!(morning["intact"], true);
    assert!(morning["trainerSignedAt"].is_string());
    let lines = morning["attendance"].as_array().unwrap();
    let line_of = |registration: &Value| {
        lines
            .iter()
            .find(|line| line["registration"]["id"] == *registration)
            .unwrap()
            .clone()
    };
    assert_eq!(line_of(&lea_registration)["presence"], "SIGNED");
    assert_eq!(
        line_of(&marc_registration)["presence"],
        "PRESENT_BY_CORRECTION"
    );
    assert_eq!(line_of(&marc_registration)["signedAt"], Value::Null);

    // Attendance comes from the sheets: one half-day of the full day is realised minutes.
    let attended = entity::attendance::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(attended.len(), 2, "{attended:?}");
    assert!(
        attended.iter().all(|a| a.minutes == Some(240)),
        "{attended:?}"
    );

    // The sheet as PDF, for its trainer and staff only.
    let url = format!(
        "{}/attendance-slots/{}/sheet.pdf",
        app.address,
        slot_id.as_str().unwrap()
    );
    assert!(
        morning["sheetUrl"]
            .as_str()
            .unwrap()
            .ends_with(&url[app.address.len()..])
    );
    let pdf = download(&app, &url, Some(&trainer)).await;
    assert_eq!(pdf.status(), 200);
    let text = pdf_text(pdf.bytes().await.unwrap().to_vec()).await;
    for expected in [
        "Feuille d'émargement",
        "Réseaux sociaux pour hébergeurs",
        "09:00 – 13:00",
        "Inès Formatrice",
        "signé à 08:40",
        "présent (correction) : Feuille papier signée",
        "Signature du formateur : Inès Formatrice",
        "Empreinte SHA-256",
        "Chaîne vérifiée",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    let last = entity::slot_presence::Entity::find()
        .filter(entity::slot_presence::Column::SlotId.eq(slot_number(&slot_id)))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|row| row.seq)
        .unwrap();
    assert!(
        text.replace('\n', "").contains(&last.hash),
        "{} not in:\n{text}",
        last.hash
    );
    for token in [Some(lea.as_str()), Some(outsider.as_str()), None] {
        assert_eq!(download(&app, &url, token).await.status(), 404);
    }
    let staff_pdf = download(&app, &url, Some(&admin)).await;
    assert_eq!(staff_pdf.status(), 200);

    // Partners see no sheet; a trainer of other activities does not even find this one.
    let other_trainer = invited_trainer(&app, &admin, "autre@formation.fr", "Autre")
        .await
        .0;
    for (token, code) in [(&lea, "FORBIDDEN"), (&other_trainer, "NOT_FOUND")] {
        app.op(
            "AttendanceSheet",
            json!({ "activityId": training }),
            Some(token),
        )
        .await
        .expect_error(code);
    }
    app.op(
        "OpenSignIn",
        json!({ "slotId": slot_id }),
        Some(&other_trainer),
    )
    .await
    .expect_error("FORBIDDEN");

    // A signature changed in the database behind Klub's back shows.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.state.db,
        "UPDATE slot_presences SET signature = 'M1 1 L 2 2' WHERE seq = 1",
    )
    .await
    .unwrap();
    let slots = sheet(&app, &training, &trainer).await;
    assert_eq!(slots[0]["intact"], false);
    assert_eq!(slots[1]["intact"], true);
    let text = pdf_text(
        download(&app, &url, Some(&admin))
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .await;
    assert!(text.contains("ATTENTION"), "{text}");
}

#[tokio::test]
async fn signatures_at_once_make_one_chain_and_wrong_codes_are_guesses() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (trainer, trainer_id) =
        invited_trainer(&app, &admin, "ines@formation.fr", "Inès Formatrice").await;
    let training = training_with_trainer(&app, &admin, &trainer_id, json!({})).await;
    let mut trainees = Vec::new();
    for n in 0..8 {
        let token = app
            .persona(Persona::Partner, &format!("trainee{n}"))
            .await
            .unwrap();
        app.register(&training, &token).await;
        trainees.push(token);
    }
    let guesser = app.persona(Persona::Partner, "guesser").await.unwrap();
    app.register(&training, &guesser).await;
    let slot = sheet(&app, &training, &trainer).await[1]["id"].clone();
    let now = app.state.now();
    app.state
        .clock
        .advance(nine_local(&app, 7) + Duration::hours(4) - now);

    // Two openings at once (the trainer and staff): one code stands, the other stops working.
    let (first, second) = tokio::join!(
        open_sign_in(&app, &slot, &trainer),
        open_sign_in(&app, &slot, &admin)
    );
    let probed = first != second;
    let code = if !probed {
        first
    } else {
        let probe = &trainees[0];
        let answer = sign(&app, &first, SIGNATURE, probe).await;
        if answer.error_code().is_none() {
            first
        } else {
            assert_eq!(
                sign(&app, &second, SIGNATURE, probe).await.error_code(),
                None
            );
            second
        }
    };

    let answers = futures_util::future::join_all(
        trainees
            .iter()
            .map(|token| sign(&app, &code, SIGNATURE, token)),
    )
    .await;
    let signed = answers
        .iter()
        .filter(|answer| answer.error_code().is_none())
        .count();
    let again = answers
        .iter()
        .filter(|answer| answer.error_code() == Some("CONFLICT"))
        .count();
    let expected = if probed { (7, 1) } else { (8, 0) };
    assert_eq!((signed, again), expected, "{answers:#?}");
    let slots = sheet(&app, &training, &trainer).await;
    assert_eq!(slots[1]["intact"], true);
    let rows = entity::slot_presence::Entity::find()
        .filter(entity::slot_presence::Column::SlotId.eq(slot_number(&slot)))
        .all(&app.state.db)
        .await
        .unwrap();
    let mut seqs: Vec<i32> = rows.iter().map(|row| row.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    let absent = slots[1]["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["presence"] == "ABSENT")
        .count();
    assert_eq!(absent, 1, "only the guesser has not signed yet");

    // Wrong codes are guesses: after five, even the right code is refused for a while.
    for wrong in ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"] {
        if wrong == code {
            continue;
        }
        let answer = sign(&app, wrong, SIGNATURE, &guesser).await;
        answer.expect_error("BAD_USER_INPUT");
        assert_eq!(answer.body["errors"][0]["extensions"]["field"], "code");
    }
    sign(&app, &code, SIGNATURE, &guesser)
        .await
        .expect_error("TOO_MANY_REQUESTS");
}

/// The text of the PDF attached to the mail of `kind`'s sort sent to `to`.
async fn attached_pdf(smtp: &SmtpServer, to: &str, name_starts: &str) -> String {
    use mail_parser::MimeHeaders;
    for _ in 0..100 {
        for mail in smtp.received().iter().filter(|m| m.to[0] == to) {
            let parsed = mail.parsed();
            if let Some(attachment) = parsed.attachments().find(|a| {
                a.attachment_name()
                    .is_some_and(|name| name.starts_with(name_starts))
            }) {
                // Lines wrap where the page ends: read it as one text.
                return pdf_text(attachment.contents().to_vec())
                    .await
                    .replace('\n', " ");
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {name_starts}… attached to a mail to {to}");
}

/// The contract's proof of training, end to end: programme, trainer, convocation, sign-in on
/// each half-day, a correction, sheets, completion, certificates of realisation with the hours
/// realised, and the training file an auditor downloads.
#[tokio::test]
async fn a_funded_training_runs_end_to_end() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_OFFICE_NAME", "Office de tourisme du Golfe".into()),
        ("KLUB_TRAINING_BODY_NUMBER", "75 64 01234 64".into()),
        (
            "KLUB_TRAINING_BODY_SIGNATORY",
            "Marie Etcheverry, directrice".into(),
        ),
    ])
    .await;
    let admin = app.admin_token().await;
    crate::training::invite_trainer(&app, &admin, "ines@formation.fr").await;
    let invitation = smtp
        .wait_for(1)
        .await
        .into_iter()
        .find(|mail| mail.to[0] == "ines@formation.fr")
        .unwrap();
    let text = invitation.parsed().body_text(0).unwrap().into_owned();
    let token: String = text[text.find("token=").unwrap() + "token=".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let (trainer, trainer_id) =
        crate::training::accept_as_trainer(&app, &token, "Inès Formatrice").await;
    let training = training_with_trainer(
        &app,
        &admin,
        &trainer_id,
        json!({ "location": "Maison du tourisme, salle 2", "minAttendancePercent": 50 }),
    )
    .await;
    let (lea, _) = app.sign_up("lea@hotel.fr", "Léa Hôtelière").await;
    crate::organisations::create(&app, &lea, "Hôtel du Port", "ACCOMMODATION").await;
    let (marc, _) = app.sign_up("marc@gite.fr", "Marc Gîte").await;
    let lea_registration = app.register(&training, &lea).await["id"].clone();
    let marc_registration = app.register(&training, &marc).await["id"].clone();

    // The confirmation carries the convocation.
    let convocation = attached_pdf(&smtp, "lea@hotel.fr", "convocation-").await;
    let start = nine_local(&app, 7);
    let day = start
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string();
    for expected in [
        "Convocation",
        "Léa Hôtelière",
        "Réseaux sociaux pour hébergeurs",
        &format!("{day} 09:00 – 17:00"),
        "Maison du tourisme, salle 2",
        "Inès Formatrice",
        "Répondre aux avis des clients",
        "référente handicap",
        "programme.pdf",
    ] {
        assert!(
            convocation.contains(expected),
            "{expected} not in:\n{convocation}"
        );
    }

    // Each half-day: the trainer opens the sign-in in the room, trainees sign, the trainer
    // signs the sheet. Marc misses the first afternoon; staff excuse him, with the reason.
    let slots = sheet(&app, &training, &trainer).await;
    assert_eq!(slots.len(), 3);
    for (index, slot) in slots.iter().enumerate() {
        let opens: DateTime<Utc> = slot["startsAt"].as_str().unwrap().parse().unwrap();
        let now = app.state.now();
        app.state.clock.advance(opens - Duration::minutes(10) - now);
        let code = open_sign_in(&app, &slot["id"], &trainer).await;
        sign(&app, &code, SIGNATURE, &lea).await.data();
        if index != 1 {
            sign(&app, &code, SIGNATURE, &marc).await.data();
        }
        app.op(
            "SignSheet",
            json!({ "slotId": slot["id"], "signature": SIGNATURE }),
            Some(&trainer),
        )
        .await
        .data();
    }
    app.op(
        "CorrectAttendance",
        json!({ "slotId": slots[1]["id"], "registrationId": marc_registration,
                "presence": "EXCUSED", "reason": "Rendez-vous médical" }),
        Some(&admin),
    )
    .await
    .data();
    let slots = sheet(&app, &training, &admin).await;
    assert!(
        slots
            .iter()
            .all(|slot| slot["intact"] == true && slot["trainerSignedAt"].is_string())
    );

    // Completed: certificates of realisation state the hours realised, half-days signed.
    let now = app.state.now();
    app.state
        .clock
        .advance(start + Duration::days(1) + Duration::hours(4) - now);
    app.complete(&admin, &training).await;
    let hours = |token: &str| {
        let app = &app;
        let token = token.to_owned();
        async move {
            let mine = app.op("MyCertificates", json!({}), Some(&token)).await;
            mine.data()["myCertificates"][0]["hoursAttended"].clone()
        }
    };
    assert_eq!(hours(&lea).await, 11.0, "two half-days and a morning");
    assert_eq!(hours(&marc).await, 7.0, "the first morning and the second");
    let certificate = attached_pdf(&smtp, "lea@hotel.fr", "KLUB-").await;
    for expected in [
        "Certificat de réalisation",
        "Marie Etcheverry, directrice",
        "Office de tourisme du Golfe",
        "Léa Hôtelière",
        "Hôtel du Port",
        "Réseaux sociaux pour hébergeurs",
        "action de formation",
        "pour une durée réalisée de 11 heures",
        "75 64 01234 64",
        "Inès Formatrice",
    ] {
        assert!(
            certificate.contains(expected),
            "{expected} not in:\n{certificate}"
        );
    }
    let _ = lea_registration;

    // The training file, for staff only.
    let file = app
        .op("TrainingFile", json!({ "id": training }), Some(&admin))
        .await;
    let url = file.data()["activity"]["trainingFileUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}{}",
        app.address,
        &url[url.find("/activities/").unwrap()..]
    );
    for token in [Some(trainer.as_str()), Some(lea.as_str()), None] {
        assert_eq!(download(&app, &url, token).await.status(), 404);
    }
    let answer = download(&app, &url, Some(&admin)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/zip");
    let bytes = answer.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    names.sort();
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    assert!(names.contains(&"LISEZMOI.txt".to_owned()), "{names:?}");
    assert!(names.contains(&"programme.pdf".to_owned()), "{names:?}");
    assert!(names.contains(&"paiements.csv".to_owned()), "{names:?}");
    assert_eq!(count("convocations/"), 2, "{names:?}");
    assert_eq!(count("emargement/"), 3, "{names:?}");
    assert_eq!(count("certificats/KLUB-"), 2, "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("convocations/") && n.ends_with("-lea-hoteliere.pdf")),
        "{names:?}"
    );
    let read = |archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        use std::io::Read;
        let mut bytes = Vec::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    let index = String::from_utf8(read(&mut archive, "LISEZMOI.txt")).unwrap();
    assert_eq!(index.matches("chaîne intacte").count(), 3, "{index}");
    let afternoon = names
        .iter()
        .find(|n| n.ends_with("-apres-midi.pdf"))
        .unwrap()
        .clone();
    let sheet_text = pdf_text(read(&mut archive, &afternoon)).await;
    for expected in [
        "Feuille d'émargement",
        "absence excusée : Rendez-vous médical",
        "signé à",
    ] {
        assert!(
            sheet_text.contains(expected),
            "{expected} not in:\n{sheet_text}"
        );
    }
    outbox_settled(&app).await;
}

/// Two instances on one database: openings, signatures and a correction racing them through
/// both still make one chain, and one code stands.
#[tokio::test]
async fn two_instances_keep_one_chain() {
    let first = spawn_app().await;
    let second = crate::helpers::spawn_beside(&first, Vec::new()).await;
    let admin = first.admin_token().await;
    let (trainer, trainer_id) =
        invited_trainer(&first, &admin, "ines@formation.fr", "Inès Formatrice").await;
    let training = training_with_trainer(&first, &admin, &trainer_id, json!({})).await;
    let mut trainees = Vec::new();
    for n in 0..6 {
        let token = first
            .persona(Persona::Partner, &format!("trainee{n}"))
            .await
            .unwrap();
        let registration = first.register(&training, &token).await["id"].clone();
        trainees.push((token, registration));
    }
    let slot = sheet(&first, &training, &trainer).await[0]["id"].clone();
    let opens = nine_local(&first, 7) - Duration::minutes(5);
    for app in [&first, &second] {
        let now = app.state.now();
        app.state.clock.advance(opens - now);
    }

    // The trainer on one instance and staff on the other open at once: one code stands.
    let (a, b) = tokio::join!(
        open_sign_in(&first, &slot, &trainer),
        open_sign_in(&second, &slot, &admin)
    );
    let stored = entity::sign_in::Entity::find_by_id(slot_number(&slot))
        .one(&first.state.db)
        .await
        .unwrap()
        .unwrap();
    let working: Vec<&String> = [&a, &b]
        .into_iter()
        .filter(|code| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(code.as_bytes())) == stored.code_hash
        })
        .collect();
    assert_eq!(working.len(), 1, "{a} {b}");
    let code = working[0].clone();

    // Signatures through both instances, and a correction racing them.
    let signing =
        futures_util::future::join_all(trainees[1..].iter().enumerate().map(|(n, (token, _))| {
            let app = if n % 2 == 0 { &first } else { &second };
            sign(app, &code, SIGNATURE, token)
        }));
    let correcting = second.op(
        "CorrectAttendance",
        json!({ "slotId": slot, "registrationId": trainees[0].1,
                "presence": "PRESENT_BY_CORRECTION", "reason": "Feuille papier" }),
        Some(&admin),
    );
    let (signed, corrected) = tokio::join!(signing, correcting);
    assert!(
        signed.iter().all(|answer| answer.error_code().is_none()),
        "{signed:#?}"
    );
    corrected.data();

    for app in [&first, &second] {
        let slots = sheet(app, &training, &trainer).await;
        assert_eq!(slots[0]["intact"], true);
        assert!(
            slots[0]["attendance"]
                .as_array()
                .unwrap()
                .iter()
                .all(|line| line["presence"] != "ABSENT"),
            "{:#}",
            slots[0]
        );
    }
    let mut seqs: Vec<i32> = entity::slot_presence::Entity::find()
        .filter(entity::slot_presence::Column::SlotId.eq(slot_number(&slot)))
        .all(&first.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.seq)
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
}
