//! The queue: open cases most urgent first, each row saying why it is where it is, with
//! filters, keyboard movement (j/k, Enter) and rows that refresh themselves.

use std::collections::HashMap;

use amends_core::{CaseStatus, Channel};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::format::{label, reason_class, span};
use super::{layout, trouble, Console, Section};
use crate::accounts::CurrentAgent;
use crate::api::{read_queue, QueueQuery};
use crate::extract::ApiQuery;
use crate::wire::QueuePageView;
use crate::{AppError, AppState};

const FLAGS: [(&str, &str); 6] = [
    ("angry", "Angry or furious"),
    ("churn_threat", "Threatens to leave"),
    ("abusive", "Abusive"),
    ("broken_promise", "Broken promise"),
    ("promise_due", "Promise due within the hour"),
    ("reopened", "Reopened"),
];

/// The queue page.
pub(super) async fn page_handler(
    state: &AppState,
    console: &Console,
    query: &QueueQuery,
) -> Result<Response, AppError> {
    let view = read_queue(state, &console.current, query).await?;
    let owners = owner_names(state).await?;
    let waves = waves(state, &view).await?;
    let rows_url = format!("/queue/rows?{}", filter_query(query, None));
    let views = super::views::views_nav(state, &console.current).await?;
    let here = format!("/queue?{}", filter_query(query, None));
    let body = html! {
        div class="page-head" {
            h1 { "Queue" }
            p class="hint" { "Most urgent first. Keys: " kbd { "j" } " / " kbd { "k" } " move, "
                kbd { "Enter" } " opens, " kbd { "/" } " filters." }
        }
        (views)
        (filters(query))
        (super::views::save_view_form(&here))
        (bulk_form(&owners))
        table class="queue" aria-describedby="queue-caption" {
            caption id="queue-caption" class="visually-hidden" { "Open cases, most urgent first" }
            thead {
                tr {
                    th scope="col" { span class="visually-hidden" { "Select" } }
                    th scope="col" { "Case" }
                    th scope="col" { "Customer" }
                    th scope="col" { "Why it is here" }
                    th scope="col" { "Status" }
                    th scope="col" { "Channel" }
                    th scope="col" { "Owner" }
                    th scope="col" { "Waiting" }
                }
            }
            tbody id="queue-rows" data-live-rows=(rows_url) {
                (rows_markup(state, &view, &owners, &waves, query))
            }
        }
    };
    Ok(layout(console, Section::Queue, "Queue", body))
}

/// `GET /queue`.
pub(super) async fn page(
    State(state): State<AppState>,
    console: Console,
    query: Result<ApiQuery<QueueQuery>, AppError>,
) -> Response {
    let result = match query {
        Ok(ApiQuery(query)) => page_handler(&state, &console, &query).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|error| trouble(Some(&console), error))
}

/// `GET /queue/rows`: the rows alone, for the page's script to swap in. Without a session it
/// answers 401 (not the sign-in page), so the script never puts a page inside the table.
pub(super) async fn rows(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Response, AppError> {
    let view = read_queue(&state, &current, &query).await?;
    let owners = owner_names(&state).await?;
    let waves = waves(&state, &view).await?;
    let markup = rows_markup(&state, &view, &owners, &waves, &query);
    let mut response = markup.into_string().into_response();
    super::secure_headers(response.headers_mut());
    Ok(response)
}

/// The cases of an open incident on one page of the queue: its most urgent case stands for
/// them, the rest wait on the incident's page, so one angry wave does not bury the others.
#[derive(Default)]
struct Waves {
    /// A standing case: its incident, the incident's title, and how many more it stands for.
    first: HashMap<i64, (i64, String, usize)>,
    /// The cases left to the incident's page.
    folded: std::collections::HashSet<i64>,
}

async fn waves(state: &AppState, view: &QueuePageView) -> Result<Waves, AppError> {
    let ids: Vec<i64> = view.items.iter().map(|entry| entry.case.id).collect();
    let mut incident_of: HashMap<i64, (i64, String)> = HashMap::new();
    for (case_id, incident_id, title) in state.store.open_incident_links(&ids).await? {
        incident_of.entry(case_id).or_insert((incident_id, title));
    }
    let mut waves = Waves::default();
    let mut standing: HashMap<i64, i64> = HashMap::new();
    for id in ids {
        let Some((incident_id, title)) = incident_of.remove(&id) else {
            continue;
        };
        match standing.get(&incident_id) {
            Some(first) => {
                waves.folded.insert(id);
                if let Some(wave) = waves.first.get_mut(first) {
                    wave.2 += 1;
                }
            }
            None => {
                standing.insert(incident_id, id);
                waves.first.insert(id, (incident_id, title, 0));
            }
        }
    }
    Ok(waves)
}

async fn owner_names(state: &AppState) -> Result<HashMap<i64, String>, AppError> {
    Ok(state
        .store
        .agents()
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

fn rows_markup(
    state: &AppState,
    view: &QueuePageView,
    owners: &HashMap<i64, String>,
    waves: &Waves,
    query: &QueueQuery,
) -> Markup {
    let now = state.clock.now();
    html! {
        @if view.items.is_empty() {
            tr { td colspan="8" class="empty" { "Nothing waiting here. Well done." } }
        }
        @for (position, entry) in view.items.iter().filter(|e| !waves.folded.contains(&e.case.id)).enumerate() {
            @let case = &entry.case;
            tr class="queue-row" data-case-id=(case.id) data-position=(position + 1) {
                td class="pick" {
                    input type="checkbox" form="bulk" name="case_ids" value=(case.id) data-type="int"
                        data-many aria-label={ "Select case #" (case.id) };
                }
                td {
                    a class="case-link" href={ "/cases/" (case.id) } {
                        span class="case-id" { "#" (case.id) } " " (case.subject)
                    }
                }
                td { (entry.customer_name) }
                td {
                    ul class="reasons" {
                        @if let Some((incident_id, title, more)) = waves.first.get(&case.id) {
                            li class="reason-incident" {
                                "Incident: " a href={ "/incidents/" (incident_id) } { (title) }
                                @if *more > 0 { " (and " (more) " more linked cases)" }
                            }
                        }
                        @for reason in &entry.reasons {
                            li class=(reason_class(reason)) { (reason) }
                        }
                    }
                }
                td { span class={ "status status-" (case.status.as_str()) } { (label(case.status.as_str())) } }
                td { (label(case.channel.as_str())) }
                td {
                    @match case.owner_id.and_then(|id| owners.get(&id)) {
                        Some(name) => (name),
                        None => span class="muted" { "unassigned" },
                    }
                }
                td { (span(case.opened_at, now)) }
            }
        }
        @if let Some(cursor) = &view.next_cursor {
            tr class="more" {
                td colspan="8" {
                    a href={ "/queue?" (filter_query(query, Some(cursor))) } { "Next page" }
                }
            }
        }
    }
}

/// The filters of `query` as a query string, with `cursor` when given.
fn filter_query(query: &QueueQuery, cursor: Option<&str>) -> String {
    let mut out: Vec<(&str, &str)> = Vec::new();
    let pairs = [
        ("owner", query.owner.as_deref()),
        ("channel", query.channel.as_deref()),
        ("status", query.status.as_deref()),
        ("flag", query.flag.as_deref()),
        ("tag", query.tag.as_deref()),
        ("field", query.field.as_deref()),
        ("cursor", cursor),
    ];
    for (key, value) in pairs {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push((key, value));
        }
    }
    out.iter()
        .map(|(k, v)| format!("{k}={}", super::form_urlencoded_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The form that changes every selected row at once: owner, status, tags.
fn bulk_form(owners: &HashMap<i64, String>) -> Markup {
    let mut agents: Vec<(&i64, &String)> = owners.iter().collect();
    agents.sort_by(|a, b| a.1.cmp(b.1));
    html! {
        form id="bulk" class="bulk" data-api="/api/v1/cases/bulk" aria-label="Change the selected cases" {
            span class="hint" { "Selected cases:" }
            label for="bulk-owner" class="visually-hidden" { "Give to" }
            select id="bulk-owner" name="owner_id" data-type="int" {
                option value="" { "Owner unchanged" }
                @for (id, name) in agents { option value=(id) { "Give to " (name) } }
            }
            label for="bulk-status" class="visually-hidden" { "Status" }
            select id="bulk-status" name="status" {
                option value="" { "Status unchanged" }
                @for status in CaseStatus::ALL {
                    option value=(status.as_str()) { (label(status.as_str())) }
                }
            }
            label for="bulk-tags" class="visually-hidden" { "Add tags" }
            input id="bulk-tags" name="add_tags" data-type="list" placeholder="add tags";
            button type="submit" { "Apply to selected" }
            button type="submit" name="merge" value="true" data-type="bool"
                data-confirm="Merge the selected cases into the one opened first? Each merge can be undone from that case." {
                "Merge selected"
            }
            (super::form_status())
        }
    }
}

fn filters(query: &QueueQuery) -> Markup {
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    html! {
        form class="filters" method="get" action="/queue" data-autosubmit {
            div {
                label for="f-owner" { "Owner" }
                select id="f-owner" name="owner" {
                    option value="" { "Anyone" }
                    option value="me" selected[selected(&query.owner, "me")] { "Mine" }
                    option value="none" selected[selected(&query.owner, "none")] { "Unassigned" }
                }
            }
            div {
                label for="f-channel" { "Channel" }
                select id="f-channel" name="channel" {
                    option value="" { "Any" }
                    @for channel in Channel::ALL {
                        option value=(channel.as_str()) selected[selected(&query.channel, channel.as_str())] {
                            (label(channel.as_str()))
                        }
                    }
                }
            }
            div {
                label for="f-status" { "Status" }
                select id="f-status" name="status" {
                    option value="" { "Any open" }
                    @for status in CaseStatus::ALL {
                        @if !matches!(status, CaseStatus::Resolved | CaseStatus::Closed) {
                            option value=(status.as_str()) selected[selected(&query.status, status.as_str())] {
                                (label(status.as_str()))
                            }
                        }
                    }
                }
            }
            div {
                label for="f-flag" { "Flag" }
                select id="f-flag" name="flag" {
                    option value="" { "Any" }
                    @for (value, text) in FLAGS {
                        option value=(value) selected[selected(&query.flag, value)] { (text) }
                    }
                }
            }
            div {
                label for="f-tag" { "Tag" }
                input id="f-tag" name="tag" value=(query.tag.as_deref().unwrap_or("")) size="12";
            }
            div {
                label for="f-field" { "Field" }
                input id="f-field" name="field" value=(query.field.as_deref().unwrap_or("")) size="14"
                    placeholder="tier:gold";
            }
            button type="submit" { "Filter" }
        }
    }
}

/// `GET /notifications`: what the desk told this agent (promises coming due or broken, mail
/// that could not go out, approvals), newest first.
pub(super) async fn notifications(State(state): State<AppState>, console: Console) -> Response {
    let found = state
        .store
        .notifications(console.current.agent.id, 100)
        .await;
    let notes = match found {
        Ok(notes) => notes,
        Err(error) => return trouble(Some(&console), error.into()),
    };
    let body = html! {
        div class="page-head" { h1 { "Notifications" } }
        section class="panel" aria-labelledby="notes-title" {
            h2 id="notes-title" class="visually-hidden" { "For you" }
            @if notes.is_empty() { p class="muted" { "Nothing for you right now." } }
            ul class="plain notifications" {
                @for n in &notes {
                    li {
                        span class="badge" { (label(&n.kind)) } " " (n.body) " · " (super::format::when(n.created_at))
                        @if let Some(case) = n.case_id {
                            " · " a href={ "/cases/" (case) } { "Case #" (case) }
                        }
                    }
                }
            }
        }
    };
    layout(&console, Section::Notifications, "Notifications", body)
}
