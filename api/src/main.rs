//! The `klub` binary: `klub` (or `klub serve`) runs the server, `klub schema` prints the SDL.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    api::cli::run().await
}
