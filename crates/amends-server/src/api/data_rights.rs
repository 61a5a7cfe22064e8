//! A customer's data rights: everything kept about them exported as a ZIP of JSON and files
//! (supervisors and admins), and their personal data erased on request (admins only).

use std::io::Write;

use amends_core::AgentRole;
use amends_store::{Cell, TableRows};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::accounts::CurrentAgent;
use crate::extract::ApiPath;
use crate::{AppError, AppState};

/// What an erasure emptied.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ErasureView {
    /// Cases whose content went (they stay, empty, in the figures).
    pub cases: i64,
    /// Messages whose text went.
    pub messages: i64,
    /// Mails whose raw bytes went.
    pub mails: i64,
    /// Attachments whose content went.
    pub attachments: i64,
}

/// Erases a customer's personal data everywhere: names, addresses, phones, handles, the text
/// of their cases, messages, notes, facts and promises, raw mail and attachments, chats, the
/// search indexes, and what the audit trail quoted. Counts, times, amounts and scores stay, so
/// the figures do not change. Admins only; it cannot be undone.
#[utoipa::path(post, path = "/customers/{id}/erasure", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = ErasureView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub(super) async fn erase_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ErasureView>, AppError> {
    current.require(AgentRole::Admin)?;
    let erased = state
        .store
        .erase_customer(id, &current.audit(&state))
        .await?;
    Ok(Json(ErasureView {
        cases: erased.cases,
        messages: erased.messages,
        mails: erased.mails,
        attachments: erased.attachments,
    }))
}

/// Everything the desk keeps about a customer, as a ZIP: `data/TABLE.json` (each row as an
/// object of its columns: times in epoch milliseconds, amounts in minor units), the raw mails
/// and attachments as files under `files/` (named in the rows), and a README. Supervisors and
/// admins; the export is recorded in the audit trail. The size is sent ahead (Content-Length),
/// so a download shows its progress.
#[utoipa::path(get, path = "/customers/{id}/export", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub(super) async fn export_customer(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    current.require(AgentRole::Supervisor)?;
    let tables = state.store.customer_records(id).await?;
    let exported_at = state.clock.now().to_rfc3339();
    let zip = tokio::task::spawn_blocking(move || archive(id, &exported_at, &tables))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("writing the export: {e}")))?;
    state
        .store
        .record_customer_export(id, &current.audit(&state))
        .await?;
    let disposition = format!("attachment; filename=\"customer-{id}.zip\"");
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        zip,
    )
        .into_response())
}

const README: &str = "Everything this desk keeps about one customer.\n\n\
data/TABLE.json: the rows of each table, each an object of its columns. Times are milliseconds \
since 1970-01-01 UTC; amounts are in minor units (cents) of the row's currency; 0 and 1 are \
no and yes. Columns holding JSON (an assessment, an audit entry's changes) are kept as text.\n\
files/: raw mails (.eml) and attachments, named by the rows that hold them.\n";

/// Writes the ZIP: a README, one JSON file per table, and each stored file.
fn archive(
    customer_id: i64,
    exported_at: &str,
    tables: &[TableRows],
) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("README.txt", options)?;
    zip.write_all(
        format!("{README}\nCustomer {customer_id}, exported {exported_at}.\n").as_bytes(),
    )?;
    for table in tables {
        let mut files = Vec::new();
        let rows: Vec<Value> = table
            .rows
            .iter()
            .enumerate()
            .map(|(n, row)| row_object(table, n, row, &mut files))
            .collect();
        zip.start_file(format!("data/{}.json", table.table), options)?;
        zip.write_all(&serde_json::to_vec_pretty(&rows).unwrap_or_default())?;
        for (name, bytes) in files {
            zip.start_file(name, options)?;
            zip.write_all(bytes)?;
        }
    }
    Ok(zip.finish()?.into_inner())
}

/// One row as a JSON object; bytes go to `files` and the row names the file.
fn row_object<'a>(
    table: &TableRows,
    n: usize,
    row: &'a [Cell],
    files: &mut Vec<(String, &'a [u8])>,
) -> Value {
    let id = table
        .columns
        .iter()
        .position(|c| c == "id")
        .and_then(|i| match &row[i] {
            Cell::Integer(id) => Some(*id),
            _ => None,
        });
    let mut object = Map::new();
    for (column, cell) in table.columns.iter().zip(row) {
        let value = match cell {
            Cell::Null => Value::Null,
            Cell::Integer(n) => Value::from(*n),
            Cell::Real(x) => Value::from(*x),
            Cell::Text(text) => Value::from(text.as_str()),
            Cell::Bytes(bytes) => {
                let suffix = if table.table == "inbound_mails" {
                    ".eml"
                } else {
                    ""
                };
                let name = format!(
                    "files/{}/{}-{column}{suffix}",
                    table.table,
                    id.map_or_else(|| format!("row{n}"), |id| id.to_string())
                );
                files.push((name.clone(), bytes.as_slice()));
                serde_json::json!({ "file": name })
            }
        };
        object.insert(column.clone(), value);
    }
    Value::Object(object)
}

/// How long a closed case keeps its content.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RetentionView {
    /// Months after it closed that a case's content (messages, mail, notes, facts) is erased;
    /// its counts, times and amounts stay. `null`: kept for ever.
    #[schema(minimum = 1, maximum = 1200)]
    pub months: Option<i64>,
}

/// How long a closed case keeps its content.
#[utoipa::path(get, path = "/settings/retention", tag = "customers",
    responses((status = 200, body = RetentionView), (status = 403, body = crate::error::Problem)))]
pub(super) async fn get_retention(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<RetentionView>, AppError> {
    current.require(AgentRole::Supervisor)?;
    Ok(Json(RetentionView {
        months: crate::retention::retention_months(&state).await?,
    }))
}

/// Sets how long a closed case keeps its content (admins only); a sweep runs at once, then
/// daily.
#[utoipa::path(put, path = "/settings/retention", tag = "customers", request_body = RetentionView,
    responses((status = 200, body = RetentionView), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn set_retention(
    State(state): State<AppState>,
    current: CurrentAgent,
    crate::extract::ApiJson(request): crate::extract::ApiJson<RetentionView>,
) -> Result<Json<RetentionView>, AppError> {
    current.require(AgentRole::Admin)?;
    if request.months.is_some_and(|m| !(1..=1200).contains(&m)) {
        return Err(amends_core::FieldError::new("months", "must be 1 to 1200, or null").into());
    }
    let value = request.months.map(|m| m.to_string()).unwrap_or_default();
    let context = current.audit(&state);
    state
        .store
        .set_desk_setting(
            current.agent.id,
            crate::retention::RETENTION_SETTING,
            &value,
            None,
            &context,
        )
        .await?;
    crate::retention::sweep_by(&state, context.at).await?;
    Ok(Json(request))
}
