//! How an activity admits people: questions at registration, staff's approval, seats offered
//! for a while, required consents. The rules are in `registrations::{admission, questions,
//! offers}` and `consents`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{consent_text, registration_answer, registration_question};

use crate::{
    consents,
    error::ApiResult,
    graphql::{
        activities::Activity, consents::ConsentPurpose, context::ContextExt, inputs::parse_id,
        people::User, registration::Registration,
    },
    people::Access,
    registrations::{
        admission::{self, Admission},
        offers,
        questions::{self, AnswerDraft, QuestionDraft},
        service,
    },
};

/// How a registration question is answered.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "registration_question::Kind")]
pub enum RegistrationQuestionKind {
    /// In words (`text`).
    Text,
    /// One of the question's choices (`choice`).
    Choice,
    /// Yes or no (`yes`).
    YesNo,
    /// A number (`number`).
    Number,
}

/// A question an activity asks at registration.
#[derive(SimpleObject)]
pub struct RegistrationQuestion {
    /// The question's id.
    id: ID,
    /// How it is answered.
    kind: RegistrationQuestionKind,
    /// The question.
    text: String,
    /// The options of a CHOICE question; null otherwise.
    choices: Option<Vec<String>>,
    /// Registering without answering it is refused.
    required: bool,
}

impl From<registration_question::Model> for RegistrationQuestion {
    fn from(question: registration_question::Model) -> Self {
        Self {
            id: ID(question.id.to_string()),
            kind: question.kind.into(),
            choices: (question.kind == registration_question::Kind::Choice)
                .then(|| questions::choices_of(&question)),
            text: question.text,
            required: question.required,
        }
    }
}

/// A registrant's answer to one question.
#[derive(SimpleObject)]
pub struct RegistrationAnswer {
    /// The question answered.
    question: RegistrationQuestion,
    /// TEXT: the answer.
    text: Option<String>,
    /// CHOICE: the choice made.
    choice: Option<String>,
    /// YES_NO: the answer.
    yes: Option<bool>,
    /// NUMBER: the answer.
    number: Option<f64>,
}

/// A question being set.
#[derive(InputObject)]
pub struct RegistrationQuestionInput {
    /// How it is answered.
    kind: RegistrationQuestionKind,
    /// The question (one line).
    text: String,
    /// CHOICE only: 2 to 20 different options.
    choices: Option<Vec<String>>,
    /// Whether registering requires an answer (false by default).
    required: Option<bool>,
}

/// One answer at registration: the field of the question's kind.
#[derive(InputObject)]
pub struct RegistrationAnswerInput {
    /// The question answered.
    question_id: ID,
    /// For a TEXT question.
    text: Option<String>,
    /// For a CHOICE question: one of its choices.
    choice: Option<String>,
    /// For a YES_NO question.
    yes: Option<bool>,
    /// For a NUMBER question.
    number: Option<f64>,
}

/// The answers as the registration rules take them.
pub fn answer_drafts(answers: Option<Vec<RegistrationAnswerInput>>) -> ApiResult<Vec<AnswerDraft>> {
    answers
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, a)| {
            Ok(AnswerDraft {
                question_id: parse_id(&format!("answers[{index}].questionId"), &a.question_id)?,
                text: a.text,
                choice: a.choice,
                yes: a.yes,
                number: a.number,
            })
        })
        .collect()
}

/// How an activity admits people; a field left out keeps its setting.
#[derive(InputObject)]
pub struct AdmissionInput {
    /// Registrations wait as PENDING for staff's decision.
    requires_approval: Option<bool>,
    /// A freed seat is offered to the first on the waiting list for this many hours (0 to
    /// 720, never past the start); 0 gives it at once.
    offer_hours: Option<i32>,
    /// The consents a registrant must have given (their texts published first).
    required_consents: Option<Vec<ConsentPurpose>>,
    /// The questions asked at registration (they replace the earlier ones until a
    /// registration answers them).
    questions: Option<Vec<RegistrationQuestionInput>>,
}

/// For one consent an activity requires: who of its registrants gave it and who did not.
#[derive(SimpleObject)]
pub struct ActivityConsent {
    /// The consent.
    purpose: ConsentPurpose,
    /// Registrants who gave it (to its current version).
    given: Vec<User>,
    /// Registrants who did not, or withdrew it.
    missing: Vec<User>,
}

impl Activity {
    pub(super) async fn questions_of(
        ctx: &Context<'_>,
        activity_id: i64,
    ) -> ApiResult<Vec<registration_question::Model>> {
        Ok(ctx
            .loaders()?
            .registration_questions()
            .load_one(activity_id)
            .await?
            .unwrap_or_default())
    }

    /// For each consent the activity requires, its active registrants who gave it and not.
    pub(super) async fn consents_of(&self, ctx: &Context<'_>) -> ApiResult<Vec<ActivityConsent>> {
        ctx.viewer().require(Access::Staff)?;
        let db = &ctx.state()?.db;
        let purposes = consents::parse_purposes(&self.0.required_consents);
        let registrants = service::active_registrants(db, self.0.id).await?;
        let given = consents::given_by(db, registrants.iter().map(|p| p.id), &purposes).await?;
        Ok(purposes
            .into_iter()
            .map(|purpose| {
                let who = given.get(&purpose);
                let (given, missing): (Vec<_>, Vec<_>) = registrants
                    .iter()
                    .cloned()
                    .partition(|p| who.is_some_and(|ids| ids.contains(&p.id)));
                ActivityConsent {
                    purpose: purpose.into(),
                    given: given.into_iter().map(User::new).collect(),
                    missing: missing.into_iter().map(User::new).collect(),
                }
            })
            .collect())
    }
}

impl Registration {
    /// Its answers, for its owner and staff.
    pub(super) async fn answers_of(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegistrationAnswer>> {
        if !ctx.viewer().is_self_or_staff(self.0.user_id) {
            return Err(crate::error::ApiError::Forbidden);
        }
        let loaders = ctx.loaders()?;
        let questions = Activity::questions_of(ctx, self.0.activity_id).await?;
        let answers: Vec<registration_answer::Model> = loaders
            .registration_answers()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(questions
            .into_iter()
            .filter_map(|question| {
                let answer = answers.iter().find(|a| a.question_id == question.id)?;
                Some(RegistrationAnswer {
                    text: answer.text.clone(),
                    choice: answer.choice.clone(),
                    yes: answer.yes,
                    number: answer.number,
                    question: question.into(),
                })
            })
            .collect())
    }
}

#[derive(Default)]
pub struct AdmissionMutation;

#[Object]
impl AdmissionMutation {
    /// Staff: how an activity admits people. Questions can be replaced until the first
    /// registration answers them (then CONFLICT).
    async fn set_admission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity.")] activity_id: ID,
        #[graphql(desc = "What changes.")] input: AdmissionInput,
    ) -> ApiResult<Activity> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let admission = Admission {
            requires_approval: input.requires_approval,
            offer_hours: input.offer_hours,
            required_consents: input.required_consents.map(|purposes| {
                purposes
                    .into_iter()
                    .map(consent_text::Purpose::from)
                    .collect()
            }),
            questions: input.questions.map(|questions| {
                questions
                    .into_iter()
                    .map(|q| QuestionDraft {
                        kind: q.kind.into(),
                        text: q.text,
                        choices: q.choices,
                        required: q.required.unwrap_or(false),
                    })
                    .collect()
            }),
        };
        let activity = admission::set(
            &state.db,
            parse_id("activityId", &activity_id)?,
            admission,
            staff,
            state.now(),
        )
        .await?;
        Ok(Activity(activity))
    }

    /// Staff: approves a PENDING registration (a seat, or the waiting list when full) or
    /// declines it (the reason is mailed). Not PENDING: CONFLICT.
    async fn decide_registration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The registration waiting for a decision.")] id: ID,
        #[graphql(desc = "True to approve, false to decline.")] approve: bool,
        #[graphql(desc = "Why it is declined (mailed to the person).")] reason: Option<String>,
    ) -> ApiResult<Registration> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let decided = admission::decide(
            &state.db,
            &state.mailer,
            parse_id("id", &id)?,
            approve,
            reason,
            staff,
            state.now(),
        )
        .await?;
        Ok(Registration(decided))
    }

    /// The person offered a seat (or staff) takes it or lets it go to the next on the
    /// waiting list. Not OFFERED, or after `offerExpiresAt`: CONFLICT.
    async fn answer_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The registration offered a seat.")] registration_id: ID,
        #[graphql(desc = "True to take the seat, false to let it go.")] accept: bool,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let answered = offers::answer(
            &state.db,
            &state.mailer,
            parse_id("registrationId", &registration_id)?,
            me,
            accept,
            state.now(),
        )
        .await?;
        Ok(Registration(answered))
    }
}
