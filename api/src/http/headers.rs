//! What surrounds every answer: CORS for the configured frontends, and the security headers
//! of an API that serves JSON and nothing to embed.

use actix_cors::Cors;
use actix_web::{
    http::header::{self, HeaderName},
    middleware::DefaultHeaders,
};

/// Browsers may call the API from the configured frontend origins and from Klub's own
/// public URL (GraphiQL); clients without an `Origin` header are not concerned.
pub fn cors(config: &crate::Config) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(3600);
    if config.cors_origins.iter().any(|origin| origin == "*") {
        return cors.allow_any_origin();
    }
    let own_origin = config
        .public_url
        .splitn(4, '/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    config
        .cors_origins
        .iter()
        .chain(std::iter::once(&own_origin))
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

/// Headers for an API that serves JSON and nothing to embed: no sniffing, no framing, no
/// referrer, no caching of answers that may hold personal data, HTTPS remembered.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
}
