//! Search over cases, messages and customers: `GET /search`.

use amends_core::custom_field::FieldOwner;
use amends_core::search::{snippet, OwnerFilter, SearchQuery};
use amends_core::AgentRole;
use amends_store::{OwnerScope, SearchScope, CANDIDATES};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::CurrentAgent;
use crate::extract::ApiQuery;
use crate::wire::{CaseHit, CaseView, CustomerView, SearchResultsView};
use crate::{AppError, AppState};

/// How many cases a page of search results shows.
pub(crate) const PER_PAGE: u32 = 20;
/// How long a snippet is, in characters.
const SNIPPET_CHARS: usize = 180;

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchRequest {
    /// Words (all must be in one text: a subject, a message or note, or a customer's name and
    /// addresses), `"phrases in quotes"`, `prefix*`, and filters: `status:open`,
    /// `channel:chat`, `owner:me` (or `none`, or an agent's email), `customer:bo@example.com`,
    /// `after:2026-11-01`, `before:2026-11-08`, `angry`, `churn`. A phone number finds its
    /// customer however it is written.
    pub q: String,
    /// The page, from 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
}

/// Cases and customers matching `q`, the words found highlighted, 20 cases a page.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchRequest),
    responses((status = 200, body = SearchResultsView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn search(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(request): ApiQuery<SearchRequest>,
) -> Result<Json<SearchResultsView>, AppError> {
    Ok(Json(run_search(&state, &current, &request).await?))
}

/// The query's `KEY:VALUE` filters as custom fields of the desk, each value in its stored
/// form; a key that names no field, or a value the field cannot hold, is refused naming `q`.
async fn field_filters(
    state: &AppState,
    query: &SearchQuery,
) -> Result<Vec<(FieldOwner, i64, String)>, AppError> {
    if query.filters.fields.is_empty() {
        return Ok(Vec::new());
    }
    let fields = state.store.fields().await?;
    query
        .filters
        .fields
        .iter()
        .map(|(key, value)| super::fields::field_filter(&fields, key, value, "q"))
        .collect()
}

/// What a search may find beyond its own filters: `owner:` resolved to an agent, custom field
/// filters to fields of the desk.
pub(crate) async fn search_scope(
    state: &AppState,
    current: &CurrentAgent,
    query: &SearchQuery,
) -> Result<SearchScope, AppError> {
    let owner = match &query.filters.owner {
        None => None,
        Some(OwnerFilter::Me) => Some(OwnerScope::Agent(current.agent.id)),
        Some(OwnerFilter::Nobody) => Some(OwnerScope::Nobody),
        Some(OwnerFilter::Agent(email)) => {
            let agents = state.store.agents().await?;
            let agent = agents
                .iter()
                .find(|a| a.email == email.as_str())
                .ok_or_else(|| AppError::invalid("q", "owner: names no agent of this desk"))?;
            Some(OwnerScope::Agent(agent.id))
        }
    };
    Ok(SearchScope {
        owner,
        fields: field_filters(state, query).await?,
        sight: current.agent.sight(),
    })
}

/// What `request` finds for `current`, in the API's shape; the console renders the same.
pub(crate) async fn run_search(
    state: &AppState,
    current: &CurrentAgent,
    request: &SearchRequest,
) -> Result<SearchResultsView, AppError> {
    current.require(AgentRole::Agent)?;
    let query = SearchQuery::parse(&request.q)?;
    let last_page = u32::try_from(CANDIDATES).unwrap_or(u32::MAX) / PER_PAGE;
    let page = request.page.unwrap_or(1);
    if !(1..=last_page).contains(&page) {
        return Err(AppError::invalid(
            "page",
            format!("must be between 1 and {last_page}"),
        ));
    }
    let scope = search_scope(state, current, &query).await?;
    let index = (page - 1) as usize;
    let results = state
        .store
        .search(&query, &scope, index, PER_PAGE as usize)
        .await?;
    let cases = results
        .cases
        .into_iter()
        .map(|found| {
            let best = found.ranked.best;
            CaseHit {
                snippet: snippet(&found.text, &query, SNIPPET_CHARS).into(),
                found_in: best.place.as_str(),
                message_id: (best.place != amends_core::search::Place::Subject).then_some(best.id),
                customer_name: found.customer_name,
                case: CaseView::from(found.case),
            }
        })
        .collect();
    Ok(SearchResultsView {
        cases,
        customers: results
            .customers
            .into_iter()
            .map(CustomerView::from)
            .collect(),
        next_page: results.more.then_some(page + 1),
        total: results.total,
    })
}
