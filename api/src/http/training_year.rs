//! `GET /training-years/{year}.csv` (staff): the training body's figures for a calendar year,
//! for the accountant: the totals, then one line per source of funding.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    error::{ApiError, ApiResult},
    http::{attachment::attachment, credentials::viewer_of},
    learning::year,
    people::Access,
    state::AppState,
};

pub async fn download(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    attachment(sheet(&request, &path, &state).await)
}

async fn sheet(
    request: &HttpRequest,
    year: &str,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    viewer_of(request, state).await?.require(Access::Staff)?;
    let year: i32 = year
        .parse()
        .map_err(|_| ApiError::bad_input("year", "a year from 2000 to 9998"))?;
    let figures = year::figures(&state.db, year, state.config.timezone).await?;
    Ok((
        format!("training-year-{year}.csv"),
        year::csv(year, &figures)?,
    ))
}
