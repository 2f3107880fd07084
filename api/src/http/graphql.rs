//! `POST /graphql`: the body (bounded), single or batched operations (a batch shares one
//! request's limits), the caller (read once per request), and the metrics of each operation.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, http::header::ContentType, web};
use async_graphql::{BatchRequest, BatchResponse, ParseRequestError, http::MultipartOptions};
use futures_util::StreamExt;

use crate::{
    graphql::limits::BatchBudget,
    graphql::{Answer, KlubSchema, SingleOperationSchema},
    heavy,
    http::credentials::credentials_of,
    http::errors::request_error,
    metrics,
    people::Viewer,
    photos::MAX_UPLOAD_BYTES,
    state::AppState,
};

/// Largest request body accepted on `/graphql`: room for a spreadsheet of a few thousand
/// partners (`importPartners`), still read whole before anything is parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;

/// One request: single or batched operations, each given the caller and fresh loaders. A
/// single operation runs on the schema without extensions ([`SingleOperationSchema`]).
pub async fn graphql(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    schema: web::Data<KlubSchema>,
    direct: web::Data<SingleOperationSchema>,
) -> HttpResponse {
    let batch = match read_batch(&request, &mut payload, &state).await {
        Ok(batch) => batch,
        Err(refusal) => return refusal,
    };
    let started = Instant::now();
    // Before the caller is read: an answer is kept only if nothing changed from here on. Only
    // a single operation's answer is ever kept, so only it notes when it began.
    let single = match &batch {
        BatchRequest::Single(_) => true,
        BatchRequest::Batch(requests) => requests.len() == 1,
    };
    let since = if single {
        state.memory.answers.since(&state.db).await
    } else {
        None
    };
    let credentials = credentials_of(&request, state.config.trust_forwarded_for);
    let viewer = match credentials.viewer(&state).await {
        Ok(viewer) => viewer,
        Err(error) => {
            tracing::error!(%error, "could not identify the caller");
            return request_error(503, error.code(), &error.to_string());
        }
    };
    let for_viewer = |request: async_graphql::Request| {
        crate::graphql::context::for_caller(&state, request, viewer.clone(), credentials.clone())
    };
    let operations: Vec<String> = batch
        .iter()
        .map(|request| metrics::operation_label(request.operation_name.as_deref()))
        .collect();
    tracing::Span::current().record("operation", operations.join(",").as_str());
    let response = match batch {
        BatchRequest::Single(request) => {
            match direct
                .execute(&state, request, viewer, credentials, since)
                .await
            {
                Answer::Json(body) => return successful(body, operations, started),
                Answer::Response(response) => BatchResponse::Single(response),
            }
        }
        // A batch of one is just a request.
        BatchRequest::Batch(mut requests) if requests.len() == 1 => {
            let request = requests.remove(0);
            match direct
                .execute(&state, request, viewer, credentials, since)
                .await
            {
                Answer::Json(body) => {
                    let list = [&b"["[..], &body, b"]"].concat();
                    return successful(list.into(), operations, started);
                }
                Answer::Response(response) => BatchResponse::Batch(vec![response]),
            }
        }
        BatchRequest::Batch(requests) => {
            let budget = BatchBudget::default();
            let batch = requests
                .into_iter()
                .map(|request| for_viewer(request).data(budget.clone()))
                .collect();
            schema.execute_batch(BatchRequest::Batch(batch)).await
        }
    };
    answered(response, operations, started)
}

/// The request's body as a GraphQL request or batch, or the answer that refuses it: too large,
/// unreadable, or a batch of more than [`MAX_BATCH`] operations.
async fn read_batch(
    request: &HttpRequest,
    payload: &mut web::Payload,
    state: &AppState,
) -> Result<BatchRequest, HttpResponse> {
    let content_type = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    // The GraphQL multipart request (Apollo Client's and urql's uploads): one file, up to
    // the size a photo may have, its part written to a temporary file by async-graphql.
    let multipart = content_type.is_some_and(|value| value.starts_with("multipart/form-data"));
    // An upload is read whole before it is parsed: only a signed-in caller may send one, and
    // only a few are read at once, so that uploads cannot fill an instance's memory.
    let _slot = if multipart {
        let credentials = credentials_of(request, state.config.trust_forwarded_for);
        if !matches!(credentials.viewer(state).await, Ok(Viewer::User(_))) {
            return Err(request_error(
                401,
                "UNAUTHENTICATED",
                "log in before uploading a file",
            ));
        }
        Some(heavy::upload_slot().await.map_err(|_| {
            request_error(503, "SERVICE_UNAVAILABLE", "try the upload again shortly")
        })?)
    } else {
        None
    };
    let most = if multipart {
        MAX_UPLOAD_BYTES + MAX_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Err(request_error(
                400,
                "BAD_REQUEST",
                "the request body could not be read",
            ));
        };
        if body.len() + chunk.len() > most {
            return Err(request_error(
                413,
                "PAYLOAD_TOO_LARGE",
                &format!("the request body is larger than {most} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let batch = if multipart {
        let options = MultipartOptions::default()
            .max_file_size(MAX_UPLOAD_BYTES)
            .max_num_files(1);
        match async_graphql::http::receive_batch_body(content_type, &body[..], options).await {
            Ok(batch) => batch,
            Err(ParseRequestError::PayloadTooLarge) => {
                return Err(request_error(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    &format!("a file is larger than {MAX_UPLOAD_BYTES} bytes"),
                ));
            }
            Err(error) => {
                return Err(request_error(
                    400,
                    "BAD_REQUEST",
                    &format!("the body is not a GraphQL multipart request: {error}"),
                ));
            }
        }
    } else {
        match serde_json::from_slice(&body) {
            Ok(batch) => batch,
            Err(error) => {
                return Err(request_error(
                    400,
                    "BAD_REQUEST",
                    &format!("the body is not a GraphQL request: {error}"),
                ));
            }
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && requests.len() > MAX_BATCH
    {
        return Err(request_error(
            400,
            "BAD_REQUEST",
            &format!("at most {MAX_BATCH} operations per batch"),
        ));
    }
    Ok(batch)
}

/// The answer to a request GraphQL ran: each operation's outcome counted, and 503 when the
/// database was out of reach.
fn answered(response: BatchResponse, operations: Vec<String>, started: Instant) -> HttpResponse {
    let responses = match &response {
        BatchResponse::Single(response) => std::slice::from_ref(response),
        BatchResponse::Batch(responses) => responses.as_slice(),
    };
    let mut unreachable = false;
    for (operation, response) in operations.into_iter().zip(responses) {
        let outcome = outcome(response);
        unreachable |= outcome == "SERVICE_UNAVAILABLE";
        metrics::record_operation(operation, outcome, started.elapsed());
    }
    // The database out of reach is the instance's trouble, not the request's: 503 tells a load
    // balancer or a client to try again, whether the caller came from memory or not.
    if unreachable {
        HttpResponse::ServiceUnavailable().json(response)
    } else {
        HttpResponse::Ok().json(response)
    }
}

/// Successful answers already written in JSON, sent as they are.
fn successful(body: web::Bytes, operations: Vec<String>, started: Instant) -> HttpResponse {
    for operation in operations {
        metrics::record_operation(operation, "ok", started.elapsed());
    }
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// `ok`, or the code of the first error.
fn outcome(response: &async_graphql::Response) -> &'static str {
    let Some(error) = response.errors.first() else {
        return "ok";
    };
    let code = error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .and_then(|code| match code {
            async_graphql::Value::String(code) => Some(code.as_str()),
            _ => None,
        });
    crate::error::CODES
        .into_iter()
        .find(|known| Some(*known) == code)
        .unwrap_or("INTERNAL_SERVER_ERROR")
}
