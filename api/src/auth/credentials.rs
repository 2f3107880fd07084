//! Who is asking, from what the caller presented. The viewer is the account as it is now (see
//! [`super::viewers`]), so a role change or a removed account takes effect on the very next
//! request, not when the token expires.

use super::throttle::ClientAddress;
use crate::{error::ApiResult, people::Viewer, state::AppState};

/// What a caller presented: its token, if any, and where it called from. Kept for the life of
/// a WebSocket, so that every operation on it and every event of its subscriptions is judged
/// by the account as it is at that moment ([`Credentials::viewer`]), never as it was when the
/// socket opened.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub token: Option<String>,
    pub client: ClientAddress,
}

impl Credentials {
    /// The bearer token of the `Authorization` header and the client's address: the TCP
    /// peer, or the proxy's forwarded address when `trust_forwarded_for` says a proxy sets it.
    pub fn from_http(request: &actix_web::HttpRequest, trust_forwarded_for: bool) -> Self {
        let token = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
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
        Self {
            token,
            client: ClientAddress(address.unwrap_or_else(|| "unknown".into())),
        }
    }

    /// The account behind the token as it is now: role, deletion and revoked sessions included.
    pub async fn viewer(&self, state: &AppState) -> ApiResult<Viewer> {
        match &self.token {
            Some(token) => viewer_for_token(state, token).await,
            None => Ok(Viewer::Anonymous),
        }
    }
}

/// The viewer of a plain HTTP request (a file download), judged as every GraphQL request is.
pub async fn viewer_of(request: &actix_web::HttpRequest, state: &AppState) -> ApiResult<Viewer> {
    Credentials::from_http(request, state.config.trust_forwarded_for)
        .viewer(state)
        .await
}

/// The account a session token names, as it is now: a revoked session or a deleted account
/// make it an invalid token.
async fn viewer_for_token(state: &AppState, token: &str) -> ApiResult<Viewer> {
    let Ok(claims) = state.tokens.verify(token, state.now()) else {
        return Ok(Viewer::InvalidToken);
    };
    Ok(
        match state
            .changes
            .viewers
            .user(&state.db, claims.user_id)
            .await?
        {
            Some(user) if user.session_epoch == claims.epoch && user.deleted_at.is_none() => {
                Viewer::User(user)
            }
            _ => Viewer::InvalidToken,
        },
    )
}
