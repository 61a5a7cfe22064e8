//! The agents' side of the website chat: the chats waiting and the caller's own, taking one
//! (up to the desk's capacity per agent), passing one on with a note, and the secret a host
//! site signs its visitors with.

use amends_core::{chat, AgentRole};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{read_queue, QueueQuery};
use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::wire::chat::IdentitySecret;
use crate::wire::{CaseView, QueueEntry};
use crate::{AppError, AppState};

/// The chats an agent works from.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ChatDesk {
    /// Chats no one has taken, most urgent first (by the queue's urgency).
    pub waiting: Vec<QueueEntry>,
    /// The caller's open chats.
    pub mine: Vec<QueueEntry>,
    /// How many open chats an agent may hold at once.
    pub capacity: i64,
}

/// The chats waiting for an agent and the caller's own.
#[utoipa::path(get, path = "/chats", tag = "chat", responses((status = 200, body = ChatDesk)))]
pub(super) async fn chat_desk(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<ChatDesk>, AppError> {
    let (waiting, mine) = waiting_and_mine(&state, &current).await?;
    Ok(Json(ChatDesk {
        waiting,
        mine,
        capacity: state.settings.chat.capacity,
    }))
}

/// The open chats no one has taken and the caller's, each most urgent first (up to 100).
pub(crate) async fn waiting_and_mine(
    state: &AppState,
    current: &CurrentAgent,
) -> Result<(Vec<QueueEntry>, Vec<QueueEntry>), AppError> {
    let of = |owner: &str| QueueQuery {
        owner: Some(owner.to_owned()),
        channel: Some("chat".to_owned()),
        limit: Some(100),
        ..QueueQuery::default()
    };
    let waiting = read_queue(state, current, &of("none")).await?.items;
    let mine = read_queue(state, current, &of("me")).await?.items;
    Ok((waiting, mine))
}

/// Takes a waiting chat. Refused (409) when another agent took it first, and (422,
/// `capacity`) when the caller holds as many open chats as they may (their own number, else
/// the desk's).
#[utoipa::path(post, path = "/cases/{id}/accept", tag = "chat", params(("id" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub(super) async fn accept(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let capacity = state.settings.chat.capacity;
    let context = current.audit(&state);
    let now = context.at;
    let case = state
        .store
        .hand_chat(id, current.agent.id, &context, |case, agent, held| {
            chat::accept(
                case,
                agent.id,
                held,
                agent.chat_capacity.unwrap_or(capacity),
                now,
            )
        })
        .await
        .map_err(|error| taken_first(error.into()))?;
    Ok(Json(CaseView::from(case)))
}

/// "Another agent took it first" is a conflict, not a mistake in the request.
fn taken_first(error: AppError) -> AppError {
    match error {
        AppError::Invalid(field) if field.field == "owner_id" => AppError::Conflict(field),
        other => other,
    }
}

/// Whom a chat goes to, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TransferRequest {
    /// The agent or supervisor who takes it over.
    pub to_agent_id: i64,
    /// What they should know.
    pub note: String,
}

/// Passes a chat to another agent or a supervisor with a note: a note on the case says so, and
/// they are told.
#[utoipa::path(post, path = "/cases/{id}/transfer", tag = "chat", params(("id" = i64, Path)),
    request_body = TransferRequest,
    responses((status = 200, body = CaseView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn transfer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<TransferRequest>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let capacity = state.settings.chat.capacity;
    let context = current.audit(&state);
    let now = context.at;
    let case = state
        .store
        .hand_chat(id, request.to_agent_id, &context, |case, agent, held| {
            chat::transfer(
                case,
                (agent.id, &agent.name),
                held,
                agent.chat_capacity.unwrap_or(capacity),
                &request.note,
                now,
            )
        })
        .await?;
    Ok(Json(CaseView::from(case)))
}

/// The secret a host site signs its signed-in visitors' identity with (admins only): the
/// widget's `data-signature` is the hex HMAC-SHA256, under this key, of the site's id for the
/// customer, a line break and their email.
#[utoipa::path(get, path = "/chat/identity-secret", tag = "chat",
    responses((status = 200, body = IdentitySecret), (status = 403, body = crate::error::Problem)))]
pub(super) async fn identity_secret(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<IdentitySecret>, AppError> {
    current.require(AgentRole::Admin)?;
    Ok(Json(IdentitySecret {
        secret: state.chat_secret().to_owned(),
    }))
}
