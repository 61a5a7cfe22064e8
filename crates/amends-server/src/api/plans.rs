//! Action plans and written summaries over HTTP, with the customer's side behind signed links.

use amends_core::protocol::{draft_summary, NewPlanStep, PlanAnswer, SummarySource};
use amends_core::{AgentRole, FieldError, Timestamp};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::links::Purpose;
use crate::wire::{PlanView, SummaryView};
use crate::{AppError, AppState};

/// One step of a plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanStepRequest {
    /// What will be done, as the customer reads it.
    pub description: String,
    /// By when, RFC 3339.
    pub due_at: String,
    /// Who does it; the agent writing the plan when absent.
    pub owner_id: Option<i64>,
}

/// A whole plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanRequest {
    /// The steps, in date order.
    pub steps: Vec<PlanStepRequest>,
}

/// Writes or rewrites a case's action plan and shares it with the customer by signed link.
#[utoipa::path(put, path = "/cases/{id}/plan", tag = "recovery", params(("id" = i64, Path)),
    request_body = PlanRequest, responses((status = 200, body = PlanView)))]
pub(super) async fn set_plan(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<PlanRequest>,
) -> Result<Json<PlanView>, AppError> {
    current.require(AgentRole::Agent)?;
    let mut steps = Vec::with_capacity(request.steps.len());
    for (i, step) in request.steps.into_iter().enumerate() {
        let due_at = Timestamp::parse_rfc3339(&step.due_at).ok_or_else(|| {
            FieldError::new(
                format!("steps[{i}].due_at"),
                "must be an RFC 3339 date-time",
            )
        })?;
        steps.push(NewPlanStep {
            description: step.description,
            owner_id: step.owner_id.unwrap_or(current.agent.id),
            due_at,
        });
    }
    let url = state.customer_link("plan", id, Purpose::Plan);
    let plan = state
        .store
        .set_plan(id, &steps, &url, &current.audit(&state))
        .await?;
    Ok(Json(plan.into()))
}

/// A case's plan and the customer's answer.
#[utoipa::path(get, path = "/cases/{id}/plan", tag = "recovery", params(("id" = i64, Path)),
    responses((status = 200, body = PlanView)))]
pub(super) async fn get_plan(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PlanView>, AppError> {
    current.require(AgentRole::Agent)?;
    Ok(Json(state.store.plan(id).await?.into()))
}

/// Marks a step done; the customer is told.
#[utoipa::path(post, path = "/plan-steps/{id}/done", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 200, body = PlanView)))]
pub(super) async fn complete_step(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PlanView>, AppError> {
    current.require(AgentRole::Agent)?;
    let link = |case_id| state.customer_link("plan", case_id, Purpose::Plan);
    let plan = state
        .store
        .complete_plan_step(id, link, &current.audit(&state))
        .await?;
    Ok(Json(plan.into()))
}

/// A summary's text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SummaryText {
    /// The text, as the customer will read it.
    pub body: String,
}

/// A first draft of the written summary, from the confirmed facts, what the customer asked
/// for, the plan and the open promises; the agent edits it before sending.
#[utoipa::path(get, path = "/cases/{id}/summary/draft", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 200, body = SummaryText)))]
pub(super) async fn draft(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SummaryText>, AppError> {
    current.require(AgentRole::Agent)?;
    let case = state.store.case(id).await?;
    let customer = state.store.customer(case.customer_id).await?;
    let facts = state.store.case_facts(id).await?;
    let plan = state.store.plan(id).await?;
    let promises = state.store.case_promises(id).await?;
    let body = draft_summary(&SummarySource {
        customer_name: &customer.name,
        subject: &case.subject,
        facts: &facts,
        expectation: case.expectation.as_ref(),
        plan: &plan.steps,
        promises: &promises,
    });
    Ok(Json(SummaryText { body }))
}

/// Sends the written summary to the customer, with a link to confirm or correct it.
#[utoipa::path(post, path = "/cases/{id}/summary", tag = "recovery",
    params(("id" = i64, Path)), request_body = SummaryText,
    responses((status = 201, body = SummaryView)))]
pub(super) async fn send(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<SummaryText>,
) -> Result<(StatusCode, Json<SummaryView>), AppError> {
    current.require(AgentRole::Agent)?;
    let url = state.customer_link("summary", id, Purpose::Summary);
    let summary = state
        .store
        .send_summary(
            id,
            &request.body,
            current.agent.id,
            &url,
            &current.audit(&state),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(summary.into())))
}

/// The plan as the customer sees it, behind a signed link (no sign-in).
#[utoipa::path(get, path = "/public/plans/{token}", tag = "customer",
    params(("token" = String, Path)), responses((status = 200, body = PlanView),
    (status = 404, body = crate::error::Problem)), security(()))]
pub(super) async fn public_plan(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<PlanView>, AppError> {
    Ok(Json(state.plan_behind_link(&token).await?.into()))
}

/// The customer's answer to the plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanAnswerRequest {
    /// accepted or rejected; after a rejection, full_refund or refund_declined.
    pub answer: String,
}

/// What the desk offers after the customer answers.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PlanAnswerView {
    /// The plan and the answer recorded.
    pub plan: PlanView,
    /// After a rejection: the full refund is offered (answer full_refund or refund_declined).
    pub full_refund_offered: bool,
}

/// Accepts or rejects the plan behind a signed link; a rejection offers the full refund.
#[utoipa::path(post, path = "/public/plans/{token}", tag = "customer",
    params(("token" = String, Path)), request_body = PlanAnswerRequest,
    responses((status = 200, body = PlanAnswerView)), security(()))]
pub(super) async fn answer_plan(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(request): ApiJson<PlanAnswerRequest>,
) -> Result<Json<PlanAnswerView>, AppError> {
    let case_id = state.case_behind_link(&token, Purpose::Plan)?;
    let answer = PlanAnswer::parse(&request.answer).ok_or_else(|| {
        FieldError::new(
            "answer",
            "must be accepted, rejected, full_refund or refund_declined",
        )
    })?;
    let plan = state
        .store
        .answer_plan(case_id, answer, &state.customer_context())
        .await?;
    Ok(Json(PlanAnswerView {
        full_refund_offered: plan.answer == Some(PlanAnswer::Rejected),
        plan: plan.into(),
    }))
}

/// The summary as the customer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PublicSummary {
    /// The text sent.
    pub body: String,
    /// Whether they already answered.
    pub answered: bool,
}

/// The latest summary behind a signed link (no sign-in).
#[utoipa::path(get, path = "/public/summaries/{token}", tag = "customer",
    params(("token" = String, Path)), responses((status = 200, body = PublicSummary)),
    security(()))]
pub(super) async fn public_summary(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<PublicSummary>, AppError> {
    let summary = state.summary_behind_link(&token).await?;
    Ok(Json(PublicSummary {
        answered: summary.answer.is_some(),
        body: summary.body,
    }))
}

/// "This is right" or "something is wrong" with what.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SummaryAnswerRequest {
    /// Whether the summary is right.
    pub confirmed: bool,
    /// What is wrong (required when not confirmed).
    pub comment: Option<String>,
}

/// Confirms or corrects the summary behind a signed link; the answer lands on the case.
#[utoipa::path(post, path = "/public/summaries/{token}", tag = "customer",
    params(("token" = String, Path)), request_body = SummaryAnswerRequest,
    responses((status = 200, body = PublicSummary)), security(()))]
pub(super) async fn answer_summary(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(request): ApiJson<SummaryAnswerRequest>,
) -> Result<Json<PublicSummary>, AppError> {
    let case_id = state.case_behind_link(&token, Purpose::Summary)?;
    let summary = state
        .store
        .answer_summary(
            case_id,
            request.confirmed,
            request.comment.as_deref(),
            &state.customer_context(),
        )
        .await?;
    Ok(Json(PublicSummary {
        body: summary.body,
        answered: true,
    }))
}
