//! Logs: `tracing` as text or JSON (`KLUB_LOG_FORMAT`), one span per HTTP request carrying its
//! request id (also sent back as `X-Request-Id`), method, route pattern, GraphQL operation
//! names and status. The span records the route *pattern*, never the path or query string:
//! a calendar feed URL holds a secret. Request bodies (passwords, tokens) and mail bodies are
//! never logged. Tests do not install a subscriber, so their output stays quiet.

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{Config, LogFormat};

pub fn init(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = fmt().with_env_filter(filter);
    // A second initialisation (never expected in the binary) is harmless, so its error is ignored.
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The span of one HTTP request, and its closing log line.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            route = %route,
            operation = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.in_scope(|| {
            if status.is_server_error() {
                tracing::warn!(status = status.as_u16(), "request failed");
            } else {
                tracing::info!(status = status.as_u16(), "request finished");
            }
        });
    }
}
