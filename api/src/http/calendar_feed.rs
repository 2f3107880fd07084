//! `GET /calendar/{secret}.ics`: the private calendar feed (`registrations::feed` makes it).

use actix_web::{HttpResponse, web};

use crate::{error::ApiError, registrations::feed, state::AppState};

pub async fn download(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let secret = path.into_inner();
    let secret = secret.strip_suffix(".ics").unwrap_or(&secret);
    match feed::feed(&state, secret).await {
        Ok(ics) => HttpResponse::Ok()
            .content_type("text/calendar; charset=utf-8")
            .body(ics),
        Err(ApiError::NotFound(_)) => HttpResponse::NotFound().finish(),
        Err(error) => {
            tracing::error!(%error, "calendar feed failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}
