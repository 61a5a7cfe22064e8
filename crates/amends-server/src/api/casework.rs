//! The recovery protocol over HTTP: facts, what the customer expects, promises, win-back, the abuse policy, the follow-up survey (public, by signed link), notifications,
//! the outbox of notices and the figures.

use amends_core::case::{record_win_back, set_expectation, Expectation, ResolutionKind, WinBack};
use amends_core::promise::{NewPromise, PromiseKind};
use amends_core::protocol::{self, FactSource, SurveyAnswer};
use amends_core::{AgentRole, FieldError, Timestamp};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::links::Purpose;
use crate::wire::{all, CaseView, FactView, FiguresView, MessageView};
use crate::wire::{NoticeView, NotificationView, PromiseView};
use crate::{AppError, AppState};

fn parse_time(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, FieldError> {
    raw.map(|text| {
        Timestamp::parse_rfc3339(text).ok_or_else(|| {
            FieldError::new(
                field,
                "must be an RFC 3339 date-time like 2026-11-23T15:00:00Z",
            )
        })
    })
    .transpose()
}

/// A fact gathered from the customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewFactRequest {
    /// The fact, in words that can be read back.
    pub text: String,
    /// customer_said (default), agent_verified or system_record.
    pub source: Option<String>,
}

/// Notes a fact on a case.
#[utoipa::path(post, path = "/cases/{id}/facts", tag = "recovery", params(("id" = i64, Path)),
    request_body = NewFactRequest, responses((status = 201, body = FactView)))]
pub(super) async fn add_fact(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewFactRequest>,
) -> Result<(StatusCode, Json<FactView>), AppError> {
    current.require(AgentRole::Agent)?;
    let source = match request.source.as_deref() {
        None => FactSource::CustomerSaid,
        Some(raw) => FactSource::parse(raw).ok_or_else(|| {
            FieldError::new(
                "source",
                "must be customer_said, agent_verified or system_record",
            )
        })?,
    };
    let fact = state
        .store
        .add_fact(id, &request.text, source, &current.audit(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(fact.into())))
}

/// A change to a fact: new wording, or the customer's answer when it was read back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FactChangeRequest {
    /// The corrected wording (the old one stays in the audit trail).
    pub text: Option<String>,
    /// Set when the fact was read back: whether the customer confirmed it.
    pub confirmed: Option<bool>,
}

/// Corrects a fact, or records that it was read back and whether the customer confirmed it.
#[utoipa::path(patch, path = "/facts/{id}", tag = "recovery", params(("id" = i64, Path)),
    request_body = FactChangeRequest, responses((status = 200, body = FactView)))]
pub(super) async fn change_fact(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<FactChangeRequest>,
) -> Result<Json<FactView>, AppError> {
    current.require(AgentRole::Agent)?;
    let context = current.audit(&state);
    let now = context.at;
    let fact = match (request.text, request.confirmed) {
        (Some(text), None) => {
            state
                .store
                .update_fact(id, &context, |fact| {
                    protocol::correct_fact(fact, &text, now)
                })
                .await?
        }
        (None, Some(confirmed)) => {
            state
                .store
                .update_fact(id, &context, |fact| {
                    Ok(protocol::read_back_fact(fact, confirmed, now))
                })
                .await?
        }
        _ => {
            return Err(AppError::invalid(
                "text",
                "give either the corrected text or whether the customer confirmed it",
            ))
        }
    };
    Ok(Json(fact.into()))
}

/// What the customer asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ExpectationRequest {
    /// refund, replacement, repair, credit, apology, call_back, cancel or other.
    #[schema(pattern = "^(refund|replacement|repair|credit|apology|call_back|cancel|other)$")]
    pub kind: String,
    /// In their words.
    pub words: String,
    /// Whether the agreed solution meets it, once one is agreed.
    pub met_by_solution: Option<bool>,
}

/// Records what the customer expects and whether the agreed solution meets it.
#[utoipa::path(put, path = "/cases/{id}/expectation", tag = "recovery",
    params(("id" = i64, Path)), request_body = ExpectationRequest,
    responses((status = 200, body = CaseView)))]
pub(super) async fn set_case_expectation(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ExpectationRequest>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let kind = ResolutionKind::parse(&request.kind).ok_or_else(|| {
        FieldError::new(
            "kind",
            "must be refund, replacement, repair, credit, apology, call_back, cancel or other",
        )
    })?;
    let words = amends_core::field::bounded_text("words", &request.words, 2000, true)?;
    let expectation = Expectation {
        kind,
        words,
        met_by_solution: request.met_by_solution,
    };
    let context = current.audit(&state);
    let now = context.at;
    let case = state
        .store
        .update_case(id, &context, |case| {
            let (next, event) = set_expectation(case, expectation, now);
            Ok((next, vec![event]))
        })
        .await?;
    Ok(Json(CaseView::from(case)))
}

/// A promise to the customer. It needs a concrete time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewPromiseRequest {
    /// call_back, update, action_step, refund or other.
    #[schema(pattern = "^(call_back|update|action_step|refund|other)$")]
    pub kind: String,
    /// In the words the customer heard.
    pub description: String,
    /// When, RFC 3339: required, "soon" is not a time.
    pub due_at: Option<String>,
    /// Who keeps it; the agent making it when absent.
    pub owner_id: Option<i64>,
}

/// Makes a promise on a case; its owner is reminded ahead of time and it breaks if not kept.
#[utoipa::path(post, path = "/cases/{id}/promises", tag = "recovery", params(("id" = i64, Path)),
    request_body = NewPromiseRequest, responses((status = 201, body = PromiseView),
    (status = 422, body = crate::error::Problem)))]
pub(super) async fn make_promise(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewPromiseRequest>,
) -> Result<(StatusCode, Json<PromiseView>), AppError> {
    current.require(AgentRole::Agent)?;
    let kind = PromiseKind::parse(&request.kind).ok_or_else(|| {
        FieldError::new(
            "kind",
            "must be call_back, update, action_step, refund or other",
        )
    })?;
    let due_at = parse_time("due_at", request.due_at.as_deref())?;
    let owner = request.owner_id.unwrap_or(current.agent.id);
    let context = current.audit(&state);
    let new = NewPromise::parse(kind, &request.description, owner, due_at, context.at)?;
    let promise = state.store.make_promise(id, &new, &context).await?;
    Ok((StatusCode::CREATED, Json(promise.into())))
}

/// Marks a promise kept.
#[utoipa::path(post, path = "/promises/{id}/keep", tag = "recovery", params(("id" = i64, Path)),
    responses((status = 200, body = PromiseView)))]
pub(super) async fn keep_promise(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PromiseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let kept = state.store.keep_promise(id, &current.audit(&state)).await?;
    Ok(Json(kept.into()))
}

/// An extension: a later time, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtendRequest {
    /// The new time, RFC 3339.
    pub due_at: String,
    /// Why, as the customer will read it.
    pub reason: String,
}

/// Extends a promise before its due time; the customer is told.
#[utoipa::path(post, path = "/promises/{id}/extend", tag = "recovery",
    params(("id" = i64, Path)), request_body = ExtendRequest,
    responses((status = 200, body = PromiseView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn extend_promise(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ExtendRequest>,
) -> Result<Json<PromiseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let due_at = parse_time("due_at", Some(&request.due_at))?
        .ok_or_else(|| FieldError::new("due_at", "is required"))?;
    let moved = state
        .store
        .extend_promise(id, due_at, &request.reason, &current.audit(&state))
        .await?;
    Ok(Json(moved.into()))
}

/// Marks the customer as threatening to leave: the case is flagged for win-back.
#[utoipa::path(post, path = "/cases/{id}/win-back", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 200, body = CaseView)))]
pub(super) async fn flag_win_back(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let case = state
        .store
        .mark_churn_threat(id, &current.audit(&state))
        .await?;
    Ok(Json(CaseView::from(case)))
}

/// How a win-back ended.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WinBackRequest {
    /// stayed, left or undecided.
    #[schema(pattern = "^(stayed|left|undecided)$")]
    pub outcome: String,
}

/// Records how a win-back ended.
#[utoipa::path(put, path = "/cases/{id}/win-back", tag = "recovery",
    params(("id" = i64, Path)), request_body = WinBackRequest,
    responses((status = 200, body = CaseView)))]
pub(super) async fn record_win_back_outcome(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<WinBackRequest>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let outcome = WinBack::parse(&request.outcome)
        .ok_or_else(|| FieldError::new("outcome", "must be stayed, left or undecided"))?;
    let context = current.audit(&state);
    let now = context.at;
    let case = state
        .store
        .update_case(id, &context, |case| {
            let (next, event) = record_win_back(case, outcome, now)?;
            Ok((next, vec![event]))
        })
        .await?;
    Ok(Json(CaseView::from(case)))
}

/// The step of the abuse policy just taken.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AbuseStepView {
    /// The step's name.
    pub step: String,
    /// Whether it ended the contact (the case went to a supervisor).
    pub ends_contact: bool,
    /// The scripted words, as recorded on the case.
    pub message: MessageView,
}

/// Takes the next step of the abuse policy on a case, in one action.
#[utoipa::path(post, path = "/cases/{id}/abuse-policy", tag = "recovery",
    params(("id" = i64, Path)), responses((status = 201, body = AbuseStepView)))]
pub(super) async fn take_abuse_step(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<AbuseStepView>), AppError> {
    current.require(AgentRole::Agent)?;
    let (step, message) = state
        .store
        .take_abuse_step(
            id,
            &state.settings.abuse_policy,
            current.agent.id,
            &current.audit(&state),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AbuseStepView {
            step: step.name,
            ends_contact: step.ends_contact,
            message: MessageView::from(message),
        }),
    ))
}

/// The signed-in agent's latest notifications.
#[utoipa::path(get, path = "/notifications", tag = "recovery",
    responses((status = 200, body = Vec<NotificationView>)))]
pub(super) async fn notifications(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<NotificationView>>, AppError> {
    current.require(AgentRole::Agent)?;
    Ok(Json(all(state
        .store
        .notifications(current.agent.id, 100)
        .await?)))
}

/// Filter for the outbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct NoticeQuery {
    /// Only this case's notices.
    pub case_id: Option<i64>,
}

/// Notices to customers, newest first (the outbox).
#[utoipa::path(get, path = "/notices", tag = "recovery", params(NoticeQuery),
    responses((status = 200, body = Vec<NoticeView>)))]
pub(super) async fn notices(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> Result<Json<Vec<NoticeView>>, AppError> {
    current.require(AgentRole::Agent)?;
    if let Some(case_id) = query.case_id {
        current.require_case(&state, case_id).await?;
    }
    let notices = state
        .store
        .notices(query.case_id, current.agent.sight(), 200)
        .await?;
    Ok(Json(all(notices)))
}

/// The range of the figures.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct StatsQuery {
    /// Start, RFC 3339 (default: 30 days before `to`).
    pub from: Option<String>,
    /// End, RFC 3339, excluded (default: now, included).
    pub to: Option<String>,
}

/// The desk's figures over a date range.
#[utoipa::path(get, path = "/stats", tag = "recovery", params(StatsQuery),
    responses((status = 200, body = FiguresView)))]
pub(super) async fn stats(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<FiguresView>, AppError> {
    current.require(AgentRole::Agent)?;
    let to =
        parse_time("to", query.to.as_deref())?.unwrap_or_else(|| state.clock.now().plus_millis(1));
    let from = parse_time("from", query.from.as_deref())?
        .unwrap_or_else(|| to.plus_millis(-30 * 86_400_000));
    if from >= to {
        return Err(AppError::invalid("from", "must be before to"));
    }
    Ok(Json(state.store.figures(from, to).await?.into()))
}

/// What the customer sees of their survey.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SurveyView {
    /// The case asked about.
    pub case_id: i64,
    /// What it was about.
    pub subject: String,
    /// Whether they already answered.
    pub answered: bool,
}

/// The survey behind a signed link (no sign-in).
#[utoipa::path(get, path = "/public/surveys/{token}", tag = "customer",
    params(("token" = String, Path)), responses((status = 200, body = SurveyView),
    (status = 404, body = crate::error::Problem)), security(()))]
pub(super) async fn get_survey(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<SurveyView>, AppError> {
    let (case, survey) = state.survey_behind_link(&token).await?;
    Ok(Json(SurveyView {
        case_id: case.id,
        subject: case.subject,
        answered: survey.answer.is_some(),
    }))
}

/// The customer's answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SurveyAnswerRequest {
    /// 1 (very unhappy) to 5 (very happy).
    pub score: i64,
    /// Whether the problem is solved.
    pub solved: bool,
    /// Anything they want to add.
    pub comment: Option<String>,
}

/// Answers the survey behind a signed link (no sign-in). A low score or "not solved" reopens
/// the case at the top of the queue.
#[utoipa::path(post, path = "/public/surveys/{token}", tag = "customer",
    params(("token" = String, Path)), request_body = SurveyAnswerRequest,
    responses((status = 200, body = SurveyView), (status = 404, body = crate::error::Problem)),
    security(()))]
pub(super) async fn answer_survey(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(request): ApiJson<SurveyAnswerRequest>,
) -> Result<Json<SurveyView>, AppError> {
    let case_id = state.case_behind_link(&token, Purpose::Survey)?;
    let answer = SurveyAnswer::parse(request.score, request.solved, request.comment.as_deref())?;
    let context = amends_core::audit::AuditContext {
        actor: amends_core::audit::Actor::Customer,
        at: state.clock.now(),
        remote_addr: None,
    };
    let case = state
        .store
        .answer_survey(case_id, &answer, &context)
        .await?;
    Ok(Json(SurveyView {
        case_id,
        subject: case.subject,
        answered: true,
    }))
}
