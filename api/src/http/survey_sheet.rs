//! `GET /activities/{id}/survey.csv` (staff): every answer of the activity's survey — question,
//! answer, and who answered unless the survey is anonymous.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::followup::{survey_results, surveys};
use crate::{
    error::{ApiError, ApiResult},
    http::attachment::attachment,
    http::credentials::viewer_of,
    people::Access,
    state::AppState,
};

pub async fn survey_csv(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    attachment(answers(&request, &path, &state).await)
}

async fn answers(
    request: &HttpRequest,
    id: &str,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    viewer_of(request, state).await?.require(Access::Staff)?;
    let _turn = crate::heavy::turn().await?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("activity"))?;
    let survey = surveys::of_activity(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("survey"))?;
    Ok((
        format!("activity-{id}-survey.csv"),
        survey_results::csv(&state.db, &survey).await?,
    ))
}
