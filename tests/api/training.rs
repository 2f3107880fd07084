//! Proof of training: the programme of a training, set by staff, read in the schema and
//! downloaded as a PDF by whoever sees the activity.

use serde_json::{Value, json};

use crate::certificates::pdf_text;
use crate::helpers::{Persona, TestApp, spawn_app};

pub fn programme_input() -> Value {
    json!({
        "objectives": [
            "Créer et tenir à jour sa fiche d'établissement",
            "Répondre aux avis des clients",
        ],
        "prerequisites": "Un smartphone ou un ordinateur",
        "audience": "Hébergeurs et restaurateurs partenaires",
        "methods": "Apports, démonstrations, mise en pratique sur sa propre fiche",
        "evaluation": "Quiz en fin de séance et fiche publiée",
        "accessibility": "Contactez Marie Etcheverry, référente handicap, 05 59 00 00 00",
    })
}

/// A TRAINER account, invited by staff and accepted as a person would: its token and id.
pub async fn invited_trainer(
    app: &TestApp,
    admin: &str,
    email: &str,
    name: &str,
) -> (String, Value) {
    invite_trainer(app, admin, email).await;
    let token = crate::helpers::latest_invitation_token(app).await;
    accept_as_trainer(app, &token, name).await
}

pub async fn invite_trainer(app: &TestApp, admin: &str, email: &str) {
    app.op(
        "Invite",
        json!({ "input": { "emails": [email], "role": "TRAINER" } }),
        Some(admin),
    )
    .await
    .data();
}

/// Accepts the invitation `token` as a trainer named `name`: its session token and id.
pub async fn accept_as_trainer(app: &TestApp, token: &str, name: &str) -> (String, Value) {
    let accepted = app
        .op(
            "AcceptInvitation",
            json!({ "token": token, "name": name, "password": crate::helpers::PASSWORD }),
            None,
        )
        .await;
    let session = accepted.data()["acceptInvitation"].clone();
    assert_eq!(session["user"]["role"], "TRAINER");
    (
        session["token"].as_str().unwrap().to_owned(),
        session["user"]["id"].clone(),
    )
}

pub async fn download(app: &TestApp, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn staff_set_a_programme_and_whoever_sees_the_training_reads_its_pdf() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let training = app
        .published_activity(
            &admin,
            10,
            json!({ "kind": "TRAINING", "title": "Google Business Profile" }),
        )
        .await;
    let none = app
        .op("ActivityProgramme", json!({ "id": training }), Some(&admin))
        .await;
    assert_eq!(none.data()["activity"]["programme"], Value::Null);
    assert_eq!(none.data()["activity"]["programmeUrl"], Value::Null);

    let set = app
        .op(
            "SetTrainingProgramme",
            json!({ "activityId": training, "input": programme_input() }),
            Some(&admin),
        )
        .await;
    let activity = set.data()["setTrainingProgramme"].clone();
    let programme = &activity["programme"];
    assert_eq!(programme["objectives"].as_array().unwrap().len(), 2);
    // No duration given: the sessions' total, two sessions of three hours.
    assert_eq!(programme["durationHours"], 6.0);
    let url = activity["programmeUrl"].as_str().unwrap().to_owned();
    assert!(
        url.ends_with(&format!("/activities/{training}/programme.pdf")),
        "{url}"
    );
    let url = format!("{}/activities/{training}/programme.pdf", app.address);

    // A partner reads it, in French (a French legal document) unless it chose English.
    let partner = app.persona(Persona::Partner, "reader").await.unwrap();
    let read = app
        .op(
            "ActivityProgramme",
            json!({ "id": training }),
            Some(&partner),
        )
        .await;
    assert_eq!(read.data()["activity"]["programme"], *programme);
    let pdf = download(&app, &url, Some(&partner)).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = pdf_text(pdf.bytes().await.unwrap().to_vec()).await;
    for expected in [
        "Programme de la formation « Google Business Profile »",
        "Objectifs",
        "• Répondre aux avis des clients",
        "Prérequis",
        "Méthodes pédagogiques",
        "Évaluation",
        "Accessibilité",
        "référente handicap",
        "Durée : 6 h",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    app.op("SetMyLocale", json!({ "locale": "EN" }), Some(&partner))
        .await
        .data();
    let english = pdf_text(
        download(&app, &url, Some(&partner))
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .await;
    assert!(english.contains("Training programme"), "{english}");

    // A duration written by staff wins over the sessions' total.
    let mut input = programme_input();
    input["durationHours"] = json!(7.5);
    let set = app
        .op(
            "SetTrainingProgramme",
            json!({ "activityId": training, "input": input }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        set.data()["setTrainingProgramme"]["programme"]["durationHours"],
        7.5
    );
}

#[tokio::test]
async fn a_programme_pdf_is_a_404_to_whoever_does_not_see_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let draft = app
        .create_activity(&admin, 10, json!({ "kind": "TRAINING" }))
        .await;
    app.op(
        "SetTrainingProgramme",
        json!({ "activityId": draft, "input": programme_input() }),
        Some(&admin),
    )
    .await
    .data();
    let without = app.published_activity(&admin, 10, json!({})).await;
    let partner = app.persona(Persona::Partner, "outsider").await.unwrap();
    let url = |id: &str| format!("{}/activities/{id}/programme.pdf", app.address);

    assert_eq!(
        download(&app, &url(&draft), Some(&admin)).await.status(),
        200
    );
    for (id, token) in [
        (draft.as_str(), None),
        (draft.as_str(), Some(partner.as_str())),
        (without.as_str(), Some(partner.as_str())),
        ("999999", Some(partner.as_str())),
        ("not-a-number", Some(partner.as_str())),
    ] {
        let answer = download(&app, &url(id), token).await;
        assert_eq!(answer.status(), 404, "{id} {token:?}");
    }
}

#[tokio::test]
async fn a_programme_needs_its_objectives_methods_evaluation_and_accessibility() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let training = app.published_activity(&admin, 10, json!({})).await;
    let refused = |field: &'static str, change: Value| {
        let app = &app;
        let admin = &admin;
        let training = &training;
        async move {
            let mut input = programme_input();
            for (key, value) in change.as_object().unwrap() {
                input[key] = value.clone();
            }
            let answer = app
                .op(
                    "SetTrainingProgramme",
                    json!({ "activityId": training, "input": input }),
                    Some(admin),
                )
                .await;
            answer.expect_error("BAD_USER_INPUT");
            assert_eq!(
                answer.body["errors"][0]["extensions"]["field"], field,
                "{:#}",
                answer.body
            );
        }
    };
    refused("objectives", json!({ "objectives": [] })).await;
    refused(
        "objectives",
        json!({ "objectives": vec!["Un objectif"; 13] }),
    )
    .await;
    refused(
        "objectives[1]",
        json!({ "objectives": ["Un", "deux\nlignes"] }),
    )
    .await;
    refused("methods", json!({ "methods": "  " })).await;
    refused("accessibility", json!({ "accessibility": "" })).await;
    refused("durationHours", json!({ "durationHours": -2 })).await;
    refused("durationHours", json!({ "durationHours": 0 })).await;
    let answer = app
        .op("ActivityProgramme", json!({ "id": training }), Some(&admin))
        .await;
    assert_eq!(answer.data()["activity"]["programme"], Value::Null);
}

#[tokio::test]
async fn staff_invite_a_trainer_and_assign_it_the_trainings_it_delivers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (trainer, trainer_id) =
        invited_trainer(&app, &admin, "formatrice@exterieur.fr", "Inès Formatrice").await;
    let nothing = app.op("MyTrainings", json!({}), Some(&trainer)).await;
    assert_eq!(nothing.data()["myTrainings"], json!([]));

    let training = app
        .published_activity(
            &admin,
            10,
            json!({ "kind": "TRAINING", "title": "Réseaux sociaux" }),
        )
        .await;
    let other = app.published_activity(&admin, 12, json!({})).await;
    let assign = |token: String, user: Value| {
        let app = &app;
        let training = training.clone();
        async move {
            app.op(
                "AssignTrainer",
                json!({ "activityId": training, "userId": user }),
                Some(&token),
            )
            .await
        }
    };
    let assigned = assign(admin.clone(), trainer_id.clone()).await;
    let trainers = assigned.data()["assignTrainer"]["trainers"].clone();
    assert_eq!(
        trainers,
        json!([{ "id": trainer_id, "name": "Inès Formatrice" }])
    );
    // Again: nothing changes, and the audit log says it once.
    let again = assign(admin.clone(), trainer_id.clone()).await;
    assert_eq!(again.data()["assignTrainer"]["trainers"], trainers);
    let log = app
        .op(
            "AuditLog",
            json!({ "action": "TRAINER_ASSIGNED" }),
            Some(&admin),
        )
        .await;
    assert_eq!(log.data()["auditLog"]["totalCount"], 1, "{:#}", log.body);

    let mine = app.op("MyTrainings", json!({}), Some(&trainer)).await;
    let mine = mine.data()["myTrainings"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], training.as_str());
    assert_ne!(mine[0]["id"], other.as_str());
    assert_eq!(mine[0]["sessions"].as_array().unwrap().len(), 2);

    // What it delivers is part of its personal data.
    let data = app.op("MyData", json!({}), Some(&trainer)).await;
    assert_eq!(
        data.data()["myData"]["trainings"][0]["activityId"],
        training.parse::<i64>().unwrap()
    );

    // Only staff assign, and only staff or trainers deliver.
    assign(trainer.clone(), trainer_id.clone())
        .await
        .expect_error("FORBIDDEN");
    let partner = app.persona(Persona::Partner, "notatrainer").await.unwrap();
    let partner_id = app.op("Me", json!({}), Some(&partner)).await.data()["me"]["id"].clone();
    assign(partner.clone(), trainer_id.clone())
        .await
        .expect_error("FORBIDDEN");
    let refused = assign(admin.clone(), partner_id).await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "userId");

    // A trainer is no staff: the directory stays closed to it.
    app.op("Users", json!({}), Some(&trainer))
        .await
        .expect_error("FORBIDDEN");
}
