use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{
    activity, reminder_rule,
    survey::{self, Purpose},
    survey_question,
};

use crate::followup::{
    self, cold_surveys, messages,
    questionnaire::{self, AnswerDraft, QuestionDraft},
    reminders, survey_invitations, survey_results, surveys,
};
use crate::{
    error::ApiResult, graphql::activities::Activity, graphql::context::ContextExt,
    graphql::inputs::parse_id, graphql::scalars::Timestamp, people::Access,
};

/// Who of an activity's people a message or a reminder reaches.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "followup::RecipientFilter")]
pub enum RecipientFilter {
    /// Holding a seat.
    Confirmed,
    /// On the waiting list.
    Waitlisted,
    /// Attended at least one session.
    Attended,
    /// Confirmed, attended none.
    NoShow,
}

/// What a reminder's offset counts from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "reminder_rule::Anchor")]
pub enum ReminderAnchor {
    /// Before the first session starts.
    BeforeStart,
    /// After the last session ends.
    AfterEnd,
}

/// How a survey question is answered.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "survey_question::Kind")]
pub enum SurveyQuestionKind {
    /// 1 to 5.
    Rating,
    /// In words.
    Text,
    /// One of the question's choices.
    Choice,
}

pub struct Reminder {
    rule: reminder_rule::Model,
    activity: activity::Model,
}

/// A reminder rule of an activity.
#[Object]
impl Reminder {
    /// The rule's id.
    async fn id(&self) -> ID {
        ID(self.rule.id.to_string())
    }
    /// What the offset counts from.
    async fn anchor(&self) -> ReminderAnchor {
        self.rule.anchor.into()
    }
    /// Hours before the start or after the end.
    async fn offset_hours(&self) -> i32 {
        self.rule.offset_hours
    }
    /// When it sends for the activity's dates as they are now (it moves with them).
    async fn sends_at(&self) -> Timestamp {
        reminders::sends_at(&self.rule, &self.activity).into()
    }
    /// Who of the activity's people receive it.
    async fn to(&self) -> Vec<RecipientFilter> {
        followup::RecipientFilter::split(&self.rule.recipients)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    /// What the reminder says.
    async fn message(&self) -> Option<&str> {
        self.rule.message.as_deref()
    }
}

impl Reminder {
    /// The activity's rules, through the request's DataLoader.
    pub async fn of(ctx: &Context<'_>, activity: &activity::Model) -> ApiResult<Vec<Self>> {
        let rules = ctx
            .loaders()?
            .reminder_rules()
            .load_one(activity.id)
            .await?;
        Ok(rules
            .unwrap_or_default()
            .into_iter()
            .map(|rule| Self {
                rule,
                activity: activity.clone(),
            })
            .collect())
    }
}

pub struct Survey {
    model: survey::Model,
    /// Whether the caller answered, when already known.
    answered: Option<bool>,
}

impl Survey {
    /// The activity's survey, through the request's DataLoader.
    pub async fn of(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Option<Self>> {
        let found = ctx.loaders()?.surveys().load_one(activity_id).await?;
        Ok(found
            .and_then(|rows| rows.into_iter().next())
            .map(Self::new))
    }

    /// The activity's cold survey.
    pub async fn cold_of(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Option<Self>> {
        let db = &ctx.state()?.db;
        Ok(questionnaire::find(db, activity_id, Purpose::Cold)
            .await?
            .map(Self::new))
    }

    fn new(model: survey::Model) -> Self {
        Self {
            model,
            answered: None,
        }
    }
}

/// When a satisfaction survey is asked.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SurveyPurpose {
    /// When the activity completes.
    End,
    /// Weeks after the activity ended.
    Cold,
}

/// A question of a survey.
#[derive(SimpleObject)]
pub struct SurveyQuestion {
    /// The question's id.
    id: ID,
    /// How it is answered.
    kind: SurveyQuestionKind,
    /// The question.
    text: String,
    /// The options of a CHOICE question; null otherwise.
    choices: Option<Vec<String>>,
}

impl From<survey_question::Model> for SurveyQuestion {
    fn from(question: survey_question::Model) -> Self {
        Self {
            id: ID(question.id.to_string()),
            kind: question.kind.into(),
            choices: (question.kind == survey_question::Kind::Choice)
                .then(|| questionnaire::choices_of(&question)),
            text: question.text,
        }
    }
}

impl SurveyQuestion {
    /// The questions of any questionnaire (`surveys` row), in order.
    pub async fn of(ctx: &Context<'_>, survey_id: i64) -> ApiResult<Vec<Self>> {
        Ok(questionnaire::questions_of(survey_id)
            .all(&ctx.state()?.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// How many chose one choice.
#[derive(SimpleObject)]
pub struct ChoiceCount {
    /// The choice.
    choice: String,
    /// How many chose it.
    count: i32,
}

/// What the answers to one question add up to.
#[derive(SimpleObject)]
pub struct QuestionResult {
    /// The question.
    question: SurveyQuestion,
    /// RATING: the mean of the ratings; null without any.
    average_rating: Option<f64>,
    /// RATING: how many answered 1, 2, 3, 4 and 5.
    rating_counts: Option<Vec<i32>>,
    /// CHOICE: every choice with how many picked it.
    choice_counts: Option<Vec<ChoiceCount>>,
    /// TEXT: the answers, in random order.
    texts: Option<Vec<String>>,
}

/// A satisfaction survey of an activity, at its end or weeks later.
#[Object]
impl Survey {
    /// The survey's id.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Nobody, staff included, can tell who answered what; shown to respondents before they
    /// answer. Once promised, it is never withdrawn.
    async fn anonymous(&self) -> bool {
        self.model.anonymous
    }
    /// When it is asked: at the end of the activity, or weeks later.
    async fn purpose(&self) -> SurveyPurpose {
        match self.model.purpose {
            Purpose::Cold => SurveyPurpose::Cold,
            Purpose::End | Purpose::Positioning => SurveyPurpose::End,
        }
    }
    /// A cold survey: when it is (or was) sent, moving with the activity's dates until then.
    /// Null for the survey at the end, sent when the activity completes.
    async fn sends_at(&self, ctx: &Context<'_>) -> ApiResult<Option<Timestamp>> {
        if self.model.weeks_after.is_none() {
            return Ok(None);
        }
        let activity = ctx.loaders()?.activity(self.model.activity_id).await?;
        Ok(cold_surveys::sends_at(&self.model, &activity).map(Into::into))
    }
    /// The activity it follows.
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
        let me = ctx.viewer().require(Access::Member)?;
        match self.answered {
            Some(answered) => Ok(answered),
            None => questionnaire::has_answered(&ctx.state()?.db, self.model.id, me).await,
        }
    }
    /// Staff only: how many answered.
    async fn response_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        ctx.viewer().require(Access::Staff)?;
        questionnaire::response_count(&ctx.state()?.db, self.model.id).await
    }
    /// Staff only: how many respondents `results` adds up. All of them, or for an anonymous
    /// survey whole groups of five: nothing before the fifth answer, and two readings never
    /// differ by a single person's answers.
    async fn respondents_shown(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        ctx.viewer().require(Access::Staff)?;
        survey_results::respondents_shown(&ctx.state()?.db, &self.model).await
    }
    /// Staff only: the answers of `respondentsShown` respondents added up per question. Also as
    /// CSV at `/activities/{id}/survey.csv`.
    async fn results(&self, ctx: &Context<'_>) -> ApiResult<Vec<QuestionResult>> {
        ctx.viewer().require(Access::Staff)?;
        Ok(survey_results::results(&ctx.state()?.db, &self.model)
            .await?
            .into_iter()
            .map(|r| QuestionResult {
                question: r.question.into(),
                average_rating: r.average_rating,
                rating_counts: r.rating_counts,
                choice_counts: r.choice_counts.map(|counts| {
                    counts
                        .into_iter()
                        .map(|(choice, count)| ChoiceCount { choice, count })
                        .collect()
                }),
                texts: r.texts,
            })
            .collect())
    }
}

/// A question of a survey being set.
#[derive(InputObject)]
pub struct SurveyQuestionInput {
    /// How it is answered.
    pub kind: SurveyQuestionKind,
    /// The question (one line).
    pub text: String,
    /// CHOICE only: 2 to 20 different options.
    pub choices: Option<Vec<String>>,
}

impl From<SurveyQuestionInput> for QuestionDraft {
    fn from(question: SurveyQuestionInput) -> Self {
        Self {
            kind: question.kind.into(),
            text: question.text,
            choices: question.choices,
        }
    }
}

/// The answers as the questionnaire engine takes them.
pub fn answer_drafts(answers: Vec<SurveyAnswerInput>) -> ApiResult<Vec<AnswerDraft>> {
    answers
        .into_iter()
        .enumerate()
        .map(|(index, a)| {
            Ok(AnswerDraft {
                question_id: parse_id(&format!("answers[{index}].questionId"), &a.question_id)?,
                rating: a.rating,
                text: a.text,
                choice: a.choice,
            })
        })
        .collect()
}

/// One answer: `rating` for a RATING question, `text` for TEXT, `choice` for CHOICE.
#[derive(InputObject)]
pub struct SurveyAnswerInput {
    /// The question answered.
    pub question_id: ID,
    /// For a RATING question: 1 to 5.
    pub rating: Option<i32>,
    /// For a TEXT question: the answer (a paragraph).
    pub text: Option<String>,
    /// For a CHOICE question: one of its choices.
    pub choice: Option<String>,
}

/// What a message to an activity's people did.
#[derive(SimpleObject)]
pub struct MessageReceipt {
    /// How many people the message was written to.
    recipients: i32,
}

#[derive(Default)]
pub struct FollowUpQuery;

#[Object]
impl FollowUpQuery {
    /// The surveys the caller is invited to answer: those of the completed activities it
    /// attended, newest first.
    async fn my_surveys(&self, ctx: &Context<'_>) -> ApiResult<Vec<Survey>> {
        let me = ctx.viewer().require(Access::Member)?;
        Ok(survey_invitations::invited(&ctx.state()?.db, me)
            .await?
            .into_iter()
            .map(|(model, answered)| Survey {
                model,
                answered: Some(answered),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct FollowUpMutation;

#[Object]
impl FollowUpMutation {
    /// Staff: one mail to each person of the activity matching any filter, in their language's
    /// layout; recorded in the audit log.
    async fn message_registrants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity whose people are written to.")] activity_id: ID,
        #[graphql(desc = "Who of its people receive the message (any of these).")] to: Vec<
            RecipientFilter,
        >,
        #[graphql(desc = "The mail's subject (one line).")] subject: String,
        #[graphql(desc = "The mail's text (a paragraph).")] body: String,
    ) -> ApiResult<MessageReceipt> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let sent = messages::message_registrants(
            &state.db,
            &state.mailer,
            parse_id("activityId", &activity_id)?,
            to.into_iter().map(Into::into).collect(),
            subject,
            body,
            staff,
            state.now(),
        )
        .await?;
        Ok(MessageReceipt {
            recipients: i32::try_from(sent).unwrap_or(i32::MAX),
        })
    }

    /// Staff: a reminder `offsetHours` (0 to 2160) before the first session starts or after
    /// the last one ends, to the people matching `to`; once per person, moved with the dates.
    async fn add_reminder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity the reminder belongs to.")] activity_id: ID,
        #[graphql(
            desc = "Whether the reminder is counted from the first session's start or the last one's end."
        )]
        anchor: ReminderAnchor,
        #[graphql(desc = "How many hours before the start or after the end it leaves.")]
        offset_hours: i32,
        #[graphql(desc = "Who of the activity's people receive it (any of these).")] to: Vec<
            RecipientFilter,
        >,
        #[graphql(desc = "What the reminder says (a paragraph).")] message: Option<String>,
    ) -> ApiResult<Reminder> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let (rule, activity) = reminders::add(
            &state.db,
            parse_id("activityId", &activity_id)?,
            anchor.into(),
            offset_hours,
            to.into_iter().map(Into::into).collect(),
            message,
            staff,
            state.now(),
        )
        .await?;
        Ok(Reminder { rule, activity })
    }

    /// Staff: the rule sends no more.
    async fn remove_reminder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reminder rule to remove.")] id: ID,
    ) -> ApiResult<bool> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        reminders::remove(&state.db, parse_id("id", &id)?, staff, state.now()).await
    }

    /// Staff: the activity's feedback form, replacing its questions, until the first answer
    /// (CONFLICT after). `anonymous` defaults to false, or to what it was.
    async fn set_survey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity the survey follows.")] activity_id: ID,
        #[graphql(
            desc = "The questions, in order (they replace the earlier ones while nobody has answered)."
        )]
        questions: Vec<SurveyQuestionInput>,
        #[graphql(
            desc = "Whether answers are shown without names, by groups of five; a promise never withdrawn."
        )]
        anonymous: Option<bool>,
    ) -> ApiResult<Survey> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let model = surveys::set(
            &state.db,
            &state.mailer,
            parse_id("activityId", &activity_id)?,
            questions.into_iter().map(Into::into).collect(),
            anonymous,
            staff,
            state.now(),
        )
        .await?;
        Ok(Survey::new(model))
    }

    /// Staff: a second satisfaction survey, sent `weeksAfter` weeks after the activity ends to
    /// those who attended, with one reminder a week later to whoever has not answered.
    /// Editable until it is sent (then CONFLICT).
    async fn set_cold_survey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity it follows.")] activity_id: ID,
        #[graphql(desc = "The questions, in order.")] questions: Vec<SurveyQuestionInput>,
        #[graphql(desc = "Weeks after the activity's end it is sent: 1 to 52.")] weeks_after: i32,
        #[graphql(
            desc = "Whether answers are shown without names, by groups of five; a promise never withdrawn."
        )]
        anonymous: Option<bool>,
    ) -> ApiResult<Survey> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let model = cold_surveys::set(
            &state.db,
            parse_id("activityId", &activity_id)?,
            questions.into_iter().map(Into::into).collect(),
            weeks_after,
            anonymous,
            staff,
            state.now(),
        )
        .await?;
        Ok(Survey::new(model))
    }

    /// An attendee of the completed activity answers, once (again: CONFLICT); anyone else:
    /// FORBIDDEN. Questions may be skipped.
    async fn answer_survey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The survey answered.")] survey_id: ID,
        #[graphql(desc = "One answer per question answered.")] answers: Vec<SurveyAnswerInput>,
    ) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Member)?;
        let answers = answer_drafts(answers)?;
        let state = ctx.state()?;
        surveys::answer(&state.db, parse_id("surveyId", &survey_id)?, me, answers).await?;
        Ok(true)
    }
}
