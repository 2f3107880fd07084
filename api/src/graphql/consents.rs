//! Consents: the texts admins publish, and each person's consents, given and withdrawn as
//! easily. The rules are in `consents`.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use entity::consent_text;

use crate::{
    consents,
    error::ApiResult,
    graphql::{context::ContextExt, inputs::parse_id, scalars::Timestamp},
    people::Access,
};

/// What a consent is for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "consent_text::Purpose")]
pub enum ConsentPurpose {
    /// The privacy notice.
    Privacy,
    /// Photos and videos where the person appears may be published.
    ImageRights,
    /// The office's newsletter.
    Newsletter,
    /// Appearing in the partner directory.
    Directory,
}

/// One published version of a consent's text.
#[derive(SimpleObject)]
pub struct ConsentText {
    /// The version's id (what `giveConsent` takes).
    id: ID,
    /// What it is for.
    purpose: ConsentPurpose,
    /// 1, 2, 3… per purpose.
    version: i32,
    /// The text consented to.
    text: String,
    /// When it was published.
    published_at: Timestamp,
}

impl From<consent_text::Model> for ConsentText {
    fn from(text: consent_text::Model) -> Self {
        Self {
            id: ID(text.id.to_string()),
            purpose: text.purpose.into(),
            version: text.version,
            text: text.text,
            published_at: text.published_at.into(),
        }
    }
}

/// Where the caller stands on one purpose.
#[derive(SimpleObject)]
pub struct Consent {
    /// What it is for.
    purpose: ConsentPurpose,
    /// Given to the current version (a new version asks again).
    given: bool,
    /// When it was last given.
    given_at: Option<Timestamp>,
    /// When it was withdrawn, if that is the latest change.
    withdrawn_at: Option<Timestamp>,
    /// The version the latest change concerned; null if never answered.
    text: Option<ConsentText>,
}

impl From<consents::Standing> for Consent {
    fn from(standing: consents::Standing) -> Self {
        Self {
            purpose: standing.purpose.into(),
            given: standing.given,
            given_at: standing.given_at.map(Into::into),
            withdrawn_at: standing.withdrawn_at.map(Into::into),
            text: standing.text.map(Into::into),
        }
    }
}

async fn standing_of(ctx: &Context<'_>, purpose: consent_text::Purpose) -> ApiResult<Consent> {
    let me = ctx.viewer().require(Access::Account)?;
    let standing = consents::standing(&ctx.state()?.db, me).await?;
    Ok(standing
        .into_iter()
        .find(|s| s.purpose == purpose)
        .map(Into::into)
        .unwrap_or(Consent {
            purpose: purpose.into(),
            given: false,
            given_at: None,
            withdrawn_at: None,
            text: None,
        }))
}

#[derive(Default)]
pub struct ConsentQuery;

#[Object]
impl ConsentQuery {
    /// The current text of each purpose (anyone, signed in or not).
    async fn consent_texts(&self, ctx: &Context<'_>) -> ApiResult<Vec<ConsentText>> {
        let mut texts: Vec<_> = consents::current_texts(&ctx.state()?.db)
            .await?
            .into_values()
            .collect();
        texts.sort_by_key(|t| t.id);
        Ok(texts.into_iter().map(Into::into).collect())
    }

    /// The caller's consents, one per purpose that has a text.
    async fn my_consents(&self, ctx: &Context<'_>) -> ApiResult<Vec<Consent>> {
        let me = ctx.viewer().require(Access::Account)?;
        Ok(consents::standing(&ctx.state()?.db, me)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Admins: a new version of a consent's text. Consents given to an older version stay on
    /// record; those who gave them are asked by mail to consent to the new one.
    async fn publish_consent_text(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What it is for.")] purpose: ConsentPurpose,
        #[graphql(desc = "The text (at most 20,000 characters).")] text: String,
    ) -> ApiResult<ConsentText> {
        let viewer = ctx.viewer();
        let admin = viewer.admin()?;
        let state = ctx.state()?;
        let published = consents::publish(
            &state.db,
            &state.mailer,
            purpose.into(),
            text,
            admin,
            state.now(),
        )
        .await?;
        Ok(published.into())
    }

    /// Consents to a text, which must be its purpose's current version (else CONFLICT).
    async fn give_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version consented to (`consentTexts { id }`).")] text_id: ID,
    ) -> ApiResult<Consent> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let purpose =
            consents::give(&state.db, me, parse_id("textId", &text_id)?, state.now()).await?;
        standing_of(ctx, purpose).await
    }

    /// Withdraws a consent, at any time; kept on record with its time.
    async fn withdraw_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consent withdrawn.")] purpose: ConsentPurpose,
    ) -> ApiResult<Consent> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        consents::withdraw(&state.db, me, purpose.into(), state.now()).await?;
        standing_of(ctx, purpose.into()).await
    }
}
