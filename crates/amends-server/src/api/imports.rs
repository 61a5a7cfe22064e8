//! Importing customers from a CSV file, as another desk or a spreadsheet exports them: every
//! row checked first, every problem reported by line, and nothing written unless all are good.

use amends_core::custom_field::{parse_value, FieldOwner, GivenValue};
use amends_core::customer::{parse_currency, parse_social_handle, CustomerName, NewCustomer};
use amends_core::field::bounded_text;
use amends_core::tag::parse_tags;
use amends_core::{events, AgentRole, FieldError, PhoneNumber};
use amends_store::ImportedCustomer;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::csv::{problems_refused, records, Record};
use crate::{AppError, AppState};

/// The most customers one import may hold.
const MAX_ROWS: usize = 10_000;
/// The columns an import may have; `field:KEY` names a customer custom field.
const COLUMNS: &str = "name, email, phone, social, plan, revenue_to_date_minor, currency, notes, \
    tags, field:KEY";

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Imported {
    /// How many customers were recorded.
    pub imported: usize,
    /// Their ids, in the file's order.
    pub customer_ids: Vec<i64>,
}

/// Imports customers from CSV (`text/csv`, UTF-8, a header line first; supervisors and admins).
/// Columns: name (required), email, phone and social (several in one cell separated by `;`),
/// plan, revenue_to_date_minor, currency, notes, tags (separated by `;` or spaces) and
/// `field:KEY` for a customer custom field. Every line is checked first; any problem refuses
/// the whole file with every problem found, by line (422), and nothing is written.
#[utoipa::path(post, path = "/import/customers", tag = "customers",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Imported), (status = 422, body = crate::error::Problem)))]
pub(super) async fn import_customers(
    State(state): State<AppState>,
    current: CurrentAgent,
    body: Bytes,
) -> Result<(StatusCode, Json<Imported>), AppError> {
    current.require(AgentRole::Supervisor)?;
    let text =
        std::str::from_utf8(&body).map_err(|_| AppError::invalid("body", "must be UTF-8 text"))?;
    let all = records(text)
        .map_err(|(line, message)| AppError::invalid(&format!("line {line}"), message))?;
    let Some((head, rows)) = all.split_first() else {
        return Err(AppError::invalid(
            "body",
            "must have a header line and at least one customer",
        ));
    };
    if rows.is_empty() || rows.len() > MAX_ROWS {
        return Err(AppError::invalid(
            "body",
            format!("must hold 1 to {MAX_ROWS} customers"),
        ));
    }
    let fields = state.store.fields().await?;
    let mut columns = Vec::new();
    for name in &head.cells {
        let name = name.trim().to_lowercase();
        let column = match name.strip_prefix("field:") {
            Some(key) => Column::Field(
                fields
                    .iter()
                    .find(|f| f.owner == FieldOwner::Customer && f.key == key)
                    .cloned()
                    .ok_or_else(|| {
                        AppError::invalid(
                            "line 1",
                            format!("{name} is not a customer custom field"),
                        )
                    })?,
            ),
            None if KNOWN.contains(&name.as_str()) => Column::Plain(name),
            None => {
                return Err(AppError::invalid(
                    "line 1",
                    format!("the column {name} is not known; the columns are {COLUMNS}"),
                ))
            }
        };
        columns.push(column);
    }
    if !columns
        .iter()
        .any(|c| matches!(c, Column::Plain(n) if n == "name"))
    {
        return Err(AppError::invalid("line 1", "a name column is required"));
    }
    let mut imported = Vec::new();
    let mut problems = Vec::new();
    for record in rows {
        match row(&columns, record) {
            Ok(customer) => imported.push(customer),
            Err(error) => {
                problems.push((record.line, format!("{} {}", error.field, error.message)))
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems_refused(&problems));
    }
    let ids = state
        .store
        .import_customers(&imported, &current.audit(&state), events::customer_created)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Imported {
            imported: ids.len(),
            customer_ids: ids,
        }),
    ))
}

const KNOWN: [&str; 9] = [
    "name",
    "email",
    "phone",
    "social",
    "plan",
    "revenue_to_date_minor",
    "currency",
    "notes",
    "tags",
];

enum Column {
    Plain(String),
    Field(amends_core::custom_field::FieldDefinition),
}

fn several(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One line as a customer, or its first problem (the field is the column's name).
fn row(columns: &[Column], record: &Record) -> Result<ImportedCustomer, FieldError> {
    if record.cells.len() > columns.len() {
        return Err(FieldError::new(
            "the line",
            format!(
                "has {} cells for {} columns",
                record.cells.len(),
                columns.len()
            ),
        ));
    }
    let mut customer = NewCustomer::named(CustomerName::parse("name", "?")?);
    let mut tags = Vec::new();
    let mut values = Vec::new();
    let mut named = false;
    for (column, cell) in columns.iter().zip(&record.cells) {
        let cell = cell.trim();
        match column {
            Column::Field(field) if !cell.is_empty() => {
                if let Some(value) = parse_value(field, &GivenValue::Text(cell))? {
                    values.push((field.id, value));
                }
            }
            Column::Field(_) => {}
            Column::Plain(name) if name == "name" => {
                customer.name = CustomerName::parse("name", cell)?;
                named = true;
            }
            Column::Plain(name) if name == "tags" => {
                tags = parse_tags("tags", &several(&cell.replace(' ', ";")))?;
            }
            Column::Plain(name) => plain(&mut customer, name, cell)?,
        }
    }
    if !named {
        return Err(FieldError::new("name", "must not be empty"));
    }
    Ok(ImportedCustomer {
        line: record.line,
        customer,
        tags,
        fields: values,
    })
}

/// One cell of a column of the customer's own record.
fn plain(customer: &mut NewCustomer, name: &str, cell: &str) -> Result<(), FieldError> {
    match name {
        "email" => {
            customer.emails = several(cell)
                .iter()
                .map(|e| crate::extract::parse_email("email", e))
                .collect::<Result<_, _>>()?;
        }
        "phone" => {
            customer.phones = several(cell)
                .iter()
                .map(|p| PhoneNumber::parse("phone", p))
                .collect::<Result<_, _>>()?
        }
        "social" => {
            customer.social_handles = several(cell)
                .iter()
                .map(|h| parse_social_handle("social", h))
                .collect::<Result<_, _>>()?
        }
        "plan" if !cell.is_empty() => customer.plan = Some(bounded_text("plan", cell, 100, false)?),
        "revenue_to_date_minor" if !cell.is_empty() => {
            customer.revenue_to_date_minor = cell
                .parse::<i64>()
                .ok()
                .filter(|r| *r >= 0)
                .ok_or_else(|| {
                    FieldError::new(
                        "revenue_to_date_minor",
                        "must be a whole number, not negative",
                    )
                })?;
        }
        "currency" if !cell.is_empty() => customer.currency = parse_currency("currency", cell)?,
        "notes" if !cell.is_empty() => customer.notes = bounded_text("notes", cell, 20_000, true)?,
        _ => {}
    }
    Ok(())
}
