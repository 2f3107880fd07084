//! Questions an activity asks at registration (which camera you bring, your dietary needs):
//! text, choice, yes/no or number, required or not. Staff set them until the first
//! registration answers them; each registrant answers once, with its registration.

use std::collections::{HashMap, HashSet};

use entity::{
    registration_answer,
    registration_question::{self, Kind},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::{
    error::{ApiError, ApiResult},
    followup::questionnaire::{MAX_QUESTION_CHARS, MAX_QUESTIONS, checked_choices, stored_choices},
    validation::{required_paragraph, required_text},
};

pub const MAX_TEXT_ANSWER_CHARS: usize = 2_000;

/// A question as staff write it.
pub struct QuestionDraft {
    pub kind: Kind,
    pub text: String,
    pub choices: Option<Vec<String>>,
    pub required: bool,
}

/// One answer as a registrant sends it: the value in the field of the question's kind.
pub struct AnswerDraft {
    pub question_id: i64,
    pub text: Option<String>,
    pub choice: Option<String>,
    pub yes: Option<bool>,
    pub number: Option<f64>,
}

/// The options of a CHOICE question.
pub fn choices_of(question: &registration_question::Model) -> Vec<String> {
    stored_choices(question.choices.as_deref())
}

/// The activity's questions, in order.
pub async fn of_activity(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Vec<registration_question::Model>> {
    Ok(registration_question::Entity::find()
        .filter(registration_question::Column::ActivityId.eq(activity_id))
        .order_by_asc(registration_question::Column::Position)
        .all(db)
        .await?)
}

fn checked(index: usize, draft: QuestionDraft) -> ApiResult<QuestionDraft> {
    let field = |name: &str| format!("questions[{index}].{name}");
    let text = required_text(&field("text"), draft.text, MAX_QUESTION_CHARS)?;
    let choices = checked_choices(&field("choices"), draft.kind == Kind::Choice, draft.choices)?;
    Ok(QuestionDraft {
        text,
        choices,
        ..draft
    })
}

/// Replaces the activity's questions, inside the caller's transaction, while no registration
/// has answered them (CONFLICT after).
pub async fn replace(
    tx: &impl ConnectionTrait,
    activity_id: i64,
    drafts: Vec<QuestionDraft>,
) -> ApiResult<()> {
    if drafts.len() > MAX_QUESTIONS {
        return Err(ApiError::bad_input(
            "questions",
            format!("at most {MAX_QUESTIONS} questions"),
        ));
    }
    let drafts = drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| checked(index, draft))
        .collect::<ApiResult<Vec<_>>>()?;
    let existing: Vec<i64> = of_activity(tx, activity_id)
        .await?
        .into_iter()
        .map(|q| q.id)
        .collect();
    let answered = registration_answer::Entity::find()
        .filter(registration_answer::Column::QuestionId.is_in(existing.iter().copied()))
        .count(tx)
        .await?;
    if answered > 0 {
        return Err(ApiError::conflict(
            "registrations have answered the questions: they can no longer change",
        ));
    }
    registration_question::Entity::delete_many()
        .filter(registration_question::Column::ActivityId.eq(activity_id))
        .exec(tx)
        .await?;
    for (position, draft) in drafts.into_iter().enumerate() {
        registration_question::ActiveModel {
            activity_id: Set(activity_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            kind: Set(draft.kind),
            text: Set(draft.text),
            choices: Set(draft
                .choices
                .map(|choices| serde_json::Value::from(choices).to_string())),
            required: Set(draft.required),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(())
}

/// Checks `answers` against the activity's `questions`: each names one of them once, with a
/// value of its kind (BAD_USER_INPUT on `answers[i].…`); when `complete`, every required
/// question is answered (BAD_USER_INPUT on `answers`, naming the question).
pub fn checked_answers(
    questions: &[registration_question::Model],
    answers: Vec<AnswerDraft>,
    complete: bool,
) -> ApiResult<Vec<AnswerDraft>> {
    let by_id: HashMap<i64, &registration_question::Model> =
        questions.iter().map(|q| (q.id, q)).collect();
    let mut seen = HashSet::new();
    let mut checked = Vec::with_capacity(answers.len());
    for (index, answer) in answers.into_iter().enumerate() {
        let field = |name: &str| format!("answers[{index}].{name}");
        let question = by_id.get(&answer.question_id).ok_or_else(|| {
            ApiError::bad_input(field("questionId"), "not a question of this activity")
        })?;
        if !seen.insert(answer.question_id) {
            return Err(ApiError::bad_input(field("questionId"), "answered twice"));
        }
        let takes = match question.kind {
            Kind::Text => "text",
            Kind::Choice => "choice",
            Kind::YesNo => "yes",
            Kind::Number => "number",
        };
        for (name, given) in [
            ("text", answer.text.is_some()),
            ("choice", answer.choice.is_some()),
            ("yes", answer.yes.is_some()),
            ("number", answer.number.is_some()),
        ] {
            if given != (name == takes) {
                return Err(ApiError::bad_input(
                    field(name),
                    format!("this question takes a `{takes}`"),
                ));
            }
        }
        let answer = match question.kind {
            Kind::Text => AnswerDraft {
                text: Some(required_paragraph(
                    &field("text"),
                    answer.text.unwrap_or_default(),
                    MAX_TEXT_ANSWER_CHARS,
                )?),
                ..answer
            },
            Kind::Choice => {
                if !answer
                    .choice
                    .as_ref()
                    .is_some_and(|choice| choices_of(question).contains(choice))
                {
                    return Err(ApiError::bad_input(
                        field("choice"),
                        "must be one of the question's choices",
                    ));
                }
                answer
            }
            Kind::Number => {
                if !answer.number.is_some_and(f64::is_finite) {
                    return Err(ApiError::bad_input(field("number"), "must be a number"));
                }
                answer
            }
            Kind::YesNo => answer,
        };
        checked.push(answer);
    }
    if complete
        && let Some(unanswered) = questions
            .iter()
            .find(|q| q.required && !seen.contains(&q.id))
    {
        return Err(ApiError::bad_input(
            "answers",
            format!(
                "question {} (« {} ») is required",
                unanswered.id, unanswered.text
            ),
        ));
    }
    Ok(checked)
}

/// Stores a registration's answers, inside the registering transaction.
pub async fn store(
    tx: &impl ConnectionTrait,
    registration_id: i64,
    answers: Vec<AnswerDraft>,
) -> ApiResult<()> {
    if answers.is_empty() {
        return Ok(());
    }
    registration_answer::Entity::insert_many(answers.into_iter().map(|answer| {
        registration_answer::ActiveModel {
            registration_id: Set(registration_id),
            question_id: Set(answer.question_id),
            text: Set(answer.text),
            choice: Set(answer.choice),
            yes: Set(answer.yes),
            number: Set(answer.number),
        }
    }))
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

/// An answer's value as text (for the registrations' sheet).
pub fn value_of(answer: &registration_answer::Model) -> String {
    answer
        .text
        .clone()
        .or_else(|| answer.choice.clone())
        .or_else(|| {
            answer
                .yes
                .map(|yes| if yes { "oui" } else { "non" }.to_owned())
        })
        .or_else(|| answer.number.map(|n| n.to_string()))
        .unwrap_or_default()
}
