//! Messaging apps and social networks in (issue 18): webhooks in each provider's own format,
//! each checked as its documentation says before anything is read: Twilio for SMS and WhatsApp
//! (`X-Twilio-Signature`), Telegram's Bot API (its secret token header), Meta for Messenger,
//! Instagram and WhatsApp Cloud (the subscription handshake and `X-Hub-Signature-256`), and
//! the desk's own signed JSON webhook for anything else. A provider the desk has no secret for
//! is not found; a forged or unsigned delivery is 401 and writes nothing; a repeated one is
//! one message. An agent's reply on such a case goes back through the provider's API
//! (`replies`), by a durable job.

mod providers;
mod replies;

pub(crate) use replies::send_reply;

use amends_core::messaging::Incoming;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{AppError, AppState};

/// The secrets of the providers a desk takes messages from; a provider without one is off.
#[derive(Debug, Clone, Default)]
pub struct MessagingSettings {
    /// Twilio's auth token (SMS and WhatsApp through Twilio).
    pub twilio_auth_token: Option<String>,
    /// The secret token given to Telegram's `setWebhook`.
    pub telegram_secret: Option<String>,
    /// The Meta app's secret (Messenger, Instagram, WhatsApp Cloud).
    pub meta_app_secret: Option<String>,
    /// The verify token given when subscribing the Meta webhook.
    pub meta_verify_token: Option<String>,
    /// The secret of the desk's own webhook (`X-Amends-Signature`), which also signs replies.
    pub webhook_secret: Option<String>,
    /// Twilio's account SID, to send replies by SMS and WhatsApp.
    pub twilio_account_sid: Option<String>,
    /// The bot's token, to send replies on Telegram.
    pub telegram_bot_token: Option<String>,
    /// A page or system user's access token, to send replies on Messenger, Instagram and
    /// WhatsApp Cloud.
    pub meta_access_token: Option<String>,
    /// Where replies to the desk's own webhook's messages are posted, signed.
    pub webhook_reply_url: Option<String>,
    /// The providers' API addresses, each its public one unless set (a test's local server).
    pub apis: ProviderApis,
}

/// The base address of each provider's API.
#[derive(Debug, Clone)]
pub struct ProviderApis {
    /// Twilio's REST API.
    pub twilio: String,
    /// Telegram's Bot API.
    pub telegram: String,
    /// Meta's Graph API, with its version.
    pub meta: String,
}

impl Default for ProviderApis {
    fn default() -> Self {
        ProviderApis {
            twilio: "https://api.twilio.com".to_owned(),
            telegram: "https://api.telegram.org".to_owned(),
            meta: "https://graph.facebook.com/v21.0".to_owned(),
        }
    }
}

/// The providers' webhook routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbound/twilio", post(providers::twilio))
        .route("/inbound/telegram", post(providers::telegram))
        .route(
            "/inbound/meta",
            get(providers::meta_handshake).post(providers::meta),
        )
        .route("/inbound/messages", post(providers::webhook))
}

/// A provider's secret, or "not found" when the desk takes nothing from it.
fn secret<'a>(setting: &'a Option<String>, provider: &'static str) -> Result<&'a str, AppError> {
    setting
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(AppError::NotFound(provider))
}

/// A header's value, or 401.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, AppError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized("the delivery is not signed"))
}

/// The HMAC-SHA256 of `body` under `secret`, in hex.
pub(crate) fn sign_sha256(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `body` under `secret`, in constant time.
pub(crate) fn signed_sha256(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    let bytes: Option<Vec<u8>> = signature
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            (text.len() == 2).then(|| u8::from_str_radix(text, 16).ok())?
        })
        .collect();
    bytes.is_some_and(|bytes| mac.verify_slice(&bytes).is_ok())
}

/// Files each message (read by the engine) and answers how many were new.
async fn file(state: &AppState, messages: Vec<Incoming>) -> Result<usize, AppError> {
    let mut new = 0;
    for incoming in messages {
        let reading = crate::reading::read_for(state, &incoming.text).await;
        let context = state.customer_context();
        let now = context.at;
        let taken = state
            .store
            .take_in_social(&incoming, Some(reading), &context, |case| {
                amends_core::case::after_message(case, amends_core::Direction::Inbound, now)
            })
            .await?;
        new += usize::from(!taken.repeated);
    }
    Ok(new)
}
