//! `GET /activities/{id}/training-file.zip`: a training's whole file for an auditor or a
//! funder (staff, bearer token); the same 404 to anyone else and for an activity that has none.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    error::{ApiError, ApiResult},
    http::{attachment::private_zip, credentials::viewer_of},
    learning::file,
    state::AppState,
};

pub async fn download(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    private_zip(archive(&request, &path, &state).await, "training file")
}

async fn archive(
    request: &HttpRequest,
    id: &str,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    let viewer = viewer_of(request, state).await?;
    let staff = viewer.staff()?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("activity"))?;
    file::archive(&state.db, &state.mailer, id, staff, state.config.timezone).await
}
