//! The one clock the server reads. Real time, plus an offset that tests move forward so the
//! scheduler, deadlines and expiry can be exercised without sleeping.

use std::{
    cell::Cell,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        // Outside `watch` nobody asks.
        let _ = READ.try_with(|read| read.set(true));
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and only this server's view of time) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

tokio::task_local! {
    /// Whether work run by [`watch`] read the clock.
    static READ: Cell<bool>;
}

/// Marks the answer being computed as one memory must not keep, as if it read the clock: it
/// read a table whose changes are not announced (migration `notify_data_changes`,
/// `UNANSWERED_TABLES`: the outbox, log-in counts, mailed links).
pub fn read_unannounced_rows() {
    let _ = READ.try_with(|read| read.set(true));
}

/// Runs `work`, telling whether it read the clock (or [`read_unannounced_rows`]) on its own task (an answer that did depends
/// on the moment it was given; see `responses.rs`). Work handed to other tasks is not seen:
/// DataLoaders' batches run on tasks of their own and must not read the clock.
pub async fn watch<T>(work: impl Future<Output = T>) -> (T, bool) {
    READ.scope(Cell::new(false), async move {
        let output = work.await;
        (output, READ.with(Cell::get))
    })
    .await
}
