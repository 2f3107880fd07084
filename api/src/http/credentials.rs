//! Who is asking an HTTP request: its bearer token and its client's address.

use actix_web::{HttpRequest, http::header};

use crate::{
    auth::{Credentials, throttle::ClientAddress},
    error::ApiResult,
    people::Viewer,
    state::AppState,
};

/// The bearer token of the `Authorization` header and the client's address: the TCP
/// peer, or the proxy's forwarded address when `trust_forwarded_for` says a proxy sets it.
pub fn credentials_of(request: &HttpRequest, trust_forwarded_for: bool) -> Credentials {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(|header| {
            header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .unwrap_or(header)
                .trim()
                .to_owned()
        });
    let address = if trust_forwarded_for {
        request
            .connection_info()
            .realip_remote_addr()
            .map(|address| {
                address
                    .parse::<std::net::SocketAddr>()
                    .map(|socket| socket.ip().to_string())
                    .unwrap_or_else(|_| address.to_owned())
            })
    } else {
        request.peer_addr().map(|peer| peer.ip().to_string())
    };
    Credentials {
        token,
        client: ClientAddress(address.unwrap_or_else(|| "unknown".into())),
    }
}

/// The viewer of a plain HTTP request (a file download), judged as every GraphQL request is.
pub async fn viewer_of(request: &HttpRequest, state: &AppState) -> ApiResult<Viewer> {
    credentials_of(request, state.config.trust_forwarded_for)
        .viewer(state)
        .await
}
