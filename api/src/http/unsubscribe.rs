//! The one-click unsubscribe page of group mails (`groups::notifications` signs the links).

use actix_web::{HttpRequest, HttpResponse, http::Method, http::header, web};
use minijinja::context;

use crate::{groups::notifications, state::AppState};

/// `GET /unsubscribe/{token}`: a page with one button, because link scanners and previews
/// follow GET links; `POST` (the button, or a mail client's one-click per RFC 8058) mutes the
/// group for the member the token names. A token the server did not sign: 404.
pub async fn page(
    path: web::Path<String>,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> HttpResponse {
    let confirm = request.method() == Method::POST;
    let (group, member) = match notifications::unsubscribe(&state, &path, confirm).await {
        Ok(Some(found)) => found,
        Ok(None) => return HttpResponse::NotFound().finish(),
        Err(error) => {
            tracing::error!(%error, "unsubscribe failed");
            return HttpResponse::InternalServerError().finish();
        }
    };
    let locale = state.mailer.locale_of(&member);
    match state.mailer.templates.page(
        "unsubscribe",
        locale,
        context! { group => &group.name, done => confirm },
    ) {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            // The page's one form posts back to itself.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ))
            .body(html),
        Err(error) => {
            tracing::error!(%error, "unsubscribe page failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}
