//! The answer to a CSV download (the file itself is written with `safe_csv`).

use actix_web::{HttpResponse, http::header};

use crate::{error::ApiResult, http::errors::download_error};

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
