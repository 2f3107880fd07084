use async_graphql::{Context, ID, Object};
use entity::registration;

use crate::registrations::{policy::Placement, service};
use crate::{
    error::ApiResult,
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::{
        admission::{RegistrationAnswerInput, answer_drafts},
        payments::PaymentStatus,
        registration::Registration,
    },
    payments,
    people::Access,
    people::service as people,
};

#[derive(Default)]
pub struct RegistrationQuery;

#[Object]
impl RegistrationQuery {
    /// The caller's registrations, oldest first, cancelled ones included.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn my_registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Registration>> {
        let me = ctx.viewer().require(Access::Member)?;
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            service::of_user(me.id),
            registration::Column::Id,
            Direction::Ascending,
            args,
            |r| r.id,
            Registration,
        )
        .await
    }

    /// Staff only: confirmed registrations to paid activities still DUE, oldest first. The
    /// accountant's CSV: `/payments.csv?from=…&to=…` (or `activity=<id>`).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn unpaid_registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Registration>> {
        ctx.viewer().require(Access::Staff)?;
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            payments::unpaid(),
            registration::Column::Id,
            Direction::Ascending,
            args,
            |r| r.id,
            Registration,
        )
        .await
    }
}

#[derive(Default)]
pub struct RegistrationMutation;

#[Object]
impl RegistrationMutation {
    /// Registers the caller (or, for staff, `userId`). A full activity puts the registration on
    /// the waiting list with its position; one requiring approval leaves it PENDING for staff;
    /// registering twice returns the active registration. A required question unanswered or a
    /// wrong value: BAD_USER_INPUT naming the answer; a required consent not given: FORBIDDEN
    /// with `extensions.consents` naming what to ask for. Staff placing someone skip approval,
    /// questions and consents.
    async fn register_for_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity to register for.")] activity_id: ID,
        #[graphql(
            desc = "Someone else to register (staff, or a manager for a colleague); by default the caller."
        )]
        user_id: Option<ID>,
        #[graphql(
            desc = "Answers to the activity's registration questions (the required ones must be answered)."
        )]
        answers: Option<Vec<RegistrationAnswerInput>>,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let activity_id = parse_id("activityId", &activity_id)?;
        let answers = answer_drafts(answers)?;
        let registrant_id = match user_id {
            Some(id) => parse_id("userId", &id)?,
            None => me.id,
        };
        let placement = Placement::of(me, registrant_id)?;
        let registrant = match placement {
            Placement::Themselves => me.clone(),
            _ => people::get(&state.db, registrant_id).await?,
        };
        let registration = service::register(
            &state.db,
            &state.mailer,
            activity_id,
            &registrant,
            placement,
            answers,
            state.now(),
        )
        .await?;
        Ok(Registration(registration))
    }

    /// The owner or staff. Cancelling a CONFIRMED seat promotes the first WAITLISTED
    /// registration.
    async fn cancel_registration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The registration to cancel.")] id: ID,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let id = parse_id("id", &id)?;
        Ok(Registration(
            service::cancel(&state.db, &state.mailer, id, me, state.now()).await?,
        ))
    }

    /// The caller's private calendar feed: a new URL (an earlier one stops working) listing
    /// the sessions of its confirmed registrations, to subscribe to in a calendar app.
    async fn reset_calendar_feed(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let secret = crate::registrations::feed::reset(&state.db, me).await?;
        Ok(crate::people::calendar_feed_url(
            &state.config.public_url,
            &secret,
        ))
    }

    /// Turns the caller's calendar feed off.
    async fn revoke_calendar_feed(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Member)?;
        crate::registrations::feed::revoke(&ctx.state()?.db, me).await?;
        Ok(true)
    }

    /// Staff only: how a confirmed registration to a paid activity is settled (FUNDED names
    /// its `funder`); recording again replaces it. Audited.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The confirmed registration to a paid activity.")] registration_id: ID,
        #[graphql(desc = "How it was settled.")] status: PaymentStatus,
        #[graphql(desc = "Who funded it (required when FUNDED).")] funder: Option<String>,
        #[graphql(desc = "An invoice, transfer or funding file number.")] reference: Option<String>,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let registration = payments::record(
            &state.db,
            parse_id("registrationId", &registration_id)?,
            status.into(),
            funder,
            reference,
            me,
            state.now(),
        )
        .await?;
        Ok(Registration(registration))
    }

    /// Staff only. With `sessionId`: attendance at that session; without: at every session.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The registration whose attendance is recorded.")] registration_id: ID,
        #[graphql(desc = "Whether the person attended.")] attended: bool,
        #[graphql(desc = "The session (by default, every session of the activity).")]
        session_id: Option<ID>,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let registration_id = parse_id("registrationId", &registration_id)?;
        let session_id = session_id
            .map(|id| parse_id("sessionId", &id))
            .transpose()?;
        let registration = service::record_attendance(
            &state.db,
            registration_id,
            attended,
            session_id,
            me,
            state.now(),
        )
        .await?;
        Ok(Registration(registration))
    }
}
