//! The compensation ledger over HTTP: grants within an agent's authority, approvals above it,
//! the ledgers of a case and of a customer, and what a customer costs against what they bring.

use amends_core::compensation::{CompensationKind, NewCompensation};
use amends_core::{AgentRole, FieldError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::wire::{all, CompensationView, StandingFigures};
use crate::{AppError, AppState};

/// Compensation to grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CompensationRequest {
    /// refund, discount, credit or gift.
    #[schema(pattern = "^(refund|discount|credit|gift)$")]
    pub kind: String,
    /// How much, in minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217; the customer's currency when absent.
    pub currency: Option<String>,
    /// Why.
    pub reason: String,
}

/// Grants compensation within the agent's authority, or asks a supervisor to approve it.
#[utoipa::path(post, path = "/cases/{id}/compensation", tag = "recovery",
    params(("id" = i64, Path)), request_body = CompensationRequest,
    responses((status = 201, body = CompensationView, description = "state is granted or awaiting_approval")))]
pub(super) async fn grant_compensation(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<CompensationRequest>,
) -> Result<(StatusCode, Json<CompensationView>), AppError> {
    current.require(AgentRole::Agent)?;
    let kind = CompensationKind::parse(&request.kind)
        .ok_or_else(|| FieldError::new("kind", "must be refund, discount, credit or gift"))?;
    let currency = match request.currency {
        Some(code) => code,
        None => {
            let case = state.store.case(id).await?;
            state.store.customer(case.customer_id).await?.currency
        }
    };
    let new = NewCompensation::parse(kind, request.amount_minor, &currency, &request.reason)?;
    let line = state
        .store
        .grant_compensation(
            id,
            &current.agent,
            &new,
            state.settings.authority_period_days,
            &current.audit(&state),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(line.into())))
}

/// A case's compensation ledger.
#[utoipa::path(get, path = "/cases/{id}/compensation", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<CompensationView>)))]
pub(super) async fn case_compensation(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CompensationView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.case(id).await?;
    Ok(Json(all(state.store.compensation(Some(id)).await?)))
}

/// A customer's compensation ledger over all their cases.
#[utoipa::path(get, path = "/customers/{id}/compensation", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<CompensationView>)))]
pub(super) async fn customer_compensation(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CompensationView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.customer(id).await?;
    Ok(Json(all(state.store.customer_compensation(id).await?)))
}

/// Grants waiting for a supervisor.
#[utoipa::path(get, path = "/approvals", tag = "recovery",
    responses((status = 200, body = Vec<CompensationView>)))]
pub(super) async fn approvals(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<CompensationView>>, AppError> {
    current.require(AgentRole::Supervisor)?;
    Ok(Json(all(state.store.compensation(None).await?)))
}

/// A supervisor's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionRequest {
    /// Approve (true) or refuse (false).
    pub approve: bool,
}

/// Approves or refuses a grant above the agent's authority.
#[utoipa::path(post, path = "/compensation/{id}/decision", tag = "recovery",
    params(("id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = CompensationView), (status = 403, body = crate::error::Problem)))]
pub(super) async fn decide_compensation(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Json<CompensationView>, AppError> {
    current.require(AgentRole::Supervisor)?;
    Ok(Json(
        state
            .store
            .decide_compensation(
                id,
                &current.agent,
                request.approve,
                state.settings.authority_period_days,
                &current.audit(&state),
            )
            .await?
            .into(),
    ))
}

/// What a customer costs against what they bring, with its flags.
#[utoipa::path(get, path = "/customers/{id}/standing", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 200, body = StandingView)))]
pub(super) async fn customer_standing(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StandingView>, AppError> {
    current.require(AgentRole::Agent)?;
    let standing = state
        .store
        .customer_standing(id, &state.settings.standing, state.clock.now())
        .await?;
    let abuse_steps = state.store.abuse_steps_for_customer(id).await?;
    Ok(Json(StandingView {
        standing: standing.into(),
        abuse_steps,
    }))
}

/// A customer's standing and their record under the abuse policy.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct StandingView {
    /// Cost against value, complaints and flags.
    #[serde(flatten)]
    pub standing: StandingFigures,
    /// Abuse-policy steps taken with them, over all cases.
    pub abuse_steps: i64,
}
