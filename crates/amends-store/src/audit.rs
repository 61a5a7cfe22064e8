//! Appending to the audit trail, inside the caller's transaction.

use amends_core::audit::{Actor, AuditContext};
use amends_core::AuditEvent;
use sqlx::AnyConnection;

use crate::StoreError;

/// Writes `events` as done by `context`, in the transaction `conn` belongs to.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    context: &AuditContext,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    record_each(conn, &[(context, events)]).await
}

/// The most events one statement writes: 8 values each stay far below SQLite's limit of
/// 32,766 bound values and PostgreSQL's 65,535, however many a bulk change records.
const EVENTS_PER_STATEMENT: usize = 500;

/// Records the events of several requests, each with its own context, in as few statements as
/// the databases allow: each statement is a round trip, and a case opening records several.
pub(crate) async fn record_each(
    conn: &mut AnyConnection,
    requests: &[(&AuditContext, &[AuditEvent])],
) -> Result<(), StoreError> {
    let all: Vec<(&AuditContext, &AuditEvent)> = requests
        .iter()
        .flat_map(|(context, events)| events.iter().map(move |event| (*context, event)))
        .collect();
    for chunk in all.chunks(EVENTS_PER_STATEMENT) {
        insert_events(conn, chunk).await?;
    }
    Ok(())
}

async fn insert_events(
    conn: &mut AnyConnection,
    events: &[(&AuditContext, &AuditEvent)],
) -> Result<(), StoreError> {
    let sql = format!(
        "insert into audit_events (actor_kind, actor_agent_id, remote_addr, action, record_kind, \
         record_id, changes, created_at) values {}",
        crate::rows::placeholders(events.len(), 8)
    );
    let mut query = sqlx::query(&sql);
    for (context, event) in events {
        let (actor_kind, actor_agent_id) = match context.actor {
            Actor::Agent { agent_id } => ("agent", Some(agent_id)),
            Actor::System => ("system", None),
            Actor::Shell => ("shell", None),
            Actor::Customer => ("customer", None),
            Actor::Stranger => ("stranger", None),
        };
        let changes = serde_json::to_string(&event.changes)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        query = query
            .bind(actor_kind)
            .bind(actor_agent_id)
            .bind(context.remote_addr.as_deref())
            .bind(event.action)
            .bind(event.record_kind.as_str())
            .bind(event.record_id)
            .bind(changes)
            .bind(context.at.millis());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// One entry of the audit trail as read back.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    /// The entry's id.
    pub id: i64,
    /// `agent`, `system` or `shell`.
    pub actor_kind: String,
    /// The agent, when an agent acted.
    pub actor_agent_id: Option<i64>,
    /// The network address the request came from.
    pub remote_addr: Option<String>,
    /// What happened, such as `case.opened`.
    pub action: String,
    /// The kind of record.
    pub record_kind: String,
    /// The record's id.
    pub record_id: i64,
    /// JSON list of `{field, from, to}`.
    pub changes: String,
    /// When, in epoch milliseconds.
    pub created_at: i64,
}

impl crate::Store {
    /// The audit trail of one record, oldest first.
    pub async fn audit_trail(
        &self,
        record_kind: &str,
        record_id: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let entries = sqlx::query_as(
            "select id, actor_kind, actor_agent_id, remote_addr, action, record_kind, record_id, \
             changes, created_at from audit_events where record_kind = $1 and record_id = $2 \
             order by id",
        )
        .bind(record_kind)
        .bind(record_id)
        .fetch_all(&self.read)
        .await?;
        Ok(entries)
    }
}
