//! The `notifications` table: what the desk tells its people.

use amends_core::outcome::{AlertKind, Recipient};
use amends_core::{AgentRole, Timestamp};
use sqlx::AnyConnection;

use crate::StoreError;

/// A message to a member of staff.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The case it is about, if any.
    pub case_id: Option<i64>,
    /// What kind: `promise_due_soon`, `promise_broken`, `win_back`, `abuse`, `approval`.
    pub kind: String,
    /// What to tell.
    pub body: String,
    /// When it was made.
    pub created_at: Timestamp,
}

/// Tells one agent something.
pub(crate) async fn insert_notification(
    conn: &mut AnyConnection,
    agent_id: i64,
    case_id: Option<i64>,
    kind: AlertKind,
    body: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into notifications (agent_id, case_id, kind, body, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(agent_id)
    .bind(case_id)
    .bind(kind.as_str())
    .bind(body)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The agents a [`Recipient`] names: one agent; or the active supervisor of an agent, else
/// every active supervisor, else every admin.
pub(crate) async fn recipients(
    conn: &mut AnyConnection,
    to: Recipient,
) -> Result<Vec<i64>, StoreError> {
    let agent_id = match to {
        Recipient::Agent(id) => return Ok(vec![id]),
        Recipient::InChargeOf(agent_id) => agent_id,
    };
    if let Some(agent_id) = agent_id {
        let own: Option<i64> = sqlx::query_scalar(
            "select supervisor.id from agents join agents supervisor on supervisor.id = \
             agents.supervisor_id where agents.id = $1 and supervisor.active = 1",
        )
        .bind(agent_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(supervisor) = own {
            return Ok(vec![supervisor]);
        }
    }
    for role in [AgentRole::Supervisor, AgentRole::Admin] {
        let ids: Vec<i64> =
            sqlx::query_scalar("select id from agents where role = $1 and active = 1 order by id")
                .bind(role.as_str())
                .fetch_all(&mut *conn)
                .await?;
        if !ids.is_empty() {
            return Ok(ids);
        }
    }
    Ok(Vec::new())
}
