//! The `klub` binary: `klub` (or `klub serve`) runs the server, `klub schema` prints the SDL.

use std::process::ExitCode;

use api::{Application, Config, schema};

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None | Some("serve") => serve().await,
        Some("schema") => {
            print!("{}", schema::sdl());
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
    api::telemetry::init(&config);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(error = %error, "klub could not start");
            eprintln!("klub: {error}");
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
