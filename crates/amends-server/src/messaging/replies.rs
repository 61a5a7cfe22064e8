//! An agent's reply on a case from a messaging app, sent back through the provider's own API
//! as its documentation describes: Twilio's Messages resource (form-encoded, HTTP basic auth
//! with the account SID and auth token), Telegram's `sendMessage`, Meta's Send API for
//! Messenger and Instagram (a public comment answered by a private reply, in the commenter's
//! inbox) and WhatsApp's Cloud API (JSON, bearer token), or the desk's own
//! webhook (JSON signed like the deliveries it takes). A refusal the provider would repeat (a
//! blocked bot, a number that cannot take messages) fails for good and tells the case's owner;
//! a busy or unreachable provider is tried again.
//!
//! A reply is sent at least once: a server that dies between the provider's answer and the
//! job's completion sends it again on the next claim, as the providers' APIs take no key that
//! would let them drop the second.

use std::sync::OnceLock;
use std::time::Duration;

use amends_core::job::SocialSend;
use amends_core::messaging::{Route, Via};
use amends_store::SocialReply;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};

use super::{sign_sha256, MessagingSettings};
use crate::mailroom::SendFailure;
use crate::AppState;

/// How long a provider has to answer one request.
const TIMEOUT: Duration = Duration::from_secs(30);

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent("Amends")
            .build()
            .unwrap_or_default()
    })
}

/// Sends the reply `send` names; `Ok(None)` when there is nothing to send (not a reply, or a
/// case opened by hand with no route back), else the provider's id for what it sent.
pub(crate) async fn send_reply(
    state: &AppState,
    send: SocialSend,
) -> Result<Option<String>, SendFailure> {
    let reply = state
        .store
        .social_reply(send.message_id)
        .await
        .map_err(|error| SendFailure::Temporary(error.to_string()))?;
    let Some(reply) = reply else {
        return Ok(None);
    };
    let settings = &state.settings.messaging;
    let request = request(settings, &reply, send.message_id)?;
    let answer = deliver(request).await?;
    Ok(Some(provider_id(reply.route.via, &answer)))
}

fn missing(what: &str) -> SendFailure {
    SendFailure::Permanent(format!("{what} is not set in [messaging]"))
}

fn needed<'a>(setting: &'a Option<String>, what: &str) -> Result<&'a str, SendFailure> {
    setting
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing(what))
}

/// The provider's request for `reply`, as its API documents it.
fn request(
    settings: &MessagingSettings,
    reply: &SocialReply,
    message_id: i64,
) -> Result<RequestBuilder, SendFailure> {
    let Route { via, to, from } = &reply.route;
    let text = reply.body.as_str();
    let apis = &settings.apis;
    Ok(match via {
        Via::Twilio => {
            let sid = needed(&settings.twilio_account_sid, "twilio_account_sid")?;
            let token = needed(&settings.twilio_auth_token, "twilio_auth_token")?;
            let from = from.as_deref().ok_or_else(|| {
                SendFailure::Permanent("Twilio named no number to send from".into())
            })?;
            let url = format!("{}/2010-04-01/Accounts/{sid}/Messages.json", apis.twilio);
            client().post(url).basic_auth(sid, Some(token)).form(&[
                ("To", to.as_str()),
                ("From", from),
                ("Body", text),
            ])
        }
        Via::Telegram => {
            let token = needed(&settings.telegram_bot_token, "telegram_bot_token")?;
            client()
                .post(format!("{}/bot{token}/sendMessage", apis.telegram))
                .json(&json!({ "chat_id": to, "text": text }))
        }
        Via::Meta | Via::MetaComment => {
            let token = needed(&settings.meta_access_token, "meta_access_token")?;
            let page = from.as_deref().unwrap_or("me");
            // A public comment is answered privately, in the commenter's inbox.
            let recipient = match via {
                Via::MetaComment => json!({ "comment_id": to }),
                _ => json!({ "id": to }),
            };
            client()
                .post(format!("{}/{page}/messages", apis.meta))
                .bearer_auth(token)
                .json(&json!({
                    "recipient": recipient,
                    "messaging_type": "RESPONSE",
                    "message": { "text": text },
                }))
        }
        Via::WhatsAppCloud => {
            let token = needed(&settings.meta_access_token, "meta_access_token")?;
            let number = from.as_deref().ok_or_else(|| {
                SendFailure::Permanent("WhatsApp named no phone number id to send from".into())
            })?;
            client()
                .post(format!("{}/{number}/messages", apis.meta))
                .bearer_auth(token)
                .json(&json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": to,
                    "type": "text",
                    "text": { "preview_url": false, "body": text },
                }))
        }
        Via::Webhook => {
            let url = needed(&settings.webhook_reply_url, "webhook_reply_url")?;
            let secret = needed(&settings.webhook_secret, "webhook_secret")?;
            let body = json!({
                "id": message_id.to_string(),
                "case_id": reply.case_id,
                "to": to,
                "text": text,
            })
            .to_string();
            let signature = format!("sha256={}", sign_sha256(secret, body.as_bytes()));
            client()
                .post(url)
                .header("content-type", "application/json")
                .header("x-amends-signature", signature)
                .body(body)
        }
    })
}

/// Sends `request`: a 2xx answer is read as JSON; a refusal is permanent unless the provider
/// was busy, throttled or down (429, 408, 5xx), or could not be reached.
async fn deliver(request: RequestBuilder) -> Result<Value, SendFailure> {
    let response = request.send().await.map_err(|error| {
        SendFailure::Temporary(format!("the provider could not be reached: {error}"))
    })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
    }
    let said: String = text.chars().take(300).collect();
    let why = format!("the provider answered {status}: {said}");
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        Err(SendFailure::Temporary(why))
    } else {
        Err(SendFailure::Permanent(why))
    }
}

/// The provider's id for the message it took, where its answer gives one.
fn provider_id(via: Via, answer: &Value) -> String {
    let id = match via {
        Via::Twilio => answer["sid"].clone(),
        Via::Telegram => answer["result"]["message_id"].clone(),
        Via::Meta | Via::MetaComment => answer["message_id"].clone(),
        Via::WhatsAppCloud => answer["messages"][0]["id"].clone(),
        Via::Webhook => answer["id"].clone(),
    };
    match id {
        Value::String(id) => id,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
