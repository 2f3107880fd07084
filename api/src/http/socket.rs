//! GraphQL over WebSocket (graphql-transport-ws on `/graphql/ws`). A socket lives for hours, so
//! it keeps only what the caller presented in `connection_init` (its token, see
//! [`Credentials`]), never a verdict: every operation sent on it is given the viewer of that
//! moment by `graphql::socket_viewer`, and subscriptions check their viewer again before each event.
//! A role change, a revoked session or a deleted account is thus seen by the next operation
//! or event, exactly as over HTTP.

use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Data;
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
