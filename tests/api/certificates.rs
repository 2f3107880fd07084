//! Certificates: who completed an activity gets one, anyone can check its number, and its PDF
//! is its holder's and staff's.

use std::process::Command;

use mail_parser::MimeHeaders;
use serde_json::json;

use crate::helpers::{outbox_settled, spawn_app_with};
use crate::smtp::SmtpServer;

/// `pdftotext` (Debian's poppler-utils), installed on first use like Chromium, and off the
/// test's runtime as Chromium is: an installation blocks for seconds, and the server's idle
/// connections would close under the test's client meanwhile.
pub async fn pdf_text(pdf: Vec<u8>) -> String {
    tokio::task::spawn_blocking(move || {
        let tool = std::path::Path::new("/usr/bin/pdftotext");
        crate::helpers::debian_tool(tool, "poppler-utils");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("certificate.pdf");
        std::fs::write(&path, pdf).unwrap();
        let output = Command::new(tool).arg(&path).arg("-").output().unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn attendees_get_one_certificate_that_anyone_can_check() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_OFFICE_NAME", "Office de tourisme du Golfe".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    let training = app
        .published_activity(
            &admin,
            5,
            json!({ "kind": "TRAINING", "title": "Réussir sa fiche Google", "trainerName": "Chloé Martin", "minAttendancePercent": 50 }),
        )
        .await;
    let (lea, _) = app.sign_up("lea@hotel.fr", "Léa Hôtelière").await;
    crate::organisations::create(&app, &lea, "Hôtel du Port", "ACCOMMODATION").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let (cid, _) = app.sign_up("cid@example.fr", "Cid").await;
    let sessions = app.activity(&training, &admin).await["sessions"].clone();
    for (token, attended) in [(&lea, 2), (&bob, 1), (&cid, 0)] {
        let registration = app.register(&training, token).await;
        for session in sessions.as_array().unwrap().iter().take(attended) {
            app.op(
                "RecordAttendance",
                json!({ "registrationId": registration["id"], "attended": true, "sessionId": session["id"] }),
                Some(&admin),
            )
            .await
            .data();
        }
    }
    outbox_settled(&app).await;
    let before = smtp.received().len();
    for _ in 0..2 {
        app.complete(&admin, &training).await;
    }
    outbox_settled(&app).await;
    let mails = smtp.received()[before..].to_vec();
    let mut to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        ["bob@example.fr", "lea@hotel.fr"],
        "once each, Cid none"
    );

    let mine = app.op("MyCertificates", json!({}), Some(&lea)).await;
    let certificate = mine.data()["myCertificates"][0].clone();
    assert_eq!(mine.data()["myCertificates"].as_array().unwrap().len(), 1);
    assert_eq!(certificate["hoursAttended"], 6.0);
    assert_eq!(certificate["activity"]["title"], "Réussir sa fiche Google");
    let number = certificate["number"].as_str().unwrap().to_owned();
    let bobs = app.op("MyCertificates", json!({}), Some(&bob)).await;
    assert_eq!(bobs.data()["myCertificates"][0]["hoursAttended"], 3.0);
    assert_ne!(bobs.data()["myCertificates"][0]["number"], number.as_str());
    assert_eq!(
        app.op("MyCertificates", json!({}), Some(&cid)).await.data()["myCertificates"],
        json!([])
    );

    // The mailed PDF is a real document: its text holds everything a fund asks for.
    let lea_mail = mails.iter().find(|m| m.to[0] == "lea@hotel.fr").unwrap();
    let parsed = lea_mail.parsed();
    let attachment = parsed.attachments().next().expect("a PDF attached");
    assert_eq!(
        attachment.attachment_name(),
        Some(format!("{number}.pdf").as_str())
    );
    // Lines wrap where the page ends: read it as one text.
    let text = pdf_text(attachment.contents().to_vec())
        .await
        .replace('\n', " ");
    for expected in [
        "Léa Hôtelière",
        "Hôtel du Port",
        "Réussir sa fiche Google",
        "Chloé Martin",
        "Office de tourisme du Golfe",
        number.as_str(),
        // A training's certificate is one of realisation, on the ministry's model.
        "Certificat de réalisation",
        "action de formation",
        "pour une durée réalisée de 6 heures",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let session_day =
        chrono::DateTime::parse_from_rfc3339(sessions[0]["startsAt"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y")
            .to_string();
    assert!(
        text.contains(&session_day),
        "{session_day} missing from:\n{text}"
    );

    // The URL serves the PDF to its holder and staff; to anyone else the same 404.
    let url = certificate["url"].as_str().unwrap();
    let url = format!(
        "{}{}",
        app.address,
        &url[url.find("/certificates/").unwrap()..]
    );
    for (token, status) in [
        (Some(&lea), 200),
        (Some(&admin), 200),
        (Some(&bob), 404),
        (None, 404),
    ] {
        let mut request = app.client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), status);
        if status == 200 {
            assert_eq!(answer.headers()["content-type"], "application/pdf");
            assert!(
                pdf_text(answer.bytes().await.unwrap().to_vec())
                    .await
                    .contains(&number)
            );
        }
    }

    // Anyone checks a number, and learns nothing more than the certificate says.
    let checked = app
        .op(
            "VerifyCertificate",
            json!({ "number": number.to_lowercase() }),
            None,
        )
        .await;
    let check = checked.data()["verifyCertificate"].clone();
    assert_eq!(check["valid"], true);
    assert_eq!(check["holderName"], "Léa Hôtelière");
    assert_eq!(check["activityTitle"], "Réussir sa fiche Google");
    assert_eq!(check["hoursAttended"], 6.0);
    assert!(!checked.body.to_string().contains("lea@hotel.fr"));
    let forged = app
        .op(
            "VerifyCertificate",
            json!({ "number": "KLUB-0000-0000-0000-0000" }),
            None,
        )
        .await;
    assert_eq!(forged.data()["verifyCertificate"]["valid"], false);
    assert!(forged.data()["verifyCertificate"]["holderName"].is_null());

    // A conference gives none; a workshop does.
    for (kind, expected) in [("CONFERENCE", 0), ("WORKSHOP", 1)] {
        let id = app
            .published_activity(&admin, 7, json!({ "kind": kind, "title": kind }))
            .await;
        let registration = app.register(&id, &cid).await;
        app.attend(&admin, &registration).await;
        app.complete(&admin, &id).await;
        let mine = app.op("MyCertificates", json!({}), Some(&cid)).await;
        assert_eq!(
            mine.data()["myCertificates"].as_array().unwrap().len(),
            expected,
            "{kind}"
        );
    }
}
