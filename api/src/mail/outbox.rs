//! The durable outbox. A mail is a row written in the transaction of the change that causes
//! it; a worker in every instance sends due rows. Claiming a row is one conditional UPDATE that
//! takes a lease, so two instances never send the same row at once, and a row whose sender
//! died is taken again once its lease runs out. Each mail's Message-ID comes from its row, so
//! the rare resend after a crash is recognisable as the same mail.

use chrono::{DateTime, Duration, Utc};
use entity::{
    mail::{self, Status},
    user,
};
use futures_util::StreamExt;
use lettre::{
    Message,
    message::{
        Attachment, Mailbox, MultiPart,
        header::{ContentType, HeaderName, HeaderValue},
    },
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{Mailer, render::Rendered, transport::SendError};
use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// Tries before a mail is marked FAILED.
pub const MAX_ATTEMPTS: i32 = 8;
/// The first retry waits this long; each next one twice as long.
pub const FIRST_RETRY_SECONDS: i64 = 30;
/// How long a claimed row belongs to the instance sending it.
const LEASE_SECONDS: i64 = 120;
const BATCH: u64 = 20;

/// Stands in a stored mail's bodies for its secret (the token of its link): the token is
/// kept in its own column and put in only when the mail is sent, then forgotten, so the
/// stored copy of a mail that has left holds no usable link.
pub const SECRET_PLACEHOLDER: &str = "__klub_secret__";

/// A rendered mail to queue, with its calendar attachment and its secret if any. Made by
/// [`super::Mailer::send`] only.
pub(super) struct Outgoing {
    kind: &'static str,
    to: String,
    user_id: Option<i64>,
    about_user_id: Option<i64>,
    rendered: Rendered,
    calendar: Option<String>,
    secret: Option<String>,
    unsubscribe: Option<String>,
    attachment: Option<super::Attachment>,
}

impl Outgoing {
    /// A mail to an account: it belongs to that account (its personal data), by id.
    pub(super) fn to_account(kind: &'static str, person: &user::Model, rendered: Rendered) -> Self {
        Self {
            kind,
            to: person.email.clone(),
            user_id: Some(person.id),
            about_user_id: Some(person.id),
            rendered,
            calendar: None,
            secret: None,
            unsubscribe: None,
            attachment: None,
        }
    }

    /// A mail to an address that has no account (yet), or whose account has not proven it
    /// (`about`: the mail is written about that account, and goes when it is deleted): it
    /// belongs to nobody.
    pub(super) fn to_address(
        kind: &'static str,
        email: String,
        about: Option<&user::Model>,
        rendered: Rendered,
    ) -> Self {
        Self {
            kind,
            to: email,
            user_id: None,
            about_user_id: about.map(|person| person.id),
            rendered,
            calendar: None,
            secret: None,
            unsubscribe: None,
            attachment: None,
        }
    }

    pub(super) fn with_calendar(mut self, ics: String) -> Self {
        self.calendar = Some(ics);
        self
    }

    /// The token that replaces [`SECRET_PLACEHOLDER`] in the bodies when the mail is sent.
    pub(super) fn with_secret(mut self, token: String) -> Self {
        self.secret = Some(token);
        self
    }

    pub(super) fn with_unsubscribe(mut self, url: String) -> Self {
        self.unsubscribe = Some(url);
        self
    }

    pub(super) fn with_attachment(mut self, attachment: super::Attachment) -> Self {
        self.attachment = Some(attachment);
        self
    }
}

/// Writes the mail into the outbox, inside the caller's transaction.
pub(super) async fn enqueue(
    db: &impl ConnectionTrait,
    mail: Outgoing,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    mail::ActiveModel {
        kind: Set(mail.kind.to_owned()),
        to_address: Set(mail.to),
        user_id: Set(mail.user_id),
        about_user_id: Set(mail.about_user_id),
        secret: Set(mail.secret),
        list_unsubscribe: Set(mail.unsubscribe),
        attachment_name: Set(mail.attachment.as_ref().map(|a| a.name.clone())),
        attachment_type: Set(mail.attachment.as_ref().map(|a| a.content_type.to_owned())),
        attachment: Set(mail.attachment.map(|a| a.bytes)),
        subject: Set(mail.rendered.subject),
        text_body: Set(mail.rendered.text),
        html_body: Set(mail.rendered.html),
        calendar: Set(mail.calendar),
        status: Set(Status::Pending),
        attempts: Set(0),
        last_error: Set(None),
        next_attempt_at: Set(now),
        leased_until: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Runs the worker until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match deliver_due(&state).await {
                // A full batch means there may be more waiting: go on at once.
                Ok(handled) if u64::try_from(handled).unwrap_or(u64::MAX) >= BATCH => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "outbox: delivery pass failed"),
            }
            tokio::time::sleep(state.config.outbox_poll).await;
        }
    })
}

/// Sends what is due now, [`SENDING_AT_ONCE`] at a time; returns how many rows it tried.
pub async fn deliver_due(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    // `'PENDING'` written into the statement, not bound: a plan PostgreSQL makes for a bound
    // status cannot use the partial index of pending mails, and walks every mail already sent.
    let pending = crate::db::literal(Status::Pending);
    let due = mail::Entity::find()
        .filter(Expr::col((mail::Entity, mail::Column::Status)).eq(pending))
        .filter(mail::Column::NextAttemptAt.lte(now))
        .filter(free_lease(now))
        .order_by_asc(mail::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    // A person reads their mails in the order they were written ("on the waiting list" before
    // "a seat is yours"): each address's mails leave one after the other, addresses side by side.
    let mut by_address: Vec<Vec<mail::Model>> = Vec::new();
    for row in due {
        match by_address.iter_mut().find(|rows| {
            rows.first()
                .is_some_and(|first| first.to_address == row.to_address)
        }) {
            Some(rows) => rows.push(row),
            None => by_address.push(vec![row]),
        }
    }
    let tried: Vec<ApiResult<usize>> = futures_util::stream::iter(by_address)
        .map(|rows| deliver_in_order(state, rows, now))
        .buffer_unordered(SENDING_AT_ONCE)
        .collect()
        .await;
    tried.into_iter().sum()
}

/// Sends one address's due mails in order, until one is left for later (the ones after it
/// wait with it); returns how many it tried.
async fn deliver_in_order(
    state: &AppState,
    rows: Vec<mail::Model>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let mut tried = 0;
    for row in rows {
        match deliver(state, row, now).await? {
            Delivery::Tried => tried += 1,
            Delivery::Left => break,
        }
    }
    Ok(tried)
}

/// Mails one instance sends at once. An SMTP exchange mostly waits: on the network, and for a
/// message the client writes in two parts (lettre sends the final dot apart), on the server's
/// delayed acknowledgement, about 40 ms on Linux. One at a time, an instance sent 22 mails a
/// second to a local server (klub-bench's night).
const SENDING_AT_ONCE: usize = 8;

/// What became of one due row.
enum Delivery {
    /// Sent, or refused and settled.
    Tried,
    /// Another instance claimed it first, or the minute's pace was reached: left for later.
    Left,
}

async fn deliver(state: &AppState, row: mail::Model, now: DateTime<Utc>) -> ApiResult<Delivery> {
    if !claim(state, row.id, now).await? {
        return Ok(Delivery::Left);
    }
    if !within_pace(state, now).await? {
        release(state, row.id).await?;
        return Ok(Delivery::Left);
    }
    let outcome = match message(&state.mailer, &row) {
        Ok(message) => state.mailer.transport.send(message).await,
        Err(error) => Err(SendError {
            message: error.to_string(),
            permanent: true,
        }),
    };
    settle(state, &row, outcome, now).await?;
    Ok(Delivery::Tried)
}

/// Whether one more mail may leave now: with `KLUB_MAIL_PER_MINUTE`, each mail takes a slot
/// of the minute from a counter in the database, shared by every instance, so that together
/// they never send more than the limit in a minute. Asked once the mail is claimed, so that
/// only mails that will leave take slots.
async fn within_pace(state: &AppState, now: DateTime<Utc>) -> ApiResult<bool> {
    let Some(limit) = state.config.mail_per_minute else {
        return Ok(true);
    };
    let slot =
        crate::db::bump_counter(&state.db, "outbox:minute".into(), Duration::minutes(1), now)
            .await?;
    Ok(u64::try_from(slot).is_ok_and(|slot| slot <= limit))
}

fn free_lease(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(mail::Column::LeasedUntil.is_null())
        .add(mail::Column::LeasedUntil.lt(now))
}

/// Takes the row for this instance: one statement, so of two instances only one succeeds.
async fn claim(state: &AppState, id: i64, now: DateTime<Utc>) -> ApiResult<bool> {
    let claimed = mail::Entity::update_many()
        .col_expr(
            mail::Column::LeasedUntil,
            Expr::value(now + Duration::seconds(LEASE_SECONDS)),
        )
        .col_expr(
            mail::Column::Attempts,
            Expr::col(mail::Column::Attempts).add(1),
        )
        .filter(mail::Column::Id.eq(id))
        .filter(mail::Column::Status.eq(Status::Pending))
        .filter(free_lease(now))
        .exec(&state.db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Gives back a claimed mail that may not leave yet (see [`within_pace`]): free again, its
/// attempt not counted.
async fn release(state: &AppState, id: i64) -> ApiResult<()> {
    mail::Entity::update_many()
        .col_expr(
            mail::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            mail::Column::Attempts,
            Expr::col(mail::Column::Attempts).sub(1),
        )
        .filter(mail::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Records how the attempt went: SENT; FAILED for a permanent refusal or the last try; else
/// PENDING again after an exponential backoff.
async fn settle(
    state: &AppState,
    row: &mail::Model,
    outcome: Result<(), SendError>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let attempts = row.attempts + 1;
    let mut update = mail::Entity::update_many()
        .col_expr(
            mail::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(mail::Column::Id.eq(row.id));
    match outcome {
        Ok(()) => {
            metrics::counter!(crate::metrics::OUTBOX_SENT).increment(1);
            update = update
                .col_expr(mail::Column::Secret, Expr::value(Option::<String>::None))
                .col_expr(mail::Column::Status, Expr::value(Status::Sent))
                .col_expr(mail::Column::SentAt, Expr::value(state.now()))
                .col_expr(mail::Column::LastError, Expr::value(Option::<String>::None));
        }
        Err(error) => {
            tracing::warn!(mail_id = row.id, attempts, permanent = error.permanent, error = %error.message, "outbox: sending failed");
            metrics::counter!(crate::metrics::OUTBOX_FAILURES).increment(1);
            update = update.col_expr(mail::Column::LastError, Expr::value(error.message));
            if error.permanent || attempts >= MAX_ATTEMPTS {
                update = update
                    .col_expr(mail::Column::Secret, Expr::value(Option::<String>::None))
                    .col_expr(mail::Column::Status, Expr::value(Status::Failed));
            } else {
                update = update.col_expr(
                    mail::Column::NextAttemptAt,
                    Expr::value(now + backoff(attempts)),
                );
            }
        }
    }
    update.exec(&state.db).await?;
    Ok(())
}

/// 30 s after the first failed try, then 1 min, 2 min, … (doubling).
pub fn backoff(attempts: i32) -> Duration {
    let doublings = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 16);
    Duration::seconds(FIRST_RETRY_SECONDS * 2_i64.pow(doublings))
}

/// The MIME message for a row: text and HTML alternatives, plus the calendar if any.
fn message(mailer: &Mailer, row: &mail::Model) -> ApiResult<Message> {
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e: lettre::address::AddressError| ApiError::internal(e))?;
    let with_secret = |body: &str| match &row.secret {
        Some(secret) => body.replace(SECRET_PLACEHOLDER, secret),
        None => body.to_owned(),
    };
    let body =
        MultiPart::alternative_plain_html(with_secret(&row.text_body), with_secret(&row.html_body));
    let mut builder = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<klub-mail-{}@{}>", row.id, mailer.host)));
    if let Some(url) = &row.list_unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", with_secret(url)),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let mut files = Vec::new();
    if let Some(ics) = &row.calendar {
        let method = if ics.contains("METHOD:CANCEL") {
            "CANCEL"
        } else {
            "REQUEST"
        };
        let content_type =
            ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                .map_err(ApiError::internal)?;
        files.push(Attachment::new("invite.ics".into()).body(ics.clone(), content_type));
    }
    if let (Some(name), Some(content_type), Some(bytes)) =
        (&row.attachment_name, &row.attachment_type, &row.attachment)
    {
        let content_type = ContentType::parse(content_type).map_err(ApiError::internal)?;
        files.push(Attachment::new(name.clone()).body(bytes.clone(), content_type));
    }
    let message = if files.is_empty() {
        builder.multipart(body)
    } else {
        builder.multipart(
            files
                .into_iter()
                .fold(MultiPart::mixed().multipart(body), MultiPart::singlepart),
        )
    };
    message.map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_from_thirty_seconds() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(7), Duration::seconds(30 * 64));
    }
}
