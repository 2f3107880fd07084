//! `GET /metrics` on the metrics listener (`metrics.rs` keeps the figures).

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// Every metric in Prometheus' text format.
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render(&state).await)
}
