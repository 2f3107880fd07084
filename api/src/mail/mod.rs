//! Mail: the letter, the outbox and the transport. A letter is rendered from templates into a
//! durable outbox inside the transaction of the change that causes it, and sent by a worker
//! through SMTP (or written as `.eml` files when no SMTP server is configured).
//!
//! Every mail goes through one entry point, [`Mailer::send`]: a [`Letter`] names its template
//! (`templates/mail/{fr,en}.jinja`), its [`Recipient`] (whose language it speaks) and the
//! values the template uses, plus a calendar entry or a secret link when it has one. What each
//! domain tells people is written in that domain (registration notices in
//! `activities::notices`, digests in `groups::notifications`, the monthly report in
//! `progress::monthly`).

pub mod calendar;
pub mod outbox;
pub mod render;
pub mod transport;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{activity, session, user};
use lettre::message::Mailbox;
use sea_orm::ConnectionTrait;

use self::{calendar::Method, outbox::Outgoing, render::Templates, transport::Transport};
use crate::{
    config::{Config, Locale},
    error::{ApiError, ApiResult},
};

/// What people should hear about. Rules raise notices inside their own transactions, so a mail
/// exists if and only if the change it describes was committed.
#[derive(Clone, Copy)]
pub enum Recipient<'a> {
    /// An account: the mail speaks its language and is its own (part of its personal data).
    Account(&'a user::Model),
    /// The address of an account that has not proven it owns it: the mail speaks the
    /// account's language but belongs to nobody until the address is proven.
    AddressOf(&'a user::Model),
    /// An address without an account, written to in the language given (an import may know
    /// it), or else the office's default.
    Address(&'a str, Option<Locale>),
}

impl<'a> Recipient<'a> {
    /// Something staff send to a person's address: the account's once it proved the address.
    pub fn address_of(person: &'a user::Model) -> Self {
        if person.email_verified_at.is_some() {
            Self::Account(person)
        } else {
            Self::AddressOf(person)
        }
    }
}

/// A mail to send: see [`Mailer::send`].
pub struct Letter<'a> {
    kind: &'static str,
    to: Recipient<'a>,
    values: minijinja::Value,
    calendar: Option<String>,
    secret: Option<String>,
    unsubscribe: Option<String>,
    attachment: Option<Attachment>,
    html: Option<String>,
}

/// A file a mail carries (a certificate's PDF).
pub struct Attachment {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl<'a> Letter<'a> {
    /// Mail `kind` (its template's blocks are `<kind>_subject`, `<kind>_body`, `<kind>_action`)
    /// to `to`, with the values its template uses.
    pub fn new(kind: &'static str, to: Recipient<'a>, values: minijinja::Value) -> Self {
        Self {
            kind,
            to,
            values,
            calendar: None,
            secret: None,
            unsubscribe: None,
            attachment: None,
            html: None,
        }
    }

    /// An HTML part of its own (a report with charts) in place of the text in the layout.
    pub fn with_html(mut self, html: String) -> Self {
        self.html = Some(html);
        self
    }

    /// Attaches a file.
    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachment = Some(attachment);
        self
    }

    /// Attaches an iCalendar entry.
    pub fn with_calendar(mut self, ics: String) -> Self {
        self.calendar = Some(ics);
        self
    }

    /// The token of the mail's link (written in the template through a link made by
    /// [`Mailer::secret_link`]): stored apart and forgotten once the mail has left.
    pub fn with_secret(mut self, token: String) -> Self {
        self.secret = Some(token);
        self
    }

    /// Makes the mail carry `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058 one-click)
    /// to `url`, a link made by [`Mailer::secret_link`] whose token is the mail's secret.
    pub fn with_unsubscribe(mut self, url: String) -> Self {
        self.unsubscribe = Some(url);
        self
    }
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
    /// The office running the programme (`KLUB_OFFICE_NAME`), as its documents name it.
    pub office_name: String,
    /// Its declaration number as a training body (`KLUB_TRAINING_BODY_NUMBER`).
    pub training_body_number: Option<String>,
    /// Who signs its certificates of realisation (`KLUB_TRAINING_BODY_SIGNATORY`).
    pub training_body_signatory: Option<String>,
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
            office_name: config.office_name.clone(),
            training_body_number: config.training_body_number.clone(),
            training_body_signatory: config.training_body_signatory.clone(),
        })
    }

    /// The one way to send a mail: renders `letter` in its reader's language and writes it to
    /// the outbox through `db` (the caller's transaction), so the mail exists if and only if
    /// the change it tells about was committed.
    pub async fn send(
        &self,
        db: &impl ConnectionTrait,
        letter: Letter<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let locale = self.locale_for(letter.to);
        let mut rendered = self.templates.render(letter.kind, locale, letter.values)?;
        if let Some(html) = letter.html {
            rendered.html = html;
        }
        let mut mail = match letter.to {
            Recipient::Account(person) => Outgoing::to_account(letter.kind, person, rendered),
            Recipient::AddressOf(person) => {
                Outgoing::to_address(letter.kind, person.email.clone(), Some(person), rendered)
            }
            Recipient::Address(email, _) => {
                Outgoing::to_address(letter.kind, email.to_owned(), None, rendered)
            }
        };
        if let Some(ics) = letter.calendar {
            mail = mail.with_calendar(ics);
        }
        if let Some(secret) = letter.secret {
            mail = mail.with_secret(secret);
        }
        if let Some(url) = letter.unsubscribe {
            mail = mail.with_unsubscribe(url);
        }
        if let Some(attachment) = letter.attachment {
            mail = mail.with_attachment(attachment);
        }
        outbox::enqueue(db, mail, now).await
    }

    /// The language a recipient reads.
    pub fn locale_for(&self, recipient: Recipient<'_>) -> Locale {
        match recipient {
            Recipient::Account(person) | Recipient::AddressOf(person) => self.locale_of(person),
            Recipient::Address(_, locale) => locale.unwrap_or(self.default_locale),
        }
    }

    /// A day, written as readers of `locale` write it.
    pub fn day(&self, at: DateTime<Utc>, locale: Locale) -> String {
        let format = match locale {
            Locale::Fr => "%d/%m/%Y",
            Locale::En => "%Y-%m-%d",
        };
        at.with_timezone(&self.timezone).format(format).to_string()
    }

    /// A time of day in the office's time zone: "09:05".
    pub fn time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.timezone).format("%H:%M").to_string()
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
}
