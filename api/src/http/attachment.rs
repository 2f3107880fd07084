//! The answers to downloads: a CSV file (written with `safe_csv`), a private PDF or ZIP.

use actix_web::{HttpResponse, http::header};

use crate::{
    error::{ApiError, ApiResult},
    http::errors::{download_error, request_error},
};

/// The answer to a CSV download: the file `(name, body)` as an attachment, or the error with
/// its status (401, 403, 404 — a bad id is a missing file — or 500, logged).
pub fn attachment(file: ApiResult<(String, Vec<u8>)>) -> HttpResponse {
    match file {
        Ok((filename, body)) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(body),
        Err(error) => download_error(error, "CSV export"),
    }
}

/// The answer to a private PDF (a certificate, a programme, a sheet): the document `(name,
/// body)` inline, or the same 404 to whoever may not see it — without a token too — as for one
/// that does not exist, so that the answer tells nothing about what exists.
pub fn private_pdf(file: ApiResult<(String, Vec<u8>)>, what: &'static str) -> HttpResponse {
    private(file, what, "application/pdf", "inline")
}

/// The answer to a private ZIP (a training file), downloaded; refused as [`private_pdf`].
pub fn private_zip(file: ApiResult<(String, Vec<u8>)>, what: &'static str) -> HttpResponse {
    private(file, what, "application/zip", "attachment")
}

/// The answer to a private picture (a photo or its thumbnail), inline; refused as
/// [`private_pdf`].
pub fn private_picture(
    file: ApiResult<(String, &'static str, Vec<u8>)>,
    what: &'static str,
) -> HttpResponse {
    match file {
        Ok((filename, content_type, body)) => {
            private(Ok((filename, body)), what, content_type, "inline")
        }
        Err(error) => private(Err(error), what, "", ""),
    }
}

fn private(
    file: ApiResult<(String, Vec<u8>)>,
    what: &'static str,
    content_type: &'static str,
    disposition: &'static str,
) -> HttpResponse {
    match file {
        Ok((filename, body)) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{filename}\""),
            ))
            .body(body),
        Err(
            ApiError::NotFound(_)
            | ApiError::Forbidden
            | ApiError::Unauthenticated
            | ApiError::InvalidCredentials,
        ) => request_error(404, "NOT_FOUND", &format!("no such {what}")),
        Err(error) => {
            tracing::error!(%error, what, "private download failed");
            request_error(500, error.code(), "internal error")
        }
    }
}
