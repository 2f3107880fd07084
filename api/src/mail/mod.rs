//! Mail: what people hear about, rendered from templates into a durable outbox inside the
//! transaction of the change that causes it, and sent by a worker through SMTP (or written as
//! `.eml` files when no SMTP server is configured).

pub mod calendar;
pub mod outbox;
pub mod render;
mod schema;
pub mod transport;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{activity, registration, session, user};
use lettre::message::Mailbox;
use minijinja::context;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

pub use schema::MailQuery;

use self::{calendar::Method, outbox::Outgoing, render::Templates, transport::Transport};
use crate::{
    activities,
    config::{Config, Locale},
    error::{ApiError, ApiResult},
};

/// What people should hear about. Rules raise notices inside their own transactions, so a mail
/// exists if and only if the change it describes was committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A registration got a seat at once.
    RegistrationConfirmed { registration_id: i64 },
    /// A registration joined the waiting list.
    RegistrationWaitlisted { registration_id: i64 },
    /// A waiting registration moved to a seat.
    PromotedFromWaitlist { registration_id: i64 },
    /// A registration was cancelled by its owner or by staff.
    RegistrationCancelled { registration_id: i64 },
    /// An activity was cancelled; these registrations were active until then.
    ActivityCancelled {
        activity_id: i64,
        registration_ids: Vec<i64>,
    },
    /// The dates or the place of a published activity changed.
    ActivityChanged { activity_id: i64 },
    /// The first session is near.
    Reminder { registration_id: i64 },
}

/// Everything needed to write and send mail.
pub struct Mailer {
    pub templates: Templates,
    pub transport: Transport,
    pub from: Mailbox,
    /// The host part of Message-IDs and calendar UIDs (from `KLUB_PUBLIC_URL`).
    pub host: String,
    pub public_url: String,
    pub default_locale: Locale,
    pub timezone: Tz,
}

impl Mailer {
    pub fn new(config: &Config) -> ApiResult<Self> {
        let host = config
            .public_url
            .split("://")
            .nth(1)
            .unwrap_or("localhost")
            .split(['/', ':'])
            .next()
            .unwrap_or("localhost")
            .to_owned();
        Ok(Self {
            templates: Templates::new()?,
            transport: Transport::from_config(config).map_err(ApiError::internal)?,
            from: config.mail_from.parse().map_err(ApiError::internal)?,
            host,
            public_url: config.public_url.clone(),
            default_locale: config.default_locale,
            timezone: config.timezone,
        })
    }

    pub fn locale_of(&self, user: &user::Model) -> Locale {
        user.locale
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(self.default_locale)
    }

    /// A link to `path_and_query` of the frontend ending in the mail's secret, which the
    /// outbox puts in at sending time (see [`outbox::SECRET_PLACEHOLDER`]).
    pub fn secret_link(&self, path_and_query: &str) -> String {
        format!(
            "{}{path_and_query}{}",
            self.public_url,
            outbox::SECRET_PLACEHOLDER
        )
    }

    /// The sessions as lines of local dates and times.
    pub fn when(&self, sessions: &[session::Model], locale: Locale) -> String {
        let format = match locale {
            Locale::Fr => "%d/%m/%Y %H:%M",
            Locale::En => "%Y-%m-%d %H:%M",
        };
        sessions
            .iter()
            .map(|s| {
                format!(
                    "- {} – {} ({})",
                    s.starts_at.with_timezone(&self.timezone).format(format),
                    s.ends_at.with_timezone(&self.timezone).format("%H:%M"),
                    self.timezone.name()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A calendar attachment for an activity's sessions.
    pub fn calendar(
        &self,
        method: Method,
        activity: &activity::Model,
        sessions: &[session::Model],
    ) -> String {
        calendar::calendar(
            method,
            activity,
            sessions,
            &self.host,
            self.from.email.as_ref(),
        )
    }

    /// Renders the notice's mails and writes them to the outbox through `db` (the caller's
    /// transaction).
    pub async fn queue(
        &self,
        db: &impl ConnectionTrait,
        notice: Notice,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        use Notice::*;
        match notice {
            RegistrationConfirmed { registration_id } => {
                self.about_registration(
                    db,
                    registration_id,
                    "registration_confirmed",
                    Some(Method::Request),
                    None,
                    now,
                )
                .await
            }
            RegistrationWaitlisted { registration_id } => {
                self.about_registration(
                    db,
                    registration_id,
                    "registration_waitlisted",
                    None,
                    None,
                    now,
                )
                .await
            }
            PromotedFromWaitlist { registration_id } => {
                self.about_registration(
                    db,
                    registration_id,
                    "promoted",
                    Some(Method::Request),
                    None,
                    now,
                )
                .await
            }
            RegistrationCancelled { registration_id } => {
                self.about_registration(
                    db,
                    registration_id,
                    "registration_cancelled",
                    Some(Method::Cancel),
                    None,
                    now,
                )
                .await
            }
            Reminder { registration_id } => {
                self.about_registration(db, registration_id, "reminder", None, None, now)
                    .await
            }
            ActivityCancelled {
                activity_id,
                registration_ids,
            } => {
                let reason = activity::Entity::find_by_id(activity_id)
                    .one(db)
                    .await?
                    .and_then(|a| a.cancellation_reason);
                for registration_id in registration_ids {
                    self.about_registration(
                        db,
                        registration_id,
                        "activity_cancelled",
                        Some(Method::Cancel),
                        reason.clone(),
                        now,
                    )
                    .await?;
                }
                Ok(())
            }
            ActivityChanged { activity_id } => {
                let confirmed = registration::Entity::find()
                    .filter(registration::Column::ActivityId.eq(activity_id))
                    .filter(registration::Column::Status.eq(registration::Status::Confirmed))
                    .all(db)
                    .await?;
                for registration in confirmed {
                    self.about_registration(
                        db,
                        registration.id,
                        "activity_changed",
                        Some(Method::Request),
                        None,
                        now,
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }

    async fn about_registration(
        &self,
        db: &impl ConnectionTrait,
        registration_id: i64,
        kind: &'static str,
        method: Option<Method>,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let registration = registration::Entity::find_by_id(registration_id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("registration"))?;
        let person = user::Entity::find_by_id(registration.user_id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("user"))?;
        let activity = activity::Entity::find_by_id(registration.activity_id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("activity"))?;
        let sessions = activities::service::sessions_of(db, activity.id).await?;
        let locale = self.locale_of(&person);
        let rendered = self.templates.render(
            kind,
            locale,
            context! {
                name => &person.name,
                activity => &activity.title,
                when => self.when(&sessions, locale),
                position => registration.position,
                reason => reason,
            },
        )?;
        outbox::enqueue(
            db,
            match method {
                Some(method) => Outgoing::to_account(kind, &person, rendered)
                    .with_calendar(self.calendar(method, &activity, &sessions)),
                None => Outgoing::to_account(kind, &person, rendered),
            },
            now,
        )
        .await
    }
}
