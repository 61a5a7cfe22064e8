//! The durable jobs, for supervisors watching that nothing is stuck.

use amends_core::AgentRole;
use amends_core::Timestamp;
use amends_store::{JobRecord, JobStatus};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::CurrentAgent;
use crate::extract::ApiQuery;
use crate::{AppError, AppState};

/// Which jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// pending, running, done or failed; default pending, running and failed.
    pub status: Option<String>,
}

/// Pending, running and failed jobs, soonest first (at most 500).
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(JobQuery), responses((status = 200, body = Vec<JobView>)))]
pub async fn list_jobs(
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
    Ok(Json(jobs.into_iter().map(JobView::from).collect()))
}

/// A durable job as a supervisor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// The job's id.
    pub id: i64,
    /// What it does, such as `promise.due` or `mail.send`.
    pub kind: String,
    /// Its arguments, as JSON text.
    pub payload: String,
    /// `pending`, `running`, `done` or `failed`.
    #[schema(pattern = "^(pending|running|done|failed)$")]
    pub status: String,
    /// When it is due (or due again, after a failed attempt).
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The runner holding it.
    pub locked_by: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<JobRecord> for JobView {
    fn from(job: JobRecord) -> Self {
        JobView {
            id: job.id,
            kind: job.kind,
            payload: job.payload,
            status: job.status.as_str().to_owned(),
            run_at: job.run_at,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            locked_by: job.locked_by,
            last_error: job.last_error,
        }
    }
}
