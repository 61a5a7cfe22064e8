//! The HTTP face of Amends: the JSON API under `/api/v1`, its OpenAPI document, the agents'
//! console and the customers' pages, sign-in and access control, and the loop that runs
//! durable jobs.
//!
//! This is the only crate that knows HTTP, JSON or HTML. It must not contain SQL (that is
//! `amends-store`) nor domain rules (that is `amends-core`): a handler parses, asks the core
//! to decide, lets the store save, and renders. It owns the wire format: every answer is a
//! type of `wire/` with its OpenAPI schema, and every route is listed once (`api/mod.rs`) for
//! both the router and the document.

pub mod accounts;
mod acknowledgement;
mod api;
mod articles;
mod chat;
pub mod clock;
mod console;
mod csv;
mod error;
mod extract;
mod help_centre;
mod incident_links;
mod incidents;
mod limits;
pub mod links;
mod listen;
pub mod live;
pub mod mailroom;
mod markdown;
mod messaging;
mod pages;
mod reading;
mod retention;
pub mod runner;
mod sight;
mod sign_on;
mod sso;
mod status_page;
pub mod two_factor;
pub mod wire;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use amends_core::protocol::AbusePolicy;
use amends_core::standing::StandingPolicy;
use amends_store::{Store, StoreError};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use api::{new_agent, openapi_document};
pub use chat::ChatSettings;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AppError;
pub use listen::ConnectionLimits;
pub use messaging::{MessagingSettings, ProviderApis};
pub use reading::{english_with_encoder, installed_encoder, load_encoder, read as read_message};

/// Settings the server needs at run time.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a console session lasts.
    pub session_ttl: Duration,
    /// How long a console session may go unused before it ends.
    pub session_idle: Duration,
    /// Whether cookies are marked `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Send `Strict-Transport-Security` on every answer (only behind HTTPS).
    pub hsts: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the audit trail and
    /// sign-in throttling); from anyone else the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address customers reach the desk at, for the links sent to them.
    pub public_url: String,
    /// How long a link sent to a customer works.
    pub link_ttl: Duration,
    /// Thresholds of the customer standing flags.
    pub standing: StandingPolicy,
    /// The steps taken with a customer who is abusive to staff.
    pub abuse_policy: AbusePolicy,
    /// Email in and out.
    pub mail: mailroom::MailSettings,
    /// How long a claimed job is held before another runner may take it over. Sending a mail
    /// must finish well within it (its SMTP timeout is kept under half of it).
    pub job_lease: Duration,
    /// The text engine customers' messages are read with, when not the built-in one (which
    /// reads n-grams and phrase lists): a model reading through a sentence encoder too.
    pub reader: Option<Arc<amends_analysis::Model>>,
    /// How many connections are held at once and how long a request's header may take.
    pub connections: ConnectionLimits,
    /// How long a client has to send a request's whole body once its header is in.
    pub body_timeout: Duration,
    /// How many days back grants to one customer count against an agent's (and an approving
    /// supervisor's) authority.
    pub authority_period_days: i64,
    /// Password checks (argon2id, 19 MiB of memory each) run at once; a sign-in past them is
    /// answered 503 at once instead of queueing memory.
    pub password_checks: usize,
    /// The chat on the business's website.
    pub chat: ChatSettings,
    /// The messaging apps and social networks messages come in from.
    pub messaging: MessagingSettings,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_body_bytes: 1024 * 1024,
            session_ttl: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(2 * 3600),
            secure_cookies: false,
            hsts: false,
            trusted_proxies: Vec::new(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            link_ttl: Duration::from_secs(30 * 86_400),
            standing: StandingPolicy::default(),
            abuse_policy: AbusePolicy::default(),
            mail: mailroom::MailSettings::default(),
            job_lease: Duration::from_secs(60),
            reader: None,
            connections: ConnectionLimits::default(),
            body_timeout: Duration::from_secs(30),
            password_checks: default_password_checks(),
            authority_period_days: amends_core::compensation::DEFAULT_AUTHORITY_PERIOD_DAYS,
            chat: ChatSettings::default(),
            messaging: MessagingSettings::default(),
        }
    }
}

/// Two password checks per core: enough for a team signing in at nine, little enough memory.
fn default_password_checks() -> usize {
    std::thread::available_parallelism().map_or(2, |n| 2 * n.get())
}

/// Everything a handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Run-time settings.
    pub settings: Arc<ServerSettings>,
    /// Signs the links sent to customers.
    pub links: Arc<links::LinkSigner>,
    /// This desk's part of every Message-ID it sends, so two desks never make the same one.
    pub mail_tag: Arc<str>,
    /// Permits for password checks, at most `settings.password_checks` at once.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// What happens live, for the chat's connections and the consoles.
    pub live: Arc<live::Live>,
    /// How fast visitors may write.
    chat_limits: Arc<chat::Limiter>,
    /// Permits for chat connections, at most `settings.chat.max_sockets` at once.
    chat_sockets: Arc<tokio::sync::Semaphore>,
    /// The key a host site signs its signed-in visitors with (shared by every server).
    chat_secret: Arc<str>,
    /// The single sign-on provider's discovery document and keys, as fetched.
    sso: Arc<sso::Providers>,
}

impl AppState {
    /// The state of a server on `store`, reading the desk's link key (made on first start and
    /// shared by every server on the database).
    pub async fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: ServerSettings,
    ) -> Result<AppState, StoreError> {
        use base64::Engine;
        use rand::RngCore;
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        let fresh = base64::engine::general_purpose::STANDARD.encode(fresh);
        let key = store.desk_secret("link_key", &fresh, clock.now()).await?;
        let tag = format!("{:016x}", rand::rngs::OsRng.next_u64());
        let mail_tag = store.desk_secret("mail_tag", &tag, clock.now()).await?;
        let chat_secret = store
            .desk_secret("chat_identity", &accounts::new_secret(), clock.now())
            .await?;
        Ok(AppState {
            live: live::Live::start(store.clone()),
            chat_limits: Arc::default(),
            chat_sockets: Arc::new(tokio::sync::Semaphore::new(settings.chat.max_sockets)),
            chat_secret: chat_secret.into(),
            sso: Arc::default(),
            store,
            clock,
            password_checks: Arc::new(tokio::sync::Semaphore::new(settings.password_checks.max(1))),
            settings: Arc::new(settings),
            links: Arc::new(links::LinkSigner::new(key.as_bytes())),
            mail_tag: mail_tag.into(),
        })
    }

    /// The key a host site signs its signed-in chat visitors with.
    pub fn chat_secret(&self) -> &str {
        &self.chat_secret
    }

    /// The address of a customer page for `case_id`, signed until the link time-to-live ends.
    pub fn customer_link(&self, page: &str, case_id: i64, purpose: links::Purpose) -> String {
        let ttl = i64::try_from(self.settings.link_ttl.as_millis()).unwrap_or(i64::MAX);
        let token = self
            .links
            .sign(case_id, purpose, self.clock.now().plus_millis(ttl));
        format!(
            "{}/{page}/{token}",
            self.settings.public_url.trim_end_matches('/')
        )
    }

    /// The case a customer's link opens for `purpose`. The customer is never told why a link
    /// fails: forged, expired or made for another page all answer "not found".
    pub fn case_behind_link(&self, token: &str, purpose: links::Purpose) -> Result<i64, AppError> {
        self.links
            .verify(token, purpose, self.clock.now())
            .map_err(|_| AppError::NotFound("link"))
    }

    /// The case and its latest survey behind a survey link.
    pub async fn survey_behind_link(
        &self,
        token: &str,
    ) -> Result<(amends_core::Case, amends_store::Survey), AppError> {
        let case_id = self.case_behind_link(token, links::Purpose::Survey)?;
        let survey = self
            .store
            .latest_survey(case_id)
            .await?
            .ok_or(AppError::NotFound("link"))?;
        Ok((self.store.case(case_id).await?, survey))
    }

    /// The plan behind a plan link; a case with no plan has nothing to show.
    pub async fn plan_behind_link(&self, token: &str) -> Result<amends_store::Plan, AppError> {
        let case_id = self.case_behind_link(token, links::Purpose::Plan)?;
        let plan = self.store.plan(case_id).await?;
        if plan.steps.is_empty() {
            return Err(AppError::NotFound("link"));
        }
        Ok(plan)
    }

    /// The latest summary behind a summary link.
    pub async fn summary_behind_link(
        &self,
        token: &str,
    ) -> Result<amends_store::Summary, AppError> {
        let case_id = self.case_behind_link(token, links::Purpose::Summary)?;
        self.store
            .latest_summary(case_id)
            .await?
            .ok_or(AppError::NotFound("link"))
    }

    /// Who acts when a customer answers through a link, and when.
    pub fn customer_context(&self) -> amends_core::audit::AuditContext {
        amends_core::audit::AuditContext {
            actor: amends_core::audit::Actor::Customer,
            at: self.clock.now(),
            remote_addr: None,
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as a router; needs no socket, so tests can call it directly.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let max_mail = state.settings.mail.max_mail_bytes;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(api::ready))
        .nest("/api/v1", api::routes(max_mail))
        .merge(pages::routes())
        .merge(help_centre::routes())
        .merge(status_page::routes())
        .merge(console::routes())
        .merge(chat::routes(&state))
        .merge(messaging::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            sight::keep_in_sight,
        ))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            live::tell_consoles,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::bound_request_body,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(limits::bound_request_id))
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.settings.connections;
    listen::serve_bounded(listener, router(state), limits, shutdown).await
}
