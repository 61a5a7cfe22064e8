//! Signing in and out, agents, and API tokens.

use amends_core::account::TokenScope;
use amends_core::agent::check_password;
use amends_core::field::bounded_text;
use amends_core::{AgentRole, CaseAccess, FieldError, Timestamp};
use amends_store::{NewAgent, TokenInfo};
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{
    cookie, digest, give_second_factor, hash_password, new_secret, open_session, Credential,
    CurrentAgent, OpenedSession, Origin, SignedIn, SESSION_COOKIE,
};
use crate::extract::{ApiJson, ApiPath, ClientAddr};
use crate::wire::AgentView;
use crate::{AppError, AppState};

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignInRequest {
    /// Sign-in address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The signed-in agent and the token to send as `X-CSRF-Token` on unsafe requests.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SessionView {
    /// Who is signed in.
    pub agent: AgentView,
    /// Send as the `X-CSRF-Token` header with every POST, PATCH and DELETE.
    pub csrf_token: String,
    /// The desk requires a second factor of this agent, who has none yet: the session may
    /// set one up (`/account/two-factor`) and nothing else until then.
    pub enrol_only: bool,
}

/// The password was right and the agent signs in with a second factor too.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SecondFactorNeeded {
    /// Send back to `POST /session/second-factor` with the code.
    pub challenge: String,
    /// How long the challenge waits, in seconds.
    pub expires_in_seconds: i64,
    /// What may be given: a code from the authenticator app, or a recovery code.
    pub factors: Vec<&'static str>,
}

/// Signs in with email and password; sets the session cookie. An agent with two-factor
/// sign-in gets 202 and a challenge instead, to send back with a code.
#[utoipa::path(post, path = "/session", tag = "accounts", request_body = SignInRequest,
    responses((status = 200, body = SessionView), (status = 202, body = SecondFactorNeeded),
        (status = 401, body = crate::error::Problem)))]
pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<axum::response::Response, AppError> {
    let origin = Origin::of(&headers, client.as_deref());
    match open_session(&state, &request.email, request.password, &origin).await? {
        SignedIn::Opened(opened) => Ok(session_opened(opened)),
        SignedIn::SecondFactor { challenge } => Ok((
            StatusCode::ACCEPTED,
            Json(SecondFactorNeeded {
                challenge,
                expires_in_seconds: amends_core::account::SECOND_FACTOR_MINUTES * 60,
                factors: vec!["totp", "recovery_code"],
            }),
        )
            .into_response()),
    }
}

/// The second step of a sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SecondFactorRequest {
    /// The challenge `POST /session` answered.
    pub challenge: String,
    /// The six digits the authenticator app shows, or an unused recovery code.
    pub code: String,
}

/// Finishes a sign-in with a second factor; sets the session cookie.
#[utoipa::path(post, path = "/session/second-factor", tag = "accounts",
    request_body = SecondFactorRequest,
    responses((status = 200, body = SessionView), (status = 401, body = crate::error::Problem)))]
pub(super) async fn second_factor(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SecondFactorRequest>,
) -> Result<axum::response::Response, AppError> {
    let origin = Origin::of(&headers, client.as_deref());
    let opened = give_second_factor(&state, &request.challenge, &request.code, &origin).await?;
    Ok(session_opened(opened))
}

fn session_opened(opened: OpenedSession) -> axum::response::Response {
    let view = SessionView {
        agent: AgentView::from(opened.agent),
        csrf_token: opened.csrf_token,
        enrol_only: opened.enrol_only,
    };
    (AppendHeaders([(SET_COOKIE, opened.cookie)]), Json(view)).into_response()
}

/// The signed-in agent and their CSRF token.
#[utoipa::path(get, path = "/session", tag = "accounts",
    responses((status = 200, body = SessionView), (status = 401, body = crate::error::Problem)))]
pub(super) async fn current_session(current: CurrentAgent) -> Result<Json<SessionView>, AppError> {
    match current.credential {
        Credential::Session {
            csrf_token,
            enrol_only,
            ..
        } => Ok(Json(SessionView {
            agent: AgentView::from(current.agent),
            csrf_token,
            enrol_only,
        })),
        Credential::Token { .. } => Err(AppError::Unauthorized(
            "no session; API tokens have no CSRF token",
        )),
    }
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "accounts", responses((status = 204)))]
pub(super) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    _current: CurrentAgent,
) -> Result<impl IntoResponse, AppError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&digest(secret)).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    let clear = HeaderValue::from_str(&clear).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(SET_COOKIE, clear)])))
}

/// A new agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateAgentRequest {
    /// Sign-in address.
    pub email: String,
    /// Name.
    pub name: String,
    /// agent, supervisor or admin.
    #[schema(pattern = "^(agent|supervisor|admin)$")]
    pub role: String,
    /// Password, at least 10 characters.
    pub password: String,
    /// Compensation authority per case, minor units (default 0).
    #[serde(default)]
    pub authority_limit_minor: i64,
    /// Which cases they may see: `all` (the default), `owned_and_unowned` or `owned`.
    /// Supervisors and admins see every case whatever is set.
    #[schema(value_type = Option<String>, pattern = "^(all|owned_and_unowned|owned)$")]
    pub case_access: Option<String>,
}

/// Parses a case access named in a request.
pub(super) fn parse_case_access(raw: &str) -> Result<CaseAccess, AppError> {
    CaseAccess::parse(raw).ok_or_else(|| {
        AppError::invalid(
            "case_access",
            "must be one of all, owned_and_unowned, owned",
        )
    })
}

/// Checks and hashes a new agent; shared with `amends admin create-agent`.
pub fn new_agent(
    email: &str,
    name: &str,
    role: &str,
    password: &str,
    authority_limit_minor: i64,
) -> Result<NewAgent, AppError> {
    let email = crate::extract::parse_email("email", email)?;
    let name = bounded_text("name", name, 200, false)?;
    let role = AgentRole::parse(role)
        .ok_or_else(|| FieldError::new("role", "must be one of agent, supervisor, admin"))?;
    check_password(password)?;
    if authority_limit_minor < 0 {
        return Err(AppError::invalid(
            "authority_limit_minor",
            "must not be negative",
        ));
    }
    Ok(NewAgent {
        email: email.as_str().to_owned(),
        name,
        role,
        password_hash: Some(hash_password(password)?),
        authority_limit_minor,
        supervisor_id: None,
        case_access: CaseAccess::All,
    })
}

/// Adds an agent (admins only).
#[utoipa::path(post, path = "/agents", tag = "accounts", request_body = CreateAgentRequest,
    responses((status = 201, body = AgentView), (status = 403, body = crate::error::Problem)))]
pub(super) async fn create_agent(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CreateAgentRequest>,
) -> Result<(StatusCode, Json<AgentView>), AppError> {
    current.require(AgentRole::Admin)?;
    let case_access = request.case_access.as_deref().map(parse_case_access);
    let case_access = case_access.transpose()?.unwrap_or_default();
    let agent = tokio::task::spawn_blocking(move || {
        new_agent(
            &request.email,
            &request.name,
            &request.role,
            &request.password,
            request.authority_limit_minor,
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let agent = NewAgent {
        case_access,
        ..agent
    };
    let created = state
        .store
        .create_agent(&agent, &current.audit(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(AgentView::from(created))))
}

/// The team (supervisors and admins).
#[utoipa::path(get, path = "/agents", tag = "accounts", responses((status = 200, body = Vec<AgentView>)))]
pub(super) async fn list_agents(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<AgentView>>, AppError> {
    current.require(AgentRole::Supervisor)?;
    Ok(Json(
        state
            .store
            .agents()
            .await?
            .into_iter()
            .map(AgentView::from)
            .collect(),
    ))
}

/// A new API token for the signed-in agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateTokenRequest {
    /// What it is for, such as "CRM webhook".
    pub label: String,
    /// What it may do: `full` (default), `read_only`, or `intake` (mail and webhooks only, for
    /// an MTA or a provider).
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(full|read_only|intake)$")]
    pub scope: Option<String>,
    /// Days until it stops working (1 to 3650); it never expires when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NewTokenView {
    /// The token's id, for revoking it.
    pub id: i64,
    /// The secret: send as `Authorization: Bearer …`. It is not shown again.
    pub token: String,
}

/// Makes an API token acting as the signed-in agent.
#[utoipa::path(post, path = "/tokens", tag = "accounts", request_body = CreateTokenRequest,
    responses((status = 201, body = NewTokenView)))]
pub(super) async fn create_token(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CreateTokenRequest>,
) -> Result<(StatusCode, Json<NewTokenView>), AppError> {
    current.require(AgentRole::Agent)?;
    let label = bounded_text("label", &request.label, 200, false)?;
    let scope = match request.scope.as_deref() {
        None => TokenScope::Full,
        Some(raw) => TokenScope::parse(raw)
            .ok_or_else(|| FieldError::new("scope", "must be one of full, read_only, intake"))?,
    };
    let now = state.clock.now();
    let expires_at = match request.expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now.plus_millis(days * 86_400_000)),
        Some(_) => {
            return Err(AppError::invalid(
                "expires_in_days",
                "must be between 1 and 3650",
            ))
        }
    };
    let secret = new_secret();
    let info = state
        .store
        .create_token(
            current.agent.id,
            &digest(&secret),
            &label,
            scope,
            expires_at,
            &current.audit(&state),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            id: info.id,
            token: secret,
        }),
    ))
}

/// An API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TokenView {
    /// Its id.
    pub id: i64,
    /// Whose it is.
    pub agent_id: i64,
    /// What it is for.
    pub label: String,
    /// When made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When revoked.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    /// When it stops working, if it does.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// `full`, `read_only` or `intake`.
    pub scope: String,
    /// When it was last used (to the minute).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    /// The address it was last used from.
    pub last_used_from: Option<String>,
}

impl From<TokenInfo> for TokenView {
    fn from(info: TokenInfo) -> Self {
        TokenView {
            id: info.id,
            agent_id: info.agent_id,
            label: info.label,
            created_at: Timestamp(info.created_at),
            revoked_at: info.revoked_at.map(Timestamp),
            expires_at: info.expires_at.map(Timestamp),
            scope: info.scope,
            last_used_at: info.last_used_at.map(Timestamp),
            last_used_from: info.last_used_from,
        }
    }
}

/// The signed-in agent's tokens; an admin sees everyone's.
#[utoipa::path(get, path = "/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenView>)))]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<TokenView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let whose = (!current.agent.role.allows(AgentRole::Admin)).then_some(current.agent.id);
    Ok(Json(
        state
            .store
            .tokens(whose)
            .await?
            .into_iter()
            .map(TokenView::from)
            .collect(),
    ))
}

/// Revokes a token: one's own, or anyone's for an admin.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = TokenView), (status = 404, body = crate::error::Problem)))]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TokenView>, AppError> {
    current.require(AgentRole::Agent)?;
    let mine = state
        .store
        .tokens(Some(current.agent.id))
        .await?
        .iter()
        .any(|t| t.id == id);
    if !mine && !current.agent.role.allows(AgentRole::Admin) {
        return Err(AppError::NotFound("token"));
    }
    Ok(Json(TokenView::from(
        state.store.revoke_token(id, &current.audit(&state)).await?,
    )))
}
