//! `GET /attendance-slots/{id}/sheet.pdf`: a half-day's signed attendance sheet, for the
//! activity's trainers and staff (bearer token); the same 404 to anyone else and for a slot
//! that does not exist.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    error::{ApiError, ApiResult},
    http::{attachment::private_pdf, credentials::viewer_of},
    people::Access,
    state::AppState,
    training::sheet_pdf,
};

pub async fn pdf(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    private_pdf(document(&request, &path, &state).await, "sheet")
}

async fn document(
    request: &HttpRequest,
    id: &str,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    let viewer = viewer_of(request, state).await?;
    let reader = viewer.require(Access::Account)?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("slot"))?;
    sheet_pdf::document(&state.db, &state.mailer, id, reader, state.config.timezone).await
}
