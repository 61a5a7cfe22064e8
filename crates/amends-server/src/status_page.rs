//! The public status page (open incidents and their updates, and those fixed in the last
//! fortnight) and the incident follow-up a customer answers by a signed link. Plain pages, no
//! script, no sign-in.

use amends_core::incident::{Incident, IncidentStatus, IncidentUpdate, UpdateKind};
use amends_core::Timestamp;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use crate::extract::ApiPath;
use crate::links::Purpose;
use crate::pages::{page, trouble};
use crate::{AppError, AppState};

/// The status page's and the follow-up's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/status", get(status)).route(
        "/incident-follow-up/{token}",
        get(follow_up_page).post(follow_up_answer),
    )
}

fn minute(at: Timestamp) -> String {
    let text = at.to_rfc3339();
    format!("{} UTC", text.get(..16).unwrap_or(&text).replace('T', " "))
}

fn told(updates: &[IncidentUpdate]) -> Markup {
    html! {
        ol reversed {
            @for update in updates.iter().rev().filter(|u| u.kind != UpdateKind::FollowUp) {
                li {
                    strong { (match update.kind {
                        UpdateKind::Declared => "Investigating",
                        UpdateKind::Resolved => "Fixed",
                        _ => "Update",
                    }) }
                    " \u{2013} " time datetime=(update.posted_at.to_rfc3339()) { (minute(update.posted_at)) }
                    p { (update.body) }
                }
            }
        }
    }
}

fn incident_section(incident: &Incident, updates: &[IncidentUpdate]) -> Markup {
    html! {
        section aria-labelledby=(format!("incident-{}", incident.id)) {
            h2 id=(format!("incident-{}", incident.id)) { (incident.title) }
            p { (incident.summary) }
            p {
                "Since " (minute(incident.started_at)) "."
                @if let Some(next) = incident.next_update_at {
                    " Next update by " (minute(next)) "."
                }
            }
            (told(updates))
        }
    }
}

async fn status(State(state): State<AppState>) -> Response {
    let shown = async {
        let since = state
            .clock
            .now()
            .plus_millis(-amends_core::incident::RESOLVED_LISTED_MILLIS);
        let mut shown = Vec::new();
        for incident in state.store.incidents(since).await? {
            let updates = state.store.incident_updates(incident.id).await?;
            shown.push((incident, updates));
        }
        Ok::<_, AppError>(shown)
    };
    let shown = match shown.await {
        Ok(shown) => shown,
        Err(error) => return trouble(error),
    };
    let (open, fixed): (Vec<_>, Vec<_>) = shown
        .iter()
        .partition(|(incident, _)| incident.status == IncidentStatus::Open);
    page(
        StatusCode::OK,
        "Service status",
        html! {
            h1 { "Service status" }
            @if open.is_empty() {
                p { "Everything is working as it should." }
            } @else {
                p { "We know about these problems and are working on them; there is no need to contact us about them." }
                @for (incident, updates) in &open { (incident_section(incident, updates)) }
            }
            @if !fixed.is_empty() {
                h2 { "Fixed recently" }
                @for (incident, updates) in &fixed {
                    details {
                        summary { (incident.title) }
                        (told(updates))
                    }
                }
            }
        },
    )
}

async fn follow_up_page(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Response {
    let shown = async {
        let affected_id = state.case_behind_link(&token, Purpose::IncidentFollowUp)?;
        let (incident_id, answered) = state.store.incident_follow_up(affected_id).await?;
        Ok::<_, AppError>((state.store.incident(incident_id).await?, answered))
    };
    match shown.await {
        Err(error) => trouble(error),
        Ok((_, true)) => answered(),
        Ok((incident, false)) => page(
            StatusCode::OK,
            "Is it working for you again?",
            html! {
                h1 { "Is it working for you again?" }
                p { "We fixed \u{201c}" (incident.title) "\u{201d}. We want to be sure it is behind you." }
                form method="post" {
                    fieldset {
                        legend { "Is everything working for you now?" }
                        label { input type="radio" name="fixed" value="yes" required; " Yes, it works" }
                        label { input type="radio" name="fixed" value="no"; " No, something is still wrong" }
                    }
                    label for="comment" { "Anything you want us to know (optional)" }
                    textarea id="comment" name="comment" maxlength="2000" {}
                    button type="submit" { "Send" }
                }
            },
        ),
    }
}

fn answered() -> Response {
    page(
        StatusCode::OK,
        "Thank you",
        html! { h1 { "Thank you" } p { "We have your answer." } },
    )
}

#[derive(Debug, Deserialize)]
struct FollowUpForm {
    fixed: String,
    #[serde(default)]
    comment: String,
}

async fn follow_up_answer(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    Form(form): Form<FollowUpForm>,
) -> Response {
    let fixed = form.fixed == "yes";
    let taken = async {
        let affected_id = state.case_behind_link(&token, Purpose::IncidentFollowUp)?;
        let feedback = amends_core::knowledge::Feedback::parse(fixed, Some(&form.comment))?;
        let context = state.customer_context();
        let comment = feedback.comment.as_deref();
        match state
            .store
            .answer_incident_follow_up(affected_id, fixed, comment, &context)
            .await
        {
            Err(amends_store::StoreError::Conflict { .. }) => Ok(()),
            other => Ok::<_, AppError>(other?),
        }
    };
    match taken.await {
        Err(error) => trouble(error),
        Ok(()) if fixed => answered(),
        Ok(()) => page(
            StatusCode::OK,
            "We are on it",
            html! {
                h1 { "We are sorry it is still not right" }
                p { "Our team has your answer and will contact you." }
            },
        ),
    }
}
