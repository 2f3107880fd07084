//! What the server puts in every GraphQL request, and typed access to it from resolvers.

use async_graphql::{Context, Request};

use crate::{
    auth::{Credentials, throttle::ClientAddress},
    error::{ApiError, ApiResult},
    graphql::loaders::Loaders,
    people::Viewer,
    state::AppState,
};

/// Gives one operation what its resolvers read: the viewer, the caller's credentials (its
/// token and address), and loaders of its own (their caches must not outlive the operation,
/// and some depend on who asks).
pub fn for_caller(
    state: &AppState,
    request: Request,
    viewer: Viewer,
    credentials: Credentials,
) -> Request {
    request
        .data(Loaders::new(
            &state.db,
            viewer.user().map(|user| user.id),
            state.config.timezone,
        ))
        .data(viewer)
        .data(credentials)
}

/// Typed access to what the server puts in every GraphQL context.
pub trait ContextExt {
    fn state(&self) -> ApiResult<&AppState>;
    fn viewer(&self) -> &Viewer;
    fn loaders(&self) -> ApiResult<&Loaders>;
    /// The client's address, which throttling counts.
    fn client(&self) -> ClientAddress;
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

    fn client(&self) -> ClientAddress {
        self.data_opt::<Credentials>()
            .map(|credentials| credentials.client.clone())
            .unwrap_or_else(|| ClientAddress("unknown".into()))
    }
}
