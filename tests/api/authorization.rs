//! Who may run what: every contract operation against every kind of caller. Each later step
//! adds its operations here.

use serde_json::{Value, json};

use crate::helpers::{Persona, TestApp, spawn_app};

/// What a caller gets: the data, or an error with this code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied(&'static str),
}

use Outcome::{Allowed, Denied};

const UNAUTH: Outcome = Denied("UNAUTHENTICATED");
const FORBID: Outcome = Denied("FORBIDDEN");

struct Row {
    operation: &'static str,
    /// Anonymous, partner, trained partner, animator, admin.
    outcomes: [Outcome; 5],
}

const TABLE: &[Row] = &[
    Row {
        operation: "SignUp",
        outcomes: [Allowed, Allowed, Allowed, Allowed, Allowed],
    },
    Row {
        operation: "LogIn",
        outcomes: [Allowed, Allowed, Allowed, Allowed, Allowed],
    },
    Row {
        operation: "Me",
        outcomes: [UNAUTH, Allowed, Allowed, Allowed, Allowed],
    },
    Row {
        operation: "Users",
        outcomes: [UNAUTH, FORBID, FORBID, Allowed, Allowed],
    },
    Row {
        operation: "SetUserRole",
        outcomes: [UNAUTH, FORBID, FORBID, FORBID, Allowed],
    },
    Row {
        operation: "SetTrained",
        outcomes: [UNAUTH, FORBID, FORBID, Allowed, Allowed],
    },
];

/// Variables that make each operation succeed when the caller is allowed.
async fn variables(app: &TestApp, operation: &str, run: usize) -> Value {
    match operation {
        "SignUp" => json!({ "input": {
            "email": format!("newcomer{run}@example.fr"),
            "password": crate::helpers::PASSWORD,
            "name": "Newcomer",
        } }),
        "LogIn" => {
            json!({ "email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD })
        }
        "SetUserRole" | "SetTrained" => {
            let (_, id) = app
                .sign_up(&format!("target{run}@example.fr"), "Target")
                .await;
            json!({ "userId": id, "role": "ANIMATOR", "trained": true })
        }
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_operation_is_authorised_for_every_kind_of_caller() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for persona in Persona::ALL {
        tokens.push((persona, app.persona(persona, "caller").await));
    }
    let mut run = 0;
    let mut failures = Vec::new();
    for row in TABLE {
        for ((persona, token), expected) in tokens.iter().zip(row.outcomes) {
            run += 1;
            let vars = variables(&app, row.operation, run).await;
            let answer = app.op(row.operation, vars, token.as_deref()).await;
            let actual = match answer.error_code() {
                None => Allowed,
                Some(code) => Denied(match code {
                    "UNAUTHENTICATED" => "UNAUTHENTICATED",
                    "FORBIDDEN" => "FORBIDDEN",
                    _ => "OTHER",
                }),
            };
            if actual != expected {
                failures.push(format!(
                    "{} as {persona:?}: expected {expected:?}, got {:#}",
                    row.operation, answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_contract_operation_has_a_row() {
    let documents = std::fs::read_dir(crate::helpers::contract_dir()).unwrap();
    for entry in documents {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in source.lines() {
            let Some(rest) = ["query ", "mutation ", "subscription "]
                .iter()
                .find_map(|kind| line.strip_prefix(kind))
            else {
                continue;
            };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                TABLE.iter().any(|row| row.operation == name),
                "{name} has no row in the authorization table"
            );
        }
    }
}
