//! Promises made to customers: made, kept and extended. Their reminders and due-time checks
//! are jobs (`jobs.rs`).

use amends_core::audit::AuditContext;
use amends_core::promise::{self, NewPromise, Promise};
use amends_core::{FieldError, Timestamp};

use crate::apply::apply;
use crate::table::cases::{load_case, refresh_case};
use crate::table::promises::{load_promise, save_promise, PromiseRow, PROMISE_COLUMNS};
use crate::{audit, Backend, Store, StoreError};

impl Store {
    /// Makes a promise on a case and schedules its reminder and its due-time check, in one
    /// transaction.
    pub async fn make_promise(
        &self,
        case_id: i64,
        new: &NewPromise,
        context: &AuditContext,
    ) -> Result<Promise, StoreError> {
        let mut tx = self.write.begin().await?;
        load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        crate::agents::load_agent(&mut tx, new.owner_id)
            .await
            .map_err(|_| FieldError::new("owner_id", "no such agent"))?;
        let now = context.at;
        let row: PromiseRow = sqlx::query_as(&format!(
            "insert into promises (case_id, kind, description, owner_id, due_at, state, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, 'open', $6, $6) \
             returning {PROMISE_COLUMNS}"
        ))
        .bind(case_id)
        .bind(new.kind.as_str())
        .bind(&new.description)
        .bind(new.owner_id)
        .bind(new.due_at.millis())
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await?;
        let made = Promise::try_from(row)?;
        let outcome = promise::made(&made, self.timing.reminder_lead_millis, now);
        apply(&mut tx, context, outcome).await?;
        refresh_case(&mut tx, case_id, now).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// One promise.
    pub async fn promise(&self, id: i64) -> Result<Promise, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_promise(&mut conn, id, false).await
    }

    /// A case's promises, in the order they were made.
    pub async fn case_promises(&self, case_id: i64) -> Result<Vec<Promise>, StoreError> {
        let rows: Vec<PromiseRow> = sqlx::query_as(&format!(
            "select {PROMISE_COLUMNS} from promises where case_id = $1 order by id"
        ))
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Promise::try_from).collect()
    }

    /// Live promises due before `until`, soonest first: the ones at risk.
    pub async fn promises_due_before(
        &self,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Promise>, StoreError> {
        let rows: Vec<PromiseRow> = sqlx::query_as(&format!(
            "select {PROMISE_COLUMNS} from promises where state in ('open', 'extended') \
             and due_at < $1 order by due_at, id limit $2"
        ))
        .bind(until.millis())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Promise::try_from).collect()
    }

    /// Marks a promise kept.
    pub async fn keep_promise(
        &self,
        id: i64,
        context: &AuditContext,
    ) -> Result<Promise, StoreError> {
        let mut tx = self.write.begin().await?;
        let current = load_promise(&mut tx, id, self.backend == Backend::Postgres).await?;
        let (kept, event) = promise::keep(&current, context.at)?;
        save_promise(&mut tx, &kept).await?;
        refresh_case(&mut tx, kept.case_id, context.at).await?;
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(kept)
    }

    /// Moves a promise to a later time for `reason`, queues a notice telling the customer, and
    /// schedules the new reminder and check. Refused once the promise is due.
    pub async fn extend_promise(
        &self,
        id: i64,
        new_due_at: Timestamp,
        reason: &str,
        context: &AuditContext,
    ) -> Result<Promise, StoreError> {
        let mut tx = self.write.begin().await?;
        let current = load_promise(&mut tx, id, self.backend == Backend::Postgres).await?;
        let lead = self.timing.reminder_lead_millis;
        let (moved, outcome) =
            promise::extend_and_tell(&current, new_due_at, reason, lead, context.at)?;
        save_promise(&mut tx, &moved).await?;
        refresh_case(&mut tx, moved.case_id, context.at).await?;
        apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(moved)
    }
}
