//! Resetting a forgotten password: the agent asks with their address, a single-use link that
//! works for half an hour is mailed to them, and its page lets them choose a new password
//! (their sessions end). Plain forms; nobody learns from the answers which addresses are
//! agents', and asking counts against the address like a failed sign-in.

use amends_core::account::{self, PASSWORD_RESET_MINUTES};
use amends_core::agent::check_password;
use amends_core::audit::{Actor, AuditContext};
use amends_store::{NewPasswordReset, StoreError};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::{bare_page, is_cross_site, trouble};
use crate::accounts::{
    account_key, address_key, count_failure, digest, hash_password, new_secret,
    refuse_while_throttled, with_password_check,
};
use crate::extract::ClientAddr;
use crate::{AppError, AppState};

fn page(status: StatusCode, title: &str, body: maud::Markup) -> Response {
    let mut response = bare_page(title, body);
    *response.status_mut() = status;
    response
}

/// The form that asks for a reset link.
pub(super) async fn request_page() -> Response {
    page(
        StatusCode::OK,
        "Reset your password",
        html! {
            div class="signin" {
                h1 { "Reset your password" }
                p { "Give the address you sign in with; we mail you a link to choose a new password." }
                form method="post" action="/password-reset" {
                    label for="email" { "Email" }
                    input id="email" name="email" type="email" autocomplete="username" required autofocus;
                    button type="submit" class="primary" { "Mail me a link" }
                }
                p { a href="/signin" { "Back to sign in" } }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct ResetRequestForm {
    email: String,
}

/// Mails a reset link when the address is an active agent's; answers the same either way.
pub(super) async fn request_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Form(form): Form<ResetRequestForm>,
) -> Response {
    if is_cross_site(&headers, &state.settings.public_url) {
        return trouble(None, AppError::Forbidden("ask from the desk's own page"));
    }
    match send_link(&state, &form.email, client).await {
        Ok(()) => page(
            StatusCode::OK,
            "Check your mail",
            html! {
                div class="signin" {
                    h1 { "Check your mail" }
                    p { "If that address belongs to an agent of this desk, a link to choose a new password is on its way. It works once, for " (PASSWORD_RESET_MINUTES) " minutes." }
                    p { a href="/signin" { "Back to sign in" } }
                }
            },
        ),
        Err(error) => trouble(None, error),
    }
}

async fn send_link(state: &AppState, email: &str, client: Option<String>) -> Result<(), AppError> {
    let now = state.clock.now();
    // Each request counts against the address as a failed sign-in would, so nobody can mail
    // an agent a flood of links.
    if let Some(address) = &client {
        let key = address_key(address);
        let known = refuse_while_throttled(state, std::slice::from_ref(&key), now).await?;
        count_failure(state, &key, account::ADDRESS_THROTTLE, &known, now).await?;
    }
    let email = email.trim().to_lowercase();
    let Some((agent, _)) = state.store.agent_for_sign_in(&email).await? else {
        return Ok(());
    };
    let secret = new_secret();
    let link = format!(
        "{}/password-reset/{secret}",
        state.settings.public_url.trim_end_matches('/')
    );
    let amends_core::wording::Wording { subject, body } = amends_core::wording::password_reset_mail(
        &agent.name,
        &link,
        account::PASSWORD_RESET_MINUTES,
    );
    let reset = NewPasswordReset {
        agent_id: agent.id,
        token_hash: digest(&secret),
        expires_at: now.plus_millis(PASSWORD_RESET_MINUTES * 60_000),
        to_address: agent.email.clone(),
        subject,
        body,
    };
    state
        .store
        .record_password_reset(&reset, &context(state, client))
        .await?;
    Ok(())
}

fn context(state: &AppState, client: Option<String>) -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at: state.clock.now(),
        remote_addr: client,
    }
}

fn link_gone() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link does not work",
        html! {
            div class="signin" {
                h1 { "This link does not work any more" }
                p { "It may have been used or have expired. " a href="/password-reset" { "Ask for a new one" } "." }
            }
        },
    )
}

fn choose_form_page(status: StatusCode, token: &str, error: Option<&str>) -> Response {
    page(
        status,
        "Choose a new password",
        html! {
            div class="signin" {
                h1 { "Choose a new password" }
                @if let Some(error) = error {
                    p class="error" role="alert" { (error) }
                }
                form method="post" action={ "/password-reset/" (token) } {
                    label for="password" { "New password (at least 10 characters)" }
                    input id="password" name="password" type="password" autocomplete="new-password" required minlength="10";
                    label for="confirm" { "The same again" }
                    input id="confirm" name="confirm" type="password" autocomplete="new-password" required;
                    button type="submit" class="primary" { "Set my password" }
                }
            }
        },
    )
}

/// The page behind a reset link.
pub(super) async fn choose_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    match state
        .store
        .password_reset_open(&digest(&token), state.clock.now())
        .await
    {
        Ok(true) => choose_form_page(StatusCode::OK, &token, None),
        Ok(false) => link_gone(),
        Err(error) => trouble(None, error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ChooseForm {
    password: String,
    confirm: String,
}

/// Sets the new password through a reset link, once.
pub(super) async fn choose_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Response {
    if is_cross_site(&headers, &state.settings.public_url) {
        return trouble(
            None,
            AppError::Forbidden("choose it on the desk's own page"),
        );
    }
    if let Err(error) = check_password(&form.password) {
        let message = format!("The password {}.", error.message);
        return choose_form_page(StatusCode::UNPROCESSABLE_ENTITY, &token, Some(&message));
    }
    if form.password != form.confirm {
        let message = "The two passwords differ.";
        return choose_form_page(StatusCode::UNPROCESSABLE_ENTITY, &token, Some(message));
    }
    let password = form.password;
    let hash = match with_password_check(&state, move || hash_password(&password)).await {
        Ok(Ok(hash)) => hash,
        Ok(Err(error)) | Err(error) => return trouble(None, error),
    };
    match state
        .store
        .reset_password(&digest(&token), &hash, &context(&state, client))
        .await
    {
        Ok(agent) => {
            let key = account_key(&agent.email);
            if let Err(error) = state.store.forget_sign_in_failures(&key).await {
                tracing::warn!(%error, "sign-in failures not forgotten after a reset");
            }
            page(
                StatusCode::OK,
                "Password changed",
                html! {
                    div class="signin" {
                        h1 { "Your password is changed" }
                        p { "Every session you had has ended. " a href="/signin" { "Sign in" } " with the new one." }
                    }
                },
            )
        }
        Err(StoreError::NotFound(_)) => link_gone(),
        Err(error) => trouble(None, error.into()),
    }
}
