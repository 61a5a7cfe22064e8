//! Coaching an agent's draft reply as they type: the engine's findings with spans a browser
//! can use (UTF-16 code units, as JavaScript counts) beside the byte spans.

use amends_analysis::{coach, CoachContext, Coaching, Model};
use amends_core::AgentRole;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::ApiJson;
use crate::{AppError, AppState};

/// The longest draft coached, in bytes; a reply longer than this is not a reply.
pub(super) const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// A draft to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CoachRequest {
    /// The draft so far.
    pub text: String,
    /// The case it answers: its customer's name and anger, and the caller's authority, are
    /// taken into account.
    pub case_id: Option<i64>,
}

/// One thing to change in the draft.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FindingView {
    /// forbidden_promise, blame, desperation, negative_wording, missing_acknowledgement,
    /// missing_name, vague_time, over_authority, dismissive, guaranteed_outcome or take_private
    /// (a reply to a public post).
    pub kind: String,
    /// low, medium or high.
    pub severity: String,
    /// What is wrong, for the agent.
    pub message: String,
    /// The words to put in place of the span (an insertion when the span is empty).
    pub suggestion: String,
    /// Byte span in the draft.
    pub start: usize,
    /// End of the byte span.
    pub end: usize,
    /// The same span in UTF-16 code units, for a browser's text field.
    pub from: usize,
    /// End of the UTF-16 span.
    pub to: usize,
}

/// Something the draft does well.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct StrengthView {
    /// apology, empathy, ownership, next_step...
    pub kind: String,
    /// UTF-16 span start.
    pub from: usize,
    /// UTF-16 span end.
    pub to: usize,
}

/// The coaching of a draft.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CoachingView {
    /// 0 to 100.
    pub score: u8,
    /// What to change, most severe first.
    pub findings: Vec<FindingView>,
    /// What is good.
    pub strengths: Vec<StrengthView>,
    /// Whether sending it as it is should ask the agent to confirm.
    pub needs_confirmation: bool,
}

/// UTF-16 offset of each byte offset asked for, in one pass.
fn utf16_offset(text: &str, byte: usize) -> usize {
    let byte = byte.min(text.len());
    let mut cut = byte;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].encode_utf16().count()
}

fn label<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The view of `coaching` for `text`.
/// What the coach knows of a draft: the writer's authority and, on a case, its customer's
/// name, their anger and whether they wrote in public.
pub(super) fn coach_context(
    agent: &amends_core::Agent,
    case: Option<(&amends_core::Case, String)>,
) -> CoachContext {
    let mut context = CoachContext {
        authority_limit: Some(agent.authority_limit_minor as f64 / 100.0),
        ..CoachContext::default()
    };
    if let Some((case, name)) = case {
        context.customer_name = Some(name);
        context.customer_anger = Some(case.anger_permille as f32 / 1000.0);
        context.public_post = case.public_post;
    }
    context
}

pub(super) fn coaching_view(text: &str, coaching: Coaching) -> CoachingView {
    CoachingView {
        score: coaching.score,
        needs_confirmation: coaching.needs_confirmation,
        findings: coaching
            .findings
            .into_iter()
            .map(|f| FindingView {
                kind: label(&f.kind),
                severity: label(&f.severity),
                from: utf16_offset(text, f.start),
                to: utf16_offset(text, f.end),
                start: f.start,
                end: f.end,
                message: f.message,
                suggestion: f.suggestion,
            })
            .collect(),
        strengths: coaching
            .strengths
            .into_iter()
            .map(|s| StrengthView {
                from: utf16_offset(text, s.start),
                to: utf16_offset(text, s.end),
                kind: s.kind,
            })
            .collect(),
    }
}

/// Checks a draft reply: forbidden promises, blame, desperation, negative wording, a missing
/// apology or name, vague times and compensation beyond the caller's authority.
#[utoipa::path(post, path = "/coach", tag = "cases", request_body = CoachRequest,
    responses((status = 200, body = CoachingView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn coach_draft(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CoachRequest>,
) -> Result<Json<CoachingView>, AppError> {
    current.require(AgentRole::Agent)?;
    if request.text.len() > MAX_DRAFT_BYTES {
        return Err(AppError::invalid("text", "is longer than 64 KiB"));
    }
    let context = match request.case_id {
        Some(case_id) => {
            current.require_case(&state, case_id).await?;
            let case = state.store.case(case_id).await?;
            let name = state.store.customer_name_of_case(case_id).await?;
            coach_context(&current.agent, Some((&case, name)))
        }
        None => coach_context(&current.agent, None),
    };
    let coaching = coach(&request.text, &context, Model::english());
    Ok(Json(coaching_view(&request.text, coaching)))
}
