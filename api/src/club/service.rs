//! The club's rules: who may bring questions (trained partners and staff), one vote per
//! person and question, staff mark questions answered.

use chrono::{DateTime, Duration, Utc};
use entity::{
    activity::{self, Kind},
    club_question, club_vote, user,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use super::season::{SeasonRule, meeting_starts};
use crate::{
    activities::{self, ActivityDraft},
    db::begin_write,
    error::{ApiError, ApiResult},
    people::Staff,
    state::AppState,
    validation::{optional_paragraph, required_paragraph},
};

pub const MAX_QUESTION_CHARS: usize = 1_000;
pub const MAX_ANSWER_CHARS: usize = 2_000;

pub struct Season {
    pub title: String,
    pub rule: SeasonRule,
    pub duration_minutes: i32,
    pub capacity: i32,
    pub location: Option<String>,
}

/// Creates and publishes the season's meetings as CLUB_MEETING activities for trained partners.
pub async fn schedule_season(
    state: &AppState,
    season: Season,
    by: Staff<'_>,
) -> ApiResult<Vec<activity::Model>> {
    if !(1..=24 * 60).contains(&season.duration_minutes) {
        return Err(ApiError::bad_input(
            "durationMinutes",
            "must be between 1 and 1440",
        ));
    }
    let starts = meeting_starts(&season.rule, state.config.timezone)?;
    let drafts = starts
        .into_iter()
        .map(|start| {
            let end = start + Duration::minutes(i64::from(season.duration_minutes));
            let mut meeting = ActivityDraft::new(
                Kind::ClubMeeting,
                season.title.clone(),
                season.capacity,
                start,
                end,
            );
            meeting.location.clone_from(&season.location);
            meeting.validated()
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let mut meetings = Vec::new();
    for draft in drafts {
        let created = activities::service::create(
            &state.db,
            draft,
            state.config.reminder_before,
            by,
            state.now(),
        )
        .await?;
        meetings.push(
            activities::lifecycle::advance(
                &state.db,
                &state.mailer,
                created.id,
                activity::Status::Published,
                by,
                state.now(),
            )
            .await?,
        );
    }
    Ok(meetings)
}

/// A club meeting the person takes part in.
async fn meeting(
    db: &impl ConnectionTrait,
    id: i64,
    person: &user::Model,
) -> ApiResult<activity::Model> {
    let meeting = activities::service::get_visible(db, id, person).await?;
    if meeting.kind != Kind::ClubMeeting {
        return Err(ApiError::NotFound("club meeting"));
    }
    if !activities::policy::takes_part_in_club(&meeting, person) {
        return Err(ApiError::Forbidden);
    }
    Ok(meeting)
}

pub async fn get_question(db: &impl ConnectionTrait, id: i64) -> ApiResult<club_question::Model> {
    crate::db::get::<club_question::Entity>(db, id, "question").await
}

pub async fn ask(
    db: &DatabaseConnection,
    meeting_id: i64,
    author: &user::Model,
    text: String,
    now: DateTime<Utc>,
) -> ApiResult<club_question::Model> {
    let meeting = meeting(db, meeting_id, author).await?;
    let text = required_paragraph("text", text, MAX_QUESTION_CHARS)?;
    Ok(club_question::ActiveModel {
        meeting_id: Set(meeting.id),
        author_id: Set(author.id),
        text: Set(text),
        votes: Set(0),
        answered: Set(false),
        answer: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Counts the voter once, however often it votes: the vote row's key refuses a second one and
/// the count moves only when a row was written, in the same transaction.
pub async fn vote(
    db: &DatabaseConnection,
    question_id: i64,
    voter: &user::Model,
) -> ApiResult<club_question::Model> {
    let question = get_question(db, question_id).await?;
    meeting(db, question.meeting_id, voter).await?;
    let tx = begin_write(db).await?;
    let written = club_vote::Entity::insert(club_vote::ActiveModel {
        question_id: Set(question_id),
        user_id: Set(voter.id),
    })
    .on_conflict(
        OnConflict::columns([club_vote::Column::QuestionId, club_vote::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if written == 1 {
        club_question::Entity::update_many()
            .col_expr(
                club_question::Column::Votes,
                Expr::col(club_question::Column::Votes).add(1),
            )
            .filter(club_question::Column::Id.eq(question_id))
            .exec(&tx)
            .await?;
    }
    let question = get_question(&tx, question_id).await?;
    tx.commit().await?;
    Ok(question)
}

/// Staff mark a question handled, with an optional short answer for those who missed it.
pub async fn answer(
    db: &DatabaseConnection,
    question_id: i64,
    answer: Option<String>,
) -> ApiResult<club_question::Model> {
    let question = get_question(db, question_id).await?;
    let mut active: club_question::ActiveModel = question.into();
    active.answered = Set(true);
    active.answer = Set(optional_paragraph("answer", answer, MAX_ANSWER_CHARS)?);
    Ok(active.update(db).await?)
}
