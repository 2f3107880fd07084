//! Errors answered outside GraphQL, shaped like a GraphQL response.

use actix_web::HttpResponse;

use crate::error::ApiError;

/// An error answered outside GraphQL (a bad request body, the CSV sheet), shaped like a
/// GraphQL response so clients read every failure the same way.
/// The answer of a plain HTTP endpoint (a file download) that failed: 401, 403, 404 (a bad
/// path is a missing file) or 500, logged as a failure of `what`.
pub fn download_error(error: ApiError, what: &str) -> HttpResponse {
    let status = match &error {
        ApiError::Unauthenticated | ApiError::InvalidCredentials => 401,
        ApiError::Forbidden => 403,
        ApiError::NotFound(_) | ApiError::BadInput { .. } => 404,
        _ => 500,
    };
    if status == 500 {
        tracing::error!(%error, "{what} failed");
    }
    request_error(status, error.code(), &error.to_string())
}

pub fn request_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    }))
}
