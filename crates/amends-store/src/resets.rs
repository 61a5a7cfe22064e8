//! Resetting a forgotten password: a single-use reset record (only the link's digest) and the
//! mail that carries the link to the agent, sent by a durable job like the customers' notices.

use amends_core::audit::AuditContext;
use amends_core::job::{Job, Scheduled, StaffMailSend};
use amends_core::{events, Agent, Timestamp};

use crate::accounts::replace_password;
use crate::agents::load_agent;
use crate::table::jobs::{insert_job, DEFAULT_ATTEMPTS};
use crate::{audit, Store, StoreError};

/// A mail to one of the desk's people, as queued.
#[derive(Debug, Clone)]
pub struct StaffMailRecord {
    /// Its id.
    pub id: i64,
    /// Whose.
    pub agent_id: i64,
    /// Where to.
    pub to_address: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// `queued`, `sent` or `held`.
    pub status: String,
    /// The whole mail as sent or held.
    pub mail: Option<String>,
}

/// A password reset to record: the link's digest, until when it works, and its mail.
#[derive(Debug, Clone)]
pub struct NewPasswordReset {
    /// The agent.
    pub agent_id: i64,
    /// SHA-256 of the link's secret.
    pub token_hash: String,
    /// When the link stops working.
    pub expires_at: Timestamp,
    /// The agent's address.
    pub to_address: String,
    /// The mail's subject, as the core words it.
    pub subject: String,
    /// The mail's text, with the link.
    pub body: String,
}

type StaffMailRow = (i64, i64, String, String, String, String, Option<String>);

impl Store {
    /// Records a reset and queues its mail (one transaction); answers the staff mail's id.
    pub async fn record_password_reset(
        &self,
        reset: &NewPasswordReset,
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let now = context.at.millis();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "insert into password_resets (agent_id, token_hash, expires_at, created_at, \
             updated_at) values ($1, $2, $3, $4, $4)",
        )
        .bind(reset.agent_id)
        .bind(&reset.token_hash)
        .bind(reset.expires_at.millis())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mail_id: i64 = sqlx::query_scalar(
            "insert into staff_mails (agent_id, to_address, subject, body, status, created_at, \
             updated_at) values ($1, $2, $3, $4, 'queued', $5, $5) returning id",
        )
        .bind(reset.agent_id)
        .bind(&reset.to_address)
        .bind(&reset.subject)
        .bind(&reset.body)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let work = Scheduled {
            job: Job::StaffMail(StaffMailSend {
                staff_mail_id: mail_id,
            }),
            run_at: context.at,
        };
        insert_job(&mut tx, &work, DEFAULT_ATTEMPTS, context.at).await?;
        let event = events::password_reset_requested(reset.agent_id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(mail_id)
    }

    /// One staff mail.
    pub async fn staff_mail(&self, id: i64) -> Result<StaffMailRecord, StoreError> {
        let row: StaffMailRow = sqlx::query_as(
            "select id, agent_id, to_address, subject, body, status, mail from staff_mails \
             where id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound("staff mail"))?;
        Ok(StaffMailRecord {
            id: row.0,
            agent_id: row.1,
            to_address: row.2,
            subject: row.3,
            body: row.4,
            status: row.5,
            mail: row.6,
        })
    }

    /// Whether the reset link with this digest still works at `now`.
    pub async fn password_reset_open(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "select id from password_resets where token_hash = $1 and used_at is null \
             and expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.read)
        .await?;
        Ok(found.is_some())
    }

    /// Uses a reset link: sets the agent's password, ends their sessions and the link, in one
    /// transaction. A used, expired or unknown link, or an inactive agent, is "not found".
    pub async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        context: &AuditContext,
    ) -> Result<Agent, StoreError> {
        let now = context.at.millis();
        let mut tx = self.write.begin().await?;
        let agent_id: Option<i64> = sqlx::query_scalar(
            "update password_resets set used_at = $1, updated_at = $1 where token_hash = $2 \
             and used_at is null and expires_at > $1 returning agent_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let agent = load_agent(&mut tx, agent_id.ok_or(StoreError::NotFound("link"))?).await?;
        if !agent.active {
            return Err(StoreError::NotFound("link"));
        }
        replace_password(&mut tx, agent.id, password_hash, None, context.at).await?;
        let event = events::password_reset(agent.id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(agent)
    }
}
