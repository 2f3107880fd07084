//! Building and running Klub: the state every request reaches, the background jobs, and the
//! HTTP server's routes — `POST /graphql` ([`crate::http::graphql`]), GraphiQL on `GET /graphql`,
//! graphql-transport-ws on `/graphql/ws` ([`crate::http::socket`]), `GET /healthz`, the calendar
//! feed and the CSV sheet; `/metrics` on its own listener. Around them request ids, logs,
//! CORS and security headers ([`crate::http::headers`]). Stops gracefully on SIGINT or SIGTERM.

use std::{
    net::TcpListener,
    sync::{Arc, atomic::AtomicU64},
};

use actix_web::{
    App, HttpMessage, HttpResponse, HttpServer,
    dev::{Server, Service},
    http::header::{HeaderName, HeaderValue},
    web,
};
use rand::distr::{Alphanumeric, SampleString};
use thiserror::Error;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    auth::{Passwords, TokenKeys, service::ensure_bootstrap_admin},
    changes::{self, Memory},
    clock::Clock,
    config::{Config, ExposeSecret},
    db,
    error::ApiError,
    graphql,
    graphql::limits::QueryLimits,
    groups,
    http::request_span::RequestSpan,
    http::{self, graphiql, headers, socket},
    mail::{self, Mailer},
    metrics, scheduler,
    state::AppState,
    storage::Storage,
};

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
    /// Held while serving an SQLite file (see [`db::SqliteServing`]).
    _serving: Option<db::SqliteServing>,
}

impl Application {
    /// Prepares the state ([`prepare`]) and binds the listener (port 0 picks a free port: see
    /// [`Application::port`]).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let serving = db::SqliteServing::take(
            &config,
            "a Klub server serves it already, and SQLite serves one process (several instances need PostgreSQL)",
        )?;
        let state = prepare(config).await?;
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
        groups::service::spawn_post_listener(state.clone()).await;
        changes::spawn_listener(
            state.memory.clone(),
            &state.db,
            state.config.database_url.clone(),
        )
        .await;
        Ok(Self {
            server,
            port,
            metrics_port,
            state,
            _serving: serving,
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
        let url = format!(
            "http://{}:{}/graphql",
            self.state.config.listen.ip(),
            self.port
        );
        tracing::info!(%url, "klub is serving GraphQL (open the URL in a browser for GraphiQL)");
        self.server.await
    }
}

/// What the server and the command line's commands share: the database connected and
/// migrated, the keys, the mailer, and the first admin when the configuration names one.
pub async fn prepare(config: Config) -> Result<AppState, StartupError> {
    let statements = Arc::new(AtomicU64::new(0));
    let memory = Memory::for_database(config.database_url.expose_secret());
    let written: db::RowWritten = {
        let memory = memory.clone();
        Arc::new(move |table, id| memory.written(table, id))
    };
    let db = db::connect(&config, statements.clone(), written).await?;
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
        storage: Storage::open(&config)?,
        config: Arc::new(config),
        tokens: Arc::new(tokens),
        passwords: Passwords::new()?,
        clock: Clock::default(),
        posts: tokio::sync::broadcast::channel(256).0,
        statements,
        memory,
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
    Ok(state)
}

fn run(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    // One cache of parsed documents for both ways a document is run.
    let limits = QueryLimits::default();
    let schema = graphql::build(state.clone(), limits.clone());
    let direct = web::Data::new(graphql::SingleOperationSchema::build(state.clone(), limits));
    let workers = state.config.http_workers;
    metrics::handle();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(schema.clone()))
            .app_data(direct.clone())
            // The last wrapped runs first: the logger gives the request its id, the id
            // header and security headers are added on the way out, CORS answers preflights.
            .wrap(headers::cors(&state.config))
            .wrap(headers::security_headers())
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
            .route("/graphql", web::post().to(http::graphql::graphql))
            .route("/graphql", web::get().to(graphiql::page))
            .route("/graphiql/{file}", web::get().to(graphiql::asset))
            .route("/graphql/ws", web::get().to(socket::handler))
            .route("/healthz", web::get().to(healthz))
            .route(
                "/calendar/{secret}",
                web::get().to(http::calendar_feed::download),
            )
            .route(
                "/unsubscribe/{token}",
                web::get().to(http::unsubscribe::page),
            )
            .route(
                "/unsubscribe/{token}",
                web::post().to(http::unsubscribe::page),
            )
            .route(
                "/activities/{id}/survey.csv",
                web::get().to(http::survey_sheet::survey_csv),
            )
            .route(
                "/certificates/{number}",
                web::get().to(http::certificate::pdf),
            )
            .route(
                "/activities/{id}/programme.pdf",
                web::get().to(http::programme::pdf),
            )
            .route(
                "/attendance-slots/{id}/sheet.pdf",
                web::get().to(http::attendance_sheet::pdf),
            )
            .route(
                "/activities/{id}/training-file.zip",
                web::get().to(http::training_file::download),
            )
            .route(
                "/training-years/{year}.csv",
                web::get().to(http::training_year::download),
            )
            .route("/reports/{month}", web::get().to(http::report::download))
            .route("/photos/{id}", web::get().to(http::photo::file))
            .route(
                "/photos/{id}/thumbnail",
                web::get().to(http::photo::thumbnail),
            )
            .route(
                "/payments.csv",
                web::get().to(http::payments_sheet::download),
            )
            .route(
                "/activities/{id}/registrations.csv",
                web::get().to(http::sign_in_sheet::download),
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
            .route("/metrics", web::get().to(http::metrics::scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(listen_error)?
    .run();
    tokio::spawn(server);
    Ok(port)
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
