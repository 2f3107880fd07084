//! GraphiQL on `GET /graphql`, served entirely by Klub (`api/assets/graphiql/`): no CDN, so it
//! works offline and under a policy that allows scripts from Klub's own origin only. Off, like
//! introspection, with `KLUB_INTROSPECTION=false` (404).

use actix_web::{
    HttpResponse,
    http::header::{self, ContentType},
    web,
};

use crate::state::AppState;

/// Scripts and styles from Klub only, no inline script; GraphiQL's icons are `data:` images;
/// queries go to Klub's own `/graphql`.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// The files the page loads, by name.
const ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/start.js"),
    ),
];

/// `GET /graphql`: the page.
pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    if !state.config.introspection {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(PAGE)
}

/// `GET /graphiql/{file}`: its scripts and styles, cached by browsers for a day.
pub async fn asset(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    let found = ASSETS.iter().find(|(name, _, _)| *name == file.as_str());
    match found {
        Some((_, content_type, body)) if state.config.introspection => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(*body),
        _ => HttpResponse::NotFound().finish(),
    }
}
