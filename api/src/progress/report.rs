//! The programme's statistics over a period, every figure an SQL aggregate that reads the
//! same on SQLite and PostgreSQL (written with `?` placeholders, see [`db::statement`]).
//! An activity belongs to the period of its first session; held means COMPLETED.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::activity::{CancellationCause, Kind};
use sea_orm::{ActiveEnum, ConnectionTrait, QueryResult, Value};

use crate::{
    db::statement,
    diagnostics::service as diagnostics,
    error::ApiResult,
    numbers::{real, real_len},
};

/// One kind of activity over the period.
#[derive(Clone, Debug, PartialEq)]
pub struct KindFigures {
    pub kind: Kind,
    pub held: i64,
    /// The seats of the held activities.
    pub capacity: i64,
    pub registrations: i64,
    pub attended: i64,
}

/// The average change on one axis of the current diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct MaturityChange {
    pub axis: entity::diagnostic_axis::Model,
    pub average_change: Option<f64>,
    pub organisations: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub activities_held: i64,
    pub activities_cancelled: i64,
    pub cancelled_for_too_few_participants: i64,
    pub capacity_held: i64,
    pub registrations: i64,
    pub attended: i64,
    pub newly_trained: i64,
    pub active_partners: i64,
    pub club_questions_asked: i64,
    pub club_questions_answered: i64,
    pub group_questions: i64,
    pub group_questions_in_target: i64,
    pub median_first_response_seconds: Option<f64>,
    pub revenue_cents: i64,
    pub funded_cents: i64,
    pub complaints_filed: i64,
    pub complaints_overdue: i64,
    pub by_kind: Vec<KindFigures>,
    pub maturity: Vec<MaturityChange>,
}

/// `part` over `whole`, none when there is no whole.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| real(part) / real(whole))
}

impl Report {
    pub fn fill_rate(&self) -> Option<f64> {
        rate(self.registrations, self.capacity_held)
    }
    pub fn attendance_rate(&self) -> Option<f64> {
        rate(self.attended, self.registrations)
    }
    pub fn no_shows(&self) -> i64 {
        self.registrations - self.attended
    }
    pub fn group_questions_answered_in_target(&self) -> Option<f64> {
        rate(self.group_questions_in_target, self.group_questions)
    }
}

async fn one(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> ApiResult<QueryResult> {
    db.query_one_raw(statement(db.get_database_backend(), sql, values))
        .await?
        .ok_or_else(|| crate::error::ApiError::internal("an aggregate returned no row"))
}

async fn all(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> ApiResult<Vec<QueryResult>> {
    Ok(db
        .query_all_raw(statement(db.get_database_backend(), sql, values))
        .await?)
}

fn count(row: &QueryResult, column: &str) -> ApiResult<i64> {
    Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0))
}

/// The programme's figures over [from, to).
pub async fn programme(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    answer_target: chrono::Duration,
) -> ApiResult<Report> {
    let period = Period { from, to };
    let (activities_cancelled, cancelled_for_too_few_participants) =
        cancellations(db, &period).await?;
    let by_kind = by_kind(db, &period).await?;
    let (club_questions_asked, club_questions_answered) = club_questions(db, &period).await?;
    let groups = group_questions(db, &period, answer_target).await?;
    let (revenue_cents, funded_cents) = money(db, &period).await?;
    let (complaints_filed, complaints_overdue) = complaints(db, &period).await?;
    let all_kinds = Totals::of(&by_kind);
    Ok(Report {
        from,
        to,
        activities_held: all_kinds.held,
        activities_cancelled,
        cancelled_for_too_few_participants,
        capacity_held: all_kinds.capacity,
        registrations: all_kinds.registrations,
        attended: all_kinds.attended,
        newly_trained: newly_trained(db, &period).await?,
        active_partners: active_partners(db, &period).await?,
        club_questions_asked,
        club_questions_answered,
        group_questions: groups.asked,
        group_questions_in_target: groups.in_target,
        median_first_response_seconds: groups.median_first_response_seconds,
        revenue_cents,
        funded_cents,
        complaints_filed,
        complaints_overdue,
        by_kind,
        maturity: maturity(db, from, to).await?,
    })
}

/// The share of confirmed registrations to activities held in [from, to) whose person came:
/// the report's attendance rate alone, for the months its chart looks back on.
pub async fn attendance_rate(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<Option<f64>> {
    let all_kinds = Totals::of(&by_kind(db, &Period { from, to }).await?);
    Ok(rate(all_kinds.attended, all_kinds.registrations))
}

/// The figures of every kind of activity together.
#[derive(Default)]
struct Totals {
    held: i64,
    capacity: i64,
    registrations: i64,
    attended: i64,
}

impl Totals {
    fn of(by_kind: &[KindFigures]) -> Self {
        by_kind.iter().fold(Self::default(), |totals, kind| Self {
            held: totals.held + kind.held,
            capacity: totals.capacity + kind.capacity,
            registrations: totals.registrations + kind.registrations,
            attended: totals.attended + kind.attended,
        })
    }
}

/// [from, to), as the values of `starts_at >= ? AND starts_at < ?`.
struct Period {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Period {
    fn values(&self) -> Vec<Value> {
        vec![Value::from(self.from), Value::from(self.to)]
    }
}

/// The activities cancelled, and those of them cancelled for too few participants.
async fn cancellations(db: &impl ConnectionTrait, period: &Period) -> ApiResult<(i64, i64)> {
    let row = one(
        db,
        "SELECT \
           SUM(CASE WHEN status = 'CANCELLED' THEN 1 ELSE 0 END) AS cancelled, \
           SUM(CASE WHEN cancellation_cause = ? THEN 1 ELSE 0 END) AS too_few \
         FROM activities WHERE starts_at >= ? AND starts_at < ?",
        [
            vec![CancellationCause::TooFewParticipants.to_value().into()],
            period.values(),
        ]
        .concat(),
    )
    .await?;
    Ok((count(&row, "cancelled")?, count(&row, "too_few")?))
}

/// The activities held, by kind: their seats, registrations and people who attended.
async fn by_kind(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Vec<KindFigures>> {
    let mut by_kind = Vec::new();
    for row in all(
        db,
        "SELECT kind, COUNT(*) AS held, SUM(capacity) AS capacity FROM activities \
         WHERE status = 'COMPLETED' AND starts_at >= ? AND starts_at < ? GROUP BY kind",
        period.values(),
    )
    .await?
    {
        let kind: String = row.try_get("", "kind")?;
        if let Ok(kind) = Kind::try_from_value(&kind) {
            by_kind.push(KindFigures {
                kind,
                held: count(&row, "held")?,
                capacity: count(&row, "capacity")?,
                registrations: 0,
                attended: 0,
            });
        }
    }
    for row in all(
        db,
        "SELECT a.kind AS kind, COUNT(r.id) AS registrations, \
           COUNT(DISTINCT CASE WHEN EXISTS \
             (SELECT 1 FROM attendances t WHERE t.registration_id = r.id) THEN r.id END) AS attended \
         FROM activities a \
         LEFT JOIN registrations r ON r.activity_id = a.id AND r.status = 'CONFIRMED' \
         WHERE a.status = 'COMPLETED' AND a.starts_at >= ? AND a.starts_at < ? \
         GROUP BY a.kind",
        period.values(),
    )
    .await?
    {
        let kind: String = row.try_get("", "kind")?;
        if let Some(figures) = by_kind.iter_mut().find(|k| k.kind.to_value() == kind) {
            figures.registrations = count(&row, "registrations")?;
            figures.attended = count(&row, "attended")?;
        }
    }
    by_kind.sort_by_key(|k| k.kind.to_value());
    Ok(by_kind)
}

async fn newly_trained(db: &impl ConnectionTrait, period: &Period) -> ApiResult<i64> {
    let row = one(
        db,
        "SELECT COUNT(*) AS n FROM users \
         WHERE role = 'PARTNER' AND trained_at >= ? AND trained_at < ?",
        period.values(),
    )
    .await?;
    count(&row, "n")
}

/// Partners who attended a session, posted in a group or asked a club question. The period's
/// people are gathered once, then counted: asked per partner instead (an `EXISTS` each), the
/// posts of the period were read again for every partner, 77 s at ten times the base dataset.
async fn active_partners(db: &impl ConnectionTrait, period: &Period) -> ApiResult<i64> {
    let row = one(
        db,
        "SELECT COUNT(*) AS n FROM users u WHERE u.role = 'PARTNER' AND u.id IN ( \
           SELECT r.user_id FROM registrations r \
             JOIN attendances t ON t.registration_id = r.id \
             JOIN sessions s ON s.id = t.session_id \
             WHERE s.starts_at >= ? AND s.starts_at < ? \
           UNION SELECT p.author_id FROM posts p \
             WHERE p.created_at >= ? AND p.created_at < ? \
           UNION SELECT q.author_id FROM club_questions q \
             WHERE q.created_at >= ? AND q.created_at < ?)",
        [period.values(), period.values(), period.values()].concat(),
    )
    .await?;
    count(&row, "n")
}

/// Complaints filed in the period, and those whose deadline fell in the period without an
/// answer by then (`KLUB_COMPLAINT_DAYS`).
async fn complaints(db: &impl ConnectionTrait, period: &Period) -> ApiResult<(i64, i64)> {
    let mut values = period.values();
    values.extend(period.values());
    let row = one(
        db,
        "SELECT SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END) AS filed, \
         SUM(CASE WHEN due_at >= ? AND due_at < ? \
             AND (answered_at IS NULL OR answered_at > due_at) THEN 1 ELSE 0 END) AS overdue \
         FROM complaints",
        values,
    )
    .await?;
    Ok((count(&row, "filed")?, count(&row, "overdue")?))
}

/// Club questions asked, and answered.
async fn club_questions(db: &impl ConnectionTrait, period: &Period) -> ApiResult<(i64, i64)> {
    let row = one(
        db,
        "SELECT COUNT(*) AS asked, SUM(CASE WHEN answered THEN 1 ELSE 0 END) AS answered \
         FROM club_questions WHERE created_at >= ? AND created_at < ?",
        period.values(),
    )
    .await?;
    Ok((count(&row, "asked")?, count(&row, "answered")?))
}

/// The questions asked in the groups and how fast they were answered.
struct GroupQuestions {
    asked: i64,
    in_target: i64,
    median_first_response_seconds: Option<f64>,
}

async fn group_questions(
    db: &impl ConnectionTrait,
    period: &Period,
    answer_target: chrono::Duration,
) -> ApiResult<GroupQuestions> {
    let questions = one(
        db,
        "SELECT COUNT(*) AS asked, COUNT(first_response_seconds) AS responded, \
           SUM(CASE WHEN first_response_open_seconds <= ? THEN 1 ELSE 0 END) AS in_target \
         FROM threads WHERE is_question = ? AND created_at >= ? AND created_at < ?",
        [
            vec![answer_target.num_seconds().into(), true.into()],
            period.values(),
        ]
        .concat(),
    )
    .await?;
    let responded = count(&questions, "responded")?;
    let median_first_response_seconds = if responded == 0 {
        None
    } else {
        // The middle row, or the two middle rows of an even count.
        let middle = all(
            db,
            "SELECT first_response_seconds AS s FROM threads \
             WHERE is_question = ? AND created_at >= ? AND created_at < ? \
               AND first_response_seconds IS NOT NULL \
             ORDER BY first_response_seconds LIMIT ? OFFSET ?",
            [
                vec![true.into()],
                period.values(),
                vec![(2 - responded % 2).into(), ((responded - 1) / 2).into()],
            ]
            .concat(),
        )
        .await?;
        let values: Vec<i64> = middle
            .iter()
            .map(|row| count(row, "s"))
            .collect::<ApiResult<_>>()?;
        Some(real(values.iter().sum::<i64>()) / real_len(values.len().max(1)))
    };
    Ok(GroupQuestions {
        asked: count(&questions, "asked")?,
        in_target: count(&questions, "in_target")?,
        median_first_response_seconds,
    })
}

/// What partners paid, and what funders paid, for the period's activities.
async fn money(db: &impl ConnectionTrait, period: &Period) -> ApiResult<(i64, i64)> {
    let row = one(
        db,
        "SELECT SUM(CASE WHEN p.status = 'PAID' THEN p.amount_cents ELSE 0 END) AS revenue, \
           SUM(CASE WHEN p.status = 'FUNDED' THEN p.amount_cents ELSE 0 END) AS funded \
         FROM payments p \
         JOIN registrations r ON r.id = p.registration_id \
         JOIN activities a ON a.id = r.activity_id \
         WHERE r.status <> 'CANCELLED' AND a.starts_at >= ? AND a.starts_at < ?",
        period.values(),
    )
    .await?;
    Ok((count(&row, "revenue")?, count(&row, "funded")?))
}

/// Per axis of the current diagnostic, the mean change of the organisations assessed twice in
/// or around the period: from their latest assessment before it (or else their first within
/// it) to their latest before its end.
async fn maturity(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<Vec<MaturityChange>> {
    let Some(version) = diagnostics::current(db).await? else {
        return Ok(Vec::new());
    };
    let id = Value::from(version.diagnostic.id);
    let rows = all(
        db,
        "WITH ends AS (SELECT COALESCE(organisation_id, -user_id) AS subject, MAX(id) AS id \
                       FROM assessments WHERE diagnostic_id = ? AND taken_at < ? GROUP BY 1), \
              befores AS (SELECT COALESCE(organisation_id, -user_id) AS subject, MAX(id) AS id \
                          FROM assessments WHERE diagnostic_id = ? AND taken_at < ? GROUP BY 1), \
              firsts AS (SELECT COALESCE(organisation_id, -user_id) AS subject, MIN(id) AS id \
                         FROM assessments WHERE diagnostic_id = ? AND taken_at >= ? AND taken_at < ? \
                         GROUP BY 1), \
              pairs AS (SELECT COALESCE(b.id, f.id) AS start_id, e.id AS end_id FROM ends e \
                        LEFT JOIN befores b ON b.subject = e.subject \
                        LEFT JOIN firsts f ON f.subject = e.subject) \
         SELECT later.axis_id AS axis_id, \
                CAST(AVG(later.score - earlier.score) AS DOUBLE PRECISION) AS change, \
                COUNT(*) AS organisations \
         FROM pairs p \
         JOIN assessment_scores earlier ON earlier.assessment_id = p.start_id \
         JOIN assessment_scores later ON later.assessment_id = p.end_id \
                                     AND later.axis_id = earlier.axis_id \
         WHERE p.start_id <> p.end_id \
         GROUP BY later.axis_id",
        vec![
            id.clone(),
            to.into(),
            id.clone(),
            from.into(),
            id,
            from.into(),
            to.into(),
        ],
    )
    .await?;
    let mut found: HashMap<i64, (f64, i64)> = HashMap::new();
    for row in rows {
        found.insert(
            row.try_get("", "axis_id")?,
            (row.try_get("", "change")?, count(&row, "organisations")?),
        );
    }
    Ok(version
        .axes
        .into_iter()
        .map(|axis| {
            let (change, organisations) = found.get(&axis.id).copied().unwrap_or((0.0, 0));
            MaturityChange {
                axis,
                average_change: (organisations > 0).then_some(change),
                organisations,
            }
        })
        .collect())
}
