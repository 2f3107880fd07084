//! What every request can reach: the database, the configuration and the keys.

use std::sync::{Arc, atomic::AtomicU64};

use async_graphql::Context;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Credentials, Passwords, TokenKeys},
    changes::Changes,
    clock::Clock,
    config::Config,
    error::{ApiError, ApiResult},
    groups::PostAdded,
    loaders::Loaders,
    mail::Mailer,
    people::Viewer,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
    pub clock: Clock,
    pub mailer: Arc<Mailer>,
    /// New posts, for `postAdded` subscribers of this instance.
    pub posts: tokio::sync::broadcast::Sender<PostAdded>,
    /// SQL statements run since start (read by tests and, later, metrics).
    pub statements: Arc<AtomicU64>,
    /// What this instance keeps in memory — the accounts behind sessions, the answers to
    /// queries — and how it hears that the database changed.
    pub changes: Arc<Changes>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Gives one operation what its resolvers read: the viewer, the caller's credentials (its
    /// token and address), and loaders of its own (their caches must not outlive the operation, and some
    /// depend on who asks).
    pub fn for_caller(
        &self,
        request: async_graphql::Request,
        viewer: Viewer,
        credentials: Credentials,
    ) -> async_graphql::Request {
        request
            .data(Loaders::new(&self.db, viewer.user().map(|user| user.id)))
            .data(viewer)
            .data(credentials)
    }
}

/// Typed access to what the server puts in every GraphQL context.
pub trait ContextExt {
    fn state(&self) -> ApiResult<&AppState>;
    fn viewer(&self) -> &Viewer;
    fn loaders(&self) -> ApiResult<&Loaders>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> ApiResult<&AppState> {
        self.data::<AppState>()
            .map_err(|_| ApiError::internal("application state missing from the schema"))
    }

    fn loaders(&self) -> ApiResult<&Loaders> {
        self.data::<Loaders>()
            .map_err(|_| ApiError::internal("data loaders missing from the request"))
    }

    fn viewer(&self) -> &Viewer {
        // A request without a viewer (none was attached) is an anonymous one.
        self.data_opt::<Viewer>().unwrap_or(&Viewer::Anonymous)
    }
}
