use async_graphql::{Context, Object, SimpleObject};

use crate::auth::service;
use crate::{
    error::ApiResult, graphql::context::ContextExt, graphql::people::User, people::Access,
};

/// A logged-in account: send `token` as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// A session token (JWT), valid for `KLUB_TOKEN_TTL`.
    pub token: String,
    /// The account the token belongs to.
    pub user: User,
}

impl From<service::Session> for AuthPayload {
    fn from(session: service::Session) -> Self {
        Self {
            token: session.token,
            user: User::caller(session.user),
        }
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The logged-in account.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let me = ctx.viewer().require(Access::Account)?;
        Ok(User::new(me.clone()))
    }
}
