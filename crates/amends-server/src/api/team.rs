//! Looking after the team's accounts: an admin deactivates, reactivates or changes an agent and
//! ends their sessions; every agent changes their own password.

use amends_core::account::AgentChange;
use amends_core::agent::check_password;
use amends_core::{AgentRole, FieldError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::accounts::{
    cookie, digest, hash_password, verify_password, with_password_check, Credential, CurrentAgent,
    SESSION_COOKIE,
};
use crate::extract::{ApiJson, ApiPath};
use crate::wire::AgentView;
use crate::{AppError, AppState};

/// What to change about an agent; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeAgentRequest {
    /// A new name.
    pub name: Option<String>,
    /// A new role.
    #[schema(value_type = Option<String>, pattern = "^(agent|supervisor|admin)$")]
    pub role: Option<String>,
    /// A new compensation authority, minor units.
    #[schema(minimum = 0, maximum = 100000000)]
    pub authority_limit_minor: Option<i64>,
    /// `false` deactivates the agent (their sessions end and tokens are revoked at once);
    /// `true` lets them sign in again.
    pub active: Option<bool>,
    /// Which cases they may see: `all`, `owned_and_unowned` or `owned`.
    #[schema(value_type = Option<String>, pattern = "^(all|owned_and_unowned|owned)$")]
    pub case_access: Option<String>,
    /// Open chats they hold at once (0 to 50); `null` goes back to the desk's number.
    #[serde(default, deserialize_with = "super::cases::present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 50)]
    pub chat_capacity: Option<Option<i64>>,
}

/// Changes an agent (admins only). An admin cannot deactivate or demote themselves.
#[utoipa::path(patch, path = "/agents/{id}", tag = "accounts", params(("id" = i64, Path)),
    request_body = ChangeAgentRequest,
    responses((status = 200, body = AgentView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub(super) async fn change_agent(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ChangeAgentRequest>,
) -> Result<Json<AgentView>, AppError> {
    current.require(AgentRole::Admin)?;
    let role = request
        .role
        .as_deref()
        .map(|raw| {
            AgentRole::parse(raw)
                .ok_or_else(|| FieldError::new("role", "must be one of agent, supervisor, admin"))
        })
        .transpose()?;
    let change = AgentChange {
        name: request.name,
        role,
        authority_limit_minor: request.authority_limit_minor,
        active: request.active,
        chat_capacity: request.chat_capacity,
        case_access: request
            .case_access
            .as_deref()
            .map(super::accounts::parse_case_access)
            .transpose()?,
    };
    let changed = state
        .store
        .change_agent(id, &change, &current.agent, &current.audit(&state))
        .await?;
    Ok(Json(AgentView::from(changed)))
}

/// Ends every console session of an agent (admins only), such as after a lost laptop.
#[utoipa::path(delete, path = "/agents/{id}/sessions", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub(super) async fn end_sessions(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    current.require(AgentRole::Admin)?;
    state.store.agent(id).await?;
    state.store.end_sessions(id, &current.audit(&state)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every API token of an agent (admins only): with `DELETE /agents/{id}/sessions`,
/// everything the agent was signed in with ends.
#[utoipa::path(delete, path = "/agents/{id}/tokens", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub(super) async fn revoke_tokens(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    current.require(AgentRole::Admin)?;
    state.store.agent(id).await?;
    state
        .store
        .revoke_tokens_of(id, &current.audit(&state))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangePasswordRequest {
    /// The password now.
    pub current_password: String,
    /// The new one, at least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub new_password: String,
}

/// Changes the signed-in agent's password; every other session of theirs ends.
#[utoipa::path(put, path = "/session/password", tag = "accounts", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub(super) async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    current: CurrentAgent,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    if !matches!(current.credential, Credential::Session { .. }) {
        return Err(AppError::Forbidden(
            "a password is changed from a signed-in session",
        ));
    }
    check_password(&request.new_password)
        .map_err(|e| FieldError::new("new_password", e.message))?;
    let (_, hash) = state
        .store
        .agent_for_sign_in(&current.agent.email)
        .await?
        .ok_or(AppError::Unauthorized(
            "the session has ended; sign in again",
        ))?;
    let hash = hash.unwrap_or_default();
    let new_hash = with_password_check(&state, move || {
        if verify_password(&request.current_password, &hash) {
            hash_password(&request.new_password).map(Some)
        } else {
            Ok(None)
        }
    })
    .await??
    .ok_or_else(|| AppError::invalid("current_password", "is not your password"))?;
    let keep = cookie(&headers, SESSION_COOKIE).map(digest);
    state
        .store
        .set_password(
            current.agent.id,
            &new_hash,
            keep.as_deref(),
            &current.audit(&state),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
