//! The `cases` table: one case loaded, saved, and its queue signals brought up to date.

use amends_core::{queue, Case, Timestamp};
use sqlx::AnyConnection;

use crate::rows::{CaseRow, CASE_COLUMNS};
use crate::StoreError;

pub(crate) async fn load_case(
    conn: &mut AnyConnection,
    id: i64,
    for_update: bool,
) -> Result<Case, StoreError> {
    let lock = if for_update { " for update" } else { "" };
    let row: CaseRow = sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from cases where id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("case"))?;
    Case::try_from(row)
}

/// Writes every field a person or a rule can change. Call [`refresh_case`] after it.
pub(crate) async fn save_case(conn: &mut AnyConnection, case: &Case) -> Result<(), StoreError> {
    let expectation = case.expectation.as_ref();
    sqlx::query(
        "update cases set status = $1, priority = $2, owner_id = $3, first_response_at = $4, \
         resolved_at = $5, closed_at = $6, first_contact_resolution = $7, reopen_count = $8, \
         replies_sent = $9, anger_permille = $10, churn_threat = $11, win_back = $12, \
         abusive_messages = $13, reopened_by_follow_up = $14, expectation_kind = $15, \
         expectation_words = $16, expectation_met = $17, csat = $18, updated_at = $19 \
         where id = $20",
    )
    .bind(case.status.as_str())
    .bind(case.priority.rank())
    .bind(case.owner_id)
    .bind(case.first_response_at.map(Timestamp::millis))
    .bind(case.resolved_at.map(Timestamp::millis))
    .bind(case.closed_at.map(Timestamp::millis))
    .bind(case.first_contact_resolution.map(i64::from))
    .bind(case.reopen_count)
    .bind(case.replies_sent)
    .bind(case.anger_permille)
    .bind(i64::from(case.churn_threat))
    .bind(case.win_back.map(|w| w.as_str()))
    .bind(case.abusive_messages)
    .bind(i64::from(case.reopened_by_follow_up))
    .bind(expectation.map(|e| e.kind.as_str()))
    .bind(expectation.map(|e| e.words.as_str()))
    .bind(expectation.and_then(|e| e.met_by_solution).map(i64::from))
    .bind(case.csat)
    .bind(case.updated_at.millis())
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Brings a case's promise signals and its urgency up to date at `now`, and returns it.
pub(crate) async fn refresh_case(
    conn: &mut AnyConnection,
    case_id: i64,
    now: Timestamp,
) -> Result<Case, StoreError> {
    sqlx::query(
        "update cases set next_promise_due_at = (select min(due_at) from promises where \
         case_id = $1 and state in ('open', 'extended')), broken_promises = (select count(*) \
         from promises where case_id = $1 and state = 'broken') where id = $1",
    )
    .bind(case_id)
    .execute(&mut *conn)
    .await?;
    let mut case = load_case(&mut *conn, case_id, false).await?;
    let revenue: i64 =
        sqlx::query_scalar("select revenue_to_date_minor from customers where id = $1")
            .bind(case.customer_id)
            .fetch_one(&mut *conn)
            .await?;
    let signals = queue::Context {
        customer_revenue_minor: revenue,
    };
    let urgency = queue::urgency(&case, signals, now);
    if urgency != case.urgency {
        sqlx::query("update cases set urgency = $1 where id = $2")
            .bind(urgency)
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        case.urgency = urgency;
    }
    Ok(case)
}
