//! Email over HTTP: mail handed in by an MTA pipe or a provider's webhook, the intake log and
//! its quarantine, the mail a notice went out as, and attachments.

use amends_core::AgentRole;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::CurrentAgent;
use crate::extract::{ApiMail, ApiPath, ApiQuery};
use crate::mailroom::HTTP_SOURCE;
use crate::wire::{all, AttachmentView, InboundMailView, IntakeView};
use crate::{AppError, AppState};

/// Takes in one raw mail (`Content-Type: message/rfc822`): filed under its case or a new one,
/// ignored when no person wrote it (auto-reply, bounce, list), or quarantined whole when it
/// cannot be read. Answers 202 with what happened and the case it was filed under.
#[utoipa::path(post, path = "/inbound/email", tag = "mail",
    request_body(content = serde_json::Value, content_type = "message/rfc822",
        description = "the raw mail (RFC 5322), as received: any bytes are taken, and what cannot be read is quarantined whole"),
    responses((status = 202, body = IntakeView, description = "what became of the mail"),
              (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem)))]
pub(super) async fn take_in_mail(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiMail(raw): ApiMail,
) -> Result<(StatusCode, Json<IntakeView>), AppError> {
    current.require(AgentRole::Agent)?;
    let intake =
        crate::mailroom::take_in(&state, &raw, HTTP_SOURCE, &current.audit(&state)).await?;
    Ok((StatusCode::ACCEPTED, Json(intake.into())))
}

/// Which lines of the intake log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct IntakeQuery {
    /// filed, ignored or quarantined.
    pub outcome: Option<String>,
}

/// The intake log, newest first: every mail taken in, or those with one outcome
/// (`?outcome=quarantined` is the quarantine).
#[utoipa::path(get, path = "/mail/intake", tag = "mail", params(IntakeQuery),
    responses((status = 200, body = Vec<InboundMailView>)))]
pub(super) async fn intake_log(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<IntakeQuery>,
) -> Result<Json<Vec<InboundMailView>>, AppError> {
    current.require(AgentRole::Supervisor)?;
    let outcome = query.outcome.as_deref();
    if outcome.is_some_and(|o| !matches!(o, "filed" | "ignored" | "quarantined")) {
        return Err(AppError::invalid(
            "outcome",
            "must be one of filed, ignored, quarantined",
        ));
    }
    Ok(Json(all(state.store.inbound_mails(outcome, 200).await?)))
}

/// A quarantined mail, whole, as it arrived.
#[utoipa::path(get, path = "/mail/intake/{id}/raw", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, content_type = "message/rfc822", body = Vec<u8>),
              (status = 404, body = crate::error::Problem)))]
pub(super) async fn quarantined_raw(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    current.require(AgentRole::Supervisor)?;
    let raw = state.store.kept_mail(id).await?;
    Ok(download(raw, "message/rfc822", &format!("mail-{id}.eml")))
}

/// The whole mail a notice went out as (or is kept as, in the local outbox).
#[utoipa::path(get, path = "/notices/{id}/mail", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, content_type = "message/rfc822", body = Vec<u8>),
              (status = 404, body = crate::error::Problem)))]
pub(super) async fn notice_mail(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    current.require(AgentRole::Agent)?;
    let mail = state.store.notice_mail(id).await?;
    Ok(download(
        mail.into_bytes(),
        "message/rfc822",
        &format!("notice-{id}.eml"),
    ))
}

/// The attachments of a case's messages (without their bytes).
#[utoipa::path(get, path = "/cases/{id}/attachments", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>)))]
pub(super) async fn case_attachments(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AttachmentView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.case(id).await?;
    Ok(Json(all(state.store.case_attachments(id).await?)))
}

/// One attachment's bytes, always as a download (never shown inline by the browser).
#[utoipa::path(get, path = "/attachments/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 404, body = crate::error::Problem)))]
pub(super) async fn attachment(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    current.require(AgentRole::Agent)?;
    let (_case, info, content) = state.store.attachment_content(id).await?;
    let name = info.name.unwrap_or_else(|| format!("attachment-{id}"));
    Ok(download(content, "application/octet-stream", &name))
}

/// Bytes as a download, with a file name safe to put in a header.
fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CONTENT_DISPOSITION, disposition),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response()
}
