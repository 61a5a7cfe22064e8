//! Saved views: a filtered queue or a search, named, the agent's own or shared, with counts.

use amends_core::field::bounded_text;
use amends_core::AgentRole;
use amends_store::SavedView;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{read_queue_count, QueueQuery, SearchRequest};
use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::{AppError, AppState};

/// A view to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SaveViewRequest {
    /// Its name (1 to 100 characters), unique among the agent's own.
    pub name: String,
    /// The console address it opens: `/queue?…` or `/search?q=…`.
    pub path: String,
    /// Whether the whole team sees it.
    #[serde(default)]
    pub shared: bool,
}

/// A saved view.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ViewView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The console address it opens.
    pub path: String,
    /// Whether the whole team sees it.
    pub shared: bool,
    /// Whether the caller saved it.
    pub mine: bool,
    /// How many cases it shows now, for the caller (a search counts the cases it ranks).
    pub count: i64,
}

/// What a view's path asks for.
enum Asked {
    Queue(QueueQuery),
    Search(SearchRequest),
}

fn asked(path: &str) -> Result<Asked, AppError> {
    let wrong = || {
        AppError::invalid(
            "path",
            "must be a queue (/queue?…) or a search (/search?q=…)",
        )
    };
    let uri: Uri = path.parse().map_err(|_| wrong())?;
    if uri.host().is_some() || path.len() > 2_000 {
        return Err(wrong());
    }
    match uri.path() {
        "/queue" => Query::<QueueQuery>::try_from_uri(&uri)
            .map(|q| Asked::Queue(q.0))
            .map_err(|_| AppError::invalid("path", "is not a queue filter the console makes")),
        "/search" => Query::<SearchRequest>::try_from_uri(&uri)
            .map(|q| Asked::Search(q.0))
            .map_err(|_| AppError::invalid("path", "is not a search the console makes")),
        _ => Err(wrong()),
    }
}

async fn count(state: &AppState, current: &CurrentAgent, path: &str) -> Result<i64, AppError> {
    match asked(path)? {
        Asked::Queue(query) => read_queue_count(state, current, &query).await,
        Asked::Search(request) => {
            let results = super::run_search(state, current, &request).await?;
            Ok(i64::try_from(results.total).unwrap_or(i64::MAX))
        }
    }
}

fn view_of(view: SavedView, agent_id: i64, count: i64) -> ViewView {
    ViewView {
        mine: view.agent_id == agent_id,
        id: view.id,
        name: view.name,
        path: view.path,
        shared: view.shared == 1,
        count,
    }
}

/// Saves a view; answered with its count now.
#[utoipa::path(post, path = "/views", tag = "views", request_body = SaveViewRequest,
    responses((status = 201, body = ViewView), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn save(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<SaveViewRequest>,
) -> Result<(StatusCode, Json<ViewView>), AppError> {
    current.require(AgentRole::Agent)?;
    let name = bounded_text("name", &request.name, 100, false)?;
    let count = count(&state, &current, &request.path)
        .await
        .map_err(|error| match error {
            AppError::Invalid(e) => {
                AppError::invalid("path", format!("{}: {}", e.field, e.message))
            }
            other => other,
        })?;
    let view = state
        .store
        .save_view(
            current.agent.id,
            &name,
            &request.path,
            request.shared,
            state.clock.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view_of(view, current.agent.id, count)),
    ))
}

/// The caller's views and the team's shared ones, by name, each with its count now.
#[utoipa::path(get, path = "/views", tag = "views", responses((status = 200, body = Vec<ViewView>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<ViewView>>, AppError> {
    Ok(Json(views_of(&state, &current).await?))
}

/// The views `current` sees, counted.
pub(crate) async fn views_of(
    state: &AppState,
    current: &CurrentAgent,
) -> Result<Vec<ViewView>, AppError> {
    current.require(AgentRole::Agent)?;
    let mut out = Vec::new();
    for view in state.store.views(current.agent.id).await? {
        // A view saved before a custom field it used was removed counts nothing, not an error.
        let count = count(state, current, &view.path).await.unwrap_or(0);
        out.push(view_of(view, current.agent.id, count));
    }
    Ok(out)
}

/// Removes a view: the agent's own, or any shared one for supervisors and admins.
#[utoipa::path(delete, path = "/views/{id}", tag = "views", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub(super) async fn remove(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    current.require(AgentRole::Agent)?;
    let view = state.store.view(id).await?;
    let visible = view.agent_id == current.agent.id || view.shared == 1;
    if !visible {
        return Err(AppError::NotFound("view"));
    }
    if view.agent_id != current.agent.id {
        current.require(AgentRole::Supervisor)?;
    }
    state.store.remove_view(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
