//! The command line (`klub --help`): the server, and what an operator does beside it. Shared
//! by the `klub` binary and the copy the crash tests start and kill. It speaks to the operator
//! on the terminal, the one place that prints.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the command line's output"
)]

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{
    Application, Config, accounts, db,
    error::ApiError,
    graphql,
    onboarding::{self, ImportReport, spreadsheet},
    people::Staff,
    startup::{self, StartupError},
    state::AppState,
};

/// Klub: the GraphQL server of a partner digital-skills programme and its community club.
///
/// Configured by environment variables (see the README); with none, it serves on
/// 127.0.0.1:8080 with SQLite in ./klub.db and mail written to ./mail.
#[derive(Parser)]
#[command(name = "klub", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (what `klub` alone does): migrate the database, then serve GraphQL.
    Serve,
    /// Print the GraphQL schema (SDL) the server serves.
    Schema,
    /// Apply the database migrations not applied yet, and list every migration.
    Migrate,
    /// Bring data in.
    #[command(subcommand)]
    Import(Import),
    /// Copy the embedded SQLite database to FILE, consistently, while the server runs.
    ///
    /// On PostgreSQL, use pg_dump.
    Backup {
        /// Where the copy goes; it must not exist yet.
        file: PathBuf,
    },
    /// The operator's way in: admin accounts and their passwords.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Import {
    /// Import partners from a spreadsheet saved as CSV (UTF-8 or Windows-1252, commas or
    /// semicolons, French or English column names). Each new person is invited by mail.
    Partners {
        /// The CSV file.
        file: PathBuf,
        /// Check the file and say what would happen, writing and mailing nothing.
        #[arg(long)]
        dry_run: bool,
        /// The staff account the invitations come from (default: the first admin).
        #[arg(long, value_name = "EMAIL")]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Create an admin account and print the one-time link that sets its password.
    Create {
        /// The admin's address.
        email: String,
    },
    /// Print a one-time link that sets a new password for the account at EMAIL.
    ResetPassword {
        /// The account's address.
        email: String,
    },
}

pub async fn run() -> ExitCode {
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    let outcome = match command {
        Command::Serve => return serve().await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => migrate().await,
        Command::Import(Import::Partners { file, dry_run, by }) => {
            import_partners(file, dry_run, by).await
        }
        Command::Backup { file } => backup(file).await,
        Command::Admin(Admin::Create { email }) => {
            with_state(|state| async move {
                let link = accounts::service::operator_create_admin(&state, email).await?;
                print_link("sets the new admin's password", &link);
                Ok(())
            })
            .await
        }
        Command::Admin(Admin::ResetPassword { email }) => {
            with_state(|state| async move {
                let link = accounts::service::operator_reset_link(&state, email).await?;
                print_link("sets a new password", &link);
                Ok(())
            })
            .await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("klub: {message}");
            ExitCode::FAILURE
        }
    }
}

fn config() -> Result<Config, String> {
    Config::from_env().map_err(|error| error.to_string())
}

/// Runs `work` on a prepared state (the database connected and migrated).
async fn with_state<F, Fut>(work: F) -> Result<(), String>
where
    F: FnOnce(AppState) -> Fut,
    Fut: Future<Output = Result<(), ApiError>>,
{
    let config = config()?;
    let _serving = not_served(&config)?;
    let state = startup::prepare(config).await.map_err(explained)?;
    work(state).await.map_err(|error| error.to_string())
}

/// On SQLite, a command that writes holds the file as a server would: a server keeps what it
/// read in memory, true only while it is the one writing (see [`db::SqliteServing`]).
fn not_served(config: &Config) -> Result<Option<db::SqliteServing>, String> {
    db::SqliteServing::take(
        config,
        "stop the server first, as on SQLite one process writes the file \
         (while it runs, staff import through the importPartners mutation)",
    )
    .map_err(|error| error.to_string())
}

fn print_link(what: &str, link: &str) {
    println!("This link {what}; it works once, within the hour:\n\n  {link}\n");
    println!("Give it to the person by a channel you trust: whoever opens it owns the account.");
}

async fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("klub: {error}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&config);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            let message = explained(error);
            tracing::error!(error = %message, "klub could not start");
            eprintln!("klub: {message}");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("klub: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The error with its causes: "internal error" alone tells an operator nothing.
fn explained(error: StartupError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

async fn migrate() -> Result<(), String> {
    let config = config()?;
    let _serving = not_served(&config)?;
    let migrations = db::migrate_database(&config)
        .await
        .map_err(|error| error.to_string())?;
    let applied_now = migrations.iter().filter(|(_, now)| *now).count();
    for (name, now) in &migrations {
        println!(
            "{} {name}",
            if *now { "applied now" } else { "applied    " }
        );
    }
    println!(
        "{} migrations, {applied_now} applied now: the database is up to date.",
        migrations.len()
    );
    Ok(())
}

async fn backup(file: PathBuf) -> Result<(), String> {
    db::backup_sqlite(&config()?, &file)
        .await
        .map_err(|error| error.to_string())?;
    println!("klub: the database is copied to {}", file.display());
    Ok(())
}

async fn import_partners(file: PathBuf, dry_run: bool, by: Option<String>) -> Result<(), String> {
    let bytes = std::fs::read(&file).map_err(|error| format!("{}: {error}", file.display()))?;
    let text = spreadsheet::decode(&bytes);
    with_state(|state| async move {
        let staff = accounts::service::operator_staff(&state, by).await?;
        let by = Staff::of(&staff).ok_or(ApiError::Forbidden)?;
        let report = onboarding::import_partners(&state, by, &text, dry_run).await?;
        print_report(&report, dry_run);
        Ok(())
    })
    .await
}

fn print_report(report: &ImportReport, dry_run: bool) {
    for error in &report.errors {
        println!("line {}: {}", error.line, error.message);
    }
    let counts = format!(
        "{} people created, {} updated, {} invited, {} organisations created, {} rows left out",
        report.created,
        report.updated,
        report.invited,
        report.organisations_created,
        report.errors.len(),
    );
    if dry_run {
        println!("Dry run, nothing written or mailed. The import would give: {counts}.");
    } else {
        println!("{counts}. The invitations leave through the server's outbox.");
    }
}
