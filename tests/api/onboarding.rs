//! Bringing partners in from the office's spreadsheet, over GraphQL (`importPartners`) and from
//! the command line (`klub import partners`), and the operator's other commands.

use std::{path::PathBuf, process::Command};

use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, Persona, TestApp, TestDatabase, spawn_app_with, spawn_beside, spawn_on,
};
use crate::smtp::{Received, SmtpServer};

/// A contact tool's export: semicolons, Windows-1252, French headers in its own order, CRLF;
/// line 7 has no name and line 8 repeats line 2's address (in capitals).
fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/partners-windows-1252.csv")
}

const INVITED: [&str; 6] = [
    "anne.martin@hotel-du-port.fr",
    "helene@amis-musee.org",
    "jean.dupre@hotel-du-port.fr",
    "loic@kerbreizh.fr",
    "maite@etxeberria.eus",
    "sophie.berard@galerie",
];

/// The file as a browser hands it to the frontend: text, here with a byte-order mark.
fn fixture_text() -> String {
    let bytes = std::fs::read(fixture()).unwrap();
    format!("\u{feff}{}", api::onboarding::spreadsheet::decode(&bytes))
}

async fn import(app: &TestApp, token: &str, csv: &str, dry_run: bool) -> Value {
    app.op(
        "ImportPartners",
        json!({ "csv": csv, "dryRun": dry_run }),
        Some(token),
    )
    .await
    .data()["importPartners"]
        .clone()
}

fn counts(result: &Value) -> (i64, i64, i64) {
    (
        result["created"].as_i64().unwrap(),
        result["updated"].as_i64().unwrap(),
        result["invited"].as_i64().unwrap(),
    )
}

fn error_lines(result: &Value) -> Vec<i64> {
    result["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["line"].as_i64().unwrap())
        .collect()
}

fn mail_to<'m>(mails: &'m [Received], address: &str) -> &'m Received {
    mails
        .iter()
        .find(|mail| mail.to.iter().any(|to| to == address))
        .unwrap_or_else(|| panic!("no mail to {address}"))
}

fn token_in(mail: &Received) -> String {
    let text = mail.parsed().body_text(0).unwrap().into_owned();
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

async fn count<E>(app: &TestApp) -> u64
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    E::find().count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn a_contact_tools_export_imports_over_graphql_and_a_second_import_changes_nothing() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![("KLUB_SMTP_URL", smtp.url())]).await;
    let admin = app.admin_token().await;
    let csv = fixture_text();

    // A dry run says what would happen and writes nothing.
    let dry = import(&app, &admin, &csv, true).await;
    assert_eq!(counts(&dry), (6, 0, 6), "{dry:#}");
    assert_eq!(error_lines(&dry), [7, 8], "{dry:#}");
    assert!(
        dry["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("line 2")
    );
    assert_eq!(count::<entity::invitation::Entity>(&app).await, 0);
    assert_eq!(count::<entity::organisation::Entity>(&app).await, 0);
    assert_eq!(count::<entity::mail::Entity>(&app).await, 0);

    // The real run does what the dry run said; each new person gets the usual invitation, in
    // its own language when the file gives one.
    let done = import(&app, &admin, &csv, false).await;
    assert_eq!(counts(&done), counts(&dry));
    assert_eq!(count::<entity::organisation::Entity>(&app).await, 5);
    assert_eq!(done["errors"], dry["errors"]);
    let mails = smtp.wait_for(6).await;
    let mut recipients: Vec<_> = mails.iter().flat_map(|mail| mail.to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, INVITED);
    let subject = |address| {
        mail_to(&mails, address)
            .parsed()
            .subject()
            .unwrap()
            .to_owned()
    };
    assert!(subject("jean.dupre@hotel-du-port.fr").ends_with("invites you to Klub"));
    assert!(subject("anne.martin@hotel-du-port.fr").ends_with("vous invite sur Klub"));

    // The same file again: nothing changes, nothing is mailed.
    let again = import(&app, &admin, &csv, false).await;
    assert_eq!(counts(&again), (0, 0, 0), "{again:#}");
    assert_eq!(count::<entity::invitation::Entity>(&app).await, 6);
    assert_eq!(count::<entity::organisation::Entity>(&app).await, 5);

    // A changed row updates the waiting invitation without mailing again.
    let changed = csv.replace("05 59 12 34 56", "05 59 99 99 99");
    let updated = import(&app, &admin, &changed, false).await;
    assert_eq!(counts(&updated), (0, 1, 0), "{updated:#}");

    // Jean accepts: his account has the file's phone and language, and he is a member of the
    // organisation the file names (shared with Anne, matched by name).
    let session = app
        .op(
            "AcceptInvitation",
            json!({
                "token": token_in(mail_to(&mails, "jean.dupre@hotel-du-port.fr")),
                "name": "Jean Dupré",
                "password": PASSWORD,
            }),
            None,
        )
        .await;
    let jean = session.data()["acceptInvitation"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let organisation = app.op("MyOrganisation", json!({}), Some(&jean)).await;
    assert_eq!(
        organisation.data()["myOrganisation"]["name"],
        "Hôtel du Port"
    );
    let data = app.op("MyData", json!({}), Some(&jean)).await;
    let account = &data.data()["myData"]["account"];
    assert_eq!(account["phone"], "+33 5 59 12 34 57", "{account:#}");
    assert_eq!(account["locale"], "en");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(smtp.received().len(), 6, "no mail beyond the invitations");
}

#[tokio::test]
async fn only_staff_import_and_a_file_klub_cannot_read_is_refused_whole() {
    let app = crate::helpers::spawn_app().await;
    let csv = "email;nom\nann@x.fr;Ann\n";
    let document = json!({ "csv": csv });
    app.op("ImportPartners", document.clone(), None)
        .await
        .expect_error("UNAUTHENTICATED");
    let partner = app.persona(Persona::Partner, "p").await.unwrap();
    app.op("ImportPartners", document, Some(&partner))
        .await
        .expect_error("FORBIDDEN");

    let admin = app.admin_token().await;
    let no_email = app
        .op(
            "ImportPartners",
            json!({ "csv": "nom;ville\nAnn;Pau\n" }),
            Some(&admin),
        )
        .await;
    no_email.expect_error("BAD_USER_INPUT");
    assert!(no_email.body.to_string().contains("email column"));
    assert_eq!(count::<entity::invitation::Entity>(&app).await, 0);
}

/// A partner who already has an account and no organisation is offered a place in the one
/// the file names; its own name stays its own.
#[tokio::test]
async fn a_partner_with_an_account_is_offered_its_organisation_not_renamed() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin_token().await;
    let partner = app.persona(Persona::Partner, "known").await.unwrap();
    let me = app.op("Me", json!({}), Some(&partner)).await.data()["me"].clone();
    let csv = format!(
        "Email,Name,Organisation\n{},Somebody Else,Moulin de Lescun\n",
        me["email"].as_str().unwrap()
    );
    let result = import(&app, &admin, &csv, false).await;
    assert_eq!(counts(&result), (0, 1, 1), "{result:#}");
    let offers = app
        .op("MyOrganisationInvitations", json!({}), Some(&partner))
        .await;
    assert_eq!(
        offers.data()["myOrganisationInvitations"][0]["organisation"]["name"],
        "Moulin de Lescun"
    );
    let after = app.op("Me", json!({}), Some(&partner)).await.data()["me"].clone();
    assert_eq!(after["name"], me["name"]);
    let again = import(&app, &admin, &csv, false).await;
    assert_eq!(counts(&again), (0, 0, 0), "{again:#}");
}

/// `klub` as the operator runs it, on the test's database.
fn klub(database: &TestDatabase, mail_dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_klub-under-test"))
        .args(args)
        .env("DATABASE_URL", &database.url)
        .env("KLUB_MAIL_DIR", mail_dir)
        .env("RUST_LOG", "error")
        .output()
        .expect("klub runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// The token of the one-time link `klub admin …` printed.
fn printed_token(output: &str) -> String {
    let start = output.find("token=").expect("a link") + "token=".len();
    output[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[tokio::test]
async fn the_operator_creates_the_first_admin_imports_the_partners_then_starts_the_server() {
    let database = TestDatabase::create().await;
    let folder = tempfile::tempdir().unwrap();
    let mail = folder.path().join("mail");

    let (code, output) = klub(&database, &mail, &["migrate"]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("up to date"), "{output}");

    let (code, output) = klub(&database, &mail, &["admin", "create", "ops@office.example"]);
    assert_eq!(code, 0, "{output}");
    let link = printed_token(&output);
    let (code, output) = klub(&database, &mail, &["admin", "create", "ops@office.example"]);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("reset-password"), "{output}");

    let file = fixture();
    let file = file.to_str().unwrap();
    let (code, output) = klub(&database, &mail, &["import", "partners", file, "--dry-run"]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("line 7: no name"), "{output}");
    assert!(output.contains("line 8: anne.martin@hotel-du-port.fr already appears on line 2"));
    assert!(output.contains("Dry run"), "{output}");
    let (code, output) = klub(&database, &mail, &["import", "partners", file]);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("6 people created, 0 updated, 6 invited, 5 organisations created"),
        "{output}"
    );
    let (_, output) = klub(&database, &mail, &["import", "partners", file]);
    assert!(
        output.contains("0 people created, 0 updated, 0 invited"),
        "{output}"
    );

    // Back in after a forgotten password: a new link, printed (the first one dies with it).
    let (code, output) = klub(
        &database,
        &mail,
        &["admin", "reset-password", "ops@office.example"],
    );
    assert_eq!(code, 0, "{output}");
    let reset = printed_token(&output);
    let (code, output) = klub(
        &database,
        &mail,
        &["admin", "reset-password", "nobody@x.fr"],
    );
    assert_eq!(code, 1, "{output}");

    // The server starts on that database: the printed link sets the admin's password, and the
    // invitations the import queued leave through its outbox.
    let app = spawn_on(database, Vec::new()).await;
    app.op(
        "ResetPassword",
        json!({ "token": reset, "password": PASSWORD }),
        None,
    )
    .await
    .data();
    app.op(
        "ResetPassword",
        json!({ "token": link, "password": PASSWORD }),
        None,
    )
    .await
    .expect_error("BAD_USER_INPUT");
    let admin = app.log_in("ops@office.example", PASSWORD).await;
    let invitations = app
        .op("Invitations", json!({ "first": 20 }), Some(&admin))
        .await;
    assert_eq!(invitations.data()["invitations"]["totalCount"], 6);
    crate::helpers::outbox_settled(&app).await;
    let sent = app
        .op(
            "Mails",
            json!({ "status": "SENT", "first": 50 }),
            Some(&admin),
        )
        .await;
    assert_eq!(sent.data()["mails"]["totalCount"], 6);

    // While a server serves an SQLite file, commands that write refuse: the server trusts what
    // it keeps in memory because it is the file's only writer. PostgreSQL tells every server.
    let (code, output) = klub(
        &app.db,
        &mail,
        &["admin", "reset-password", "ops@office.example"],
    );
    if app.db.is_postgres() {
        assert_eq!(code, 0, "{output}");
    } else {
        assert_eq!(code, 1, "{output}");
        assert!(output.contains("stop the server first"), "{output}");
        let (code, output) = klub(&app.db, &mail, &["import", "partners", file]);
        assert_eq!(code, 1, "{output}");
    }
}

#[tokio::test]
async fn klub_help_shows_the_commands_and_bad_use_is_refused() {
    let database = TestDatabase::create().await;
    let folder = tempfile::tempdir().unwrap();
    let (code, help) = klub(&database, folder.path(), &["--help"]);
    assert_eq!(code, 0);
    for command in ["serve", "schema", "migrate", "import", "backup", "admin"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    let (code, help) = klub(&database, folder.path(), &["admin", "--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("reset-password"), "{help}");
    let (code, output) = klub(&database, folder.path(), &["frobnicate"]);
    assert_eq!(code, 2);
    assert!(output.contains("unrecognized subcommand"), "{output}");
    let (code, output) = klub(&database, folder.path(), &["import", "partners"]);
    assert_eq!(code, 2, "{output}");
    let (code, output) = klub(
        &database,
        folder.path(),
        &["import", "partners", "/nonexistent.csv"],
    );
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("/nonexistent.csv"), "{output}");
}

/// `klub backup` copies the SQLite file while the server writes; the copy is a database with
/// the data. On PostgreSQL it says to use pg_dump.
#[tokio::test]
async fn klub_backup_copies_the_embedded_database_while_it_serves() {
    let app = crate::helpers::spawn_app().await;
    app.admin_token().await;
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path().join("copy.db");
    let (code, output) = klub(&app.db, folder.path(), &["backup", copy.to_str().unwrap()]);
    if app.db.is_postgres() {
        assert_eq!(code, 1, "{output}");
        assert!(output.contains("pg_dump"), "{output}");
        return;
    }
    assert_eq!(code, 0, "{output}");
    let (code, output) = klub(&app.db, folder.path(), &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 1, "never overwrites: {output}");

    // The copy is a database holding what the server wrote.
    use sea_orm::{EntityTrait, PaginatorTrait};
    let original = entity::user::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    let copied = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .unwrap();
    assert_eq!(
        entity::user::Entity::find().count(&copied).await.unwrap(),
        original
    );
    assert!(original >= 1);
}

/// An import of hundreds of people must not make the SMTP server refuse the office's mail:
/// with `KLUB_MAIL_PER_MINUTE`, the outbox of every instance keeps to that pace together.
#[tokio::test]
async fn the_invitations_leave_at_the_pace_the_smtp_server_accepts() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_MAIL_PER_MINUTE", "2".into()),
    ])
    .await;
    let second = spawn_beside(
        &app,
        vec![
            ("KLUB_SMTP_URL", smtp.url()),
            ("KLUB_MAIL_PER_MINUTE", "2".into()),
        ],
    )
    .await;
    let admin = app.admin_token().await;
    let csv: String = std::iter::once("email;nom".to_owned())
        .chain((0..5).map(|i| format!("paced{i}@example.fr;Paced {i}")))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(counts(&import(&app, &admin, &csv, false).await), (5, 0, 5));
    for _ in 0..5 {
        api::mail::outbox::deliver_due(&app.state).await.unwrap();
        api::mail::outbox::deliver_due(&second.state).await.unwrap();
    }
    assert_eq!(smtp.wait_for(2).await.len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        smtp.received().len(),
        2,
        "two a minute, whatever the instances"
    );

    // A minute later, two more.
    app.state.clock.advance(chrono::Duration::seconds(61));
    second.state.clock.advance(chrono::Duration::seconds(61));
    for _ in 0..5 {
        api::mail::outbox::deliver_due(&app.state).await.unwrap();
        api::mail::outbox::deliver_due(&second.state).await.unwrap();
    }
    assert_eq!(smtp.wait_for(4).await.len(), 4);
    assert_eq!(smtp.received().len(), 4);
}

/// SQLite is served by one process: a second server on the same file refuses to start, and
/// says why, instead of serving answers its memory would make stale.
#[tokio::test]
async fn a_second_server_on_one_sqlite_file_refuses_to_start() {
    let database = TestDatabase::create().await;
    if database.skips_unless_sqlite(
        "a_second_server_on_one_sqlite_file_refuses_to_start",
        "PostgreSQL serves any number of instances (viewers.rs and answers.rs run two)",
    ) {
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_klub-under-test"));
    first
        .env("DATABASE_URL", &database.url)
        .env("KLUB_MAIL_DIR", folder.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let _serving = klub_tests::ServerProcess::start(first).await;
    let (code, output) = klub(&database, folder.path(), &["serve"]);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("several instances need PostgreSQL"),
        "{output}"
    );
}
