use async_graphql::{Context, ID, InputObject, Object};

use crate::club::{
    season::SeasonRule,
    service::{self, Season},
};
use crate::{
    error::ApiResult,
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::scalars::Timestamp,
    graphql::{activities::Activity, club_question::ClubQuestion},
    people::Access,
};

/// A season of monthly club meetings.
#[derive(InputObject)]
pub struct ScheduleClubSeasonInput {
    /// The meetings' title (one line).
    pub title: String,
    /// The first meeting; later ones keep its local wall-clock time.
    pub first_meeting_at: Timestamp,
    /// How long each meeting lasts.
    pub duration_minutes: i32,
    /// How many meetings (1..12), one a month; skipped months do not count.
    pub meetings: i32,
    /// How many seats each meeting has.
    pub capacity: i32,
    /// Where the meetings take place (one line).
    pub location: Option<String>,
    /// True (default): the same nth weekday as the first meeting (e.g. every second Tuesday);
    /// false: the same day of the month. A missing day falls back to the month's last.
    pub by_weekday: Option<bool>,
    /// Months (1..12) without a meeting, e.g. the high season.
    pub skip_months: Option<Vec<i32>>,
}

#[derive(Default)]
pub struct ClubMutation;

#[Object]
impl ClubMutation {
    /// Staff only: creates and publishes the season's meetings (CLUB_MEETING, for trained
    /// partners), one a month, at the same local time in the office's time zone.
    async fn schedule_club_season(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The season's rule: which day of the month, at what time, from when to when."
        )]
        input: ScheduleClubSeasonInput,
    ) -> ApiResult<Vec<Activity>> {
        let me = ctx.viewer().staff()?;
        let season = Season {
            title: input.title,
            rule: SeasonRule {
                first: input.first_meeting_at.into(),
                meetings: u32::try_from(input.meetings).unwrap_or(0),
                by_weekday: input.by_weekday.unwrap_or(true),
                skip_months: input
                    .skip_months
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| u32::try_from(m).unwrap_or(0))
                    .collect(),
            },
            duration_minutes: input.duration_minutes,
            capacity: input.capacity,
            location: input.location,
        };
        let meetings = service::schedule_season(ctx.state()?, season, me).await?;
        Ok(meetings.into_iter().map(Activity).collect())
    }

    /// Trained partners and staff: brings a question to a club meeting.
    async fn ask_club_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The club meeting.")] meeting_id: ID,
        #[graphql(desc = "The question (a paragraph).")] text: String,
    ) -> ApiResult<ClubQuestion> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let meeting_id = parse_id("meetingId", &meeting_id)?;
        Ok(ClubQuestion(
            service::ask(&state.db, meeting_id, me, text, state.now()).await?,
        ))
    }

    /// Trained partners and staff: one vote per person and question (voting again changes
    /// nothing).
    async fn vote_club_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question voted for (once per person).")] question_id: ID,
    ) -> ApiResult<ClubQuestion> {
        let me = ctx.viewer().require(Access::Member)?;
        let question_id = parse_id("questionId", &question_id)?;
        Ok(ClubQuestion(
            service::vote(&ctx.state()?.db, question_id, me).await?,
        ))
    }

    /// Staff only: marks a question handled, with an optional short answer.
    async fn answer_club_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question answered.")] question_id: ID,
        #[graphql(desc = "The answer given at the meeting (a paragraph).")] answer: Option<String>,
    ) -> ApiResult<ClubQuestion> {
        ctx.viewer().require(Access::Staff)?;
        let question_id = parse_id("questionId", &question_id)?;
        Ok(ClubQuestion(
            service::answer(&ctx.state()?.db, question_id, answer).await?,
        ))
    }
}
