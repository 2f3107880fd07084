//! What every request can reach: the database, the configuration and the keys.

use std::sync::{Arc, atomic::AtomicU64};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Passwords, TokenKeys},
    changes::Memory,
    clock::Clock,
    config::Config,
    groups::PostAdded,
    mail::Mailer,
    storage::Storage,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
    pub clock: Clock,
    pub mailer: Arc<Mailer>,
    /// Where photos are kept: a folder, or an object store every instance shares.
    pub storage: Storage,
    /// New posts, for `postAdded` subscribers of this instance.
    pub posts: tokio::sync::broadcast::Sender<PostAdded>,
    /// SQL statements run since start (read by tests and, later, metrics).
    pub statements: Arc<AtomicU64>,
    /// What this instance keeps in memory — the accounts behind sessions, the answers to
    /// queries — and how it hears that the database changed.
    pub memory: Arc<Memory>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
