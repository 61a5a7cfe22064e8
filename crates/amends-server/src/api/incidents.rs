//! Incidents: supervisors declare them, choose the affected customers, warn them and keep them
//! updated; agents link cases and answer them all at once.

use amends_core::incident::{
    figures, parse_update, IncidentDraft, RawDeclaration, Segment, MAX_IMPORTED,
};
use amends_core::message::parse_body;
use amends_core::{AgentRole, EmailAddress, FieldError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::csv::{problems_refused, records};
use crate::extract::{ApiJson, ApiPath};
use crate::wire::incidents::{IncidentDetail, IncidentView};
use crate::{AppError, AppState};

/// A declaration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclareRequest {
    /// A short name customers recognise (1 to 200 characters).
    pub title: String,
    /// What is wrong, as customers are told it.
    pub summary: String,
    /// Since when (RFC 3339); now when absent.
    #[serde(default)]
    pub started_at: String,
    /// What is being done: the first update.
    pub doing: String,
    /// When the next update comes (RFC 3339, within a week): a promise.
    pub next_update_at: String,
    /// Words a customer's message about it would use, separated by commas.
    #[serde(default)]
    pub key_words: String,
}

/// Who an incident affects, by what the desk holds on customers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SegmentRequest {
    /// The plan they are on.
    pub plan: Option<String>,
    /// Customer custom fields and the value each must hold.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
}

/// An update, or the close.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    /// What is new.
    pub body: String,
    /// When the next update comes (RFC 3339); required unless resolving.
    pub next_update_at: Option<String>,
    /// Closes the incident: the affected are told it is fixed and asked a day later whether it
    /// is for them.
    #[serde(default)]
    pub resolve: bool,
}

/// A case to link by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkRequest {
    /// The case.
    pub case_id: i64,
}

/// One reply to every open linked case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplyRequest {
    /// The reply, as each customer reads it.
    pub body: String,
}

/// What choosing customers did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Affected {
    /// Customers newly added.
    pub added: i64,
    /// Customers the incident now affects.
    pub affected: i64,
}

/// What sending did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Queued {
    /// Notices queued, one per affected customer who had not had this update.
    pub queued: i64,
}

/// What one reply reached.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Replied {
    /// The cases it was written on.
    pub case_ids: Vec<i64>,
}

/// The open incidents, then those resolved in the last fortnight.
#[utoipa::path(get, path = "/incidents", tag = "incidents",
    responses((status = 200, body = Vec<IncidentView>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<IncidentView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let since = state
        .clock
        .now()
        .plus_millis(-amends_core::incident::RESOLVED_LISTED_MILLIS);
    let incidents = state.store.incidents(since).await?;
    Ok(Json(incidents.iter().map(IncidentView::from).collect()))
}

/// Declares an incident (supervisors and admins). Nothing is sent until the affected customers
/// are chosen and the notice is sent.
#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = DeclareRequest,
    responses((status = 201, body = IncidentView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn declare(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<DeclareRequest>,
) -> Result<(StatusCode, Json<IncidentView>), AppError> {
    current.require(AgentRole::Supervisor)?;
    let raw = RawDeclaration {
        title: request.title,
        summary: request.summary,
        started_at: request.started_at,
        doing: request.doing,
        next_update_at: request.next_update_at,
        key_words: request.key_words,
    };
    let draft = IncidentDraft::parse(&raw, state.clock.now())?;
    let id = state
        .store
        .declare_incident(&draft, &current.audit(&state))
        .await?;
    let incident = state.store.incident(id).await?;
    Ok((StatusCode::CREATED, Json(IncidentView::from(&incident))))
}

/// Everything about one incident as the console shows it.
pub(crate) async fn detail(state: &AppState, id: i64) -> Result<IncidentDetail, AppError> {
    let incident = state.store.incident(id).await?;
    let counts = state.store.incident_counts(&incident).await?;
    let notices = state.store.incident_notice_counts(id).await?;
    let updates = state.store.incident_updates(id).await?;
    let linked = state.store.linked_cases(id, 200).await?;
    let answers = state.store.incident_answers(id).await?;
    Ok(IncidentDetail::new(
        &incident,
        figures(&incident, counts),
        notices,
        &updates,
        linked,
        answers,
    ))
}

/// One incident: its updates, how its notices stand, its linked cases and its figures.
#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", params(("id" = i64, Path)),
    responses((status = 200, body = IncidentDetail), (status = 404, body = crate::error::Problem)))]
pub(super) async fn show(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IncidentDetail>, AppError> {
    current.require(AgentRole::Agent)?;
    Ok(Json(detail(&state, id).await?))
}

async fn affected(state: &AppState, id: i64, added: i64) -> Result<Json<Affected>, AppError> {
    let affected = state.store.affected_count(id).await?;
    Ok(Json(Affected { added, affected }))
}

/// Adds the customers on a plan, or holding custom field values, to the affected set.
#[utoipa::path(post, path = "/incidents/{id}/customers", tag = "incidents",
    params(("id" = i64, Path)), request_body = SegmentRequest,
    responses((status = 200, body = Affected), (status = 422, body = crate::error::Problem)))]
pub(super) async fn affect_segment(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<SegmentRequest>,
) -> Result<Json<Affected>, AppError> {
    current.require(AgentRole::Supervisor)?;
    let fields: Vec<(String, String)> = request.fields.into_iter().collect();
    let segment = Segment::parse(request.plan.as_deref(), &fields)?;
    let added = state
        .store
        .affect_segment(id, &segment, &current.audit(&state))
        .await?;
    affected(&state, id, added).await
}

/// The customers a CSV list names, by an `email` or a `customer_id` column: every line is
/// checked first, and one the desk does not know refuses the whole list (422, by line).
pub(crate) async fn customers_in_list(state: &AppState, body: &[u8]) -> Result<Vec<i64>, AppError> {
    let text =
        std::str::from_utf8(body).map_err(|_| AppError::invalid("body", "must be UTF-8 text"))?;
    let all = records(text)
        .map_err(|(line, message)| AppError::invalid(&format!("line {line}"), message))?;
    let Some((head, rows)) = all.split_first() else {
        return Err(AppError::invalid(
            "body",
            "must have a header line and a customer",
        ));
    };
    if rows.is_empty() || rows.len() > MAX_IMPORTED {
        let message = format!("must name 1 to {MAX_IMPORTED} customers");
        return Err(AppError::invalid("body", message));
    }
    let column = |name: &str| {
        head.cells
            .iter()
            .position(|c| c.trim().eq_ignore_ascii_case(name))
    };
    let (by_email, at) = match (column("email"), column("customer_id")) {
        (Some(at), _) => (true, at),
        (None, Some(at)) => (false, at),
        (None, None) => {
            return Err(AppError::invalid(
                "line 1",
                "needs an email or a customer_id column",
            ))
        }
    };
    let cell = |cells: &[String]| {
        cells
            .get(at)
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    let mut wanted = Vec::with_capacity(rows.len());
    for record in rows {
        let value = cell(&record.cells);
        let parsed = if by_email {
            EmailAddress::parse("email", &value).map(|e| e.as_str().to_owned())
        } else {
            value
                .parse::<i64>()
                .map(|id| id.to_string())
                .map_err(|_| FieldError::new("customer_id", "must be a number"))
        };
        match parsed {
            Ok(value) => wanted.push((record.line, value)),
            Err(error) => {
                problems.push((record.line, format!("{} {}", error.field, error.message)))
            }
        }
    }
    let values: Vec<String> = wanted.iter().map(|(_, v)| v.clone()).collect();
    let known = if by_email {
        state.store.customers_by_email(&values).await?
    } else {
        state.store.customers_by_id(&values).await?
    };
    let mut ids = Vec::with_capacity(wanted.len());
    for (line, value) in wanted {
        match known.get(&value) {
            Some(id) => ids.push(*id),
            None => problems.push((line, format!("no customer has {value}"))),
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(problems_refused(&problems));
    }
    Ok(ids)
}

/// Adds the customers a CSV list names (`text/csv` with an `email` or a `customer_id`
/// column) to the affected set: all of them, or none when any line is wrong (422, by line).
#[utoipa::path(post, path = "/incidents/{id}/customers/import", tag = "incidents",
    params(("id" = i64, Path)), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Affected), (status = 422, body = crate::error::Problem)))]
pub(super) async fn affect_list(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Json<Affected>, AppError> {
    current.require(AgentRole::Supervisor)?;
    state.store.incident(id).await?;
    let ids = customers_in_list(&state, &body).await?;
    let added = state
        .store
        .affect_customers(id, &ids, &current.audit(&state))
        .await?;
    affected(&state, id, added).await
}

/// Adds the customers of the cases already linked to the affected set.
#[utoipa::path(post, path = "/incidents/{id}/customers/linked", tag = "incidents",
    params(("id" = i64, Path)),
    responses((status = 200, body = Affected), (status = 404, body = crate::error::Problem)))]
pub(super) async fn affect_linked(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Affected>, AppError> {
    current.require(AgentRole::Supervisor)?;
    let added = state
        .store
        .affect_linked(id, &current.audit(&state))
        .await?;
    affected(&state, id, added).await
}

/// Sends the latest update to every affected customer who has not had it: a durable notice
/// and job each, by email (customers without an address are counted as unreachable).
#[utoipa::path(post, path = "/incidents/{id}/notices", tag = "incidents",
    params(("id" = i64, Path)),
    responses((status = 202, body = Queued), (status = 404, body = crate::error::Problem)))]
pub(super) async fn send(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<Queued>), AppError> {
    current.require(AgentRole::Supervisor)?;
    let queued = state
        .store
        .send_incident_notice(id, &current.audit(&state))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

/// Posts an update and sends it to every affected customer; with `resolve`, closes the
/// incident and schedules the follow-up.
#[utoipa::path(post, path = "/incidents/{id}/updates", tag = "incidents",
    params(("id" = i64, Path)), request_body = UpdateRequest,
    responses((status = 202, body = Queued), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn update(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<UpdateRequest>,
) -> Result<(StatusCode, Json<Queued>), AppError> {
    current.require(AgentRole::Supervisor)?;
    let now = state.clock.now();
    let next = request.next_update_at.as_deref();
    let (body, next) = parse_update(&request.body, next, request.resolve, now)?;
    let posted = state
        .store
        .post_incident_update(id, &body, next, &current.audit(&state))
        .await
        .map_err(closed)?;
    let queued = posted.queued;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

fn closed(error: amends_store::StoreError) -> AppError {
    match error {
        amends_store::StoreError::Conflict { constraint } if constraint == "incident resolved" => {
            AppError::Conflict(FieldError::new(
                "status",
                "this incident is already resolved",
            ))
        }
        other => other.into(),
    }
}

/// Links a case to the incident by hand.
#[utoipa::path(post, path = "/incidents/{id}/cases", tag = "incidents",
    params(("id" = i64, Path)), request_body = LinkRequest,
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub(super) async fn link(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<LinkRequest>,
) -> Result<StatusCode, AppError> {
    current.require(AgentRole::Agent)?;
    let reason = format!("linked by {}", current.agent.name);
    let context = current.audit(&state);
    state
        .store
        .link_case(request.case_id, id, &reason, &context)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlinks a case from the incident.
#[utoipa::path(delete, path = "/incidents/{id}/cases/{case_id}", tag = "incidents",
    params(("id" = i64, Path), ("case_id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub(super) async fn unlink(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath((id, case_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    current.require(AgentRole::Agent)?;
    let context = current.audit(&state);
    state.store.unlink_case(case_id, id, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Writes one reply on every open case linked to the incident, mailed as any reply is.
#[utoipa::path(post, path = "/incidents/{id}/reply", tag = "incidents",
    params(("id" = i64, Path)), request_body = ReplyRequest,
    responses((status = 201, body = Replied), (status = 422, body = crate::error::Problem)))]
pub(super) async fn reply(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ReplyRequest>,
) -> Result<(StatusCode, Json<Replied>), AppError> {
    current.require(AgentRole::Agent)?;
    let body = parse_body("body", &request.body)?;
    let case_ids = state
        .store
        .reply_to_linked(id, &body, &current.audit(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(Replied { case_ids })))
}
