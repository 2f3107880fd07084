//! Building and running the HTTP server: `POST /graphql`, GraphiQL on `GET /graphql`,
//! graphql-transport-ws on `/graphql/ws`, `GET /healthz` and `GET /metrics`; around them
//! request ids and logs, CORS and security headers.

use std::{
    net::TcpListener,
    sync::{Arc, atomic::AtomicU64},
    time::Instant,
};

use actix_cors::Cors;
use actix_web::{
    App, HttpMessage, HttpRequest, HttpResponse, HttpServer,
    dev::{Server, Service},
    http::header::{self, HeaderName, HeaderValue},
    middleware::DefaultHeaders,
    web,
};
use async_graphql::{BatchRequest, BatchResponse};
use futures_util::StreamExt;
use rand::distr::{Alphanumeric, SampleString};
use thiserror::Error;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    auth::{Credentials, Passwords, TokenKeys, service::ensure_bootstrap_admin},
    clock::Clock,
    config::{Config, ExposeSecret},
    db,
    error::ApiError,
    graphiql, groups,
    limits::BatchBudget,
    mail::{self, Mailer},
    metrics, registrations, scheduler,
    schema::{self, KlubSchema},
    socket,
    state::AppState,
    telemetry::RequestSpan,
};

/// Largest request body accepted on `/graphql`.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot prepare the server: {0}")]
    Setup(#[from] ApiError),
}

pub struct Application {
    server: Server,
    port: u16,
    metrics_port: Option<u16>,
    state: AppState,
}

impl Application {
    /// Connects and migrates the database, prepares keys and the first admin, and binds the
    /// listener (port 0 picks a free port: see [`Application::port`]).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let statements = Arc::new(AtomicU64::new(0));
        let db = db::connect(&config, statements.clone()).await?;
        let secret = match &config.jwt_secret {
            Some(secret) => secret.expose_secret().to_owned(),
            None => {
                tracing::warn!(
                    "KLUB_JWT_SECRET is not set: using a secret generated once and kept in the database"
                );
                db::shared_setting(&db, "jwt_secret", || {
                    Alphanumeric.sample_string(&mut rand::rng(), 64)
                })
                .await?
            }
        };
        let tokens = TokenKeys::new(
            secret.as_bytes(),
            config.public_url.clone(),
            config.token_ttl,
        );
        let state = AppState {
            db,
            mailer: Arc::new(Mailer::new(&config)?),
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            passwords: Passwords::new()?,
            clock: Clock::default(),
            posts: tokio::sync::broadcast::channel(256).0,
            statements,
        };
        if let Some(admin) = &state.config.bootstrap_admin {
            ensure_bootstrap_admin(
                &state.db,
                &state,
                &admin.email,
                admin.password.expose_secret(),
            )
            .await?;
        }

        let address = state.config.listen.to_string();
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Listen {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Listen { address, source })?
            .port();
        let server = run(listener, state.clone())?;
        let metrics_port = state
            .config
            .metrics_listen
            .map(|address| spawn_metrics(address, state.clone()))
            .transpose()?;
        scheduler::spawn(state.clone());
        mail::outbox::spawn(state.clone());
        groups::service::spawn_post_listener(state.clone());
        Ok(Self {
            server,
            port,
            metrics_port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `/metrics` listener, when `KLUB_METRICS_LISTEN` asks for one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Stops the server from outside (tests use it to stop instances they started).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting and lets in-flight requests
    /// finish (up to 30 s). actix-web's own handling would treat SIGINT as a forced stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        tracing::info!(port = self.port, "klub is serving");
        self.server.await
    }
}

fn run(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    let schema = schema::build(state.clone());
    let workers = state.config.http_workers;
    metrics::handle();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(schema.clone()))
            // The last wrapped runs first: the logger gives the request its id, the id
            // header and security headers are added on the way out, CORS answers preflights.
            .wrap(cors(&state.config))
            .wrap(security_headers())
            .wrap_fn(|request, service| {
                let id = request.extensions().get::<RequestId>().copied();
                let response = service.call(request);
                async move {
                    let mut response = response.await?;
                    if let Some(value) =
                        id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
                    {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(response)
                }
            })
            .wrap(TracingLogger::<RequestSpan>::new())
            .route("/graphql", web::post().to(graphql))
            .route("/graphql", web::get().to(graphiql::page))
            .route("/graphiql/{file}", web::get().to(graphiql::asset))
            .route("/graphql/ws", web::get().to(socket::handler))
            .route("/healthz", web::get().to(healthz))
            .route(
                "/calendar/{secret}",
                web::get().to(registrations::feed::download),
            )
            .route(
                "/activities/{id}/registrations.csv",
                web::get().to(registrations::csv::download),
            )
    });
    let server = server.disable_signals().shutdown_timeout(30);
    let server = match workers {
        Some(workers) => server.workers(workers),
        None => server,
    };
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    Ok(server
        .listen(listener)
        .map_err(|source| StartupError::Listen { address, source })?
        .run())
}

/// Prometheus metrics on an address of their own (`KLUB_METRICS_LISTEN`), which operators
/// keep inside their network: they tell about traffic and errors, not for the public.
fn spawn_metrics(address: std::net::SocketAddr, state: AppState) -> Result<u16, StartupError> {
    let listen_error = |source| StartupError::Listen {
        address: address.to_string(),
        source,
    };
    let listener = TcpListener::bind(address).map_err(listen_error)?;
    let port = listener.local_addr().map_err(listen_error)?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/metrics", web::get().to(metrics::scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(listen_error)?
    .run();
    tokio::spawn(server);
    Ok(port)
}

async fn graphql(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    schema: web::Data<KlubSchema>,
) -> HttpResponse {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return request_error(400, "BAD_REQUEST", "the request body could not be read");
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return request_error(
                413,
                "PAYLOAD_TOO_LARGE",
                &format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
        body.extend_from_slice(&chunk);
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(error) => {
            return request_error(
                400,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request: {error}"),
            );
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && requests.len() > MAX_BATCH
    {
        return request_error(
            400,
            "BAD_REQUEST",
            &format!("at most {MAX_BATCH} operations per batch"),
        );
    }

    let started = Instant::now();
    let credentials = Credentials::from_http(&request, state.config.trust_forwarded_for);
    let viewer = match credentials
        .viewer(&state.db, &state.tokens, state.now())
        .await
    {
        Ok(viewer) => viewer,
        Err(error) => {
            tracing::error!(%error, "could not identify the caller");
            return request_error(503, error.code(), &error.to_string());
        }
    };
    let for_viewer = |request: async_graphql::Request| {
        state.for_caller(request, viewer.clone(), credentials.clone())
    };
    let operations: Vec<String> = batch
        .iter()
        .map(|request| metrics::operation_label(request.operation_name.as_deref()))
        .collect();
    tracing::Span::current().record("operation", operations.join(",").as_str());
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(for_viewer(request)),
        BatchRequest::Batch(requests) if requests.len() == 1 => {
            BatchRequest::Batch(requests.into_iter().map(for_viewer).collect())
        }
        BatchRequest::Batch(requests) => {
            let budget = BatchBudget::default();
            BatchRequest::Batch(
                requests
                    .into_iter()
                    .map(|request| for_viewer(request).data(budget.clone()))
                    .collect(),
            )
        }
    };
    let response: BatchResponse = schema.execute_batch(batch).await;
    let responses = match &response {
        BatchResponse::Single(response) => std::slice::from_ref(response),
        BatchResponse::Batch(responses) => responses.as_slice(),
    };
    for (operation, response) in operations.into_iter().zip(responses) {
        metrics::record_operation(operation, outcome(response), started.elapsed());
    }
    HttpResponse::Ok().json(response)
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

/// Browsers may call the API from the configured frontend origins and from Klub's own
/// public URL (GraphiQL); clients without an `Origin` header are not concerned.
fn cors(config: &crate::Config) -> Cors {
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
fn security_headers() -> DefaultHeaders {
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

/// An error about the HTTP request itself, shaped like a GraphQL response so clients read
/// every failure the same way.
fn request_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    }))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unreachable" }))
        }
    }
}
