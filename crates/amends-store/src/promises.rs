//! Promises made to customers, and the jobs that remind their owners and break them on time.

use amends_core::audit::{AuditContext, RecordKind};
use amends_core::promise::{self, NewPromise, Promise, PromiseKind, PromiseState};
use amends_core::{AuditEvent, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::cases::{load_case, refresh_case};
use crate::jobs::{insert_job, PromiseCheck, PROMISE_DUE, PROMISE_REMINDER};
use crate::recovery::{notify, queue_notice, tell_supervisors};
use crate::{audit, Backend, Store, StoreError};

#[derive(sqlx::FromRow)]
struct PromiseRow {
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

const PROMISE_COLUMNS: &str = "id, case_id, kind, description, owner_id, due_at, state, \
    extensions, kept_at, broken_at, created_at, updated_at";

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
        self.schedule_checks(&mut tx, &made, now).await?;
        refresh_case(&mut tx, case_id, now).await?;
        let event = AuditEvent::new("promise.made", RecordKind::Promise, made.id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn schedule_checks(
        &self,
        conn: &mut AnyConnection,
        promise: &Promise,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let check = PromiseCheck {
            promise_id: promise.id,
            due_at: promise.due_at.millis(),
        };
        let payload = serde_json::to_string(&check).expect("a check serialises");
        if let Some(at) =
            promise::reminder_at(promise.due_at, self.timing.reminder_lead_millis, now)
        {
            insert_job(conn, PROMISE_REMINDER, &payload, at, now).await?;
        }
        insert_job(conn, PROMISE_DUE, &payload, promise.due_at, now).await?;
        Ok(())
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
        let (moved, event) = promise::extend(&current, new_due_at, reason, context.at)?;
        save_promise(&mut tx, &moved).await?;
        self.schedule_checks(&mut tx, &moved, context.at).await?;
        let case = refresh_case(&mut tx, moved.case_id, context.at).await?;
        let body = format!(
            "We promised: {}.\n\nWe need a little more time, and we would rather tell you now \
             than keep you waiting: {}\n\nThe new time is {}. We will be in touch by then.",
            moved.description,
            reason.trim(),
            moved.due_at.to_rfc3339()
        );
        let notice = queue_notice(
            &mut tx,
            &case,
            "promise_extended",
            &format!("An update on your case #{}", case.id),
            &body,
            context.at,
        )
        .await?;
        audit::record(
            &mut tx,
            context,
            &[
                event,
                AuditEvent::new("notice.queued", RecordKind::Notice, notice),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(moved)
    }
}

/// The reminder job: tells the owner, if the promise is still live at the same due time, and
/// brings the case's urgency up (a promise due soon).
pub(crate) async fn remind(
    conn: &mut AnyConnection,
    check: PromiseCheck,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let current = load_promise(conn, check.promise_id, false).await?;
    if !current.state.is_live() || current.due_at.millis() != check.due_at {
        return Ok(());
    }
    let body = format!(
        "Promise on case #{} due at {}: {}",
        current.case_id,
        current.due_at.to_rfc3339(),
        current.description
    );
    notify(
        conn,
        current.owner_id,
        Some(current.case_id),
        "promise_due_soon",
        &body,
        context.at,
    )
    .await?;
    let case = refresh_case(conn, current.case_id, context.at).await?;
    // A call-back is an appointment: the customer is reminded of it too, so they are free
    // to take the call (or can answer with a better time).
    if current.kind == PromiseKind::CallBack {
        let when = current.due_at.to_rfc3339();
        let when = when.get(..16).unwrap_or(&when).replace('T', " ");
        let body = format!(
            "As promised, we will call you by {when} (UTC) about your case: {}.\n\n\
             If another time suits you better, simply reply to this email.",
            current.description
        );
        let subject = format!("Our call to you about case #{}", case.id);
        let notice =
            queue_notice(conn, &case, "promise_reminder", &subject, &body, context.at).await?;
        let event = AuditEvent::new("notice.queued", RecordKind::Notice, notice);
        audit::record(conn, context, &[event]).await?;
    }
    Ok(())
}

/// The due-time job: breaks the promise if it was not kept or extended, flags the case and
/// tells the owner's supervisor.
pub(crate) async fn break_if_due(
    conn: &mut AnyConnection,
    check: PromiseCheck,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let current = load_promise(conn, check.promise_id, false).await?;
    let Some((broken, event)) =
        promise::break_if_due(&current, Timestamp(check.due_at), context.at)
    else {
        return Ok(());
    };
    save_promise(conn, &broken).await?;
    refresh_case(conn, broken.case_id, context.at).await?;
    audit::record(conn, context, &[event]).await?;
    let body = format!(
        "Broken promise on case #{}: \"{}\" was due at {} and was not kept.",
        broken.case_id,
        broken.description,
        broken.due_at.to_rfc3339()
    );
    tell_supervisors(
        conn,
        Some(broken.owner_id),
        broken.case_id,
        "promise_broken",
        &body,
        context.at,
    )
    .await?;
    Ok(())
}

async fn load_promise(
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

async fn save_promise(conn: &mut AnyConnection, promise: &Promise) -> Result<(), StoreError> {
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
