use async_graphql::{Context, Object, SimpleObject};
use entity::certificate;

use crate::certificates::hours;
use crate::{
    error::ApiResult, graphql::activities::Activity, graphql::context::ContextExt,
    graphql::scalars::Timestamp, people::Access,
};

pub struct Certificate(certificate::Model);

/// A certificate of attendance.
#[Object]
impl Certificate {
    /// What a funder checks with `verifyCertificate`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// The length of the sessions attended.
    async fn hours_attended(&self) -> f64 {
        hours(self.0.minutes_attended)
    }
    /// When it was issued.
    async fn issued_at(&self) -> Timestamp {
        self.0.issued_at.into()
    }
    /// The PDF, for its holder and staff (with their bearer token).
    async fn url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(format!(
            "{}/certificates/{}.pdf",
            ctx.state()?.config.public_url,
            self.0.number
        ))
    }
    /// The activity completed.
    async fn activity(&self, ctx: &Context<'_>) -> ApiResult<Activity> {
        Ok(Activity(ctx.loaders()?.activity(self.0.activity_id).await?))
    }
}

/// What anyone may learn from a certificate's number: nothing but this.
#[derive(SimpleObject)]
pub struct CertificateCheck {
    /// Whether the number belongs to a certificate Klub issued.
    valid: bool,
    /// Who holds it.
    holder_name: Option<String>,
    /// The activity completed.
    activity_title: Option<String>,
    /// The hours attended.
    hours_attended: Option<f64>,
    /// When it was issued.
    issued_at: Option<Timestamp>,
}

#[derive(Default)]
pub struct CertificateQuery;

#[Object]
impl CertificateQuery {
    /// The caller's certificates, newest first.
    async fn my_certificates(&self, ctx: &Context<'_>) -> ApiResult<Vec<Certificate>> {
        let me = ctx.viewer().require(Access::Member)?;
        Ok(crate::certificates::of_holder(&ctx.state()?.db, me)
            .await?
            .into_iter()
            .map(Certificate)
            .collect())
    }

    /// Anyone with a number (a training fund, an employer) checks it: valid or not, and then
    /// the holder's name, the activity, the hours and the date — nothing else.
    async fn verify_certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(max_length = 64),
            desc = "The number printed on the certificate."
        )]
        number: String,
    ) -> ApiResult<CertificateCheck> {
        let state = ctx.state()?;
        let Some(issued) = crate::certificates::by_number(&state.db, &number).await? else {
            return Ok(CertificateCheck {
                valid: false,
                holder_name: None,
                activity_title: None,
                hours_attended: None,
                issued_at: None,
            });
        };
        let loaders = ctx.loaders()?;
        let holder = loaders.user(issued.user_id).await?;
        let activity = loaders.activity(issued.activity_id).await?;
        Ok(CertificateCheck {
            valid: true,
            holder_name: Some(holder.name),
            activity_title: Some(activity.title),
            hours_attended: Some(hours(issued.minutes_attended)),
            issued_at: Some(issued.issued_at.into()),
        })
    }
}
