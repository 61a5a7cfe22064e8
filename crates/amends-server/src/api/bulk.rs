//! Bulk work: one change to many cases of the queue or a search.

use amends_core::case::{apply_change, CaseChange};
use amends_core::merge::merge;
use amends_core::tag::{parse_tags, tags_added};
use amends_core::{AgentRole, FieldError};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::ApiJson;
use crate::wire::CaseView;
use crate::{AppError, AppState};

/// The most cases one bulk change may touch.
const MAX_CASES: usize = 500;

/// One change to many cases.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkRequest {
    /// The cases, 1 to 500.
    pub case_ids: Vec<i64>,
    /// Give them to this agent.
    pub owner_id: Option<i64>,
    /// Or take their owner away.
    #[serde(default)]
    pub unassign: bool,
    /// Move them to this status.
    pub status: Option<String>,
    /// Add these tags.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Instead of changing them, merge them all into the one opened first (at least two
    /// cases, all the same customer's; not with any other change). Each merge is on the audit
    /// trail and can be undone, the latest first.
    #[serde(default)]
    pub merge: bool,
}

/// The cases after a bulk change.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BulkDone {
    /// Each case as it is now, in the order given.
    pub cases: Vec<CaseView>,
}

/// Changes many cases at once: owner, status and tags, or merges them into the one opened
/// first. All of them change or none does: a case that does not exist or cannot take the
/// change refuses the whole request (422, naming `case_ids[i]`). Each change is audited on its
/// case.
#[utoipa::path(post, path = "/cases/bulk", tag = "cases", request_body = BulkRequest,
    responses((status = 200, body = BulkDone), (status = 422, body = crate::error::Problem)))]
pub(super) async fn change_cases(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<BulkRequest>,
) -> Result<Json<BulkDone>, AppError> {
    current.require(AgentRole::Agent)?;
    if request.case_ids.is_empty() || request.case_ids.len() > MAX_CASES {
        return Err(AppError::invalid(
            "case_ids",
            format!("must list 1 to {MAX_CASES} cases"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(i) = request.case_ids.iter().position(|id| !seen.insert(*id)) {
        return Err(FieldError::new(format!("case_ids[{i}]"), "is listed twice").into());
    }
    for (i, &id) in request.case_ids.iter().enumerate() {
        if !current.sees_case(&state, id).await? {
            // Worded as for a case that does not exist: the agent is not told it does.
            let message = format!("case #{id} does not exist");
            return Err(FieldError::new(format!("case_ids[{i}]"), message).into());
        }
    }
    if request.merge {
        return merge_selected(&state, &current, &request).await;
    }
    if request.unassign && request.owner_id.is_some() {
        return Err(AppError::invalid(
            "unassign",
            "cannot be given with owner_id",
        ));
    }
    let change = CaseChange {
        status: request
            .status
            .as_deref()
            .map(|s| super::cases::parse_status("status", s))
            .transpose()?,
        priority: None,
        owner_id: if request.unassign {
            Some(None)
        } else {
            request.owner_id.map(Some)
        },
        first_contact_resolution: None,
    };
    let add = parse_tags("add_tags", &request.add_tags)?;
    let context = current.audit(&state);
    let now = context.at;
    let cases = state
        .store
        .change_cases(
            &request.case_ids,
            &context,
            |case| apply_change(case, &change, now),
            |id, before| tags_added(id, before, &add),
        )
        .await?;
    Ok(Json(BulkDone {
        cases: cases.into_iter().map(CaseView::from).collect(),
    }))
}

/// Merges the selected cases into the one opened first (the lowest id: ids follow opening).
async fn merge_selected(
    state: &AppState,
    current: &CurrentAgent,
    request: &BulkRequest,
) -> Result<Json<BulkDone>, AppError> {
    let changes = request.owner_id.is_some()
        || request.unassign
        || request.status.is_some()
        || !request.add_tags.is_empty();
    if changes {
        return Err(AppError::invalid(
            "merge",
            "cannot be given with an owner, a status or tags: merge first, then change the case",
        ));
    }
    if request.case_ids.len() < 2 {
        return Err(AppError::invalid(
            "case_ids",
            "list at least two cases to merge",
        ));
    }
    let survivor = request.case_ids.iter().copied().min().unwrap_or_default();
    let context = current.audit(state);
    let now = context.at;
    state
        .store
        .merge_many(survivor, &request.case_ids, &context, |kept, duplicate| {
            merge(kept, duplicate, now)
        })
        .await?;
    let mut cases = Vec::with_capacity(request.case_ids.len());
    for &id in &request.case_ids {
        cases.push(CaseView::from(state.store.case(id).await?));
    }
    Ok(Json(BulkDone { cases }))
}
