//! `GET /certificates/{number}.pdf`: the PDF, for its holder and staff (bearer token); to
//! anyone else — without a token too — and for a number that does not exist, the same 404.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    error::{ApiError, ApiResult},
    http::attachment::private_pdf,
    http::credentials::viewer_of,
    people::Access,
    state::AppState,
};

pub async fn pdf(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    private_pdf(document(&request, &path, &state).await, "certificate")
}

async fn document(
    request: &HttpRequest,
    path: &str,
    state: &AppState,
) -> ApiResult<(String, Vec<u8>)> {
    let viewer = viewer_of(request, state).await?;
    viewer.require(Access::Member)?;
    let number = path.strip_suffix(".pdf").unwrap_or(path);
    let issued = crate::certificates::by_number(&state.db, number)
        .await?
        .filter(|c| viewer.is_self_or_staff(c.user_id))
        .ok_or(ApiError::NotFound("certificate"))?;
    let bytes = crate::certificates::document(&state.db, &state.mailer, &issued).await?;
    Ok((format!("{}.pdf", issued.number), bytes))
}
