//! The questionnaire engine: every questionnaire of an activity — the satisfaction survey at
//! the end, the cold one weeks later, the positioning before a training — is a `survey` with a
//! purpose, and this module is all they share: questions and their kinds, their validation,
//! answers recorded once per person, and anonymity. Each use adds only its own rules (who is
//! asked, when, who reads): `surveys` (END), `cold_surveys` (COLD), `learning::positioning`.
//!
//! An anonymous questionnaire keeps who answered apart from what was answered: the answers
//! carry no author, no time and a random id, so not even the database can put them back
//! together; results show only whole batches of respondents (`survey_results`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    activity,
    survey::{self, Purpose},
    survey_answer, survey_participation,
    survey_question::{self, Kind},
    user,
};
use rand::{Rng, seq::SliceRandom};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
    sea_query::{Expr, OnConflict},
};

use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    validation::{required_paragraph, required_text},
};

pub const MAX_QUESTIONS: usize = 30;
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_CHOICES: usize = 20;
pub const MAX_CHOICE_CHARS: usize = 200;
pub const MAX_TEXT_ANSWER_CHARS: usize = 5_000;
/// An anonymous questionnaire's results add up whole batches of this many respondents:
/// nothing shows before the fifth answer, and two readings never differ by one person's
/// answers.
pub const ANONYMITY_BATCH: u64 = 5;

/// A question as its author writes it.
pub struct QuestionDraft {
    pub kind: Kind,
    pub text: String,
    pub choices: Option<Vec<String>>,
}

/// One answer as a respondent sends it.
pub struct AnswerDraft {
    pub question_id: i64,
    pub rating: Option<i32>,
    pub text: Option<String>,
    pub choice: Option<String>,
}

/// What a use of the engine settles besides the questions.
#[derive(Default)]
pub struct Settings {
    /// None keeps what was set (false for a new questionnaire).
    pub anonymous: Option<bool>,
    pub weeks_after: Option<i32>,
}

/// The options of a CHOICE question.
pub fn choices_of(question: &survey_question::Model) -> Vec<String> {
    stored_choices(question.choices.as_deref())
}

/// The activity's questionnaire for `purpose`, if it has one.
pub async fn find(
    db: &impl ConnectionTrait,
    activity_id: i64,
    purpose: Purpose,
) -> ApiResult<Option<survey::Model>> {
    Ok(survey::Entity::find()
        .filter(survey::Column::ActivityId.eq(activity_id))
        .filter(survey::Column::Purpose.eq(purpose))
        .one(db)
        .await?)
}

/// The questionnaire `id` when it serves `purpose`; NOT_FOUND otherwise, so that one use's
/// operations never reach another's questionnaires.
pub async fn get(
    db: &impl ConnectionTrait,
    id: i64,
    purpose: Purpose,
    what: &'static str,
) -> ApiResult<survey::Model> {
    let found = crate::db::get::<survey::Entity>(db, id, what).await?;
    if found.purpose == purpose {
        Ok(found)
    } else {
        Err(ApiError::NotFound(what))
    }
}

pub fn questions_of(survey_id: i64) -> sea_orm::Select<survey_question::Entity> {
    survey_question::Entity::find()
        .filter(survey_question::Column::SurveyId.eq(survey_id))
        .order_by_asc(survey_question::Column::Position)
}

/// The questions of questionnaire `survey`, by id.
pub async fn questions_by_id(
    db: &impl ConnectionTrait,
    survey: i64,
) -> ApiResult<HashMap<i64, survey_question::Model>> {
    Ok(questions_of(survey)
        .all(db)
        .await?
        .into_iter()
        .map(|question| (question.id, question))
        .collect())
}

/// How many answered.
pub async fn response_count(db: &impl ConnectionTrait, survey_id: i64) -> ApiResult<u64> {
    Ok(survey_participation::Entity::find()
        .filter(survey_participation::Column::SurveyId.eq(survey_id))
        .count(db)
        .await?)
}

pub async fn has_answered(
    db: &impl ConnectionTrait,
    survey_id: i64,
    person: &user::Model,
) -> ApiResult<bool> {
    Ok(
        survey_participation::Entity::find_by_id((survey_id, person.id))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Who of `people` answered questionnaire `survey_id`.
pub async fn answered_among(
    db: &impl ConnectionTrait,
    survey_id: i64,
    people: impl IntoIterator<Item = i64>,
) -> ApiResult<HashSet<i64>> {
    Ok(survey_participation::Entity::find()
        .filter(survey_participation::Column::SurveyId.eq(survey_id))
        .filter(survey_participation::Column::UserId.is_in(people))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect())
}

/// The options of a question, checked: a choice question (`is_choice`) has 2 to
/// [`MAX_CHOICES`] different one-line options, any other question none. Every questionnaire
/// and the registration questions check them here.
pub fn checked_choices(
    field: &str,
    is_choice: bool,
    choices: Option<Vec<String>>,
) -> ApiResult<Option<Vec<String>>> {
    match (is_choice, choices) {
        (true, Some(choices)) => {
            let mut seen = HashSet::new();
            let choices = choices
                .into_iter()
                .map(|choice| required_text(field, choice, MAX_CHOICE_CHARS))
                .collect::<ApiResult<Vec<_>>>()?;
            if choices.len() < 2
                || choices.len() > MAX_CHOICES
                || !choices.iter().all(|c| seen.insert(c.clone()))
            {
                return Err(ApiError::bad_input(
                    field,
                    format!("2 to {MAX_CHOICES} different choices"),
                ));
            }
            Ok(Some(choices))
        }
        (true, None) => Err(ApiError::bad_input(
            field,
            "a CHOICE question needs its choices",
        )),
        (false, Some(_)) => Err(ApiError::bad_input(
            field,
            "only a CHOICE question has choices",
        )),
        (false, None) => Ok(None),
    }
}

/// The options stored with a question (a JSON array), as written.
pub fn stored_choices(json: Option<&str>) -> Vec<String> {
    json.and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

fn checked_questions(questions: Vec<QuestionDraft>) -> ApiResult<Vec<QuestionDraft>> {
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return Err(ApiError::bad_input(
            "questions",
            format!("a questionnaire has 1 to {MAX_QUESTIONS} questions"),
        ));
    }
    questions
        .into_iter()
        .enumerate()
        .map(|(index, question)| {
            let field = |name: &str| format!("questions[{index}].{name}");
            let text = required_text(&field("text"), question.text, MAX_QUESTION_CHARS)?;
            let choices = checked_choices(
                &field("choices"),
                question.kind == Kind::Choice,
                question.choices,
            )?;
            Ok(QuestionDraft {
                kind: question.kind,
                text,
                choices,
            })
        })
        .collect()
}

/// Sets the activity's questionnaire for `purpose`, inside the caller's transaction: its
/// questions replace any earlier ones until the first answer arrives (CONFLICT after), and a
/// promise of anonymity is never taken back. A cancelled activity asks nothing (CONFLICT).
pub async fn replace(
    tx: &impl ConnectionTrait,
    activity: &activity::Model,
    purpose: Purpose,
    questions: Vec<QuestionDraft>,
    settings: Settings,
    now: DateTime<Utc>,
) -> ApiResult<survey::Model> {
    let questions = checked_questions(questions)?;
    if activity.status == activity::Status::Cancelled {
        return Err(ApiError::conflict("the activity is cancelled"));
    }
    let survey = match find(tx, activity.id, purpose).await? {
        Some(existing) => {
            if response_count(tx, existing.id).await? > 0 {
                return Err(ApiError::conflict(
                    "the questionnaire has answers: it can no longer change",
                ));
            }
            // Anonymity is a promise to the respondents (the invitation and the form say
            // so): once made, it is never taken back.
            if existing.anonymous && settings.anonymous == Some(false) {
                return Err(ApiError::conflict(
                    "the survey was promised anonymous: that cannot be withdrawn",
                ));
            }
            survey_question::Entity::delete_many()
                .filter(survey_question::Column::SurveyId.eq(existing.id))
                .exec(tx)
                .await?;
            let mut active: survey::ActiveModel = existing.clone().into();
            active.anonymous = Set(settings.anonymous.unwrap_or(existing.anonymous));
            active.weeks_after = Set(settings.weeks_after);
            active.updated_at = Set(now);
            active.update(tx).await?
        }
        None => {
            survey::ActiveModel {
                activity_id: Set(activity.id),
                purpose: Set(purpose),
                anonymous: Set(settings.anonymous.unwrap_or(false)),
                weeks_after: Set(settings.weeks_after),
                invited_at: Set(None),
                reminded_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(tx)
            .await?
        }
    };
    for (position, question) in questions.into_iter().enumerate() {
        survey_question::ActiveModel {
            survey_id: Set(survey.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            kind: Set(question.kind),
            text: Set(question.text),
            choices: Set(question
                .choices
                .map(|choices| serde_json::Value::from(choices).to_string())),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(survey)
}

fn checked_answer(
    index: usize,
    answer: AnswerDraft,
    questions: &HashMap<i64, survey_question::Model>,
) -> ApiResult<AnswerDraft> {
    let field = |name: &str| format!("answers[{index}].{name}");
    let question = questions.get(&answer.question_id).ok_or_else(|| {
        ApiError::bad_input(field("questionId"), "not a question of this questionnaire")
    })?;
    let takes = match question.kind {
        Kind::Rating => "rating",
        Kind::Text => "text",
        Kind::Choice => "choice",
    };
    for (name, given) in [
        ("rating", answer.rating.is_some()),
        ("text", answer.text.is_some()),
        ("choice", answer.choice.is_some()),
    ] {
        if given && name != takes {
            return Err(ApiError::bad_input(
                field(name),
                format!("this question takes a `{takes}`, not a `{name}`"),
            ));
        }
    }
    match question.kind {
        Kind::Rating => match answer.rating {
            Some(1..=5) => Ok(answer),
            _ => Err(ApiError::bad_input(
                field("rating"),
                "must be between 1 and 5",
            )),
        },
        Kind::Text => {
            let text = required_paragraph(
                &field("text"),
                answer.text.unwrap_or_default(),
                MAX_TEXT_ANSWER_CHARS,
            )?;
            Ok(AnswerDraft {
                text: Some(text),
                ..answer
            })
        }
        Kind::Choice => match &answer.choice {
            Some(choice) if choices_of(question).contains(choice) => Ok(answer),
            _ => Err(ApiError::bad_input(
                field("choice"),
                "must be one of the question's choices",
            )),
        },
    }
}

/// Records `person`'s answers, once (CONFLICT after). The caller has checked that the person
/// may answer. Questions may be skipped; each is answered at most once.
pub async fn record(
    db: &DatabaseConnection,
    survey: &survey::Model,
    person: &user::Model,
    answers: Vec<AnswerDraft>,
) -> ApiResult<()> {
    if answers.is_empty() {
        return Err(ApiError::bad_input(
            "answers",
            "answer at least one question",
        ));
    }
    let questions = questions_by_id(db, survey.id).await?;
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(answers.len());
    for (index, answer) in answers.into_iter().enumerate() {
        let row = checked_answer(index, answer, &questions)?;
        if !seen.insert(row.question_id) {
            return Err(ApiError::bad_input(
                format!("answers[{index}].questionId"),
                "answered twice",
            ));
        }
        rows.push(row);
    }
    let tx = begin_write(db).await?;
    // The questionnaire's row is locked first: answers arriving together are numbered in
    // turn, so every batch holds exactly ANONYMITY_BATCH respondents.
    survey::Entity::update_many()
        .col_expr(survey::Column::Id, Expr::col(survey::Column::Id))
        .filter(survey::Column::Id.eq(survey.id))
        .exec(&tx)
        .await?;
    let first = survey_participation::Entity::insert(survey_participation::ActiveModel {
        survey_id: Set(survey.id),
        user_id: Set(person.id),
    })
    .on_conflict(
        OnConflict::columns([
            survey_participation::Column::SurveyId,
            survey_participation::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if first != 1 {
        return Err(ApiError::conflict(
            "you have answered this questionnaire already",
        ));
    }
    let answered_before = response_count(&tx, survey.id).await?.saturating_sub(1);
    let batch = i32::try_from(answered_before / ANONYMITY_BATCH).unwrap_or(i32::MAX);
    // Shuffled so that not even the order of the rows pairs answers across questions.
    rows.shuffle(&mut rand::rng());
    for row in rows {
        let id = rand::rng().random_range(1..i64::MAX);
        survey_answer::ActiveModel {
            id: Set(id),
            survey_id: Set(survey.id),
            question_id: Set(row.question_id),
            respondent_id: Set((!survey.anonymous).then_some(person.id)),
            rating: Set(row.rating),
            text: Set(row.text),
            choice: Set(row.choice),
            batch: Set(batch),
        }
        .insert(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
