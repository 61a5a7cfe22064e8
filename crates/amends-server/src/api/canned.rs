//! Canned replies: written by supervisors, coached when written, used by any agent on a case
//! (its variables filled, its actions taken, the use counted).

use amends_analysis::{coach, CoachContext, Model};
use amends_core::canned::{
    canned_event, case_change, field_of, render, variables, CannedActions, CannedAudit,
    CannedReply, Filling, NewCannedReply,
};
use amends_core::case::apply_change;
use amends_core::custom_field::FieldOwner;
use amends_core::tag::{parse_tags, tags_added};
use amends_core::{AgentRole, CaseStatus, FieldError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::coaching::{coaching_view, CoachingView};
use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::wire::CaseView;
use crate::{AppError, AppState};

/// A canned reply as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CannedRequest {
    /// Its name, unique on the desk (1 to 100 characters).
    pub name: String,
    /// Its text. Variables: {{customer.name}}, {{customer.first_name}}, {{case.id}},
    /// {{case.subject}}, {{agent.name}}, {{agent.first_name}}, and {{case.fields.KEY}} or
    /// {{customer.fields.KEY}} for a custom field the desk defines.
    pub body: String,
    /// The status the case moves to when it is used.
    pub set_status: Option<String>,
    /// Tags added to the case when it is used.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Whether the agent using it takes the case.
    #[serde(default)]
    pub take_case: bool,
}

impl CannedRequest {
    fn parse(&self) -> Result<NewCannedReply, FieldError> {
        let status = self
            .set_status
            .as_deref()
            .map(|s| super::cases::parse_status("set_status", s))
            .transpose()?;
        let actions = CannedActions {
            status,
            add_tags: parse_tags("add_tags", &self.add_tags)?,
            take_case: self.take_case,
        };
        NewCannedReply::parse(&self.name, &self.body, actions)
    }
}

/// A canned reply.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CannedReplyView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its text, with variables.
    pub body: String,
    /// The status the case moves to when it is used.
    pub set_status: Option<&'static str>,
    /// Tags added to the case when it is used.
    pub add_tags: Vec<String>,
    /// Whether the agent using it takes the case.
    pub take_case: bool,
    /// How many times it has been used.
    pub uses: i64,
}

impl From<CannedReply> for CannedReplyView {
    fn from(reply: CannedReply) -> Self {
        CannedReplyView {
            id: reply.id,
            name: reply.name,
            body: reply.body,
            set_status: reply.actions.status.map(CaseStatus::as_str),
            add_tags: reply
                .actions
                .add_tags
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            take_case: reply.actions.take_case,
            uses: reply.uses,
        }
    }
}

/// A canned reply just written, with the coaching of its text (variables filled with example
/// values), so a reply promising what no one can keep is caught when written, not when used.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CannedWritten {
    /// The reply.
    pub reply: CannedReplyView,
    /// The coaching of its text.
    pub coaching: CoachingView,
}

/// Refuses a reply naming a custom field the desk does not define.
async fn check_fields(state: &AppState, reply: &NewCannedReply) -> Result<(), AppError> {
    let defined = state.store.fields().await?;
    for (_, _, variable) in variables(&reply.body) {
        if let Some((owner, key)) = field_of(variable) {
            if !defined.iter().any(|f| f.owner == owner && f.key == key) {
                return Err(AppError::invalid(
                    "body",
                    format!("uses {{{{{variable}}}}}, but the desk has no such custom field"),
                ));
            }
        }
    }
    Ok(())
}

fn written(reply: CannedReply) -> CannedWritten {
    let text = render(&reply.body, &Filling::example());
    let coaching = coach(&text, &CoachContext::default(), Model::english());
    CannedWritten {
        coaching: coaching_view(&text, coaching),
        reply: reply.into(),
    }
}

/// Every canned reply, by name, with how often each was used.
#[utoipa::path(get, path = "/canned-replies", tag = "canned replies",
    responses((status = 200, body = Vec<CannedReplyView>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<CannedReplyView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let replies = state.store.canned_replies().await?;
    Ok(Json(
        replies.into_iter().map(CannedReplyView::from).collect(),
    ))
}

/// Writes a canned reply (supervisors and admins), answered with its coaching.
#[utoipa::path(post, path = "/canned-replies", tag = "canned replies", request_body = CannedRequest,
    responses((status = 201, body = CannedWritten), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn create(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CannedRequest>,
) -> Result<(StatusCode, Json<CannedWritten>), AppError> {
    current.require(AgentRole::Supervisor)?;
    let reply = request.parse()?;
    check_fields(&state, &reply).await?;
    let name = reply.name.clone();
    let created = state
        .store
        .create_canned_reply(&reply, &current.audit(&state), |id| {
            canned_event(CannedAudit::Written, id, &name)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(written(created))))
}

/// Rewrites a canned reply (supervisors and admins), answered with its coaching.
#[utoipa::path(put, path = "/canned-replies/{id}", tag = "canned replies",
    params(("id" = i64, Path)), request_body = CannedRequest,
    responses((status = 200, body = CannedWritten), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn change(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<CannedRequest>,
) -> Result<Json<CannedWritten>, AppError> {
    current.require(AgentRole::Supervisor)?;
    let reply = request.parse()?;
    check_fields(&state, &reply).await?;
    let event = canned_event(CannedAudit::Changed, id, &reply.name);
    let changed = state
        .store
        .change_canned_reply(id, &reply, &current.audit(&state), event)
        .await?;
    Ok(Json(written(changed)))
}

/// Removes a canned reply (supervisors and admins).
#[utoipa::path(delete, path = "/canned-replies/{id}", tag = "canned replies",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub(super) async fn remove(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    current.require(AgentRole::Supervisor)?;
    state
        .store
        .remove_canned_reply(id, &current.audit(&state), |reply| {
            canned_event(CannedAudit::Removed, id, &reply.name)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A canned reply used on a case.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CannedUsed {
    /// Its text for this case, variables filled, for the composer.
    pub body: String,
    /// The coaching of that text for this case's customer.
    pub coaching: CoachingView,
    /// The case after the reply's actions.
    pub case: CaseView,
    /// The case's tags after them.
    pub tags: Vec<String>,
}

/// Uses a canned reply on a case: answers its text with the case's values filled in and its
/// coaching, takes its actions (status, tags, taking the case, each audited) and counts the use.
/// The text is not sent: the agent reads it in the composer first.
#[utoipa::path(post, path = "/cases/{case_id}/canned-replies/{id}", tag = "canned replies",
    params(("case_id" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = CannedUsed), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn use_on_case(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath((case_id, id)): ApiPath<(i64, i64)>,
) -> Result<Json<CannedUsed>, AppError> {
    current.require(AgentRole::Agent)?;
    let reply = state.store.canned_reply(id).await?;
    let customer_name = state.store.customer_name_of_case(case_id).await?;
    let context = current.audit(&state);
    let change = case_change(&reply.actions, current.agent.id);
    let now = context.at;
    let (case, tags) = state
        .store
        .use_canned_reply(
            id,
            case_id,
            &context,
            |case| apply_change(case, &change, now),
            |before| tags_added(case_id, before, &reply.actions.add_tags),
        )
        .await?;
    let defined = state.store.fields().await?;
    let mut values = Vec::new();
    for (owner, id) in [
        (FieldOwner::Case, case_id),
        (FieldOwner::Customer, case.customer_id),
    ] {
        for (field_id, value) in state.store.field_values(owner, id).await? {
            if let Some(field) = defined.iter().find(|f| f.id == field_id) {
                values.push((owner, field.key.clone(), value));
            }
        }
    }
    let body = render(
        &reply.body,
        &Filling {
            customer_name: &customer_name,
            case_id,
            case_subject: &case.subject,
            agent_name: &current.agent.name,
            fields: values
                .iter()
                .map(|(o, k, v)| (*o, k.as_str(), v.as_str()))
                .collect(),
        },
    );
    let coach_context =
        super::coaching::coach_context(&current.agent, Some((&case, customer_name.clone())));
    let coaching = coaching_view(&body, coach(&body, &coach_context, Model::english()));
    Ok(Json(CannedUsed {
        body,
        coaching,
        tags: tags.iter().map(|t| t.as_str().to_owned()).collect(),
        case: CaseView::from(case),
    }))
}
