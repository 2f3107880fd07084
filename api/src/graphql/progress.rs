use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::assessment;

use crate::progress::{
    assessments::{self, Subject},
    report::{self, Report},
};
use crate::{
    diagnostics::service as diagnostics,
    error::{ApiError, ApiResult},
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::scalars::Timestamp,
    graphql::{
        activities::{Activity, ActivityKind},
        diagnostics::Axis,
    },
    people::Access,
};

/// One answer to a question of the self-diagnostic.
#[derive(InputObject)]
pub struct AnswerInput {
    /// The question.
    pub question_id: ID,
    /// The option chosen.
    pub option_id: ID,
}

/// A score on one axis.
#[derive(SimpleObject)]
pub struct AxisScore {
    /// The axis.
    axis: Axis,
    /// 0..100: the points scored over the most possible.
    score: f64,
}

pub struct Assessment(assessment::Model);

/// A self-diagnostic taken, never changed afterwards.
#[Object]
impl Assessment {
    /// The assessment's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When it was taken.
    async fn taken_at(&self) -> Timestamp {
        self.0.taken_at.into()
    }
    /// 0..100: the mean of the axis scores.
    async fn score(&self) -> f64 {
        self.0.score
    }
    /// The score on each axis of the version taken.
    async fn axis_scores(&self, ctx: &Context<'_>) -> ApiResult<Vec<AxisScore>> {
        Ok(assessments::axis_scores(&ctx.state()?.db, self.0.id)
            .await?
            .into_iter()
            .map(|(axis, score)| AxisScore {
                axis: Axis::new(axis),
                score,
            })
            .collect())
    }
    /// Upcoming activities the caller may join that work on the assessment's two weakest
    /// axes, soonest first (at most 10).
    async fn recommendations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Activity>> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        Ok(
            assessments::recommendations(&state.db, self.0.id, me, state.now())
                .await?
                .into_iter()
                .map(Activity)
                .collect(),
        )
    }
}

/// The network on one axis of the current diagnostic.
#[derive(SimpleObject)]
pub struct NetworkScore {
    /// The axis.
    axis: Axis,
    /// The mean of the latest score of each organisation a trained person belongs to; null
    /// below 5 organisations, and moved only once 5 organisations changed, so nobody's score
    /// can be read back, by throw-away accounts or by comparing two readings.
    average_score: Option<f64>,
    /// How many organisations (or partners without one) the average counts.
    organisations: i64,
}

/// A partner's progress: assessments, scores and what to do next.
#[derive(SimpleObject)]
pub struct Progress {
    /// Oldest first: the caller's organisation's (its own without one).
    assessments: Vec<Assessment>,
    /// The network's average on each axis, to compare with.
    network: Vec<NetworkScore>,
}

/// One kind of activity over the period.
#[derive(SimpleObject)]
pub struct KindReport {
    /// The kind of activity.
    kind: ActivityKind,
    /// Activities of this kind COMPLETED, of the period.
    held: i64,
    /// Their CONFIRMED registrations.
    registrations: i64,
    /// Of those registrations, the share that attended at least one session; null without any.
    attendance_rate: Option<f64>,
}

/// The average change on one axis of the current diagnostic.
#[derive(SimpleObject)]
pub struct MaturityReport {
    /// The axis.
    axis: Axis,
    /// Later score minus earlier score, averaged over the organisations counted; null without
    /// any.
    average_change: Option<f64>,
    /// Organisations (or partners without one) assessed twice in or around the period: from
    /// their latest assessment before it (else their first within it) to their latest before
    /// its end.
    organisations: i64,
}

/// The programme over a period. An activity belongs to the period of its first session;
/// held means COMPLETED.
#[derive(SimpleObject)]
pub struct ProgrammeReport {
    /// The start of the period (included).
    from: Timestamp,
    /// The end of the period (excluded).
    to: Timestamp,
    /// Activities of the period COMPLETED.
    activities_held: i64,
    /// Activities of the period CANCELLED.
    activities_cancelled: i64,
    /// Of those, cancelled by the server because too few had registered at the deadline.
    cancelled_for_too_few_participants: i64,
    /// CONFIRMED registrations to the held activities.
    registrations: i64,
    /// Those registrations over the held activities' seats; null without held activities.
    fill_rate: Option<f64>,
    /// Registrants of the held activities who attended at least one session, over their
    /// confirmed registrations; null without any.
    attendance_rate: Option<f64>,
    /// Confirmed registrants of the held activities who attended no session.
    no_shows: i64,
    /// Partners who became trained in the period.
    newly_trained: i64,
    /// Partners who, in the period, attended a session, posted in a group or asked a club
    /// question.
    active_partners: i64,
    /// Club questions asked in the period.
    club_questions_asked: i64,
    /// Of those, answered.
    club_questions_answered: i64,
    /// Questions opened in the groups in the period.
    group_questions: i64,
    /// Of those, the share first answered within the opening-hours target
    /// (`KLUB_ANSWER_TARGET_MINUTES`); null without questions.
    group_questions_answered_in_target: Option<f64>,
    /// The median wall-clock time to the first answer of those answered; null without any.
    median_first_response_minutes: Option<f64>,
    /// PAID payments of the period's activities (refunds aside: cancelled registrations).
    revenue_cents: i64,
    /// FUNDED payments of the period's activities, likewise.
    funded_cents: i64,
    /// Complaints filed in the period.
    complaints_filed: i64,
    /// Complaints whose answer was due in the period and not given by then.
    complaints_overdue: i64,
    /// The figures by kind of activity.
    by_kind: Vec<KindReport>,
    /// The network's scores by axis.
    maturity: Vec<MaturityReport>,
}

impl From<Report> for ProgrammeReport {
    fn from(r: Report) -> Self {
        Self {
            from: r.from.into(),
            to: r.to.into(),
            activities_held: r.activities_held,
            activities_cancelled: r.activities_cancelled,
            cancelled_for_too_few_participants: r.cancelled_for_too_few_participants,
            registrations: r.registrations,
            fill_rate: r.fill_rate(),
            attendance_rate: r.attendance_rate(),
            no_shows: r.no_shows(),
            newly_trained: r.newly_trained,
            active_partners: r.active_partners,
            club_questions_asked: r.club_questions_asked,
            club_questions_answered: r.club_questions_answered,
            group_questions: r.group_questions,
            group_questions_answered_in_target: r.group_questions_answered_in_target(),
            median_first_response_minutes: r.median_first_response_seconds.map(|s| s / 60.0),
            revenue_cents: r.revenue_cents,
            funded_cents: r.funded_cents,
            complaints_filed: r.complaints_filed,
            complaints_overdue: r.complaints_overdue,
            by_kind: r
                .by_kind
                .into_iter()
                .map(|k| KindReport {
                    kind: k.kind.into(),
                    held: k.held,
                    registrations: k.registrations,
                    attendance_rate: report::rate(k.attended, k.registrations),
                })
                .collect(),
            maturity: r
                .maturity
                .into_iter()
                .map(|m| MaturityReport {
                    axis: Axis::new(m.axis),
                    average_change: m.average_change,
                    organisations: m.organisations,
                })
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct ProgressQuery;

#[Object]
impl ProgressQuery {
    /// The caller's assessments, oldest first, and the network's anonymous averages.
    async fn my_progress(&self, ctx: &Context<'_>) -> ApiResult<Progress> {
        let me = ctx.viewer().require(Access::Member)?;
        let db = &ctx.state()?.db;
        let subject = Subject::of(db, me).await?;
        Ok(Progress {
            assessments: assessments::history(db, subject)
                .await?
                .into_iter()
                .map(Assessment)
                .collect(),
            network: assessments::network(db)
                .await?
                .into_iter()
                .map(|n| NetworkScore {
                    axis: Axis::new(n.axis),
                    average_score: n.average,
                    organisations: n.organisations,
                })
                .collect(),
        })
    }

    /// Staff only: the programme over [from, to). Monthly, as a page with charts:
    /// `/reports/{yyyy-mm}.html` (and `.csv`).
    async fn programme_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The start of the period (included).")] from: Timestamp,
        #[graphql(desc = "The end of the period (excluded).")] to: Timestamp,
    ) -> ApiResult<ProgrammeReport> {
        ctx.viewer().require(Access::Staff)?;
        let (from, to) = (from.into(), to.into());
        if to <= from {
            return Err(ApiError::bad_input("to", "must come after `from`"));
        }
        let state = ctx.state()?;
        Ok(
            report::programme(&state.db, from, to, state.config.answer_target)
                .await?
                .into(),
        )
    }
}

#[derive(Default)]
pub struct ProgressMutation;

#[Object]
impl ProgressMutation {
    /// A partner assesses its organisation (itself when it has none): every question of the
    /// current version answered once (else BAD_USER_INPUT naming the question). Never
    /// changed afterwards.
    async fn submit_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version answered.")] diagnostic_id: ID,
        #[graphql(desc = "One chosen option per question.")] answers: Vec<AnswerInput>,
    ) -> ApiResult<Assessment> {
        let me = ctx.viewer().require(Access::Member)?;
        let answers = answers
            .iter()
            .enumerate()
            .map(|(index, a)| {
                Ok((
                    parse_id(&format!("answers[{index}].questionId"), &a.question_id)?,
                    parse_id(&format!("answers[{index}].optionId"), &a.option_id)?,
                ))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let state = ctx.state()?;
        Ok(Assessment(
            assessments::submit(
                &state.db,
                me,
                parse_id("diagnosticId", &diagnostic_id)?,
                answers,
                state.now(),
            )
            .await?,
        ))
    }

    /// Staff only: which maturity axes an activity works on (replacing what it had).
    async fn tag_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity.")] activity_id: ID,
        #[graphql(
            desc = "The axes of the self-diagnostic the activity works on (they replace the earlier ones)."
        )]
        axis_ids: Vec<ID>,
    ) -> ApiResult<Activity> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let axis_ids = axis_ids
            .iter()
            .map(|id| parse_id("axisIds", id))
            .collect::<ApiResult<Vec<_>>>()?;
        let state = ctx.state()?;
        Ok(Activity(
            diagnostics::tag_activity(
                &state.db,
                parse_id("activityId", &activity_id)?,
                axis_ids,
                staff,
            )
            .await?,
        ))
    }
}
