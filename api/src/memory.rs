//! Whether what an instance keeps in memory may be trusted: shared by the callers behind
//! sessions (`auth::viewers`) and the answers to queries (`graphql::answers`); kept up to date
//! by `changes.rs`.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// How long a heartbeat heard back proves that the listener still hears (see [`MemoryTrust`]).
pub const LEASE: Duration = Duration::from_secs(1);

/// Whether what an instance keeps in memory — answers and callers — may be trusted, shared by
/// both. On SQLite always: the process hears its own writes. On PostgreSQL only while the
/// change listener listens *and* within [`LEASE`] of sending a heartbeat that it has heard
/// back since: notifications arrive in commit order, so a heartbeat heard proves every change
/// committed before it was sent was heard too. A connection that died without a word
/// (half-open) delivers no heartbeat, and memory stops being trusted when the lease runs out,
/// whatever TCP has noticed.
pub struct MemoryTrust {
    always: bool,
    listening: AtomicBool,
    started: Instant,
    /// Milliseconds after `started` until which memory is trusted.
    until_ms: AtomicU64,
}

impl MemoryTrust {
    pub fn new(always: bool) -> Self {
        Self {
            always,
            listening: AtomicBool::new(false),
            started: Instant::now(),
            until_ms: AtomicU64::new(0),
        }
    }

    pub fn is_trusted(&self) -> bool {
        self.always
            || (self.is_listening() && self.elapsed_ms() < self.until_ms.load(Ordering::Acquire))
    }

    /// Whether the change listener listens now (PostgreSQL).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// The listener began or stopped listening. Memory is trusted only from the first
    /// heartbeat heard back: by then every other instance has heard that heartbeat too, so a
    /// writer that waits for the instances it knows (`changes.rs`, `Memory::settle`)
    /// knows every instance that may answer from memory.
    pub fn listening(&self, now: bool) {
        self.until_ms.store(0, Ordering::Release);
        self.listening.store(now, Ordering::Release);
    }

    /// The timestamp a heartbeat carries: milliseconds since this memory began.
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A heartbeat sent at `sent_ms` came back through the listener.
    pub fn heard_heartbeat(&self, sent_ms: u64) {
        self.until_ms
            .fetch_max(sent_ms.saturating_add(lease_ms()), Ordering::AcqRel);
    }
}

fn lease_ms() -> u64 {
    u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX)
}
