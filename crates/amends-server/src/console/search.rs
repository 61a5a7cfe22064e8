//! The search page: one box (also in every page's header) over cases, messages, notes and
//! customers, the words found marked in each result.

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::format::{label, when};
use super::{layout, trouble, Console, Section};
use crate::api::{run_search, SearchRequest};
use crate::extract::ApiQuery;
use crate::wire::{SearchResultsView, SnippetView};
use crate::{AppError, AppState};

/// What the search page was asked: like the API's, but an empty box is a page to type in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchPageQuery {
    #[serde(default)]
    q: String,
    page: Option<u32>,
}

/// `GET /search`.
pub(super) async fn page(
    State(state): State<AppState>,
    console: Console,
    query: Result<ApiQuery<SearchPageQuery>, AppError>,
) -> Response {
    let query = match query {
        Ok(ApiQuery(query)) => query,
        Err(error) => return trouble(Some(&console), error),
    };
    let request = SearchRequest {
        q: query.q.clone(),
        page: query.page,
    };
    let (results, problem) = if query.q.trim().is_empty() {
        (None, None)
    } else {
        match run_search(&state, &console.current, &request).await {
            Ok(results) => (Some(results), None),
            Err(AppError::Invalid(error)) => (None, Some(error.message)),
            Err(error) => return trouble(Some(&console), error),
        }
    };
    let body = html! {
        div class="page-head" { h1 { "Search" } }
        form class="search-page" role="search" method="get" action="/search" {
            label for="search-q" { "Search cases, messages, notes and customers" }
            input id="search-q" type="search" name="q" value=(query.q) autofocus
                aria-invalid=[problem.as_ref().map(|_| "true")]
                aria-describedby=(if problem.is_some() { "search-problem" } else { "search-help" });
            button type="submit" class="primary" { "Search" }
            @if let Some(problem) = &problem {
                p id="search-problem" class="error" role="alert" { (problem) }
            } @else {
                p id="search-help" class="hint" {
                    "Words, \"a phrase\", refund* · status:open channel:chat owner:me "
                    "customer:bo@example.com after:2026-11-01 before:2026-11-08 angry churn"
                }
            }
        }
        @if results.is_some() {
            (super::views::save_view_form(&format!("/search?q={}", encode(&query.q))))
        }
        @if let Some(results) = &results { (results_markup(&query.q, results)) }
    };
    layout(&console, Section::Search, "Search", body)
}

fn results_markup(q: &str, results: &SearchResultsView) -> Markup {
    html! {
        @if !results.customers.is_empty() {
            section aria-labelledby="found-customers" {
                h2 id="found-customers" { "Customers" }
                ul class="found-customers" {
                    @for customer in &results.customers {
                        li {
                            a href={ "/search?q=" (encode(&customer_filter(customer))) } { (customer.name) }
                            " "
                            span class="hint" {
                                (customer.emails.iter().chain(&customer.phones).cloned().collect::<Vec<_>>().join(" · "))
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="found-cases" {
            h2 id="found-cases" { "Cases" }
            p class="export" {
                a href={ "/api/v1/export/cases.csv?q=" (encode(q)) } download="cases.csv" data-export { "Export these cases as CSV" }
                " "
                progress hidden aria-label="Export progress" {}
                " "
                span class="form-status" role="status" aria-live="polite" {}
            }
            @if results.cases.is_empty() {
                p { "No case holds all these words." }
            }
            ol class="found-cases" {
                @for hit in &results.cases {
                    li {
                        a href={ "/cases/" (hit.case.id) } {
                            "#" (hit.case.id) " " (hit.case.subject)
                        }
                        " "
                        span class="hint" {
                            (hit.customer_name) " · " (label(hit.case.status.as_str()))
                            " · found in the " (label(hit.found_in)) " · opened " (when(hit.case.opened_at))
                        }
                        p class="snippet" { (snippet_markup(&hit.snippet)) }
                    }
                }
            }
            @if let Some(next) = results.next_page {
                p { a href={ "/search?q=" (encode(q)) "&page=" (next) } rel="next" { "More results" } }
            }
        }
    }
}

fn snippet_markup(snippet: &SnippetView) -> Markup {
    html! {
        @for part in &snippet.parts {
            @if part.marked { mark { (part.text) } } @else { (part.text) }
        }
    }
}

/// A search for a customer's cases: by their first address.
fn customer_filter(customer: &crate::wire::CustomerView) -> String {
    customer
        .emails
        .first()
        .or(customer.phones.first())
        .map_or_else(|| customer.name.clone(), |a| format!("customer:{a}"))
}

fn encode(text: &str) -> String {
    super::form_urlencoded_component(text)
}
