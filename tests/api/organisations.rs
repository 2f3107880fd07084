//! Partner businesses end to end: organisations and their managers, payments and the
//! accountant's CSV, certificates of attendance read back from their PDF.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, outbox_settled, spawn_app, spawn_app_with};
use crate::smtp::SmtpServer;

pub async fn create(app: &TestApp, token: &str, name: &str, sector: &str) -> String {
    let created = app
        .op(
            "CreateOrganisation",
            json!({ "input": { "name": name, "sector": sector, "commune": "Vannes" } }),
            Some(token),
        )
        .await;
    created.data()["createOrganisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn add(
    app: &TestApp,
    token: &str,
    organisation: &str,
    user: &str,
    role: &str,
) -> crate::helpers::Gql {
    app.op(
        "AddOrganisationMember",
        json!({ "organisationId": organisation, "userId": user, "role": role }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn managers_run_their_organisation_and_outsiders_never_see_it() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![("KLUB_SMTP_URL", smtp.url())]).await;
    let admin = app.admin_token().await;
    let (manager, _) = app.sign_up("lea@hotel.fr", "Léa").await;
    let (colleague, colleague_id) = app.sign_up("max@hotel.fr", "Max").await;
    let (outsider, outsider_id) = app.sign_up("eve@ailleurs.fr", "Eve").await;

    let bad = app
        .op(
            "CreateOrganisation",
            json!({ "input": { "name": "Hôtel", "sector": "ACCOMMODATION", "website": "javascript:alert(1)" } }),
            Some(&manager),
        )
        .await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("website"));
    let hotel = create(&app, &manager, "Le Grand Hôtel", "ACCOMMODATION").await;
    app.op(
        "CreateOrganisation",
        json!({ "input": { "name": "Second", "sector": "OTHER" } }),
        Some(&manager),
    )
    .await
    .expect_error("CONFLICT");
    let farm = create(&app, &outsider, "Ferme des Prés", "PRODUCER").await;

    // The manager invites a colleague, who is told by mail and joins when it accepts.
    let before = smtp.received().len();
    let added = add(&app, &manager, &hotel, &colleague_id, "MEMBER").await;
    let members = added.data()["addOrganisationMember"]["members"].clone();
    assert_eq!(
        members.as_array().unwrap().len(),
        1,
        "not before it accepts"
    );
    outbox_settled(&app).await;
    let mails = smtp.received()[before..].to_vec();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["max@hotel.fr"]);
    let invited = app
        .op("MyOrganisationInvitations", json!({}), Some(&colleague))
        .await;
    let invitation = invited.data()["myOrganisationInvitations"][0].clone();
    assert_eq!(invitation["organisation"]["name"], "Le Grand Hôtel");
    assert_eq!(invitation["invitedBy"]["name"], "Léa");
    let joined = app
        .op(
            "AnswerOrganisationInvitation",
            json!({ "id": invitation["id"], "accept": true }),
            Some(&colleague),
        )
        .await;
    assert_eq!(
        joined.data()["answerOrganisationInvitation"]["name"],
        "Le Grand Hôtel"
    );
    let seen = app
        .op("Organisation", json!({ "id": hotel }), Some(&manager))
        .await;
    let members = seen.data()["organisation"]["members"].clone();
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert_eq!(members[0]["role"], "MANAGER");
    assert_eq!(members[1]["user"]["name"], "Max");
    // Someone in another organisation: CONFLICT. A member who does not manage: FORBIDDEN.
    add(&app, &manager, &hotel, &outsider_id, "MEMBER")
        .await
        .expect_error("CONFLICT");
    let (newcomer, newcomer_id) = app.sign_up("ned@hotel.fr", "Ned").await;
    add(&app, &colleague, &hotel, &newcomer_id, "MEMBER")
        .await
        .expect_error("FORBIDDEN");
    // Outsiders learn nothing: NOT_FOUND for reading and for writing.
    for token in [&outsider, &newcomer] {
        app.op("Organisation", json!({ "id": hotel }), Some(token))
            .await
            .expect_error("NOT_FOUND");
    }
    add(&app, &outsider, &hotel, &newcomer_id, "MEMBER")
        .await
        .expect_error("NOT_FOUND");
    let seen = app
        .op("Organisation", json!({ "id": hotel }), Some(&colleague))
        .await;
    assert_eq!(seen.data()["organisation"]["name"], "Le Grand Hôtel");
    assert_eq!(seen.data()["organisation"]["trainedCount"], 0);

    // A person is known by its organisation (over the name it gave at sign-up).
    let me = app.op("Me", json!({}), Some(&colleague)).await;
    assert_eq!(me.data()["me"]["organisation"], "Le Grand Hôtel");

    // The manager registers its colleague under the usual rules, and nobody else.
    let workshop = app
        .published_activity(&admin, 5, json!({ "title": "Canva", "capacity": 1 }))
        .await;
    let registered = app
        .op(
            "RegisterColleague",
            json!({ "activityId": workshop, "userId": colleague_id }),
            Some(&manager),
        )
        .await;
    assert_eq!(
        registered.data()["registerColleague"]["status"],
        "CONFIRMED"
    );
    assert_eq!(
        registered.data()["registerColleague"]["user"]["id"],
        colleague_id
    );
    let manager_id = app.user_id(&manager).await;
    let waiting = app
        .op(
            "RegisterColleague",
            json!({ "activityId": workshop, "userId": manager_id }),
            Some(&manager),
        )
        .await;
    assert_eq!(waiting.data()["registerColleague"]["status"], "WAITLISTED");
    for (token, user) in [
        (&colleague, &manager_id),
        (&manager, &outsider_id),
        (&manager, &newcomer_id),
        (&admin, &colleague_id),
    ] {
        app.op(
            "RegisterColleague",
            json!({ "activityId": workshop, "userId": user }),
            Some(token),
        )
        .await
        .expect_error("FORBIDDEN");
    }
    let club = app
        .published_activity(&admin, 6, json!({ "kind": "CLUB_MEETING" }))
        .await;
    app.op(
        "RegisterColleague",
        json!({ "activityId": club, "userId": colleague_id }),
        Some(&manager),
    )
    .await
    .expect_error("FORBIDDEN");
    let seen = app
        .op("Organisation", json!({ "id": hotel }), Some(&manager))
        .await;
    assert_eq!(
        seen.data()["organisation"]["registrations"]["totalCount"],
        2
    );

    // Staff: every organisation, by sector; the free text of older accounts adopted.
    let olga = app
        .op(
            "SignUp",
            json!({ "input": { "email": "old@port.fr", "password": crate::helpers::PASSWORD, "name": "Olga", "organisation": " le grand HÔTEL " } }),
            None,
        )
        .await;
    let olga = olga.data()["signUp"]["token"].as_str().unwrap().to_owned();
    let adopted = app
        .op(
            "AdoptOrganisationMembers",
            json!({ "organisationId": hotel }),
            Some(&admin),
        )
        .await;
    // A name anyone can type proves nothing: Olga is invited, and joins when she accepts.
    let members = adopted.data()["adoptOrganisationMembers"]["members"].clone();
    assert_eq!(members.as_array().unwrap().len(), 2, "{members}");
    let invited = app
        .op("MyOrganisationInvitations", json!({}), Some(&olga))
        .await;
    let invitation = invited.data()["myOrganisationInvitations"][0]["id"].clone();
    app.op(
        "AnswerOrganisationInvitation",
        json!({ "id": invitation, "accept": true }),
        Some(&olga),
    )
    .await
    .data();
    let seen = app
        .op("Organisation", json!({ "id": hotel }), Some(&admin))
        .await;
    let members = seen.data()["organisation"]["members"].clone();
    assert_eq!(members.as_array().unwrap().len(), 3, "{members}");
    assert_eq!(members[2]["user"]["name"], "Olga");
    let listed = app
        .op(
            "Organisations",
            json!({ "sector": "PRODUCER" }),
            Some(&admin),
        )
        .await;
    assert_eq!(listed.data()["organisations"]["totalCount"], 1);
    assert_eq!(
        listed.data()["organisations"]["edges"][0]["node"]["id"],
        farm
    );
}

#[tokio::test]
async fn a_page_of_organisations_costs_the_same_statements_for_3_or_30() {
    let app = spawn_app_with(vec![
        ("KLUB_OUTBOX_POLL_MS", "3600000".into()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    let partners = app.many_partners(60).await;
    for (i, pair) in partners.chunks(2).enumerate() {
        let organisation = create(&app, &pair[0], &format!("Maison {i:02}"), "SHOP").await;
        let second = app.user_id(&pair[1]).await;
        add(&app, &admin, &organisation, &second, "MEMBER")
            .await
            .data();
    }
    let query = "query($first: Int) { organisations(first: $first) { edges { node { id name trainedCount members { role user { id name trained } } } } } }";
    // The caller's first request reads its account; later ones find it in memory.
    app.graphql("{ __typename }", json!({}), Some(&admin))
        .await
        .data();
    let mut costs = Vec::new();
    for first in [3, 30] {
        let before = app.state.statements.load(Ordering::SeqCst);
        let page = app
            .graphql(query, json!({ "first": first }), Some(&admin))
            .await;
        let after = app.state.statements.load(Ordering::SeqCst);
        let edges = page.data()["organisations"]["edges"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(edges, first);
        costs.push(after - before);
    }
    assert_eq!(costs[0], costs[1], "statements for 3 vs 30: {costs:?}");
}

/// High 2. A stranger who creates an organisation cannot pull anyone into it: a manager only
/// invites, staff cannot be invited, nobody is booked before accepting; once a member, the
/// manager sees nothing from before the joining, books nothing the manager could not join
/// itself, and puts its name on no earlier certificate; the member leaves when it wants.
#[tokio::test]
async fn nobody_is_pulled_into_an_organisation() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (stranger, _) = app.sign_up("stranger@example.fr", "Stranger").await;
    let (victim, victim_id) = app.sign_up("victim@example.fr", "Victim").await;
    let (_, animator_id) = app.sign_up("animator@office.fr", "Animator").await;
    app.promote(&animator_id, "ANIMATOR").await;

    // Before anything: the victim attended a training and holds a certificate.
    let training = app
        .published_activity(
            &admin,
            3,
            json!({ "title": "Earlier training", "kind": "TRAINING" }),
        )
        .await;
    let earlier = app.register(&training, &victim).await;
    app.attend(&admin, &earlier).await;
    app.complete(&admin, &training).await;

    let trap = create(&app, &stranger, "Trap Ltd", "ACCOMMODATION").await;
    // Staff accounts are never members of a partner organisation.
    let staff = add(&app, &stranger, &trap, &animator_id, "MEMBER").await;
    staff.expect_error("BAD_USER_INPUT");
    assert_eq!(staff.error_field(), Some("userId"));
    // The victim is only invited: not a member, not bookable, its data out of reach.
    let added = add(&app, &stranger, &trap, &victim_id, "MEMBER").await;
    assert_eq!(
        added.data()["addOrganisationMember"]["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let paid = app
        .published_activity(
            &admin,
            8,
            json!({ "title": "Paid workshop", "priceCents": 9000 }),
        )
        .await;
    app.op(
        "RegisterColleague",
        json!({ "activityId": paid, "userId": victim_id }),
        Some(&stranger),
    )
    .await
    .expect_error("FORBIDDEN");
    let mine = app.op("MyOrganisation", json!({}), Some(&victim)).await;
    assert!(mine.data()["myOrganisation"].is_null());
    // The invitee sees who invites it, not the people inside.
    let invitations = app
        .op("MyOrganisationInvitations", json!({}), Some(&victim))
        .await;
    let invitation = invitations.data()["myOrganisationInvitations"][0].clone();
    assert_eq!(invitation["organisation"]["name"], "Trap Ltd");
    app.graphql(
        "query { myOrganisationInvitations { organisation { members { user { name } } } } }",
        json!({}),
        Some(&victim),
    )
    .await
    .expect_error("FORBIDDEN");
    // Nobody answers another's invitation.
    app.op(
        "AnswerOrganisationInvitation",
        json!({ "id": invitation["id"], "accept": true }),
        Some(&stranger),
    )
    .await
    .expect_error("NOT_FOUND");

    // The victim accepts, as a user might by mistake.
    app.op(
        "AnswerOrganisationInvitation",
        json!({ "id": invitation["id"], "accept": true }),
        Some(&victim),
    )
    .await
    .data();
    // The manager sees no registration from before the joining.
    let seen = app
        .op("Organisation", json!({ "id": trap }), Some(&stranger))
        .await;
    let registrations = &seen.data()["organisation"]["registrations"];
    assert_eq!(registrations["totalCount"], 0, "{registrations}");
    // Nor books what it could not join itself: a staff-only or trained-only activity.
    app.op(
        "SetTrained",
        json!({ "userId": victim_id, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    for audience in ["STAFF", "TRAINED_PARTNERS"] {
        let closed = app
            .published_activity(
                &admin,
                9,
                json!({ "title": audience, "audience": audience }),
            )
            .await;
        let refused = app
            .op(
                "RegisterColleague",
                json!({ "activityId": closed, "userId": victim_id }),
                Some(&stranger),
            )
            .await;
        assert!(
            refused.error_code().is_some(),
            "{audience}: {:?}",
            refused.body
        );
    }
    // The certificate from before names no organisation, in the PDF or the data.
    let data = app.op("MyData", json!({}), Some(&victim)).await;
    let certificates = data.data()["myData"]["certificates"].clone();
    assert_eq!(certificates.as_array().unwrap().len(), 1, "{certificates}");
    // The name it was known by when the certificate was issued, not the trap's.
    assert_ne!(
        certificates[0]["organisation"], "Trap Ltd",
        "{certificates}"
    );
    assert!(
        certificates[0]["organisation"].is_string(),
        "{certificates}"
    );
    let number = certificates[0]["number"].as_str().unwrap();
    let pdf = app
        .client
        .get(format!("{}/certificates/{number}.pdf", app.address))
        .bearer_auth(&victim)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let text = crate::certificates::pdf_text(pdf.bytes().await.unwrap().to_vec()).await;
    assert!(!text.contains("Trap Ltd"), "{text}");

    // A member leaves when it wants; the last manager of a live organisation cannot.
    app.op("LeaveOrganisation", json!({}), Some(&stranger))
        .await
        .expect_error("CONFLICT");
    app.op("LeaveOrganisation", json!({}), Some(&victim))
        .await
        .data();
    let mine = app.op("MyOrganisation", json!({}), Some(&victim)).await;
    assert!(mine.data()["myOrganisation"].is_null());
    app.op(
        "RegisterColleague",
        json!({ "activityId": paid, "userId": victim_id }),
        Some(&stranger),
    )
    .await
    .expect_error("FORBIDDEN");
    app.op("LeaveOrganisation", json!({}), Some(&stranger))
        .await
        .data();

    // A name typed at sign-up proves nothing: staff's adoption only invites.
    let real = create(&app, &admin, "Hôtel du Port", "ACCOMMODATION").await;
    let (impostor, _) = app
        .op(
            "SignUp",
            json!({ "input": { "email": "impostor@example.fr", "password": PASSWORD, "name": "Impostor", "organisation": "hôtel du port" } }),
            None,
        )
        .await
        .data()["signUp"]["token"]
        .as_str()
        .map(|token| (token.to_owned(), ()))
        .unwrap();
    let adopted = app
        .op(
            "AdoptOrganisationMembers",
            json!({ "organisationId": real }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        adopted.data()["adoptOrganisationMembers"]["members"],
        json!([])
    );
    app.op("Organisation", json!({ "id": real }), Some(&impostor))
        .await
        .expect_error("NOT_FOUND");
}
