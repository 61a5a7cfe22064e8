//! The `jobs` table: inserting the work a decision scheduled.

use amends_core::job::Scheduled;
use amends_core::Timestamp;
use sqlx::AnyConnection;

use crate::StoreError;

/// Attempts a job gets before it is marked failed, unless it is scheduled with its own.
pub const DEFAULT_ATTEMPTS: i64 = 10;

/// Inserts a pending job in the caller's transaction, allowed `max_attempts`; returns its id.
pub(crate) async fn insert_job(
    conn: &mut AnyConnection,
    work: &Scheduled,
    max_attempts: i64,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "insert into jobs (kind, payload, status, run_at, max_attempts, created_at, updated_at) \
         values ($1, $2, 'pending', $3, $4, $5, $5) returning id",
    )
    .bind(work.job.kind())
    .bind(work.job.payload())
    .bind(work.run_at.millis())
    .bind(max_attempts)
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}
