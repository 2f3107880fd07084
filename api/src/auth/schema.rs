use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::{Access, service};
use crate::{error::ApiResult, people::User, state::ContextExt};

/// A new partner account.
#[derive(InputObject)]
pub struct SignUpInput {
    /// The login address; stored trimmed and lower-cased, unique.
    pub email: String,
    /// At least 10 characters, at most 1024.
    pub password: String,
    /// The person's display name.
    pub name: String,
    /// The business or association the person belongs to.
    pub organisation: Option<String>,
}

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
        let me = ctx.viewer().require(Access::Member)?;
        Ok(User::new(me.clone()))
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates a PARTNER account and logs it in. Refused with FORBIDDEN when self sign-up is
    /// switched off (`KLUB_ALLOW_SIGNUP=false`); CONFLICT when the address is taken.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> ApiResult<AuthPayload> {
        Ok(service::sign_up(ctx.state()?, input).await?.into())
    }

    /// Exchanges an email and password for a session token. An unknown address and a wrong
    /// password get the same UNAUTHENTICATED error.
    async fn log_in(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> ApiResult<AuthPayload> {
        Ok(service::log_in(ctx.state()?, email, password).await?.into())
    }
}
