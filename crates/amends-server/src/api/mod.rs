//! The JSON API under `/api/v1`: every route in one table, and the OpenAPI document built
//! from the handlers' annotations.

mod accounts;
mod cases;
mod coaching;
mod contract;
mod customers;
mod jobs;
mod mail;
mod plans;
mod recovery;
mod team;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use base64::Engine;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use accounts::new_agent;
pub(crate) use cases::{read_queue, QueueQuery};

use crate::{AppError, AppState};
use contract::ProblemResponses;

/// Every API route.
pub fn routes(max_mail_bytes: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/inbound/email",
            post(mail::take_in_mail).layer(DefaultBodyLimit::max(max_mail_bytes)),
        )
        .route(
            "/session",
            post(accounts::sign_in)
                .get(accounts::current_session)
                .delete(accounts::sign_out),
        )
        .route(
            "/session/password",
            axum::routing::put(team::change_password),
        )
        .route(
            "/agents",
            post(accounts::create_agent).get(accounts::list_agents),
        )
        .route("/agents/{id}", patch(team::change_agent))
        .route("/agents/{id}/sessions", delete(team::end_sessions))
        .route(
            "/tokens",
            post(accounts::create_token).get(accounts::list_tokens),
        )
        .route("/tokens/{id}", delete(accounts::revoke_token))
        .route("/cases", post(cases::open_case))
        .route(
            "/cases/{id}",
            get(cases::get_case).patch(cases::change_case),
        )
        .route("/cases/{id}/messages", post(cases::add_message))
        .route("/cases/{id}/reminders", post(cases::schedule_reminder))
        .route("/cases/{id}/audit", get(cases::case_audit))
        .route("/queue", get(cases::queue_page))
        .route("/coach", post(coaching::coach_draft))
        .route(
            "/customers",
            post(customers::create_customer).get(customers::list_customers),
        )
        .route("/customers/{id}", get(customers::get_customer))
        .route("/jobs", get(jobs::list_jobs))
        .route("/cases/{id}/facts", post(recovery::add_fact))
        .route("/facts/{id}", patch(recovery::change_fact))
        .route(
            "/cases/{id}/expectation",
            axum::routing::put(recovery::set_case_expectation),
        )
        .route("/cases/{id}/promises", post(recovery::make_promise))
        .route("/promises/{id}/keep", post(recovery::keep_promise))
        .route("/promises/{id}/extend", post(recovery::extend_promise))
        .route(
            "/cases/{id}/compensation",
            post(recovery::grant_compensation).get(recovery::case_compensation),
        )
        .route("/approvals", get(recovery::approvals))
        .route(
            "/compensation/{id}/decision",
            post(recovery::decide_compensation),
        )
        .route("/customers/{id}/standing", get(recovery::customer_standing))
        .route(
            "/customers/{id}/compensation",
            get(recovery::customer_compensation),
        )
        .route(
            "/cases/{id}/win-back",
            post(recovery::flag_win_back).put(recovery::record_win_back_outcome),
        )
        .route("/cases/{id}/abuse-policy", post(recovery::take_abuse_step))
        .route("/notifications", get(recovery::notifications))
        .route("/notices", get(recovery::notices))
        .route("/notices/{id}/mail", get(mail::notice_mail))
        .route("/mail/intake", get(mail::intake_log))
        .route("/mail/intake/{id}/raw", get(mail::quarantined_raw))
        .route("/cases/{id}/attachments", get(mail::case_attachments))
        .route("/attachments/{id}", get(mail::attachment))
        .route("/stats", get(recovery::stats))
        .route(
            "/cases/{id}/plan",
            get(plans::get_plan).put(plans::set_plan),
        )
        .route("/plan-steps/{id}/done", post(plans::complete_step))
        .route("/cases/{id}/summary/draft", get(plans::draft))
        .route("/cases/{id}/summary", post(plans::send))
        .route(
            "/public/plans/{token}",
            get(plans::public_plan).post(plans::answer_plan),
        )
        .route(
            "/public/summaries/{token}",
            get(plans::public_summary).post(plans::answer_summary),
        )
        .route(
            "/public/surveys/{token}",
            get(recovery::get_survey).post(recovery::answer_survey),
        )
        .route("/openapi.json", get(|| async { Json(openapi_document()) }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Amends", description = "The service-recovery desk's API. Errors are RFC 9457 problem+json."),
    servers((url = "/api/v1")),
    paths(
        accounts::sign_in, accounts::current_session, accounts::sign_out,
        accounts::create_agent, accounts::list_agents,
        accounts::create_token, accounts::list_tokens, accounts::revoke_token,
        team::change_agent, team::end_sessions, team::change_password,
        cases::open_case, cases::get_case, cases::change_case, cases::add_message,
        cases::schedule_reminder, cases::case_audit, cases::queue_page, coaching::coach_draft,
        customers::create_customer, customers::get_customer, customers::list_customers,
        jobs::list_jobs,
        recovery::add_fact, recovery::change_fact, recovery::set_case_expectation,
        recovery::make_promise, recovery::keep_promise, recovery::extend_promise,
        recovery::grant_compensation, recovery::case_compensation, recovery::approvals,
        recovery::decide_compensation, recovery::customer_standing, recovery::customer_compensation, recovery::flag_win_back,
        recovery::record_win_back_outcome, recovery::take_abuse_step, recovery::notifications,
        recovery::notices, recovery::stats, recovery::get_survey, recovery::answer_survey,
        plans::set_plan, plans::get_plan, plans::complete_step, plans::draft, plans::send,
        plans::public_plan, plans::answer_plan, plans::public_summary, plans::answer_summary,
        mail::take_in_mail, mail::intake_log, mail::quarantined_raw, mail::notice_mail,
        mail::case_attachments, mail::attachment,
    ),
    modifiers(&Security, &ProblemResponses),
    components(schemas(crate::error::Problem)),
    security(("bearer" = []), ("session" = [])),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::accounts::SESSION_COOKIE,
            ))),
        );
    }
}

/// The OpenAPI document of the API.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Ready when the database answers.
pub async fn ready(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state.store.ping().await?;
    Ok("ready")
}

/// Unknown paths answer problem+json too.
pub async fn not_found() -> AppError {
    AppError::NotFound("route")
}

/// An email address the desk can write to: the core's rule (one normal form, so the same
/// person is found again) and the sender's own parser (so an address taken here never fails
/// only when the first notice goes out, like `a>,evil@evil.test`).
pub(crate) fn parse_email(
    field: &str,
    raw: &str,
) -> Result<amends_core::EmailAddress, amends_core::FieldError> {
    let email = amends_core::EmailAddress::parse(field, raw)?;
    if !amends_mail::can_be_mailed(email.as_str()) {
        return Err(amends_core::FieldError::new(
            field,
            "must be an address mail can be sent to, like name@example.com",
        ));
    }
    Ok(email)
}

/// Page sizes: 1 to 200, default 50.
fn page_limit(limit: Option<i64>) -> Result<i64, AppError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid("limit", "must be between 1 and 200")),
    }
}

/// Opaque page cursors: integers joined with dots, base64url-encoded.
struct Cursor;

impl Cursor {
    fn encode(parts: &[i64]) -> String {
        let text: Vec<String> = parts.iter().map(i64::to_string).collect();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.join("."))
    }

    fn decode(raw: &str, count: usize) -> Result<Vec<i64>, AppError> {
        let bad = || AppError::invalid("cursor", "is not a cursor this server gave out");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let parts: Vec<i64> = text
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        if parts.len() == count {
            Ok(parts)
        } else {
            Err(bad())
        }
    }
}
