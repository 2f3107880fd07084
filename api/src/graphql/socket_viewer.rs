//! Each operation on a WebSocket (`http::socket`) is judged by the account its token names at
//! that moment, never by what it was when the socket opened.

use std::sync::Arc;

use async_graphql::{
    Request, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};

use crate::{auth::Credentials, graphql::context, state::AppState};

/// Gives each operation on a socket the viewer its token names now.
pub struct SocketViewer;

impl ExtensionFactory for SocketViewer {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SocketViewer)
    }
}

#[async_trait::async_trait]
impl Extension for SocketViewer {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Only a socket's connection data holds credentials; HTTP requests carry their own.
        let (Some(credentials), Ok(state)) =
            (ctx.data_opt::<Credentials>(), ctx.data::<AppState>())
        else {
            return next.run(ctx, request).await;
        };
        let viewer = credentials.viewer(state).await.map_err(|error| {
            async_graphql::Error::from(error).into_server_error(Default::default())
        })?;
        next.run(
            ctx,
            context::for_caller(state, request, viewer, credentials.clone()),
        )
        .await
    }
}
