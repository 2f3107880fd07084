//! Feedback after an activity. Staff set the questions (editable until the first answer); the
//! attendees are invited when the activity completes and answer once. An anonymous survey
//! keeps who answered apart from what was answered: the answers carry no author, no time and
//! a random id, so not even the database can put them back together.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    activity, registration, survey, survey_answer, survey_participation,
    survey_question::{self, Kind},
    user,
};
use minijinja::context;
use rand::{Rng, seq::SliceRandom};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
    sea_query::{Expr, OnConflict},
};

use super::audience::{attendees, present};
use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::Staff,
    validation::{required_paragraph, required_text},
};

pub const MAX_QUESTIONS: usize = 30;
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_CHOICES: usize = 20;
pub const MAX_CHOICE_CHARS: usize = 200;
pub const MAX_TEXT_ANSWER_CHARS: usize = 5_000;
/// An anonymous survey's results add up whole batches of this many respondents: nothing
/// shows before the fifth answer, and two readings never differ by one person's answers.
pub const ANONYMITY_BATCH: u64 = 5;

/// A question as staff write it.
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

/// The options of a CHOICE question.
pub fn choices_of(question: &survey_question::Model) -> Vec<String> {
    question
        .choices
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

pub async fn of_activity(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Option<survey::Model>> {
    Ok(survey::Entity::find()
        .filter(survey::Column::ActivityId.eq(activity_id))
        .one(db)
        .await?)
}

pub fn questions_of(survey_id: i64) -> sea_orm::Select<survey_question::Entity> {
    survey_question::Entity::find()
        .filter(survey_question::Column::SurveyId.eq(survey_id))
        .order_by_asc(survey_question::Column::Position)
}

pub async fn response_count(db: &impl ConnectionTrait, survey_id: i64) -> ApiResult<u64> {
    Ok(survey_participation::Entity::find()
        .filter(survey_participation::Column::SurveyId.eq(survey_id))
        .count(db)
        .await?)
}

fn checked_questions(questions: Vec<QuestionDraft>) -> ApiResult<Vec<QuestionDraft>> {
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return Err(ApiError::bad_input(
            "questions",
            format!("a survey has 1 to {MAX_QUESTIONS} questions"),
        ));
    }
    questions
        .into_iter()
        .enumerate()
        .map(|(index, question)| {
            let field = |name: &str| format!("questions[{index}].{name}");
            let text = required_text(&field("text"), question.text, MAX_QUESTION_CHARS)?;
            let choices = match (question.kind, question.choices) {
                (Kind::Choice, Some(choices)) => {
                    let mut seen = HashSet::new();
                    let choices = choices
                        .into_iter()
                        .map(|choice| required_text(&field("choices"), choice, MAX_CHOICE_CHARS))
                        .collect::<ApiResult<Vec<_>>>()?;
                    if choices.len() < 2
                        || choices.len() > MAX_CHOICES
                        || !choices.iter().all(|c| seen.insert(c.clone()))
                    {
                        return Err(ApiError::bad_input(
                            field("choices"),
                            format!("2 to {MAX_CHOICES} different choices"),
                        ));
                    }
                    Some(choices)
                }
                (Kind::Choice, None) => {
                    return Err(ApiError::bad_input(
                        field("choices"),
                        "a CHOICE question needs its choices",
                    ));
                }
                (_, Some(_)) => {
                    return Err(ApiError::bad_input(
                        field("choices"),
                        "only a CHOICE question has choices",
                    ));
                }
                (_, None) => None,
            };
            Ok(QuestionDraft {
                kind: question.kind,
                text,
                choices,
            })
        })
        .collect()
}

/// Sets the activity's survey (its questions replace any earlier ones) until the first answer
/// arrives. A survey set after the activity completed invites its attendees at once.
pub async fn set(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity_id: i64,
    questions: Vec<QuestionDraft>,
    anonymous: Option<bool>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<survey::Model> {
    let questions = checked_questions(questions)?;
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    if activity.status == activity::Status::Cancelled {
        return Err(ApiError::conflict("the activity is cancelled"));
    }
    let survey = match of_activity(&tx, activity.id).await? {
        Some(existing) => {
            if response_count(&tx, existing.id).await? > 0 {
                return Err(ApiError::conflict(
                    "the survey has answers: it can no longer change",
                ));
            }
            survey_question::Entity::delete_many()
                .filter(survey_question::Column::SurveyId.eq(existing.id))
                .exec(&tx)
                .await?;
            // Anonymity is a promise to the respondents (the invitation and the survey say
            // so): once made, it is never taken back.
            if existing.anonymous && anonymous == Some(false) {
                return Err(ApiError::conflict(
                    "the survey was promised anonymous: that cannot be withdrawn",
                ));
            }
            let mut active: survey::ActiveModel = existing.clone().into();
            active.anonymous = Set(anonymous.unwrap_or(existing.anonymous));
            active.updated_at = Set(now);
            active.update(&tx).await?
        }
        None => {
            survey::ActiveModel {
                activity_id: Set(activity.id),
                anonymous: Set(anonymous.unwrap_or(false)),
                invited_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&tx)
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
        .insert(&tx)
        .await?;
    }
    audit::record(
        &tx,
        by.person(),
        Action::SurveySet,
        [activity.id],
        None,
        now,
    )
    .await?;
    if activity.status == activity::Status::Completed {
        invite_attendees(&tx, mailer, &activity, now).await?;
    }
    tx.commit().await?;
    Ok(survey)
}

/// Invites the attendees of a completed activity to its survey, if it has one, once: the
/// conditional update of `invited_at` is the claim.
pub async fn invite_attendees(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(survey) = of_activity(db, activity.id).await? else {
        return Ok(());
    };
    let claimed = survey::Entity::update_many()
        .col_expr(survey::Column::InvitedAt, Expr::value(now))
        .filter(survey::Column::Id.eq(survey.id))
        .filter(survey::Column::InvitedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(());
    }
    let link = format!("{}/surveys/{}", mailer.public_url, survey.id);
    for person in attendees(db, activity.id).await? {
        let letter = Letter::new(
            "survey_invitation",
            Recipient::address_of(&person),
            context! {
                name => &person.name,
                activity => &activity.title,
                anonymous => survey.anonymous,
                link => &link,
            },
        );
        mailer.send(db, letter, now).await?;
    }
    Ok(())
}

/// Whether `person` attended at least one session of the activity.
async fn attended(
    db: &impl ConnectionTrait,
    activity_id: i64,
    person: &user::Model,
) -> ApiResult<bool> {
    Ok(!attended_activities(db, person, Some(activity_id))
        .await?
        .is_empty())
}

/// The activities (or the one of `only`) where `person` attended at least one session.
async fn attended_activities(
    db: &impl ConnectionTrait,
    person: &user::Model,
    only: Option<i64>,
) -> ApiResult<HashSet<i64>> {
    let mut registrations = registration::Entity::find()
        .filter(registration::Column::UserId.eq(person.id))
        .filter(registration::Column::Status.ne(registration::Status::Cancelled));
    if let Some(activity_id) = only {
        registrations = registrations.filter(registration::Column::ActivityId.eq(activity_id));
    }
    let registrations = registrations.all(db).await?;
    let present = present(db, &registrations).await?;
    Ok(registrations
        .into_iter()
        .filter(|r| present.contains(&r.id))
        .map(|r| r.activity_id)
        .collect())
}

/// The surveys `person` is invited to answer (those of completed activities it attended),
/// newest first, each with whether it answered.
pub async fn invited(
    db: &impl ConnectionTrait,
    person: &user::Model,
) -> ApiResult<Vec<(survey::Model, bool)>> {
    let activities = attended_activities(db, person, None).await?;
    let completed: Vec<i64> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(activities))
        .filter(activity::Column::Status.eq(activity::Status::Completed))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let surveys = survey::Entity::find()
        .filter(survey::Column::ActivityId.is_in(completed))
        .order_by_desc(survey::Column::Id)
        .all(db)
        .await?;
    let answered: HashSet<i64> = survey_participation::Entity::find()
        .filter(survey_participation::Column::UserId.eq(person.id))
        .filter(survey_participation::Column::SurveyId.is_in(surveys.iter().map(|s| s.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.survey_id)
        .collect();
    Ok(surveys
        .into_iter()
        .map(|s| {
            let done = answered.contains(&s.id);
            (s, done)
        })
        .collect())
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

fn checked_answer(
    index: usize,
    answer: AnswerDraft,
    questions: &HashMap<i64, survey_question::Model>,
) -> ApiResult<AnswerDraft> {
    let field = |name: &str| format!("answers[{index}].{name}");
    let question = questions
        .get(&answer.question_id)
        .ok_or_else(|| ApiError::bad_input(field("questionId"), "not a question of this survey"))?;
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

/// An attendee of the completed activity answers, once (CONFLICT after); anyone else is
/// FORBIDDEN. Questions may be skipped; each is answered at most once.
pub async fn answer(
    db: &DatabaseConnection,
    survey_id: i64,
    person: &user::Model,
    answers: Vec<AnswerDraft>,
) -> ApiResult<()> {
    let survey = db::get::<survey::Entity>(db, survey_id, "survey").await?;
    let activity = db::get::<activity::Entity>(db, survey.activity_id, "activity").await?;
    if activity.status != activity::Status::Completed || !attended(db, activity.id, person).await? {
        return Err(ApiError::Forbidden);
    }
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
    // The survey's row is locked first: answers arriving together are numbered in turn, so
    // every batch holds exactly ANONYMITY_BATCH respondents.
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
        return Err(ApiError::conflict("you have answered this survey already"));
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
                    result.average_rating = (!ratings.is_empty())
                        .then(|| f64::from(ratings.iter().sum::<i32>()) / ratings.len() as f64);
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

/// The questions of survey `survey`, by id.
async fn questions_by_id(
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
