//! The `promises` table.

use amends_core::promise::{Promise, PromiseKind, PromiseState};
use amends_core::Timestamp;
use sqlx::AnyConnection;

use crate::StoreError;

#[derive(sqlx::FromRow)]
pub(crate) struct PromiseRow {
    id: i64,
    case_id: i64,
    kind: String,
    description: String,
    owner_id: i64,
    due_at: i64,
    state: String,
    extensions: i64,
    kept_at: Option<i64>,
    broken_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<PromiseRow> for Promise {
    type Error = StoreError;

    fn try_from(row: PromiseRow) -> Result<Promise, StoreError> {
        Ok(Promise {
            id: row.id,
            case_id: row.case_id,
            kind: PromiseKind::parse(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("promise kind {:?}", row.kind)))?,
            description: row.description,
            owner_id: row.owner_id,
            due_at: Timestamp(row.due_at),
            state: PromiseState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("promise state {:?}", row.state)))?,
            extensions: row.extensions,
            kept_at: row.kept_at.map(Timestamp),
            broken_at: row.broken_at.map(Timestamp),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

pub(crate) const PROMISE_COLUMNS: &str =
    "id, case_id, kind, description, owner_id, due_at, state, \
    extensions, kept_at, broken_at, created_at, updated_at";

pub(crate) async fn load_promise(
    conn: &mut AnyConnection,
    id: i64,
    for_update: bool,
) -> Result<Promise, StoreError> {
    let lock = if for_update { " for update" } else { "" };
    let row: PromiseRow = sqlx::query_as(&format!(
        "select {PROMISE_COLUMNS} from promises where id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("promise"))?;
    Promise::try_from(row)
}

pub(crate) async fn save_promise(
    conn: &mut AnyConnection,
    promise: &Promise,
) -> Result<(), StoreError> {
    sqlx::query(
        "update promises set due_at = $1, state = $2, extensions = $3, kept_at = $4, \
         broken_at = $5, updated_at = $6 where id = $7",
    )
    .bind(promise.due_at.millis())
    .bind(promise.state.as_str())
    .bind(promise.extensions)
    .bind(promise.kept_at.map(Timestamp::millis))
    .bind(promise.broken_at.map(Timestamp::millis))
    .bind(promise.updated_at.millis())
    .bind(promise.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
