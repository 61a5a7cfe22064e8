//! Keeping an agent with narrowed case access to their own cases. Every API route that names a
//! case, a record of one, or a customer by id answers 404 for one out of their sight, exactly as
//! for one that does not exist, so the desk does not even tell them it is there. Lists and
//! searches keep to the same sight in the store's queries; the console's case pages check it as
//! they read the case.

use amends_core::CaseSight;
use amends_store::{CaseRecord, StoreError};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::CurrentAgent;
use crate::{AppError, AppState};

/// What a route names by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// A case, or a record of one.
    Case(CaseRecord, i64),
    /// A customer.
    Customer(i64),
}

/// The record a request's route under the API names by its second path segment
/// (`/cases/{id}/…`, `/facts/{id}`, …). The console's case pages check their case as they
/// read it, to answer with a page rather than a problem.
fn named(request: &Request) -> Option<Named> {
    let matched = request.extensions().get::<MatchedPath>()?.as_str();
    let template = matched.strip_prefix("/api/v1")?;
    let path = request.uri().path().strip_prefix("/api/v1")?;
    let mut template = template.split('/').skip(1);
    let mut path = path.split('/').skip(1);
    let kind = template.next()?;
    path.next()?;
    if !template.next()?.starts_with('{') {
        return None;
    }
    let id = path.next()?.parse().ok()?;
    let record = match kind {
        "cases" => CaseRecord::Case,
        "facts" => CaseRecord::Fact,
        "promises" => CaseRecord::Promise,
        "plan-steps" => CaseRecord::PlanStep,
        "attachments" => CaseRecord::Attachment,
        "merges" => CaseRecord::Merge,
        "notices" => CaseRecord::Notice,
        "compensation" => CaseRecord::Compensation,
        "customers" => return Some(Named::Customer(id)),
        _ => return None,
    };
    Some(Named::Case(record, id))
}

/// Answers 404 when the signed-in agent's sight does not reach what the route names. The agent
/// found is handed on to the handler, so the session is read once.
pub(crate) async fn keep_in_sight(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(named) = named(&request) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    // Not signed in (or refused): the handler's own extractor answers that.
    if let Ok(current) = CurrentAgent::from_request_parts(&mut parts, &state).await {
        if let Some(sight) = current.agent.sight() {
            if let Err(error) = reach(&state, named, sight).await {
                return error.into_response();
            }
        }
        parts.extensions.insert(current);
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn reach(state: &AppState, named: Named, sight: CaseSight) -> Result<(), AppError> {
    match named {
        Named::Case(record, id) => match state.store.owner_of_case_holding(record, id).await {
            Ok(owner) => require_case_in_sight(sight, owner),
            // A record that does not exist is left to the handler, which names it.
            Err(StoreError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.into()),
        },
        Named::Customer(id) => {
            if state.store.customer_in_sight(id, sight).await? {
                Ok(())
            } else {
                Err(AppError::NotFound("customer"))
            }
        }
    }
}

/// Refuses a case owned by `owner` that `sight` does not see, as not found.
pub(crate) fn require_case_in_sight(sight: CaseSight, owner: Option<i64>) -> Result<(), AppError> {
    if sight.sees(owner) {
        Ok(())
    } else {
        Err(AppError::NotFound("case"))
    }
}

impl CurrentAgent {
    /// Whether this agent may see case `id`; `true` for a case that does not exist, which the
    /// caller's store call then names.
    pub(crate) async fn sees_case(&self, state: &AppState, id: i64) -> Result<bool, AppError> {
        let Some(sight) = self.agent.sight() else {
            return Ok(true);
        };
        match reach(state, Named::Case(CaseRecord::Case, id), sight).await {
            Ok(()) => Ok(true),
            Err(AppError::NotFound(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Refuses case `id`, as not found, when this agent may not see it.
    pub(crate) async fn require_case(&self, state: &AppState, id: i64) -> Result<(), AppError> {
        if self.sees_case(state, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("case"))
        }
    }
}
