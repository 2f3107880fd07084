//! A training body's year: in France the yearly "bilan pédagogique et financier". For the
//! trainings whose sessions fall in a calendar year (office time): how many trainings ran, how
//! many trainees attended, how many hours-trainee they realised, and the same by funder with
//! the amounts. Computed by SQL aggregates in the database, on both backends.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbBackend};

use crate::{
    db::statement,
    error::{ApiError, ApiResult},
    safe_csv::SafeCsv,
};

/// The figures of one source of funding.
#[derive(Debug, Clone, PartialEq)]
pub struct ByFunder {
    pub funder: String,
    pub trainees: i64,
    pub hours_trainees: f64,
    pub amount_cents: i64,
}

/// The year's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingYear {
    pub activities: i64,
    pub trainees: i64,
    pub hours_trainees: f64,
    pub by_funder: Vec<ByFunder>,
}

/// Where `year` starts and ends in the office's time zone.
fn bounds(year: i32, tz: Tz) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let start_of = |year: i32| {
        NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
            .map(|at| at.with_timezone(&Utc))
    };
    match (start_of(year), year.checked_add(1).and_then(start_of)) {
        (Some(from), Some(to)) if (2000..=9998).contains(&year) => Ok((from, to)),
        _ => Err(ApiError::bad_input("year", "a year from 2000 to 9998")),
    }
}

/// A session's length in minutes, as each database computes it.
fn session_minutes(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 60",
        _ => "(julianday(s.ends_at) - julianday(s.starts_at)) * 1440",
    }
}

fn real(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "DOUBLE PRECISION",
        _ => "REAL",
    }
}

/// Who paid for a registration: a FUNDED payment's funder (UNNAMED when it names none), SELF
/// for a PAID one, NONE for a free or waived place.
const FUNDER: &str = "CASE WHEN p.status = 'FUNDED' THEN COALESCE(p.funder, 'UNNAMED') \
     WHEN p.status = 'PAID' THEN 'SELF' ELSE 'NONE' END";

/// The attendance of trainings in the year, one row per trainee and session.
const ATTENDED: &str = "FROM attendances t \
     JOIN registrations r ON r.id = t.registration_id \
     JOIN sessions s ON s.id = t.session_id \
     JOIN activities a ON a.id = r.activity_id \
     LEFT JOIN payments p ON p.registration_id = r.id \
     WHERE a.kind = 'TRAINING' AND s.starts_at >= ? AND s.starts_at < ?";

/// The figures of `year`.
pub async fn figures(db: &impl ConnectionTrait, year: i32, tz: Tz) -> ApiResult<TrainingYear> {
    let (from, to) = bounds(year, tz)?;
    let backend = db.get_database_backend();
    let minutes = format!(
        "CAST(COALESCE(SUM(COALESCE(t.minutes, {})), 0) AS {})",
        session_minutes(backend),
        real(backend)
    );
    let totals = db
        .query_one_raw(statement(
            backend,
            &format!(
                "SELECT COUNT(DISTINCT a.id) AS activities, COUNT(DISTINCT r.id) AS trainees, \
                 {minutes} AS minutes {ATTENDED}"
            ),
            [from.into(), to.into()],
        ))
        .await?
        .ok_or_else(|| ApiError::internal("an aggregate answers one row"))?;
    let hours = |minutes: f64| (minutes / 60.0 * 100.0).round() / 100.0;
    let by_hours = db
        .query_all_raw(statement(
            backend,
            &format!(
                "SELECT {FUNDER} AS funder, COUNT(DISTINCT r.id) AS trainees, \
                 {minutes} AS minutes {ATTENDED} GROUP BY {FUNDER} ORDER BY {FUNDER}"
            ),
            [from.into(), to.into()],
        ))
        .await?;
    // Amounts per registration, not per session attended.
    let amounts = db
        .query_all_raw(statement(
            backend,
            &format!(
                "SELECT {FUNDER} AS funder, COALESCE(SUM(p.amount_cents), 0) AS cents \
                 FROM registrations r \
                 JOIN activities a ON a.id = r.activity_id \
                 LEFT JOIN payments p ON p.registration_id = r.id \
                 WHERE a.kind = 'TRAINING' AND r.id IN \
                 (SELECT t.registration_id FROM attendances t JOIN sessions s ON s.id = t.session_id \
                  WHERE s.starts_at >= ? AND s.starts_at < ?) \
                 AND p.status IN ('PAID', 'FUNDED') \
                 GROUP BY {FUNDER}"
            ),
            [from.into(), to.into()],
        ))
        .await?;
    let mut cents = std::collections::HashMap::new();
    for row in amounts {
        let funder: String = row.try_get("", "funder")?;
        let amount: i64 = row.try_get("", "cents")?;
        cents.insert(funder, amount);
    }
    let mut by_funder = Vec::new();
    for row in by_hours {
        let funder: String = row.try_get("", "funder")?;
        by_funder.push(ByFunder {
            amount_cents: cents.get(&funder).copied().unwrap_or_default(),
            funder,
            trainees: row.try_get("", "trainees")?,
            hours_trainees: hours(row.try_get("", "minutes")?),
        });
    }
    Ok(TrainingYear {
        activities: totals.try_get("", "activities")?,
        trainees: totals.try_get("", "trainees")?,
        hours_trainees: hours(totals.try_get("", "minutes")?),
        by_funder,
    })
}

/// The year's figures as CSV, for the accountant: the totals, then one line per funder.
pub fn csv(year: i32, figures: &TrainingYear) -> ApiResult<Vec<u8>> {
    let mut sheet = SafeCsv::default();
    sheet.row([
        "year",
        "funder",
        "activities",
        "trainees",
        "hours-trainees",
        "amount",
    ])?;
    sheet.row([
        year.to_string(),
        "ALL".to_owned(),
        figures.activities.to_string(),
        figures.trainees.to_string(),
        figures.hours_trainees.to_string(),
        String::new(),
    ])?;
    for funder in &figures.by_funder {
        sheet.row([
            year.to_string(),
            funder.funder.clone(),
            String::new(),
            funder.trainees.to_string(),
            funder.hours_trainees.to_string(),
            format!("{:.2}", crate::numbers::real(funder.amount_cents) / 100.0),
        ])?;
    }
    sheet.finish()
}
