//! Each provider's webhook: its signature checked first, then its own format read into the
//! core's `Incoming`.

use amends_core::messaging::{Incoming, Provider, Via};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha1::Sha1;

use super::{file, header, secret, signed_sha256};
use crate::accounts::constant_time_eq;
use crate::extract::parse_json;
use crate::{AppError, AppState};

fn forged() -> AppError {
    AppError::Unauthorized("the delivery's signature does not match")
}

/// Twilio's signature: HMAC-SHA1 under the auth token of the URL Twilio called followed by
/// each POST parameter's name and value, sorted by name; base64.
fn twilio_signed(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(token.as_bytes()) else {
        return false;
    };
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .is_ok_and(|bytes| mac.verify_slice(&bytes).is_ok())
}

/// An SMS or WhatsApp message through Twilio (form-encoded, as its Messaging webhook sends).
/// Answered with an empty TwiML document: the desk replies from the case, not here.
pub(super) async fn twilio(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Result<Response, AppError> {
    let token = secret(&state.settings.messaging.twilio_auth_token, "provider")?;
    let signature = header(&headers, "x-twilio-signature")?;
    let params: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest {
            message: "the body is not form-encoded".to_owned(),
            field: None,
        })?;
    let path = uri
        .path_and_query()
        .map_or("/inbound/twilio", |p| p.as_str());
    let url = format!("{}{path}", state.settings.public_url.trim_end_matches('/'));
    if !twilio_signed(token, &url, &params, signature) {
        return Err(forged());
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let from = param("From").ok_or_else(|| AppError::invalid("From", "is missing"))?;
    let (provider, phone) = match from.strip_prefix("whatsapp:") {
        Some(phone) => (Provider::WhatsApp, phone),
        None => (Provider::Sms, from),
    };
    let id = param("MessageSid")
        .or_else(|| param("SmsSid"))
        .ok_or_else(|| AppError::invalid("MessageSid", "is missing"))?;
    let text = param("Body").unwrap_or_default();
    let incoming = Incoming::parse(provider, Some(phone), None, param("ProfileName"), text, id)?
        .replied_by(Via::Twilio, from, param("To"));
    file(&state, vec![incoming]).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct TelegramUpdate {
    message: Option<TelegramMessage>,
    edited_message: Option<TelegramMessage>,
}

#[derive(Debug, Deserialize)]
struct TelegramMessage {
    message_id: i64,
    chat: TelegramChat,
    from: Option<TelegramUser>,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TelegramChat {
    id: i64,
}

#[derive(Debug, Deserialize)]
struct TelegramUser {
    first_name: String,
    last_name: Option<String>,
}

/// A Telegram update (Bot API `setWebhook` with a `secret_token`); only text messages become
/// messages, anything else is taken and left.
pub(super) async fn telegram(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let expected = secret(&state.settings.messaging.telegram_secret, "provider")?;
    if !constant_time_eq(
        header(&headers, "x-telegram-bot-api-secret-token")?,
        expected,
    ) {
        return Err(forged());
    }
    let update: TelegramUpdate = parse_json(&body)?;
    let mut messages = Vec::new();
    if let Some(message) = update.message.or(update.edited_message) {
        if let Some(text) = &message.text {
            let name = message.from.map(|user| match user.last_name {
                Some(last) => format!("{} {last}", user.first_name),
                None => user.first_name,
            });
            let chat = message.chat.id.to_string();
            let id = format!("{chat}:{}", message.message_id);
            let incoming = Incoming::parse(
                Provider::Telegram,
                None,
                Some(&chat),
                name.as_deref(),
                text,
                &id,
            )?
            .replied_by(Via::Telegram, &chat, None);
            messages.push(incoming);
        }
    }
    let new = file(&state, messages).await?;
    Ok(Json(serde_json::json!({ "new": new })))
}

#[derive(Debug, Deserialize)]
pub(super) struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription handshake: the challenge echoed when the verify token matches.
pub(super) async fn meta_handshake(
    State(state): State<AppState>,
    Query(handshake): Query<Handshake>,
) -> Result<Response, AppError> {
    let expected = secret(&state.settings.messaging.meta_verify_token, "provider")?;
    let token = handshake.verify_token.unwrap_or_default();
    if handshake.mode.as_deref() != Some("subscribe") || !constant_time_eq(&token, expected) {
        return Err(AppError::Forbidden("the verify token does not match"));
    }
    Ok((StatusCode::OK, handshake.challenge.unwrap_or_default()).into_response())
}

/// A Meta webhook delivery: Messenger and Instagram (`entry[].messaging[]`) and WhatsApp Cloud
/// (`entry[].changes[].value.messages[]`), signed `sha256=` over the raw body.
pub(super) async fn meta(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let app_secret = secret(&state.settings.messaging.meta_app_secret, "provider")?;
    let signature = header(&headers, "x-hub-signature-256")?;
    let hex = signature.strip_prefix("sha256=").ok_or_else(forged)?;
    if !signed_sha256(app_secret, &body, hex) {
        return Err(forged());
    }
    let delivery: Value = parse_json(&body)?;
    let messages = meta_messages(&delivery)?;
    let new = file(&state, messages).await?;
    Ok(Json(serde_json::json!({ "new": new })))
}

fn meta_messages(delivery: &Value) -> Result<Vec<Incoming>, AppError> {
    let provider = match delivery["object"].as_str() {
        Some("page") => Provider::Messenger,
        Some("instagram") => Provider::Instagram,
        Some("whatsapp_business_account") => Provider::WhatsApp,
        _ => return Err(AppError::invalid("object", "is not a messaging object")),
    };
    let mut messages = Vec::new();
    for entry in delivery["entry"].as_array().into_iter().flatten() {
        for event in entry["messaging"].as_array().into_iter().flatten() {
            messages.extend(meta_private(provider, event)?);
        }
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            match change["field"].as_str() {
                Some("feed" | "comments") => {
                    messages.extend(meta_public(provider, entry, value)?);
                }
                _ => messages.extend(whatsapp_cloud(provider, value)?),
            }
        }
    }
    Ok(messages)
}

/// A private message on Messenger or Instagram (`entry[].messaging[]`); the business's own
/// messages sent back (echoes) are left.
fn meta_private(provider: Provider, event: &Value) -> Result<Option<Incoming>, AppError> {
    let message = &event["message"];
    let (Some(sender), Some(id), Some(text)) = (
        event["sender"]["id"].as_str(),
        message["mid"].as_str(),
        message["text"].as_str(),
    ) else {
        return Ok(None);
    };
    if message["is_echo"].as_bool() == Some(true) {
        return Ok(None);
    }
    let business = event["recipient"]["id"].as_str();
    let incoming = Incoming::parse(provider, None, Some(sender), None, text, id)?;
    Ok(Some(incoming.replied_by(Via::Meta, sender, business)))
}

/// A public post or comment: a Facebook page's feed (`item` post or comment, `verb` add) or an
/// Instagram comment. Answered by a private reply to it; the page's own are left.
fn meta_public(
    provider: Provider,
    entry: &Value,
    value: &Value,
) -> Result<Option<Incoming>, AppError> {
    let page = entry["id"].as_str();
    let from = value["from"]["id"].as_str();
    if from.is_none() || from == page || value["verb"].as_str().is_some_and(|v| v != "add") {
        return Ok(None);
    }
    let (provider, id, text, name) = match provider {
        Provider::Messenger => (
            Provider::Facebook,
            value["comment_id"].as_str().or(value["post_id"].as_str()),
            value["message"].as_str(),
            value["from"]["name"].as_str(),
        ),
        _ => (
            provider,
            value["id"].as_str().or(value["comment_id"].as_str()),
            value["text"].as_str(),
            value["from"]["username"].as_str(),
        ),
    };
    let (Some(from), Some(id), Some(text)) = (from, id, text) else {
        return Ok(None);
    };
    let incoming = Incoming::parse(provider, None, Some(from), name, text, id)?;
    Ok(Some(incoming.in_public().replied_by(
        Via::MetaComment,
        id,
        page,
    )))
}

/// WhatsApp Cloud's messages (`entry[].changes[].value.messages[]`), answered from the
/// business number they were sent to.
fn whatsapp_cloud(provider: Provider, value: &Value) -> Result<Vec<Incoming>, AppError> {
    let name = value["contacts"][0]["profile"]["name"].as_str();
    let number_id = value["metadata"]["phone_number_id"].as_str();
    let mut messages = Vec::new();
    for message in value["messages"].as_array().into_iter().flatten() {
        let (Some(from), Some(id), Some(text)) = (
            message["from"].as_str(),
            message["id"].as_str(),
            message["text"]["body"].as_str(),
        ) else {
            continue;
        };
        let phone = format!("+{}", from.trim_start_matches('+'));
        let incoming = Incoming::parse(provider, Some(&phone), None, name, text, id)?;
        messages.push(incoming.replied_by(Via::WhatsAppCloud, from, number_id));
    }
    Ok(messages)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookMessage {
    /// The sending system's id for the message.
    id: String,
    from: WebhookSender,
    text: String,
    /// Written in public (a post or a comment), not in a private message.
    #[serde(default)]
    public: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSender {
    phone: Option<String>,
    handle: Option<String>,
    name: Option<String>,
}

/// The desk's own webhook for any other system: `{"id", "from": {"phone" | "handle", "name"},
/// "text", "public"}`, signed `sha256=` + hex HMAC-SHA256 of the raw body in `X-Amends-Signature`.
pub(super) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let key = secret(&state.settings.messaging.webhook_secret, "provider")?;
    let signature = header(&headers, "x-amends-signature")?;
    let hex = signature.strip_prefix("sha256=").ok_or_else(forged)?;
    if !signed_sha256(key, &body, hex) {
        return Err(forged());
    }
    let message: WebhookMessage = parse_json(&body)?;
    let incoming = Incoming::parse(
        Provider::Webhook,
        message.from.phone.as_deref(),
        message.from.handle.as_deref(),
        message.from.name.as_deref(),
        &message.text,
        &message.id,
    )?;
    let to = message
        .from
        .phone
        .or(message.from.handle)
        .unwrap_or_default();
    let mut incoming = incoming.replied_by(Via::Webhook, &to, None);
    if message.public {
        incoming = incoming.in_public();
    }
    let new = file(&state, vec![incoming]).await?;
    Ok(Json(serde_json::json!({ "new": new })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::twilio_signed;

    /// Twilio's own published example of a signed request.
    #[test]
    fn twilios_published_example_is_signed() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert!(twilio_signed(
            "12345",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!twilio_signed(
            "12346",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!twilio_signed(
            "12345",
            url,
            &params[1..],
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }
}
