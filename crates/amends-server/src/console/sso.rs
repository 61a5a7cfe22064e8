//! Signing in through the desk's OpenID provider: off to the provider, and back.

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{local_path, sign_in_form_page, trouble};
use crate::accounts::Origin;
use crate::extract::ClientAddr;
use crate::{AppError, AppState};

#[derive(Debug, Deserialize)]
pub(super) struct StartQuery {
    email: Option<String>,
    next: Option<String>,
}

/// Sends the browser to the provider.
pub(super) async fn start(
    State(state): State<AppState>,
    Query(query): Query<StartQuery>,
) -> Response {
    let next = local_path(query.next.as_deref()).to_owned();
    match crate::sso::start(&state, query.email.as_deref(), &next).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => refused(&state, error, Some(&next)).await,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider sends the browser back here with a code, or an error.
pub(super) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let (Some(code), Some(returned)) = (query.code.as_deref(), query.state.as_deref()) else {
        tracing::info!(error = ?query.error, "the provider sent a sign-in back without a code");
        let error = AppError::Unauthorized("the provider did not sign you in; start again");
        return refused(&state, error, None).await;
    };
    let origin = Origin::of(&headers, client.as_deref());
    match crate::sso::finish(&state, code, returned, &origin).await {
        Ok((opened, next)) => (
            AppendHeaders([(SET_COOKIE, opened.cookie)]),
            Redirect::to(local_path(Some(&next))),
        )
            .into_response(),
        Err(error) => refused(&state, error, None).await,
    }
}

async fn refused(state: &AppState, error: AppError, next: Option<&str>) -> Response {
    match error {
        AppError::Unauthorized(message) | AppError::Busy(message) => {
            let sso = crate::sign_on::settings(state)
                .await
                .ok()
                .flatten()
                .is_some();
            sign_in_form_page(StatusCode::UNAUTHORIZED, next, Some(message), "", sso)
        }
        error => trouble(None, error),
    }
}
