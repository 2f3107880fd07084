//! Jobs the server runs by itself, every `KLUB_SCHEDULER_TICK_SECONDS`. Each job is safe on
//! several instances at once: it claims its work with a conditional statement, so exactly one
//! instance does each piece and none repeats it.

use crate::{activities, auth, groups, progress, state::AppState};

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.scheduler_tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_once(&state).await;
        }
    })
}

/// One pass over every job. Failures are logged and retried at the next tick.
pub async fn run_once(state: &AppState) {
    if let Err(error) =
        activities::lifecycle::cancel_underbooked(&state.db, &state.mailer, state.now()).await
    {
        tracing::warn!(%error, "scheduler: cancelling under-booked activities failed");
    }
    if let Err(error) =
        crate::registrations::offers::expire_due(&state.db, &state.mailer, state.now()).await
    {
        tracing::warn!(%error, "scheduler: passing on lapsed offers failed");
    }
    if let Err(error) =
        crate::demand::notice_shortfalls(&state.db, &state.mailer, state.now()).await
    {
        tracing::warn!(%error, "scheduler: telling the interested of shortfalls failed");
    }
    if let Err(error) =
        crate::followup::reminders::send_due(&state.db, &state.mailer, state.now()).await
    {
        tracing::warn!(%error, "scheduler: sending reminders failed");
    }
    if let Err(error) =
        crate::followup::cold_surveys::send_due(&state.db, &state.mailer, state.now()).await
    {
        tracing::warn!(%error, "scheduler: sending cold surveys failed");
    }
    if let Err(error) =
        crate::learning::positioning::send_due(&state.db, &state.mailer, state.now()).await
    {
        tracing::warn!(%error, "scheduler: asking for positionings failed");
    }
    if let Err(error) = groups::notifications::notify_new_posts(state).await {
        tracing::warn!(%error, "scheduler: mailing new posts failed");
    }
    if let Err(error) = groups::notifications::send_digests(state).await {
        tracing::warn!(%error, "scheduler: sending group digests failed");
    }
    if let Err(error) = groups::moderation::alert_overdue(state).await {
        tracing::warn!(%error, "scheduler: alerting overdue questions failed");
    }
    if let Err(error) = progress::monthly::send_monthly(state).await {
        tracing::warn!(%error, "scheduler: sending the monthly report failed");
    }
    if let Err(error) = auth::throttle::forget_old(&state.db, state.now()).await {
        tracing::warn!(%error, "scheduler: forgetting old login failures failed");
    }
    metrics::counter!(crate::metrics::SCHEDULER_RUNS).increment(1);
}
