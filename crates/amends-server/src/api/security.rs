//! An agent's own account security: two-factor sign-in (set up from a QR code, recovery
//! codes, turned off), their sign-ins and sessions; and the desk's rule of who must have a
//! second factor, which an admin sets.

use amends_core::account::TwoFactorRule;
use amends_core::{AgentRole, FieldError, Timestamp};
use amends_store::{AuditEntry, SessionInfo};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{
    digest, second_factor_matches, two_factor_rule, Credential, CurrentAgent, TWO_FACTOR_SETTING,
};
use crate::extract::{ApiJson, ApiPath};
use crate::two_factor;
use crate::{AppError, AppState};

/// Where an agent's two-factor sign-in stands.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TwoFactorView {
    /// Whether sign-in asks for a second factor.
    pub enabled: bool,
    /// Whether a secret waits for its first code.
    pub pending: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
    /// Whether the desk requires it of this agent's role.
    pub required: bool,
}

/// Where the signed-in agent's two-factor sign-in stands.
#[utoipa::path(get, path = "/account/two-factor", tag = "accounts",
    responses((status = 200, body = TwoFactorView)))]
pub(super) async fn two_factor_status(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<TwoFactorView>, AppError> {
    let stored = state.store.second_factor(current.agent.id).await?;
    Ok(Json(TwoFactorView {
        enabled: stored.secret.is_some(),
        pending: stored.pending.is_some(),
        recovery_codes_left: stored.recovery_codes_left,
        required: two_factor_rule(&state).await?.requires(current.agent.role),
    }))
}

/// A secret to add to an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TwoFactorSetup {
    /// The secret, base32, to type into the app by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code, SVG.
    pub qr_svg: String,
}

/// Starts setting up two-factor sign-in: a fresh secret, shown once as text and as a QR code.
/// Sign-in does not ask for it until its first code is confirmed.
#[utoipa::path(post, path = "/account/two-factor", tag = "accounts",
    responses((status = 201, body = TwoFactorSetup), (status = 409, body = crate::error::Problem)))]
pub(super) async fn start_two_factor(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<(StatusCode, Json<TwoFactorSetup>), AppError> {
    if state
        .store
        .second_factor(current.agent.id)
        .await?
        .secret
        .is_some()
    {
        return Err(AppError::Conflict(FieldError::new(
            "two_factor",
            "two-factor sign-in is on already; turn it off first to use another app",
        )));
    }
    let secret = two_factor::new_secret();
    let now = state.clock.now();
    let text = two_factor::secret_text(&secret);
    state
        .store
        .start_two_factor(current.agent.id, &text, now)
        .await?;
    let uri = two_factor::otpauth_uri("Amends", &current.agent.email, &secret);
    let qr_svg = two_factor::qr_svg(&uri)
        .ok_or_else(|| AppError::Internal("the QR code could not be drawn".to_owned()))?;
    Ok((
        StatusCode::CREATED,
        Json(TwoFactorSetup {
            secret: text,
            otpauth_uri: uri,
            qr_svg,
        }),
    ))
}

/// A code from the authenticator app (or, where it says so, a recovery code).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CodeRequest {
    /// Six digits from the app, or a recovery code where one is accepted.
    pub code: String,
}

/// Recovery codes, shown this once: each signs in once in place of a code from the app.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RecoveryCodesView {
    /// The codes.
    pub recovery_codes: Vec<String>,
}

/// Confirms the pending secret with its first code: two-factor sign-in is on from now, and
/// the recovery codes are shown this once.
#[utoipa::path(post, path = "/account/two-factor/confirm", tag = "accounts",
    request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodesView), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn confirm_two_factor(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<Json<RecoveryCodesView>, AppError> {
    let now = state.clock.now();
    let stored = state.store.second_factor(current.agent.id).await?;
    let pending = stored.pending.ok_or_else(|| {
        FieldError::new(
            "code",
            "nothing is being set up; start with POST /account/two-factor",
        )
    })?;
    let step = two_factor::secret_from_text(&pending)
        .and_then(|secret| two_factor::accepted_step(&secret, &request.code, now, 0))
        .ok_or_else(|| {
            FieldError::new(
                "code",
                "that is not the app's current code: check the phone's clock and try the next one",
            )
        })?;
    let codes = two_factor::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| digest(c)).collect();
    let context = current.audit(&state);
    let enabled = state
        .store
        .enable_two_factor(current.agent.id, &pending, step, &hashes, &context)
        .await?;
    if !enabled {
        return Err(AppError::Conflict(FieldError::new(
            "code",
            "another setup started meanwhile; use the newest QR code",
        )));
    }
    Ok(Json(RecoveryCodesView {
        recovery_codes: codes,
    }))
}

/// Turns two-factor sign-in off, given a current code or a recovery code. Refused while the
/// desk requires it of the agent's role.
#[utoipa::path(post, path = "/account/two-factor/disable", tag = "accounts",
    request_body = CodeRequest,
    responses((status = 204), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn disable_two_factor(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<StatusCode, AppError> {
    if two_factor_rule(&state).await?.requires(current.agent.role) {
        return Err(AppError::Forbidden(
            "the desk requires two-factor sign-in of your role",
        ));
    }
    proven(&state, &current, &request.code).await?;
    state
        .store
        .disable_two_factor(current.agent.id, &current.audit(&state))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the recovery codes with fresh ones, given a current code or a recovery code.
#[utoipa::path(post, path = "/account/two-factor/recovery-codes", tag = "accounts",
    request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodesView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn renew_recovery_codes(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<Json<RecoveryCodesView>, AppError> {
    proven(&state, &current, &request.code).await?;
    let codes = two_factor::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| digest(c)).collect();
    state
        .store
        .renew_recovery_codes(current.agent.id, &hashes, &current.audit(&state))
        .await?;
    Ok(Json(RecoveryCodesView {
        recovery_codes: codes,
    }))
}

/// Refuses unless two-factor sign-in is on and `code` is one of the agent's second factors.
async fn proven(state: &AppState, current: &CurrentAgent, code: &str) -> Result<(), AppError> {
    if state
        .store
        .second_factor(current.agent.id)
        .await?
        .secret
        .is_none()
    {
        return Err(FieldError::new("code", "two-factor sign-in is not on").into());
    }
    let now = state.clock.now();
    match second_factor_matches(state, current.agent.id, code, now).await? {
        Some(_) => Ok(()),
        None => Err(FieldError::new(
            "code",
            "that is neither the app's current code nor an unused recovery code",
        )
        .into()),
    }
}

/// A sign-in to an account.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SignInView {
    /// When, RFC 3339.
    pub at: String,
    /// Whether it succeeded.
    pub succeeded: bool,
    /// `password`, `totp`, `recovery_code` or `sso`.
    pub factor: String,
    /// The address it came from.
    pub from: Option<String>,
}

impl From<AuditEntry> for SignInView {
    fn from(entry: AuditEntry) -> Self {
        let factor = crate::accounts::sign_in_factor(&entry.changes);
        SignInView {
            at: Timestamp(entry.created_at).to_rfc3339(),
            succeeded: entry.action == "agent.signed_in",
            factor,
            from: entry.remote_addr,
        }
    }
}

/// The signed-in agent's latest 50 sign-ins, good and bad, newest first.
#[utoipa::path(get, path = "/account/sign-ins", tag = "accounts",
    responses((status = 200, body = [SignInView])))]
pub(super) async fn own_sign_ins(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<SignInView>>, AppError> {
    let entries = state.store.sign_ins(current.agent.id, 50).await?;
    Ok(Json(entries.into_iter().map(SignInView::from).collect()))
}

/// An agent's latest 50 sign-ins (admins only).
#[utoipa::path(get, path = "/agents/{id}/sign-ins", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = [SignInView]), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub(super) async fn agent_sign_ins(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<SignInView>>, AppError> {
    current.require(AgentRole::Admin)?;
    state.store.agent(id).await?;
    let entries = state.store.sign_ins(id, 50).await?;
    Ok(Json(entries.into_iter().map(SignInView::from).collect()))
}

/// A console session.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SessionInfoView {
    /// Its id.
    pub id: i64,
    /// When it was opened, RFC 3339.
    pub created_at: String,
    /// When it was last used (to the minute).
    pub last_used_at: String,
    /// When it ends at the latest.
    pub expires_at: String,
    /// Where it was opened from.
    pub from: Option<String>,
    /// The browser it was opened in.
    pub browser: Option<String>,
    /// Whether it is the session making this request.
    pub current: bool,
}

/// The signed-in agent's sessions, newest first.
#[utoipa::path(get, path = "/account/sessions", tag = "accounts",
    responses((status = 200, body = [SessionInfoView])))]
pub(super) async fn own_sessions(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<SessionInfoView>>, AppError> {
    let this = match current.credential {
        Credential::Session { session_id, .. } => Some(session_id),
        Credential::Token { .. } => None,
    };
    let sessions = state
        .store
        .sessions_of(current.agent.id, state.clock.now())
        .await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s: SessionInfo| SessionInfoView {
                id: s.id,
                created_at: s.created_at.to_rfc3339(),
                last_used_at: s.last_seen_at.to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
                from: s.remote_addr,
                browser: s.user_agent,
                current: Some(s.id) == this,
            })
            .collect(),
    ))
}

/// Ends one of the signed-in agent's sessions (on a lost or shared computer).
#[utoipa::path(delete, path = "/account/sessions/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub(super) async fn end_own_session(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    let ended = state
        .store
        .end_session(current.agent.id, id, &current.audit(&state))
        .await?;
    if ended {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("session"))
    }
}

/// Who must sign in with a second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TwoFactorRuleView {
    /// `nobody`, `supervisors` (supervisors and admins) or `everyone`.
    #[schema(pattern = "^(nobody|supervisors|everyone)$")]
    pub required_for: String,
}

/// Who must sign in with a second factor.
#[utoipa::path(get, path = "/settings/two-factor", tag = "accounts",
    responses((status = 200, body = TwoFactorRuleView)))]
pub(super) async fn get_two_factor_rule(
    State(state): State<AppState>,
    _current: CurrentAgent,
) -> Result<Json<TwoFactorRuleView>, AppError> {
    Ok(Json(TwoFactorRuleView {
        required_for: two_factor_rule(&state).await?.as_str().to_owned(),
    }))
}

/// Sets who must sign in with a second factor (admins only). Those it newly covers are asked
/// to set one up at their next sign-in, and can do nothing else until they have.
#[utoipa::path(put, path = "/settings/two-factor", tag = "accounts",
    request_body = TwoFactorRuleView,
    responses((status = 200, body = TwoFactorRuleView), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn set_two_factor_rule(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<TwoFactorRuleView>,
) -> Result<Json<TwoFactorRuleView>, AppError> {
    current.require(AgentRole::Admin)?;
    let rule = TwoFactorRule::parse(&request.required_for).ok_or_else(|| {
        FieldError::new("required_for", "must be nobody, supervisors or everyone")
    })?;
    state
        .store
        .set_desk_setting(
            current.agent.id,
            TWO_FACTOR_SETTING,
            rule.as_str(),
            None,
            &current.audit(&state),
        )
        .await?;
    Ok(Json(TwoFactorRuleView {
        required_for: rule.as_str().to_owned(),
    }))
}

/// The OpenID provider agents sign in through.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SsoRequest {
    /// The issuer (its `/.well-known/openid-configuration` describes it).
    pub issuer: String,
    /// The desk's client id there.
    pub client_id: String,
    /// The desk's client secret there (never shown again).
    pub client_secret: String,
    /// The role of an agent made at their first sign-in: agent (the default), supervisor or
    /// admin.
    #[schema(pattern = "^(agent|supervisor|admin)$")]
    pub default_role: Option<String>,
    /// Whether a verified email no agent has makes a new agent (default true).
    pub create_agents: Option<bool>,
    /// Email domains whose agents may only sign in through the provider.
    #[serde(default)]
    pub only_domains: Vec<String>,
}

/// The provider as set, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SsoView {
    /// Whether single sign-on is set up.
    pub enabled: bool,
    /// The issuer.
    pub issuer: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// The role of a new agent.
    pub default_role: Option<String>,
    /// Whether new agents are made.
    pub create_agents: bool,
    /// Domains that sign in only through the provider.
    pub only_domains: Vec<String>,
    /// Where the provider must send agents back (register it there).
    pub redirect_uri: String,
}

fn sso_view(state: &AppState, sso: Option<crate::sign_on::SsoSettings>) -> SsoView {
    let redirect_uri = format!(
        "{}/sso/callback",
        state.settings.public_url.trim_end_matches('/')
    );
    match sso {
        Some(sso) => SsoView {
            enabled: true,
            issuer: Some(sso.issuer),
            client_id: Some(sso.client_id),
            default_role: Some(sso.default_role),
            create_agents: sso.create_agents,
            only_domains: sso.only_domains,
            redirect_uri,
        },
        None => SsoView {
            enabled: false,
            issuer: None,
            client_id: None,
            default_role: None,
            create_agents: false,
            only_domains: Vec::new(),
            redirect_uri,
        },
    }
}

/// The single sign-on provider (admins only).
#[utoipa::path(get, path = "/settings/sso", tag = "accounts",
    responses((status = 200, body = SsoView), (status = 403, body = crate::error::Problem)))]
pub(super) async fn get_sso(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<SsoView>, AppError> {
    current.require(AgentRole::Admin)?;
    let sso = crate::sign_on::settings(&state).await?;
    Ok(Json(sso_view(&state, sso)))
}

/// Sets the single sign-on provider (admins only); agents then sign in through it from the
/// sign-in page.
#[utoipa::path(put, path = "/settings/sso", tag = "accounts", request_body = SsoRequest,
    responses((status = 200, body = SsoView), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn set_sso(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<SsoRequest>,
) -> Result<Json<SsoView>, AppError> {
    current.require(AgentRole::Admin)?;
    let issuer = request.issuer.trim().trim_end_matches('/').to_owned();
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        return Err(FieldError::new("issuer", "must be the provider's http(s) address").into());
    }
    if request.client_id.trim().is_empty() || request.client_secret.is_empty() {
        return Err(
            FieldError::new("client_id", "the client id and secret are both needed").into(),
        );
    }
    let default_role = request.default_role.unwrap_or_else(|| "agent".to_owned());
    if AgentRole::parse(&default_role).is_none() {
        return Err(FieldError::new("default_role", "must be agent, supervisor or admin").into());
    }
    let sso = crate::sign_on::SsoSettings {
        issuer,
        client_id: request.client_id.trim().to_owned(),
        client_secret: request.client_secret,
        default_role,
        create_agents: request.create_agents.unwrap_or(true),
        only_domains: request
            .only_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect(),
    };
    let json = serde_json::to_string(&sso).map_err(|e| AppError::Internal(e.to_string()))?;
    // The audit trail names the provider, never the secret.
    let shown = format!("{} as {}", sso.issuer, sso.client_id);
    state
        .store
        .set_desk_setting(
            current.agent.id,
            crate::sign_on::SSO_SETTING,
            &json,
            Some(&shown),
            &current.audit(&state),
        )
        .await?;
    Ok(Json(sso_view(&state, Some(sso))))
}
