//! Errors, and how they reach clients.
//!
//! Service functions and resolvers return [`ApiError`]. Each variant has a stable
//! `extensions.code` that the frontend switches on; validation errors also name the offending
//! input in `extensions.field`. The mapping happens once, in [`ErrorCodes`], an async-graphql
//! extension that rewrites every error of a response:
//! - an [`ApiError`] gets its code (and field); internal ones are logged with their whole chain
//!   and reach the client as a generic message;
//! - any other error raised while resolving (a foreign error type that slipped through with `?`)
//!   is treated as internal, never shown;
//! - errors raised by async-graphql itself before execution (parse, validation, limits) keep
//!   their message, which describes the client's query: `BAD_USER_INPUT` for a value of the
//!   wrong type, `GRAPHQL_VALIDATION_FAILED` for the rest.

use std::sync::Arc;

use actix_web::HttpResponse;
use async_graphql::{
    ErrorExtensionValues, Response, ServerError, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
};
use futures_util::{StreamExt, stream::BoxStream};
use sea_orm::DbErr;
use thiserror::Error;

pub type ApiResult<T> = Result<T, ApiError>;

/// Every `extensions.code` a response can carry: [`ApiError::code`]'s, and the one given to
/// errors async-graphql raises before execution.
pub const CODES: [&str; 9] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "TOO_MANY_REQUESTS",
    "SERVICE_UNAVAILABLE",
    "INTERNAL_SERVER_ERROR",
    VALIDATION_FAILED,
];

const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Cloneable because async-graphql requires resolver errors to be; the sources sit behind `Arc`.
#[derive(Clone, Debug, Error)]
pub enum ApiError {
    #[error("authentication required: log in and send `Authorization: Bearer <token>`")]
    Unauthenticated,
    #[error("unknown email or wrong password")]
    InvalidCredentials,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests, try again later")]
    TooManyRequests,
    #[error("the database is unavailable, try again shortly")]
    Unavailable(#[source] Arc<DbErr>),
    #[error("internal error")]
    Internal(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(Arc::from(error.into()))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::TooManyRequests => "TOO_MANY_REQUESTS",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        if is_unreachable(&error) {
            Self::Unavailable(Arc::new(error))
        } else {
            Self::internal(error)
        }
    }
}

/// Whether the database could not be reached, as opposed to refusing a statement: no
/// connection to be had, or one that died under the statement (connections are not checked
/// before each use; see `db::connect`).
fn is_unreachable(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error};
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            matches!(
                **error,
                Error::Io(_)
                    | Error::Tls(_)
                    | Error::Protocol(_)
                    | Error::PoolTimedOut
                    | Error::PoolClosed
                    | Error::WorkerCrashed
            )
        }
        _ => false,
    }
}

/// The extension that gives every error of a response its `extensions.code`.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        with_codes(next.run(ctx).await)
    }

    /// Subscriptions bypass `request`: each event of the stream is mapped the same way.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        Box::pin(next.run(ctx, stream).map(with_codes))
    }
}

/// Gives every error of `response` its `extensions.code`.
pub fn with_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        classify(error);
    }
    response
}

fn classify(error: &mut ServerError) {
    let (code, field) = match error.source::<ApiError>() {
        Some(api_error) => {
            if matches!(api_error, ApiError::Internal(_) | ApiError::Unavailable(_)) {
                log_internal(api_error, error);
            }
            let field = match api_error {
                ApiError::BadInput { field, .. } => Some(field.clone()),
                _ => None,
            };
            (api_error.code(), field)
        }
        None if error.source.is_some() => {
            tracing::error!(message = %error.message, path = ?error.path, "unexpected error type reached the GraphQL layer");
            error.message = "internal error".into();
            ("INTERNAL_SERVER_ERROR", None)
        }
        None if error.message.starts_with("Invalid value for argument")
            || error.message.starts_with("Failed to parse") =>
        {
            ("BAD_USER_INPUT", None)
        }
        None => (VALIDATION_FAILED, None),
    };
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", Value::String(field));
    }
}

fn log_internal(api_error: &ApiError, error: &ServerError) {
    let mut chain = String::new();
    let mut source = std::error::Error::source(api_error);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %format!("{api_error}{chain}"), path = ?error.path, "request failed");
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_listed() {
        let errors = [
            ApiError::Unauthenticated,
            ApiError::InvalidCredentials,
            ApiError::Forbidden,
            ApiError::NotFound("x"),
            ApiError::bad_input("x", "y"),
            ApiError::conflict("x"),
            ApiError::TooManyRequests,
            ApiError::Unavailable(Arc::new(DbErr::Custom("x".into()))),
            ApiError::internal("x"),
        ];
        for error in errors {
            assert!(CODES.contains(&error.code()), "{}", error.code());
        }
    }
}
