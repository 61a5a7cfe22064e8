//! Merging duplicate cases and undoing a merge.

use amends_core::merge::{merge, merge_customers, undo};
use amends_core::{AgentRole, Timestamp};
use amends_store::CaseMerge;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::wire::{CaseView, CustomerView};
use crate::{AppError, AppState};

/// Which case to merge into this one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MergeRequest {
    /// The duplicate: for a case, the same customer's case about the same problem; for a
    /// customer, another record of the same person.
    pub duplicate_id: i64,
}

/// A merge.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MergeView {
    /// Its id: `DELETE /merges/{id}` undoes it.
    pub id: i64,
    /// The case that stayed.
    pub survivor_id: i64,
    /// The duplicate, now closed and pointing at the survivor.
    pub duplicate_id: i64,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub merged_at: Timestamp,
    /// When it was undone.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub undone_at: Option<Timestamp>,
}

impl From<CaseMerge> for MergeView {
    fn from(merge: CaseMerge) -> Self {
        MergeView {
            id: merge.id,
            survivor_id: merge.survivor_id,
            duplicate_id: merge.duplicate_id,
            merged_at: merge.created_at,
            undone_at: merge.undone_at,
        }
    }
}

/// The case after a merge, and the merge.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MergedView {
    /// The surviving case, with the duplicate's signals folded in.
    pub case: CaseView,
    /// The merge.
    pub merge: MergeView,
}

/// Merges a duplicate into this case: its messages, notes, facts, promises, compensation,
/// notices and tags move here in time order, it is closed pointing here, and the customer's
/// next reply to its thread lands here. Undone with `DELETE /merges/{id}` while nothing new
/// has happened on this case.
#[utoipa::path(post, path = "/cases/{id}/merges", tag = "cases", params(("id" = i64, Path)),
    request_body = MergeRequest,
    responses((status = 200, body = MergedView), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn merge_case(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<MergeRequest>,
) -> Result<Json<MergedView>, AppError> {
    current.require(AgentRole::Agent)?;
    current.require_case(&state, request.duplicate_id).await?;
    let context = current.audit(&state);
    let now = context.at;
    let (case, merge) = state
        .store
        .merge_cases(id, request.duplicate_id, &context, |survivor, duplicate| {
            merge(survivor, duplicate, now)
        })
        .await?;
    Ok(Json(MergedView {
        case: CaseView::from(case),
        merge: merge.into(),
    }))
}

/// The merges into or of a case, newest first.
#[utoipa::path(get, path = "/cases/{id}/merges", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MergeView>), (status = 404, body = crate::error::Problem)))]
pub(super) async fn case_merges(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<MergeView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.case(id).await?;
    let merges = state.store.case_merges(id).await?;
    Ok(Json(merges.into_iter().map(MergeView::from).collect()))
}

/// Undoes a merge: what moved goes back, the duplicate gets its status back and the survivor
/// its signals from before. Refused (422) once something new happened on the survivor.
#[utoipa::path(delete, path = "/merges/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn undo_merge(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let context = current.audit(&state);
    let now = context.at;
    let duplicate = state
        .store
        .undo_merge(
            id,
            &context,
            |survivor, duplicate, before, status, new_since| {
                undo(survivor, duplicate, before, status, new_since, now)
            },
        )
        .await?;
    Ok(Json(CaseView::from(duplicate)))
}

/// Merges a duplicate customer record into this one: their addresses, cases, compensation,
/// notices and tags move here, revenue and invoices are added up, and the duplicate record is
/// removed (its audit trail stays). Not undoable: the two records become one person's.
#[utoipa::path(post, path = "/customers/{id}/merges", tag = "customers", params(("id" = i64, Path)),
    request_body = MergeRequest,
    responses((status = 200, body = CustomerView), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn merge_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<MergeRequest>,
) -> Result<Json<CustomerView>, AppError> {
    current.require(AgentRole::Supervisor)?;
    let context = current.audit(&state);
    let now = context.at;
    let customer = state
        .store
        .merge_customers(id, request.duplicate_id, &context, |survivor, duplicate| {
            merge_customers(survivor, duplicate, now)
        })
        .await?;
    Ok(Json(CustomerView::from(customer)))
}
