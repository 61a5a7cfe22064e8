//! Who is asking: passwords (argon2id), session cookies with their CSRF tokens, API tokens,
//! and the [`CurrentAgent`] extractor every protected handler takes.
//!
//! Secrets are random 256-bit values; the database keeps only their SHA-256, so a copy of it
//! signs no one in. Passwords are hashed with argon2id because people choose them.

use amends_core::account::{self, SignInFailures, ThrottleRule, TokenScope, TwoFactorRule};
use amends_core::audit::{Actor, AuditContext};
use amends_core::{Agent, AgentRole, Timestamp};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use amends_store::SessionOrigin;

use crate::{two_factor, AppError, AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "amends_session";
/// The header unsafe cookie-authenticated requests must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches `hash`. A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random secret, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// How the request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A console session cookie, with the CSRF token its unsafe requests must carry.
    Session {
        /// The session's CSRF token.
        csrf_token: String,
        /// The session's id.
        session_id: i64,
        /// Whether it may only set up a second factor.
        enrol_only: bool,
    },
    /// An API token, and what it may be used for.
    Token {
        /// Its scope.
        scope: TokenScope,
    },
}

/// The signed-in agent making this request. Rejects with 401 when there is no valid session
/// or token, and with 403 when a cookie-authenticated unsafe request lacks its CSRF token.
#[derive(Debug, Clone)]
pub struct CurrentAgent {
    /// Who.
    pub agent: Agent,
    /// How they proved it.
    pub credential: Credential,
    /// The address the request came from.
    pub remote_addr: Option<String>,
}

impl CurrentAgent {
    /// Refuses with 403 unless the agent's role includes `role`.
    pub fn require(&self, role: AgentRole) -> Result<(), AppError> {
        if self.agent.role.allows(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden("your role does not allow this"))
        }
    }

    /// Who did it and from where, for the audit trail.
    pub fn audit(&self, state: &AppState) -> AuditContext {
        AuditContext {
            actor: Actor::Agent {
                agent_id: self.agent.id,
            },
            at: state.clock.now(),
            remote_addr: self.remote_addr.clone(),
        }
    }
}

/// The value of the cookie `name` in the request, if present.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for CurrentAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // Already found by the sight check (`crate::sight`) on this request.
        if let Some(current) = parts.extensions.get::<CurrentAgent>() {
            return Ok(current.clone());
        }
        let remote_addr = crate::extract::remote_addr(parts, &state.settings.trusted_proxies);
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            let token = header
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(AppError::Unauthorized(
                    "the authorization header must be 'Bearer TOKEN'",
                ))?;
            let now = state.clock.now();
            let (agent, scope) = state
                .store
                .agent_for_token_from(&digest(token.trim()), now, remote_addr.as_deref())
                .await?
                .ok_or(AppError::Unauthorized(
                    "the token is unknown, expired or revoked",
                ))?;
            let intake = parts.uri.path().ends_with(crate::limits::MAIL_INTAKE_ROUTE);
            if !scope.allows(is_safe(&parts.method), intake) {
                return Err(AppError::Forbidden(
                    "this token's scope does not allow this",
                ));
            }
            return Ok(CurrentAgent {
                agent,
                credential: Credential::Token { scope },
                remote_addr,
            });
        }
        let secret = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or(AppError::Unauthorized("sign in, or send an API token"))?;
        let now = state.clock.now();
        let idle = i64::try_from(state.settings.session_idle.as_millis()).unwrap_or(i64::MAX);
        let hash = digest(secret);
        let session = state
            .store
            .session(&hash, now, now.plus_millis(-idle))
            .await?
            .ok_or(AppError::Unauthorized(
                "the session has ended; sign in again",
            ))?;
        // The idle timeout counts from the last use; a write a minute is enough to keep it.
        if now.millis() - session.last_seen_at.millis() > 60_000 {
            state.store.touch_session(&hash, now).await?;
        }
        if !is_safe(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !sent.is_some_and(|sent| constant_time_eq(sent, &session.csrf_token)) {
                return Err(AppError::Forbidden("the CSRF token is missing or wrong"));
            }
        }
        if session.enrol_only && !enrolling(parts.uri.path()) {
            return Err(AppError::Forbidden(ENROL_FIRST));
        }
        Ok(CurrentAgent {
            agent: session.agent,
            credential: Credential::Session {
                csrf_token: session.csrf_token,
                session_id: session.id,
                enrol_only: session.enrol_only,
            },
            remote_addr,
        })
    }
}

/// The refusal of a password for an address whose domain signs in through the provider.
pub const SSO_ONLY: &str = "this address signs in through single sign-on, not with a password";

/// The refusal of a request from a session that may only set up a second factor.
pub const ENROL_FIRST: &str = "the desk requires a second factor for your role: set up \
     two-factor sign-in (your account page, or /api/v1/account/two-factor) first";

/// How an agent signed in, from a sign-in's audit changes: `password`, `totp`,
/// `recovery_code` or `sso`.
pub(crate) fn sign_in_factor(changes: &str) -> String {
    serde_json::from_str::<serde_json::Value>(changes)
        .ok()
        .and_then(|c| c[0]["to"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a session that may only set up a second factor may make this request: setting it
/// up, reading or ending the session, and the console's account page.
fn enrolling(path: &str) -> bool {
    path.contains("/account/two-factor") || path.ends_with("/session") || path == "/account"
}

/// Whether two secrets are equal, in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Runs `check` (argon2id work) on the blocking pool under one of the desk's password-check
/// permits. Each check holds 19 MiB for a moment: bounded, so a crowd of sign-ins (with or
/// without an account) is answered "busy" at once instead of taking the server's memory.
pub(crate) async fn with_password_check<T: Send + 'static>(
    state: &AppState,
    check: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let permit = state
        .password_checks
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Busy("too many password checks at once; try again in a moment"))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        check()
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A hash that verifies nothing, so an unknown address costs as much time as a wrong password.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9mBkEYd8m1nZCAXRgsPMB8Sq8Ku0JMAtsdM+8SEw8RE";

/// The key failed sign-ins of an account are counted under.
pub(crate) fn account_key(email: &str) -> String {
    format!("account:{email}")
}

/// The key failed sign-ins (and reset requests) from a client address are counted under.
pub(crate) fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// Refuses with 429 while any of `keys` waits after its failures; answers the records found.
pub(crate) async fn refuse_while_throttled(
    state: &AppState,
    keys: &[String],
    now: Timestamp,
) -> Result<Vec<(String, SignInFailures)>, AppError> {
    let failures = state.store.sign_in_failures(keys).await?;
    let records: Vec<_> = failures.iter().map(|(_, record)| *record).collect();
    match account::wait_seconds(&records, now) {
        Some(seconds) => Err(AppError::TooManyAttempts {
            message: "too many attempts; wait a moment and try again",
            retry_after_seconds: seconds,
        }),
        None => Ok(failures),
    }
}

/// Counts one more failure under `key` by `rule`, on top of what `known` says it had.
pub(crate) async fn count_failure(
    state: &AppState,
    key: &str,
    rule: ThrottleRule,
    known: &[(String, SignInFailures)],
    now: Timestamp,
) -> Result<(), AppError> {
    let previous = known.iter().find(|(k, _)| k == key).map(|(_, r)| *r);
    let next = account::after_failure(rule, previous, now);
    Ok(state.store.save_sign_in_failures(key, &next).await?)
}

/// The keys a sign-in's failures are counted under: the account first, then the address.
fn sign_in_keys(email: &str, origin: &Origin<'_>) -> Vec<String> {
    let mut keys = vec![account_key(email)];
    keys.extend(origin.remote_addr.map(address_key));
    keys
}

/// Counts a failed sign-in (a wrong password or code) under each of `keys` by its rule.
async fn count_sign_in_failure(
    state: &AppState,
    keys: &[String],
    known: &[(String, SignInFailures)],
    now: Timestamp,
) -> Result<(), AppError> {
    let rules = [account::ACCOUNT_THROTTLE, account::ADDRESS_THROTTLE];
    for (key, rule) in keys.iter().zip(rules) {
        count_failure(state, key, rule, known, now).await?;
    }
    Ok(())
}

/// Forgets the account's failures after a good sign-in (the address's stay).
async fn forget_account_failures(
    state: &AppState,
    keys: &[String],
    known: &[(String, SignInFailures)],
) -> Result<(), AppError> {
    if known.iter().any(|(key, _)| key == &keys[0]) {
        state.store.forget_sign_in_failures(&keys[0]).await?;
    }
    Ok(())
}

/// A session just opened: who, the cookie to set, and the CSRF token of the session.
pub struct OpenedSession {
    /// Who signed in.
    pub agent: Agent,
    /// The `Set-Cookie` value carrying the session.
    pub cookie: HeaderValue,
    /// The token unsafe requests of this session must carry.
    pub csrf_token: String,
    /// Whether the session may only set up a second factor (the desk requires one).
    pub enrol_only: bool,
}

/// What a checked password leads to.
pub enum SignedIn {
    /// A session, opened.
    Opened(OpenedSession),
    /// The agent signs in with a second factor too: the challenge to send back with its code.
    SecondFactor {
        /// The challenge, good for a few minutes.
        challenge: String,
    },
}

/// Who is signing in from where: the address and the browser's name.
pub struct Origin<'a> {
    /// The client's address.
    pub remote_addr: Option<&'a str>,
    /// The browser's `User-Agent`.
    pub user_agent: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// Where a request came from: `remote_addr` (as the desk's proxies tell it) and the
    /// browser's name in its headers.
    pub fn of(headers: &'a HeaderMap, remote_addr: Option<&'a str>) -> Self {
        Origin {
            remote_addr,
            user_agent: headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        }
    }
}

/// Checks `email` and `password`; opens a session, or asks for the second factor when the
/// agent has one. A wrong password and an unknown address get the same answer after the same
/// work. Every sign-in to a known account, good or bad, goes in the audit trail.
pub async fn open_session(
    state: &AppState,
    email: &str,
    password: String,
    origin: &Origin<'_>,
) -> Result<SignedIn, AppError> {
    let email = email.trim().to_lowercase();
    if crate::sign_on::only_through_provider(state, &email).await? {
        return Err(AppError::Unauthorized(SSO_ONLY));
    }
    let keys = sign_in_keys(&email, origin);
    let now = state.clock.now();
    let failures = refuse_while_throttled(state, &keys, now).await?;
    let found = state.store.agent_for_sign_in(&email).await?;
    let hash = found
        .as_ref()
        .and_then(|(_, hash)| hash.clone())
        .unwrap_or_else(|| DECOY_HASH.to_owned());
    let matches = with_password_check(state, move || verify_password(&password, &hash)).await?;
    let agent = match found {
        Some((agent, _)) if matches => agent,
        found => {
            count_sign_in_failure(state, &keys, &failures, now).await?;
            if let Some((agent, _)) = found {
                let context = sign_in_context(state, None, origin);
                state
                    .store
                    .record_sign_in(agent.id, "password", false, &context)
                    .await?;
            }
            return Err(AppError::Unauthorized("wrong email or password"));
        }
    };
    forget_account_failures(state, &keys, &failures).await?;
    if state.store.second_factor(agent.id).await?.secret.is_some() {
        let challenge = new_secret();
        let until = now.plus_millis(account::SECOND_FACTOR_MINUTES * 60_000);
        state
            .store
            .create_challenge(agent.id, &digest(&challenge), now, until)
            .await?;
        return Ok(SignedIn::SecondFactor { challenge });
    }
    let context = sign_in_context(state, Some(agent.id), origin);
    state
        .store
        .record_sign_in(agent.id, "password", true, &context)
        .await?;
    let enrol_only = two_factor_rule(state).await?.requires(agent.role);
    Ok(SignedIn::Opened(
        start_session(state, agent, origin, enrol_only).await?,
    ))
}

/// Finishes a sign-in waiting for its second factor: `code` is a current TOTP code or an
/// unused recovery code. A wrong code counts against the account like a wrong password, and
/// after a few the password must be given again.
pub async fn give_second_factor(
    state: &AppState,
    challenge: &str,
    code: &str,
    origin: &Origin<'_>,
) -> Result<OpenedSession, AppError> {
    let now = state.clock.now();
    let challenge_hash = digest(challenge);
    let Some(waiting) = state.store.attempt_challenge(&challenge_hash, now).await? else {
        return Err(AppError::Unauthorized(
            "this sign-in has expired; give your email and password again",
        ));
    };
    let agent = state.store.agent(waiting.agent_id).await?;
    let keys = sign_in_keys(&agent.email, origin);
    let failures = refuse_while_throttled(state, &keys, now).await?;
    let factor = match second_factor_matches(state, agent.id, code, now).await? {
        Some(factor) => factor,
        None => {
            count_sign_in_failure(state, &keys, &failures, now).await?;
            if waiting.attempts + 1 >= account::SECOND_FACTOR_ATTEMPTS {
                state.store.end_challenge(&challenge_hash).await?;
            }
            let context = sign_in_context(state, None, origin);
            state
                .store
                .record_sign_in(agent.id, "totp", false, &context)
                .await?;
            return Err(AppError::Unauthorized("wrong code"));
        }
    };
    state.store.end_challenge(&challenge_hash).await?;
    forget_account_failures(state, &keys, &failures).await?;
    let context = sign_in_context(state, Some(agent.id), origin);
    state
        .store
        .record_sign_in(agent.id, factor, true, &context)
        .await?;
    start_session(state, agent, origin, false).await
}

/// Which second factor `code` is of the agent's, taking it (a code is good once): `totp` or
/// `recovery_code`; none when it is neither.
pub(crate) async fn second_factor_matches(
    state: &AppState,
    agent_id: i64,
    code: &str,
    now: Timestamp,
) -> Result<Option<&'static str>, AppError> {
    let stored = state.store.second_factor(agent_id).await?;
    let secret = stored
        .secret
        .as_deref()
        .and_then(two_factor::secret_from_text);
    if let Some(step) =
        secret.and_then(|secret| two_factor::accepted_step(&secret, code, now, stored.last_step))
    {
        return Ok(state
            .store
            .take_code_step(agent_id, step)
            .await?
            .then_some("totp"));
    }
    let typed = two_factor::normalise_recovery_code(code);
    let used = state
        .store
        .use_recovery_code(agent_id, &digest(&typed), now)
        .await?;
    Ok(used.then_some("recovery_code"))
}

/// Who must sign in with a second factor, as the desk's admin set it.
pub(crate) async fn two_factor_rule(state: &AppState) -> Result<TwoFactorRule, AppError> {
    let stored = state.store.desk_setting(TWO_FACTOR_SETTING).await?;
    Ok(stored
        .as_deref()
        .and_then(TwoFactorRule::parse)
        .unwrap_or_default())
}

/// The desk setting naming who must sign in with a second factor.
pub(crate) const TWO_FACTOR_SETTING: &str = "two_factor_required_for";

fn sign_in_context(state: &AppState, agent_id: Option<i64>, origin: &Origin<'_>) -> AuditContext {
    AuditContext {
        actor: agent_id.map_or(Actor::Stranger, |agent_id| Actor::Agent { agent_id }),
        at: state.clock.now(),
        remote_addr: origin.remote_addr.map(str::to_owned),
    }
}

pub(crate) async fn start_session(
    state: &AppState,
    agent: Agent,
    origin: &Origin<'_>,
    enrol_only: bool,
) -> Result<OpenedSession, AppError> {
    let secret = new_secret();
    let csrf_token = new_secret();
    let now = state.clock.now();
    let ttl = i64::try_from(state.settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
    let opened_from = SessionOrigin {
        remote_addr: origin.remote_addr.map(str::to_owned),
        user_agent: origin
            .user_agent
            .map(|name| name.chars().take(200).collect()),
        enrol_only,
    };
    state
        .store
        .create_session_from(
            agent.id,
            &digest(&secret),
            &csrf_token,
            (now, now.plus_millis(ttl)),
            &opened_from,
        )
        .await?;
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        ttl / 1000
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(OpenedSession {
        agent,
        cookie,
        csrf_token,
        enrol_only,
    })
}
