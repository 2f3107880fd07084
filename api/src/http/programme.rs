//! `GET /activities/{id}/programme.pdf`: an activity's training programme, for whoever sees the
//! activity (bearer token), in the reader's language; the same 404 to anyone else and for an
//! activity without a programme.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    activities,
    error::{ApiError, ApiResult},
    http::{attachment::private_pdf, credentials::viewer_of},
    people::Access,
    state::AppState,
    training::programme,
};

pub async fn pdf(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    private_pdf(document(&request, &path, &state).await, "programme")
}

async fn document(
    request: &HttpRequest,
    id: &str,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    let viewer = viewer_of(request, state).await?;
    let reader = viewer.require(Access::Account)?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("activity"))?;
    let activity = activities::service::get_visible(&state.db, id, reader).await?;
    let programme = programme::of(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("programme"))?;
    let sessions = activities::service::sessions_of(&state.db, id).await?;
    let locale = state.mailer.locale_of(reader);
    let office = state.config.office_name.clone();
    let bytes = crate::heavy::run(move || {
        programme::document(&office, &activity, &programme, &sessions, locale)
    })
    .await??;
    Ok((format!("programme-{id}.pdf"), bytes))
}
