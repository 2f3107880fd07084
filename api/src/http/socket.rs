//! GraphQL over WebSocket (graphql-transport-ws on `/graphql/ws`). A socket lives for hours, so
//! it keeps only what the caller presented in `connection_init` (its token, see
//! [`Credentials`]), never a verdict: every operation sent on it is given the viewer of that
//! moment by [`SocketViewer`], and subscriptions check their viewer again before each event.
//! A role change, a revoked session or a deleted account is thus seen by the next operation
//! or event, exactly as over HTTP.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::{
    Data, Request, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};
use async_graphql_actix_web::GraphQLSubscription;

use crate::{
    auth::Credentials,
    graphql::{KlubSchema, limits::SubscriptionSlots},
    http::credentials::credentials_of,
    state::AppState,
};

/// `GET /graphql/ws`; the token travels as `{"token": "..."}` in `connection_init`.
pub async fn handler(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    schema: web::Data<KlubSchema>,
) -> actix_web::Result<HttpResponse> {
    let client = credentials_of(&request, state.config.trust_forwarded_for).client;
    GraphQLSubscription::new(schema.get_ref().clone())
        .on_connection_init(move |init| async move {
            let token = init
                .get("token")
                .and_then(|token| token.as_str())
                .map(str::to_owned);
            let mut data = Data::default();
            data.insert(Credentials { token, client });
            data.insert(SubscriptionSlots::default());
            Ok(data)
        })
        .start(&request, payload)
}

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
            crate::graphql::context::for_caller(state, request, viewer, credentials.clone()),
        )
        .await
    }
}
