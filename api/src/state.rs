//! What every request can reach: the database, the configuration and the keys.

use std::sync::Arc;

use async_graphql::Context;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Passwords, TokenKeys, Viewer},
    config::Config,
    error::{ApiError, ApiResult},
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
}

impl AppState {
    /// The one place the server reads the time, so time-dependent rules have a single seam.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Typed access to what the server puts in every GraphQL context.
pub trait ContextExt {
    fn state(&self) -> ApiResult<&AppState>;
    fn viewer(&self) -> &Viewer;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> ApiResult<&AppState> {
        self.data::<AppState>()
            .map_err(|_| ApiError::internal("application state missing from the schema"))
    }

    fn viewer(&self) -> &Viewer {
        // A request without a viewer (none was attached) is an anonymous one.
        self.data_opt::<Viewer>().unwrap_or(&Viewer::Anonymous)
    }
}
