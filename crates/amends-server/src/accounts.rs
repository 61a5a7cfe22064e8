//! Who is asking: passwords (argon2id), session cookies with their CSRF tokens, API tokens,
//! and the [`CurrentAgent`] extractor every protected handler takes.
//!
//! Secrets are random 256-bit values; the database keeps only their SHA-256, so a copy of it
//! signs no one in. Passwords are hashed with argon2id because people choose them.

use amends_core::account::{self, SignInFailures, ThrottleRule, TokenScope};
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

use crate::{AppError, AppState};

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
                .agent_for_token(&digest(token.trim()), now)
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
        Ok(CurrentAgent {
            agent: session.agent,
            credential: Credential::Session {
                csrf_token: session.csrf_token,
            },
            remote_addr,
        })
    }
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

/// A session just opened: who, the cookie to set, and the CSRF token of the session.
pub struct OpenedSession {
    /// Who signed in.
    pub agent: Agent,
    /// The `Set-Cookie` value carrying the session.
    pub cookie: HeaderValue,
    /// The token unsafe requests of this session must carry.
    pub csrf_token: String,
}

/// Checks `email` and `password` and opens a session. A wrong password and an unknown address
/// get the same answer after the same work.
pub async fn open_session(
    state: &AppState,
    email: &str,
    password: String,
    remote_addr: Option<&str>,
) -> Result<OpenedSession, AppError> {
    let email = email.trim().to_lowercase();
    let mut keys = vec![account_key(&email)];
    keys.extend(remote_addr.map(address_key));
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
        _ => {
            let rules = [account::ACCOUNT_THROTTLE, account::ADDRESS_THROTTLE];
            for (key, rule) in keys.iter().zip(rules) {
                count_failure(state, key, rule, &failures, now).await?;
            }
            return Err(AppError::Unauthorized("wrong email or password"));
        }
    };
    if failures.iter().any(|(key, _)| key == &keys[0]) {
        state.store.forget_sign_in_failures(&keys[0]).await?;
    }
    let secret = new_secret();
    let csrf_token = new_secret();
    let now = state.clock.now();
    let ttl = i64::try_from(state.settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
    state
        .store
        .create_session(
            agent.id,
            &digest(&secret),
            &csrf_token,
            now,
            now.plus_millis(ttl),
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
    })
}
