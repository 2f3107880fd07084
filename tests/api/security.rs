//! Hardening: login throttling, password change and reset, session revocation, hash upgrades,
//! query limits, introspection, CORS and security headers.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Persona, Socket, TestApp, latest_mailed_token,
    spawn_app, spawn_app_with, spawn_beside,
};

const LOG_IN: &str = "mutation LogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) { token }
}";
const ME: &str = "query Me { me { id name } }";

async fn log_in(app: &TestApp, email: &str, password: &str) -> crate::helpers::Gql {
    app.graphql(
        LOG_IN,
        json!({ "email": email, "password": password }),
        None,
    )
    .await
}

#[tokio::test]
async fn five_failed_logins_lock_the_address_on_every_instance_until_the_window_passes() {
    let first = spawn_app().await;
    let second = spawn_beside(&first, Vec::new()).await;
    first.sign_up("ann@example.fr", "Ann").await;

    for attempt in 0..5 {
        let instance = if attempt % 2 == 0 { &first } else { &second };
        log_in(instance, "ann@example.fr", "wrong password!")
            .await
            .expect_error("UNAUTHENTICATED");
    }
    // The right password no longer helps, on either instance, in any case of the address.
    for instance in [&first, &second] {
        log_in(instance, "ANN@example.fr", PASSWORD)
            .await
            .expect_error("TOO_MANY_REQUESTS");
    }
    // Another address from the same client is not concerned.
    log_in(&first, ADMIN_EMAIL, ADMIN_PASSWORD).await.data();

    first.state.clock.advance(Duration::minutes(16));
    log_in(&first, "ann@example.fr", PASSWORD).await.data();
}

#[tokio::test]
async fn twenty_failures_from_one_client_lock_that_client() {
    let app = spawn_app().await;
    for attempt in 0..20 {
        log_in(
            &app,
            &format!("guess{attempt}@example.fr"),
            "wrong password!",
        )
        .await
        .expect_error("UNAUTHENTICATED");
    }
    log_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect_error("TOO_MANY_REQUESTS");
    app.state.clock.advance(Duration::minutes(16));
    log_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.data();
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    let (old_token, _) = app.sign_up("ann@example.fr", "Ann").await;
    let change = "mutation($current: String!, $new: String!) {
        changePassword(currentPassword: $current, newPassword: $new) { token }
    }";

    let wrong = app
        .graphql(
            change,
            json!({ "current": "not my password", "new": "a brand new password" }),
            Some(&old_token),
        )
        .await;
    wrong.expect_error("BAD_USER_INPUT");
    assert_eq!(wrong.error_field(), Some("currentPassword"));

    let changed = app
        .graphql(
            change,
            json!({ "current": PASSWORD, "new": "a brand new password" }),
            Some(&old_token),
        )
        .await;
    let new_token = changed.data()["changePassword"]["token"].as_str().unwrap();
    app.graphql(ME, json!({}), Some(&old_token))
        .await
        .expect_error("UNAUTHENTICATED");
    app.graphql(ME, json!({}), Some(new_token)).await.data();
    log_in(&app, "ann@example.fr", PASSWORD)
        .await
        .expect_error("UNAUTHENTICATED");
    log_in(&app, "ann@example.fr", "a brand new password")
        .await
        .data();
}

#[tokio::test]
async fn log_out_everywhere_revokes_every_token() {
    let app = spawn_app().await;
    let (phone, _) = app.sign_up("ann@example.fr", "Ann").await;
    let laptop = app.log_in("ann@example.fr", PASSWORD).await;
    let out = app
        .graphql("mutation { logOutEverywhere }", json!({}), Some(&phone))
        .await;
    assert_eq!(out.data()["logOutEverywhere"], true);
    for token in [&phone, &laptop] {
        app.graphql(ME, json!({}), Some(token))
            .await
            .expect_error("UNAUTHENTICATED");
    }
    // A fresh login works again.
    let fresh = app.log_in("ann@example.fr", PASSWORD).await;
    app.graphql(ME, json!({}), Some(&fresh)).await.data();
}

#[tokio::test]
async fn a_password_reset_link_works_once_within_the_hour_and_ends_other_sessions() {
    let app = spawn_app().await;
    let (old_session, _) = app.sign_up("ann@example.fr", "Ann").await;
    let request = "mutation($email: String!) { requestPasswordReset(email: $email) }";
    let reset = "mutation($token: String!, $password: String!) {
        resetPassword(token: $token, password: $password) { token user { name } }
    }";

    // Unknown and known addresses get the same answer; only the known one gets a mail.
    let unknown = app
        .graphql(request, json!({ "email": "nobody@example.fr" }), None)
        .await;
    assert_eq!(unknown.data()["requestPasswordReset"], true);
    assert_eq!(latest_mailed_token(&app, "password_reset").await, None);
    let known = app
        .graphql(request, json!({ "email": "Ann@Example.fr" }), None)
        .await;
    assert_eq!(known.body, unknown.body);
    let token = latest_mailed_token(&app, "password_reset")
        .await
        .expect("a reset mail");

    // The token is stored hashed: the database does not hold it.
    let stored: Vec<entity::password_reset::Model> = {
        use sea_orm::EntityTrait;
        entity::password_reset::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token);

    let used = app
        .graphql(
            reset,
            json!({ "token": token, "password": "a brand new password" }),
            None,
        )
        .await;
    assert_eq!(used.data()["resetPassword"]["user"]["name"], "Ann");
    app.graphql(ME, json!({}), Some(&old_session))
        .await
        .expect_error("UNAUTHENTICATED");
    log_in(&app, "ann@example.fr", "a brand new password")
        .await
        .data();

    let again = app
        .graphql(
            reset,
            json!({ "token": token, "password": "yet another password" }),
            None,
        )
        .await;
    again.expect_error("BAD_USER_INPUT");
    assert_eq!(again.error_field(), Some("token"));

    // A new link, an hour and a minute later, no longer works.
    app.state.clock.advance(Duration::minutes(10));
    app.graphql(request, json!({ "email": "ann@example.fr" }), None)
        .await
        .data();
    let late = latest_mailed_token(&app, "password_reset").await.unwrap();
    assert_ne!(late, token);
    app.state.clock.advance(Duration::minutes(61));
    app.graphql(
        reset,
        json!({ "token": late, "password": "yet another password" }),
        None,
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn a_hash_made_with_weaker_parameters_is_upgraded_at_login() {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    use entity::user;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    app.sign_up("ann@example.fr", "Ann").await;
    let weak = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(8 * 1024, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    let ann = user::Entity::find()
        .filter(user::Column::Email.eq("ann@example.fr"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: user::ActiveModel = ann.clone().into();
    row.password_hash = Set(weak.clone());
    row.update(&app.state.db).await.unwrap();

    log_in(&app, "ann@example.fr", PASSWORD).await.data();
    let upgraded = user::Entity::find_by_id(ann.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(upgraded, weak);
    assert!(upgraded.contains("m=19456,t=2,p=1"), "{upgraded}");
    log_in(&app, "ann@example.fr", PASSWORD).await.data();
}

fn aliases(count: usize) -> String {
    let fields: Vec<String> = (0..count).map(|i| format!("a{i}: me {{ id }}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn query_limits_hold_against_the_known_attacks() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    // Aliases: 15 pass, 16 do not.
    app.graphql(&aliases(15), json!({}), Some(&admin))
        .await
        .data();
    let overloaded = app.graphql(&aliases(16), json!({}), Some(&admin)).await;
    overloaded.expect_error("GRAPHQL_VALIDATION_FAILED");
    assert!(
        overloaded.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases")
    );

    // Depth: an activity's registrations' activity's registrations… 12 levels pass, 13 do not.
    let nested = |hops: usize, leaf: &str| {
        let mut selection = leaf.to_owned();
        for _ in 0..hops {
            selection = format!(
                "registrations(first: 1) {{ edges {{ node {{ activity {{ {selection} }} }} }} }}"
            );
        }
        format!("{{ activities(first: 1) {{ edges {{ node {{ {selection} }} }} }} }}")
    };
    // 3 + 4 × 2 + 1 = 12 levels.
    app.graphql(&nested(2, "id"), json!({}), Some(&admin))
        .await
        .data();
    let too_deep = app
        .graphql(&nested(2, "sessions { id }"), json!({}), Some(&admin))
        .await;
    too_deep.expect_error("GRAPHQL_VALIDATION_FAILED");
    assert!(
        too_deep.body.to_string().to_lowercase().contains("nested"),
        "{:#}",
        too_deep.body
    );

    // Complexity: pages of pages multiply, and are refused before they run.
    let pages = "{ activities(first: 100) { edges { node { registrations(first: 100) { edges { node { id } } } } } } }";
    let refused = app.graphql(pages, json!({}), Some(&admin)).await;
    refused.expect_error("GRAPHQL_VALIDATION_FAILED");
    assert!(
        refused.body.to_string().contains("too complex"),
        "{:#}",
        refused.body
    );

    // Directives: at most 8 on one field.
    let directives = format!("{{ me {{ id {} }} }}", "@include(if: true) ".repeat(9));
    app.graphql(&directives, json!({}), Some(&admin))
        .await
        .expect_error("GRAPHQL_VALIDATION_FAILED");

    // Batches: at most 10 operations, and never a guessing operation inside one.
    let me = json!({ "query": ME });
    let batch = |n: usize| Value::Array(vec![me.clone(); n]);
    let ten = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&admin)
        .json(&batch(10))
        .send()
        .await
        .unwrap();
    assert_eq!(ten.status(), 200);
    let eleven = app.post_json(&batch(11), Some(&admin)).await;
    assert_eq!(eleven.status, 400);
    let guess = json!({ "query": LOG_IN, "variables": { "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD } });
    let batched: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!([me.clone(), guess.clone()]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        batched[1]["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{batched:#}"
    );
    assert!(batched[1].get("data").is_none_or(Value::is_null));
    // Nor twice in one document under two aliases.
    let twice = format!(
        "mutation {{ a: logIn(email: \"{ADMIN_EMAIL}\", password: \"x\") {{ token }} b: logIn(email: \"{ADMIN_EMAIL}\", password: \"y\") {{ token }} }}"
    );
    app.graphql(&twice, json!({}), None)
        .await
        .expect_error("GRAPHQL_VALIDATION_FAILED");
    // A batch of one is just a request.
    let single: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!([guess]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        single[0]["data"]["logIn"]["token"].is_string(),
        "{single:#}"
    );
}

#[tokio::test]
async fn introspection_suggestions_and_graphiql_can_be_switched_off() {
    let open = spawn_app().await;
    let closed = spawn_app_with(vec![("KLUB_INTROSPECTION", "false".into())]).await;
    let introspect = "{ __schema { queryType { name } } }";

    assert_eq!(
        open.graphql(introspect, json!({}), None).await.data()["__schema"]["queryType"]["name"],
        "Query"
    );
    // Switched off, introspection reveals nothing: async-graphql answers it with null.
    let hidden = closed.graphql(introspect, json!({}), None).await;
    assert!(
        hidden.body["data"]["__schema"].is_null(),
        "{:#}",
        hidden.body
    );
    let by_type = closed
        .graphql(
            "{ __type(name: \"User\") { fields { name } } }",
            json!({}),
            None,
        )
        .await;
    assert!(
        by_type.body["data"]["__type"].is_null(),
        "{:#}",
        by_type.body
    );

    let typo = "{ activites { totalCount } }";
    let hinted = open.graphql(typo, json!({}), None).await;
    assert!(
        hinted.body.to_string().contains("Did you mean"),
        "{:#}",
        hinted.body
    );
    let silent = closed.graphql(typo, json!({}), None).await;
    silent.expect_error("GRAPHQL_VALIDATION_FAILED");
    assert!(!silent.body.to_string().contains("Did you mean"));

    let page = |app: &TestApp| app.client.get(format!("{}/graphql", app.address)).send();
    assert_eq!(page(&open).await.unwrap().status(), 200);
    assert_eq!(page(&closed).await.unwrap().status(), 404);
}

#[tokio::test]
async fn cors_admits_the_configured_frontend_only() {
    let app = spawn_app_with(vec![(
        "KLUB_CORS_ORIGINS",
        "https://app.klub.example, https://staging.klub.example".into(),
    )])
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.klub.example").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.klub.example"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let graphql = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    let missing = app
        .client
        .get(format!("{}/nowhere", app.address))
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for response in [&graphql, &health, &missing] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(headers.contains_key("content-security-policy"));
        assert!(headers.contains_key("strict-transport-security"));
        ids.push(headers["x-request-id"].to_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "one id per request: {ids:?}");
}

#[tokio::test]
async fn the_schema_exposes_no_secret() {
    let sdl = api::graphql::sdl().to_lowercase();
    for secret in [
        "passwordhash",
        "password_hash",
        "tokenhash",
        "calendarsecret",
        "secret:",
    ] {
        assert!(!sdl.contains(secret), "the schema mentions {secret}");
    }
    // The only tokens in answers are the session a caller just opened: one output field.
    let schema = apollo_compiler::Schema::parse_and_validate(api::graphql::sdl(), "schema.graphql")
        .expect("the served schema is valid SDL");
    let token_fields: Vec<String> = schema
        .types
        .iter()
        .filter_map(|(name, ty)| match ty {
            apollo_compiler::schema::ExtendedType::Object(object) => Some((name, object)),
            _ => None,
        })
        .flat_map(|(name, object)| {
            object
                .fields
                .keys()
                .filter(|field| field.as_str().to_lowercase().contains("token"))
                .map(move |field| format!("{name}.{field}"))
        })
        .collect();
    assert_eq!(token_fields, ["AuthPayload.token"]);
}

/// The server binary as a process of its own on a fresh SQLite file, so that its memory can be
/// read from outside.
pub async fn server_process(
    folder: &std::path::Path,
    env: &[(&str, &str)],
) -> klub_tests::ServerProcess {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_klub-under-test"));
    command
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", folder.join("klub.db").display()),
        )
        .env("KLUB_MAIL_DIR", folder.join("mail"))
        .env("KLUB_HTTP_WORKERS", "2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    klub_tests::ServerProcess::start(command).await
}

/// High 3. Anonymous requests that each cost much memory — sign-ups (a 19 MiB password hash
/// each, ten to a batch) and documents never seen before, invalid or not — raise the server's
/// memory by what a few at a time cost, not by what all of them would, and it comes back down.
#[tokio::test]
async fn anonymous_bursts_cannot_make_the_server_allocate_gigabytes() {
    let folder = tempfile::tempdir().unwrap();
    let server = server_process(folder.path(), &[("KLUB_SIGN_UPS_PER_CLIENT", "100000")]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", server.address);
    let sign_up = "mutation($email: String!) { signUp(input: { email: $email, password: \"correct horse battery\", name: \"Burst\" }) { token } }";
    let warm_up = client
        .post(&url)
        .json(&json!({ "query": sign_up, "variables": { "email": "warm@up.fr" } }))
        .send()
        .await
        .unwrap();
    assert!(warm_up.status().is_success());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = server.resident_mib().unwrap();

    // Eight batches of ten sign-ups at once: 80 password hashes asked for together.
    let batches = (0..8).map(|batch| {
        let body: Vec<_> = (0..10)
            .map(|i| json!({ "query": sign_up, "variables": { "email": format!("burst{batch}-{i}@example.fr") } }))
            .collect();
        client.post(&url).json(&body).send()
    });
    for answer in futures_util::future::join_all(batches).await {
        let answers: Vec<serde_json::Value> = answer.unwrap().json().await.unwrap();
        for answer in answers {
            assert!(answer["data"]["signUp"]["token"].is_string(), "{answer}");
        }
    }
    // 256 documents never seen before, invalid and valid, of 16 KiB each.
    for i in 0..256 {
        let fields = "__typename ".repeat(1_450);
        let query = if i % 2 == 0 {
            format!("{{ {fields} doesNotExist{i} }}")
        } else {
            format!("{{ {fields} }} # {i}")
        };
        let answer = client
            .post(&url)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
    let peak = server.peak_mib().unwrap();
    eprintln!("memory: {before:.0} MiB before, {peak:.0} MiB at the peak");
    assert!(
        peak - before < 200.0,
        "the burst raised memory from {before:.0} MiB to {peak:.0} MiB"
    );
    // And it comes back down.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after = server.resident_mib().unwrap();
    eprintln!("memory: {after:.0} MiB two seconds after");
    assert!(
        after - before < 100.0,
        "memory stayed at {after:.0} MiB after the burst (it was {before:.0} MiB)"
    );
}

/// Low 8. NUL, line breaks and characters that reorder text: NUL is refused in any string of
/// any request before the database sees it (anonymous `logIn` included, on PostgreSQL too); a
/// line — a name, a title — takes no control character and no bidirectional override; a
/// paragraph keeps its line breaks, as `\n`.
#[tokio::test]
async fn control_and_reordering_characters_are_refused_by_kind_of_text() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // NUL anywhere: in a variable, nested in an input, or written in the document.
    let nul = app
        .op(
            "LogIn",
            json!({ "email": "ann\u{0}@example.fr", "password": "whatever it is" }),
            None,
        )
        .await;
    nul.expect_error("BAD_USER_INPUT");
    assert_eq!(nul.error_field(), Some("email"));
    let nested = app
        .op(
            "SignUp",
            json!({ "input": { "email": "ann@example.fr", "password": PASSWORD, "name": "Ann\u{0}" } }),
            None,
        )
        .await;
    assert_eq!(nested.error_field(), Some("input.name"));
    let literal = app
        .graphql(
            r#"query { verifyCertificate(number: "KLUB-\u0000") { valid } }"#,
            json!({}),
            None,
        )
        .await;
    literal.expect_error("BAD_USER_INPUT");
    assert_eq!(literal.error_field(), Some("number"));
    let search = app
        .op("Users", json!({ "search": "\u{0}" }), Some(&admin))
        .await;
    search.expect_error("BAD_USER_INPUT");

    // Lines: names, organisations, titles, subjects.
    for (name, organisation) in [
        ("Ann\r\nBcc: everyone@example.fr", "Hôtel"),
        ("Ann", "Hôtel\u{202E}fdp.exe"),
        ("Ann\u{2066}", "Hôtel"),
        ("Ann\tB", "Hôtel"),
    ] {
        let refused = app
            .op(
                "SignUp",
                json!({ "input": { "email": "ann@example.fr", "password": PASSWORD, "name": name, "organisation": organisation } }),
                None,
            )
            .await;
        refused.expect_error("BAD_USER_INPUT");
        let field = if name == "Ann" {
            "organisation"
        } else {
            "name"
        };
        assert_eq!(
            refused.error_field(),
            Some(field),
            "{name:?} / {organisation:?}"
        );
    }
    let refused = app
        .op(
            "SignUp",
            json!({ "input": { "email": "ann\u{202E}@example.fr", "password": PASSWORD, "name": "Ann" } }),
            None,
        )
        .await;
    assert_eq!(refused.error_field(), Some("email"));
    let refused = app
        .op(
            "CreateOrganisation",
            json!({ "input": { "name": "Evil\u{202E}gpj.exe", "sector": "OTHER" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_field(), Some("name"));
    let doomed = app.published_activity(&admin, 7, json!({})).await;
    let refused = app
        .op(
            "CancelActivity",
            json!({ "id": doomed, "reason": "Storm\u{1b}[2J" }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_field(), Some("reason"));
    let activity = app.published_activity(&admin, 5, json!({})).await;
    let refused = app
        .op(
            "MessageRegistrants",
            json!({ "activityId": activity, "to": ["CONFIRMED"], "subject": "Hi\r\nBcc: x@y.fr", "body": "Body" }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_field(), Some("subject"));
    // Paragraphs keep their lines, whatever the client's line ends; other controls are out.
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.op(
        "SetTrained",
        json!({ "userId": app.user_id(&ann).await, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    let club = app.group_id(&ann, "Partners' club").await;
    let started = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Two lines", "body": "First\r\nSecond\rThird" }),
            Some(&ann),
        )
        .await;
    let thread = started.data()["startThread"]["id"].clone();
    let read = app.op("Thread", json!({ "id": thread }), Some(&ann)).await;
    assert_eq!(
        read.data()["thread"]["posts"]["edges"][0]["node"]["body"],
        "First\nSecond\nThird"
    );
    let refused = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Colours", "body": "\u{1b}[31mred\u{202E}" }),
            Some(&ann),
        )
        .await;
    assert_eq!(refused.error_field(), Some("body"));
}

/// The 2^n fragment bomb: each level spreads the next one twice.
fn fragment_bomb(levels: usize) -> String {
    let mut document = String::from("query Bomb { ...F0 }\n");
    for level in 0..levels {
        document.push_str(&format!(
            "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    document.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
    document
}

/// High 2. A bomb of a few hundred bytes is refused before anything expands it, and the
/// server keeps answering meanwhile.
#[tokio::test]
async fn a_fragment_bomb_is_refused_before_it_is_expanded() {
    let app = spawn_app().await;
    let cycle = "query Q { ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A __typename }";
    let unused = format!("query Small {{ __typename }}\n{}", &fragment_bomb(40)[20..]);
    for document in [
        fragment_bomb(30),
        fragment_bomb(60),
        cycle.to_owned(),
        unused,
    ] {
        assert!(document.len() < 4_000);
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            app.post_json(&json!({ "query": document }), None),
        )
        .await
        .expect("refused at once, not after expanding 2^n selections");
        assert_eq!(answer.status, 200);
        assert!(
            answer.body["errors"][0]["message"].is_string(),
            "{:#}",
            answer.body
        );
        assert!(answer.body["data"].is_null(), "{:#}", answer.body);
    }
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // The same holds on the socket, for anyone.
    let partner = app.persona(Persona::Partner, "ann").await.unwrap();
    let mut socket = Socket::connect(&app, &partner).await;
    socket
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": fragment_bomb(40) } }))
        .await;
    let refused = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
        .await
        .expect("refused at once over the socket too");
    assert!(
        refused["payload"]["errors"].is_array() || refused["type"] == "error",
        "{refused}"
    );
    assert!(refused["payload"]["data"].is_null(), "{refused}");
}

/// Medium 5. Names and organisations that start a formula reach the spreadsheet as text.
#[tokio::test]
async fn csv_cells_never_start_a_formula() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let workshop = app.published_activity(&admin, 10, json!({})).await;
    for (i, name) in [
        "=HYPERLINK(\"http://evil\",\"x\")",
        "+33 6 12",
        "-2+3",
        "@SUM(A1)",
        " =1+1",
    ]
    .iter()
    .enumerate()
    {
        let answer = app
            .op(
                "SignUp",
                json!({ "input": { "email": format!("p{i}@example.fr"), "password": PASSWORD, "name": name, "organisation": "=cmd|' /C calc'!A0" } }),
                None,
            )
            .await;
        let token = answer.data()["signUp"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        app.register(&workshop, &token).await;
    }
    let sheet = app
        .client
        .get(format!(
            "{}/activities/{workshop}/registrations.csv",
            app.address
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        for cell in record.iter() {
            let first = cell.trim_start().chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "a formula cell: {cell:?} in {sheet}"
            );
        }
        assert!(record[0].starts_with('\''), "{record:?}");
        assert!(record[1].starts_with("'="), "{record:?}");
    }
    assert_eq!(rows, 5);
}

/// Low 12. Bounds: subscriptions per socket, questions per page, a batch's total cost.
#[tokio::test]
async fn every_fan_out_is_bounded() {
    let app = spawn_app().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let club = app.group_id(&trained, "Partners' club").await;
    let mut socket = Socket::connect(&app, &trained).await;
    for id in 0..12 {
        socket
            .start(&id.to_string(), "GroupPosts", json!({ "groupId": club }))
            .await;
    }
    let mut refused = 0;
    while let Some(message) = socket.next_within(std::time::Duration::from_secs(2)).await {
        if message["type"] == "next" {
            assert_eq!(
                crate::auth::code(&message["payload"]),
                "TOO_MANY_REQUESTS",
                "{message}"
            );
            refused += 1;
        }
    }
    assert!(
        refused >= 2,
        "at most 10 of 12 subscriptions stand; {refused} refused"
    );

    let question = "query Q($id: ID!) { activity(id: $id) { clubQuestions(first: 101) { id } } }";
    let answer = app
        .graphql(question, json!({ "id": "1" }), Some(&trained))
        .await;
    assert!(answer.body["errors"].is_array(), "{:#}", answer.body);

    // Ten operations of ten aliases each: each alone is fine, the batch is not.
    let aliases: String = (0..10).map(|i| format!("a{i}: __typename ")).collect();
    let single = app
        .graphql(&format!("{{ {aliases} }}"), json!({}), None)
        .await;
    single.data();
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": format!("{{ {aliases} }}") }))
        .collect();
    let answer = app.post_json(&Value::Array(batch), None).await;
    let refused = answer
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|response| response["errors"].is_array())
        .count();
    assert!(refused >= 8, "{:#}", answer.body);
}

/// Low 13. Dates outside what a calendar holds are refused.
#[tokio::test]
async fn dates_outside_the_calendar_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (starts, ends) in [
        ("0000-06-01T09:00:00Z", "0000-06-01T12:00:00Z"),
        ("9999-12-31T20:00:00-05:00", "9999-12-31T22:00:00-05:00"),
    ] {
        app.op(
            "CreateActivity",
            json!({ "input": { "kind": "WORKSHOP", "title": "Time travel", "capacity": 5,
                "sessions": [ { "startsAt": starts, "endsAt": ends } ] } }),
            Some(&admin),
        )
        .await
        .expect_error("BAD_USER_INPUT");
    }
    app.op(
        "Activities",
        json!({ "filter": { "from": "10000-01-01T00:00:00Z" } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}
