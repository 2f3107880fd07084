//! The registration type, kept with the activity that lists its registrations
//! (`Activity.registrations`, `Activity.myRegistration`); the rules that register and cancel
//! are in `registrations`.

use async_graphql::{Context, Enum, ID, Object};
use entity::registration;

use crate::{
    activities::seats,
    graphql::{activities::Activity, admission::RegistrationAnswer},
    payments::Payment,
};
use crate::{
    error::ApiResult, graphql::context::ContextExt, graphql::learning::ObjectiveResult,
    graphql::people::User, graphql::scalars::Timestamp, people::Access,
};

/// Where a registration stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "registration::Status")]
pub enum RegistrationStatus {
    /// Has a seat.
    Confirmed,
    /// Waits for a seat; `position` says where.
    Waitlisted,
    /// Cancelled by its owner, by staff, or with its activity; or a seat offered and let go.
    Cancelled,
    /// Waits for staff's decision (the activity requires approval); holds no seat.
    Pending,
    /// Staff said no; `declineReason` says why.
    Declined,
    /// A freed seat held for the person until `offerExpiresAt`: `answerOffer` takes it.
    Offered,
}

pub struct Registration(pub registration::Model);

/// A person's place at an activity.
#[Object]
impl Registration {
    /// The registration's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where it stands.
    async fn status(&self) -> RegistrationStatus {
        self.0.status.into()
    }
    /// 1 for the first in line; null unless WAITLISTED.
    async fn position(&self) -> Option<i32> {
        self.0.position
    }
    /// When it was made.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    /// True when the registrant attended every session so far.
    async fn attended(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let loaders = ctx.loaders()?;
        let sessions = loaders
            .sessions()
            .load_one(self.0.activity_id)
            .await?
            .unwrap_or_default();
        let attended: Vec<i64> = loaders
            .attendances()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .iter()
            .map(|a| a.session_id)
            .collect();
        Ok(seats::attended_so_far(
            &sessions,
            &attended,
            ctx.state()?.now(),
        ))
    }

    /// How many sessions the registrant attended.
    async fn attended_sessions(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let attended = ctx.loaders()?.attendances().load_one(self.0.id).await?;
        Ok(i32::try_from(attended.map_or(0, |rows| rows.len())).unwrap_or(i32::MAX))
    }

    /// The activity.
    async fn activity(&self, ctx: &Context<'_>) -> ApiResult<Activity> {
        Ok(Activity(ctx.loaders()?.activity(self.0.activity_id).await?))
    }

    /// How it is settled: null for a free activity, and for a registration that holds no
    /// seat and paid nothing.
    async fn payment(&self, ctx: &Context<'_>) -> ApiResult<Option<Payment>> {
        let loaders = ctx.loaders()?;
        let activity = loaders.activity(self.0.activity_id).await?;
        let record = loaders
            .payments()
            .load_one(self.0.id)
            .await?
            .and_then(|rows| rows.into_iter().next());
        Ok(Payment::of(&self.0, &activity, record))
    }

    /// How far the trainee mastered each objective of the programme, as its trainers or
    /// staff judged it at the end (`recordEvaluation`), by objective. The trainee, staff and
    /// the activity's trainers only (FORBIDDEN for anyone else).
    async fn evaluation(&self, ctx: &Context<'_>) -> ApiResult<Vec<ObjectiveResult>> {
        let me = ctx.viewer().require(Access::Account)?;
        if me.id != self.0.user_id {
            crate::training::policy::require_keeps_sheets(&ctx.state()?.db, me, self.0.activity_id)
                .await?;
        }
        let rows = ctx
            .loaders()?
            .evaluations()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(ObjectiveResult::from).collect())
    }

    /// While OFFERED: when the seat passes to the next on the waiting list.
    async fn offer_expires_at(&self) -> Option<Timestamp> {
        self.0.offer_expires_at.map(Into::into)
    }

    /// Once DECLINED: staff's reason, as mailed.
    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }

    /// Its answers to the activity's registration questions, in the questions' order. Its
    /// owner and staff only (FORBIDDEN for anyone else).
    async fn answers(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegistrationAnswer>> {
        self.answers_of(ctx).await
    }

    /// The person registered.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.user_id).await?))
    }
}
