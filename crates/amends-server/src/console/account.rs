//! The agent's own account page (two-factor sign-in set up from a QR code, recovery codes,
//! sign-ins, sessions) and the second step of signing in.

use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::format::when;
use super::{bare_page, layout, local_path, trouble, Console, Section};
use crate::accounts::{give_second_factor, two_factor_rule, Credential, OpenedSession, Origin};
use amends_store::{AuditEntry, SessionInfo, TokenInfo};

use crate::extract::ClientAddr;
use crate::{two_factor, AppError, AppState};

/// The page asking for the second factor after a right password.
pub(super) fn code_page(
    status: StatusCode,
    challenge: &str,
    next: Option<&str>,
    error: Option<&str>,
) -> Response {
    let body = html! {
        div class="signin" {
            h1 { "Two-factor sign-in" }
            @if let Some(error) = error {
                p class="error" role="alert" id="code-error" { (error) }
            }
            form method="post" action="/signin/code" {
                input type="hidden" name="challenge" value=(challenge);
                input type="hidden" name="next" value=(local_path(next));
                label for="code" { "Code from your authenticator app, or a recovery code" }
                input id="code" name="code" type="text" inputmode="numeric"
                    autocomplete="one-time-code" required autofocus
                    aria-describedby=[error.map(|_| "code-error")];
                button type="submit" class="primary" { "Sign in" }
            }
            p { a href="/signin" { "Start again" } }
        }
    };
    let mut response = bare_page("Two-factor sign-in", body);
    *response.status_mut() = status;
    response
}

#[derive(Debug, Deserialize)]
pub(super) struct CodeForm {
    challenge: String,
    code: String,
    next: Option<String>,
}

/// The second step of signing in, from the code page.
pub(super) async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Form(form): Form<CodeForm>,
) -> Response {
    if super::is_cross_site(&headers, &state.settings.public_url) {
        return trouble(
            None,
            AppError::Forbidden("sign in from the desk's own page"),
        );
    }
    let origin = Origin::of(&headers, client.as_deref());
    match give_second_factor(&state, &form.challenge, &form.code, &origin).await {
        Ok(opened) => signed_in(opened, form.next.as_deref()),
        Err(AppError::Unauthorized("wrong code")) => code_page(
            StatusCode::UNAUTHORIZED,
            &form.challenge,
            form.next.as_deref(),
            Some("That code is not right. Try the one your app shows now."),
        ),
        Err(AppError::Unauthorized(message)) => super::sign_in_form_page(
            StatusCode::UNAUTHORIZED,
            form.next.as_deref(),
            Some(message),
            "",
            false,
        ),
        Err(error) => trouble(None, error),
    }
}

/// Sets the session's cookie and goes on: to `next`, or to the account page when the session
/// may only set up a second factor.
pub(super) fn signed_in(opened: OpenedSession, next: Option<&str>) -> Response {
    let to = if opened.enrol_only {
        "/account"
    } else {
        local_path(next)
    };
    (
        AppendHeaders([(SET_COOKIE, opened.cookie)]),
        Redirect::to(to),
    )
        .into_response()
}

/// The agent's own account page.
pub(super) async fn page(State(state): State<AppState>, console: Console) -> Response {
    match sections(&state, &console).await {
        Ok(body) => layout(&console, Section::Account, "Your account", body),
        Err(error) => trouble(Some(&console), error),
    }
}

async fn sections(state: &AppState, console: &Console) -> Result<Markup, AppError> {
    let agent = &console.current.agent;
    let two_factor = two_factor_section(state, console).await?;
    let sign_ins = state.store.sign_ins(agent.id, 20).await?;
    let sessions = state.store.sessions_of(agent.id, state.clock.now()).await?;
    let tokens = state.store.tokens(Some(agent.id)).await?;
    let this_session = match console.current.credential {
        Credential::Session { session_id, .. } => Some(session_id),
        Credential::Token { .. } => None,
    };
    Ok(html! {
        h1 { "Your account" }
        p { (agent.name) " · " (agent.email) " · " (agent.role.as_str()) }
        (two_factor)
        (sessions_section(&sessions, this_session))
        (tokens_section(&tokens))
        (sign_ins_section(&sign_ins))
    })
}

async fn two_factor_section(state: &AppState, console: &Console) -> Result<Markup, AppError> {
    let agent = &console.current.agent;
    let stored = state.store.second_factor(agent.id).await?;
    let required = two_factor_rule(state).await?.requires(agent.role);
    let pending_qr = stored.pending.as_deref().and_then(|text| {
        let secret = two_factor::secret_from_text(text)?;
        let uri = two_factor::otpauth_uri("Amends", &agent.email, &secret);
        Some((text.to_owned(), two_factor::qr_svg(&uri)?))
    });
    Ok(html! {
        section class="account" aria-labelledby="two-factor-title" {
            h2 id="two-factor-title" tabindex="-1" { "Two-factor sign-in" }
            @if required && stored.secret.is_none() {
                p class="error" role="alert" {
                    "The desk requires two-factor sign-in for your role. Set it up to go on."
                }
            }
            @if stored.secret.is_some() {
                p { "On. Signing in asks for a code from your authenticator app. "
                    (stored.recovery_codes_left) " recovery codes left." }
                (code_action("/api/v1/account/two-factor/recovery-codes", "renew-code",
                    "New recovery codes", "codes"))
                @if !required {
                    (code_action("/api/v1/account/two-factor/disable", "disable-code",
                        "Turn two-factor sign-in off", "reload"))
                }
            } @else if let Some((text, svg)) = &pending_qr {
                p { "Scan this code with an authenticator app, or type the key into it. Then enter the six digits it shows." }
                figure class="qr" {
                    (PreEscaped(svg_with_title(svg)))
                    figcaption { "Key: " code data-secret { (grouped(text)) } }
                }
                form data-api="/api/v1/account/two-factor/confirm" data-then="codes" {
                    label for="confirm-code" { "Code from the app" }
                    input id="confirm-code" name="code" type="text" inputmode="numeric"
                        autocomplete="one-time-code" required;
                    button type="submit" class="primary" { "Turn on" }
                    p class="form-status" role="status" {}
                }
            } @else {
                p { "Off. With it on, a stolen password alone does not open your account." }
                form data-api="/api/v1/account/two-factor" data-nobody {
                    button type="submit" class="primary" { "Set up two-factor sign-in" }
                    p class="form-status" role="status" {}
                }
            }
            div hidden {
                p { strong { "Your recovery codes. " } "Keep them somewhere safe: each signs you in once if you lose your phone. They are shown only now." }
                ul class="codes" data-codes {}
                p { a href="/account" { "Done" } }
            }
        }
    })
}

fn sessions_section(sessions: &[SessionInfo], this_session: Option<i64>) -> Markup {
    html! {
        section class="account" aria-labelledby="sessions-title" {
            h2 id="sessions-title" { "Where you are signed in" }
            table {
                thead { tr { th scope="col" { "Opened" } th scope="col" { "Last used" } th scope="col" { "From" } th scope="col" { "Browser" } th scope="col" { span class="visually-hidden" { "Action" } } } }
                tbody {
                    @for session in sessions {
                        tr {
                            td { (when(session.created_at)) }
                            td { (when(session.last_seen_at)) }
                            td { (session.remote_addr.as_deref().unwrap_or("unknown")) }
                            td { (session.user_agent.as_deref().unwrap_or("unknown")) }
                            td {
                                @if Some(session.id) == this_session {
                                    "This session"
                                } @else {
                                    form data-api={ "/api/v1/account/sessions/" (session.id) } data-method="DELETE" data-nobody {
                                        button type="submit" { "End" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn tokens_section(tokens: &[TokenInfo]) -> Markup {
    let live: Vec<&TokenInfo> = tokens.iter().filter(|t| t.revoked_at.is_none()).collect();
    html! {
        section class="account" aria-labelledby="tokens-title" {
            h2 id="tokens-title" { "API tokens" }
            @if live.is_empty() {
                p { "None." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Label" } th scope="col" { "Scope" } th scope="col" { "Made" } th scope="col" { "Last used" } th scope="col" { "From" } th scope="col" { span class="visually-hidden" { "Action" } } } }
                    tbody {
                        @for token in &live {
                            tr {
                                td { (token.label) }
                                td { (token.scope) }
                                td { (when(amends_core::Timestamp(token.created_at))) }
                                td { @if let Some(at) = token.last_used_at { (when(amends_core::Timestamp(at))) } @else { "never" } }
                                td { (token.last_used_from.as_deref().unwrap_or("")) }
                                td {
                                    form data-api={ "/api/v1/tokens/" (token.id) } data-method="DELETE" data-nobody
                                        data-confirm="Revoke this token? Whatever uses it stops working." {
                                        button type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn sign_ins_section(sign_ins: &[AuditEntry]) -> Markup {
    html! {
        section class="account" aria-labelledby="sign-ins-title" {
            h2 id="sign-ins-title" { "Recent sign-ins" }
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Result" } th scope="col" { "How" } th scope="col" { "From" } } }
                tbody {
                    @for entry in sign_ins {
                        @let failed = entry.action != "agent.signed_in";
                        tr {
                            td { (when(amends_core::Timestamp(entry.created_at))) }
                            td { @if failed { strong { "Failed" } } @else { "Signed in" } }
                            td { (factor_of(&entry.changes)) }
                            td { (entry.remote_addr.as_deref().unwrap_or("unknown")) }
                        }
                    }
                }
            }
        }
    }
}

/// A form asking for a current code (or a recovery code) before an action.
fn code_action(api: &str, id: &str, label: &str, then: &str) -> Markup {
    html! {
        form data-api=(api) data-then=(then) {
            label for=(id) { "Code from the app, or a recovery code" }
            input id=(id) name="code" type="text" autocomplete="one-time-code" required;
            button type="submit" { (label) }
            p class="form-status" role="status" {}
        }
    }
}

/// A key in groups of four letters, easier to type; apps ignore the spaces.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code's SVG with a name a screen reader can read.
fn svg_with_title(svg: &str) -> String {
    let svg = svg.find("<svg").map_or(svg, |at| &svg[at..]);
    svg.replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"",
        1,
    )
}

fn factor_of(changes: &str) -> String {
    let factor = crate::accounts::sign_in_factor(changes);
    match factor.as_str() {
        "password" => "Password".to_owned(),
        "totp" => "Password and app code".to_owned(),
        "recovery_code" => "Password and recovery code".to_owned(),
        "sso" => "Single sign-on".to_owned(),
        other => other.to_owned(),
    }
}
