//! A customer's data rights: their personal data erased on request (admins only).

use amends_core::AgentRole;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::ApiPath;
use crate::{AppError, AppState};

/// What an erasure emptied.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ErasureView {
    /// Cases whose content went (they stay, empty, in the figures).
    pub cases: i64,
    /// Messages whose text went.
    pub messages: i64,
    /// Mails whose raw bytes went.
    pub mails: i64,
    /// Attachments whose content went.
    pub attachments: i64,
}

/// Erases a customer's personal data everywhere: names, addresses, phones, handles, the text
/// of their cases, messages, notes, facts and promises, raw mail and attachments, chats, the
/// search indexes, and what the audit trail quoted. Counts, times, amounts and scores stay, so
/// the figures do not change. Admins only; it cannot be undone.
#[utoipa::path(post, path = "/customers/{id}/erasure", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = ErasureView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub(super) async fn erase_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ErasureView>, AppError> {
    current.require(AgentRole::Admin)?;
    let erased = state
        .store
        .erase_customer(id, &current.audit(&state))
        .await?;
    Ok(Json(ErasureView {
        cases: erased.cases,
        messages: erased.messages,
        mails: erased.mails,
        attachments: erased.attachments,
    }))
}
