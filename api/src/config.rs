//! Configuration, read once from the environment into one typed struct. Every variable is
//! documented in the README's configuration table; a bad value stops the server with one line
//! naming the variable.

use std::{net::SocketAddr, time::Duration};

pub use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// The furthest a reminder may be from its activity's dates: 90 days.
pub const MAX_REMINDER_HOURS: i32 = 90 * 24;

/// Everything the server can be told from outside. Values that may hold a secret (the JWT
/// key, passwords inside the database and SMTP URLs, the first admin's password) are
/// [`SecretString`]s: `Debug` prints them as `[REDACTED]`, and reading one takes an explicit
/// `expose_secret()`.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: SQLite (`sqlite://klub.db?mode=rwc`, the default) or PostgreSQL.
    pub database_url: SecretString,
    /// `KLUB_LISTEN`: the address the HTTP server binds.
    pub listen: SocketAddr,
    /// `KLUB_JWT_SECRET`: when absent, a secret is generated once and kept in the database.
    pub jwt_secret: Option<SecretString>,
    /// `KLUB_TOKEN_TTL`: how long a session token stays valid.
    pub token_ttl: Duration,
    /// `KLUB_PUBLIC_URL`: where users reach Klub (links in mails, token issuer).
    pub public_url: String,
    /// `KLUB_ALLOW_SIGNUP`: whether anyone may create a partner account.
    pub allow_signup: bool,
    /// `KLUB_SIGN_UPS_PER_CLIENT`: accounts one client address may create per 15 minutes.
    pub sign_ups_per_client: i32,
    /// `KLUB_ADMIN_EMAIL` + `KLUB_ADMIN_PASSWORD`: the first staff account of a fresh install.
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// `KLUB_HTTP_WORKERS`: actix-web worker threads (default: one per core).
    pub http_workers: Option<usize>,
    /// `KLUB_DB_MAX_CONNECTIONS`: the database pool size (32 on PostgreSQL, 10 on SQLite).
    pub db_max_connections: u32,
    /// `KLUB_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `KLUB_SCHEDULER_TICK_SECONDS`: how often background jobs run.
    pub scheduler_tick: Duration,
    /// `KLUB_SMTP_URL`: where mail goes; without it, `.eml` files in `mail_dir`.
    pub smtp_url: Option<SecretString>,
    /// `KLUB_MAIL_FROM`: the sender of every mail.
    pub mail_from: String,
    /// `KLUB_MAIL_DIR`: the folder mails are written to when no SMTP server is configured.
    pub mail_dir: std::path::PathBuf,
    /// `KLUB_MEDIA_DIR`: the folder photos are kept in when no object store is configured.
    pub media_dir: std::path::PathBuf,
    /// `KLUB_STORAGE_URL`: an S3-compatible object store for photos
    /// (`s3://KEY:SECRET@BUCKET?endpoint=URL`), shared by every instance; without it,
    /// `media_dir`.
    pub storage_url: Option<SecretString>,
    /// `KLUB_OFFICE_NAME`: the body running the programme, as certificates name it.
    pub office_name: String,
    /// `KLUB_TRAINING_BODY_NUMBER`: the office's declaration number as a training body (in
    /// France the "numéro de déclaration d'activité"), printed on certificates of realisation.
    pub training_body_number: Option<String>,
    /// `KLUB_TRAINING_BODY_SIGNATORY`: who signs certificates of realisation for the office.
    pub training_body_signatory: Option<String>,
    /// `KLUB_COMPLAINT_DAYS`: how long staff have to answer a complaint before it is overdue.
    pub complaint_days: chrono::Duration,
    /// `KLUB_DEFAULT_LOCALE`: the language of mails for users who chose none (`fr` or `en`).
    pub default_locale: Locale,
    /// `KLUB_TIMEZONE`: the office's time zone, for dates in mails and local schedules.
    pub timezone: chrono_tz::Tz,
    /// `KLUB_REMINDER_HOURS`: the default reminder rule of new activities goes this long
    /// before their first session.
    pub reminder_before: chrono::Duration,
    /// `KLUB_OUTBOX_POLL_MS`: how often the outbox worker looks for mail to send.
    pub outbox_poll: Duration,
    /// `KLUB_MAIL_PER_MINUTE`: the most mails all instances together send in a minute (counted
    /// in the database), for SMTP servers that refuse more; `None` sends as fast as it answers.
    pub mail_per_minute: Option<u64>,
    /// `KLUB_ANSWER_TARGET_MINUTES`: the promised time to a first answer in the groups.
    pub answer_target: chrono::Duration,
    /// `KLUB_OPENING_HOURS`: when that promise runs (`HH:MM-HH:MM`, office time).
    pub opening_hours: crate::hours::OpeningHours,
    /// `KLUB_INTROSPECTION`: schema introspection, "did you mean" suggestions and GraphiQL.
    pub introspection: bool,
    /// `KLUB_CORS_ORIGINS`: the browser origins allowed to call the API (`*` for any).
    pub cors_origins: Vec<String>,
    /// `KLUB_TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For`/`Forwarded`
    /// (only behind a proxy that sets them), for login throttling and logs.
    pub trust_forwarded_for: bool,
    /// `KLUB_METRICS_LISTEN`: the address of the Prometheus `/metrics` listener, apart from
    /// the API's (off when unset).
    pub metrics_listen: Option<SocketAddr>,
}

/// The languages mails are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    Fr,
    En,
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Locale::Fr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: SecretString,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Error)]
#[error("invalid {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://klub.db?mode=rwc";
pub const MIN_JWT_SECRET_LEN: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can build one without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let listen = env.parse("KLUB_LISTEN", "127.0.0.1:8080".parse().ok())?;
        let database_url = env
            .text("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        Ok(Self {
            db_max_connections: env.parse(
                "KLUB_DB_MAX_CONNECTIONS",
                Some(default_pool_size(&database_url)),
            )?,
            database_url: database_url.into(),
            listen,
            jwt_secret: jwt_secret(&env)?,
            token_ttl: token_ttl(&env)?,
            public_url: public_url(&env, listen)?,
            allow_signup: env.parse("KLUB_ALLOW_SIGNUP", Some(true))?,
            sign_ups_per_client: env.parse("KLUB_SIGN_UPS_PER_CLIENT", Some(20))?,
            bootstrap_admin: bootstrap_admin(&env)?,
            http_workers: env.optional("KLUB_HTTP_WORKERS")?,
            log_format: log_format(&env)?,
            scheduler_tick: Duration::from_secs(env.positive("KLUB_SCHEDULER_TICK_SECONDS", 60)?),
            smtp_url: smtp_url(&env)?,
            mail_from: mail_from(&env)?,
            mail_dir: env
                .text("KLUB_MAIL_DIR")
                .unwrap_or_else(|| "mail".into())
                .into(),
            media_dir: env
                .text("KLUB_MEDIA_DIR")
                .unwrap_or_else(|| "media".into())
                .into(),
            storage_url: storage_url(&env)?,
            office_name: env
                .text("KLUB_OFFICE_NAME")
                .map_or_else(|| "Klub".into(), |name| name.trim().to_owned()),
            training_body_number: env.text("KLUB_TRAINING_BODY_NUMBER"),
            training_body_signatory: env.text("KLUB_TRAINING_BODY_SIGNATORY"),
            complaint_days: chrono::Duration::days(
                env.positive("KLUB_COMPLAINT_DAYS", 7)?
                    .min(365)
                    .try_into()
                    .unwrap_or(7),
            ),
            default_locale: default_locale(&env)?,
            timezone: env.parse("KLUB_TIMEZONE", Some(chrono_tz::Europe::Paris))?,
            reminder_before: chrono::Duration::hours(
                env.positive("KLUB_REMINDER_HOURS", 24)?
                    .min(MAX_REMINDER_HOURS.unsigned_abs().into())
                    .try_into()
                    .unwrap_or(24),
            ),
            answer_target: chrono::Duration::minutes(
                env.positive("KLUB_ANSWER_TARGET_MINUTES", 15)?
                    .try_into()
                    .unwrap_or(15),
            ),
            opening_hours: opening_hours(&env)?,
            introspection: env.parse("KLUB_INTROSPECTION", Some(true))?,
            cors_origins: cors_origins(&env),
            trust_forwarded_for: env.parse("KLUB_TRUST_FORWARDED_FOR", Some(false))?,
            metrics_listen: env.optional("KLUB_METRICS_LISTEN")?,
            outbox_poll: Duration::from_millis(env.positive("KLUB_OUTBOX_POLL_MS", 1000)?),
            mail_per_minute: env
                .optional::<u64>("KLUB_MAIL_PER_MINUTE")?
                .filter(|limit| *limit > 0),
        })
    }
}

/// The variables as `lookup` gives them; a blank value counts as unset.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn text(&self, variable: &str) -> Option<String> {
        (self.0)(variable).filter(|value| !value.trim().is_empty())
    }

    fn optional<T>(&self, variable: &'static str) -> Result<Option<T>, ConfigError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.text(variable)
            .map(|raw| {
                raw.trim().parse().map_err(|e: T::Err| ConfigError {
                    variable,
                    reason: format!("`{raw}`: {e}"),
                })
            })
            .transpose()
    }

    fn parse<T>(&self, variable: &'static str, default: Option<T>) -> Result<T, ConfigError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(variable)? {
            Some(value) => Ok(value),
            None => default.ok_or_else(|| invalid(variable, "is required")),
        }
    }

    fn positive(&self, variable: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.parse(variable, Some(default))? {
            0 => Err(invalid(variable, "must be at least 1")),
            value => Ok(value),
        }
    }
}

/// The pool's size when `KLUB_DB_MAX_CONNECTIONS` is unset. A request holds its connection
/// from sending its statement until its task runs again to read the rows, and sqlx then checks
/// the connection (one more round trip, on a task of its own) before giving it back: under load
/// each of those waits behind the other requests of its worker thread. On PostgreSQL a pool of
/// 10 left a third of the machine idle under 64 concurrent pages, and 32 served 1.5 to 1.9 times
/// as many (klub-bench's crowd, `docs/performance.md`). SQLite stays at 10: 32 served more there
/// too, but each SQLite connection is a thread of its own, and after a burst of anonymous
/// requests the allocator kept what those threads had freed: the server stayed 95 MiB above
/// where it began instead of 25 (the security suite's bound is 100).
fn default_pool_size(database_url: &str) -> u32 {
    if is_sqlite(database_url) { 10 } else { 32 }
}

/// Whether `database_url` names the embedded SQLite file; any other URL is PostgreSQL's.
pub fn is_sqlite(database_url: &str) -> bool {
    database_url.starts_with("sqlite")
}

fn invalid(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
}

fn jwt_secret(env: &Env) -> Result<Option<SecretString>, ConfigError> {
    match env.text("KLUB_JWT_SECRET") {
        Some(secret) if secret.len() < MIN_JWT_SECRET_LEN => Err(invalid(
            "KLUB_JWT_SECRET",
            format!("must be at least {MIN_JWT_SECRET_LEN} characters"),
        )),
        secret => Ok(secret.map(SecretString::from)),
    }
}

fn token_ttl(env: &Env) -> Result<Duration, ConfigError> {
    let ttl = match env.text("KLUB_TOKEN_TTL") {
        None => Duration::from_secs(12 * 3600),
        Some(value) => humantime::parse_duration(&value).map_err(|e| {
            invalid(
                "KLUB_TOKEN_TTL",
                format!("{e} (expected a duration such as `12h` or `30m`)"),
            )
        })?,
    };
    if ttl < Duration::from_secs(60) {
        return Err(invalid("KLUB_TOKEN_TTL", "must be at least one minute"));
    }
    Ok(ttl)
}

fn public_url(env: &Env, listen: SocketAddr) -> Result<String, ConfigError> {
    let url = env
        .text("KLUB_PUBLIC_URL")
        .unwrap_or_else(|| format!("http://{listen}"))
        .trim_end_matches('/')
        .to_owned();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(invalid(
            "KLUB_PUBLIC_URL",
            "must start with http:// or https://",
        ));
    }
    Ok(url)
}

fn bootstrap_admin(env: &Env) -> Result<Option<BootstrapAdmin>, ConfigError> {
    match (
        env.text("KLUB_ADMIN_EMAIL"),
        env.text("KLUB_ADMIN_PASSWORD"),
    ) {
        (None, None) => Ok(None),
        (Some(email), Some(password)) => Ok(Some(BootstrapAdmin {
            email,
            password: password.into(),
        })),
        (Some(_), None) => Err(invalid(
            "KLUB_ADMIN_PASSWORD",
            "must be set together with KLUB_ADMIN_EMAIL",
        )),
        (None, Some(_)) => Err(invalid(
            "KLUB_ADMIN_EMAIL",
            "must be set together with KLUB_ADMIN_PASSWORD",
        )),
    }
}

fn log_format(env: &Env) -> Result<LogFormat, ConfigError> {
    match env.text("KLUB_LOG_FORMAT").as_deref() {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(invalid(
            "KLUB_LOG_FORMAT",
            format!("`{other}` is neither `text` nor `json`"),
        )),
    }
}

fn smtp_url(env: &Env) -> Result<Option<SecretString>, ConfigError> {
    match env.text("KLUB_SMTP_URL") {
        Some(url) if !(url.starts_with("smtp://") || url.starts_with("smtps://")) => Err(invalid(
            "KLUB_SMTP_URL",
            "must start with smtp:// or smtps://",
        )),
        url => Ok(url.map(SecretString::from)),
    }
}

fn storage_url(env: &Env) -> Result<Option<SecretString>, ConfigError> {
    let Some(text) = env.text("KLUB_STORAGE_URL") else {
        return Ok(None);
    };
    match url::Url::parse(&text) {
        Ok(url) if url.scheme() == "s3" && url.host_str().is_some_and(|host| !host.is_empty()) => {
            Ok(Some(SecretString::from(text)))
        }
        _ => Err(invalid(
            "KLUB_STORAGE_URL",
            "must be s3://ACCESS_KEY:SECRET_KEY@BUCKET, with ?endpoint=URL for a store other than AWS",
        )),
    }
}

fn mail_from(env: &Env) -> Result<String, ConfigError> {
    let from = env
        .text("KLUB_MAIL_FROM")
        .unwrap_or_else(|| "Klub <klub@localhost>".into());
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid(
            "KLUB_MAIL_FROM",
            format!("`{from}` is not an address such as `Klub <klub@example.org>`"),
        ));
    }
    Ok(from)
}

fn default_locale(env: &Env) -> Result<Locale, ConfigError> {
    match env.text("KLUB_DEFAULT_LOCALE") {
        None => Ok(Locale::Fr),
        Some(code) => Locale::parse(&code).ok_or_else(|| {
            invalid(
                "KLUB_DEFAULT_LOCALE",
                format!("`{code}` is neither `fr` nor `en`"),
            )
        }),
    }
}

fn opening_hours(env: &Env) -> Result<crate::hours::OpeningHours, ConfigError> {
    let hours = env
        .text("KLUB_OPENING_HOURS")
        .unwrap_or_else(|| "09:00-20:00".into());
    crate::hours::OpeningHours::parse(&hours).ok_or_else(|| {
        invalid(
            "KLUB_OPENING_HOURS",
            format!("`{hours}` is not `HH:MM-HH:MM` with opening before closing"),
        )
    })
}

fn cors_origins(env: &Env) -> Vec<String> {
    env.text("KLUB_CORS_ORIGINS")
        .map(|origins| {
            origins
                .split(',')
                .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                .filter(|origin| !origin.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn defaults_need_no_configuration() -> Result<(), ConfigError> {
        let config = config(&[])?;
        assert_eq!(config.database_url.expose_secret(), DEFAULT_DATABASE_URL);
        assert!(
            config.metrics_listen.is_none(),
            "metrics are off by default"
        );
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.token_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(config.allow_signup);
        assert!(config.bootstrap_admin.is_none());
        assert_eq!(config.db_max_connections, 10);
        Ok(())
    }

    #[test]
    fn postgresql_gets_a_larger_pool_unless_told() -> Result<(), ConfigError> {
        let postgresql = ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/klub");
        assert_eq!(config(&[postgresql])?.db_max_connections, 32);
        let told = config(&[postgresql, ("KLUB_DB_MAX_CONNECTIONS", "12")])?;
        assert_eq!(told.db_max_connections, 12);
        Ok(())
    }

    #[test]
    fn secrets_never_print() -> Result<(), ConfigError> {
        let config = config(&[
            ("KLUB_JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-42"),
            ("DATABASE_URL", "postgres://klub:db-password-42@db/klub"),
            ("KLUB_SMTP_URL", "smtp://mailer:smtp-password-42@mail:587"),
            ("KLUB_ADMIN_EMAIL", "admin@example.org"),
            ("KLUB_ADMIN_PASSWORD", "admin-password-42"),
        ])?;
        let printed = format!("{config:?} {config:#?}");
        for secret in [
            "jwt-secret",
            "db-password",
            "smtp-password",
            "admin-password",
        ] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        Ok(())
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (vars, variable) in [
            (vec![("KLUB_LISTEN", "nowhere")], "KLUB_LISTEN"),
            (vec![("KLUB_TOKEN_TTL", "soon")], "KLUB_TOKEN_TTL"),
            (vec![("KLUB_ALLOW_SIGNUP", "maybe")], "KLUB_ALLOW_SIGNUP"),
            (vec![("KLUB_JWT_SECRET", "short")], "KLUB_JWT_SECRET"),
            (vec![("KLUB_ADMIN_EMAIL", "a@b.c")], "KLUB_ADMIN_PASSWORD"),
            (vec![("KLUB_PUBLIC_URL", "ftp://x")], "KLUB_PUBLIC_URL"),
            (
                vec![("KLUB_SCHEDULER_TICK_SECONDS", "0")],
                "KLUB_SCHEDULER_TICK_SECONDS",
            ),
        ] {
            match config(&vars) {
                Ok(_) => panic!("{vars:?} was accepted"),
                Err(error) => {
                    assert_eq!(error.variable, variable);
                    assert!(error.to_string().contains(variable));
                }
            }
        }
    }
}
