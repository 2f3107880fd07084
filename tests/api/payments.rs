//! Payments: staff record how registrations to paid activities are settled, and the
//! accountant gets them as CSV.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn payment_of(app: &TestApp, token: &str) -> Vec<Value> {
    let mine = app
        .graphql(
            "{ myRegistrations { edges { node { id status payment { status amountCents funder reference recordedAt toRefund } activity { title } } } } }",
            json!({}),
            Some(token),
        )
        .await;
    mine.data()["myRegistrations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn staff_record_payments_and_the_accountant_gets_them_as_csv() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let paid_workshop = app
        .published_activity(&admin, 5, json!({ "title": "Canva", "priceCents": 4500 }))
        .await;
    let free = app
        .published_activity(&admin, 6, json!({ "title": "Gratuit", "priceCents": 0 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let anns = app.register(&paid_workshop, &ann).await;
    let bobs = app.register(&paid_workshop, &bob).await;
    let anns_free = app.register(&free, &ann).await;

    let mine = payment_of(&app, &ann).await;
    assert_eq!(mine[0]["payment"]["status"], "DUE");
    assert_eq!(mine[0]["payment"]["amountCents"], 4500);
    assert!(
        mine[1]["payment"].is_null(),
        "a free activity has no payment"
    );
    let unpaid = app.op("UnpaidRegistrations", json!({}), Some(&admin)).await;
    assert_eq!(unpaid.data()["unpaidRegistrations"]["totalCount"], 2);

    let record = |registration: &Value, status: &str, funder: Value| json!({ "registrationId": registration["id"], "status": status, "funder": funder, "reference": "F-2026-12" });
    let missing = app
        .op(
            "RecordPayment",
            record(&anns, "FUNDED", Value::Null),
            Some(&admin),
        )
        .await;
    missing.expect_error("BAD_USER_INPUT");
    assert_eq!(missing.error_field(), Some("funder"));
    let funded = app
        .op(
            "RecordPayment",
            record(&anns, "FUNDED", json!("=OPCO Atlas")),
            Some(&admin),
        )
        .await;
    let payment = funded.data()["recordPayment"]["payment"].clone();
    assert_eq!(payment["status"], "FUNDED");
    assert_eq!(payment["funder"], "=OPCO Atlas");
    assert!(payment["recordedAt"].is_string());
    app.op(
        "RecordPayment",
        record(&anns_free, "PAID", Value::Null),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");
    app.op(
        "RecordPayment",
        record(&bobs, "PAID", Value::Null),
        Some(&bob),
    )
    .await
    .expect_error("FORBIDDEN");
    app.op(
        "RecordPayment",
        record(&bobs, "PAID", Value::Null),
        Some(&admin),
    )
    .await
    .data();
    let unpaid = app.op("UnpaidRegistrations", json!({}), Some(&admin)).await;
    assert_eq!(unpaid.data()["unpaidRegistrations"]["totalCount"], 0);

    // Bob cancels after paying: the record stays, to be refunded.
    app.op(
        "CancelRegistration",
        json!({ "id": bobs["id"] }),
        Some(&bob),
    )
    .await
    .data();
    let bob_now = payment_of(&app, &bob).await;
    assert_eq!(bob_now[0]["status"], "CANCELLED");
    assert_eq!(bob_now[0]["payment"]["status"], "PAID");
    assert_eq!(bob_now[0]["payment"]["toRefund"], true);

    let log = app
        .op(
            "AuditLog",
            json!({ "action": "PAYMENT_RECORDED" }),
            Some(&admin),
        )
        .await;
    assert_eq!(log.data()["auditLog"]["totalCount"], 2);

    // The accountant's CSV for the period: both paid registrations, safe cells.
    let from = (app.state.now() - chrono::Duration::days(1)).format("%Y-%m-%d");
    let to = (app.state.now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    let url = format!("{}/payments.csv?from={from}&to={to}", app.address);
    let csv = app
        .client
        .get(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(lines[0].starts_with("activity,first session,name,organisation"));
    assert!(
        body.contains("FUNDED,45.00,'=OPCO Atlas,F-2026-12"),
        "{body}"
    );
    assert!(
        lines[2].contains("Bob") && lines[2].ends_with(",yes"),
        "{body}"
    );
    let refused = app.client.get(&url).bearer_auth(&ann).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let nothing = app
        .client
        .get(format!("{}/payments.csv", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(nothing.status(), 404);
}
