//! Customers: create, read with their cases, search and list.

use amends_core::customer::{
    parse_billing_day, parse_currency, parse_social_handle, CustomerName, NewCustomer,
};
use amends_core::field::bounded_text;
use amends_core::{AgentRole, FieldError, PhoneNumber, Timestamp};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{page_limit, Cursor};
use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::wire::{CaseView, CustomerDetail, CustomerPageView, CustomerView};
use crate::{AppError, AppState};

/// A new customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateCustomerRequest {
    /// Their name.
    pub name: String,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Social handles, `network:handle`.
    #[serde(default)]
    pub social_handles: Vec<String>,
    /// What they have paid to date, in minor units.
    #[serde(default)]
    pub revenue_to_date_minor: i64,
    /// ISO 4217 code (default USD).
    pub currency: Option<String>,
    /// Plan or value band.
    pub plan: Option<String>,
    /// Billing day of the month.
    pub billing_day: Option<i64>,
    /// Invoice dates, RFC 3339.
    #[serde(default)]
    pub invoice_dates: Vec<String>,
    /// Notes.
    #[serde(default)]
    pub notes: String,
}

/// How many addresses of one kind (emails, phones, handles) a customer record may hold: enough
/// for any person, few enough that one request cannot make a record nobody can page through.
pub(super) const MAX_CONTACTS: usize = 20;

fn each<T>(
    field: &str,
    raw: &[String],
    most: usize,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldError> {
    if raw.len() > most {
        return Err(FieldError::new(
            field,
            format!("must have at most {most} entries"),
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, value)| parse(&format!("{field}[{i}]"), value))
        .collect()
}

impl CreateCustomerRequest {
    fn parse(self) -> Result<NewCustomer, FieldError> {
        if self.revenue_to_date_minor < 0 {
            return Err(FieldError::new(
                "revenue_to_date_minor",
                "must not be negative",
            ));
        }
        let notes = match self.notes.trim() {
            "" => String::new(),
            text => bounded_text("notes", text, 20_000, true)?,
        };
        Ok(NewCustomer {
            name: CustomerName::parse("name", &self.name)?,
            emails: each(
                "emails",
                &self.emails,
                MAX_CONTACTS,
                crate::extract::parse_email,
            )?,
            phones: each("phones", &self.phones, MAX_CONTACTS, PhoneNumber::parse)?,
            social_handles: each(
                "social_handles",
                &self.social_handles,
                MAX_CONTACTS,
                parse_social_handle,
            )?,
            revenue_to_date_minor: self.revenue_to_date_minor,
            currency: self
                .currency
                .as_deref()
                .map(|c| parse_currency("currency", c))
                .transpose()?
                .unwrap_or_else(|| "USD".to_owned()),
            plan: self
                .plan
                .as_deref()
                .map(|p| bounded_text("plan", p, 100, false))
                .transpose()?,
            billing_day: self
                .billing_day
                .map(|d| parse_billing_day("billing_day", d))
                .transpose()?,
            invoice_dates: each("invoice_dates", &self.invoice_dates, 1_000, |field, raw| {
                Timestamp::parse_rfc3339(raw)
                    .ok_or_else(|| FieldError::new(field, "must be an RFC 3339 date-time"))
            })?,
            notes,
        })
    }
}

/// Records a customer.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CreateCustomerRequest,
    responses((status = 201, body = CustomerView), (status = 409, body = crate::error::Problem)))]
pub(super) async fn create_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<CreateCustomerRequest>,
) -> Result<(StatusCode, Json<CustomerView>), AppError> {
    current.require(AgentRole::Agent)?;
    let customer = request.parse()?;
    let created = state
        .store
        .create_customer(&customer, &current.audit(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(CustomerView::from(created))))
}

/// A customer with their cases.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerDetail), (status = 404, body = crate::error::Problem)))]
pub(super) async fn get_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CustomerDetail>, AppError> {
    current.require(AgentRole::Agent)?;
    let customer = state.store.customer(id).await?;
    let mut cases = state.store.customer_cases(id, 200).await?;
    cases.retain(|case| current.agent.may_see(case.owner_id));
    let tags = state.store.tags(amends_store::Tagged::Customer(id)).await?;
    Ok(Json(CustomerDetail {
        fields: super::field_map(&state, amends_core::custom_field::FieldOwner::Customer, id)
            .await?,
        tags: tags.iter().map(|t| t.as_str().to_owned()).collect(),
        customer: CustomerView::from(customer),
        cases: cases.into_iter().map(CaseView::from).collect(),
    }))
}

/// Searching and paging customers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct CustomerQuery {
    /// Part of a name, email, phone or handle (any case).
    pub q: Option<String>,
    /// Where to continue, from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// How many, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Customers in the order they were recorded, optionally matching `q`.
#[utoipa::path(get, path = "/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerPageView)))]
pub(super) async fn list_customers(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<CustomerQuery>,
) -> Result<Json<CustomerPageView>, AppError> {
    current.require(AgentRole::Agent)?;
    let limit = page_limit(query.limit)?;
    let after = match query.cursor.as_deref() {
        Some(raw) => Cursor::decode(raw, 1)?[0],
        None => 0,
    };
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::invalid("q", "must be at most 200 characters"));
    }
    let page = state
        .store
        .search_customers(search, current.agent.sight(), after, limit)
        .await?;
    Ok(Json(CustomerPageView {
        items: page.customers.into_iter().map(CustomerView::from).collect(),
        next_cursor: page.next_after.map(|id| Cursor::encode(&[id])),
    }))
}
