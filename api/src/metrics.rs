//! Prometheus metrics (served on `GET /metrics` by `http::metrics`). Counters and histograms are recorded where things
//! happen through the `metrics` facade; gauges that describe the database (pool use, outbox
//! depth) are read at scrape time. Figures are per instance: Prometheus scrapes each one.

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use entity::mail;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::state::AppState;

pub const GRAPHQL_REQUESTS: &str = "klub_graphql_requests_total";
pub const GRAPHQL_DURATION: &str = "klub_graphql_request_duration_seconds";
pub const OUTBOX_SENT: &str = "klub_outbox_sent_total";
pub const OUTBOX_FAILURES: &str = "klub_outbox_failures_total";
pub const SCHEDULER_RUNS: &str = "klub_scheduler_runs_total";
pub const LOGIN_THROTTLED: &str = "klub_login_throttled_total";
pub const ANSWERS_FROM_MEMORY: &str = "klub_graphql_answers_from_memory_total";

/// Operation names are chosen by clients; past this many distinct names, new ones are
/// counted as `other` so a client cannot blow up the metrics' cardinality.
const MAX_OPERATION_NAMES: usize = 200;

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process-wide recorder: the `metrics` facade allows one per process, shared by every
/// server started in it (tests start many).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only when another recorder was installed first; ours then renders empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The label for a client-chosen operation name.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|name| {
        !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }) else {
        return "anonymous".into();
    };
    let Ok(mut seen) = SEEN.get_or_init(Mutex::default).lock() else {
        return "other".into();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".into()
    }
}

/// Counts one GraphQL operation and its latency.
pub fn record_operation(operation: String, outcome: &'static str, elapsed: Duration) {
    metrics::histogram!(GRAPHQL_DURATION, "operation" => operation.clone())
        .record(elapsed.as_secs_f64());
    metrics::counter!(GRAPHQL_REQUESTS, "operation" => operation, "outcome" => outcome)
        .increment(1);
}

/// Every metric in Prometheus' text format, the database's gauges read now.
pub async fn render(state: &AppState) -> String {
    metrics::counter!("klub_db_statements_total")
        .absolute(state.statements.load(std::sync::atomic::Ordering::Relaxed));
    let (size, idle) = pool_use(state);
    metrics::gauge!("klub_db_pool_connections", "state" => "open").set(size);
    metrics::gauge!("klub_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("klub_db_pool_max_connections").set(state.config.db_max_connections);
    for (status, label) in [
        (mail::Status::Pending, "pending"),
        (mail::Status::Failed, "failed"),
    ] {
        match mail::Entity::find()
            .filter(mail::Column::Status.eq(status))
            .count(&state.db)
            .await
        {
            Ok(count) => {
                metrics::gauge!("klub_outbox_mails", "status" => label)
                    .set(crate::numbers::real(count));
            }
            Err(error) => tracing::warn!(%error, "metrics: outbox depth unavailable"),
        }
    }
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

fn pool_use(state: &AppState) -> (f64, f64) {
    use sea_orm::DbBackend;
    // The pool getters panic on the wrong backend, hence the match on the backend first.
    match state.db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (
                f64::from(pool.size()),
                crate::numbers::real_len(pool.num_idle()),
            )
        }
        DbBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            (
                f64::from(pool.size()),
                crate::numbers::real_len(pool.num_idle()),
            )
        }
        _ => (0.0, 0.0),
    }
}
