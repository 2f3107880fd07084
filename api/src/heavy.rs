//! Work that costs much memory per call — hashing a password with argon2 (19 MiB each), drawing
//! a certificate's PDF or a report's charts, writing a CSV export, decoding a photo (up to
//! 50 megapixels) — takes a turn: as many at
//! once as the machine has cores, the rest wait in line. Concurrency, not the number of
//! requests, decides the memory it takes, so a burst of anonymous sign-ups cannot make an
//! instance allocate gigabytes. The turns are per instance: they bound memory, and decide
//! nothing that must hold across instances.

use std::sync::LazyLock;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{ApiError, ApiResult};

static TURNS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// Uploads read at once per instance: each body (up to 16 MiB) is held whole until parsed.
/// Apart from the turns, so that slow uploads never keep a password from being checked.
const UPLOAD_SLOTS: usize = 4;
static UPLOADS: Semaphore = Semaphore::const_new(UPLOAD_SLOTS);

/// Waits for a slot to read an upload's body, held until the returned permit is dropped.
pub async fn upload_slot() -> ApiResult<SemaphorePermit<'static>> {
    UPLOADS.acquire().await.map_err(ApiError::internal)
}

/// Waits for a turn, held until the returned permit is dropped (for async work).
pub async fn turn() -> ApiResult<SemaphorePermit<'static>> {
    TURNS.acquire().await.map_err(ApiError::internal)
}

/// Runs `work` on the blocking pool in its turn.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let _turn = turn().await?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)
}
