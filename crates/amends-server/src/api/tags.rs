//! Tags on cases and customers, and the tags in use as suggestions.

use amends_core::audit::RecordKind;
use amends_core::tag::{parse_tags, retagged, Tag};
use amends_core::AgentRole;
use amends_store::Tagged;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{AppError, AppState};

/// A record's tags, all of them: what is sent replaces what was there.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TagsBody {
    /// Up to 20 tags of letters, digits and - _ . / (spaces become -), any case; stored
    /// lowercase, without duplicates, in order.
    pub tags: Vec<String>,
}

/// Replaces a case's tags.
#[utoipa::path(put, path = "/cases/{id}/tags", tag = "cases", params(("id" = i64, Path)),
    request_body = TagsBody,
    responses((status = 200, body = TagsBody), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn tag_case(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TagsBody>,
) -> Result<Json<TagsBody>, AppError> {
    retag(&state, &current, Tagged::Case(id), &body).await
}

/// Replaces a customer's tags.
#[utoipa::path(put, path = "/customers/{id}/tags", tag = "customers", params(("id" = i64, Path)),
    request_body = TagsBody,
    responses((status = 200, body = TagsBody), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn tag_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TagsBody>,
) -> Result<Json<TagsBody>, AppError> {
    retag(&state, &current, Tagged::Customer(id), &body).await
}

async fn retag(
    state: &AppState,
    current: &CurrentAgent,
    of: Tagged,
    body: &TagsBody,
) -> Result<Json<TagsBody>, AppError> {
    current.require(AgentRole::Agent)?;
    let tags = parse_tags("tags", &body.tags)?;
    let (kind, id) = match of {
        Tagged::Case(id) => (RecordKind::Case, id),
        Tagged::Customer(id) => (RecordKind::Customer, id),
    };
    let saved = state
        .store
        .retag(of, &current.audit(state), |before| {
            let event = retagged(kind, id, before, &tags);
            (tags, event)
        })
        .await?;
    Ok(Json(TagsBody {
        tags: saved.iter().map(|t| t.as_str().to_owned()).collect(),
    }))
}

/// Which tags to suggest.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct TagQuery {
    /// What has been typed of the tag (default: nothing, every tag).
    pub prefix: Option<String>,
}

/// A tag in use.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TagUseView {
    /// The tag.
    pub tag: String,
    /// How many cases and customers carry it.
    pub uses: i64,
}

/// The tags in use starting with `prefix`, most used first (at most 20): suggestions while
/// typing a tag.
#[utoipa::path(get, path = "/tags", tag = "cases", params(TagQuery),
    responses((status = 200, body = Vec<TagUseView>)))]
pub(super) async fn tags_in_use(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<TagQuery>,
) -> Result<Json<Vec<TagUseView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let prefix = match query
        .prefix
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(typed) => Tag::parse("prefix", typed)?.as_str().to_owned(),
        None => String::new(),
    };
    let used = state.store.tags_in_use(&prefix, 20).await?;
    Ok(Json(
        used.into_iter()
            .map(|u| TagUseView {
                tag: u.tag.as_str().to_owned(),
                uses: u.uses,
            })
            .collect(),
    ))
}
