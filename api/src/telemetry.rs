//! Logs: `tracing` as text or JSON (`KLUB_LOG_FORMAT`), one span per HTTP request
//! (`http::request_span`) carrying its request id (also sent back as `X-Request-Id`), method,
//! route pattern, GraphQL operation names and status. The span records the route *pattern*, never the path or query string:
//! a calendar feed URL holds a secret. Request bodies (passwords, tokens) and mail bodies are
//! never logged. Tests do not install a subscriber, so their output stays quiet.

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
