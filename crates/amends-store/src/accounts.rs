//! What keeps accounts safe on a desk facing the internet: failed sign-ins counted per
//! account and per address, agents deactivated or changed by an admin (their sessions and
//! tokens ending with it), and passwords changed (the other sessions ending).

use amends_core::account::{AgentChange, SignInFailures};
use amends_core::audit::AuditContext;
use amends_core::{events, Agent, Timestamp};

use crate::agents::load_agent;
use crate::{audit, Backend, Store, StoreError};

impl Store {
    /// The failed sign-ins recorded under each of `keys` that has any.
    pub async fn sign_in_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, SignInFailures)>, StoreError> {
        let mut found = Vec::new();
        for key in keys {
            let row: Option<(i64, i64, i64)> = sqlx::query_as(
                "select failures, last_failed_at, blocked_until from sign_in_failures \
                 where key = $1",
            )
            .bind(key)
            .fetch_optional(&self.read)
            .await?;
            if let Some((failures, last, until)) = row {
                let record = SignInFailures {
                    failures,
                    last_failed_at: Timestamp(last),
                    blocked_until: Timestamp(until),
                };
                found.push((key.clone(), record));
            }
        }
        Ok(found)
    }

    /// Saves the failed sign-ins of `key` as the core counted them.
    pub async fn save_sign_in_failures(
        &self,
        key: &str,
        record: &SignInFailures,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "insert into sign_in_failures (key, failures, last_failed_at, blocked_until, \
             created_at, updated_at) values ($1, $2, $3, $4, $3, $3) \
             on conflict (key) do update set failures = excluded.failures, \
             last_failed_at = excluded.last_failed_at, blocked_until = excluded.blocked_until, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(record.failures)
        .bind(record.last_failed_at.millis())
        .bind(record.blocked_until.millis())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Forgets the failed sign-ins of `key` (after a sign-in that succeeded).
    pub async fn forget_sign_in_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("delete from sign_in_failures where key = $1")
            .bind(key)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Changes an agent as `admin` asks (the core decides). A deactivated agent's sessions end
    /// and tokens are revoked in the same transaction, so nothing of theirs works a moment
    /// longer.
    pub async fn change_agent(
        &self,
        agent_id: i64,
        change: &AgentChange,
        admin: &Agent,
        context: &AuditContext,
    ) -> Result<Agent, StoreError> {
        let mut tx = self.write.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("select id from agents where id = $1 for update")
                .bind(agent_id)
                .execute(&mut *tx)
                .await?;
        }
        let agent = load_agent(&mut tx, agent_id).await?;
        let (next, event) = amends_core::account::change_agent(&agent, change, admin)?;
        sqlx::query(
            "update agents set name = $1, role = $2, authority_limit_minor = $3, active = $4, \
             case_access = $5, updated_at = $6, chat_capacity = $7 where id = $8",
        )
        .bind(&next.name)
        .bind(next.role.as_str())
        .bind(next.authority_limit_minor)
        .bind(i64::from(next.active))
        .bind(next.case_access.as_str())
        .bind(context.at.millis())
        .bind(next.chat_capacity)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
        if !next.active {
            end_sessions(&mut tx, agent_id, None).await?;
            sqlx::query(
                "update api_tokens set revoked_at = $1, updated_at = $1 \
                 where agent_id = $2 and revoked_at is null",
            )
            .bind(context.at.millis())
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        }
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Sets an agent's password hash; every session but `keep` (the one that asked) ends.
    pub async fn set_password(
        &self,
        agent_id: i64,
        password_hash: &str,
        keep: Option<&str>,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        replace_password(&mut tx, agent_id, password_hash, keep, context.at).await?;
        let event = events::password_changed(agent_id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of an agent (an admin's "sign out everywhere").
    pub async fn end_sessions(
        &self,
        agent_id: i64,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        end_sessions(&mut tx, agent_id, None).await?;
        let event = events::sessions_ended(agent_id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes every live API token of an agent (an admin's "end all their tokens"); answers
    /// how many.
    pub async fn revoke_tokens_of(
        &self,
        agent_id: i64,
        context: &AuditContext,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "update api_tokens set revoked_at = $1, updated_at = $1 \
             where agent_id = $2 and revoked_at is null returning id",
        )
        .bind(context.at.millis())
        .bind(agent_id)
        .fetch_all(&mut *tx)
        .await?;
        let events: Vec<_> = ids.iter().map(|id| events::token_revoked(*id)).collect();
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(ids.len())
    }

    /// An agent's sessions that have not expired, newest first.
    pub async fn sessions_of(
        &self,
        agent_id: i64,
        now: Timestamp,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        let rows: Vec<SessionRow> = sqlx::query_as(
            "select id, created_at, case when last_seen_at > 0 then last_seen_at \
             else created_at end as last_seen_at, expires_at, remote_addr, user_agent \
             from sessions where agent_id = $1 and expires_at > $2 order by id desc",
        )
        .bind(agent_id)
        .bind(now.millis())
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| SessionInfo {
                id: row.id,
                created_at: Timestamp(row.created_at),
                last_seen_at: Timestamp(row.last_seen_at),
                expires_at: Timestamp(row.expires_at),
                remote_addr: row.remote_addr,
                user_agent: row.user_agent,
            })
            .collect())
    }

    /// Ends one session of an agent; false when they have no such session.
    pub async fn end_session(
        &self,
        agent_id: i64,
        session_id: i64,
        context: &AuditContext,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("delete from sessions where id = $1 and agent_id = $2")
            .bind(session_id)
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let event = events::session_ended(agent_id, session_id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records that a session was used at `now`, so the idle timeout counts from here.
    pub async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("update sessions set last_seen_at = $1 where token_hash = $2")
            .bind(now.millis())
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    remote_addr: Option<String>,
    user_agent: Option<String>,
}

/// A session as its agent sees it listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Its id.
    pub id: i64,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it was last used (to the minute).
    pub last_seen_at: Timestamp,
    /// When it ends at the latest.
    pub expires_at: Timestamp,
    /// Where it was opened from.
    pub remote_addr: Option<String>,
    /// The browser it was opened in.
    pub user_agent: Option<String>,
}

/// Sets an agent's password hash and ends every session of theirs but `keep`, in the caller's
/// transaction.
pub(crate) async fn replace_password(
    conn: &mut sqlx::AnyConnection,
    agent_id: i64,
    password_hash: &str,
    keep: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let changed =
        sqlx::query("update agents set password_hash = $1, updated_at = $2 where id = $3")
            .bind(password_hash)
            .bind(now.millis())
            .bind(agent_id)
            .execute(&mut *conn)
            .await?;
    if changed.rows_affected() == 0 {
        return Err(StoreError::NotFound("agent"));
    }
    end_sessions(conn, agent_id, keep).await
}

async fn end_sessions(
    conn: &mut sqlx::AnyConnection,
    agent_id: i64,
    keep: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("delete from sessions where agent_id = $1 and token_hash <> $2")
        .bind(agent_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
