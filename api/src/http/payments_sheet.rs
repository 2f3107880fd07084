//! `GET /payments.csv?from=…&to=…` or `?activity=<id>` (staff): for the accountant, every
//! registration to a paid activity that holds a seat or has a payment record — activities of
//! the period by their first session (`from` included, `to` excluded, RFC 3339 or a date).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{activity, payment, registration, user};
use sea_orm::{ActiveEnum, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select};
use serde::Deserialize;

use crate::{
    error::{ApiError, ApiResult},
    http::attachment::attachment,
    http::credentials::viewer_of,
    payments::Payment,
    people::{self, Access},
    safe_csv::SafeCsv,
    state::AppState,
};

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    activity: Option<i64>,
}

pub async fn download(
    request: HttpRequest,
    period: web::Query<Period>,
    state: web::Data<AppState>,
) -> HttpResponse {
    attachment(sheet(&request, &period, &state).await)
}

fn instant(field: &str, raw: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| ApiError::bad_input(field, "a date (YYYY-MM-DD) or an RFC 3339 time"))
}

async fn sheet(
    request: &HttpRequest,
    period: &Period,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    viewer_of(request, state).await?.require(Access::Staff)?;
    // Rows of a whole period held in memory: one export per core at a time.
    let _turn = crate::heavy::turn().await?;
    let (activities, name) = paid_activities(period)?;
    let activities: HashMap<i64, activity::Model> = activities
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.is_in(activities.keys().copied()))
        .order_by_asc(registration::Column::ActivityId)
        .order_by_asc(registration::Column::Id)
        .all(&state.db)
        .await?;
    let mut records: HashMap<i64, payment::Model> = payment::Entity::find()
        .filter(payment::Column::RegistrationId.is_in(registrations.iter().map(|r| r.id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.registration_id, p))
        .collect();
    let users = people::service::by_id(&state.db, registrations.iter().map(|r| r.user_id)).await?;
    let organisations =
        people::organisation::names(&state.db, &users.values().collect::<Vec<_>>()).await?;

    let mut sheet = SafeCsv::default();
    sheet.row(HEADER)?;
    for registration in &registrations {
        let (Some(activity), Some(person)) = (
            activities.get(&registration.activity_id),
            users.get(&registration.user_id),
        ) else {
            continue;
        };
        let record = records.remove(&registration.id);
        let Some(payment) = Payment::of(registration, activity, record) else {
            continue;
        };
        let organisation = organisations.get(&person.id).cloned().unwrap_or_default();
        sheet.row(row(activity, person, organisation, registration, &payment))?;
    }
    Ok((name, sheet.finish()?))
}

const HEADER: [&str; 12] = [
    "activity",
    "first session",
    "name",
    "organisation",
    "email",
    "registration",
    "payment",
    "amount",
    "funder",
    "reference",
    "recorded at",
    "to refund",
];

/// The paid activities the sheet covers, and the file's name: one activity, or those whose
/// first session falls in [from, to).
fn paid_activities(period: &Period) -> ApiResult<(Select<activity::Entity>, String)> {
    let activities = activity::Entity::find().filter(activity::Column::PriceCents.gt(0));
    match (period.activity, &period.from, &period.to) {
        (Some(id), _, _) => Ok((
            activities.filter(activity::Column::Id.eq(id)),
            format!("payments-activity-{id}.csv"),
        )),
        (None, Some(from), Some(to)) => {
            let (from_at, to_at) = (instant("from", from)?, instant("to", to)?);
            Ok((
                activities.filter(
                    Condition::all()
                        .add(activity::Column::StartsAt.gte(from_at))
                        .add(activity::Column::StartsAt.lt(to_at)),
                ),
                format!(
                    "payments-{}-{}.csv",
                    from_at.format("%Y%m%d"),
                    to_at.format("%Y%m%d")
                ),
            ))
        }
        _ => Err(ApiError::bad_input(
            "from",
            "give `from` and `to`, or `activity`",
        )),
    }
}

/// One registration's line, under [`HEADER`].
fn row(
    activity: &activity::Model,
    person: &user::Model,
    organisation: String,
    registration: &registration::Model,
    payment: &Payment,
) -> [String; 12] {
    let record = payment.record.as_ref();
    [
        activity.title.clone(),
        activity.starts_at.format("%Y-%m-%d").to_string(),
        person.name.clone(),
        organisation,
        person.email.clone(),
        registration.status.to_value(),
        record.map_or(payment::Status::Due, |r| r.status).to_value(),
        format!("{:.2}", f64::from(payment.amount_cents) / 100.0),
        record.and_then(|r| r.funder.clone()).unwrap_or_default(),
        record.and_then(|r| r.reference.clone()).unwrap_or_default(),
        record
            .map(|r| r.recorded_at.to_rfc3339())
            .unwrap_or_default(),
        if payment.to_refund { "yes" } else { "" }.to_owned(),
    ]
}
