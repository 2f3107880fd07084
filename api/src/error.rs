//! Errors: the one type every function of the server returns, [`ApiError`]. Each variant has
//! a stable `extensions.code` that the frontend switches on; validation errors also name the
//! offending input in `extensions.field`. The mapping happens once, in `graphql::errors`'s
//! extension that rewrites every error of a response (and `http::errors` for downloads):
//! - an [`ApiError`] gets its code (and field); internal ones are logged with their whole chain
//!   and reach the client as a generic message;
//! - any other error raised while resolving (a foreign error type that slipped through with `?`)
//!   is treated as internal, never shown;
//! - errors raised by async-graphql itself before execution (parse, validation, limits) keep
//!   their message, which describes the client's query: `BAD_USER_INPUT` for a value of the
//!   wrong type, `GRAPHQL_VALIDATION_FAILED` for the rest.

use std::sync::Arc;

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

pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Cloneable because async-graphql requires resolver errors to be; the sources sit behind `Arc`.
#[derive(Clone, Debug, Error)]
pub enum ApiError {
    #[error("authentication required: log in and send `Authorization: Bearer <token>`")]
    Unauthenticated,
    #[error("unknown email or wrong password")]
    InvalidCredentials,
    #[error("you are not allowed to do this")]
    Forbidden,
    /// FORBIDDEN until the caller gives these consents (`extensions.consents` names them).
    #[error("consents required first: {}", .0.join(", "))]
    ConsentsRequired(Vec<String>),
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
            Self::Forbidden | Self::ConsentsRequired(_) => "FORBIDDEN",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_listed() {
        let errors = [
            ApiError::Unauthenticated,
            ApiError::InvalidCredentials,
            ApiError::Forbidden,
            ApiError::ConsentsRequired(vec!["PRIVACY".into()]),
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
