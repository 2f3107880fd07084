//! Where mail goes: an SMTP server (`KLUB_SMTP_URL`), or `.eml` files in `KLUB_MAIL_DIR` when
//! none is configured, so a fresh install shows its mails without any mail server.

use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>),
}

/// Why a mail did not leave.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    /// The server refused for good (a 5xx reply): retrying will not help.
    pub permanent: bool,
}

impl Transport {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match &config.smtp_url {
            Some(url) => {
                let url = secrecy::ExposeSecret::expose_secret(url);
                // A plain smtp:// URL upgrades with STARTTLS when the server offers it;
                // `?tls=required` insists, smtps:// uses TLS from the first byte.
                let url = if url.starts_with("smtp://") && !url.contains("tls=") {
                    let separator = if url.contains('?') { '&' } else { '?' };
                    format!("{url}{separator}tls=opportunistic")
                } else {
                    url.to_owned()
                };
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| format!("KLUB_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&config.mail_dir)
                    .map_err(|e| format!("KLUB_MAIL_DIR {}: {e}", config.mail_dir.display()))?;
                Ok(Self::Folder(AsyncFileTransport::<Tokio1Executor>::new(
                    &config.mail_dir,
                )))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Self::Folder(folder) => folder.send(message).await.map(drop).map_err(|e| SendError {
                permanent: false,
                message: e.to_string(),
            }),
        }
    }
}
