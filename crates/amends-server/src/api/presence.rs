//! Who else is on a case: the case page says it is open (and whether a reply is being typed)
//! every few seconds and hears who else is there, so two agents do not answer one customer.

use amends_core::AgentRole;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::{AppError, AppState};

/// How long an agent counts as on a case after the page last said so: a few of its beats.
const PRESENCE_MILLIS: i64 = 20_000;

/// What the case page says.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PresenceRequest {
    /// Whether the agent is typing a reply.
    #[serde(default)]
    pub typing: bool,
}

/// Another agent on the case.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PresentView {
    /// The agent.
    pub agent_id: i64,
    /// Their name.
    pub name: String,
    /// Whether they are typing a reply.
    pub typing: bool,
}

/// Who else is on the case.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PresenceView {
    /// The other agents seen on it in the last 20 seconds.
    pub others: Vec<PresentView>,
    /// On a chat's case: whether the visitor is typing.
    pub customer_typing: bool,
}

/// Says the caller has the case open (typing or not) and answers who else has.
#[utoipa::path(put, path = "/cases/{id}/presence", tag = "cases", params(("id" = i64, Path)),
    request_body = PresenceRequest,
    responses((status = 200, body = PresenceView), (status = 404, body = crate::error::Problem)))]
pub(super) async fn mark(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<PresenceRequest>,
) -> Result<Json<PresenceView>, AppError> {
    current.require(AgentRole::Agent)?;
    let now = state.clock.now();
    let others = state
        .store
        .mark_presence(
            id,
            current.agent.id,
            request.typing,
            now,
            now.plus_millis(-PRESENCE_MILLIS),
        )
        .await?;
    // On a chat's case the visitor sees the agent typing, and the agent the visitor.
    let chat = state.store.chat_of_case(id).await?;
    if let Some(chat) = &chat {
        let from = amends_core::chat::Speaker::Agent;
        state.live.typing(chat.id, from, request.typing).await;
    }
    Ok(Json(PresenceView {
        customer_typing: chat.is_some_and(|c| state.live.customer_typing(c.id)),
        others: others
            .into_iter()
            .map(|p| PresentView {
                agent_id: p.agent_id,
                name: p.name,
                typing: p.typing == 1,
            })
            .collect(),
    }))
}
