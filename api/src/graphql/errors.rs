//! Every error of a GraphQL response gets its `extensions.code` here, once (see `error.rs`).

use async_graphql::{
    ErrorExtensionValues, Response, ServerError, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
};
use futures_util::{StreamExt, stream::BoxStream};
use std::sync::Arc;

use crate::error::{ApiError, VALIDATION_FAILED};

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
    let mut consents = None;
    let (code, field) = match error.source::<ApiError>() {
        Some(api_error) => {
            if matches!(api_error, ApiError::Internal(_) | ApiError::Unavailable(_)) {
                log_internal(api_error, error);
            }
            let field = match api_error {
                ApiError::BadInput { field, .. } => Some(field.clone()),
                _ => None,
            };
            if let ApiError::ConsentsRequired(purposes) = api_error {
                consents = Some(purposes.clone());
            }
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
    if let Some(purposes) = consents {
        extensions.set(
            "consents",
            Value::List(purposes.into_iter().map(Value::String).collect()),
        );
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
