//! Sending over SMTP with lettre: plain (loopback only), STARTTLS or TLS, with or without
//! authentication, and every failure sorted into "try again later" or "give up".

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::address::{parse_server_url, Security, ServerUrl, UrlError};

/// The longest one delivery may take. The desk gives it at most half the job lease, so a slow
/// server never lets a second runner take the same mail over while the first still talks.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again: the server is away, busy, or answered 4xx.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Trying again will not help: the server answered 5xx (no such mailbox, refused).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// An SMTP relay the desk sends through.
#[derive(Clone)]
pub struct Mailer {
    url: ServerUrl,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("url", &self.url.redacted())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `smtp://[user:pass@]host[:port][?tls=none|starttls|tls]` or `smtps://...`.
    /// Each delivery gives up after `timeout`.
    pub fn from_url(raw: &str, timeout: Duration) -> Result<Mailer, UrlError> {
        let url = parse_server_url(raw, ["smtp", "smtps"])?;
        let tls = match url.security {
            Security::None => Tls::None,
            Security::StartTls | Security::Tls => {
                let parameters = TlsParameters::new(url.host.clone())
                    .map_err(|e| UrlError(format!("TLS for {}: {e}", url.host)))?;
                if url.security == Security::Tls {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(user) = &url.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                url.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            url,
        })
    }

    /// The relay's address without the password.
    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// Sends `raw` from `from` to `to` (the envelope; the headers are in `raw`).
    pub async fn send(&self, from: &str, to: &str, raw: &[u8]) -> Result<(), SendError> {
        let from = envelope_address(from)
            .ok_or_else(|| SendError::Permanent(format!("{from:?} is not a sender address")))?;
        let to = envelope_address(to)
            .ok_or_else(|| SendError::Permanent(format!("{to:?} is not a mail address")))?;
        let envelope =
            Envelope::new(Some(from), vec![to]).map_err(|e| SendError::Permanent(e.to_string()))?;
        match self.transport.send_raw(&envelope, raw).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
            Err(error) => Err(SendError::Temporary(error.to_string())),
        }
    }
}

/// The bare address of `Name <a@b>` or `a@b`.
fn envelope_address(raw: &str) -> Option<lettre::Address> {
    let bare = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw,
    };
    bare.trim().parse().ok()
}
