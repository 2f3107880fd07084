//! The `klub` binary, built inside the tests' package so they can start it as a process of
//! its own and kill it (Cargo hands a package's tests the paths of its own binaries only).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    api::cli::run().await
}
