//! What a survey's answers show, and to whom: results by question and the answers' sheet, an
//! anonymous survey's only by whole batches of respondents.

use std::collections::HashMap;

use entity::{
    survey, survey_answer,
    survey_question::{self, Kind},
    user,
};
use rand::seq::SliceRandom;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::questionnaire::{
    ANONYMITY_BATCH, choices_of, questions_by_id, questions_of, response_count,
};
use crate::error::ApiResult;

/// What a question's answers add up to.
pub struct QuestionResults {
    pub question: survey_question::Model,
    pub average_rating: Option<f64>,
    /// RATING: how many gave 1, 2, 3, 4 and 5.
    pub rating_counts: Option<Vec<i32>>,
    /// CHOICE: each choice with its count, in the question's order.
    pub choice_counts: Option<Vec<(String, i32)>>,
    /// TEXT: the answers, in random order.
    pub texts: Option<Vec<String>>,
}

/// How many respondents the results add up: all of them, or for an anonymous survey whole
/// batches of [`ANONYMITY_BATCH`] only (none before the fifth).
pub async fn respondents_shown(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
) -> ApiResult<u64> {
    let answered = response_count(db, survey.id).await?;
    Ok(if survey.anonymous {
        answered / ANONYMITY_BATCH * ANONYMITY_BATCH
    } else {
        answered
    })
}

/// The answers of the respondents [`respondents_shown`] counts.
async fn shown_answers(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
) -> ApiResult<Vec<survey_answer::Model>> {
    let mut answers =
        survey_answer::Entity::find().filter(survey_answer::Column::SurveyId.eq(survey.id));
    if survey.anonymous {
        let whole_batches = respondents_shown(db, survey).await? / ANONYMITY_BATCH;
        answers = answers.filter(
            survey_answer::Column::Batch.lt(i32::try_from(whole_batches).unwrap_or(i32::MAX)),
        );
    }
    Ok(answers.all(db).await?)
}

pub async fn results(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
) -> ApiResult<Vec<QuestionResults>> {
    let questions = questions_of(survey.id).all(db).await?;
    let answers = shown_answers(db, survey).await?;
    let mut rng = rand::rng();
    Ok(questions
        .into_iter()
        .map(|question| {
            let answers_to_question: Vec<&survey_answer::Model> = answers
                .iter()
                .filter(|a| a.question_id == question.id)
                .collect();
            let mut result = QuestionResults {
                average_rating: None,
                rating_counts: None,
                choice_counts: None,
                texts: None,
                question,
            };
            match result.question.kind {
                Kind::Rating => {
                    let ratings: Vec<i32> = answers_to_question
                        .iter()
                        .filter_map(|a| a.rating)
                        .collect();
                    let mut counts = vec![0; 5];
                    for rating in &ratings {
                        if let Some(count) = usize::try_from(rating - 1)
                            .ok()
                            .and_then(|i| counts.get_mut(i))
                        {
                            *count += 1;
                        }
                    }
                    result.average_rating = (!ratings.is_empty()).then(|| {
                        f64::from(ratings.iter().sum::<i32>())
                            / crate::numbers::real_len(ratings.len())
                    });
                    result.rating_counts = Some(counts);
                }
                Kind::Choice => {
                    result.choice_counts = Some(
                        choices_of(&result.question)
                            .into_iter()
                            .map(|choice| {
                                let count = answers_to_question
                                    .iter()
                                    .filter(|a| a.choice.as_deref() == Some(choice.as_str()))
                                    .count();
                                (choice, i32::try_from(count).unwrap_or(i32::MAX))
                            })
                            .collect(),
                    );
                }
                Kind::Text => {
                    let mut texts: Vec<String> = answers_to_question
                        .iter()
                        .filter_map(|a| a.text.clone())
                        .collect();
                    texts.shuffle(&mut rng);
                    result.texts = Some(texts);
                }
            }
            result
        })
        .collect())
}

/// The survey's answers as CSV ([`answer_rows`]): question and answer, and who answered
/// unless the survey is anonymous. Served to staff and put in a training's file.
pub async fn csv(db: &impl ConnectionTrait, survey: &survey::Model) -> ApiResult<Vec<u8>> {
    let mut sheet = crate::safe_csv::SafeCsv::default();
    let heading: &[&str] = if survey.anonymous {
        &["question", "answer"]
    } else {
        &["question", "answer", "respondent"]
    };
    sheet.row(heading)?;
    for row in answer_rows(db, survey).await? {
        let cells = if survey.anonymous {
            &row[..2]
        } else {
            &row[..]
        };
        sheet.row(cells)?;
    }
    sheet.finish()
}

/// Every answer shown ([`respondents_shown`]), for the CSV: question, answer, and the
/// respondent's name unless anonymous (then the rows are shuffled).
pub async fn answer_rows(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
) -> ApiResult<Vec<[String; 3]>> {
    let questions = questions_by_id(db, survey.id).await?;
    let answers = shown_answers(db, survey).await?;
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(answers.iter().filter_map(|a| a.respondent_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut rows: Vec<(i32, [String; 3])> = answers
        .into_iter()
        .filter_map(|a| {
            let question = questions.get(&a.question_id)?;
            let value = a
                .rating
                .map(|r| r.to_string())
                .or(a.choice)
                .or(a.text)
                .unwrap_or_default();
            let who = a
                .respondent_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default();
            Some((question.position, [question.text.clone(), value, who]))
        })
        .collect();
    rows.shuffle(&mut rand::rng());
    if !survey.anonymous {
        rows.sort_by(|a, b| (a.0, &a.1[2]).cmp(&(b.0, &b.1[2])));
    } else {
        rows.sort_by_key(|row| row.0);
    }
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}
