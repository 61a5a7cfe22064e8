//! The durable jobs, for supervisors watching that nothing is stuck.

use amends_core::AgentRole;
use amends_store::JobStatus;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::CurrentAgent;
use crate::extract::ApiQuery;
use crate::wire::{all, JobView};
use crate::{AppError, AppState};

/// Which jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct JobQuery {
    /// pending, running, done or failed; default pending, running and failed.
    pub status: Option<String>,
}

/// Pending, running and failed jobs, soonest first (at most 500).
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(JobQuery), responses((status = 200, body = Vec<JobView>)))]
pub(super) async fn list_jobs(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<JobQuery>,
) -> Result<Json<Vec<JobView>>, AppError> {
    current.require(AgentRole::Supervisor)?;
    let statuses = match query.status.as_deref() {
        None => vec![JobStatus::Pending, JobStatus::Running, JobStatus::Failed],
        Some(raw) => vec![JobStatus::parse(raw).ok_or_else(|| {
            AppError::invalid("status", "must be one of pending, running, done, failed")
        })?],
    };
    let jobs = state.store.jobs(&statuses, 500).await?;
    Ok(Json(all(jobs)))
}
