//! Single sign-on through an OpenID provider: the authorization code flow with PKCE, the
//! state and nonce checked, the ID token's signature, issuer, audience and expiry verified by
//! the `openidconnect` crate, the provider's discovery document and keys cached for an hour
//! and fetched again when a token names a key not seen yet. Agents are matched by a verified
//! email, or created with the desk's default role; an email domain may be "single sign-on
//! only", its passwords refused.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sign_on::{settings, SsoSettings};
use amends_core::audit::{Actor, AuditContext};
use amends_core::{AgentRole, CaseAccess, Timestamp};
use amends_store::{NewAgent, SsoLogin};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use crate::accounts::{digest, start_session, OpenedSession, Origin};
use crate::{AppError, AppState};

/// How long a discovery document and its keys are trusted before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// How long a sign-in may take at the provider.
const LOGIN_MINUTES: i64 = 10;

/// Discovery documents fetched, by issuer.
#[derive(Default)]
pub(crate) struct Providers {
    known: Mutex<Vec<(String, Instant, CoreProviderMetadata)>>,
}

fn http() -> Result<openidconnect::reqwest::Client, AppError> {
    openidconnect::reqwest::ClientBuilder::new()
        // Following redirects would let a provider's answer send the desk anywhere.
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn unavailable(what: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %what, "the OpenID provider could not be used");
    AppError::Busy("the sign-in provider cannot be reached; try again in a moment")
}

/// The provider's discovery document and keys: cached, or fetched when older than an hour or
/// when `fresh` asks (a token signed with a key the cache does not know).
async fn metadata(
    state: &AppState,
    issuer: &str,
    fresh: bool,
) -> Result<CoreProviderMetadata, AppError> {
    if !fresh {
        let known = state
            .sso
            .known
            .lock()
            .map_err(|_| AppError::Internal("lock".into()))?;
        if let Some((_, _, found)) = known
            .iter()
            .find(|(i, at, _)| i == issuer && at.elapsed() < METADATA_TTL)
        {
            return Ok(found.clone());
        }
    }
    let url = IssuerUrl::new(issuer.to_owned()).map_err(unavailable)?;
    let found = CoreProviderMetadata::discover_async(url, &http()?)
        .await
        .map_err(unavailable)?;
    let mut known = state
        .sso
        .known
        .lock()
        .map_err(|_| AppError::Internal("lock".into()))?;
    known.retain(|(i, _, _)| i != issuer);
    known.push((issuer.to_owned(), Instant::now(), found.clone()));
    Ok(found)
}

fn redirect_url(state: &AppState) -> Result<RedirectUrl, AppError> {
    let base = state.settings.public_url.trim_end_matches('/');
    RedirectUrl::new(format!("{base}/sso/callback")).map_err(|e| AppError::Internal(e.to_string()))
}

/// Starts a sign-in: the provider's address to send the browser to, with a fresh state,
/// nonce and PKCE challenge kept for the way back.
pub(crate) async fn start(
    state: &AppState,
    email_hint: Option<&str>,
    next: &str,
) -> Result<String, AppError> {
    let sso = settings(state)
        .await?
        .ok_or(AppError::NotFound("single sign-on"))?;
    let provider = metadata(state, &sso.issuer, false).await?;
    let client = CoreClient::from_provider_metadata(
        provider,
        ClientId::new(sso.client_id),
        Some(ClientSecret::new(sso.client_secret)),
    )
    .set_redirect_uri(redirect_url(state)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge);
    if let Some(hint) = email_hint.map(str::trim).filter(|h| !h.is_empty()) {
        request = request.add_extra_param("login_hint", hint.to_owned());
    }
    let (url, csrf, nonce) = request.url();
    let now = state.clock.now();
    let login = SsoLogin {
        state_hash: digest(csrf.secret()),
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
        next: next.to_owned(),
        expires_at: now.plus_millis(LOGIN_MINUTES * 60_000),
    };
    state.store.begin_sso_login(&login, now).await?;
    Ok(url.to_string())
}

/// Finishes a sign-in the provider sent back: the state taken once, the code exchanged with
/// its PKCE verifier, the ID token verified; answers the session and where to go.
pub(crate) async fn finish(
    state: &AppState,
    code: &str,
    returned_state: &str,
    origin: &Origin<'_>,
) -> Result<(OpenedSession, String), AppError> {
    let refused = AppError::Unauthorized("the sign-in could not be completed; start again");
    let now = state.clock.now();
    let login = state
        .store
        .take_sso_login(&digest(returned_state), now)
        .await?
        .ok_or(refused)?;
    let sso = settings(state)
        .await?
        .ok_or(AppError::NotFound("single sign-on"))?;
    let email = verified_email(state, &sso, code, &login, now).await?;
    let agent = match state.store.agent_for_sign_in(&email).await? {
        Some((agent, _)) => agent,
        None if sso.create_agents => create_agent(state, &sso, &email, origin).await?,
        None => {
            return Err(AppError::Unauthorized(
                "no agent of this desk has the address the provider gave",
            ))
        }
    };
    let context = AuditContext {
        actor: Actor::Agent { agent_id: agent.id },
        at: now,
        remote_addr: origin.remote_addr.map(str::to_owned),
    };
    state
        .store
        .record_sign_in(agent.id, "sso", true, &context)
        .await?;
    let opened = start_session(state, agent, origin, false).await?;
    Ok((opened, login.next))
}

/// Exchanges the code and verifies the ID token; answers its verified email, lower case (from
/// the ID token, or from the user info endpoint for the subject the verified token names).
async fn verified_email(
    state: &AppState,
    sso: &SsoSettings,
    code: &str,
    login: &SsoLogin,
    now: Timestamp,
) -> Result<String, AppError> {
    let refused = |why: &dyn std::fmt::Display| {
        tracing::warn!(reason = %why, "a single sign-on was refused");
        AppError::Unauthorized("the provider's answer could not be trusted; start again")
    };
    let http = http()?;
    let client = |provider: CoreProviderMetadata| {
        CoreClient::from_provider_metadata(
            provider,
            ClientId::new(sso.client_id.clone()),
            Some(ClientSecret::new(sso.client_secret.clone())),
        )
    };
    let mut desk =
        client(metadata(state, &sso.issuer, false).await?).set_redirect_uri(redirect_url(state)?);
    let tokens = desk
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| refused(&e))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| refused(&e))?;
    let id_token = tokens.id_token().ok_or_else(|| refused(&"no ID token"))?;
    let nonce = Nonce::new(login.nonce.clone());
    let at = chrono::DateTime::from_timestamp_millis(now.millis()).unwrap_or_default();
    let verify = |desk: &CoreClient<_, _, _, _, _, _>| {
        let verifier = desk.id_token_verifier().set_time_fn(move || at);
        id_token
            .claims(&verifier, &nonce)
            .map(|claims| {
                let email = claims.email().map(|e| e.as_str().to_owned());
                (claims.subject().clone(), email, claims.email_verified())
            })
            .map_err(|e| e.to_string())
    };
    let found = match verify(&desk) {
        Ok(found) => found,
        // The provider may have turned to a new key since its keys were fetched.
        Err(_) => {
            desk = client(metadata(state, &sso.issuer, true).await?)
                .set_redirect_uri(redirect_url(state)?);
            verify(&desk).map_err(|e| refused(&e))?
        }
    };
    if let (_, Some(email), Some(true)) = &found {
        return Ok(email.trim().to_lowercase());
    }
    // A provider that keeps the ID token lean (the specification's default when an access
    // token is issued) gives the email at its user info endpoint, for the verified subject.
    let info: openidconnect::core::CoreUserInfoClaims = desk
        .user_info(tokens.access_token().clone(), Some(found.0))
        .map_err(|e| refused(&e))?
        .request_async(&http)
        .await
        .map_err(|e| refused(&e))?;
    match (info.email(), info.email_verified()) {
        (Some(email), Some(true)) => Ok(email.as_str().trim().to_lowercase()),
        _ => Err(refused(&"the provider gives no verified email")),
    }
}

async fn create_agent(
    state: &AppState,
    sso: &SsoSettings,
    email: &str,
    origin: &Origin<'_>,
) -> Result<amends_core::Agent, AppError> {
    let agent = NewAgent {
        email: email.to_owned(),
        name: email.split('@').next().unwrap_or(email).to_owned(),
        role: AgentRole::parse(&sso.default_role).unwrap_or(AgentRole::Agent),
        password_hash: None,
        authority_limit_minor: 0,
        supervisor_id: None,
        case_access: CaseAccess::All,
    };
    let context = AuditContext {
        actor: Actor::System,
        at: state.clock.now(),
        remote_addr: origin.remote_addr.map(str::to_owned),
    };
    Ok(state.store.create_agent(&agent, &context).await?)
}
