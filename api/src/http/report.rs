//! The monthly report's pages (`progress::monthly` makes them).

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use crate::{
    error::{ApiError, ApiResult},
    http::credentials::viewer_of,
    http::errors::download_error,
    people::Access,
    progress::monthly::{Month, render},
    state::AppState,
};

/// `GET /reports/{yyyy-mm}.html` and `.csv`, for staff (bearer token).
pub async fn download(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    match serve(&request, &path, &state).await {
        Ok(response) => response,
        Err(error) => download_error(error, "report"),
    }
}

async fn serve(request: &HttpRequest, path: &str, state: &AppState) -> ApiResult<HttpResponse> {
    viewer_of(request, state).await?.require(Access::Staff)?;
    let (month, extension) = path.rsplit_once('.').ok_or(ApiError::NotFound("report"))?;
    let month = Month::parse(month).ok_or(ApiError::NotFound("report"))?;
    let rendered = render(state, month).await?;
    Ok(match extension {
        "html" => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            // Inline SVG and styles, nothing else: no script, nothing from elsewhere.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
            ))
            .body(rendered.html),
        "csv" => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"klub-report-{}.csv\"", month.key()),
            ))
            .body(rendered.csv),
        _ => return Err(ApiError::NotFound("report")),
    })
}
