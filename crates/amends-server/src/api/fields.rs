//! Custom fields: defined by admins, set on cases and customers, shown with them.

use std::collections::BTreeMap;

use amends_core::custom_field::{
    field_defined, fields_changed, parse_key, parse_value, typed, FieldDefinition, FieldKind,
    FieldOwner, GivenValue,
};
use amends_core::field::bounded_text;
use amends_core::{AgentRole, FieldError, Timestamp};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath};
use crate::{AppError, AppState};

/// A custom field to define.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DefineFieldRequest {
    /// Its key in the API and search: lowercase letters, digits and _, e.g. `order_number`.
    pub key: String,
    /// Its label, e.g. "Order number".
    pub label: String,
    /// case or customer.
    pub on: String,
    /// text, number, date, one_of or yes_no.
    pub kind: String,
    /// The options of a one_of field.
    #[serde(default)]
    pub options: Vec<String>,
}

/// A custom field.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FieldView {
    /// Its id.
    pub id: i64,
    /// Its key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// case or customer.
    pub on: &'static str,
    /// text, number, date, one_of or yes_no.
    pub kind: &'static str,
    /// The options of a one_of field.
    pub options: Vec<String>,
}

impl From<&FieldDefinition> for FieldView {
    fn from(field: &FieldDefinition) -> Self {
        FieldView {
            id: field.id,
            key: field.key.clone(),
            label: field.label.clone(),
            on: field.owner.as_str(),
            kind: field.kind.as_str(),
            options: match &field.kind {
                FieldKind::OneOf(options) => options.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// Defines a custom field (admins).
#[utoipa::path(post, path = "/custom-fields", tag = "custom fields", request_body = DefineFieldRequest,
    responses((status = 201, body = FieldView), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn define(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<DefineFieldRequest>,
) -> Result<(StatusCode, Json<FieldView>), AppError> {
    current.require(AgentRole::Admin)?;
    let field = FieldDefinition {
        id: 0,
        key: parse_key(&request.key)?,
        label: bounded_text("label", &request.label, 100, false)?,
        owner: FieldOwner::parse(&request.on)
            .ok_or_else(|| FieldError::new("on", "must be case or customer"))?,
        kind: FieldKind::parse(&request.kind, &request.options)?,
        created_at: Timestamp(0),
    };
    let key = field.key.clone();
    let defined = state
        .store
        .define_field(&field, &current.audit(&state), |id| field_defined(id, &key))
        .await?;
    Ok((StatusCode::CREATED, Json(FieldView::from(&defined))))
}

/// The custom fields defined.
#[utoipa::path(get, path = "/custom-fields", tag = "custom fields",
    responses((status = 200, body = Vec<FieldView>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<FieldView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let fields = state.store.fields().await?;
    Ok(Json(fields.iter().map(FieldView::from).collect()))
}

/// Custom field values: each key with its value (text, a number, a date as text, an option,
/// true/false); `null` clears one.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldsBody {
    /// Values by key.
    #[schema(value_type = std::collections::HashMap<String, crate::wire::FieldValue>)]
    pub fields: BTreeMap<String, Value>,
}

/// Sets custom fields of a case; answers all its values.
#[utoipa::path(put, path = "/cases/{id}/fields", tag = "custom fields", params(("id" = i64, Path)),
    request_body = FieldsBody,
    responses((status = 200, body = FieldsBody), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn set_case_fields(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FieldsBody>,
) -> Result<Json<FieldsBody>, AppError> {
    set_fields(&state, &current, FieldOwner::Case, id, body).await
}

/// Sets custom fields of a customer; answers all their values.
#[utoipa::path(put, path = "/customers/{id}/fields", tag = "custom fields", params(("id" = i64, Path)),
    request_body = FieldsBody,
    responses((status = 200, body = FieldsBody), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn set_customer_fields(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FieldsBody>,
) -> Result<Json<FieldsBody>, AppError> {
    set_fields(&state, &current, FieldOwner::Customer, id, body).await
}

async fn set_fields(
    state: &AppState,
    current: &CurrentAgent,
    owner: FieldOwner,
    id: i64,
    body: FieldsBody,
) -> Result<Json<FieldsBody>, AppError> {
    current.require(AgentRole::Agent)?;
    let fields = state.store.fields().await?;
    let before: BTreeMap<i64, String> = state
        .store
        .field_values(owner, id)
        .await?
        .into_iter()
        .collect();
    let mut values = Vec::new();
    let mut changes = Vec::new();
    for (key, raw) in &body.fields {
        let field = fields
            .iter()
            .find(|f| f.owner == owner && &f.key == key)
            .ok_or_else(|| {
                FieldError::new(
                    format!("fields.{key}"),
                    format!("is not a custom field of a {}", owner.as_str()),
                )
            })?;
        let value = parse_value(field, &given(raw))?;
        changes.push((key.clone(), before.get(&field.id).cloned(), value.clone()));
        values.push((field.id, value));
    }
    if let Some(event) = fields_changed(owner, id, &changes) {
        state
            .store
            .set_field_values(owner, id, &values, &current.audit(state), event)
            .await?;
    }
    Ok(Json(FieldsBody {
        fields: field_map(state, owner, id).await?,
    }))
}

fn given(raw: &Value) -> GivenValue<'_> {
    match raw {
        Value::String(text) => GivenValue::Text(text),
        Value::Number(n) => n.as_f64().map_or(GivenValue::Text(""), GivenValue::Number),
        Value::Bool(b) => GivenValue::Bool(*b),
        Value::Null => GivenValue::Null,
        // Lists and objects fit no kind; an empty text is refused by every kind but text.
        Value::Array(_) | Value::Object(_) => GivenValue::Number(f64::NAN),
    }
}

/// A record's custom field values by key, typed as JSON: numbers as numbers, yes/no as
/// booleans, the rest as text.
pub(crate) async fn field_map(
    state: &AppState,
    owner: FieldOwner,
    id: i64,
) -> Result<BTreeMap<String, Value>, AppError> {
    let fields = state.store.fields().await?;
    let values = state.store.field_values(owner, id).await?;
    let mut map = BTreeMap::new();
    for (field_id, value) in values {
        if let Some(field) = fields.iter().find(|f| f.id == field_id) {
            let typed = match field.kind {
                FieldKind::Number => value
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::String(value.clone()), |n| {
                        // Whole numbers read back as integers, as they were given.
                        value.parse::<i64>().map_or(Value::Number(n), Value::from)
                    }),
                FieldKind::YesNo => Value::Bool(value == "true"),
                _ => Value::String(value),
            };
            map.insert(field.key.clone(), typed);
        }
    }
    Ok(map)
}

/// `key` and `value` of a search's or the queue's filter as a custom field of the desk (from
/// `fields`) and the value in its stored form; refused naming `error_field` otherwise.
pub(crate) fn field_filter(
    fields: &[FieldDefinition],
    key: &str,
    value: &str,
    error_field: &str,
) -> Result<(FieldOwner, i64, String), AppError> {
    let field = fields.iter().find(|f| f.key == key).ok_or_else(|| {
        AppError::invalid(
            error_field,
            format!("{key}: is neither a filter nor a custom field"),
        )
    })?;
    let stored = parse_value(field, &typed(&field.kind, value))
        .map_err(|e| AppError::invalid(error_field, format!("{key}: {}", e.message)))?
        .unwrap_or_default();
    Ok((field.owner, field.id, stored))
}
