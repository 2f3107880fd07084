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
    /// The account behind the token as it is now: role, deletion and revoked sessions included.
    pub async fn viewer(&self, state: &AppState) -> ApiResult<Viewer> {
        match &self.token {
            Some(token) => viewer_for_token(state, token).await,
            None => Ok(Viewer::Anonymous),
        }
    }
}

/// The account a session token names, as it is now: a revoked session or a deleted account
/// make it an invalid token.
async fn viewer_for_token(state: &AppState, token: &str) -> ApiResult<Viewer> {
    let Ok(claims) = state.tokens.verify(token, state.now()) else {
        return Ok(Viewer::InvalidToken);
    };
    Ok(
        match state.memory.viewers.user(&state.db, claims.user_id).await? {
            Some(user) if user.session_epoch == claims.epoch && user.deleted_at.is_none() => {
                Viewer::User(user)
            }
            _ => Viewer::InvalidToken,
        },
    )
}
