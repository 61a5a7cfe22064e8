//! Who has a case open and who is typing a reply to it.

use amends_core::Timestamp;

use crate::{Store, StoreError};

/// Another agent on a case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Presence {
    /// The agent.
    pub agent_id: i64,
    /// Their name.
    pub name: String,
    /// 1 when they were typing a reply.
    pub typing: i64,
}

impl Store {
    /// Records that `agent_id` has case `case_id` open at `now` (typing or not), and answers
    /// the other agents seen on it since `since`.
    pub async fn mark_presence(
        &self,
        case_id: i64,
        agent_id: i64,
        typing: bool,
        now: Timestamp,
        since: Timestamp,
    ) -> Result<Vec<Presence>, StoreError> {
        let mut tx = self.write.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("select id from cases where id = $1")
            .bind(case_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("case"));
        }
        sqlx::query("delete from case_presence where case_id = $1 and agent_id = $2")
            .bind(case_id)
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "insert into case_presence (case_id, agent_id, typing, seen_at, created_at, \
             updated_at) values ($1, $2, $3, $4, $4, $4)",
        )
        .bind(case_id)
        .bind(agent_id)
        .bind(i64::from(typing))
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        let others = sqlx::query_as(
            "select case_presence.agent_id, agents.name, case_presence.typing from case_presence \
             join agents on agents.id = case_presence.agent_id where case_presence.case_id = $1 \
             and case_presence.agent_id <> $2 and case_presence.seen_at >= $3 order by agents.name",
        )
        .bind(case_id)
        .bind(agent_id)
        .bind(since.millis())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(others)
    }
}
