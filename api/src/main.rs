//! The `klub` binary: `klub` (or `klub serve`) runs the server, `klub schema` prints the SDL.

use std::process::ExitCode;

/// glibc's allocator spends a sixth of a busy server's time in `malloc` across the worker
/// threads (measured with klub-bench and perf); mimalloc's thread-local heaps do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    api::cli::run().await
}
