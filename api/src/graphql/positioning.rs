//! Positioning before a training: its trainers or staff set the questions, each trainee
//! answers once, its trainers and staff read the answers by name. The rules are in
//! `learning::positioning`; the questions are the questionnaire engine's.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::survey;

use crate::{
    error::ApiResult,
    followup::questionnaire,
    graphql::{
        activities::Activity,
        context::ContextExt,
        followup::{SurveyAnswerInput, SurveyQuestion, SurveyQuestionInput, answer_drafts},
        inputs::parse_id,
        registration::Registration,
    },
    learning::positioning,
    people::Access,
    training::policy,
};

pub struct Positioning {
    model: survey::Model,
    /// Whether the caller answered, when already known.
    answered: Option<bool>,
}

impl Positioning {
    /// The activity's positioning, if set.
    pub async fn of(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Option<Self>> {
        let db = &ctx.state()?.db;
        Ok(
            questionnaire::find(db, activity_id, survey::Purpose::Positioning)
                .await?
                .map(|model| Self {
                    model,
                    answered: None,
                }),
        )
    }
}

/// One answer of a trainee.
#[derive(SimpleObject)]
pub struct PositioningAnswer {
    /// The question answered.
    question: SurveyQuestion,
    /// RATING: 1 to 5.
    rating: Option<i32>,
    /// TEXT: the answer.
    text: Option<String>,
    /// CHOICE: the choice made.
    choice: Option<String>,
}

/// One trainee's answers.
#[derive(SimpleObject)]
pub struct PositioningResponse {
    /// The trainee's registration (its `user` names it).
    registration: Registration,
    /// Its answers, in the questions' order.
    answers: Vec<PositioningAnswer>,
}

/// Where each trainee starts, asked before a training so that its trainers adapt it.
#[Object]
impl Positioning {
    /// The positioning's id.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// The training it prepares.
    async fn activity(&self, ctx: &Context<'_>) -> ApiResult<Activity> {
        Ok(Activity(
            ctx.loaders()?.activity(self.model.activity_id).await?,
        ))
    }
    /// Its questions, in order.
    async fn questions(&self, ctx: &Context<'_>) -> ApiResult<Vec<SurveyQuestion>> {
        SurveyQuestion::of(ctx, self.model.id).await
    }
    /// Whether the caller has answered.
    async fn answered(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Account)?;
        match self.answered {
            Some(answered) => Ok(answered),
            None => questionnaire::has_answered(&ctx.state()?.db, self.model.id, me).await,
        }
    }
    /// Its activity's trainers and staff only: each trainee's answers, by name.
    async fn responses(&self, ctx: &Context<'_>) -> ApiResult<Vec<PositioningResponse>> {
        let me = ctx.viewer().require(Access::Account)?;
        let db = &ctx.state()?.db;
        policy::require_keeps_sheets(db, me, self.model.activity_id).await?;
        Ok(positioning::responses(db, &self.model)
            .await?
            .into_iter()
            .map(|response| PositioningResponse {
                registration: Registration(response.registration),
                answers: response
                    .answers
                    .into_iter()
                    .map(|(question, answer)| PositioningAnswer {
                        question: question.into(),
                        rating: answer.rating,
                        text: answer.text,
                        choice: answer.choice,
                    })
                    .collect(),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PositioningQuery;

#[Object]
impl PositioningQuery {
    /// The positionings the caller is asked to answer: those of the trainings where it holds a
    /// seat, until their first session ends, each with whether it answered.
    async fn my_positionings(&self, ctx: &Context<'_>) -> ApiResult<Vec<Positioning>> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        Ok(positioning::mine(&state.db, me, state.now())
            .await?
            .into_iter()
            .map(|(model, answered)| Positioning {
                model,
                answered: Some(answered),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PositioningMutation;

#[Object]
impl PositioningMutation {
    /// Its activity's trainers and staff: the positioning questions (they replace the earlier
    /// ones while nobody has answered), before the first session ends. Each confirmed
    /// registrant is asked by mail, and reminded 3 days before the first session.
    async fn set_positioning(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The training it prepares.")] activity_id: ID,
        #[graphql(desc = "The questions, in order.")] questions: Vec<SurveyQuestionInput>,
    ) -> ApiResult<Positioning> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let model = positioning::set(
            &state.db,
            parse_id("activityId", &activity_id)?,
            questions.into_iter().map(Into::into).collect(),
            me,
            state.now(),
        )
        .await?;
        Ok(Positioning {
            model,
            answered: None,
        })
    }

    /// A confirmed registrant answers, once (again: CONFLICT), until the first session ends
    /// (then CONFLICT); anyone else: FORBIDDEN. Questions may be skipped.
    async fn answer_positioning(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The positioning answered.")] positioning_id: ID,
        #[graphql(desc = "One answer per question answered.")] answers: Vec<SurveyAnswerInput>,
    ) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Account)?;
        let answers = answer_drafts(answers)?;
        let state = ctx.state()?;
        positioning::answer(
            &state.db,
            parse_id("positioningId", &positioning_id)?,
            me,
            answers,
            state.now(),
        )
        .await?;
        Ok(true)
    }
}
