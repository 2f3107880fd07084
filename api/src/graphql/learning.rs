//! The learning loop's surface: complaints, evaluation against the programme's objectives, and
//! the training body's year. The rules are in `learning`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{complaint, evaluation as judged};

use crate::{
    error::ApiResult,
    graphql::{
        activities::Activity,
        connections::{Direction, Page, PageArgs, page_cost, paginate},
        context::ContextExt,
        inputs::parse_id,
        people::User,
        registration::Registration,
        scalars::Timestamp,
    },
    learning::{
        complaints::{self, Answer, NewComplaint},
        evaluation::{self, Judgement},
        year,
    },
    people::Access,
};

/// How far a trainee mastered an objective.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "judged::Mastery")]
pub enum Mastery {
    /// Mastered.
    Acquired,
    /// On the way.
    InProgress,
    /// Not mastered.
    NotAcquired,
}

/// One objective's judgement.
#[derive(InputObject)]
pub struct EvaluationInput {
    /// The objective's index in the programme's objectives, from 0.
    objective: i32,
    /// How far it is mastered.
    mastery: Mastery,
}

/// How far a trainee mastered one objective of its training's programme.
#[derive(SimpleObject)]
pub struct ObjectiveResult {
    /// The objective's index in the programme's objectives, from 0.
    objective: i32,
    /// How far it is mastered.
    mastery: Mastery,
}

impl From<judged::Model> for ObjectiveResult {
    fn from(row: judged::Model) -> Self {
        Self {
            objective: row.objective,
            mastery: row.mastery.into(),
        }
    }
}

/// Where a complaint stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "complaint::Status")]
pub enum ComplaintStatus {
    /// Waiting for staff's answer.
    Open,
    /// Answered; its author may still write back.
    Answered,
    /// Answered and closed.
    Closed,
}

pub struct Complaint(complaint::Model);

/// A complaint about an activity or the service, and staff's answer.
#[Object]
impl Complaint {
    /// The complaint's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What it is about, in a line.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// What its author wrote.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Open, answered or closed.
    async fn status(&self) -> ComplaintStatus {
        self.0.status.into()
    }

    /// Whether it still waits for an answer past its deadline (`KLUB_COMPLAINT_DAYS`).
    async fn overdue(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(complaints::overdue(&self.0, ctx.state()?.now()))
    }

    /// When it was filed.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When staff must have answered.
    async fn due_at(&self) -> Timestamp {
        Timestamp(self.0.due_at)
    }

    /// Staff's answer, once given.
    async fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }

    /// When staff answered.
    async fn answered_at(&self) -> Option<Timestamp> {
        self.0.answered_at.map(Timestamp)
    }

    /// What changed because of it, as staff recorded it.
    async fn actions(&self) -> Option<&str> {
        self.0.actions.as_deref()
    }

    /// The activity it is about, if any.
    async fn activity(&self, ctx: &Context<'_>) -> ApiResult<Option<Activity>> {
        match self.0.activity_id {
            Some(id) => Ok(Some(Activity(ctx.loaders()?.activity(id).await?))),
            None => Ok(None),
        }
    }

    /// Who filed it.
    async fn author(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.author_id).await?))
    }
}

/// One source of funding's figures in a year.
#[derive(SimpleObject)]
pub struct FunderYear {
    /// The funder a FUNDED payment names (UNNAMED when it names none); SELF for trainees who
    /// paid; NONE for free or waived places.
    funder: String,
    /// Trainees who attended at least part of a training.
    trainees: i64,
    /// Hours realised by those trainees, added up.
    hours_trainees: f64,
    /// What was paid, in cents.
    amount_cents: i64,
}

/// A training body's figures for a calendar year (France's "bilan pédagogique et financier").
#[derive(SimpleObject)]
pub struct TrainingYear {
    /// Trainings with a session in the year that someone attended.
    activities: i64,
    /// Trainees who attended at least part of one.
    trainees: i64,
    /// Hours realised by trainees, added up (signed half-days, or whole sessions).
    hours_trainees: f64,
    /// The same by source of funding, with the amounts.
    by_funder: Vec<FunderYear>,
    /// Where the same figures are downloaded as CSV (staff bearer token).
    csv_url: String,
}

#[derive(Default)]
pub struct LearningQuery;

#[Object]
impl LearningQuery {
    /// The complaints the caller filed, newest first.
    async fn my_complaints(&self, ctx: &Context<'_>) -> ApiResult<Vec<Complaint>> {
        let me = ctx.viewer().require(Access::Account)?;
        let rows = complaints::of_author(me.id).all(&ctx.state()?.db).await?;
        Ok(rows.into_iter().map(Complaint).collect())
    }

    /// Staff only: every complaint (optionally of one status), the most urgent first: those
    /// waiting for an answer by deadline (the overdue ones on top), then the answered ones.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only complaints in this status.")] status: Option<ComplaintStatus>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<(DateTime<Utc>, i64), Complaint>> {
        ctx.viewer().staff()?;
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            complaints::all(status.map(Into::into)),
            (complaint::Column::SortKey, complaint::Column::Id),
            Direction::Ascending,
            args,
            |row| (row.sort_key, row.id),
            Complaint,
        )
        .await
    }

    /// Staff only: the training body's figures for a calendar year, in the office's time zone.
    async fn training_year(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The calendar year, e.g. 2026.")] year: i32,
    ) -> ApiResult<TrainingYear> {
        ctx.viewer().staff()?;
        let state = ctx.state()?;
        let figures = year::figures(&state.db, year, state.config.timezone).await?;
        Ok(TrainingYear {
            activities: figures.activities,
            trainees: figures.trainees,
            hours_trainees: figures.hours_trainees,
            by_funder: figures
                .by_funder
                .into_iter()
                .map(|funder| FunderYear {
                    funder: funder.funder,
                    trainees: funder.trainees,
                    hours_trainees: funder.hours_trainees,
                    amount_cents: funder.amount_cents,
                })
                .collect(),
            csv_url: format!("{}/training-years/{year}.csv", state.config.public_url),
        })
    }
}

#[derive(Default)]
pub struct LearningMutation;

#[Object]
impl LearningMutation {
    /// Anyone signed in: files a complaint about an activity it sees, or the service. It is
    /// acknowledged by mail and staff are told at once.
    async fn file_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What it is about, in a line (at most 200 characters).")] subject: String,
        #[graphql(desc = "What happened (at most 10,000 characters).")] body: String,
        #[graphql(desc = "The activity it is about, if any.")] activity_id: Option<ID>,
    ) -> ApiResult<Complaint> {
        let me = ctx.viewer().require(Access::Account)?;
        let activity_id = activity_id
            .map(|id| parse_id("activityId", &id))
            .transpose()?;
        let new = NewComplaint {
            subject,
            body,
            activity_id,
        };
        Ok(Complaint(complaints::file(ctx.state()?, me, new).await?))
    }

    /// Staff only: answers a complaint; the answer is mailed to its author. Answering again
    /// replaces the answer (and mails it again).
    async fn answer_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint.")] id: ID,
        #[graphql(desc = "The answer mailed to its author.")] answer: String,
        #[graphql(desc = "What changed because of it.")] actions: Option<String>,
        #[graphql(desc = "Close it (CLOSED) rather than leave it ANSWERED.")] close: Option<bool>,
    ) -> ApiResult<Complaint> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let given = Answer {
            answer,
            actions,
            close: close.unwrap_or(false),
        };
        let answered = complaints::answer(ctx.state()?, parse_id("id", &id)?, given, staff).await?;
        Ok(Complaint(answered))
    }

    /// Its activity's trainers and staff, from the last session's start: how far a trainee
    /// mastered each objective given (recording again replaces those judgements).
    async fn record_evaluation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The trainee's registration.")] registration_id: ID,
        #[graphql(desc = "One judgement per objective.")] results: Vec<EvaluationInput>,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let results: Vec<Judgement> = results
            .into_iter()
            .map(|result| Judgement {
                objective: result.objective,
                mastery: result.mastery.into(),
            })
            .collect();
        let registration = evaluation::record(
            &state.db,
            parse_id("registrationId", &registration_id)?,
            &results,
            me,
            state.now(),
        )
        .await?;
        Ok(Registration(registration))
    }
}
