//! The GraphQL operations of accounts and sessions: signing up, proving the address, logging
//! in, passwords, logging out everywhere, the caller's data and its deletion.

use async_graphql::{Context, InputObject, Json, Object};

use crate::accounts::{address, privacy, service};
use crate::{
    auth, error::ApiResult, graphql::auth::AuthPayload, graphql::context::ContextExt,
    people::Access,
};

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

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates a PARTNER account and logs it in, and mails a link that proves the address
    /// (`verifyEmail`). Until it is opened (`me { emailVerified }` is false) the account may do
    /// everything a partner does, but invitations and mails sent to the address before do not
    /// become its own. Refused with FORBIDDEN when self sign-up is switched off
    /// (`KLUB_ALLOW_SIGNUP=false`); CONFLICT when the address is taken; TOO_MANY_REQUESTS
    /// after 20 sign-ups from one client within 15 minutes.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The new account: name, address, password, and optionally an organisation and a language."
        )]
        input: SignUpInput,
    ) -> ApiResult<AuthPayload> {
        let input = service::SignUp {
            email: input.email,
            password: input.password,
            name: input.name,
            organisation: input.organisation,
        };
        Ok(service::sign_up(ctx.state()?, &ctx.client(), input)
            .await?
            .into())
    }

    /// Proves the caller's address with the token of the mailed link. It needs a session of
    /// the account the link was sent for (UNAUTHENTICATED without one: the frontend asks to
    /// log in, then sends the token again), so that opening the link proves the same person
    /// holds the account and reads the address. Pending invitations to the address, with
    /// their roles, and earlier mails to it then become the account's. BAD_USER_INPUT on
    /// `token` when it is unknown, used, expired or another account's.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the link mailed to the address.")] token: String,
    ) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Account)?;
        address::verify(ctx.state()?, me, &token).await?;
        Ok(true)
    }

    /// Mails a new verification link (at most one every 5 minutes; `true` either way).
    /// CONFLICT when the address is already proven.
    async fn resend_verification_email(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Account)?;
        address::resend(ctx.state()?, me).await?;
        Ok(true)
    }

    /// Exchanges an email and password for a session token. An unknown address and a wrong
    /// password get the same UNAUTHENTICATED error. After 5 failures for one address (or 20
    /// from one client) within 15 minutes: TOO_MANY_REQUESTS until the window passes.
    async fn log_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's address.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> ApiResult<AuthPayload> {
        Ok(
            auth::service::log_in(ctx.state()?, &ctx.client(), email, password)
                .await?
                .into(),
        )
    }

    /// Replaces the caller's password (BAD_USER_INPUT on `currentPassword` when it is wrong).
    /// Every other session ends, pending reset links die and an enabled calendar feed gets a
    /// new secret URL; use the returned token from now on.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password in use now.")] current_password: String,
        #[graphql(desc = "The new password (at least 12 characters).")] new_password: String,
    ) -> ApiResult<AuthPayload> {
        let me = ctx.viewer().require(Access::Account)?;
        Ok(
            auth::service::change_password(ctx.state()?, me, current_password, new_password)
                .await?
                .into(),
        )
    }

    /// Ends every session of the caller, on every device, this one included; pending password
    /// reset links die too, and an enabled calendar feed gets a new secret URL.
    async fn log_out_everywhere(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Account)?;
        auth::service::log_out_everywhere(ctx.state()?, me).await?;
        Ok(true)
    }

    /// Mails a password reset link (valid one hour, usable once) if the address has an
    /// account. Always answers `true`: the answer tells nothing about which addresses exist.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The address to mail the reset link to (the answer is the same whether an account has it or not)."
        )]
        email: String,
    ) -> ApiResult<bool> {
        service::request_password_reset(ctx.state()?, email).await?;
        Ok(true)
    }

    /// Sets a new password with the token of a reset mail and logs in; every earlier session
    /// of the account ends. BAD_USER_INPUT on `token` when it is unknown, used or expired.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the reset link.")] token: String,
        #[graphql(desc = "The new password (at least 12 characters).")] password: String,
    ) -> ApiResult<AuthPayload> {
        Ok(service::reset_password(ctx.state()?, token, password)
            .await?
            .into())
    }

    /// Deletes the caller's account, after checking its password. Upcoming registrations are
    /// cancelled, every session ends, and the account keeps no personal data: its posts stay,
    /// signed "Former member". The last admin cannot leave (CONFLICT).
    async fn delete_my_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's password, to confirm.")] password: String,
    ) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Account)?;
        privacy::delete_account(ctx.state()?, me, password).await?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// Everything Klub holds about the caller, as one JSON document: account, registrations,
    /// club questions and votes, group memberships, threads, posts, invitations and mails.
    async fn my_data(&self, ctx: &Context<'_>) -> ApiResult<Json<serde_json::Value>> {
        let me = ctx.viewer().require(Access::Account)?;
        // It lists mails, whose status changes unannounced: this answer is never kept.
        crate::clock::read_unannounced_rows();
        Ok(Json(privacy::export(&ctx.state()?.db, me).await?))
    }
}
