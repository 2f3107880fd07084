//! The command line: `klub` (or `klub serve`) runs the server, `klub schema` prints the SDL.
//! Shared by the `klub` binary and the copy the crash tests start and kill. It speaks to the
//! operator on the terminal, the one place that prints.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the command line's output"
)]

use std::process::ExitCode;

use crate::{Application, Config, graphql};

pub async fn run() -> ExitCode {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None | Some("serve") => serve().await,
        Some("schema") => {
            print!("{}", graphql::sdl());
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("klub: unknown command `{other}` (expected `serve` or `schema`)");
            ExitCode::from(2)
        }
    }
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
            // The causes matter here: "internal error" alone tells an operator nothing.
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
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
