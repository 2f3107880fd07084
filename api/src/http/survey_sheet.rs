//! `GET /activities/{id}/survey.csv` (staff): every answer of the activity's survey — question,
//! answer, and who answered unless the survey is anonymous.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::followup::{survey_results, surveys};
use crate::{
    error::{ApiError, ApiResult},
    http::attachment::attachment,
    http::credentials::viewer_of,
    people::Access,
    safe_csv::SafeCsv,
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
    let mut sheet = SafeCsv::default();
    let heading: &[&str] = if survey.anonymous {
        &["question", "answer"]
    } else {
        &["question", "answer", "respondent"]
    };
    sheet.row(heading)?;
    for row in survey_results::answer_rows(&state.db, &survey).await? {
        let cells = if survey.anonymous {
            &row[..2]
        } else {
            &row[..]
        };
        sheet.row(cells)?;
    }
    Ok((format!("activity-{id}-survey.csv"), sheet.finish()?))
}
