//! Live chat on the business's own website (issue 18): the widget's script, starting a chat
//! (anonymous, or signed in by the host site), and its lines over a WebSocket (`socket.rs`) or,
//! for networks that block WebSocket, plain requests with a long poll.
//!
//! The visitor's browser keeps the chat's key (it is the only way back in, so history survives
//! a reload and another tab). Every line is in the database before it is acknowledged and is
//! numbered there (`amends-store`'s `chats.rs` and the migration's trigger); a client asks for
//! what follows the last number it has, so a dropped connection loses and repeats nothing.
//! These routes are called from other sites' pages: they answer any origin the settings allow,
//! with no cookie, since the key is the credential.

mod assistant;
mod limits;
mod socket;

use std::time::Duration;

use amends_core::chat::{self, Speaker};
use amends_core::Case;
use amends_store::{Chat, ChatSaid, ChatSay, NewChat};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::accounts::{digest, new_secret};
use crate::extract::{ApiJson, ClientAddr};
use crate::wire::chat::{ChatStarted, ChatView, DeskNow, LineView, LinesView};
use crate::{AppError, AppState};

pub(crate) use limits::Limiter;

const WIDGET_SCRIPT: &str = include_str!("../../assets/widget.js");
const WIDGET_STYLE: &str = include_str!("../../assets/widget.css");

/// How a desk's chat behaves.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// The answer time promised to a visitor, in minutes.
    pub answer_within_minutes: u32,
    /// What the widget says first.
    pub greeting: String,
    /// The sites whose pages may hold the widget (`https://shop.example`); empty for any.
    pub allowed_origins: Vec<String>,
    /// How recently an agent must have used the desk to count as at work.
    pub at_work_within: Duration,
    /// How long a long poll waits for a line before answering with none.
    pub long_poll: Duration,
    /// Chat connections held at once by one server; past it a visitor is answered 503 and
    /// falls back to polling.
    pub max_sockets: usize,
    /// How many open chats an agent holds at once.
    pub capacity: i64,
    /// When the desk answers live; outside them a visitor leaves an address.
    pub hours: amends_core::hours::OpeningHours,
    /// Whether the assistant greets visitors, collects their order number and address and
    /// hands them to a person (`amends_core::bot`); off by default.
    pub assistant: bool,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            answer_within_minutes: 5,
            greeting: "Hello! How can we help?".to_owned(),
            allowed_origins: Vec::new(),
            at_work_within: Duration::from_secs(10 * 60),
            long_poll: Duration::from_secs(25),
            max_sockets: 4_096,
            capacity: amends_core::chat::DEFAULT_CAPACITY,
            hours: amends_core::hours::OpeningHours::always(),
            assistant: false,
        }
    }
}

/// The chat routes, the widget's files and the admin's view of the chat's secret.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let visitor = Router::new()
        .route("/chat/v1/chats", post(start))
        .route("/chat/v1/chat", get(current))
        .route("/chat/v1/lines", get(lines).post(say))
        .route("/chat/v1/typing", post(typing))
        .route("/chat/v1/address", post(leave_address))
        .route("/chat/v1/socket", get(socket::upgrade))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cross_origin,
        ));
    visitor
        .route(
            "/widget.js",
            get(|| asset("text/javascript; charset=utf-8", WIDGET_SCRIPT)),
        )
        .route(
            "/widget.css",
            get(|| asset("text/css; charset=utf-8", WIDGET_STYLE)),
        )
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// Lets the allowed sites' pages call the chat routes (and answers their preflight), and
/// refuses a page of any other site.
async fn cross_origin(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let allowed = &state.settings.chat.allowed_origins;
    if let Some(origin) = &origin {
        let named = origin
            .to_str()
            .is_ok_and(|o| allowed.iter().any(|a| a == o));
        if !allowed.is_empty() && !named {
            return AppError::Forbidden("this site may not hold the desk's chat").into_response();
        }
    }
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::VARY, HeaderValue::from_static("origin"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, x-chat-key"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}

/// Who the host site says a visitor is, signed with the desk's chat secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Identity {
    /// The site's own id for the customer.
    id: String,
    email: String,
    name: Option<String>,
    /// Hex HMAC-SHA256 of `id`, a line break and `email`, keyed by the desk's chat secret.
    signature: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    identity: Option<Identity>,
}

/// Starts a chat: anonymous, or for the customer the host site signed in.
async fn start(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<StartRequest>,
) -> Result<(StatusCode, Json<ChatStarted>), AppError> {
    state
        .chat_limits
        .start(address.as_deref(), state.clock.now())?;
    let key = new_secret();
    let mut new = NewChat {
        key_hash: digest(&key),
        visitor_name: None,
        email: None,
        site_customer_id: None,
    };
    if let Some(identity) = request.identity {
        let id = chat::parse_site_customer_id("identity.id", &identity.id)?;
        let email = crate::extract::parse_email("identity.email", &identity.email)?;
        if !signed(
            &state.chat_secret,
            &chat::identity_message(&id, email.as_str()),
            &identity.signature,
        ) {
            return Err(AppError::Unauthorized(
                "the identity's signature does not match",
            ));
        }
        new.visitor_name = identity
            .name
            .map(|n| amends_core::customer::CustomerName::parse("identity.name", &n))
            .transpose()?
            .map(|n| n.as_str().to_owned());
        new.email = Some(email);
        new.site_customer_id = Some(id);
    }
    let chat = state.store.start_chat(&new, state.clock.now()).await?;
    let view = ChatView::of(&chat, &desk_now(&state).await?);
    Ok((StatusCode::CREATED, Json(ChatStarted { key, chat: view })))
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `message` under `secret`, compared in
/// constant time.
pub(crate) fn signed(secret: &str, message: &str, signature: &str) -> bool {
    !secret.is_empty()
        && crate::messaging::signed_sha256(secret, message.as_bytes(), signature.trim())
}

/// The chat of the key a request carries (`X-Chat-Key`).
async fn chat_of(state: &AppState, headers: &HeaderMap) -> Result<Chat, AppError> {
    let key = headers
        .get("x-chat-key")
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized("send the chat's key in X-Chat-Key"))?;
    chat_by_key(state, key).await
}

pub(crate) async fn chat_by_key(state: &AppState, key: &str) -> Result<Chat, AppError> {
    match state.store.chat_by_key(&digest(key)).await {
        Err(amends_store::StoreError::NotFound(_)) => {
            Err(AppError::Unauthorized("no chat has this key"))
        }
        other => Ok(other?),
    }
}

/// What a chat shows of the desk now.
pub(crate) async fn desk_now(state: &AppState) -> Result<DeskNow, AppError> {
    let settings = &state.settings.chat;
    let window = i64::try_from(settings.at_work_within.as_millis()).unwrap_or(i64::MAX);
    let now = state.clock.now();
    let at_work = state
        .store
        .agents_at_work(now.plus_millis(-window), now)
        .await?;
    let open = settings.hours.open_at(now);
    Ok(DeskNow {
        agents_at_work: open && at_work > 0,
        open,
        hours: settings.hours.describe(),
        answer_within_minutes: settings.answer_within_minutes,
        greeting: settings.greeting.clone(),
    })
}

async fn current(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ChatView>, AppError> {
    let chat = chat_of(&state, &headers).await?;
    Ok(Json(ChatView::of(&chat, &desk_now(&state).await?)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinesQuery {
    #[serde(default)]
    after: i64,
    /// Seconds to wait for a line when there is none yet (0 to 25).
    #[serde(default)]
    wait: u64,
}

/// The lines after a number; with `wait`, held open until one comes (the long poll of a
/// network that blocks WebSocket).
async fn lines(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LinesQuery>,
) -> Result<Json<LinesView>, AppError> {
    let chat = chat_of(&state, &headers).await?;
    let mut watch = state.live.watch_chat(chat.id);
    let mut lines = lines_after(&state, chat.id, query.after).await?;
    let wait = Duration::from_secs(query.wait).min(state.settings.chat.long_poll);
    let mut agent_typing = false;
    if lines.is_empty() && !wait.is_zero() {
        let deadline = tokio::time::Instant::now() + wait;
        while lines.is_empty() {
            match tokio::time::timeout_at(deadline, watch.signals.recv()).await {
                Err(_) => break,
                Ok(Ok(crate::live::Signal::Typing {
                    from: Speaker::Agent,
                    on,
                    ..
                })) => {
                    agent_typing = on;
                    break;
                }
                Ok(_) => lines = lines_after(&state, chat.id, query.after).await?,
            }
        }
    }
    Ok(Json(LinesView {
        lines,
        agent_typing,
    }))
}

/// At most this many lines are sent at once; the client asks again after the last.
const LINES_AT_ONCE: i64 = 200;

pub(crate) async fn lines_after(
    state: &AppState,
    chat_id: i64,
    after: i64,
) -> Result<Vec<LineView>, AppError> {
    Ok(state
        .store
        .chat_lines(chat_id, after.max(0), LINES_AT_ONCE)
        .await?
        .into_iter()
        .filter_map(|line| LineView::of(line, chat_id))
        .collect())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SayRequest {
    client_id: String,
    text: String,
}

/// Writes a visitor's line (the fallback of the socket's `say`).
async fn say(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SayRequest>,
) -> Result<(StatusCode, Json<LineView>), AppError> {
    let chat = chat_of(&state, &headers).await?;
    let said = write_line(
        &state,
        &chat,
        address.as_deref(),
        &request.client_id,
        &request.text,
    )
    .await?;
    let status = if said.opened {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let line = LineView::of(said.line, chat.id)
        .ok_or_else(|| AppError::Internal("a visitor's line reads as a note".to_owned()))?;
    Ok((status, Json(line)))
}

/// Checks, reads and writes a visitor's line, and tells whoever watches the chat.
pub(crate) async fn write_line(
    state: &AppState,
    chat: &Chat,
    address: Option<&str>,
    client_id: &str,
    text: &str,
) -> Result<ChatSaid, AppError> {
    let client_id = chat::parse_client_id("client_id", client_id)?;
    let body = chat::parse_line("text", text)?;
    state
        .chat_limits
        .line(chat.id, address, state.clock.now())?;
    let reading = crate::reading::read_for(state, &body).await;
    let say = ChatSay {
        reading: Some(reading.clone()),
        client_id,
        body,
    };
    let context = state.customer_context();
    let now = context.at;
    let said = state
        .store
        .say_in_chat(chat.id, &say, &context, |case: &Case| {
            amends_core::case::after_message(case, amends_core::Direction::Inbound, now)
        })
        .await?;
    state.live.line_written(chat.id, said.line.seq);
    if state.settings.chat.assistant {
        assistant::answer(state, chat, said.line.seq, &say.body, &reading).await?;
    }
    Ok(said)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingRequest {
    on: bool,
}

async fn typing(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<TypingRequest>,
) -> Result<StatusCode, AppError> {
    let chat = chat_of(&state, &headers).await?;
    state
        .live
        .typing(chat.id, Speaker::Customer, request.on)
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressRequest {
    email: String,
}

/// Keeps the address a visitor leaves when no one is there: replies then go by mail, threaded
/// into the same case. An address already on another customer's record files the chat's case
/// under that customer, as a mail from it would be.
async fn leave_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<AddressRequest>,
) -> Result<Json<ChatView>, AppError> {
    let chat = chat_of(&state, &headers).await?;
    let email = crate::extract::parse_email("email", &request.email)?;
    let context = state.customer_context();
    let left = state.store.leave_address(chat.id, &email, &context).await?;
    if let amends_store::AddressLeft::Known {
        customer_id,
        visitor_id,
    } = left
    {
        state
            .store
            .merge_customers(customer_id, visitor_id, &context, |kept, gone| {
                amends_core::merge::merge_customers(kept, gone, context.at)
            })
            .await?;
    }
    let chat = chat_of(&state, &headers).await?;
    Ok(Json(ChatView::of(&chat, &desk_now(&state).await?)))
}
