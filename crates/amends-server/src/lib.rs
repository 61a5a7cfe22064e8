//! The HTTP face of Amends: the JSON API under `/api/v1`, its OpenAPI document, sign-in and
//! access control, and the loop that runs durable jobs.
//!
//! This is the only crate that knows HTTP, JSON or HTML. It must not contain SQL (that is
//! `amends-store`) nor domain rules (that is `amends-core`): a handler parses, asks the core
//! to decide, lets the store save, and renders.

pub mod accounts;
mod api;
pub mod clock;
mod error;
mod extract;
pub mod runner;
mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use amends_store::Store;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use api::{new_agent, openapi_document};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AppError;

/// Settings the server needs at run time.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a console session lasts.
    pub session_ttl: Duration,
    /// Whether cookies are marked `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_body_bytes: 1024 * 1024,
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
        }
    }
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
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as a router; needs no socket, so tests can call it directly.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(api::ready))
        .nest("/api/v1", api::routes())
        .fallback(api::not_found)
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
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
