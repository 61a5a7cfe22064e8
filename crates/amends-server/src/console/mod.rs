//! The agents' console: server-rendered pages (maud) for the queue, a case, the call assistant,
//! the supervisor's view and the mail desk, with one small script of our own for the live parts
//! (coaching as the agent types, the queue refreshing, forms sent to the JSON API).
//!
//! Every action goes through the same `/api/v1` handlers the integrations use, with the
//! session's CSRF token in a header, so the console has no rules of its own to keep in step.
//! No inline script or style is ever rendered, and the Content-Security-Policy forbids them:
//! a customer's words reach the page only as escaped text.

mod account;
mod call;
mod case;
mod case_file;
mod charts;
mod chats;
mod fields;
mod format;
mod incidents;
mod knowledge;
mod live;
mod merging;
mod panels;
mod queue;
mod reset;
mod search;
mod settings;
mod sso;
mod supervisor;
mod views;

use amends_core::AgentRole;
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::accounts::{open_session, Credential, CurrentAgent, Origin, SignedIn, ENROL_FIRST};
use crate::extract::ClientAddr;
use crate::{AppError, AppState};

/// Scripts and styles only from our own files; fetches only back to us.
pub(crate) const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

const STYLESHEET: &str = include_str!("../../assets/console.css");
const SCRIPT: &str = include_str!("../../assets/console.js");

/// The console's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/signin", get(sign_in_page).post(sign_in_form))
        .route("/signin/code", axum::routing::post(account::code_form))
        .route("/sso/start", get(sso::start))
        .route("/sso/callback", get(sso::callback))
        .route("/account", get(account::page))
        .route("/settings", get(settings::page))
        .route(
            "/password-reset",
            get(reset::request_page).post(reset::request_form),
        )
        .route(
            "/password-reset/{token}",
            get(reset::choose_page).post(reset::choose_form),
        )
        .route("/queue", get(queue::page))
        .route("/queue/rows", get(queue::rows))
        .route("/chats", get(chats::page))
        .route("/notifications", get(queue::notifications))
        .route("/cases/{id}", get(case::page))
        .route("/cases/{id}/call", get(call::page))
        .route("/search", get(search::page))
        .route("/incidents", get(incidents::list))
        .route("/incidents/{id}", get(incidents::page))
        .route("/knowledge", get(knowledge::list))
        .route("/knowledge/{id}", get(knowledge::page))
        .route("/supervisor", get(supervisor::page))
        .route("/mail", get(supervisor::mail_page))
        .route("/assets/console.css", get(stylesheet))
        .route("/assets/console.js", get(script))
        .route("/live", get(live::stream))
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A signed-in agent looking at a console page. Without a session the browser is sent to the
/// sign-in page, which brings them back here afterwards.
pub(crate) struct Console {
    /// Who.
    pub current: CurrentAgent,
    /// The token the page's script sends with every change.
    pub csrf_token: String,
}

impl Console {
    fn is_supervisor(&self) -> bool {
        self.current.agent.role.allows(AgentRole::Supervisor)
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match CurrentAgent::from_request_parts(parts, state).await {
            Ok(current) => {
                let csrf_token = match &current.credential {
                    Credential::Session { csrf_token, .. } => csrf_token.clone(),
                    Credential::Token { .. } => String::new(),
                };
                Ok(Console {
                    current,
                    csrf_token,
                })
            }
            Err(AppError::Unauthorized(_)) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map_or("/queue", |p| p.as_str())
                    .to_owned();
                let next: String = form_urlencoded_component(&here);
                Err(Redirect::to(&format!("/signin?next={next}")).into_response())
            }
            Err(AppError::Forbidden(message)) if message == ENROL_FIRST => {
                Err(Redirect::to("/account").into_response())
            }
            Err(error) => Err(trouble(None, error)),
        }
    }
}

fn form_urlencoded_component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Where to go after signing in: only a path on this desk, never another site.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.contains('\\')
                && !next.chars().any(char::is_control) =>
        {
            next
        }
        _ => "/queue",
    }
}

/// Which part of the console a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Queue,
    Chats,
    Notifications,
    Case,
    Search,
    Supervisor,
    Mail,
    Account,
    Settings,
    Knowledge,
    Incidents,
}

/// A whole console page.
pub(crate) fn layout(console: &Console, section: Section, title: &str, body: Markup) -> Response {
    let agent = &console.current.agent;
    let nav = |target: Section, href: &str, label: &str| {
        html! {
            li { a href=(href) aria-current=[(section == target).then_some("page")] { (label) } }
        }
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, Some(&console.csrf_token)))
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/queue" { "Amends" }
                    nav aria-label="Console" {
                        ul {
                            (nav(Section::Queue, "/queue", "Queue"))
                            (nav(Section::Chats, "/chats", "Chats"))
                            (nav(Section::Notifications, "/notifications", "Notifications"))
                            (nav(Section::Knowledge, "/knowledge", "Knowledge"))
                            (nav(Section::Incidents, "/incidents", "Incidents"))
                            @if console.is_supervisor() {
                                (nav(Section::Supervisor, "/supervisor", "Supervisor"))
                                (nav(Section::Mail, "/mail", "Mail"))
                            }
                            @if agent.role.allows(AgentRole::Admin) {
                                (nav(Section::Settings, "/settings", "Settings"))
                            }
                        }
                    }
                    form class="search-box" role="search" method="get" action="/search" {
                        label for="header-search" class="visually-hidden" { "Search" }
                        input id="header-search" type="search" name="q"
                            placeholder="Search cases and customers";
                    }
                    div class="who" {
                        a href="/account" aria-current=[(section == Section::Account).then_some("page")] {
                            (agent.name) " · " (agent.role.as_str())
                        }
                        form data-api="/api/v1/session" data-method="DELETE" data-nobody
                            data-then="go:/signin" {
                            button type="submit" class="link" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
                dialog id="confirm" aria-labelledby="confirm-title" {
                    h2 id="confirm-title" { "Are you sure?" }
                    p id="confirm-text" {}
                    div class="actions" {
                        button type="button" value="cancel" class="primary" { "Not now" }
                        button type="button" value="ok" { "Yes, go ahead" }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, markup)
}

/// The head of a console page; signed-in pages carry the CSRF token and the script.
fn head(title: &str, csrf_token: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(token) = csrf_token { meta name="csrf-token" content=(token); }
            title { (title) " · Amends" }
            link rel="stylesheet" href="/assets/console.css";
            @if csrf_token.is_some() { script src="/assets/console.js" defer {} }
        }
    }
}

fn html_response(status: StatusCode, markup: Markup) -> Response {
    crate::pages::html_response(status, markup, CONSOLE_CSP, "same-origin")
}

fn secure_headers(headers: &mut HeaderMap) {
    crate::pages::set_html_headers(headers, CONSOLE_CSP, "same-origin");
}

/// A plain page for something that went wrong, with the status it deserves.
pub(crate) fn trouble(console: Option<&Console>, error: AppError) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(%error, "console page failed");
    }
    let text = if status.is_server_error() {
        "Something went wrong on our side. Try again in a moment.".to_owned()
    } else {
        error.to_string()
    };
    let body = html! {
        h1 { (status.canonical_reason().unwrap_or("Trouble")) }
        p { (text) }
        p { a href="/queue" { "Back to the queue" } }
    };
    let mut response = match console {
        Some(console) => layout(console, Section::Queue, "Trouble", body),
        None => bare_page("Trouble", body),
    };
    *response.status_mut() = status;
    response
}

fn bare_page(title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body class="bare" { main id="main" { (body) } }
        }
    };
    html_response(StatusCode::OK, markup)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_page(State(state): State<AppState>, Query(query): Query<NextQuery>) -> Response {
    let sso = crate::sign_on::settings(&state)
        .await
        .ok()
        .flatten()
        .is_some();
    sign_in_form_page(StatusCode::OK, query.next.as_deref(), None, "", sso)
}

fn sign_in_form_page(
    status: StatusCode,
    next: Option<&str>,
    error: Option<&str>,
    email: &str,
    sso: bool,
) -> Response {
    let body = html! {
        div class="signin" {
            h1 { "Sign in to Amends" }
            @if let Some(error) = error {
                p class="error" role="alert" id="signin-error" { (error) }
            }
            form method="post" action="/signin" {
                input type="hidden" name="next" value=(local_path(next));
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username" required
                    value=(email) autofocus;
                label for="password" { "Password" }
                input id="password" name="password" type="password"
                    autocomplete="current-password" required;
                button type="submit" class="primary" { "Sign in" }
            }
            p { a href="/password-reset" { "Forgot your password?" } }
            @if sso {
                form method="get" action="/sso/start" class="sso" {
                    input type="hidden" name="next" value=(local_path(next));
                    label for="sso-email" { "Work email (optional)" }
                    input id="sso-email" name="email" type="email" autocomplete="username";
                    button type="submit" { "Sign in with single sign-on" }
                }
            }
        }
    };
    let mut response = bare_page("Sign in", body);
    *response.status_mut() = status;
    response
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Form(form): Form<SignInForm>,
) -> Response {
    // A sign-in posted from another site is refused (login CSRF): by the browser's own word
    // (Sec-Fetch-Site) or, for browsers that do not send it, by the Origin.
    if is_cross_site(&headers, &state.settings.public_url) {
        return trouble(
            None,
            AppError::Forbidden("sign in from the desk's own page"),
        );
    }
    let origin = Origin::of(&headers, client.as_deref());
    match open_session(&state, &form.email, form.password, &origin).await {
        Ok(SignedIn::Opened(opened)) => account::signed_in(opened, form.next.as_deref()),
        Ok(SignedIn::SecondFactor { challenge }) => {
            account::code_page(StatusCode::OK, &challenge, form.next.as_deref(), None)
        }
        Err(AppError::Unauthorized(message)) => {
            let sso = crate::sign_on::settings(&state)
                .await
                .ok()
                .flatten()
                .is_some();
            sign_in_form_page(
                StatusCode::UNAUTHORIZED,
                form.next.as_deref(),
                Some(message),
                &form.email,
                sso,
            )
        }
        Err(error) => trouble(None, error),
    }
}

/// Whether a form post came from another site: `Sec-Fetch-Site: cross-site`, or an `Origin`
/// that is neither the desk's public address nor the host the request was sent to. A post with
/// neither header (an old browser, a script) is not refused on that account.
fn is_cross_site(headers: &HeaderMap, public_url: &str) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|site| site == "cross-site") {
        return true;
    }
    let Some(origin) = text("origin") else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let public = public_url.trim_end_matches('/');
    let same_host = origin
        .split_once("://")
        .zip(text("host"))
        .is_some_and(|((_, authority), host)| authority.eq_ignore_ascii_case(host));
    !(origin.eq_ignore_ascii_case(public) || same_host)
}

/// The outcome line every API form writes into.
pub(crate) fn form_status() -> Markup {
    html! { p class="form-status" role="status" aria-live="polite" {} }
}

#[cfg(test)]
mod tests {
    use super::{is_cross_site, local_path, HeaderMap};

    #[test]
    fn a_sign_in_from_another_origin_is_cross_site() {
        let check = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, value.parse().unwrap());
            }
            is_cross_site(&headers, "https://desk.example")
        };
        assert!(!check(&[]));
        assert!(!check(&[("origin", "https://desk.example")]));
        assert!(!check(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ]));
        assert!(!check(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://desk.example")
        ]));
        assert!(check(&[("sec-fetch-site", "cross-site")]));
        assert!(check(&[
            ("origin", "https://evil.example"),
            ("host", "desk.example")
        ]));
        assert!(check(&[("origin", "null"), ("host", "desk.example")]));
        assert!(check(&[("origin", "https://desk.example.evil.test")]));
    }

    #[test]
    fn only_local_paths_are_followed_after_signing_in() {
        assert_eq!(local_path(Some("/cases/4")), "/cases/4");
        assert_eq!(local_path(Some("/queue?flag=angry")), "/queue?flag=angry");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/queue", "{bad}");
        }
        assert_eq!(local_path(None), "/queue");
    }
}
