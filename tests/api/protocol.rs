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
async fn a_body_over_256_kib_is_refused() {
    let app = spawn_app().await;
    let huge = "x".repeat(300 * 1024);
    let answer = app
        .post_json(
            &json!({ "query": "{ me { id } }", "variables": { "pad": huge } }),
            None,
        )
        .await;
    assert_eq!(answer.status, 413);
    answer.expect_error("PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn too_deep_a_query_is_refused() {
    let app = spawn_app().await;
    // 13 levels: __schema, types, fields, type, eight ofType, name.
    let mut selection = String::from("name");
    for _ in 0..8 {
        selection = format!("ofType {{ {selection} }}");
    }
    let query = format!("{{ __schema {{ types {{ fields {{ type {{ {selection} }} }} }} }} }}");
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
