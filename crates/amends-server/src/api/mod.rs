//! The JSON API under `/api/v1`: every route in one list, from which both the router and the
//! OpenAPI document are built.

mod accounts;
mod articles;
mod bulk;
mod canned;
mod cases;
mod casework;
mod chats;
mod coaching;
mod contract;
mod customers;
mod data_rights;
mod export;
mod fields;
mod imports;
mod incidents;
mod jobs;
mod ledger;
mod mail_log;
mod merges;
mod plans;
mod presence;
mod search;
mod security;
mod tags;
mod team;
mod views;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use accounts::new_agent;
pub(crate) use cases::{read_queue, read_queue_count, QueueQuery};
pub(crate) use chats::waiting_and_mine;
pub(crate) use fields::field_map;
pub(crate) use search::{run_search, SearchRequest};
pub(crate) use views::views_of;

use crate::{AppError, AppState};
use contract::ProblemResponses;
pub(crate) use incidents::detail as incident_detail;

/// Every API route with its OpenAPI description, written once: a handler's `#[utoipa::path]`
/// gives both its place in the router and its entry in the document.
fn documented(max_mail_bytes: usize) -> OpenApiRouter<AppState> {
    let intake_limit = DefaultBodyLimit::max(max_mail_bytes);
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(mail_log::take_in_mail).layer(intake_limit))
        .routes(routes!(
            accounts::sign_in,
            accounts::current_session,
            accounts::sign_out
        ))
        .routes(routes!(team::change_password))
        .routes(routes!(accounts::create_agent, accounts::list_agents))
        .routes(routes!(team::change_agent))
        .routes(routes!(team::end_sessions))
        .routes(routes!(accounts::create_token, accounts::list_tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(cases::open_case))
        .routes(routes!(cases::get_case, cases::change_case))
        .routes(routes!(cases::add_message))
        .routes(routes!(cases::schedule_reminder))
        .routes(routes!(cases::case_audit))
        .routes(routes!(cases::queue_page))
        .routes(routes!(coaching::coach_draft))
        .routes(routes!(fields::set_case_fields))
        .routes(routes!(fields::set_customer_fields))
        .routes(routes!(
            customers::create_customer,
            customers::list_customers
        ))
        .routes(routes!(customers::get_customer))
        .routes(routes!(data_rights::erase_customer))
        .routes(routes!(data_rights::export_customer))
        .routes(routes!(
            data_rights::get_retention,
            data_rights::set_retention
        ))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(casework::add_fact))
        .routes(routes!(casework::change_fact))
        .routes(routes!(casework::set_case_expectation))
        .routes(routes!(casework::make_promise))
        .routes(routes!(casework::keep_promise))
        .routes(routes!(casework::extend_promise))
        .routes(routes!(
            ledger::grant_compensation,
            ledger::case_compensation
        ))
        .routes(routes!(ledger::approvals))
        .routes(routes!(ledger::decide_compensation))
        .routes(routes!(ledger::customer_standing))
        .routes(routes!(ledger::customer_compensation))
        .routes(routes!(
            casework::flag_win_back,
            casework::record_win_back_outcome
        ))
        .routes(routes!(casework::take_abuse_step))
        .routes(routes!(casework::notifications))
        .routes(routes!(casework::notices))
        .routes(routes!(mail_log::notice_mail))
        .routes(routes!(mail_log::intake_log))
        .routes(routes!(mail_log::quarantined_raw))
        .routes(routes!(mail_log::case_attachments))
        .routes(routes!(mail_log::attachment))
        .routes(routes!(casework::stats))
        .routes(routes!(plans::get_plan, plans::set_plan))
        .routes(routes!(plans::complete_step))
        .routes(routes!(plans::draft))
        .routes(routes!(plans::send))
        .routes(routes!(plans::public_plan, plans::answer_plan))
        .routes(routes!(plans::public_summary, plans::answer_summary))
        .routes(routes!(casework::get_survey, casework::answer_survey));
    incidents(knowledge_base(shared_desk(account_security(router))))
}

/// Incidents (issue 20): declared, the affected chosen and warned, updated, resolved, and the
/// cases they bring linked and answered at once.
fn incidents(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(incidents::list, incidents::declare))
        .routes(routes!(incidents::show))
        .routes(routes!(incidents::affect_segment))
        .routes(routes!(incidents::affect_list))
        .routes(routes!(incidents::affect_linked))
        .routes(routes!(incidents::send))
        .routes(routes!(incidents::update))
        .routes(routes!(incidents::link))
        .routes(routes!(incidents::unlink))
        .routes(routes!(incidents::reply))
}

/// Two-factor sign-in, an agent's sign-ins and sessions, and who must have a second factor
/// (issue 24).
fn account_security(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(accounts::second_factor))
        .routes(routes!(
            security::two_factor_status,
            security::start_two_factor
        ))
        .routes(routes!(security::confirm_two_factor))
        .routes(routes!(security::disable_two_factor))
        .routes(routes!(security::renew_recovery_codes))
        .routes(routes!(security::own_sign_ins))
        .routes(routes!(security::agent_sign_ins))
        .routes(routes!(security::own_sessions))
        .routes(routes!(security::end_own_session))
        .routes(routes!(
            security::get_two_factor_rule,
            security::set_two_factor_rule
        ))
        .routes(routes!(security::get_sso, security::set_sso))
        .routes(routes!(team::revoke_tokens))
}

/// What every shared desk has (issue 21): search, tags, canned replies, merging, custom
/// fields, bulk work, export, saved views and import.
fn shared_desk(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(search::search))
        .routes(routes!(tags::tag_case))
        .routes(routes!(tags::tag_customer))
        .routes(routes!(tags::tags_in_use))
        .routes(routes!(canned::list, canned::create))
        .routes(routes!(canned::change, canned::remove))
        .routes(routes!(canned::use_on_case))
        .routes(routes!(merges::merge_case, merges::case_merges))
        .routes(routes!(merges::undo_merge))
        .routes(routes!(merges::merge_customer))
        .routes(routes!(fields::define, fields::list))
        .routes(routes!(bulk::change_cases))
        .routes(routes!(export::cases_csv))
        .routes(routes!(export::figures_csv))
        .routes(routes!(views::save, views::list))
        .routes(routes!(views::remove))
        .routes(routes!(imports::import_customers))
        .routes(routes!(presence::mark))
        .routes(routes!(chats::identity_secret))
        .routes(routes!(chats::chat_desk))
        .routes(routes!(chats::accept))
        .routes(routes!(chats::transfer))
}

/// The knowledge base (issue 20): articles written, revised, reviewed and searched.
fn knowledge_base(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(articles::list, articles::create))
        .routes(routes!(articles::search))
        .routes(routes!(articles::gaps))
        .routes(routes!(articles::show, articles::change))
        .routes(routes!(articles::revisions))
        .routes(routes!(articles::reviewed))
        .routes(routes!(articles::feedback))
        .routes(routes!(
            articles::get_acknowledgement,
            articles::set_acknowledgement
        ))
}

/// Every API route, and the OpenAPI document at `/openapi.json`.
pub(crate) fn routes(max_mail_bytes: usize) -> Router<AppState> {
    let (router, _) = documented(max_mail_bytes).split_for_parts();
    router.route("/openapi.json", get(|| async { Json(openapi_document()) }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Amends", description = "The service-recovery desk's API. Errors are RFC 9457 problem+json."),
    servers((url = "/api/v1")),
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

/// The OpenAPI document of the API: the routes' own descriptions, with the security schemes
/// and the problem answers every route can give.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT
        .get_or_init(|| {
            let (_, mut document) = documented(0).split_for_parts();
            Security.modify(&mut document);
            ProblemResponses.modify(&mut document);
            document
        })
        .clone()
}

/// Ready when the database answers.
pub(crate) async fn ready(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state.store.ping().await?;
    Ok("ready")
}

/// Unknown paths answer problem+json too.
pub(crate) async fn not_found() -> AppError {
    AppError::NotFound("route")
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
