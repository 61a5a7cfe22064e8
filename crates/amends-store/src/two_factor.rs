//! Two-factor sign-in: an agent's TOTP secret (pending until its first code), the last time
//! step accepted, recovery codes by digest, the challenges between a checked password and its
//! second factor, the desk's settings, and sign-in events in the audit trail.

use amends_core::audit::AuditContext;
use amends_core::{events, Timestamp};

use crate::{audit, Store, StoreError};

/// An agent's second factor as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondFactor {
    /// The TOTP secret in force (base32), when two-factor sign-in is on.
    pub secret: Option<String>,
    /// A secret waiting for its first code.
    pub pending: Option<String>,
    /// The time step of the last code accepted.
    pub last_step: i64,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// A checked password waiting for its second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    /// Whose.
    pub agent_id: i64,
    /// Wrong codes given so far.
    pub attempts: i64,
}

/// A single sign-on on its way through the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoLogin {
    /// The digest of the `state` sent to the provider.
    pub state_hash: String,
    /// The PKCE verifier of the challenge sent.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where to go once signed in.
    pub next: String,
    /// When it stops waiting.
    pub expires_at: Timestamp,
}

impl Store {
    /// An agent's second factor.
    pub async fn second_factor(&self, agent_id: i64) -> Result<SecondFactor, StoreError> {
        let row: Option<(Option<String>, Option<String>, i64)> = sqlx::query_as(
            "select totp_secret, totp_pending_secret, totp_last_step from agents where id = $1",
        )
        .bind(agent_id)
        .fetch_optional(&self.read)
        .await?;
        let (secret, pending, last_step) = row.ok_or(StoreError::NotFound("agent"))?;
        let recovery_codes_left: i64 = sqlx::query_scalar(
            "select count(*) from recovery_codes where agent_id = $1 and used_at is null",
        )
        .bind(agent_id)
        .fetch_one(&self.read)
        .await?;
        Ok(SecondFactor {
            secret,
            pending,
            last_step,
            recovery_codes_left,
        })
    }

    /// Keeps `secret` as the agent's pending one, replacing an earlier pending one.
    pub async fn start_two_factor(
        &self,
        agent_id: i64,
        secret: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("update agents set totp_pending_secret = $1, updated_at = $2 where id = $3")
            .bind(secret)
            .bind(now.millis())
            .bind(agent_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Turns two-factor sign-in on with the pending secret (`pending`, as read when its first
    /// code was checked), accepting `step`, with fresh recovery codes. Answers false when the
    /// pending secret changed meanwhile.
    pub async fn enable_two_factor(
        &self,
        agent_id: i64,
        pending: &str,
        step: i64,
        recovery_code_hashes: &[String],
        context: &AuditContext,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "update agents set totp_secret = totp_pending_secret, totp_pending_secret = null, \
             totp_last_step = $1, updated_at = $2 where id = $3 and totp_pending_secret = $4",
        )
        .bind(step)
        .bind(context.at.millis())
        .bind(agent_id)
        .bind(pending)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        replace_recovery_codes(&mut tx, agent_id, recovery_code_hashes, context.at).await?;
        sqlx::query("update sessions set enrol_only = 0 where agent_id = $1")
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        let event = events::two_factor_changed(agent_id, true);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Turns two-factor sign-in off and drops the recovery codes.
    pub async fn disable_two_factor(
        &self,
        agent_id: i64,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "update agents set totp_secret = null, totp_pending_secret = null, updated_at = $1 \
             where id = $2",
        )
        .bind(context.at.millis())
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
        replace_recovery_codes(&mut tx, agent_id, &[], context.at).await?;
        let event = events::two_factor_changed(agent_id, false);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces an agent's recovery codes with fresh ones.
    pub async fn renew_recovery_codes(
        &self,
        agent_id: i64,
        hashes: &[String],
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        replace_recovery_codes(&mut tx, agent_id, hashes, context.at).await?;
        let event = events::recovery_codes_renewed(agent_id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the code of `step` for the agent, once: false when that step or a later one was
    /// taken already (by this server or another).
    pub async fn take_code_step(&self, agent_id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "update agents set totp_last_step = $1 where id = $2 and totp_last_step < $1",
        )
        .bind(step)
        .bind(agent_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses one of the agent's recovery codes, by digest: false when it is not one, or was used.
    pub async fn use_recovery_code(
        &self,
        agent_id: i64,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "update recovery_codes set used_at = $1 \
             where agent_id = $2 and code_hash = $3 and used_at is null",
        )
        .bind(now.millis())
        .bind(agent_id)
        .bind(code_hash)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a checked password waiting for its second factor until `expires_at`.
    pub async fn create_challenge(
        &self,
        agent_id: i64,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("delete from sign_in_challenges where expires_at <= $1")
            .bind(now.millis())
            .execute(&self.write)
            .await?;
        sqlx::query(
            "insert into sign_in_challenges (token_hash, agent_id, expires_at, created_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(agent_id)
        .bind(expires_at.millis())
        .bind(now.millis())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The unexpired challenge with this digest, counting one more attempt on it.
    pub async fn attempt_challenge(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Challenge>, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "update sign_in_challenges set attempts = attempts + 1 \
             where token_hash = $1 and expires_at > $2 returning agent_id, attempts - 1",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.write)
        .await?;
        Ok(row.map(|(agent_id, attempts)| Challenge { agent_id, attempts }))
    }

    /// Ends a challenge (its second factor given, or too many wrong ones).
    pub async fn end_challenge(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("delete from sign_in_challenges where token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records a single sign-on on its way through the provider, until `expires_at`.
    pub async fn begin_sso_login(
        &self,
        login: &SsoLogin,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("delete from sso_logins where expires_at <= $1")
            .bind(now.millis())
            .execute(&self.write)
            .await?;
        sqlx::query(
            "insert into sso_logins (state_hash, pkce_verifier, nonce, next, expires_at, \
             created_at) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&login.state_hash)
        .bind(&login.pkce_verifier)
        .bind(&login.nonce)
        .bind(&login.next)
        .bind(login.expires_at.millis())
        .bind(now.millis())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Takes the unexpired single sign-on with this state digest, once: a second callback with
    /// the same state finds nothing.
    pub async fn take_sso_login(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SsoLogin>, StoreError> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "delete from sso_logins where state_hash = $1 \
             returning pkce_verifier, nonce, next, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.write)
        .await?;
        Ok(row
            .filter(|(_, _, _, expires_at)| *expires_at > now.millis())
            .map(|(pkce_verifier, nonce, next, expires_at)| SsoLogin {
                state_hash: state_hash.to_owned(),
                pkce_verifier,
                nonce,
                next,
                expires_at: Timestamp(expires_at),
            }))
    }

    /// A desk-wide setting, when one was set.
    pub async fn desk_setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("select value from desk_settings where name = $1")
                .bind(name)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Sets a desk-wide setting, recording who changed it from what; a setting holding a
    /// secret passes `shown`, which the audit trail records instead of either value.
    pub async fn set_desk_setting(
        &self,
        admin_id: i64,
        name: &str,
        value: &str,
        shown: Option<&str>,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let before: Option<String> =
            sqlx::query_scalar("select value from desk_settings where name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "insert into desk_settings (name, value, updated_at) values ($1, $2, $3) \
             on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(value)
        .bind(context.at.millis())
        .execute(&mut *tx)
        .await?;
        let (from, to) = match shown {
            Some(shown) => ("", shown),
            None => (before.as_deref().unwrap_or(""), value),
        };
        let event = events::desk_setting_changed(admin_id, name, from, to);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a sign-in to an agent's account, succeeded or failed, by `factor`.
    pub async fn record_sign_in(
        &self,
        agent_id: i64,
        factor: &str,
        succeeded: bool,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut conn = self.write.acquire().await?;
        let event = events::sign_in(agent_id, factor, succeeded);
        audit::record(&mut conn, context, &[event]).await
    }

    /// The latest sign-ins to an agent's account, newest first.
    pub async fn sign_ins(
        &self,
        agent_id: i64,
        limit: i64,
    ) -> Result<Vec<crate::AuditEntry>, StoreError> {
        Ok(sqlx::query_as(
            "select id, actor_kind, actor_agent_id, remote_addr, action, record_kind, record_id, \
             changes, created_at from audit_events where record_kind = 'agent' \
             and record_id = $1 and action in ('agent.signed_in', 'agent.sign_in_failed') \
             order by id desc limit $2",
        )
        .bind(agent_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }
}

async fn replace_recovery_codes(
    conn: &mut sqlx::AnyConnection,
    agent_id: i64,
    hashes: &[String],
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("delete from recovery_codes where agent_id = $1")
        .bind(agent_id)
        .execute(&mut *conn)
        .await?;
    for hash in hashes {
        sqlx::query(
            "insert into recovery_codes (agent_id, code_hash, created_at) values ($1, $2, $3)",
        )
        .bind(agent_id)
        .bind(hash)
        .bind(now.millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
