//! Everything the desk keeps about one customer, table by table and row by row, read in one
//! snapshot: what an export of their data holds. Each table is listed with the SQL that picks
//! the customer's rows, so a table added later is one line here.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::erasure::{audited_records, CASES, MESSAGES};
use crate::{Backend, Store, StoreError};

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Null,
    /// A whole number (ids, times in epoch milliseconds, amounts in minor units, flags).
    Integer(i64),
    /// A number with a fraction.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes: a raw mail, an attachment's content.
    Bytes(Vec<u8>),
}

/// The customer's rows of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRows {
    /// The table.
    pub table: &'static str,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The rows, each cell in the columns' order.
    pub rows: Vec<Vec<Cell>>,
}

/// Each table holding something of the customer's, and which rows (SQL over `$1`).
fn selections() -> Vec<(&'static str, String)> {
    let in_cases = |table: &'static str| (table, format!("case_id in ({CASES})"));
    let chats = "chat_id in (select id from chats where customer_id = $1)";
    let audit = audited_records()
        .iter()
        .map(|(kind, ids)| format!("(record_kind = '{kind}' and record_id in ({ids}))"))
        .collect::<Vec<_>>()
        .join(" or ");
    vec![
        ("customers", "id = $1".to_owned()),
        ("customer_contacts", "customer_id = $1".to_owned()),
        ("customer_tags", "customer_id = $1".to_owned()),
        (
            "custom_values",
            format!(
                "(record_id = $1 and field_id in (select id from custom_fields \
                 where owner_kind = 'customer')) or (record_id in ({CASES}) and field_id in \
                 (select id from custom_fields where owner_kind = 'case'))"
            ),
        ),
        ("cases", "customer_id = $1".to_owned()),
        in_cases("messages"),
        ("attachments", format!("message_id in ({MESSAGES})")),
        (
            "inbound_mails",
            format!("case_id in ({CASES}) or message_row_id in ({MESSAGES})"),
        ),
        in_cases("facts"),
        in_cases("promises"),
        in_cases("plan_steps"),
        in_cases("summaries"),
        in_cases("surveys"),
        in_cases("abuse_steps"),
        in_cases("case_tags"),
        in_cases("social_routes"),
        in_cases("bot_handoffs"),
        in_cases("notifications"),
        in_cases("knowledge_gaps"),
        ("compensation", "customer_id = $1".to_owned()),
        ("notices", "customer_id = $1".to_owned()),
        ("incident_customers", "customer_id = $1".to_owned()),
        ("incident_notices", "customer_id = $1".to_owned()),
        in_cases("case_incidents"),
        ("chats", "customer_id = $1".to_owned()),
        ("chat_lines", chats.to_owned()),
        ("audit_events", audit),
    ]
}

impl Store {
    /// Every row the desk keeps about a customer, in one snapshot; `NotFound` when there is
    /// no such customer.
    pub async fn customer_records(&self, customer_id: i64) -> Result<Vec<TableRows>, StoreError> {
        let mut tx = self.read.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("set transaction isolation level repeatable read, read only")
                .execute(&mut *tx)
                .await?;
        }
        let exists: Option<i64> = sqlx::query_scalar("select id from customers where id = $1")
            .bind(customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        exists.ok_or(StoreError::NotFound("customer"))?;
        let mut tables = Vec::new();
        for (table, which) in selections() {
            let columns = columns_of(&mut tx, self.backend, table).await?;
            let sql = format!(
                "select {} from {table} where {which}",
                columns
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let rows = sqlx::query(&sql)
                .bind(customer_id)
                .fetch_all(&mut *tx)
                .await?;
            tables.push(TableRows {
                table,
                rows: rows.iter().map(|row| cells(row, columns.len())).collect(),
                columns,
            });
        }
        tx.rollback().await?;
        Ok(tables)
    }
}

/// A table's columns, leaving out PostgreSQL's search vectors (derived from the text beside
/// them).
async fn columns_of(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<String>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => format!("select name from pragma_table_info('{table}') order by cid"),
        Backend::Postgres => format!(
            "select column_name::text from information_schema.columns \
             where table_schema = current_schema() and table_name = '{table}' \
             and data_type <> 'tsvector' order by ordinal_position"
        ),
    };
    Ok(sqlx::query_scalar(&sql).fetch_all(&mut *conn).await?)
}

fn cells(row: &AnyRow, count: usize) -> Vec<Cell> {
    (0..count).map(|i| cell(row, i)).collect()
}

fn cell(row: &AnyRow, i: usize) -> Cell {
    if let Ok(value) = row.try_get::<Option<i64>, _>(i) {
        return value.map_or(Cell::Null, Cell::Integer);
    }
    if let Ok(value) = row.try_get::<Option<String>, _>(i) {
        return value.map_or(Cell::Null, Cell::Text);
    }
    if let Ok(value) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return value.map_or(Cell::Null, Cell::Bytes);
    }
    match row.try_get::<Option<f64>, _>(i) {
        Ok(Some(value)) => Cell::Real(value),
        _ => Cell::Null,
    }
}
