//! The HTTP surface: health, GraphiQL, and requests that are not GraphQL at all.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/healthz", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn get_graphql_serves_graphiql() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/graphql", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn malformed_json_gets_a_clear_error() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn a_body_over_1_mib_is_refused() {
    let app = spawn_app().await;
    let huge = "x".repeat(1100 * 1024);
    let answer = app
        .post_json(
            &json!({ "query": "{ me { id } }", "variables": { "pad": huge } }),
            None,
        )
        .await;
    assert_eq!(answer.status, 413);
    answer.expect_error("PAYLOAD_TOO_LARGE");
}

/// What every GraphQL tool sends first: graphql-js's standard introspection query, nine
/// `ofType` deep, with descriptions, deprecations and repeatable directives. Answered whole.
#[tokio::test]
async fn the_standard_introspection_query_is_answered() {
    let app = spawn_app().await;
    let query = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/introspection.graphql"),
    )
    .unwrap();
    let answer = app.graphql(&query, json!({}), None).await;
    let schema = &answer.data()["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    let types = schema["types"].as_array().unwrap();
    let activity = types
        .iter()
        .find(|t| t["name"] == "Activity")
        .expect("the Activity type");
    assert!(
        activity["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    // A list of non-null IDs unwraps three levels: NON_NULL, LIST, NON_NULL, then the ID.
    let wrapped = types
        .iter()
        .flat_map(|t| t["fields"].as_array().into_iter().flatten())
        .flat_map(|f| f["args"].as_array().unwrap())
        .map(|a| &a["type"])
        .find(|t| t["ofType"]["kind"] == "LIST" && t["ofType"]["ofType"]["kind"] == "NON_NULL")
        .expect("an argument of type [T!]!");
    assert!(wrapped["ofType"]["ofType"]["ofType"]["name"].is_string());
    assert!(
        schema["directives"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "include" && d["isRepeatable"] == false)
    );
}

/// Introspection that fans out at every level (each type's fields' types' fields…) is still
/// limited: only the one-type-per-level `ofType` chain is exempt from the depth.
#[tokio::test]
async fn introspection_that_fans_out_too_deep_is_refused() {
    let app = spawn_app().await;
    // __schema, types, then fields/type pairs: 2 + 2 × 5 + 1 = 13 levels.
    let mut selection = String::from("name");
    for _ in 0..5 {
        selection = format!("fields {{ type {{ {selection} }} }}");
    }
    let query = format!("{{ __schema {{ types {{ {selection} }} }} }}");
    let answer = app.graphql(&query, json!({}), None).await;
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too deep"),
        "{:#}",
        answer.body
    );
    answer.expect_error("GRAPHQL_VALIDATION_FAILED");
    // One level less passes.
    let query = query.replacen("fields { type { name } }", "name", 1);
    app.graphql(&query, json!({}), None).await.data();
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_get_codes() {
    let app = spawn_app().await;
    app.graphql("{ nope }", json!({}), None)
        .await
        .expect_error("GRAPHQL_VALIDATION_FAILED");
    app.graphql(
        "query ($first: Int) { users(first: $first) { totalCount } }",
        json!({ "first": "ten" }),
        None,
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

/// A document kept parsed from an earlier request is still checked against each request's
/// variables (their types, the cost of the page they ask for), and a mutation given a wrong
/// value does nothing.
#[tokio::test]
async fn a_known_document_still_checks_its_variables() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let page = "query ($first: Int) { activities(first: $first) { totalCount } }";
    for _ in 0..2 {
        app.graphql(page, json!({ "first": 5 }), Some(&admin))
            .await
            .data();
    }
    app.graphql(page, json!({ "first": "ten" }), Some(&admin))
        .await
        .expect_error("BAD_USER_INPUT");
    let deep = "query ($first: Int) { activities(first: $first) { edges { node { registrations(first: $first) { edges { node { user { id } } } } } } } }";
    app.graphql(deep, json!({ "first": 1 }), Some(&admin))
        .await
        .data();
    app.graphql(deep, json!({ "first": 100 }), Some(&admin))
        .await
        .expect_error("GRAPHQL_VALIDATION_FAILED");
    let id = app.published_activity(&admin, 5, json!({})).await;
    let (partner, _) = app.sign_up("ann@example.fr", "Ann").await;
    let register =
        "mutation ($activityId: ID!) { registerForActivity(activityId: $activityId) { id } }";
    let other = app.published_activity(&admin, 5, json!({})).await;
    app.graphql(register, json!({ "activityId": other }), Some(&partner))
        .await
        .data();
    app.graphql(
        register,
        json!({ "activityId": { "id": id } }),
        Some(&partner),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    let mine = app.op("MyRegistrations", json!({}), Some(&partner)).await;
    assert_eq!(mine.data()["myRegistrations"]["totalCount"], 1);
}

#[tokio::test]
async fn batches_are_limited() {
    let app = spawn_app().await;
    let batch: Vec<_> = (0..11)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let answer = app.post_json(&json!(batch), None).await;
    assert_eq!(answer.status, 400);
    answer.expect_error("BAD_REQUEST");
    let batch: Vec<_> = (0..3)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let answer = app.post_json(&json!(batch), None).await;
    assert_eq!(answer.body.as_array().map(Vec::len), Some(3));
}
