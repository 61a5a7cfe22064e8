//! Incidents in the console: the list and the declaration form, one page per incident (who it
//! affects and how they were chosen, how its notices stand, its updates, its linked cases and
//! its figures, and the forms that warn, update, close and answer), and the panel a linked case
//! shows. Each form sends the API's own request.

use amends_core::custom_field::FieldOwner;
use amends_core::incident::IncidentStatus;
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use super::case_file::CaseFile;
use super::format::when;
use super::{form_status, layout, trouble, Console, Section};
use crate::extract::ApiPath;
use crate::wire::incidents::IncidentDetail;
use crate::{AppError, AppState};

/// The incidents, open first, and the form that declares one.
pub(super) async fn list(State(state): State<AppState>, console: Console) -> Response {
    let since = state
        .clock
        .now()
        .plus_millis(-amends_core::incident::RESOLVED_LISTED_MILLIS);
    let incidents = match state.store.incidents(since).await {
        Ok(incidents) => incidents,
        Err(error) => return trouble(Some(&console), error.into()),
    };
    let body = html! {
        h1 { "Incidents" }
        p { a href="/status" { "The public status page" } }
        table class="incidents" {
            caption { (incidents.len()) " incidents" }
            thead { tr { th { "Incident" } th { "Status" } th { "Since" } th { "Next update" } } }
            tbody {
                @for incident in &incidents {
                    tr {
                        td { a href={ "/incidents/" (incident.id) } { (incident.title) } }
                        td { (incident.status.as_str()) }
                        td { (when(incident.started_at)) }
                        td { @match incident.next_update_at { Some(at) => (when(at)), None => "–" } }
                    }
                }
            }
        }
        @if console.is_supervisor() {
            section class="account" aria-labelledby="declare-title" {
                h2 id="declare-title" { "Declare an incident" }
                p { "Nothing is sent until you choose who it affects and send the notice." }
                form data-api="/api/v1/incidents" {
                    label for="incident-title" { "Title customers will recognise" }
                    input id="incident-title" name="title" required maxlength="200";
                    label for="incident-summary" { "What is wrong" }
                    textarea id="incident-summary" name="summary" required rows="3" maxlength="4000" {}
                    label for="incident-since" { "Since" }
                    input id="incident-since" name="started_at" type="datetime-local" data-type="datetime";
                    label for="incident-doing" { "What is being done" }
                    textarea id="incident-doing" name="doing" required rows="3" maxlength="4000" {}
                    label for="incident-next" { "Next update by (a promise)" }
                    input id="incident-next" name="next_update_at" type="datetime-local" required
                        data-type="datetime" data-default-minutes="60";
                    label for="incident-words" { "Key words in customers' messages, separated by commas" }
                    input id="incident-words" name="key_words" maxlength="800";
                    button type="submit" class="primary" { "Declare" }
                    (form_status())
                }
            }
        }
    };
    layout(&console, Section::Incidents, "Incidents", body)
}

/// One incident.
pub(super) async fn page(
    State(state): State<AppState>,
    console: Console,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let shown = async {
        let detail = crate::api::incident_detail(&state, id).await?;
        let fields = state.store.fields().await?;
        let keys: Vec<(String, String)> = fields
            .into_iter()
            .filter(|f| f.owner == FieldOwner::Customer)
            .map(|f| (f.key, f.label))
            .collect();
        Ok::<_, AppError>((detail, keys))
    };
    match shown.await {
        Ok((detail, keys)) => {
            let title = detail.incident.title.clone();
            let body = incident_page(&console, &detail, &keys);
            layout(&console, Section::Incidents, &title, body)
        }
        Err(error) => trouble(Some(&console), error),
    }
}

fn share(value: Option<f64>) -> String {
    value.map_or("–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

fn figures(detail: &IncidentDetail) -> Markup {
    let f = &detail.figures;
    let sent = detail.notices.get("sent").copied().unwrap_or(0)
        + detail.notices.get("held").copied().unwrap_or(0);
    let waiting = detail.notices.get("queued").copied().unwrap_or(0);
    html! {
        section class="account" aria-labelledby="figures-title" {
            h2 id="figures-title" { "Figures" }
            dl class="figures" {
                dt { "Customers affected" } dd { (f.affected) }
                dt { "Warned" } dd { (f.warned) }
                dt { "Warned before they wrote" } dd { (f.warned_before_they_wrote) }
                dt { "No address to warn" } dd { (f.unreachable) }
                dt { "Wrote in" } dd { (f.wrote_in) " (" (share(f.share_wrote_in)) ")" }
                dt { "Silent for each who wrote" } dd { (f.silent_per_complaint.map_or("–".to_owned(), |v| format!("{v:.1}"))) }
                dt { "Linked cases" } dd { (f.linked_cases) }
                dt { "Minutes to the first notice" } dd { (f.minutes_to_first_notice.map_or("–".to_owned(), |v| format!("{v:.0}"))) }
                dt { "After the close: fixed / not fixed" } dd { (f.fixed) " / " (f.not_fixed) }
            }
            @if sent + waiting > 0 {
                label for="notice-progress" { "Notices sent: " (sent) " of " (sent + waiting) }
                progress id="notice-progress" max=(sent + waiting) value=(sent) {}
            }
            @if let Some(failed) = detail.notices.get("failed") {
                p class="error" { (failed) " notices could not be sent." }
            }
        }
    }
}

fn choose_customers(id: i64, keys: &[(String, String)]) -> Markup {
    html! {
        section class="account" aria-labelledby="affected-title" {
            h2 id="affected-title" { "Who it affects" }
            form data-api={ "/api/v1/incidents/" (id) "/customers" } {
                p { "Customers holding all of:" }
                label for="segment-plan" { "Plan" }
                input id="segment-plan" name="plan" maxlength="200";
                @for (key, label) in keys {
                    label for={ "segment-" (key) } { (label) }
                    input id={ "segment-" (key) } name={ "fields." (key) } maxlength="200";
                }
                button type="submit" { "Add these customers" }
                (form_status())
            }
            form data-upload={ "/api/v1/incidents/" (id) "/customers/import" } {
                label for="affected-list" { "Or a list (CSV with an email or customer_id column)" }
                input id="affected-list" type="file" name="list" accept=".csv,text/csv" required;
                button type="submit" { "Import the list" }
                progress hidden aria-label="Import progress" {}
                (form_status())
            }
            form data-api={ "/api/v1/incidents/" (id) "/customers/linked" } data-nobody {
                button type="submit" { "Add the customers of the linked cases" }
                (form_status())
            }
        }
    }
}

fn updates(detail: &IncidentDetail) -> Markup {
    html! {
        section class="account" aria-labelledby="updates-title" {
            h2 id="updates-title" { "What customers were told" }
            ol reversed {
                @for update in detail.updates.iter().rev() {
                    li {
                        strong { (update.kind) } " " (when(update.posted_at))
                        @if update.sent_at.is_none() { " (not sent yet)" }
                        p { (update.body) }
                    }
                }
            }
        }
    }
}

fn open_forms(id: i64, affected: i64) -> Markup {
    html! {
        form data-api={ "/api/v1/incidents/" (id) "/notices" } data-nobody
            data-confirm={ "Send the latest update to the " (affected) " affected customers who have not had it?" } {
            button type="submit" class="primary" { "Send the notice" }
            (form_status())
        }
        section class="account" aria-labelledby="update-title" {
            h2 id="update-title" { "Post an update" }
            form data-api={ "/api/v1/incidents/" (id) "/updates" } {
                label for="update-body" { "What is new" }
                textarea id="update-body" name="body" required rows="3" maxlength="4000" {}
                label for="update-next" { "Next update by" }
                input id="update-next" name="next_update_at" type="datetime-local" required
                    data-type="datetime" data-default-minutes="60";
                button type="submit" { "Post and send to everyone affected" }
                (form_status())
            }
            h2 { "Resolve" }
            form data-api={ "/api/v1/incidents/" (id) "/updates" }
                data-confirm="Tell everyone affected it is fixed, and ask them a day later?" {
                input type="hidden" name="resolve" value="true" data-type="bool";
                label for="resolve-body" { "What fixed it" }
                textarea id="resolve-body" name="body" required rows="3" maxlength="4000" {}
                button type="submit" { "Resolve and tell everyone" }
                (form_status())
            }
        }
    }
}

fn linked(detail: &IncidentDetail, id: i64) -> Markup {
    html! {
        section class="account" aria-labelledby="linked-title" {
            h2 id="linked-title" { "Linked cases" }
            table class="linked" {
                thead { tr { th { "Case" } th { "Status" } th { "Why" } th { span class="visually-hidden" { "Unlink" } } } }
                tbody {
                    @for case in &detail.linked_cases {
                        tr {
                            td { a href={ "/cases/" (case.case_id) } { "#" (case.case_id) " " (case.subject) } }
                            td { (case.status) }
                            td { (case.reason) }
                            td {
                                form data-api={ "/api/v1/incidents/" (id) "/cases/" (case.case_id) }
                                    data-method="DELETE" data-nobody {
                                    button type="submit" class="link" { "Unlink #" (case.case_id) }
                                }
                            }
                        }
                    }
                }
            }
            @if !detail.linked_cases.is_empty() {
                form data-api={ "/api/v1/incidents/" (id) "/reply" } {
                    label for="linked-reply" { "One reply to every open linked case" }
                    textarea id="linked-reply" name="body" required rows="4" {}
                    button type="submit" { "Send to all linked cases" }
                    (form_status())
                }
            }
        }
    }
}

fn incident_page(console: &Console, detail: &IncidentDetail, keys: &[(String, String)]) -> Markup {
    let incident = &detail.incident;
    let open = incident.status == IncidentStatus::Open.as_str();
    html! {
        p { a href="/incidents" { "All incidents" } }
        h1 { (incident.title) }
        p { (incident.summary) }
        p {
            (incident.status) ", since " (when(incident.started_at)) "."
            @if let Some(next) = incident.next_update_at { " Next update promised by " (when(next)) "." }
            @if !incident.key_words.is_empty() { " Key words: " (incident.key_words.join(", ")) "." }
        }
        (figures(detail))
        @if open && console.is_supervisor() {
            (choose_customers(incident.id, keys))
            (open_forms(incident.id, detail.figures.affected))
        }
        (updates(detail))
        (linked(detail, incident.id))
    }
}

/// The panel of a case linked to incidents (the incident, why, its latest word), or the form
/// that links it to an open one.
pub(super) fn case_panel(file: &CaseFile) -> Markup {
    let linked: Vec<i64> = file.incidents.iter().map(|l| l.incident.id).collect();
    let others: Vec<_> = file
        .open_incidents
        .iter()
        .filter(|i| !linked.contains(&i.id))
        .collect();
    html! {
        @for link in &file.incidents {
            section class="incident-banner" aria-label="Incident" {
                p {
                    strong { "Part of the incident " a href={ "/incidents/" (link.incident.id) } { (link.incident.title) } }
                    " (" (link.incident.status.as_str()) "): " (link.reason) "."
                }
                p { "Latest update: " (link.latest) }
            }
        }
        @if !others.is_empty() {
            form class="incident-link" data-api="/api/v1/incidents/0/cases" data-link-incident {
                input type="hidden" name="case_id" value=(file.case.id) data-type="int";
                label for="incident-choice" { "Link to an incident" }
                select id="incident-choice" data-incident-choice {
                    @for incident in &others {
                        option value=(incident.id) { (incident.title) }
                    }
                }
                button type="submit" { "Link" }
                (form_status())
            }
        }
    }
}
