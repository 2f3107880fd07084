//! `GET /payments.csv?from=…&to=…` or `?activity=<id>` (staff): for the accountant, every
//! registration to a paid activity that holds a seat or has a payment record — activities of
//! the period by their first session (`from` included, `to` excluded, RFC 3339 or a date).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::activity;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};
use serde::Deserialize;

use crate::{
    error::{ApiError, ApiResult},
    http::attachment::attachment,
    http::credentials::viewer_of,
    payments,
    people::Access,
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
    Ok((name, payments::sheet::csv(&state.db, activities).await?))
}

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
